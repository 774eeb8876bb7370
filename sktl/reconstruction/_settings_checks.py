"""Checks of the reconstructor's settings at ``fit``: a loss that is identically zero is
refused; settings that add nothing (zero-weight taps, ``lr`` with L-BFGS-B) warn."""

from __future__ import annotations

import numbers
import warnings

import numpy as np

from ..utils._validation import warn_inactive


def check_loss_weights(layer_weights: dict, s2_weight, lineal_path_weight) -> None:
    """Refuse a loss that is identically zero; warn about taps that add nothing to it."""
    zero = [tap for tap, w in layer_weights.items() if w == 0]
    if len(zero) == len(layer_weights) and s2_weight == 0 and lineal_path_weight == 0:
        raise ValueError(
            f"Every weight of the loss is zero (layer_weights={list(layer_weights.values())}, "
            f"s2_weight={s2_weight}, lineal_path_weight={lineal_path_weight}): the loss would "
            "be identically zero and every sample the random starting pixels, decoded. Give a "
            "tap a positive weight in layer_weights (None: equal weights), or set s2_weight or "
            "lineal_path_weight > 0."
        )
    if zero and len(zero) < len(layer_weights):
        warnings.warn(
            f"MicrostructureReconstructor: layer_weights gives the taps {zero} weight 0: they "
            "add nothing to the loss, but VGG19 still computes them and their receptive field "
            "still sets the smallest image size. Remove them from layers (and their weights "
            "from layer_weights).",
            UserWarning,
            stacklevel=5,  # check_loss_weights, _fit, fit, atomic_fit, the caller
        )


def _counts(value) -> list:
    """The entries of a per-level setting given as a sequence."""
    return list(np.ravel(np.asarray(value, dtype=object)))


def _all_ints_from(counts, lowest: int) -> bool:
    """Whether every count is an int (not a bool) of at least ``lowest``."""
    return all(
        isinstance(n, numbers.Integral) and not isinstance(n, bool) and n >= lowest
        for n in counts
    )


def check_level_iterations(max_iter, n_levels: int):
    """``max_iter`` as an int (every level) or a tuple of one positive int per level."""
    if isinstance(max_iter, numbers.Integral):
        return int(max_iter)
    counts = _counts(max_iter)
    if len(counts) != n_levels or not _all_ints_from(counts, 1):
        raise ValueError(
            f"max_iter={max_iter!r} must be one positive int (the iterations of every level) "
            f"or {n_levels} positive ints, one per level of n_levels={n_levels}, coarsest "
            f"first: for example max_iter={tuple([120] * (n_levels - 1) + [60])!r}. Give as "
            "many counts as levels, or change n_levels."
        )
    return tuple(int(n) for n in counts)


def check_level_slices(n_slices, n_levels: int, s2_weight, lineal_path_weight):
    """``n_slices`` as None (every slice), an int (every level) or a tuple of one int >= 0 per
    level, coarsest first, whose coarsest entry is >= 1 (0: no Gram loss at that level)."""
    if n_slices is None or isinstance(n_slices, numbers.Integral):
        return None if n_slices is None else int(n_slices)  # constraints checked its range
    counts = _counts(n_slices)
    example = 8 if n_levels == 1 else tuple([8] * (n_levels - 1) + [2])
    if len(counts) != n_levels:
        problem = f"{len(counts)} count{'s' * (len(counts) != 1)} for n_levels={n_levels}"
        fix = "Give one count per level, or change n_levels"
    elif not _all_ints_from(counts, 0):
        problem = "counts must be ints >= 0"
        fix = "Give whole numbers"
    elif counts[0] < 1:
        problem = "the coarsest level needs at least 1 (its random start is shaped by the Gram loss)"
        fix = "Give the first (coarsest) level a positive count"
    else:
        problem = None
    if problem is not None:
        raise ValueError(
            f"n_slices={n_slices!r}: {problem}. n_slices is None (every slice), one positive "
            "int (the Gram loss's slices per axis at every level) or one int >= 0 per level, "
            f"coarsest first, 0 leaving the Gram loss out of a level: for example "
            f"n_slices={example!r}. {fix}."
        )
    if 0 in counts and s2_weight == 0 and lineal_path_weight == 0:
        raise ValueError(
            f"n_slices={n_slices!r} leaves the Gram loss out of a level, and with "
            "s2_weight=0 and lineal_path_weight=0 nothing would be left to optimise there. "
            "Set s2_weight or lineal_path_weight > 0, or give every level at least 1 slice."
        )
    return tuple(int(n) for n in counts)


def warn_inactive_lr(estimator) -> None:
    """Warn if ``lr`` is set with ``optimizer="lbfgs"``, which chooses its own step lengths."""
    if estimator.optimizer == "lbfgs":
        warn_inactive(
            estimator,
            ["lr"],
            "with optimizer='lbfgs': L-BFGS-B chooses its own step lengths",
            "Set optimizer='adam' to use it, or leave lr at its default (2.0)",
        )
