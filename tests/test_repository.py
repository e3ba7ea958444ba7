"""The front door: pinned requirements, the Makefile targets the README promises."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def requirement_lines(name):
    lines = (ROOT / name).read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


@pytest.mark.parametrize("name", ["requirements.txt", "requirements-bench.txt",
                                  "requirements-ft.txt"])
def test_every_requirement_is_pinned_exactly(name):
    loose = [line for line in requirement_lines(name)
             if not re.fullmatch(r"[A-Za-z0-9_.\-\[\]]+==[A-Za-z0-9_.+\-]+", line)]
    assert loose == []


# The Pythons a learner has: Debian 12's own python3 (3.11.2, the oldest patch release of the
# oldest version the course supports), and each newer version. The README's "Python versions"
# says which of them the whole suite runs on.
LEARNERS_PYTHONS = ["3.11.2", "3.12", "3.13", "3.14"]


@pytest.fixture(scope="module")
def resolved(tmp_path_factory):
    """{version: (pip's exit status, its stderr)}: requirements.txt resolved by pip for each
    of LEARNERS_PYTHONS, all at once -- each waits on the package index, not on the CPU."""
    folder = tmp_path_factory.mktemp("pins")
    runs = {}
    for version in LEARNERS_PYTHONS:
        errors = open(folder / f"{version}.err", "w+")
        runs[version] = errors, subprocess.Popen(
            [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed",
             "--quiet", "--disable-pip-version-check", "--only-binary=:all:",
             "--python-version", version, "--target", str(folder / version),
             "-r", str(ROOT / "requirements.txt")],
            stdout=subprocess.DEVNULL, stderr=errors, text=True)
    found = {}
    for version, (errors, run) in runs.items():
        with errors:
            status = run.wait(timeout=600)
            errors.seek(0)
            found[version] = status, errors.read()
    return found


@pytest.mark.parametrize("version", LEARNERS_PYTHONS)
def test_the_pins_install_on_every_python_a_learner_has(version, resolved):
    """Resolved by pip for that version, from wheels, without installing anything: a pin that
    needs a newer Python (soupsieve 4.x needs 3.11.5) fails here, not on a learner's machine."""
    status, stderr = resolved[version]
    errors = [line for line in stderr.splitlines() if line.startswith("ERROR")]
    assert status == 0, "\n".join(errors) or stderr[-3000:]


def test_the_course_tools_are_required_and_jupyter_book_is_1x():
    pins = dict(line.lower().split("==") for line in requirement_lines("requirements.txt"))
    for tool in ["jupyter-book", "nbgrader", "jupyterlab", "pytest", "hypothesis", "memray",
                 "pyperf", "matplotlib"]:
        assert tool in pins, tool
    assert pins["jupyter-book"].startswith("1."), "Jupyter Book 2.x cannot build offline"


def test_benchmark_only_pools_are_not_runtime_requirements():
    runtime = {line.split("==")[0].lower() for line in requirement_lines("requirements.txt")}
    assert not runtime & {"pondpond", "syncpool-py", "fastalloc"}


def test_readme_opens_with_the_two_commands_and_they_are_make_targets():
    readme = (ROOT / "README.md").read_text()
    first_block = readme.split("```")[1]
    assert "make book" in first_block and "make test" in first_block
    targets = re.findall(r"`make (\w+)`", readme)
    for target in set(targets):
        dry = subprocess.run(["make", "-n", target], cwd=ROOT, capture_output=True, text=True)
        assert dry.returncode == 0, f"make {target}: {dry.stderr}"


def test_the_packages_import_from_the_environment():
    import autograder
    import measure
    import pool

    assert Path(pool.__file__).parent == ROOT / "reference" / "pool"
    assert Path(autograder.__file__).parent == ROOT / "autograder"
    assert Path(measure.__file__).parent == ROOT / "measure"


WORKFLOWS = [ROOT / "autograder" / "ci" / "grade.yml", ROOT / ".github" / "workflows" / "book.yml"]


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_the_workflows_parse_and_every_make_target_they_call_exists(path):
    import yaml

    flow = yaml.safe_load(path.read_text())
    steps = [step for job in flow["jobs"].values() for step in job.get("steps", [])]
    commands = "\n".join(step.get("run", "") for step in steps)
    targets = re.findall(r"\bmake ([\w-]+)", commands)
    assert targets, f"{path.name} runs no make target"
    for target in targets:
        dry = subprocess.run(["make", "-n", target], cwd=ROOT, capture_output=True, text=True)
        assert dry.returncode == 0, f"{path.name}: make {target}: {dry.stderr}"
