"""Li et al.'s transfer rule, as a constant dict of ``TransferCNNRegressor`` parameters."""

from __future__ import annotations

#: Li et al. (Sci. Rep. 8:13461, 2018): VGG19 kept up to pool3, its map flattened, then dense
#: layers of 2048 and 1024 units with dropout 0.5, head only
#: (``TransferCNNRegressor(**TRANSFER_CNN_PAPER)``). Below a few thousand samples its
#: 16,384-input first layer overfits (see the CNN guide); the defaults pool instead.
TRANSFER_CNN_PAPER: dict = {
    "backbone": "vgg19",
    "weights": "vgg19_normalised",
    "layer": "pool3",
    "pooling": "flatten",
    "freeze": "all",
    "head_units": (2048, 1024),
    "head_dropout": 0.5,
}
