"""The labs are nbgrader assignments: labs/<lab>/ is what nbgrader generates from
labs/solutions/<lab>/ in every cell the lab gives, and the solution notebooks pass nbgrader
validate."""

import json
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from autograder import lab as labs
from autograder import notebook

ROOT = Path(__file__).resolve().parent.parent
LABS = sorted(p.name for p in (ROOT / "labs" / "solutions").iterdir() if p.is_dir())
BIN = Path(sys.executable).parent
ENV = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}  # nbgrader runs alembic


def lab_cells(path):
    """What of a student notebook is the lab's, not the learner's.

    Every cell the lab handed out, with its nbgrader metadata and, except for answer cells,
    its source. An answer cell stands for its stub by the checksum nbgrader keeps in its
    metadata, so a changed stub is still seen, and a learner's answer is not. Outputs, cells
    the learner added, and the notebook's own metadata (Jupyter rewrites it on every save)
    are left out: a learner's work never fails this test, an instructor's forgotten
    `make labs` still does.
    """
    cells = []
    for cell in notebook.read(path).cells:
        meta = cell.metadata.get("nbgrader")
        if meta is None:
            continue  # the learner's own cell
        source = None if meta.get("solution") else cell.source
        cells.append((cell.cell_type, dict(meta), cell.metadata.get("tags", []), source))
    return cells


@pytest.mark.parametrize("lab", LABS)
def test_the_student_notebook_is_what_nbgrader_generates(lab, handed_out):
    made_here = list((handed_out / lab).glob("*.ipynb"))
    assert made_here, f"nbgrader generated no notebook for {lab}"
    for made in made_here:
        assert lab_cells(made) == lab_cells(ROOT / "labs" / lab / made.name), (
            f"labs/{lab}/{made.name} differs from what nbgrader generates from labs/solutions/"
            f"{lab} in a cell the lab gives (answers and your own cells are not compared): "
            "instructors, run `make labs` and commit the result; learners, the grader uses "
            "the lab's own given and test cells whatever your copy holds")


def test_an_answer_that_is_a_number_is_handed_out_as_None_and_code_as_a_raise(handed_out):
    """labs/nbgrader_config.py: a solution region that is one line `NAME = value  # why`, NAME
    in capitals (a prediction), is handed out as `NAME = None  # why`, so the notebook runs top
    to bottom without it; every other answer cell keeps nbgrader's NotImplementedError."""
    values = {}
    for lab in LABS:
        for path in (handed_out / lab).glob("*.ipynb"):
            for cell in notebook.read(path).cells:
                meta = cell.metadata.get("nbgrader", {})
                if cell.cell_type != "code" or not meta.get("solution"):
                    continue
                value = re.fullmatch(r"([A-Z][A-Z0-9_]*) = None  # .+", cell.source)
                if value:
                    values[meta["grade_id"]] = value[1]
                else:
                    assert "raise NotImplementedError()" in cell.source, (lab, cell.source)
    assert values == {"predicted_news": "PREDICTED_NEWS", "predicted_steals": "PREDICTED_STEALS"}


def test_answers_outputs_and_own_cells_are_not_compared_but_a_changed_given_cell_is(
        tmp_path, handed_out):
    import nbformat

    stub = handed_out / "01-escape" / "escape.ipynb"
    nb = nbformat.read(stub, as_version=4)
    cells = {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in nb.cells}
    cells["send_all"].source = "def send_all(messages, send, buffers):\n    pass  # mine\n"
    cells["encode"].outputs = [nbformat.v4.new_output("stream", text="hello\n")]
    nb.cells.insert(3, nbformat.v4.new_code_cell("print('my scratch cell')"))
    nb.metadata["language_info"]["version"] = "3.11.7"  # as Jupyter writes on save
    worked = tmp_path / "worked.ipynb"
    nbformat.write(nb, worked)
    assert notebook.answered(notebook.read(worked)) == ["send_all"]
    assert lab_cells(worked) == lab_cells(stub)
    cells["setup"].source += "\n# a given cell edited, or a source not regenerated"
    nbformat.write(nb, worked)
    assert lab_cells(worked) != lab_cells(stub)
    cells["setup"].source = nbformat.read(stub, as_version=4).cells[2].source
    cells["send_all"].metadata["nbgrader"]["checksum"] = "0" * 32  # another stub was handed out
    nbformat.write(nb, worked)
    assert lab_cells(worked) != lab_cells(stub)


@pytest.fixture(scope="module")
def validated():
    """{lab: nbgrader validate's run} of every solution notebook, two at a time: each runs its
    notebook top to bottom, and what its demo cells measure is shown, not judged."""
    def validate(lab):
        (source,) = (ROOT / "labs" / "solutions" / lab).glob("*.ipynb")
        return subprocess.run([BIN / "nbgrader", "validate", source], cwd=ROOT / "labs",
                              env=ENV, capture_output=True, text=True, timeout=600)

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip(LABS, pool.map(validate, LABS)))


@pytest.mark.slow
@pytest.mark.parametrize("lab", LABS)
def test_the_solution_notebook_passes_nbgrader_validate(lab, validated):
    run = validated[lab]
    assert run.returncode == 0 and "Success!" in run.stdout, run.stdout[-3000:] + run.stderr[-3000:]


@pytest.mark.parametrize("lab", LABS)
def test_every_lab_has_a_checks_file_and_a_student_notebook(lab):
    assert (ROOT / "autograder" / "labs" / f"{lab}.toml").is_file()
    assert list((ROOT / "labs" / lab).glob("*.ipynb"))


@pytest.mark.parametrize("lab", LABS)
def test_functional_points_match_the_notebooks_nbgrader_points(lab):
    """A functional check's points are its test cell's nbgrader points, and every graded code
    cell of the notebook is a check: nbgrader's gradebook and the grader agree."""
    from autograder import lab as labs

    checks = labs.load(lab)
    (source,) = (ROOT / "labs" / "solutions" / lab).glob("*.ipynb")
    nb = json.loads(source.read_text())
    points = {c["metadata"]["nbgrader"]["grade_id"]: c["metadata"]["nbgrader"].get("points")
              for c in nb["cells"] if c["cell_type"] == "code"
              and c["metadata"].get("nbgrader", {}).get("grade")}
    functional = {c.id: c.points for c in checks.checks if c.kind == "functional"}
    assert functional == points


@pytest.mark.parametrize("lab_id, line, broken, message", [
    ("06-pool-off", 'gate = ["test_contract", "test_two_holders"]',
     'gate = ["test_contract", "test_x"]', "gated on test_x, which the lab has no check of"),
    ("02-local", "\nwhy = ", "\n# why = ", "probe lacks why"),
    ("01-escape", 'id = "test_send_all"', 'id = "test_send"', "'test_send' names no test cell"),
    ("06-pool-off", "\nbeat = {", "\nbeaten = {", "expect table names no beat")])
def test_a_checks_file_that_names_what_is_not_there_is_the_labs_error(
        tmp_path, monkeypatch, lab_id, line, broken, message):
    """A gate on a check the lab lacks; a probe that does not say why a Python without its
    effect cannot be measured; a test that is not in the notebook; a score with nothing to
    beat: the instructor's mistake, named as the lab is loaded (each kind's validate)."""
    text = (labs.LABS / f"{lab_id}.toml").read_text()
    assert line in text
    (tmp_path / f"{lab_id}.toml").write_text(text.replace(line, broken))
    monkeypatch.setattr(labs, "LABS", tmp_path)
    with pytest.raises(labs.LabError, match=message):
        labs.load(lab_id)
