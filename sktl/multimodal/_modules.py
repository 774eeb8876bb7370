"""Torch modules of the DMTL-R family: image branch, descriptor branch, fused head."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from .._nn._modules import dense_stack
from ..backbones._pooling import Pool
from ..persistence._recipes import portable


@portable("multimodal_net")
class MultimodalNet(nn.Module):
    """Image branch + descriptor branch, concatenated, then dense layers to the targets.

    The reference architecture (Deep Multimodal Transfer-Learned Regressor): image features ->
    Dropout(0.4) -> Dense(1000); descriptors -> MLP 100-100-50 with ReLU and dropout 0.3;
    concatenation -> Dense(1000) -> Dropout(0.3) -> Dense(100) -> Dropout(0.3) -> linear output.
    Either branch can be absent, which gives the paper's image-only and descriptor-only
    baselines with the same code.

    Parameters
    ----------
    n_image : int or None
        Width of the image features (None: no image branch).
    n_desc : int or None
        Number of descriptors (None: no descriptor branch).
    n_out : int
        Number of targets.
    image_encoder : nn.Module, optional
        Trainable part of the backbone, applied to the ``image`` input first (its output is
        pooled by ``image_pooling``). None when the image input already is a feature vector.
    image_pooling : {"avg", "max", "flatten", "gram"}, default="avg"
        Pooling of the image encoder's map.
    descriptor_skip : bool, default=False
        Add a linear path from the descriptors straight to the outputs (wide & deep), so a
        target linear in the descriptors needs nothing of the deep part.
    modality_dropout : float, default=0.0
        In training, the probability, per sample and branch, that a whole branch output is
        zeroed (never both for one sample); kept outputs are scaled by 1 / (1 - p). It makes
        the head use each modality alone as well as together.
    """

    def __init__(
        self,
        n_image: int | None,
        n_desc: int | None,
        n_out: int,
        *,
        image_units: Sequence[int] = (1000,),
        image_dropout: float = 0.4,
        desc_units: Sequence[int] = (100, 100, 50),
        desc_dropout: float = 0.3,
        head_units: Sequence[int] = (1000, 100),
        head_dropout: float = 0.3,
        image_encoder: nn.Module | None = None,
        image_pooling: str = "avg",
        descriptor_skip: bool = False,
        modality_dropout: float = 0.0,
    ):
        super().__init__()
        if n_image is None and n_desc is None:
            raise ValueError(
                "MultimodalNet needs at least one of the image and descriptor branches."
            )
        width = 0
        self.image_encoder = (
            None if image_encoder is None else nn.Sequential(image_encoder, Pool(image_pooling))
        )
        self.image_branch = None
        if n_image is not None:
            self.image_branch = dense_stack(n_image, image_units, 0.0, dropout_first=image_dropout)[0]
            width += image_units[-1] if image_units else n_image
        self.desc_branch = None
        if n_desc is not None:
            self.desc_branch = dense_stack(n_desc, desc_units, desc_dropout)[0]
            width += desc_units[-1] if desc_units else n_desc
        self.head = dense_stack(width, head_units, head_dropout)[0]
        self.out = nn.Linear(head_units[-1] if head_units else width, n_out)
        self.skip = nn.Linear(n_desc, n_out) if descriptor_skip and n_desc is not None else None
        self.modality_dropout = float(modality_dropout)

    def _drop_modalities(self, parts):
        """Zero one whole branch output per sample with probability p each (training only)."""
        p = self.modality_dropout
        if not self.training or p <= 0 or len(parts) < 2:
            return parts
        # one draw per sample: the image is dropped if u < p, the descriptors if u >= 1 - p
        u = torch.rand(parts[0].shape[0], 1, device=parts[0].device)
        keep = [(u >= p).float(), (u < 1 - p).float()]
        return [part * k / (1 - p) for part, k in zip(parts, keep, strict=True)]

    def forward(self, image: torch.Tensor | None = None, features: torch.Tensor | None = None):
        parts = []
        if self.image_branch is not None:
            if self.image_encoder is not None:
                image = self.image_encoder(image)
            parts.append(self.image_branch(image))
        if self.desc_branch is not None:
            parts.append(self.desc_branch(features))
        parts = self._drop_modalities(parts)
        z = parts[0] if len(parts) == 1 else torch.cat(parts, dim=1)
        out = self.out(self.head(z))
        return out if self.skip is None else out + self.skip(features)
