"""Transfer and representation learning with ElemNet-style deep MLPs (Gupta et al. 2021)."""

from ._activations import LayerActivationTransformer
from ._architecture import build_mlp, parse_architecture
from ._deep_mlp import ELEMNET_ARCHITECTURE, SMALL_DATA_ROWS, DeepMLPRegressor, SmallDataWarning
from ._pretrain import SOURCE_ARCHITECTURE, SOURCE_SETTINGS, pretrain_source, source_features
from ._source_check import predict_source, write_source_check
from ._sources import available_sources, load_source, write_source
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
    "available_sources",
    "build_mlp",
    "load_source",
    "parse_architecture",
    "predict_source",
    "pretrain_source",
    "source_features",
    "write_source",
    "write_source_check",
]
