"""Checks of the plots' inputs: true targets, names, and intervals as ``predict_interval`` gives.

numpy only; the plots in ``_regression.py`` and ``_calibration.py`` share these, so both say
the same thing about the same mistake.
"""

from __future__ import annotations

import numpy as np


def check_targets(y_true) -> np.ndarray:
    """``y_true`` as a finite float array of shape (n_samples, n_targets)."""
    y = np.asarray(y_true, dtype=float)
    if y.ndim not in (1, 2) or len(y) == 0:
        raise ValueError(
            f"y_true must be of shape (n_samples,) or (n_samples, n_targets) with at least one "
            f"sample; got shape {y.shape}."
        )
    if not np.isfinite(y).all():
        raise ValueError("y_true holds NaN or infinite values.")
    return y.reshape(len(y), -1)


def check_target_names(target_names, n_targets: int) -> list[str]:
    """One name per target (``y0``, ``y1``, ... when none are given)."""
    if target_names is None:
        return [f"y{j}" for j in range(n_targets)]
    names = [str(name) for name in target_names]
    if len(names) != n_targets:
        raise ValueError(f"target_names has {len(names)} names for {n_targets} targets.")
    return names


def check_predictions(predictions, n_samples: int, n_targets: int) -> dict[str, np.ndarray]:
    """{name: predictions} with each value reshaped to (n_samples, n_targets)."""
    if not isinstance(predictions, dict) or not predictions:
        raise ValueError("predictions must be a non-empty dict {model name: predictions}.")
    out = {}
    for name, pred in predictions.items():
        p = np.asarray(pred, dtype=float)
        if len(p) != n_samples or p.size != n_samples * n_targets:
            raise ValueError(
                f"predictions[{name!r}] has shape {p.shape}; y_true has {n_samples} samples "
                f"and {n_targets} target(s)."
            )
        out[name] = p.reshape(n_samples, n_targets)
    return out


def check_bounds(y_pis, n_samples: int, n_targets: int, *, n_levels=None, what="y_pis",
                 finite=False) -> np.ndarray:  # fmt: skip
    """Interval bounds checked against the samples, targets and levels they describe.

    Parameters
    ----------
    y_pis : array-like
        Bounds, lower at index 0 of axis 1, as ``predict_interval`` returns them: shape
        (n_samples, 2, n_levels) or (n_samples, 2, n_levels, n_targets); with
        ``n_levels=None``, one level without its axis: (n_samples, 2) or
        (n_samples, 2, n_targets).
    n_samples, n_targets : int
        Of ``y_true``.
    n_levels : int or None
        Confidence levels expected on axis 2, or None for one level without that axis.
    what : str
        The argument's name in the errors.
    finite : bool
        Refuse infinite bounds (an unbounded side cannot be drawn as an error bar).

    Returns
    -------
    bounds : ndarray of shape (n_samples, 2, n_levels, n_targets), or (n_samples, 2, n_targets)
        when ``n_levels`` is None.
    """
    b = np.asarray(y_pis, dtype=float)
    if b.ndim < 2 or len(b) != n_samples:
        raise ValueError(
            f"{what} has shape {b.shape} but y_true has {n_samples} samples: both must hold "
            "the same samples in the same order."
        )
    if b.shape[1] != 2:
        raise ValueError(
            f"{what} must hold the lower and upper bounds on axis 1 (length 2), as "
            f"predict_interval returns them; got shape {b.shape}."
        )
    one_target = (n_samples, 2) if n_levels is None else (n_samples, 2, n_levels)
    expected = (*one_target, n_targets)
    if b.shape == one_target and n_targets == 1:
        b = b[..., None]
    elif b.shape != expected:
        raise ValueError(_shape_problem(b.shape, expected, n_targets, n_levels, what))
    if np.isnan(b).any():
        raise ValueError(f"{what} holds NaN bounds.")
    if finite and not np.isfinite(b).all():
        raise ValueError(
            f"{what} holds infinite bounds (too few training rows for the level); they cannot "
            "be drawn as error bars: choose a lower confidence level."
        )
    swapped = int((b[:, 0] > b[:, 1]).any(axis=tuple(range(1, b.ndim - 1))).sum())
    if swapped:
        raise ValueError(
            f"{what} has lower bounds above upper bounds in {swapped} samples: axis 1 must "
            "be (lower, upper)."
        )
    return b


def _shape_problem(shape, expected, n_targets, n_levels, what) -> str:
    """The error message of bounds of the wrong shape: which axis disagrees with what."""
    want = f"expected shape {expected}" + (
        f" (or {expected[:-1]} for one target)" if n_targets == 1 else ""
    )
    if n_levels is None and len(shape) > len(expected) - (n_targets == 1):
        return (
            f"{what} has shape {shape}: pass the intervals of one confidence level, e.g. "
            f"y_pis[:, :, k] for the k-th level; {want}."
        )
    if n_levels is not None and len(shape) >= 3 and shape[2] != n_levels:
        return (
            f"{what} holds {shape[2]} confidence levels (axis 2) but confidence_level gives "
            f"{n_levels}; {want}."
        )
    if len(shape) == len(expected) and shape[-1] != n_targets:
        return f"{what} holds {shape[-1]} targets (last axis) but y_true has {n_targets}; {want}."
    return f"{what} has shape {shape}; with y_true's {n_targets} target(s), {want}."


def coverage(y, bounds) -> np.ndarray:
    """Fraction of samples inside their interval (bounds included), per level and target.

    ``y`` of shape (n_samples, n_targets); ``bounds`` of shape (n_samples, 2, ..., n_targets).
    The result has the bounds' shape without its first two axes.
    """
    y = y.reshape(len(y), *([1] * (bounds.ndim - 3)), y.shape[-1])
    return ((bounds[:, 0] <= y) & (y <= bounds[:, 1])).mean(axis=0)
