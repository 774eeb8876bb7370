"""The losses of one coarse-to-fine level: the Gram loss and the descriptor terms, 2-D or 3-D."""

from __future__ import annotations

import torch

from ._descriptor_loss import LinealPathLoss, PeriodicS2Loss, S2Loss
from ._gram import GramLoss


def device_of(module) -> torch.device:
    return next(iter(module.buffers()), next(module.parameters())).device


def level_losses(model, targets, shape, colours, layer_weights, s2_weight, lineal_path_weight):
    """The Gram loss and the [(weight, term)] descriptor terms, as callables of pixels.

    For a 2-D ``shape`` they take NCHW pixels and ``targets`` is one level's dict of targets.
    For a volume (D, H, W) they take (1, 3, D, H, W) pixels and ``targets`` is a list of three
    such dicts: the slices normal to axis k are scored against ``targets[k]``.
    """
    device = device_of(model)
    # S2 by both estimators, half the weight each: users score with either, and a sample
    # matched to the non-periodic S2 alone missed the periodic one by 2-5x as much
    specs = [
        (s2_weight / 2, S2Loss, "s2"),
        (s2_weight / 2, PeriodicS2Loss, "s2_periodic"),
        (lineal_path_weight, LinealPathLoss, "lineal_path"),
    ]
    specs = [spec for spec in specs if spec[0] > 0]
    if len(shape) == 2:
        gram = GramLoss(model, targets["grams"], layer_weights).to(device)
        terms = [(w, cls(colours, targets[key], shape).to(device)) for w, cls, key in specs]
        return gram, terms
    grams, terms = [], [[] for _ in specs]
    for axis, t in enumerate(targets):
        plane = tuple(n for a, n in enumerate(shape) if a != axis)
        grams.append(GramLoss(model, t["grams"], layer_weights).to(device))
        for j, (_, cls, key) in enumerate(specs):
            terms[j].append(cls(colours, t[key], plane).to(device))
    return AxisMean(grams), [(w, AxisMean(ts)) for (w, _, _), ts in zip(specs, terms, strict=True)]


class AxisMean(torch.nn.Module):
    """Mean over the three axes of a loss applied to a volume's slices normal to each axis."""

    def __init__(self, losses):
        super().__init__()
        self.losses = torch.nn.ModuleList(losses)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        v = x[0]  # (3, D, H, W)
        slices = (
            v.permute(1, 0, 2, 3),  # normal to axis 0: D slices of (H, W)
            v.permute(2, 0, 1, 3),  # normal to axis 1: H slices of (D, W)
            v.permute(3, 0, 1, 2),  # normal to axis 2: W slices of (D, H)
        )
        return sum(f(sl) for f, sl in zip(self.losses, slices, strict=True)) / 3.0
