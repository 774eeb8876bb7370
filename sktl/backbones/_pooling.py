"""Pooling: a layer's activation map -> one feature row per image; the channel Gram matrix.

The one implementation behind the featurizer's ``pooling``, the regression heads' pooling and
the Gram-matrix style loss of the reconstructor.
"""

from __future__ import annotations

import torch
from torch import nn

POOLINGS = ("avg", "max", "flatten", "gram")


class _Gram(torch.autograd.Function):
    """``F F^T / M`` of (N, C, M) maps. Autograd's own backward pass adds ``g F`` and a
    transposed ``(F^T g)^T``, and the strided addition of the two cost more than the matrix
    products (7 of the 11 ms of VGG19's ``conv1_1`` tap at 128 px, on one core); this one is
    one product."""

    @staticmethod
    def forward(ctx, f):
        ctx.save_for_backward(f)
        return torch.bmm(f, f.transpose(1, 2)) / f.shape[2]

    @staticmethod
    def backward(ctx, grad):
        (f,) = ctx.saved_tensors
        return torch.bmm(grad + grad.transpose(1, 2), f) / f.shape[2]


def gram(fmap: torch.Tensor) -> torch.Tensor:
    """Channel Gram matrix per image over positions: (N, C, H, W) -> (N, C, C), ``F F^T / (H W)``.

    Dividing by the number of positions makes Gram matrices of different image sizes comparable.
    """
    n, c, h, w = fmap.shape
    return _Gram.apply(fmap.reshape(n, c, h * w))


def gram_upper(fmap: torch.Tensor) -> torch.Tensor:
    """Upper triangle (with diagonal) of :func:`gram`, one row per image."""
    c = fmap.shape[1]
    iu = torch.triu_indices(c, c, device=fmap.device)
    return gram(fmap)[:, iu[0], iu[1]]


def pool_features(out: torch.Tensor, pooling: str) -> torch.Tensor:
    """Pool an (n, C, H, W) map, or pass an (n, D) vector through, into (n, features)."""
    if out.ndim == 2:
        return out
    if pooling == "avg":
        return out.mean(dim=(2, 3))
    if pooling == "max":
        return out.amax(dim=(2, 3))
    if pooling == "flatten":
        return out.reshape(out.shape[0], -1)
    if pooling == "gram":
        return gram_upper(out)
    raise ValueError(f"Unknown pooling {pooling!r}; use one of {POOLINGS}.")


class Pool(nn.Module):
    """:func:`pool_features` as a module, for heads that train behind a backbone."""

    def __init__(self, pooling: str = "avg"):
        super().__init__()
        if pooling not in POOLINGS:
            raise ValueError(f"Unknown pooling {pooling!r}; use one of {POOLINGS}.")
        self.pooling = pooling

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return pool_features(x, self.pooling)

    def extra_repr(self) -> str:
        return repr(self.pooling)


def pooled_feature_names(layer: str, pooling: str, feature_shape: tuple) -> list[str]:
    """Feature names matching :func:`pool_features`'s columns."""
    if len(feature_shape) == 1:
        return [f"{layer}_{i}" for i in range(feature_shape[0])]
    c, h, w = feature_shape
    if pooling in ("avg", "max"):
        return [f"{layer}_{pooling}_c{i}" for i in range(c)]
    if pooling == "flatten":
        return [f"{layer}_c{k}_y{y}_x{x}" for k in range(c) for y in range(h) for x in range(w)]
    return [f"{layer}_gram_{i}_{j}" for i in range(c) for j in range(i, c)]
