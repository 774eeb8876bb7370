"""sktl: scikit-learn compatible transfer learning for small scientific datasets."""

from ._version import __version__
from .automl import HyperoptRegressor
from .backbones import available_backbones, build_backbone, list_layers
from .composition import ElementFractionTransformer
from .featurizers import PretrainedCNNFeaturizer
from .multimodal import DescriptorRegressor, ImageRegressor, MultimodalRegressor, multimodal_input
from .transfer import DeepMLPRegressor, LayerActivationTransformer

__all__ = [
    "DeepMLPRegressor",
    "DescriptorRegressor",
    "ElementFractionTransformer",
    "HyperoptRegressor",
    "ImageRegressor",
    "LayerActivationTransformer",
    "MultimodalRegressor",
    "PretrainedCNNFeaturizer",
    "__version__",
    "available_backbones",
    "build_backbone",
    "list_layers",
    "multimodal_input",
]
