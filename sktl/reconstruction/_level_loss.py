"""The losses of one coarse-to-fine level: the Gram loss and the descriptor terms, 2-D or 3-D."""

from __future__ import annotations

import functools
import itertools

import numpy as np
import torch

from ._descriptor_loss import (
    AxialLinealPathLoss,
    AxialS2Loss,
    LinealPathLoss,
    PeriodicS2Loss,
    S2Loss,
    S2MapLoss,
)
from ._gram import GramLoss


def device_of(module) -> torch.device:
    """The device of ``module``'s first buffer or parameter (CPU where it has none)."""
    for tensor in itertools.chain(module.buffers(), module.parameters()):
        return tensor.device
    return torch.device("cpu")


def level_losses(
    model,
    targets,
    shape,
    colours,
    layer_weights,
    s2_weight,
    lineal_path_weight,
    draw=None,
    axial=False,
    s2_ring_weights=None,
    slice_counts=(None, None),
):
    """The Gram loss and the [(weight, term)] descriptor terms, as callables of pixels.

    For a 2-D ``shape`` they take NCHW pixels and ``targets`` is one level's dict of targets.
    For a volume (D, H, W) they take (1, 3, D, H, W) pixels and ``targets`` is a list of three
    such dicts: the slices normal to axis k are scored against ``targets[k]``. With ``draw`` (a
    :class:`SliceDraw`), the Gram loss and the lineal path score the numbers of slices per axis
    in ``slice_counts`` (Gram, lineal path; None: every slice), drawn by ``draw``; a Gram count
    of 0 leaves the Gram loss out (None is returned for it). The S2 terms, computed by FFT,
    see every slice. ``axial=True`` (three planes of an anisotropic volume) matches the
    non-periodic S2 and the lineal path of each plane along each of its two axes, not averaged
    over them. With ``s2_ring_weights`` (one weight per ring of lags, r = 0, 1, ...), the
    non-periodic S2 is matched at every lag (:class:`S2MapLoss`, the "s2_map" target), its
    directional part weighted ring by ring, in place of its average over directions (not with
    ``axial``).
    """
    device = device_of(model)
    # S2 by both estimators, half the weight each: users score with either, and a sample
    # matched to the non-periodic S2 alone missed the periodic one by 2-5x as much
    specs = [
        (s2_weight / 2, *_non_periodic_s2(axial, s2_ring_weights)),
        (s2_weight / 2, PeriodicS2Loss, "s2_periodic"),
        (
            lineal_path_weight,
            *(
                (AxialLinealPathLoss, "lineal_path_axes")
                if axial
                else (LinealPathLoss, "lineal_path")
            ),
        ),
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
    n_gram, n_lineal = slice_counts
    gram = None if n_gram == 0 else AxisMean(grams, draw, n_gram)
    return gram, [
        (w, AxisMean(ts, draw, n_lineal) if cls in (LinealPathLoss, AxialLinealPathLoss)
         else AxisMean(ts))
        for (w, cls, _), ts in zip(specs, terms, strict=True)
    ]


def _non_periodic_s2(axial, ring_weights):
    """The class (or a maker) and target key of the non-periodic S2 term."""
    if axial:
        return AxialS2Loss, "s2_axes"
    if ring_weights is None:
        return S2Loss, "s2"
    return functools.partial(S2MapLoss, ring_weights=ring_weights), "s2_map"


# With slice subsets the lineal path scores this many times ``n_slices`` slices per axis (the
# largest entry where it is one per level): a slice costs it a fraction of what VGG19 costs,
# and on the design material (carbonate, 64^3) scoring it on the Gram loss's 8 slices left
# its error 1.6x that of every slice, on 32 at most 1.0x, for 10 % more time.
LINEAL_PATH_SHARE = 4


class SliceDraw:
    """Random subsets of slices per axis of a volume, drawn from ``rng``.

    The subset of an axis stays the same until :meth:`redraw`, so that the terms of one
    evaluation (and, for L-BFGS-B, the evaluations of a block) see the same slices.
    """

    def __init__(self, rng):
        self.rng = rng
        self._picks = {}

    def redraw(self) -> None:
        self._picks = {}

    def pick(self, axis: int, n: int, count: int):
        """Sorted indices of ``count`` slices of ``axis`` (of ``n``) in the current draw; None
        when the axis has no more (all of them are scored)."""
        if count >= n:
            return None
        if (axis, n, count) not in self._picks:
            self._picks[(axis, n, count)] = np.sort(self.rng.choice(n, count, replace=False))
        return self._picks[(axis, n, count)]

    def redrawing(self, loss):
        """``loss`` that draws new slices before every evaluation (Adam's steps)."""

        def _loss(x):
            self.redraw()
            return loss(x)

        return _loss


class AxisMean(torch.nn.Module):
    """Mean over the three axes of a loss applied to a volume's slices normal to each axis.

    With ``draw`` (a :class:`SliceDraw`) and ``count``, only the ``count`` slices per axis it
    has drawn are scored.
    """

    def __init__(self, losses, draw=None, count=None):
        super().__init__()
        self.losses = torch.nn.ModuleList(losses)
        self.draw = draw
        self.count = count

    def _subset(self, axis: int, slices: torch.Tensor) -> torch.Tensor:
        pick = (
            None
            if self.draw is None or self.count is None
            else self.draw.pick(axis, slices.shape[0], self.count)
        )
        return slices if pick is None else slices[torch.from_numpy(pick).to(slices.device)]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._mean(x, lambda f: f)

    def scale(self, x: torch.Tensor) -> torch.Tensor:
        """The same mean of each loss's ``scale`` (its value where it has none): what
        ``weighted_objective`` divides the term by."""
        return self._mean(x, lambda f: getattr(f, "scale", f))

    def _mean(self, x: torch.Tensor, part) -> torch.Tensor:
        v = x[0]  # (3, D, H, W)
        slices = (
            v.permute(1, 0, 2, 3),  # normal to axis 0: D slices of (H, W)
            v.permute(2, 0, 1, 3),  # normal to axis 1: H slices of (D, W)
            v.permute(3, 0, 1, 2),  # normal to axis 2: W slices of (D, H)
        )
        return (
            sum(
                part(f)(self._subset(a, sl))
                for a, (f, sl) in enumerate(zip(self.losses, slices, strict=True))
            )
            / 3.0
        )
