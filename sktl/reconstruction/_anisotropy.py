"""How far the examples' S2 depends on direction: a held-out estimate on disjoint windows.

``directional_s2="auto"`` weighs the directional part of the S2 map (the map minus its ring
means) ring by ring, by how well it generalises: the least-squares factor with which one
window's anisotropy at |lag| = r predicts another's, over every ordered pair of the examples'
quadrants, clipped to [0, 1]. Lamellae at an angle get weights near 1 out to long range;
digitised disks near 1 at the few pixels where their outline is not round and 0 beyond; a crop
of an isotropic material, whose map has random angular detail that another crop does not
share, about 0 everywhere (the averaged S2 alone).
"""

from __future__ import annotations

import numpy as np

from ._descriptor_loss import s2_map_targets

MIN_WINDOW = 16  # px: the smallest window side (lags up to 8 px)


def _windows(images) -> list:
    """The four quadrants of every example at least 2 * MIN_WINDOW px on each side."""
    out = []
    for img in images:
        h, w = (s // 2 for s in img.shape)
        if min(h, w) >= MIN_WINDOW:
            out += [img[:h, :w], img[:h, w : 2 * w], img[h : 2 * h, :w], img[h : 2 * h, w : 2 * w]]
    return out


def lag_rings(r: int):
    """The lags (dy, dx) with |lag| <= r (rounded), their ring and 1 / (lags in their ring):
    a boolean mask of the (2r + 1)^2 lag grid, the rings and the weights of the kept lags."""
    lags = np.arange(-r, r + 1)
    ring = np.rint(np.hypot(lags[:, None], lags[None, :])).astype(np.int64)
    keep = ring <= r
    per_ring = np.bincount(ring[keep], minlength=r + 1)
    return keep, ring[keep], 1.0 / per_ring[ring[keep]]


def _anisotropy(window, n_phases: int, r: int, rings):
    """A window's S2 map minus its ring means at the lags of ``rings`` (:func:`lag_rings` of
    ``r``): (n_phases, n_lags), each phase divided by the root of its map's ring-mean sum of
    squares."""
    t = s2_map_targets([window], n_phases)
    c = t.shape[1] // 2
    keep, ring, weight = rings
    values = t[:, c - r : c + r + 1, c - r : c + r + 1][:, keep]
    means = np.stack([np.bincount(ring, weights=v * weight, minlength=r + 1) for v in values])
    scale = np.sqrt((values**2 * weight).sum(1, keepdims=True)).clip(1e-12)
    return (values - means[:, ring]) / scale


def direction_weights(images, n_phases: int, r_max: int):
    """Per ring r = 0 .. ``r_max``, the weight in [0, 1] of the S2 map's directional part;
    None when the examples are too small for two windows of ``MIN_WINDOW`` px. Rings beyond
    the windows' reach (half their side) hold the mean weight of the outer quarter."""
    windows = _windows(images)
    if len(windows) < 2:
        return None
    r = min(min(win.shape) for win in windows) // 2
    rings = lag_rings(r)
    _, ring, weight = rings
    parts = np.stack([_anisotropy(win, n_phases, r, rings) for win in windows])  # (n, phases, lags)
    squares = (parts**2).sum((0, 1))
    # over ordered pairs i != j: sum a_i a_j = |sum a_i|^2 - sum |a_i|^2, sum |a_i|^2 (n - 1) x
    cross = np.bincount(ring, weights=((parts.sum(0) ** 2).sum(0) - squares) * weight)
    own = np.bincount(ring, weights=squares * weight) * (len(parts) - 1)
    lam = np.clip(np.divide(cross, own, out=np.zeros(r + 1), where=own > 1e-20), 0.0, 1.0)
    out = np.full(max(r_max, r) + 1, lam[-max(1, (r + 1) // 4) :].mean())
    out[: r + 1] = lam
    return out[: r_max + 1]
