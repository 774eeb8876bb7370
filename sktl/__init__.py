"""sktl: scikit-learn compatible transfer learning for small scientific datasets."""

from ._version import __version__
from .backbones import available_backbones, build_backbone, list_layers
from .featurizers import PretrainedCNNFeaturizer

__all__ = [
    "PretrainedCNNFeaturizer",
    "__version__",
    "available_backbones",
    "build_backbone",
    "list_layers",
]
