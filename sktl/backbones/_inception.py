"""Inception v3 taps, in torchvision's module names, plus avgpool (global) and fc."""

from __future__ import annotations

import torchvision
from torch import nn

from ._preprocessing import INCEPTION
from ._spec import BackboneSpec
from ._torchvision_weights import torchvision_imagenet

_BLOCKS = (
    "Conv2d_1a_3x3",
    "Conv2d_2a_3x3",
    "Conv2d_2b_3x3",
    "maxpool1",
    "Conv2d_3b_1x1",
    "Conv2d_4a_3x3",
    "maxpool2",
    "Mixed_5b",
    "Mixed_5c",
    "Mixed_5d",
    "Mixed_6a",
    "Mixed_6b",
    "Mixed_6c",
    "Mixed_6d",
    "Mixed_6e",
    "Mixed_7a",
    "Mixed_7b",
    "Mixed_7c",
)


def specs() -> list[BackboneSpec]:
    # transform_input=False: torchvision's transform_input re-maps ImageNet-normalised input to
    # (x - 0.5) / 0.5, which is exactly the INCEPTION preprocessing applied up front.
    return [
        BackboneSpec(
            name="inception_v3",
            family="inception",
            build_full=lambda: torchvision.models.inception_v3(
                weights=None, aux_logits=False, init_weights=False, transform_input=False
            ),
            segments=tuple((b, (b,)) for b in _BLOCKS)
            + (("avgpool", ("avgpool", nn.Flatten)), ("fc", ("fc",))),
            native_size=299,
            default_layer="avgpool",
            imagenet=torchvision_imagenet(
                torchvision.models.Inception_V3_Weights.IMAGENET1K_V1, "inception_v3", INCEPTION
            ),
            min_size=75,
            description="Inception v3 (Szegedy et al. 2016)",
        )
    ]
