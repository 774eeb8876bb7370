"""The frozen, truncated backbone of a featurizer, built afresh or through a FeatureCache."""

from __future__ import annotations

import numbers
import os

import torch

from ..backbones import build_backbone
from ._cache import FeatureCache, weights_digest


def backbone_key(name, layer, weights, random_state, device):
    """What identifies a built backbone, or None when it has no stable identity.

    Random weights from a RandomState or None, and WeightSource objects, are never shared.
    A weights file is identified by its path and modification time.
    """
    if weights is None:
        if not isinstance(random_state, numbers.Integral) or isinstance(random_state, bool):
            return None
        return (name, layer, None, int(random_state), str(device))
    if isinstance(weights, (str, os.PathLike)):
        path = os.fspath(weights)
        stamp = os.stat(path).st_mtime_ns if os.path.isfile(path) else None
        return (name, layer, path, stamp, str(device))
    return None


def frozen_backbone(
    name, layer, weights, random_state, device, cache: FeatureCache | None = None
) -> tuple[torch.nn.Module, str | None]:
    """The backbone up to ``layer`` in eval mode without gradients, and its weights' digest.

    With a ``cache``, the backbone is built once per key and every caller gets its own copy;
    without one it is built here and the digest (needed only as a cache key) is None.
    """

    def build():
        model = build_backbone(name, layer, weights, random_state)
        model = model.to(device=device, memory_format=torch.channels_last)
        return model.eval().requires_grad_(False)

    if cache is None:
        return build(), None
    key = backbone_key(name, layer, weights, random_state, device)
    if key is None:
        model = build()
        return model, weights_digest(model)
    return cache.backbone(key, build)
