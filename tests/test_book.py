"""The website: `make book`'s build (offline, warnings as errors, code executed), then read in
a real browser -- Debian's headless Chromium -- page by page."""

import functools
import http.server
import os
import re
import shutil
import subprocess
import sys
import threading
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlparse

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
SHOTS = ROOT / "test-results" / "screenshots"
CHAPTERS = ["intro", "escape", "local", "victim", "steal", "fallback", "references", "glossary"]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The book built from a copy of the repository, as `make book` builds it: its HTML."""
    copy = tmp_path_factory.mktemp("site") / "repo"
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(
        ".git", ".venv", "_build", "test-results", "__pycache__", ".hypothesis",
        ".pytest_cache"))
    book = copy / "book"
    jb = Path(sys.executable).parent / "jupyter-book"
    env = {**os.environ, "PATH": f"{jb.parent}{os.pathsep}{os.environ['PATH']}"}
    run = subprocess.run([str(jb), "build", str(book), "--warningiserror", "--nitpick",
                          "--keep-going"], capture_output=True, text=True, env=env, timeout=900)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    return book / "_build" / "html"


def test_every_chapter_is_built_with_its_code_run(site):
    for page in CHAPTERS:
        html = (site / f"{page}.html").read_text()
        assert "Traceback" not in html, page
    assert "pool.Pool get + put" in (site / "intro.html").read_text()
    for page in ["escape", "local", "victim", "steal", "fallback"]:
        assert "<img" in (site / f"{page}.html").read_text(), f"{page} has no figure"


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs, self.ids = [], set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag == "a" and attrs.get("href"):
            self.hrefs.append(attrs["href"])


@functools.cache
def parsed(path):
    links = Links()
    links.feed(Path(path).read_text(errors="replace"))
    return links


def test_internal_links_resolve(site):
    broken = []
    for page in sorted(site.rglob("*.html")):
        for href in parsed(page).hrefs:
            if urlparse(href).scheme or href.startswith(("mailto:", "javascript:")):
                continue
            target, fragment = urldefrag(urljoin(page.as_uri(), href))
            path = Path(urlparse(target).path)
            if not path.exists():
                broken.append(f"{page.name}: {href}")
            elif fragment and path.suffix == ".html" and fragment not in parsed(path).ids:
                broken.append(f"{page.name}: {href} (no #{fragment})")
    assert broken == []


@pytest.fixture(scope="module")
def browser(site):
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        message = ("headless Chromium is not installed: apt-get install chromium "
                   "chromium-driver (Debian's packages) to read the site in a browser")
        if os.environ.get("REQUIRE_BROWSER"):
            pytest.fail(message)
        pytest.skip(message)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--window-size=1280,900",
                 f"--user-data-dir={site.parent / 'chromium-profile'}"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    yield driver, base
    driver.quit()
    server.shutdown()


@pytest.mark.parametrize("page", CHAPTERS)
def test_each_page_loads_without_console_errors_and_its_figures_render(browser, page):
    driver, base = browser
    driver.get_log("browser")  # forget what earlier pages logged
    driver.get(base + f"{page}.html")
    driver.execute_script("return document.readyState")
    images = driver.execute_script(
        "return Array.from(document.images).map(i => [i.currentSrc, i.complete, i.naturalWidth])")
    unrendered = [src for src, complete, width in images if not complete or width == 0]
    assert unrendered == [], f"{page}: images that did not render: {unrendered}"
    errors = [entry["message"] for entry in driver.get_log("browser")
              if entry["level"] == "SEVERE"]
    assert errors == [], f"{page}: console errors: {errors}"
    SHOTS.mkdir(parents=True, exist_ok=True)
    height = driver.execute_script("return document.body.scrollHeight")
    driver.set_window_size(1280, min(max(height, 900), 16000))
    driver.save_screenshot(str(SHOTS / f"{page}.png"))
    driver.set_window_size(1280, 900)


def test_the_search_page_finds_victim(browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver, base = browser
    driver.get(base + "search.html?q=victim")
    found = WebDriverWait(driver, 30).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, "#search-results ul.search li"))
    pages = {re.sub(r"[?#].*$", "", a.get_attribute("href").rsplit("/", 1)[-1])
             for li in found for a in li.find_elements(By.TAG_NAME, "a")}
    assert "victim.html" in pages, pages
