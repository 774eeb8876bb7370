"""A backbone split by ``freeze`` into a frozen, cached featurizer and a trainable tail."""

from __future__ import annotations

import numbers

from torch import nn

from ..backbones import build_backbone, get_backbone_spec
from ..backbones._build import backbone_tail
from ..backbones._registry import check_layer
from ._pretrained_cnn import PretrainedCNNFeaturizer


def n_frozen_taps(freeze, n_taps: int, backbone: str, layer: str) -> int:
    """The number of leading taps ``freeze`` keeps frozen ("all", "none" or an int k)."""
    if freeze == "all":
        return n_taps
    if freeze == "none":
        return 0
    if isinstance(freeze, bool) or not isinstance(freeze, numbers.Integral) or freeze < 0:
        raise ValueError(f"freeze must be 'all', 'none' or an int >= 0, got {freeze!r}.")
    if freeze > n_taps:
        raise ValueError(
            f"freeze={freeze} asks to freeze more taps than {backbone} has up to layer "
            f"{layer!r} ({n_taps}); use at most {n_taps}, or freeze='all'."
        )
    return int(freeze)


def split_backbone(
    images,
    *,
    backbone,
    layer,
    weights,
    freeze,
    pooling,
    input_size,
    intensity_range,
    random_state,
    device,
    cache,
) -> tuple[str, PretrainedCNNFeaturizer | None, nn.Module | None]:
    """Split ``backbone`` up to ``layer`` by ``freeze``: the shared meaning of all image models.

    Returns ``(layer, featurizer, tail)``:

    * everything frozen: a fitted featurizer at ``layer`` with ``pooling`` (features cached per
      image), no tail;
    * nothing frozen: no featurizer, the whole truncated backbone as the (training) tail, fed
      with pixels;
    * the first k taps frozen: a fitted featurizer at the k-th tap (flattened maps, cached) and
      the remaining taps as the tail; the caller pools the tail's output with ``pooling``.
    """
    spec = get_backbone_spec(backbone)  # unknown names list the valid ones
    layer = check_layer(spec, layer)  # so does a layer the backbone lacks
    taps = spec.taps[: spec.taps.index(layer) + 1]
    n_frozen = n_frozen_taps(freeze, len(taps), spec.name, layer)
    common = dict(
        backbone=backbone,
        weights=weights,
        input_size=input_size,
        intensity_range=intensity_range,
        random_state=random_state,
        device=device,
        cache=cache,
    )
    if n_frozen == len(taps):
        featurizer = PretrainedCNNFeaturizer(layer=layer, pooling=pooling, **common)
        return layer, featurizer.fit(images[:1]), None
    full = build_backbone(backbone, layer, weights, random_state)
    if n_frozen == 0:
        return layer, None, full.train()
    featurizer = PretrainedCNNFeaturizer(layer=taps[n_frozen - 1], pooling="flatten", **common)
    featurizer.fit(images[:1])
    tail = backbone_tail(spec.name, layer, len(taps) - n_frozen, featurizer.feature_shape_, full)
    return layer, featurizer, tail.train()
