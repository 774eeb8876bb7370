"""The VGG19 taps of the style loss: which exist, their weights, the smallest image they allow."""

from __future__ import annotations

import numpy as np

from ..backbones import list_layers, receptive_field

# VGG19's conv and pool taps in order, from the backbone registry (no fc layers)
CONV_TAPS = [t for t in list_layers("vgg19") if not t.startswith("fc")]


def check_taps(layers) -> None:
    """Raise for names in ``layers`` that are not VGG19 conv or pool taps."""
    unknown = [t for t in layers if t not in CONV_TAPS]
    if unknown:
        raise ValueError(f"Unknown VGG19 conv/pool taps {unknown}; choose among {CONV_TAPS}.")


def check_layers(layers, layer_weights) -> tuple[list, dict]:
    """The taps as a list of distinct names, and ``{tap: weight}`` (None: equal weights)."""
    layers = [layers] if isinstance(layers, str) else list(layers)
    if not layers or len(set(layers)) != len(layers):
        raise ValueError(f"layers must be a non-empty list of distinct taps, got {layers}.")
    check_taps(layers)
    if layer_weights is None:
        w = np.full(len(layers), 1.0 / len(layers))
    else:
        w = np.asarray(layer_weights, dtype=np.float64).ravel()
        if w.shape != (len(layers),) or np.any(w < 0) or not np.all(np.isfinite(w)):
            raise ValueError(
                f"layer_weights must be {len(layers)} non-negative numbers, one per layer."
            )
    return layers, dict(zip(layers, w.tolist(), strict=True))


def min_image_size(layers, n_levels: int) -> int:
    """Smallest side for which every level's image, the coarsest included, holds the taps."""
    return max(receptive_field("vgg19", t) for t in layers) * 2 ** (n_levels - 1)
