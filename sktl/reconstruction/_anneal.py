"""Match phase volume fractions by annealing labels of boundary pixels."""

from __future__ import annotations

import numpy as np
from scipy.ndimage import convolve
from sklearn.utils import check_random_state


def _neighbour_kernel(ndim: int) -> np.ndarray:
    """The 8- (2-D) or 26-neighbourhood (3-D) without the centre."""
    k = np.ones((3,) * ndim, dtype=np.int64)
    k[(1,) * ndim] = 0
    return k


def target_counts(volume_fractions, n_pixels: int) -> np.ndarray:
    """Integer pixel counts per phase closest to ``volume_fractions`` that sum to ``n_pixels``."""
    exact = np.asarray(volume_fractions, dtype=np.float64) * n_pixels
    counts = np.floor(exact).astype(np.int64)
    short = n_pixels - counts.sum()
    counts[np.argsort(-(exact - counts), kind="stable")[:short]] += 1
    return counts


def match_volume_fractions(
    labels: np.ndarray,
    volume_fractions,
    random_state=None,
    temperature: float = 1.0,
    cooling: float = 0.9,
    step_fraction: float = 0.1,
) -> np.ndarray:
    """Switch boundary pixels between phases until every phase has its target volume fraction.

    Each step takes the phase with the largest excess ``a`` and the one with the largest deficit
    ``b``; candidates are the pixels of ``a`` touching ``b`` (8-neighbourhood; 26 in 3-D).
    A flip changes the interface length by ``dE = same - other`` (neighbours in ``a`` minus
    neighbours in ``b``), and candidates are drawn with Boltzmann weights ``exp(-dE / T)``: at high T almost
    any boundary pixel can move, as T cools flips concentrate on protrusions and pixels inside
    ``b``, which smooths rather than roughens the interfaces. A step flips up to
    ``step_fraction`` of the remaining mismatch, so the loop ends after O(log mismatch) steps
    plus at most one step per remaining pixel.

    Parameters
    ----------
    labels : ndarray of shape (H, W) or (D, H, W), int
        Phase indices 0..K-1.
    volume_fractions : array-like of shape (K,)
    random_state : int, RandomState or None
    temperature : float, default=1.0
        Initial temperature (in units of neighbour counts).
    cooling : float, default=0.9
        Geometric cooling factor per step.
    step_fraction : float, default=0.1

    Returns
    -------
    ndarray of the shape of ``labels``
        Labels whose phase counts equal :func:`target_counts`.
    """
    rng = check_random_state(random_state)
    labels = np.array(labels, dtype=np.int64, copy=True)
    k = len(volume_fractions)
    target = target_counts(volume_fractions, labels.size)
    t = float(temperature)
    kernel = _neighbour_kernel(labels.ndim)
    while True:
        diff = np.bincount(labels.ravel(), minlength=k) - target
        if not diff.any():
            return labels
        a, b = int(np.argmax(diff)), int(np.argmin(diff))
        n_move = min(diff[a], -diff[b])
        in_a = labels == a
        near_b = convolve((labels == b).astype(np.int64), kernel, mode="wrap")
        near_a = convolve(in_a.astype(np.int64), kernel, mode="wrap")
        cand = in_a & (near_b > 0)
        if not cand.any():  # a and b do not touch: any pixel of a will do
            cand = in_a
        idx = np.flatnonzero(cand)
        d_e = (near_a.ravel()[idx] - near_b.ravel()[idx]).astype(np.float64)
        w = np.exp(-(d_e - d_e.min()) / max(t, 1e-3))
        # cold steps underflow the weights of high-energy candidates to 0: never ask for more
        # flips than there are candidates with a weight (those at the minimum have weight 1)
        n_flip = int(min(np.count_nonzero(w), max(1, np.ceil(step_fraction * n_move))))
        pick = rng.choice(idx, size=n_flip, replace=False, p=w / w.sum())
        labels.ravel()[pick] = b
        t *= cooling
