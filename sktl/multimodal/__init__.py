"""Multimodal regression (DMTL-R): images + descriptors -> targets, and its baselines."""

from ._input import multimodal_input
from ._paper import DMTLR_PAPER
from ._regressors import DescriptorRegressor, ImageRegressor, MultimodalRegressor

__all__ = [
    "DMTLR_PAPER",
    "DescriptorRegressor",
    "ImageRegressor",
    "MultimodalRegressor",
    "multimodal_input",
]
