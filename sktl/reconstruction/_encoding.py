"""Phase labels to RGB colours chosen by maximin Latin hypercube sampling."""

from __future__ import annotations

import numpy as np
from scipy.spatial.distance import pdist
from sklearn.utils import check_random_state


def latin_hypercube(n_points: int, n_dims: int, rng) -> np.ndarray:
    """One Latin hypercube design in [0, 1]^n_dims: one point per stratum along every axis."""
    strata = np.stack([rng.permutation(n_points) for _ in range(n_dims)], axis=1)
    return (strata + rng.random((n_points, n_dims))) / n_points


def maximin_colours(n_phases: int, random_state=None, n_candidates: int = 500) -> np.ndarray:
    """Colours for ``n_phases`` phases: the Latin hypercube design with the largest minimum distance.

    Parameters
    ----------
    n_phases : int
        Number of phases (>= 2).
    random_state : int, RandomState or None
    n_candidates : int, default=500
        Number of random Latin hypercube designs to choose from.

    Returns
    -------
    ndarray of shape (n_phases, 3)
        RGB colours in [0, 255], row k for phase k.
    """
    if n_phases < 2:
        raise ValueError(f"n_phases must be >= 2, got {n_phases}.")
    rng = check_random_state(random_state)
    best, best_d = None, -1.0
    for _ in range(n_candidates):
        design = latin_hypercube(n_phases, 3, rng)
        d = pdist(design).min()
        if d > best_d:
            best, best_d = design, d
    return 255.0 * best


def encode(labels: np.ndarray, colours: np.ndarray) -> np.ndarray:
    """Map an (H, W) array of phase indices 0..K-1 to an (H, W, 3) float image in [0, 255]."""
    return colours[labels]
