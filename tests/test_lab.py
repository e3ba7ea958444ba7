"""`make lab`, a learner's JupyterLab, and `make lab-instructor`, read in headless Chromium: each
started by make, exactly as a person starts it, on a free port and without opening a browser,
with every per-user folder (Jupyter's config, data and runtime folders, IPython's, the
checkpoints') in a scratch home."""

import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import nbformat
import psutil
import pytest

from autograder import sandbox
from conftest import SHOTS, headless_chromium

ROOT = Path(__file__).resolve().parent.parent
# The line JupyterLab prints for the learner to open.
PRINTED_URL = re.compile(r"http://127\.0\.0\.1:(\d+)/lab\?token=(\w+)")
NOTEBOOK = "01-escape/escape.ipynb"
# The title the notebook opens with, as JupyterLab renders it.
HEADING = nbformat.read(ROOT / "labs" / NOTEBOOK, as_version=4).cells[0].source.splitlines()[0]
HEADING = HEADING.lstrip("# ")
# What git, pytest and the browser tests write themselves: not the server's doing.
NOT_THE_SERVERS = {".git", ".pytest_cache", ".hypothesis", "__pycache__", "test-results"}


def repository_files():
    """Every folder of the repository, and every file with its size and modification time."""
    found = {}
    for folder, subfolders, names in os.walk(ROOT):
        subfolders[:] = [d for d in subfolders
                         if d not in NOT_THE_SERVERS and not d.startswith(".venv")]
        for name in subfolders + names:
            path = os.path.join(folder, name)
            stat = os.stat(path)
            found[os.path.relpath(path, ROOT)] = (
                "folder" if name in subfolders else (stat.st_size, stat.st_mtime_ns))
    return found


class Lab:
    """`make <target>` running in the background, until stop()."""

    def __init__(self, target, scratch):
        self.home = scratch / "home"
        self.home.mkdir()
        self.log = scratch / f"{target}.log"
        env = {name: value for name, value in os.environ.items()
               if not name.startswith(("JUPYTER", "IPYTHON", "XDG_"))}
        env.update(HOME=str(self.home), TMPDIR=str(scratch))
        with open(self.log, "w") as log:
            self.make = subprocess.Popen(
                ["make", "--no-print-directory", target, f"VENV={sys.prefix}",
                 "LAB_FLAGS=--port=0 --no-browser"],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 90
        while not (printed := PRINTED_URL.search(self.log.read_text())):
            if self.make.poll() is not None or time.monotonic() > deadline:
                self.stop()
                pytest.fail(f"make {target} printed no URL to open:\n{self.output()}")
            time.sleep(0.2)
        self.url, self.port, self.token = printed.group(0), printed.group(1), printed.group(2)

    def output(self):
        return self.log.read_text()[-4000:]

    def served(self, path):
        """Whether the server answers path with anything but 404 (an extension is loaded)."""
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}",
                                         headers={"Authorization": f"token {self.token}"})
        try:
            with urllib.request.urlopen(request, timeout=30):
                return True
        except urllib.error.HTTPError as error:
            return error.code != 404

    def stop(self):
        """Stop make and JupyterLab, and return the command lines of what was still running a
        minute later (a kernel, say), killed."""
        try:
            os.killpg(self.make.pid, signal.SIGTERM)  # the server shuts its kernels down
        except ProcessLookupError:
            pass
        self.make.wait(timeout=60)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and self.processes():
            time.sleep(0.2)
        left = []
        for process in self.processes():
            try:
                left.append(process.cmdline())
                process.kill()
            except psutil.NoSuchProcess:
                continue
        return left

    def processes(self):
        """The processes that run with this lab's scratch home: make, the server, its kernels."""
        found = []
        for process in psutil.process_iter():
            try:
                if process.environ().get("HOME") == str(self.home):
                    found.append(process)
            except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
                continue
        return found


