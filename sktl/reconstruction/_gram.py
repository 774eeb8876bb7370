"""VGG19 features at several taps and the normalised Gram-matrix style loss of Gatys et al."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from .._persistence import portable
from ..backbones import build_backbone, list_layers
from ..backbones._pooling import gram


def tap_features(layers, weights="vgg19_normalised") -> TapFeatures:
    """VGG19 with ``weights`` up to the deepest of ``layers`` (random weights are seeded: 0)."""
    order = list_layers("vgg19")
    unknown = [t for t in layers if t not in order or t.startswith("fc")]
    if unknown:
        raise ValueError(
            f"Unknown VGG19 conv/pool taps {unknown}; choose among "
            f"{[t for t in order if not t.startswith('fc')]}."
        )
    deepest = max(layers, key=order.index)
    return TapFeatures(layers, build_backbone("vgg19", deepest, weights=weights, random_state=0))


@portable("vgg19_taps")
class TapFeatures(nn.Module):
    """VGG19 up to the deepest requested tap; returns the activations of every requested tap.

    Input: an NCHW float tensor of RGB pixels in [0, 255]. Build it with :func:`tap_features`.
    """

    def __init__(self, layers, backbone: nn.Module):
        super().__init__()
        self.layers = list(layers)
        backbone.requires_grad_(False)
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
        feats = self.model(x)
        total = x.new_zeros(())
        for name, w in self.layer_weights.items():
            a = getattr(self, f"target_{name}")
            g = gram(feats[name])
            total = total + w * ((g - a) ** 2).sum() / (4.0 * a.shape[0] ** 2)
        return total
