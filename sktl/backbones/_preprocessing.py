"""Per-weight-source input preprocessing, as a module that travels with the weights."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from ..persistence._recipes import register_dataclass

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


@register_dataclass
@dataclass(frozen=True)
class Preprocessing:
    """How RGB pixels in [0, 1] become the network's input.

    ``out[c] = (x[order[c]] * scale - mean[c]) / std[c]``

    Attributes
    ----------
    name : str
        A short label used in reprs and cache keys.
    mean, std : tuple of float
        Per output channel, in the units after ``scale``.
    scale : float
        Multiplier applied to [0, 1] pixels first (255 for Caffe-style weights).
    channel_order : {"RGB", "BGR"}
        Channel order the weights were trained with.
    """

    name: str
    mean: tuple[float, float, float] = IMAGENET_MEAN
    std: tuple[float, float, float] = IMAGENET_STD
    scale: float = 1.0
    channel_order: str = "RGB"

    def module(self) -> nn.Module:
        """A frozen module that applies this preprocessing to an NCHW RGB batch in [0, 1]."""
        return Normalize(self)


IMAGENET = Preprocessing("imagenet")
INCEPTION = Preprocessing("inception", mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5))
CAFFE_BGR = Preprocessing(
    "caffe_bgr",
    mean=(103.939, 116.779, 123.68),
    std=(1.0, 1.0, 1.0),
    scale=255.0,
    channel_order="BGR",
)
TF_LITE = Preprocessing(
    "tf_lite", mean=(127.0, 127.0, 127.0), std=(128.0, 128.0, 128.0), scale=255.0
)


class Normalize(nn.Module):
    """Apply a :class:`Preprocessing` as ``x * a + b`` per channel (one fused op)."""

    def __init__(self, prep: Preprocessing):
        super().__init__()
        self.prep = prep
        std = torch.tensor(prep.std, dtype=torch.float32)
        a = (prep.scale / std).view(1, 3, 1, 1)
        b = (-torch.tensor(prep.mean, dtype=torch.float32) / std).view(1, 3, 1, 1)
        self.register_buffer("a", a)
        self.register_buffer("b", b)
        self.bgr = prep.channel_order == "BGR"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.bgr:
            x = x.flip(1)
        return torch.addcmul(self.b, x, self.a)

    def extra_repr(self) -> str:
        return f"{self.prep.name}"
