"""A learner's day, end to end: answers written into a lab survive `make test`'s consistency
check and `make labs`; `grade --all` grades the started lab and names the others; the grading
cell at the end of a lab shows the table inside Jupyter."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from autograder import notebook

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def answer_lab1(path):
    """Write the reference answers into a Lab 1 student notebook: a learner's work."""
    solved = notebook.solutions(nbformat.read(ROOT / "labs" / "solutions" / "01-escape" /
                                              "escape.ipynb", as_version=4))
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in solved:
            cell.source = solved[grade_id] + "\n# written by me"
    nb.cells.insert(1, nbformat.v4.new_code_cell("print('a cell of my own')"))
    nbformat.write(nb, path)


def test_answers_survive_make_test_and_make_labs_and_grade_all_grades_what_was_started(clone):
    mine = clone / "labs" / "01-escape" / "escape.ipynb"
    answer_lab1(mine)
    written = mine.read_bytes()
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}

    consistency = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         str(clone / "tests" / "test_labs.py"), "-k", "nbgrader_generates"],
        cwd=clone, env=env, capture_output=True, text=True, timeout=600)
    assert consistency.returncode == 0, consistency.stdout[-3000:]

    labs = subprocess.run(["make", "labs"], cwd=clone, env=env, capture_output=True,
                          text=True, timeout=600)
    assert labs.returncode != 0, "make labs must say it left a notebook alone"
    assert "escape.ipynb: left as it is -- it holds answers" in " ".join(labs.stdout.split()), \
        labs.stdout  # (wrapped at the 100th column)
    assert mine.read_bytes() == written, "make labs changed the learner's notebook"

    graded = subprocess.run([sys.executable, "-m", "autograder", "grade", "--all",
                             str(clone / "labs"), "--json", str(clone / "grades.json"),
                             "--summary", str(clone / "summary.md")],
                            cwd=clone, env=env, capture_output=True, text=True, timeout=600)
    assert graded.returncode == 0, graded.stdout[-3000:] + graded.stderr[-3000:]
    assert [r["lab"] for r in json.loads((clone / "grades.json").read_text())] == ["01-escape"]
    assert "not started (no answers yet): 02-local, 03-victim, 04-steal, 05-fallback, 06-pool-off" in \
        graded.stdout
    assert "| 01-escape | 12/12 | passed |" in (clone / "summary.md").read_text()
    assert mine.read_bytes() == written


def run_notebook(path):
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    (last,) = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id")
               == "grade-here"]
    return "".join(o.get("data", {}).get("text/html", "") + o.get("text", "")
                   for o in last.outputs)


def test_the_grading_cell_shows_full_marks_for_the_solution(tmp_path):
    lab = tmp_path / "01-escape"
    shutil.copytree(ROOT / "labs" / "solutions" / "01-escape", lab)
    shown = run_notebook(lab / "escape.ipynb")
    assert "Score 12/12 -- PASSED" in shown, shown[-3000:]
    assert "<table>" in shown and "Grading the saved file escape.ipynb" in shown


def test_the_grading_cell_shows_the_hints_for_the_stub(tmp_path, handed_out):
    lab = tmp_path / "01-escape"
    shutil.copytree(handed_out / "01-escape", lab)
    shown = run_notebook(lab / "escape.ipynb")
    assert "NOT PASSED" in shown and "<i>hint:</i>" in shown, shown[-3000:]
    assert "not implemented: send_all still raises NotImplementedError" in shown


def test_an_answer_run_but_not_saved_is_pointed_out(tmp_path, monkeypatch, handed_out):
    import IPython

    from autograder import jupyter

    saved = tmp_path / "escape.ipynb"
    shutil.copy(handed_out / "01-escape" / "escape.ipynb", saved)
    stubs = notebook.solutions(nbformat.read(saved, as_version=4))
    ran = {"In": ["", "import pool", stubs["encode"],  # run as saved
                  stubs["send_all"].replace("raise NotImplementedError()", "pass")]}  # not saved
    monkeypatch.setattr(IPython, "get_ipython", lambda: type("Shell", (), {"user_ns": ran})())
    assert jupyter.unsaved(saved) == ["send_all"]
    ran["In"].append(stubs["send_all"])  # the saved version run last: nothing to say
    assert jupyter.unsaved(saved) == []


def test_a_kernel_without_the_graders_settings_is_told_which_and_why(monkeypatch):
    """The notebooks print autograder.kernel_note() beside the timings they measure."""
    import autograder
    from autograder import sandbox

    for name, value in sandbox.MEASURED_UNDER.items():
        monkeypatch.setenv(name, value)
    assert autograder.kernel_note() == ""  # as `make lab` starts its kernels
    monkeypatch.delenv("MALLOC_MMAP_THRESHOLD_")
    note = " ".join(autograder.kernel_note().split())
    assert "without the grader's MALLOC_MMAP_THRESHOLD_=131072: glibc" in note, note
    assert "make lab" in note
    assert max(map(len, autograder.kernel_note().splitlines())) <= 100
    monkeypatch.setenv("MALLOC_MMAP_THRESHOLD_", "131072")
    monkeypatch.setenv("PYTHONHASHSEED", "1")
    assert "PYTHONHASHSEED=0: times here can differ" in " ".join(autograder.kernel_note().split())
