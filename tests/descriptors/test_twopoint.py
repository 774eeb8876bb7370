"""TwoPointStatsTransformer and the PyMKS-style pipeline."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.decomposition import PCA
from sklearn.linear_model import LinearRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import PolynomialFeatures

from sktl.descriptors import TwoPointStatsTransformer


def _brute_force_s2(m):
    h, w = m.shape
    out = {}
    for dy in range(-(h // 2), h - h // 2):
        for dx in range(-(w // 2), w - w // 2):
            out[(dy, dx)] = np.mean(m * np.roll(m, (-dy, -dx), axis=(0, 1)))
    return out


def test_matches_brute_force_and_volume_fraction(rng):
    X = (rng.random((3, 8, 6)) > 0.6).astype(np.uint8)
    t = TwoPointStatsTransformer(cutoff=2).fit(X)
    S = t.transform(X)
    names = t.get_feature_names_out()
    assert S.shape == (3, 25) and len(names) == 25
    for i in range(3):
        ref = _brute_force_s2(X[i].astype(float))
        for name, value in zip(names, S[i]):
            dy, dx = (int(p[2:]) for p in name.split("_")[1:])
            assert value == pytest.approx(ref[(dy, dx)])
        assert S[i][list(names).index("s2_dy0_dx0")] == pytest.approx(X[i].mean())
    full = TwoPointStatsTransformer().fit_transform(X)
    assert full.shape == (3, 48)


def test_pymks_pipeline(rng):
    X = (rng.random((40, 16, 16)) < rng.uniform(0.2, 0.8, (40, 1, 1))).astype(np.float32)
    y = X.mean(axis=(1, 2)) ** 2
    pipe = make_pipeline(
        TwoPointStatsTransformer(cutoff=3), PCA(3), PolynomialFeatures(2), LinearRegression()
    )
    assert pipe.fit(X, y).score(X, y) > 0.95


def test_errors(rng):
    X = rng.random((4, 8, 8))
    with pytest.raises(ValueError, match="binary"):
        TwoPointStatsTransformer().fit(X)
    assert TwoPointStatsTransformer(threshold=0.5).fit_transform(X).shape == (4, 64)
    with pytest.raises(ValueError, match="channels"):
        TwoPointStatsTransformer().fit(np.zeros((2, 8, 8, 3)))
    bad = (X > 0.5).astype(float)
    bad[0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        TwoPointStatsTransformer().fit(bad)
