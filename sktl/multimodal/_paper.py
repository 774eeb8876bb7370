"""The published DMTL-R settings, as a constant dict of ``MultimodalRegressor`` parameters."""

from __future__ import annotations

#: The Deep Multimodal Transfer-Learned Regressor as published: one concatenated network with
#: the paper's layer sizes and training (``MultimodalRegressor(**DMTLR_PAPER)``).
DMTLR_PAPER: dict = {
    "image_units": (1000,),
    "image_dropout": 0.4,
    "descriptor_units": (100, 100, 50),
    "descriptor_dropout": 0.3,
    "head_units": (1000, 100),
    "head_dropout": 0.3,
    "descriptor_skip": False,
    "modality_dropout": 0.0,
    "fusion": "concat",
    "lr": 1e-3,
    "lr_decay": 1e-4,
    "weight_decay": 0.0,
    "batch_size": 32,
    "max_epochs": 20,
}
