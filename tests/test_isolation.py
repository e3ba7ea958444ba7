"""A submission cannot change the course. Hostile Lab 1 notebooks -- each answer cell tries
something, then defines the right encode -- graded as a class in a copy of the repository:
under bubblewrap every write fails, the class folder reads as empty, and the copy is
byte-identical afterwards; without it, the batch stops at the submission that changed the
course's files, and names it."""

import json
import os
import pwd
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest

import lab_variants
from autograder import notebook, sandbox
from autograder.result import PASSING

ROOT = Path(__file__).resolve().parent.parent
SOLUTION = ROOT / "labs" / "solutions" / "01-escape" / "escape.ipynb"
ENCODE = notebook.solutions(nbformat.read(SOLUTION, as_version=4))["encode"]
SECRET = "hers" + " alone"  # in alice's notebook; written in two parts so no other holds it
HOME = Path(pwd.getpwuid(os.getuid()).pw_dir)  # the grader's user's, not the sandbox's $HOME


def attacks(course, folder, trace):
    """name -> what that student's encode cell does before defining encode."""
    def attempt(code):  # it goes on to the right answer whatever happens
        return f"try:\n    {code}\nexcept OSError:\n    pass\n"

    source = course / "labs" / "solutions" / "01-escape" / "escape.ipynb"
    return {
        "checks-file": attempt(f"open({str(course / 'autograder' / 'labs' / '01-escape.toml')!r}"
                               ", 'a').write('\\n# tampered\\n')"),
        "hidden-test": attempt(f"p = __import__('pathlib').Path({str(source)!r}); "
                               "p.write_text(p.read_text().replace('assert ', 'assert True or '))"),
        "pool-package": attempt(f"open({str(course / 'reference' / 'pool' / 'buffers.py')!r}, "
                                "'a').write('\\n# tampered\\n')"),
        "reader": (f"import glob\nfound = [line for p in glob.glob({str(folder)!r} + '/*') "
                   f"for line in open(p) if {SECRET[:4]!r} + {SECRET[4:]!r} in line]\n"
                   "print(*found)\nif found:\n    raise RuntimeError('read: ' + found[0])\n"),
        "home": attempt(f"open({str(HOME / trace)!r}, 'w').write('was here')"),
    }


def write_class(folder, course, names, trace):
    """alice's honest notebook, and one hostile notebook for each of names, in folder."""
    folder.mkdir()
    lab_variants.variant(SOLUTION, folder / "alice.ipynb", {"encode": f"{ENCODE}\n# {SECRET}"})
    hostile = attacks(course, folder, trace)
    for name in names:
        lab_variants.variant(SOLUTION, folder / f"mallory-{name}.ipynb",
                             {"encode": hostile[name] + ENCODE})


def grade(course, folder, out, *flags, env=()):
    """Grade folder as a class with the copy's own grader (and its pool), in the copy, run as
    a learner runs it: by the copy's .venv, a link to this one under pytest's folder in /tmp,
    which bubblewrap replaces."""
    return subprocess.run(
        [str(course / ".venv" / "bin" / Path(sys.executable).name), "-m", "autograder",
         "grade", "01-escape", str(folder), "--csv", str(out / "grades.csv"), "--json", str(out / "grades.json"), *flags],
        cwd=course, capture_output=True, text=True, timeout=900,
        env={**os.environ, "PYTHONPATH": f"{course}{os.pathsep}{course / 'reference'}",
             "PYTHONDONTWRITEBYTECODE": "1", **dict(env)})


# Without bubblewrap, as the grader's own user: whether a run could drop to uid 65534 instead
# depends on where this Python is installed (not under a private /root), and these tests show
# what the batch's seal does when nothing else stops a write.
WITHOUT_BWRAP = {sandbox.NO_BWRAP: "1", sandbox.NO_DROP: "1"}


def snapshot(top):
    """{path: bytes} of every file under top (the shared .venv is a link: not followed)."""
    return {path: path.read_bytes() for path in Path(top).rglob("*")
            if path.is_file() and not path.is_symlink()}


@pytest.fixture
def outside_tmp():
    """A scratch folder outside /tmp, which bubblewrap replaces as a whole anyway: a class
    folder here is hidden by its own mount, or not at all."""
    with tempfile.TemporaryDirectory(dir="/var/tmp", prefix="class-") as folder:
        yield Path(folder)


def needs_bwrap():
    """Fail without bubblewrap where it is required (CI: .ci/run installs it), else skip, as
    the browser tests do: `make test` on a fresh machine needs only python3 and make."""
    isolation = sandbox.isolation()
    if not isolation.bwrap:
        message = (f"these tests grade under bubblewrap, which cannot run here: "
                   f"{isolation.missing}")
        if os.environ.get("REQUIRE_ISOLATION"):
            pytest.fail(message)
        pytest.skip(message)


