# Init Lab: `make book` builds the book, `make test` runs every test. Both set everything up.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt
BOOK_READY := $(VENV)/.book-ready
# One BLAS thread: on a small shared machine (CI, Binder) OpenBLAS' spinning threads are several
# times slower than one, and the chapters' matrices are small.
export OPENBLAS_NUM_THREADS ?= 1
DEV_READY := $(VENV)/.dev-ready

.PHONY: help book pdf test lab notebooks bench clean assignments grade

help:
	@echo "make book   build the HTML book into _build/html"
	@echo "make pdf    print the whole book to _build/pdf/init-lab.pdf (needs Chromium)"
	@echo "make test   run every test (forces the chapters to execute)"
	@echo "make lab    open the chapters as notebooks in JupyterLab"
	@echo "make notebooks  rebuild the Colab notebooks in notebooks/ from the chapters"
	@echo "make bench  print the speed benchmarks"
	@echo "make clean  remove _build (keeps .venv)"
	@echo "make assignments             build student + autograder versions into _build/assignments"
	@echo "make grade SUBMISSIONS=dir   grade a folder of notebooks into _build/grades"
	@echo "                             (optional: ASSIGNMENT=a1 GRADES=dir JOBS=2 MASTERS=dir)"

$(BIN)/python:
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Init Lab needs Python 3.11, found " + sys.version.split()[0] + "; set PYTHON=/path/to/python3.11"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip

$(BOOK_READY): requirements.txt pyproject.toml constraints.txt | $(BIN)/python
	$(PIP) -r requirements.txt -e ".[book]"
	@touch $@

$(DEV_READY): $(BOOK_READY)
	$(PIP) -e ".[book,dev]"
	@touch $@

book: $(BOOK_READY)
	$(BIN)/jupyter-book build . -W -n --keep-going
	@echo
	@echo "The book is built. Open $(CURDIR)/_build/html/index.html"

# The PDF: the single-page HTML build printed by headless Chromium, offline (tools/book_pdf.py).
# A copy goes next to the HTML book, where the instructors' page links it.
PDF := _build/pdf/init-lab.pdf
pdf: $(DEV_READY)
	$(BIN)/jupyter-book build . --builder singlehtml -W -n --keep-going
	$(BIN)/python tools/book_pdf.py _build/singlehtml $(PDF)
	@if [ -d _build/html ]; then cp $(PDF) _build/html/init-lab.pdf; fi

test: $(DEV_READY)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

# As root (the usual case in a container) JupyterLab refuses to start without --allow-root.
lab: $(BOOK_READY)
	PATH="$(CURDIR)/$(BIN):$$PATH" ./postBuild
	$(BIN)/jupyter lab book/ $(if $(filter 0,$(shell id -u)),--allow-root)

# The Colab notebooks (notebooks/, committed): the chapters in plain Markdown with the numbers of
# a fresh build, made by book/_ext/learner_notebooks.py. Run it after changing a chapter.
notebooks: book
	$(BIN)/python book/_ext/learner_notebooks.py _build/jupyter_execute/book notebooks

bench: $(DEV_READY)
	env -u OPENBLAS_NUM_THREADS $(BIN)/python bench/bench_propagation.py
	$(BIN)/python bench/bench_onednn.py
	$(BIN)/python bench/bench_lab.py
	$(BIN)/python bench/bench_playground.py

clean:
	rm -rf _build .pytest_cache .hypothesis

assignments: $(DEV_READY)
	$(BIN)/python -m initlab.course.grading assign $(if $(MASTERS),--masters "$(MASTERS)")

grade: $(DEV_READY)
	@test -n "$(SUBMISSIONS)" || { echo "usage: make grade SUBMISSIONS=folder [ASSIGNMENT=a1] [GRADES=_build/grades] [JOBS=2] [MASTERS=assignments]"; exit 2; }
	$(BIN)/python -m initlab.course.grading grade "$(SUBMISSIONS)" --out "$(or $(GRADES),_build/grades)" \
		$(if $(ASSIGNMENT),--assignment "$(ASSIGNMENT)") $(if $(JOBS),--jobs $(JOBS)) \
		$(if $(MASTERS),--masters "$(MASTERS)")
