"""Backbones: a registry of ImageNet architectures with named taps, truncation and weights.

Every backbone takes RGB pixels in [0, 1]; the preprocessing that belongs to its weights is
part of the built module.
"""

from ._build import Backbone, build_backbone
from ._pooling import POOLINGS, gram, pool_features
from ._preprocessing import Preprocessing
from ._receptive_field import receptive_field
from ._registry import (
    available_backbones,
    get_backbone_spec,
    list_layers,
    list_weight_sources,
)
from ._spec import BackboneSpec, WeightSource

__all__ = [
    "POOLINGS",
    "Backbone",
    "BackboneSpec",
    "Preprocessing",
    "WeightSource",
    "available_backbones",
    "build_backbone",
    "get_backbone_spec",
    "gram",
    "list_layers",
    "list_weight_sources",
    "pool_features",
    "receptive_field",
]
