"""The dataset tests never reach the network: sktl's one download function refuses."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _no_dataset_download(monkeypatch):
    from sktl.datasets import _base

    def _refuse(url, path):
        raise AssertionError(f"a dataset test tried to download {url}")

    monkeypatch.setattr(_base, "_download", _refuse)
