"""Test-session setup: scipy's array-API mode for scikit-learn's checks; the doctests: the examples in sktl's docstrings (``pytest`` runs them, see the
``--doctest-modules`` and ``testpaths`` of pyproject.toml).

``tests/conftest.py`` is not seen by the modules under ``sktl/``; this file is, and acts on
doctest items only (the test suite keeps its own fixtures): no network, one torch thread,
seeded RNGs (restored afterwards) and a temporary working directory (an example that writes
a file writes it there).
"""

from __future__ import annotations

import os
import sys

# scikit-learn's array-API common checks (check_array_api_input on numpy, which sktl's
# estimators must pass; they do not claim array_api_support) run only in scipy's array-API
# mode, which has to be chosen before scipy is first imported.
os.environ.setdefault("SCIPY_ARRAY_API", "1")
if "scipy" in sys.modules and os.environ["SCIPY_ARRAY_API"] == "1":  # pragma: no cover
    import warnings

    warnings.warn(
        "scipy was imported before conftest.py: the array-API checks will skip", stacklevel=1
    )

import pytest  # noqa: E402
from _pytest.doctest import DoctestItem


def _refuse(*args, **kwargs):
    raise OSError(f"network disabled in doctests (tried {args[0] if args else kwargs})")


@pytest.fixture(autouse=True)
def _doctest_environment(request):
    if not isinstance(request.node, DoctestItem):
        yield
        return
    import numpy as np
    import torch

    from sktl.backbones import _torchvision_weights
    from sktl.datasets import _base

    monkeypatch = request.getfixturevalue("monkeypatch")
    monkeypatch.setattr(_torchvision_weights, "_download", _refuse)
    monkeypatch.setattr(_base, "_download", _refuse)
    monkeypatch.chdir(request.getfixturevalue("tmp_path"))
    legacy_state = np.random.get_state()  # noqa: NPY002 - restored below
    np.random.seed(0)  # noqa: NPY002 - some libraries still draw from the legacy global RNG
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(0)
            yield
    finally:
        torch.set_num_threads(threads)
        np.random.set_state(legacy_state)  # noqa: NPY002
