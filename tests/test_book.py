"""`make book`'s build: the website builds offline, warnings as errors, code executed."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_the_book_builds_with_warnings_as_errors_and_runs_its_code(tmp_path):
    book = tmp_path / "book"
    shutil.copytree(ROOT / "book", book, ignore=shutil.ignore_patterns("_build"))
    jb = Path(sys.executable).parent / "jupyter-book"
    env = {**os.environ, "PATH": f"{jb.parent}{os.pathsep}{os.environ['PATH']}"}
    run = subprocess.run([str(jb), "build", str(book), "--warningiserror", "--nitpick",
                          "--keep-going"], capture_output=True, text=True, env=env, timeout=600)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    index = (book / "_build" / "html" / "intro.html").read_text()
    assert "pool.Pool get + put" in index  # the measured table, printed by executed code
    assert "Traceback" not in index
