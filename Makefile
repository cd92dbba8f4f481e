# The two commands of the README: `make book` (the main job) and `make test`; `make demo` is a short tour.
# Both create .venv on first use and install the project into it from pyproject.toml.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test book clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]' 2>&1 | { grep -v 'is ignored: it is neither a file nor a directory' || true; }
	touch $@

demo: $(BIN)/.installed
	$(BIN)/python -m hpolib demo

book: $(BIN)/.installed  # every study at the quick profile, then its book in _build/quick
	$(BIN)/python -m hpolib run all --profile quick --jobs 2
	$(BIN)/python -m hpolib book --profile quick

test: $(BIN)/.installed  # lint and types, the suite, then the nbval baselines again on generic vector units, 1 thread
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest
	ATEN_CPU_CAPABILITY=default ONEDNN_MAX_CPU_ISA=SSE41 OMP_NUM_THREADS=1 $(BIN)/python -m pytest -p no:cacheprovider \
		tests/notebooks

clean:
	rm -rf $(VENV) runs *.egg-info
