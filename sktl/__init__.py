"""sktl: scikit-learn compatible transfer learning for small scientific datasets."""

from ._version import __version__
from .automl import HyperoptRegressor
from .backbones import available_backbones, build_backbone, list_layers
from .featurizers import PretrainedCNNFeaturizer
from .multimodal import DescriptorRegressor, ImageRegressor, MultimodalRegressor, multimodal_input

__all__ = [
    "DescriptorRegressor",
    "HyperoptRegressor",
    "ImageRegressor",
    "MultimodalRegressor",
    "PretrainedCNNFeaturizer",
    "__version__",
    "available_backbones",
    "build_backbone",
    "list_layers",
    "multimodal_input",
]