def test_under_bubblewrap_no_hostile_submission_changes_or_reads_anything(clone, outside_tmp,
                                                                           tmp_path):
    needs_bwrap()
    trace = f"graded-{uuid.uuid4().hex}"
    folder = outside_tmp / "class"
    write_class(folder, clone, ["checks-file", "hidden-test", "pool-package", "reader", "home"],
                trace)
    course, students = snapshot(clone), snapshot(folder)
    run = grade(clone, folder, tmp_path, "--require-isolation")
    # Every notebook ends with the reference's answer: each check passes but the latency one,
    # whose verdict depends on how busy the machine is and is not what is tested here.
    assert run.returncode in (0, 1), run.stdout[-3000:] + run.stderr[-3000:]
    reports = json.loads((tmp_path / "grades.json").read_text())
    failed = {Path(r["submission"]).stem: [c["id"] for c in r["checks"] if c["kind"] != "latency"
                                           and c["status"] not in PASSING]
              for r in reports}
    assert len(failed) == 6 and not any(failed.values()), failed
    assert snapshot(clone) == course, "a submission changed the copy of the course"
    assert snapshot(folder) == students, "a submission changed the class folder"
    assert not (HOME / trace).exists(), "a submission wrote into the home directory"
    assert SECRET not in run.stdout + run.stderr + (tmp_path / "grades.json").read_text()
    (report, *_) = json.loads((tmp_path / "grades.json").read_text())
    assert report["isolation"].startswith("bubblewrap: read-only filesystem")


@pytest.mark.parametrize("attack, changed", [
    ("checks-file", "autograder/labs/01-escape.toml"),
    ("hidden-test", "labs/solutions/01-escape/escape.ipynb"),
    ("pool-package", "reference/pool/buffers.py"),
])
def test_without_bubblewrap_the_batch_stops_at_the_submission_that_changed_the_course(
        clone, tmp_path, attack, changed):
    folder = tmp_path / "class"
    write_class(folder, clone, [attack], "unused")
    run = grade(clone, folder, tmp_path, env=WITHOUT_BWRAP)
    assert run.returncode == 2, run.stdout[-3000:] + run.stderr[-3000:]
    assert f"error: grading stopped at {folder / f'mallory-{attack}.ipynb'}" in run.stderr
    assert f"{clone / changed}" in run.stderr, run.stderr
    assert (clone / changed).read_bytes() != (ROOT / changed).read_bytes(), "put back silently"
    assert not (tmp_path / "grades.csv").exists(), "grades written after the course changed"


def test_without_bubblewrap_a_submission_reads_the_class_folder(clone, outside_tmp, tmp_path):
    """The reader above does find alice's notebook when nothing hides it: its finding nothing
    under bubblewrap is the isolation's doing."""
    folder = outside_tmp / "class"
    write_class(folder, clone, ["reader"], "unused")
    run = grade(clone, folder, tmp_path, env=WITHOUT_BWRAP)
    assert run.returncode == 1, run.stdout[-3000:] + run.stderr[-3000:]
    reader = json.loads((tmp_path / "grades.json").read_text())[1]
    assert any("RuntimeError: read:" in c["detail"] and SECRET in c["detail"]
               for c in reader["checks"]), reader
    assert reader["isolation"].startswith("no filesystem isolation (bubblewrap turned off")


def test_require_isolation_without_bubblewrap_says_how_to_install_it(tmp_path):
    run = subprocess.run([sys.executable, "-m", "autograder", "grade", "01-escape", str(SOLUTION),
                          "--require-isolation"], cwd=ROOT, capture_output=True, text=True,
                         timeout=120, env={**os.environ, "PATH": str(Path(sys.executable).parent)})
    assert run.returncode == 2
    assert "bubblewrap is not installed: install bubblewrap (Debian, Ubuntu: apt-get install " \
        "bubblewrap" in run.stderr, run.stderr


@pytest.mark.parametrize("bwrap, says", [
    (True, "another process changed them while the batch ran"),
    (False, "restore it, and grade again -- with bubblewrap"),
])
def test_a_changed_course_file_stops_the_batch_with_the_advice_that_fits(tmp_path, monkeypatch,
                                                                         bwrap, says):
    """Under bubblewrap no submission can have written the file, so the advice is not to
    install bubblewrap but to let whatever else edits the course finish."""
    (tmp_path / "checks.toml").write_text("points = 1\n")
    seal = sandbox.Seal([tmp_path])
    seal.check("alice.ipynb")  # nothing changed: no error
    (tmp_path / "checks.toml").write_text("points = 100\n")
    monkeypatch.setattr(sandbox, "isolation", lambda: SimpleNamespace(bwrap=bwrap))
    with pytest.raises(sandbox.Tampered) as stopped:
        seal.check("alice.ipynb")
    assert "grading stopped at alice.ipynb" in str(stopped.value)
    assert str(tmp_path / "checks.toml") in str(stopped.value)
    assert says in str(stopped.value), stopped.value
