"""A lab: its checks and limits (autograder/labs/<id>.toml) and its source notebook.

The source notebook (labs/solutions/<id>/, nbgrader's source) is trusted: its given cells and
its test cells, hidden tests included, are what a submission is graded with. A submission
contributes only its solution cells, matched by nbgrader grade_id.
"""

import dataclasses
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from .kinds import KINDS

HERE = Path(__file__).resolve().parent
LABS = HERE / "labs"
SOURCES = HERE.parent / "labs" / "solutions"


class LabError(Exception):
    """The lab itself is missing or malformed (an instructor's problem, not a learner's)."""


@dataclass(frozen=True)
class Check:
    id: str
    kind: str
    name: str
    points: float
    hint: str
    params: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Cell:
    """A code cell of the source notebook, in the course's terms."""

    grade_id: str
    role: str  # "given", "solution", "test" or "demo" (not run when grading)
    source: str


@dataclass(frozen=True)
class Lab:
    id: str
    title: str
    functions: dict
    limits: dict
    checks: tuple
    cells: tuple  # the source notebook's code cells, in order
    workloads: Path
    notebook: str
    sources: Path  # the folder of the labs' source notebooks: labs/solutions, or --tests-from
    hidden: tuple = ()  # more folders the graded code must not see: a class folder

    def hiding(self, folder):
        """This lab, with folder (a class's notebooks, say) hidden from the code it grades."""
        return dataclasses.replace(self, hidden=(*self.hidden, Path(folder)))

    def test(self, grade_id):
        return next(c.source for c in self.cells if c.role == "test" and c.grade_id == grade_id)

    @property
    def points(self):
        return sum(c.points for c in self.checks)


def available():
    return sorted(p.stem for p in LABS.glob("*.toml"))


def load(lab_id, tests_from=None):
    """Read lab_id's checks, and its cells from the source notebook (in tests_from if given)."""
    path = LABS / f"{lab_id}.toml"
    if not path.is_file():
        raise LabError(f"there is no lab {lab_id!r}; the labs are: {', '.join(available())}")
    spec = tomllib.loads(path.read_text())
    about = spec["lab"]
    checks = tuple(
        Check(id=c["id"], kind=c["kind"], name=c["name"], points=c["points"],
              hint=c.get("hint", ""),
              params={k: v for k, v in c.items() if k not in ("id", "kind", "name", "points", "hint")})
        for c in spec["checks"])
    for c in checks:
        if c.kind not in KINDS:
            raise LabError(f"{path}: check {c.id!r} has kind {c.kind!r}; the kinds are "
                           f"{', '.join(KINDS)}")
    sources = Path(tests_from) if tests_from else SOURCES
    source = sources / lab_id / about["notebook"]
    if not source.is_file():
        raise LabError(f"the source notebook {source} is missing"
                       + (" (--tests-from must hold <lab>/<notebook>)" if tests_from else ""))
    cells = tuple(source_cells(nbformat.read(source, as_version=4)))
    tests = {c.grade_id: c for c in cells if c.role == "test"}
    for c in checks:
        validate = getattr(KINDS[c.kind], "validate", None)
        why = validate and validate(c, checks, tests)
        if why:
            raise LabError(f"{path}: {why} ({source})")
    return Lab(id=lab_id, title=about["title"], functions=dict(about["functions"]),
               limits=dict(spec["limits"]), checks=checks, cells=cells,
               workloads=path.parent / about["workloads"], notebook=about["notebook"],
               sources=sources)


def source_cells(nb):
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        meta = cell.metadata.get("nbgrader", {})
        grade_id = meta.get("grade_id", f"cell-{index}")
        if "demo" in cell.metadata.get("tags", []):
            role = "demo"
        elif meta.get("solution"):
            role = "solution"
        elif meta.get("grade"):
            role = "test"
        else:
            role = "given"
        yield Cell(grade_id, role, cell.source)
