"""Say on every page what its numbers were measured on.

Every figure in the book is computed when the book builds, so it belongs to the machine and
the interpreter that built it: the CPU, how many CPUs, the Python version and build (with the
GIL or free-threaded), the C library, and whether pool.FastPool has its C fast path. The
build runs in the environment that executes the chapters, so this module asks that
environment once, when the build starts, and puts the answer under each page's title -- the
chapter files never repeat it.
"""

import os
import platform
import re
import subprocess
import sys
import sysconfig

# The page's first heading, after the notebook's front matter (if any).
TITLE = re.compile(r"^# .*$", re.MULTILINE)


def cpu_model():
    """The CPU's model name as the kernel reports it, else what platform knows."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith(("model name", "Model", "Hardware")):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def cpus():
    """CPUs this process may run on, and CPUs the machine has."""
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    total = os.cpu_count()
    if usable and usable != total:
        return f"{usable} of {total} CPUs usable"
    return f"{total} CPUs"


def python_build():
    """Version and build: free-threaded (and whether the GIL is off right now) or with GIL."""
    version = f"{platform.python_implementation()} {platform.python_version()}"
    if sysconfig.get_config_var("Py_GIL_DISABLED"):
        gil_on = getattr(sys, "_is_gil_enabled", lambda: False)()
        return f"{version}, free-threaded build (GIL {'on' if gil_on else 'off'})"
    return f"{version}, with the GIL"


def libc():
    """The C library whose allocator serves the buffers: glibc's version, or its name."""
    try:
        return os.confstr("CS_GNU_LIBC_VERSION")  # e.g. "glibc 2.36"
    except (AttributeError, ValueError, OSError):
        name, version = platform.libc_ver()
        return f"{name} {version}".strip() or "not glibc"


def fast_path():
    """pool.fastpool.status(), asked of a fresh interpreter so that this build process does
    not import the pool (and install its collector hooks) itself."""
    run = subprocess.run([sys.executable, "-c", "import pool.fastpool as f; print(f.status())"],
                         capture_output=True, text=True, timeout=120)
    if run.returncode != 0:
        return "unknown: `import pool` failed in the build's environment"
    return run.stdout.strip()


def describe():
    """The facts the banner shows, in order: (label, value)."""
    return [("CPU", cpu_model()), ("CPUs", cpus()), ("Python", python_build()),
            ("C library", libc()), ("C pool", fast_path())]


def banner(facts, measures=True):
    """A MyST admonition listing facts, one per line; measures says whether the page runs
    code of its own (a page of prose only speaks for the book)."""
    lines = [f"- **{label}**: {value.replace('`', '')}" for label, value in facts]
    which = "Every number on this page was" if measures else "The book's numbers were"
    return ("\n:::{admonition} Measured on\n:class: measured-on\n"
            f"{which} measured when the book was built, on:\n\n"
            + "\n".join(lines) + "\n:::\n")


def insert_banner(source, text):
    """source with text inserted after its first title (or at the start of its body)."""
    title = TITLE.search(source)
    if title is None:
        return text + "\n" + source
    return source[:title.end()] + "\n" + text + source[title.end():]


_FACTS = None  # computed once per build, before any page is read


def _builder_inited(app):
    global _FACTS
    _FACTS = describe()


def _outdated(app, env, added, changed, removed):
    """Every page is read again when the machine or interpreter changed since the last build:
    a page read before would otherwise keep the old banner."""
    if getattr(env, "measured_on", None) == _FACTS:
        return []
    env.measured_on = _FACTS
    return sorted(env.found_docs - added - changed - removed)


def _source_read(app, docname, source):
    source[0] = insert_banner(source[0], banner(_FACTS, "{code-cell}" in source[0]))


def setup(app):
    app.connect("builder-inited", _builder_inited)
    app.connect("env-get-outdated", _outdated)
    app.connect("source-read", _source_read)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
