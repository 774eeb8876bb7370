"""VGG19 features at several taps and the normalised Gram-matrix style loss of Gatys et al."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ..backbones import build_backbone
from ..backbones._pooling import gram
from ..persistence._recipes import portable
from ._circular import CircularConv2d
from ._taps import CONV_TAPS, check_taps

VGG_POOLINGS = ("max", "avg")
PADDINGS = ("zeros", "circular")


def tap_features(layers, weights="vgg19_normalised", vgg_pooling="max", padding="zeros"):
    """VGG19 with ``weights`` up to the deepest of ``layers`` (random weights are seeded: 0).

    ``vgg_pooling="avg"`` replaces VGG19's 2x2 max-poolings by average poolings, as Gatys et
    al. do for texture synthesis (smoother gradients); ``padding="circular"`` makes every
    convolution wrap around the image edges (a periodic image has no border). Both keep the
    weights and the receptive fields.
    """
    if vgg_pooling not in VGG_POOLINGS:
        raise ValueError(f"vgg_pooling must be one of {VGG_POOLINGS}, got {vgg_pooling!r}.")
    if padding not in PADDINGS:
        raise ValueError(f"padding must be one of {PADDINGS}, got {padding!r}.")
    check_taps(layers)
    deepest = max(layers, key=CONV_TAPS.index)
    backbone = build_backbone("vgg19", deepest, weights=weights, random_state=0)
    return TapFeatures(layers, backbone, vgg_pooling, padding)


@portable("vgg19_taps")
class TapFeatures(nn.Module):
    """VGG19 up to the deepest requested tap; returns the activations of every requested tap.

    Input: an NCHW float tensor of RGB pixels in [0, 255]. Build it with :func:`tap_features`.
    """

    def __init__(self, layers, backbone: nn.Module, vgg_pooling="max", padding="zeros"):
        super().__init__()
        self.layers = list(layers)
        backbone.requires_grad_(False)
        # here, not in tap_features: a saved model rebuilds the module from these arguments
        for block in backbone.body.children():
            for i, m in enumerate(block):
                if vgg_pooling == "avg" and isinstance(m, nn.MaxPool2d):
                    block[i] = nn.AvgPool2d(m.kernel_size, m.stride)
                elif isinstance(m, nn.Conv2d) and padding == "circular":
                    block[i] = CircularConv2d.like(m)
        self.preprocess = backbone.preprocess
        self.body = backbone.body

    def forward(self, x: torch.Tensor) -> dict:
        h = self.preprocess(x / 255.0)
        out = {}
        for name, module in self.body.named_children():
            h = module(h)
            if name in self.layers:
                out[name] = h
            if len(out) == len(self.layers):
                break
        return out


def target_grams(model: TapFeatures, images) -> dict:
    """Gram matrices of each tap averaged over encoded images (each (H, W, 3) in [0, 255])."""
    sums = {}
    device = next(model.parameters()).device
    with torch.no_grad():
        for img in images:
            x = torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1), np.float32))[None]
            for name, f in model(x.to(device)).items():
                g = gram(f)[0].cpu().numpy().astype(np.float64)
                sums[name] = sums.get(name, 0) + g
    return {name: (g / len(images)).astype(np.float32) for name, g in sums.items()}


class GramLoss(nn.Module):
    """Weighted sum over taps of ``||G_l(x) - A_l||^2 / (4 C_l^2)`` (Gatys et al. 2015).

    With G normalised by the number of positions M_l this equals the paper's
    ``1 / (4 C_l^2 M_l^2) * sum (G - A)^2`` for unnormalised Gram matrices.
    """

    def __init__(self, model: TapFeatures, targets: dict, layer_weights: dict):
        super().__init__()
        self.model = model
        self.layer_weights = dict(layer_weights)
        for name, t in targets.items():
            self.register_buffer(f"target_{name}", torch.as_tensor(t))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Loss of an (N, 3, H, W) batch; N > 1 compares the batch's mean Gram matrices."""
        feats = self.model(x)
        total = x.new_zeros(())
        for name, w in self.layer_weights.items():
            a = getattr(self, f"target_{name}")
            g = gram(feats[name]).mean(0)  # a batch (a volume's slices): their mean Gram
            total = total + w * ((g - a) ** 2).sum() / (4.0 * a.shape[0] ** 2)
        return total
