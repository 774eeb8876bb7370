"""Shared fixtures: seeded data, the reference data folder, offline guards."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import torch

REPO = Path(__file__).resolve().parents[1]


def shared_data_dir() -> Path:
    """``$SKTL_DATA`` or the ``shared/data`` folder beside the repository."""
    return Path(os.environ.get("SKTL_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture(scope="session", autouse=True)
def _private_dataset_cache(tmp_path_factory):
    """Generated data sets (make_spinodal / make_stiffness with cache_dir=True, the benchmark
    smoke runs) go to a temporary cache, never the user's."""
    before = os.environ.get("SKTL_CACHE")
    os.environ["SKTL_CACHE"] = str(tmp_path_factory.mktemp("sktl-cache"))
    yield
    if before is None:
        del os.environ["SKTL_CACHE"]
    else:
        os.environ["SKTL_CACHE"] = before


@pytest.fixture(autouse=True)
def _seed_and_threads():
    np.random.seed(0)  # noqa: NPY002 - some libraries still draw from the legacy global RNG
    torch.manual_seed(0)
    yield


@pytest.fixture(autouse=True)
def _no_network(monkeypatch):
    """No test may reach the network: the one download function fails loudly."""
    from sktl.backbones import _torchvision_weights

    def _refuse(url):
        raise OSError(f"network disabled in tests (tried {url})")

    monkeypatch.setattr(_torchvision_weights, "_download", _refuse)


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture(scope="session")
def li2018_dir() -> Path:
    path = shared_data_dir() / "microstructures" / "li2018"
    if not path.is_dir():
        pytest.skip(f"reference data not found at {path}; set SKTL_DATA")
    return path


@pytest.fixture(autouse=True)
def _one_torch_thread():
    """Tests use tiny networks: one thread is as fast and immune to a busy machine.

    With the default (all cores), other processes on the machine made small-network training
    10-20x slower (OpenMP threads spinning against each other). Per test, so that code which
    sets the thread count (a benchmark's --threads) does not leak it into the next test.
    """
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)
