"""One-vs-rest helpers: a descriptor curve and error rate per phase of a multiphase image."""

from __future__ import annotations

import numpy as np

from ._correlation import error_rate, lineal_path, two_point_correlation

_DESCRIPTORS = {"s2": two_point_correlation, "lineal_path": lineal_path}


def _descriptor(name):
    try:
        return _DESCRIPTORS[name]
    except KeyError:
        raise ValueError(
            f"Unknown descriptor {name!r}; choose one of {sorted(_DESCRIPTORS)}."
        ) from None


def phase_curves(image, descriptor="s2", phases=None, **kwargs) -> dict:
    """One curve per phase (phase vs the rest).

    Parameters
    ----------
    image : array-like of shape (H, W)
    descriptor : {"s2", "lineal_path"}
    phases : sequence of int, optional
        Defaults to the labels present in ``image``.
    **kwargs
        Passed to the descriptor (``periodic``, ``r_max``).

    Returns
    -------
    dict
        ``{phase: curve}``.
    """
    func = _descriptor(descriptor)
    image = np.asarray(image)
    phases = np.unique(image) if phases is None else phases
    return {int(p): func(image, p, **kwargs) for p in phases}


def phase_error_rates(original, reconstructions, descriptor="s2", phases=None, **kwargs) -> dict:
    """Error rate per phase between an original and one or more reconstructions.

    Parameters
    ----------
    original : array-like of shape (H, W)
    reconstructions : array-like of shape (H', W') or (n, H', W')
    descriptor : {"s2", "lineal_path"}
    phases : sequence of int, optional
        Defaults to the labels of ``original``.
    **kwargs
        Passed to the descriptor.

    Returns
    -------
    dict
        ``{phase: ndarray of shape (n,)}`` of error rates in percent, one per reconstruction.
    """
    original = np.asarray(original)
    recs = np.asarray(reconstructions)
    if recs.ndim == 2:
        recs = recs[None]
    phases = np.unique(original) if phases is None else phases
    ref = phase_curves(original, descriptor, phases, **kwargs)
    out = {}
    for p in phases:
        out[int(p)] = np.array(
            [error_rate(ref[int(p)], _descriptor(descriptor)(r, p, **kwargs)) for r in recs]
        )
    return out
