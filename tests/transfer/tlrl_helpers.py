"""Helpers shared by the transfer tests (a uniquely named module: ``conftest`` is ambiguous)."""

from __future__ import annotations

import numpy as np

TINY_ARCH = "32x2D-16x2-8x1-1"
FAST = dict(architecture=TINY_ARCH, lr=1e-2, batch_size=32, random_state=0)


def make_fractions(n, rng, n_elements=86, per_row=3):
    X = np.zeros((n, n_elements))
    for i in range(n):
        idx = rng.choice(12, size=per_row, replace=False)  # a small chemical space
        X[i, idx] = rng.dirichlet(np.ones(per_row))
    return X
