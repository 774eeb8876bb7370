"""DenseNet121 taps: conv0, pool0, denseblock1 ... denseblock4, transitions, norm5, avgpool, fc."""

from __future__ import annotations

import re

import torchvision
from torch import nn

from ._spec import BackboneSpec, WeightSource
from ._torchvision_weights import load_torchvision_state_dict

# torchvision's DenseNet checkpoints use old key names ("norm.1" for "norm1").
_OLD_KEY = re.compile(
    r"^(.*denselayer\d+\.(?:norm|relu|conv))\.((?:[12])\.(?:weight|bias|running_mean|running_var))$"
)


def _fix_keys(state_dict: dict) -> dict:
    out = {}
    for key, value in state_dict.items():
        m = _OLD_KEY.match(key)
        out[m.group(1) + m.group(2) if m else key] = value
    return out


def _imagenet() -> WeightSource:
    url = torchvision.models.DenseNet121_Weights.IMAGENET1K_V1.url
    from ._preprocessing import IMAGENET

    return WeightSource(
        name="imagenet",
        preprocessing=IMAGENET,
        load=lambda: _fix_keys(load_torchvision_state_dict(url, "densenet121")),
        description="torchvision DenseNet121_Weights.IMAGENET1K_V1",
    )


def specs() -> list[BackboneSpec]:
    f = "features."
    return [
        BackboneSpec(
            name="densenet121",
            family="densenet",
            build_full=lambda: torchvision.models.densenet121(weights=None),
            segments=(
                ("conv0", (f + "conv0", f + "norm0", f + "relu0")),
                ("pool0", (f + "pool0",)),
                ("denseblock1", (f + "denseblock1",)),
                ("transition1", (f + "transition1",)),
                ("denseblock2", (f + "denseblock2",)),
                ("transition2", (f + "transition2",)),
                ("denseblock3", (f + "denseblock3",)),
                ("transition3", (f + "transition3",)),
                ("denseblock4", (f + "denseblock4",)),
                ("norm5", (f + "norm5", nn.ReLU)),
                ("avgpool", (lambda: nn.AdaptiveAvgPool2d(1), nn.Flatten)),
                ("fc", ("classifier",)),
            ),
            native_size=224,
            default_layer="avgpool",
            imagenet=_imagenet,
            min_size=32,
            description="DenseNet-121 (Huang et al. 2017)",
        )
    ]
