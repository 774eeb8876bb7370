"""Fixtures of the transfer tests: composition-like data and a small fitted source network."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from tlrl_helpers import FAST, make_fractions

from sktl.transfer import DeepMLPRegressor


@pytest.fixture(scope="module")
def source_data():
    rng = np.random.default_rng(1)
    X = make_fractions(400, rng)
    w = rng.normal(size=86)
    y = X @ w + 0.5 * np.sin(3 * X @ w)
    return X, y, w


@pytest.fixture(scope="module")
def source_model(source_data):
    X, y, _ = source_data
    torch.set_num_threads(1)
    return DeepMLPRegressor(**FAST, max_epochs=40, early_stopping=False).fit(X, y)
