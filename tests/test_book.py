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

from conftest import SHOTS, headless_chromium

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = ["intro", "escape", "local", "victim", "steal", "fallback", "when-not-to-pool",
            "references", "glossary"]


# Fences whose body is code, not prose: a language name, a code cell, an included file.
CODE_FENCE = re.compile(r"^(`{3,}|~{3,})\s*"
                        r"(\{(code-cell|literalinclude|code-block|code)\}|\w[\w+-]*)?")
INLINE_CODE_OR_GLUE = re.compile(r"(\{glue(:\w+)?\})?`[^`]*`")
# A measured figure in prose: a number (or range) followed by a time unit or a ratio sign.
TIMING = re.compile(r"(?<![\w.])\d[\d,]*(\.\d+)?(\s*[-\u2013]\s*\d[\d,]*(\.\d+)?)?"
                    r"\s*(ns|us|\u00b5s|\u03bcs|ms|x|\u00d7)(?!\w)")
# A measured comparison stated without a number: only the cell that measured it may say it.
COMPARISON = re.compile(r"\b(about as much as|as much as|(several|many|\d[\d.]*) times "
                        r"(faster|slower|as much)|crossover at)\b", re.IGNORECASE)


def prose_sentences(markdown):
    """The sentences of a MyST page that a reader reads as text: code fences, code cells,
    included files and front matter dropped; directives such as admonitions and glossaries
    kept (their body is prose). A glue role is kept as a marker: its value is measured."""
    lines, fence = [], None
    body = markdown.split("\n---\n", 1)[1] if markdown.startswith("---\n") else markdown
    for line in body.splitlines():
        if fence:
            if line.strip() == fence:
                fence = None
            continue
        opened = CODE_FENCE.match(line.strip())
        if opened and opened.group(2):
            fence = opened.group(1)
            continue
        if re.match(r"^\s*(`{3,}|:{3,}|~{3,})", line) or re.match(r"^\s*:\w[\w-]*:", line):
            continue  # a directive's own fence or option line, not its body
        lines.append(line)
    text = INLINE_CODE_OR_GLUE.sub(lambda m: " GLUED " if m.group(1) else " CODE ",
                                   "\n".join(lines))
    return [s.strip() for s in re.split(r"(?<=[.!?:])\s+|\n\s*\n", text) if s.strip()]


def hard_coded_measurements(markdown):
    """Sentences that state a timing or a measured comparison not taken from the build."""
    return [s for s in prose_sentences(markdown)
            if TIMING.search(s) or (COMPARISON.search(s) and "GLUED" not in s)]


@pytest.mark.parametrize("page", CHAPTERS)
def test_no_chapter_hard_codes_a_measurement_in_its_prose(page):
    """A figure or a comparison in a sentence comes from the cell that measured it (glue)."""
    found = hard_coded_measurements((ROOT / "book" / f"{page}.md").read_text())
    assert found == [], f"{page}.md: use {{glue:text}} from the measuring cell: {found}"


def test_the_prose_check_finds_timings_and_comparisons_and_spares_code_and_glue():
    page = """---
kernelspec:
  name: python3
---
# A page

A get costs 64 ns here. Pooling wins 2-3x over allocation.
Two calls cost about as much as allocating a buffer.
Two calls cost {glue:text}`ratio:.1f` times as much as allocating, as measured above.
The timeout is `200 ms`, and fmt drops buffers past 64 KiB.

```{code-cell} ipython3
print(f"{ns:.0f} ns, 3x faster")
```

```go
// 71 us -> 5.6 us
```

:::{admonition} What you may read elsewhere
Pinning costs 20 ns of LOCK XCHG.
:::
"""
    found = hard_coded_measurements(page)
    assert len(found) == 4, found
    assert "64 ns" in found[0] and "2-3x" in found[1] and "about as much" in found[2]
    assert "20 ns" in found[3]


def test_the_legend_of_grouped_bars_covers_no_bar_and_no_label():
    """Chapter 4's stealing figure: its legend once sat on top of the tallest bars."""
    import matplotlib
    matplotlib.use("Agg")
    sys.path.insert(0, str(ROOT / "book"))
    import course
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.8, 3.2))
    course.grouped_bars(ax, ["1P:1C", "2P:1C", "1P:2C", "3P:1C", "1P:3C"],
                        {"new() per get, no stealing": [1.0, 0.98, 1.0, 0.99, 1.0],
                         "new() per get, pool.Pool": [0.02, 0.01, 0.03, 0.01, 0.02],
                         "steals per get, pool.Pool": [0.99, 0.97, 0.98, 0.99, 1.0]})
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    legend = ax.get_legend().get_window_extent(renderer)
    covered = [artist for artist in [*ax.patches, *ax.get_xticklabels()]
               if legend.overlaps(artist.get_window_extent(renderer))]
    plt.close(fig)
    assert covered == []


PREDICT = re.compile(r"^:::\{admonition\} Predict first\n:class: tip predict\n"
                     r"(?P<question>(?:(?!:::).*\n)+?)"
                     r"Write your guess down before you run the cell below\.\n:::\n",
                     re.MULTILINE)
# Chapters that open every measurement with a prediction and end with a self-check.
SELF_CHECKED = ["escape", "local", "victim", "steal", "fallback", "when-not-to-pool"]


