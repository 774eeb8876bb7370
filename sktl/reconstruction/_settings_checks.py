"""Checks of the reconstructor's settings at ``fit``: a loss that is identically zero is
refused; settings that add nothing (zero-weight taps, ``lr`` with L-BFGS-B) warn."""

from __future__ import annotations

import warnings

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


def warn_inactive_lr(estimator) -> None:
    """Warn if ``lr`` is set with ``optimizer="lbfgs"``, which chooses its own step lengths."""
    if estimator.optimizer == "lbfgs":
        warn_inactive(
            estimator,
            ["lr"],
            "with optimizer='lbfgs': L-BFGS-B chooses its own step lengths",
            "Set optimizer='adam' to use it, or leave lr at its default (2.0)",
        )
