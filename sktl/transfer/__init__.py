"""Transfer and representation learning with ElemNet-style deep MLPs (Gupta et al. 2021)."""

from ._activations import LayerActivationTransformer
from ._architecture import build_mlp, parse_architecture
from ._deep_mlp import ELEMNET_ARCHITECTURE, DeepMLPRegressor
from ._tlrl import TLRLRegressor

__all__ = [
    "ELEMNET_ARCHITECTURE",
    "DeepMLPRegressor",
    "LayerActivationTransformer",
    "TLRLRegressor",
    "build_mlp",
    "parse_architecture",
]
