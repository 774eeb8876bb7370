"""Transfer and representation learning with ElemNet-style deep MLPs (Gupta et al. 2021)."""

from ._activations import LayerActivationTransformer
from ._architecture import build_mlp, parse_architecture
from ._deep_mlp import ELEMNET_ARCHITECTURE, SMALL_DATA_ROWS, DeepMLPRegressor, SmallDataWarning
from ._pretrain import SOURCE_ARCHITECTURE, SOURCE_SETTINGS, pretrain_source, source_features
from ._tlrl import TLRLRegressor

__all__ = [
    "ELEMNET_ARCHITECTURE",
    "SOURCE_ARCHITECTURE",
    "SOURCE_SETTINGS",
    "SMALL_DATA_ROWS",
    "SmallDataWarning",
    "DeepMLPRegressor",
    "LayerActivationTransformer",
    "TLRLRegressor",
    "build_mlp",
    "parse_architecture",
    "pretrain_source",
    "source_features",
]
