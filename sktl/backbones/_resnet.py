"""ResNet18/ResNet50 taps: conv1, maxpool, layer1 ... layer4, avgpool (global), fc."""

from __future__ import annotations

import torchvision
from torch import nn

from ._spec import BackboneSpec
from ._torchvision_weights import torchvision_imagenet


def _spec(name: str, weights_enum) -> BackboneSpec:
    builder = getattr(torchvision.models, name)
    return BackboneSpec(
        name=name,
        family="resnet",
        build_full=lambda: builder(weights=None),
        segments=(
            ("conv1", ("conv1", "bn1", "relu")),
            ("maxpool", ("maxpool",)),
            ("layer1", ("layer1",)),
            ("layer2", ("layer2",)),
            ("layer3", ("layer3",)),
            ("layer4", ("layer4",)),
            ("avgpool", ("avgpool", nn.Flatten)),
            ("fc", ("fc",)),
        ),
        native_size=224,
        default_layer="avgpool",
        imagenet=torchvision_imagenet(weights_enum, name),
        min_size=32,
        description=f"{name} (He et al. 2016)",
    )


def specs() -> list[BackboneSpec]:
    tv = torchvision.models
    return [
        _spec("resnet18", tv.ResNet18_Weights.IMAGENET1K_V1),
        _spec("resnet50", tv.ResNet50_Weights.IMAGENET1K_V2),
    ]
