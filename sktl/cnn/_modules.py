"""Torch modules of the structure-property CNNs: a small CNN and a backbone + regression head."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from .._nn._modules import dense_stack
from ..backbones._pooling import pool_features
from ..persistence._recipes import portable


@portable("small_cnn")
class SmallCNN(nn.Module):
    """``n_blocks`` x [Conv -> BatchNorm -> ReLU -> MaxPool 2], global average pool, dense head.

    Block ``i`` has ``filters * 2**i`` channels. Convolutions pad "same", circularly by default
    (microstructures are periodic), and pooling rounds up, so any image size down to 1x1 works.

    Parameters
    ----------
    in_channels, n_outputs : int
    n_blocks, filters, kernel_size : int
    dropout : float
        Dropout after the global pooling and after each dense layer.
    dense_units : sequence of int
    padding_mode : {"circular", "zeros"}
    """

    def __init__(
        self,
        in_channels: int,
        n_outputs: int,
        *,
        n_blocks: int = 3,
        filters: int = 16,
        kernel_size: int = 3,
        dropout: float = 0.0,
        dense_units: Sequence[int] = (64,),
        padding_mode: str = "circular",
    ):
        super().__init__()
        blocks: list[nn.Module] = []
        c_in = in_channels
        for i in range(n_blocks):
            c_out = filters * 2**i
            blocks += [
                nn.Conv2d(c_in, c_out, kernel_size, padding="same", padding_mode=padding_mode),
                nn.BatchNorm2d(c_out),
                nn.ReLU(),
                nn.MaxPool2d(2, ceil_mode=True),
            ]
            c_in = c_out
        self.features = nn.Sequential(*blocks)
        self.drop = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.dense, width = dense_stack(c_in, dense_units, dropout)
        self.out = nn.Linear(width, n_outputs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = self.features(x).mean(dim=(2, 3))
        return self.out(self.dense(self.drop(z)))


@portable("regression_head")
class RegressionHead(nn.Module):
    """Fixed standardisation of the backbone features, then dense layers to the targets.

    The standardisation (mean, scale) is a buffer, so a head trained on cached standardised
    features keeps working when it is put back behind the backbone for fine-tuning.
    """

    def __init__(
        self,
        n_in: int,
        n_outputs: int,
        *,
        units: Sequence[int],
        dropout: float,
        mean: np.ndarray | None = None,
        scale: np.ndarray | None = None,
    ):
        super().__init__()
        mean = np.zeros(n_in) if mean is None else mean
        scale = np.ones(n_in) if scale is None else scale
        self.register_buffer("mean", torch.as_tensor(mean, dtype=torch.float32))
        self.register_buffer("scale", torch.as_tensor(scale, dtype=torch.float32))
        self.dense, width = dense_stack(n_in, units, dropout)
        self.out = nn.Linear(width, n_outputs)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.out(self.dense((z - self.mean) / self.scale))


@portable("backbone_regressor")
class BackboneRegressor(nn.Module):
    """A (truncated) backbone, its map pooled (``pooling`` as in the featurizer), then a head.

    Takes NCHW RGB in [0, 1] (the backbone preprocesses inside). With ``freeze_bn`` the
    backbone's batch-norm layers stay in eval mode while training: small batches of a few
    hundred microstructures would otherwise overwrite their ImageNet statistics.
    """

    def __init__(self, backbone: nn.Module, head: RegressionHead, pool: str, freeze_bn=True):
        super().__init__()
        self.backbone = backbone
        self.head = head
        self.pool = pool
        self.freeze_bn = freeze_bn

    def train(self, mode: bool = True):
        super().train(mode)
        if mode and self.freeze_bn:
            for m in self.backbone.modules():
                if isinstance(m, nn.modules.batchnorm._BatchNorm):
                    m.eval()
        return self

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = self.backbone(x)
        # "gap" is how models saved before sktl 1.0 name average pooling
        return self.head(pool_features(z, "avg" if self.pool == "gap" else self.pool))