def chapter_source(page):
    return (ROOT / "book" / f"{page}.md").read_text()


@pytest.mark.parametrize("page", CHAPTERS)
def test_every_prediction_prompt_has_the_books_one_form_and_a_cell_after_it(page):
    """A reader meets the same box everywhere, and the cell right below it answers it."""
    text = chapter_source(page)
    assert text.count("Predict first") == len(PREDICT.findall(text)), f"{page}: a box differs"
    for box in PREDICT.finditer(text):
        after = text[box.end():].lstrip("\n")
        assert after.startswith("```{code-cell}"), f"{page}: no measuring cell after {box[0]!r}"
        assert box["question"].strip(), page


@pytest.mark.parametrize("page", SELF_CHECKED)
def test_a_self_checked_chapter_predicts_before_each_measurement_section(page):
    sections = re.split(r"^#{2,3} ", chapter_source(page), flags=re.MULTILINE)
    # A section measures when one of its cells hands the prose a number (glue) or draws.
    measuring = [s for s in sections
                 if any(re.search(r"^\s*(glue\(|plt\.|fig, )", cell, re.MULTILINE)
                        for cell in re.findall(r"```\{code-cell\}.*?\n```", s, re.DOTALL))]
    assert measuring, page
    for section in measuring:
        assert PREDICT.search(section), f"{page}: {section.splitlines()[0]!r} predicts nothing"


@pytest.mark.parametrize("page", SELF_CHECKED)
def test_a_chapter_shows_a_measurement_before_its_mechanism(page):
    """A reader sees what a mechanism is for -- measured -- before reading how it works."""
    text = chapter_source(page)
    before, mechanism, _ = text.partition("\n## Mechanism\n")
    cells = re.findall(r"```\{code-cell\}.*?\n```", before, re.DOTALL)
    assert not mechanism or any(re.search(r"^\s*(glue\(|plt\.|fig, )", cell, re.MULTILINE)
                                for cell in cells), f"{page}: the mechanism comes first"


def check_yourself(text):
    """The questions of a page's "Check yourself" section, each with its answer, and the
    headings that follow the section."""
    _, found, rest = text.partition("\n## Check yourself\n")
    assert found, "no Check yourself section"
    body, *later = re.split(r"^## ", rest, flags=re.MULTILINE)
    questions = re.findall(r"^\d+\. ((?:.+\n)+?)\n   :::\{dropdown\} Answer\n"
                           r"((?:   .*\n|\n)+?)   :::$", body, flags=re.MULTILINE)
    return questions, [heading.splitlines()[0] for heading in later], body


@pytest.mark.parametrize("page", SELF_CHECKED)
def test_a_chapter_ends_with_three_to_five_questions_each_with_its_answer(page):
    questions, after, body = check_yourself(chapter_source(page))
    assert 3 <= len(questions) <= 5, f"{page}: {len(questions)} questions"
    assert len(re.findall(r"^\d+\. ", body, flags=re.MULTILINE)) == len(questions), page
    assert all(answer.strip() for _, answer in questions), page
    assert set(after) <= {"Further reading", "References"}, f"{page}: {after} after the check"


def test_a_figure_measured_under_the_graders_settings_says_so():
    """Chapter 1's fixed-threshold column is the grader's setting, not a learner's."""
    text = chapter_source("escape")
    assert "(graded settings: mmap threshold fixed at 128 KiB)" in text


def measured_on():
    sys.path.insert(0, str(ROOT / "book" / "_ext"))
    import measured_on

    return measured_on


def test_the_banner_goes_under_the_title_after_the_front_matter():
    banner = measured_on().insert_banner
    page = "---\nkernelspec:\n  name: python3\n---\n\n# 1. A title\n\nText.\n"
    out = banner(page, "BANNER\n")
    assert out.startswith("---\nkernelspec:") and out.index("# 1. A title") < out.index("BANNER")
    assert out.index("BANNER") < out.index("Text.")
    assert banner("No title here.\n", "BANNER\n").startswith("BANNER")


def test_the_banner_names_this_interpreter_and_whether_the_c_pool_is_built():
    import platform

    import pool

    facts = dict(measured_on().describe())
    assert set(facts) == {"CPU", "CPUs", "Python", "C library", "C pool"}
    assert platform.python_version() in facts["Python"]
    assert facts["C pool"] == pool.fastpool.status()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The book built from a copy of the repository, as `make book` builds it: its HTML."""
    copy = tmp_path_factory.mktemp("site") / "repo"
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(
        ".git", ".venv*", "_build", "test-results", "__pycache__", ".hypothesis",
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


@pytest.mark.parametrize("page", CHAPTERS)
def test_every_page_says_what_its_numbers_were_measured_on(site, page):
    import platform

    html = (site / f"{page}.html").read_text()
    found = re.search(r'<div class="[^"]*\bmeasured-on\b[^"]*">(.*?)</div>', html, re.DOTALL)
    assert found, f"{page}: no banner"
    banner = re.sub(r"<[^>]+>", "", found[1])
    assert "Measured on" in banner and platform.python_version() in banner, page
    for label in ["CPU", "CPUs", "Python", "C library", "C pool"]:
        assert f"{label}:" in banner or f"{label} :" in banner, (page, label)


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
    driver = headless_chromium(site.parent / "chromium-profile")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
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
