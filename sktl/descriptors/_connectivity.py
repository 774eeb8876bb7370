"""Connectivity and percolation of one phase of a label image or volume, and their errors."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from ._shape import _stack, phase_indicator


def _periodic_clusters(labels, n):
    """Merge the clusters of ``labels`` that meet across opposite faces.

    A union-find over the clusters in which each cluster keeps its offset, in periods, from
    its root: two copies of one cluster joined with a non-zero offset make a cycle that winds
    around the torus, so that cluster spans the infinite periodic tiling along those axes.
    Returns the root of each label (index 0 unused) and each root's winding axes.
    """
    ndim = labels.ndim
    parent = np.arange(n + 1)
    offset = np.zeros((n + 1, ndim), np.int64)
    wraps = np.zeros((n + 1, ndim), bool)

    def find(x):
        path = []
        while parent[x] != x:
            path.append(x)
            x = parent[x]
        total = np.zeros(ndim, np.int64)
        for node in reversed(path):  # compress: offsets straight to the root
            total = total + offset[node]
            offset[node], parent[node] = total, x
        return x

    for axis in range(ndim):
        last = np.take(labels, -1, axis=axis).ravel()
        first = np.take(labels, 0, axis=axis).ravel()
        both = (last > 0) & (first > 0)
        pairs = np.unique(np.stack([last[both], first[both]], axis=1), axis=0)
        step = np.eye(ndim, dtype=np.int64)[axis]
        for a, b in pairs:  # the copy of b one period along +axis touches a
            ra, rb = find(a), find(b)
            oa, ob = offset[a], offset[b]  # to the root (a root's own offset is 0)
            if ra == rb:
                wraps[ra] |= (oa + step - ob) != 0
            else:
                parent[rb], offset[rb] = ra, oa + step - ob
                wraps[ra] |= wraps[rb]
    roots = np.array([find(x) for x in range(n + 1)])
    return roots, wraps


def connectivity(image, phase=1, *, periodic=False) -> dict:
    """Connected clusters of one phase: the largest cluster's share and percolation per axis.

    Pixels (voxels) are connected through their faces: 4-connectivity in 2-D, 6 in 3-D, as
    ``scipy.ndimage.label``'s default structure and PoreSpy's ``conn="min"``.

    Parameters
    ----------
    image : array-like of shape (H, W) or (D, H, W)
        Label image or volume (integer labels or bool).
    phase : int, default=1
        The phase whose clusters are found.
    periodic : bool, default=False
        Clusters continue across opposite faces. A cluster then percolates along an axis
        when it winds around the image along that axis (it spans the infinite periodic
        tiling); when False, when it touches both faces normal to that axis.

    Returns
    -------
    dict
        ``"largest_cluster_fraction"``: the share of the phase's pixels in its largest
        cluster, in (0, 1] (0 where the phase is absent); ``"n_clusters"``: the number of
        clusters; ``"percolates"``: a tuple of bool, one per axis (axis 0 first): whether a
        cluster joins the two faces normal to that axis.

    Examples
    --------
    >>> import numpy as np
    >>> from sktl.descriptors import connectivity
    >>> image = np.zeros((6, 6), int)
    >>> image[2, :] = 1       # a row of the array: across the image along y (axis 1)
    >>> image[4, 1:3] = 1     # a short, isolated segment
    >>> c = connectivity(image)
    >>> c["n_clusters"], c["largest_cluster_fraction"], c["percolates"]
    (2, 0.75, (False, True))
    """
    return _connectivity(phase_indicator(image, phase), periodic)


def _connectivity(ind, periodic):
    labels, n = ndimage.label(ind)
    if n == 0:
        return {"largest_cluster_fraction": 0.0, "n_clusters": 0, "percolates": (False,) * ind.ndim}
    sizes = np.bincount(labels.ravel(), minlength=n + 1)
    if periodic:
        roots, wraps = _periodic_clusters(labels, n)
        merged = np.bincount(roots[1:], weights=sizes[1:], minlength=n + 1)
        percolates = wraps[np.unique(roots[1:])].any(axis=0)
        n_clusters = len(np.unique(roots[1:]))
        largest = merged.max()
    else:
        percolates = [  # a cluster (label > 0) on both faces normal to the axis
            (np.intersect1d(np.take(labels, 0, axis=a), np.take(labels, -1, axis=a)) > 0).any()
            for a in range(ind.ndim)
        ]
        n_clusters, largest = n, sizes[1:].max()
    return {
        "largest_cluster_fraction": float(largest / sizes[1:].sum()),
        "n_clusters": int(n_clusters),
        "percolates": tuple(bool(p) for p in percolates),
    }


def connectivity_errors(original, reconstructions, phase=1, *, periodic=False) -> dict:
    """Connectivity differences between an original and its reconstructions.

    Parameters
    ----------
    original : array-like of shape (H, W) or (D, H, W)
        The reference label image (it must hold ``phase``).
    reconstructions : array-like
        One reconstruction of the original's number of dimensions, (H', W') or (D', H', W'),
        or a stack of them, (n, H', W') or (n, D', H', W').
    phase : int, default=1
        The phase whose clusters are compared.
    periodic : bool, default=False
        As in :func:`connectivity`, for the original and the reconstructions.

    Returns
    -------
    dict
        ``{"largest_cluster_fraction": ndarray of shape (n,), "percolation": ndarray of shape
        (n,)}``: the absolute difference of the largest cluster's shares, in [0, 1], and the
        number of axes along which one percolates and the other does not.
    """
    original, recs = _stack(original, reconstructions)
    ref = connectivity(original, phase, periodic=periodic)
    share, percolation = np.empty(len(recs)), np.empty(len(recs), np.int64)
    for i, rec in enumerate(recs):
        ind = phase_indicator(rec, phase, ndims=(original.ndim,), require_phase=False)
        c = _connectivity(ind, periodic)
        share[i] = abs(c["largest_cluster_fraction"] - ref["largest_cluster_fraction"])
        percolation[i] = sum(a != b for a, b in zip(c["percolates"], ref["percolates"]))
    return {"largest_cluster_fraction": share, "percolation": percolation}
