# The one entry point. Every target bootstraps .venv itself: a fresh machine needs only
# python3 (3.11+) and make.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# Installed again whenever the pins, the package layout or the C fast path change.
READY  := $(VENV)/.ready
BENCH_READY := $(VENV)/.bench-ready
# nbgrader shells out to alembic, and jupyter-book to jupyter: the venv's bin/ comes first.
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: help book test test-313 test-ft bench lab lab-instructor grade grade-all labs clean distclean

help:
	@echo "make book    build the website into book/_build/html"
	@echo "make test    run every test"
	@echo "make test-313 run every test on CPython 3.13 (with the GIL) as well, in .venv-313"
	@echo "make test-ft run the reference library's tests on free-threaded Python 3.13t, GIL off"
	@echo "make bench   run the pyperf benchmarks into bench/results"
	@echo "make lab     open the labs in a learner's JupyterLab; it prints the URL to open"
	@echo "make lab-instructor   the same with nbgrader's instructor tools (Formgrader...)"
	@echo "             both pass LAB_FLAGS=\"--ip=0.0.0.0 --no-browser\" on to JupyterLab"
	@echo "make grade LAB=01-escape NB=labs/01-escape/escape.ipynb   grade a lab notebook"
	@echo "make grade-all   grade every lab you have started in labs/"
	@echo "make labs    regenerate the student notebooks in labs/ from labs/solutions/ (never over answers)"
	@echo "make clean   remove build outputs (make distclean also removes .venv)"

$(READY): requirements.txt pyproject.toml setup.py reference/pool/_pool.c
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed; found " + sys.version.split()[0] + ". Set PYTHON=/path/to/python3.11")'
	@test -x $(BIN)/python || { echo "creating $(VENV) with $(PYTHON)"; $(PYTHON) -m venv $(VENV); }
	@echo "installing requirements.txt into $(VENV) (first time: a few minutes)"
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@$(BIN)/python -c 'import pool.fastpool as f; print(f.status())'
	@touch $@

$(BENCH_READY): requirements-bench.txt $(READY)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-bench.txt
	@touch $@

# Execution is cached per notebook, keyed on its code cells only: when the code the chapters
# import changes, forget the cache so that every figure is computed again.
BOOK_CODE := $(wildcard reference/pool/*.py) book/course.py
book/_build/.code-stamp: $(BOOK_CODE)
	rm -rf book/_build/.jupyter_cache
	@mkdir -p book/_build && touch $@

book: $(READY) book/_build/.code-stamp
	$(BIN)/jupyter-book build book --warningiserror --nitpick --keep-going
	@echo
	@echo "The book is built. Open file://$(abspath book/_build/html/index.html)"

test: $(READY)
	$(BIN)/python -m pytest

# Every test on CPython 3.13 with the GIL, the newest Python the course is tested on (Debian
# 13's python3), in a venv of its own: PY313=... names one, else tools/python3.13 builds one
# (once, cached in ~/.cache).
test-313:
	@py=$$(tools/python3.13) && $(MAKE) --no-print-directory test VENV=.venv-313 PYTHON=$$py

# The reference library's tests on a free-threaded CPython, with the GIL off: FT_PYTHON=...
# names one, else tools/python3.13 --free-threaded builds one (once, cached in ~/.cache).
FT_VENV  := .venv-ft
FT_TESTS := tests/test_pool.py tests/test_stress.py tests/test_steal.py tests/test_buffers.py \
            tests/test_escape.py tests/test_fallback.py
$(FT_VENV)/.ready: requirements-ft.txt
	@ft=$$(tools/python3.13 --free-threaded) && rm -rf $(FT_VENV) && echo "creating $(FT_VENV) with $$ft" && \
		$$ft -m venv $(FT_VENV)
	$(FT_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-ft.txt
	@touch $@

test-ft: $(FT_VENV)/.ready
	@$(FT_VENV)/bin/python -X gil=0 -c 'import sys; assert not sys._is_gil_enabled(), "the GIL is on"; print("free-threaded", sys.version.split()[0], "- GIL off")'
	PYTHONPATH=reference $(FT_VENV)/bin/python -X gil=0 -m pytest -p no:cacheprovider $(FT_TESTS)

bench: $(BENCH_READY)
	@mkdir -p bench/results
	@echo "pyperf: about 40 benchmarks, each in 6 processes (several minutes)"
	rm -f bench/results/timing.json
	$(BIN)/python bench/timing.py --quiet -o bench/results/timing.json
	$(BIN)/python bench/scaling.py --json bench/results/scaling-gil.json
	@rm -f bench/results/scaling-ft.json
	@if ft=$$(tools/python3.13 --free-threaded --no-build); then \
		PYTHONPATH=reference:. $$ft -X gil=0 bench/scaling.py --json bench/results/scaling-ft.json; fi
	$(BIN)/python bench/report.py
	@echo "Results: bench/results/README.md"

# JupyterLab on labs/, configured for this run only: JUPYTER_CONFIG_PATH puts the course's
# folders in jupyter/ ahead of ~/.jupyter and the venv's config, which stay as they are. It
# starts in labs/, where nbgrader reads nbgrader_config.py (the Formgrader needs the course),
# with the settings every graded process measures under (glibc's mmap threshold...), which
# its kernels inherit: the labs' timings in the notebook are then measured as the grader's.
define jupyter-lab
cd labs && env $$($(abspath $(BIN))/python -m autograder environment) \
	JUPYTER_CONFIG_PATH=$(1)$${JUPYTER_CONFIG_PATH:+:$$JUPYTER_CONFIG_PATH} \
	$(abspath $(BIN))/jupyter lab $(LAB_FLAGS)
endef

lab: $(READY)
	$(call jupyter-lab,$(abspath jupyter/student):$(abspath jupyter/shared))

lab-instructor: $(READY)
	$(call jupyter-lab,$(abspath jupyter/shared))

grade: $(READY)
	@test -n "$(LAB)" -a -n "$(NB)" || { echo "usage: make grade LAB=01-escape NB=labs/01-escape/escape.ipynb (NB may be a folder of notebooks)"; exit 2; }
	$(BIN)/python -m autograder grade $(LAB) $(NB) $(GRADE_FLAGS)

grade-all: $(READY)
	$(BIN)/python -m autograder grade --all labs $(GRADE_FLAGS)

# The student notebooks are made by nbgrader from the sources, never edited by hand -- and
# never over a learner's answers: a notebook that holds some is left as it is, and said so.
labs: $(READY)
	$(BIN)/python -m autograder release --labs-dir labs

clean:
	rm -rf book/_build .pytest_cache .hypothesis
	find . -name __pycache__ -not -path './$(VENV)/*' -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV) .venv-313 $(FT_VENV) build
	rm -f reference/pool/*.so
