"""sktl: scikit-learn compatible transfer learning for small scientific datasets."""

from . import descriptors, persistence
from ._version import __version__
from .automl import HyperoptRegressor
from .backbones import available_backbones, build_backbone, list_layers
from .cnn import (
    TRANSFER_CNN_PAPER,
    CNNRegressor,
    StructurePropertyRegressor,
    TransferCNNRegressor,
)
from .composition import (
    CompositionRegressor,
    ElementFractionTransformer,
    ElementPropertyTransformer,
)
from .descriptors import TwoPointStatsTransformer
from .featurizers import FeatureCache, PretrainedCNNFeaturizer
from .multimodal import (
    DMTLR_PAPER,
    DescriptorRegressor,
    ImageRegressor,
    MultimodalRegressor,
    multimodal_input,
)
from .reconstruction import MicrostructureReconstructor
from .transfer import (
    DeepMLPRegressor,
    LayerActivationTransformer,
    SmallDataWarning,
    TLRLRegressor,
    pretrain_source,
)
from .utils._domain import OutOfDomainWarning
from .utils._errors import DamagedCacheWarning, UnreadableFileError

__all__ = [
    "DMTLR_PAPER",
    "CNNRegressor",
    "CompositionRegressor",
    "DamagedCacheWarning",
    "DeepMLPRegressor",
    "DescriptorRegressor",
    "ElementFractionTransformer",
    "ElementPropertyTransformer",
    "FeatureCache",
    "HyperoptRegressor",
    "ImageRegressor",
    "LayerActivationTransformer",
    "MicrostructureReconstructor",
    "MultimodalRegressor",
    "OutOfDomainWarning",
    "PretrainedCNNFeaturizer",
    "SmallDataWarning",
    "StructurePropertyRegressor",
    "TLRLRegressor",
    "TRANSFER_CNN_PAPER",
    "TransferCNNRegressor",
    "TwoPointStatsTransformer",
    "UnreadableFileError",
    "__version__",
    "available_backbones",
    "build_backbone",
    "descriptors",
    "list_layers",
    "multimodal_input",
    "persistence",
    "pretrain_source",
]
