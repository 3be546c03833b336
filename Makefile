# The two commands: `make run` and `make test`. Both set everything up on a fresh machine.
# `make test-fast` is the quick loop while working: everything but the browser, LibreOffice and benchmark tests.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
DB ?= data/ropa.duckdb
PORT ?= 8501

.PHONY: run test test-fast lint typecheck pytest bench demo clean

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is required ($(PYTHON) not found)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# The pinned requirements, then the project itself in editable mode (the `ropa` command).
$(VENV)/.installed: requirements.txt requirements-dev.txt pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	$(BIN)/python -m pip install --quiet --no-deps --editable .
	touch $@

$(DB): | $(VENV)/.installed
	$(BIN)/ropa --db $(DB) init --demo

demo: $(VENV)/.installed
	$(BIN)/ropa --db $(DB) init --demo --force

run: $(VENV)/.installed $(DB)
	ROPA_DB=$(DB) $(BIN)/streamlit run app.py --server.port $(PORT) --server.headless true \
		--browser.gatherUsageStats false

lint: $(VENV)/.installed
	$(BIN)/ruff check .

typecheck: $(VENV)/.installed
	$(BIN)/mypy

# Two workers (the CI machine's cores); an idle worker takes tests from the other's queue, so the slow browser
# and LibreOffice files do not leave one core waiting at the end. Compiled modules are kept between runs even
# where the environment says not to write them (PYTHONDONTWRITEBYTECODE, set in many container images): each
# worker would otherwise compile every module and rewrite every test module's asserts again, about 3 s of CPU.
PYTEST_ARGS ?= -n 2 --dist worksteal
PYTEST := PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest

# Property tests try their full count of examples, the same every run (tests/properties.py says why).
pytest: $(VENV)/.installed
	HYPOTHESIS_PROFILE=ci $(PYTEST) $(PYTEST_ARGS)

test: $(VENV)/.installed $(DB) lint typecheck pytest

FAST_MARKERS := not browser and not libreoffice and not bench_smoke

# Property tests try a fifth of their examples, new ones each run; `make test` tries them all.
test-fast: $(VENV)/.installed
	HYPOTHESIS_PROFILE=dev $(PYTEST) $(PYTEST_ARGS) -m "$(FAST_MARKERS)"

bench: $(VENV)/.installed
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache build *.egg-info
