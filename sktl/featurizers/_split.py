"""A backbone split by ``freeze`` into a frozen, cached featurizer and a trainable tail."""

from __future__ import annotations

from torch import nn

from ..backbones import build_backbone, get_backbone_spec
from ..backbones._build import backbone_tail
from ..backbones._registry import check_layer
from ..utils._freeze import n_frozen
from ._pretrained_cnn import PretrainedCNNFeaturizer


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
    frozen = n_frozen(freeze, len(taps), f"taps of {spec.name} up to layer {layer!r}")
    common = dict(
        backbone=backbone,
        weights=weights,
        input_size=input_size,
        intensity_range=intensity_range,
        random_state=random_state,
        device=device,
        cache=cache,
    )
    if frozen == len(taps):
        featurizer = PretrainedCNNFeaturizer(layer=layer, pooling=pooling, **common)
        return layer, featurizer.fit(images[:1]), None
    full = build_backbone(backbone, layer, weights, random_state)
    if frozen == 0:
        return layer, None, full.train()
    featurizer = PretrainedCNNFeaturizer(layer=taps[frozen - 1], pooling="flatten", **common)
    featurizer.fit(images[:1])
    tail = backbone_tail(spec.name, layer, len(taps) - frozen, featurizer.feature_shape_, full)
    return layer, featurizer, tail.train()
