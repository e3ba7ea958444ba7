"""The labs are nbgrader assignments: labs/<lab>/ is exactly what nbgrader generates from
labs/solutions/<lab>/, and the solution notebooks pass nbgrader validate."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LABS = sorted(p.name for p in (ROOT / "labs" / "solutions").iterdir() if p.is_dir())
BIN = Path(sys.executable).parent
ENV = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}  # nbgrader runs alembic


def notebooks(folder):
    return {p.relative_to(folder): json.loads(p.read_text()) for p in folder.rglob("*.ipynb")}


@pytest.mark.parametrize("lab", LABS)
def test_the_student_notebook_is_what_nbgrader_generates(lab, tmp_path):
    course = tmp_path / "labs"
    shutil.copytree(ROOT / "labs" / "solutions", course / "solutions")
    shutil.copy(ROOT / "labs" / "nbgrader_config.py", course)
    run = subprocess.run([BIN / "nbgrader", "generate_assignment", lab, "--force"],
                         cwd=course, env=ENV, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    assert notebooks(course / lab) == notebooks(ROOT / "labs" / lab), (
        f"labs/{lab} differs from nbgrader's output: run `make labs` and commit the result")


@pytest.mark.slow
@pytest.mark.parametrize("lab", LABS)
def test_the_solution_notebook_passes_nbgrader_validate(lab):
    (source,) = (ROOT / "labs" / "solutions" / lab).glob("*.ipynb")
    run = subprocess.run([BIN / "nbgrader", "validate", source], cwd=ROOT / "labs", env=ENV,
                         capture_output=True, text=True, timeout=600)
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