def nbgrader_and_news_shown(driver, lab):
    """Open Lab 1 in the lab at `lab`, check that it opened, and name what it shows of nbgrader's
    tools and of JupyterLab's news."""
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    def texts(css):
        return [element.text.strip() for element in driver.find_elements(By.CSS_SELECTOR, css)]

    driver.get(lab.url.replace("/lab?", f"/lab/tree/{NOTEBOOK}?"))  # the printed URL, opening Lab 1
    wait = WebDriverWait(driver, 60)
    try:
        wait.until(lambda d: HEADING in texts(".jp-Notebook .jp-RenderedMarkdown h1"))
    except TimeoutException:
        pytest.fail(f"{NOTEBOOK} did not open: no heading {HEADING!r}\n{lab.output()}")
    # nbgrader's notebook toolbar button is the learner's, and proves its JupyterLab extension
    # was loaded: what is missing below was turned off, not broken.
    try:
        wait.until(lambda d: "Validate" in texts(".jp-Toolbar .jp-ToolbarButtonComponent"))
        shown = ["Validate button"]
    except TimeoutException:
        shown = []
    if "Nbgrader" in texts("#jp-MainMenu .lm-MenuBar-itemLabel"):
        shown.append("Nbgrader menu")
    side_tabs = [tab.get_attribute("title") or tab.text for tab in
                 driver.find_elements(By.CSS_SELECTOR, ".jp-SideBar .lm-TabBar-tab")]
    if any("Create Assignment" in title for title in side_tabs):
        shown.append("Create Assignment panel")

    # The command palette (Ctrl+Shift+C) lists nbgrader's commands under its own category.
    driver.find_element(By.TAG_NAME, "body").send_keys(Keys.CONTROL, Keys.SHIFT, "c")
    search = wait.until(lambda d: d.find_element(By.CSS_SELECTOR, ".lm-CommandPalette-input"))
    search.send_keys("nbgrader")
    time.sleep(0.5)  # the palette filters as it is typed into
    commands = texts(".lm-CommandPalette-item .lm-CommandPalette-itemLabel")
    if commands:
        shown.append("nbgrader commands: " + ", ".join(commands))
    search.send_keys(Keys.ESCAPE)

    for path, extension in [("/formgrader", "Formgrader"), ("/formgraders", "Course List"),
                            ("/assignments", "Assignment List")]:
        if lab.served(path):
            shown.append(f"{extension} server extension")
    # JupyterLab asks its news question as soon as it has loaded its settings, before it
    # opens a notebook: by now it would be showing.
    if any("Jupyter news" in toast for toast in texts(".Toastify__toast")):
        shown.append("news pop-up")
    return shown


@pytest.fixture(scope="module")
def chromium(tmp_path_factory):
    driver = headless_chromium(tmp_path_factory.mktemp("lab-chromium"))
    yield driver
    driver.quit()


def kernel_settings(lab):
    """Of each kernel the lab started, the settings the grader measures under, as it has them."""
    kernels = []
    for process in lab.processes():
        try:
            if any("ipykernel" in part for part in process.cmdline()):
                environ = process.environ()
                kernels.append({name: environ.get(name) for name in sandbox.MEASURED_UNDER})
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
    return kernels


def read_lab(target, chromium, scratch):
    """Start `make <target>`, read Lab 1 in it, stop it: what it showed, what was left running,
    and how the repository changed."""
    before = repository_files()
    lab = Lab(target, scratch)
    try:
        shown = nbgrader_and_news_shown(chromium, lab)
        SHOTS.mkdir(parents=True, exist_ok=True)
        chromium.save_screenshot(str(SHOTS / f"make-{target}.png"))
        lab.kernels = kernel_settings(lab)
    finally:
        left = lab.stop()
    after = repository_files()
    changed = sorted(path for path in before.keys() | after.keys()
                     if before.get(path) != after.get(path))
    return lab, shown, left, changed


def test_make_lab_opens_a_lab_without_nbgrader_s_instructor_tools_or_news(chromium, tmp_path):
    lab, shown, left, changed = read_lab("lab", chromium, tmp_path)
    assert shown == ["Validate button"], lab.output()
    # Its kernels measure as the grader's processes do: the notebook's timings match the grade.
    assert lab.kernels and all(k == sandbox.MEASURED_UNDER for k in lab.kernels), lab.kernels
    assert left == [], "still running after the server stopped"
    assert changed == [], "the server wrote into the repository"
    checkpoints = list((lab.home / ".local" / "state" / "pooling-in-depth").rglob("*.ipynb"))
    assert [path.name for path in checkpoints] == ["escape-checkpoint.ipynb"]


def test_make_lab_instructor_has_them_and_no_news(chromium, tmp_path):
    """The same reading finds what an instructor needs: it can tell the two labs apart."""
    lab, shown, left, changed = read_lab("lab-instructor", chromium, tmp_path)
    assert {"Validate button", "Nbgrader menu", "Create Assignment panel",
            "Formgrader server extension"} <= set(shown), shown
    assert any(item.startswith("nbgrader commands:") for item in shown), shown
    assert "news pop-up" not in shown
    assert left == [] and changed == []
