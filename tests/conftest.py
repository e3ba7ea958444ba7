import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import pool

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
# Where the browser tests leave a screenshot of what they read, for a person to look at.
SHOTS = ROOT / "test-results" / "screenshots"
# The labs' plausible submissions (bench/variants) and the script that grades them are shared
# by the tests and `bench/lab_variants.py`.
sys.path.insert(0, str(ROOT / "bench"))


class Obj:
    """A pooled object that can be weakly referenced (bytearray cannot)."""

    __slots__ = ("n", "holders", "__weakref__")

    def __init__(self, n=0):
        self.n = n
        self.holders = []


# Every implementation of the pool, as CPython's test_heapq tests both heapq and _heapq: the
# reference, and its C fast path where it is built (pool.FAST; else FastPool is Pool itself).
IMPLEMENTATIONS = [pool.Pool] + ([pool.FastPool] if pool.FAST else [])


@pytest.fixture(params=IMPLEMENTATIONS, ids=lambda cls: cls.__name__)
def Pool(request):  # noqa: N802 -- named as the class it stands for, so tests read Pool(new)
    """pool.Pool, then pool.FastPool: a test that takes this fixture runs for each."""
    return request.param


@pytest.fixture
def quiet():
    """No cleanup happens unless the test calls pool.cleanup() itself."""
    previous = pool.configure(generations=(), interval=3600)
    pool.cleanup()  # start every pool the test touches from a known generation
    yield
    pool.configure(**previous)


@pytest.fixture
def clone(tmp_path):
    """A copy of the course as a learner has it, whose .venv is the one running the tests
    (.venv, or .venv-313 under `make test-313`)."""
    copy = tmp_path / "course"
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(
        ".git", ".venv*", "_build", "test-results", "__pycache__", ".hypothesis",
        ".pytest_cache"))
    venv = Path(sys.prefix)
    (copy / ".venv").symlink_to(venv)
    # Bring the shared venv up to date from this repository first: else a `make` in the copy
    # would reinstall the package from the copy, and this venv would import pool from a
    # folder pytest deletes.
    subprocess.run(["make", "--no-print-directory", f"VENV={venv}", f"{venv}/.ready"],
                   cwd=ROOT, check=True, capture_output=True)
    return copy


@pytest.fixture(scope="session")
def handed_out(tmp_path_factory):
    """The labs folder as `make labs` hands it out, generated from labs/solutions into a
    scratch folder -- not labs/ itself, whose notebooks may hold a learner's answers."""
    from autograder import release

    labs = tmp_path_factory.mktemp("handed-out") / "labs"
    shutil.copytree(ROOT / "labs" / "solutions", labs / "solutions")
    shutil.copy(ROOT / "labs" / "nbgrader_config.py", labs)
    release.release(labs, say=lambda message: None)
    return labs


def in_thread(fn, *args):
    """Run fn(*args) on a new thread and return its result."""
    import threading
    out = []
    t = threading.Thread(target=lambda: out.append(fn(*args)))
    t.start()
    t.join()
    return out[0]


def headless_chromium(profile):
    """Debian's Chromium, headless, driven by selenium, with its profile in the folder profile.
    Without it the test that asked is skipped, saying how to install it -- or fails, under
    REQUIRE_BROWSER=1 (CI)."""
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        message = ("headless Chromium is not installed: apt-get install chromium "
                   "chromium-driver (Debian's packages) to read pages in a browser")
        if os.environ.get("REQUIRE_BROWSER"):
            pytest.fail(message)
        pytest.skip(message)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--window-size=1280,900",
                 f"--user-data-dir={profile}"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    return driver
