"""Microstructure reconstruction from Gram matrices of pretrained VGG19 features.

Li, Zhang, Chen & Kuang (2018), "A transfer learning approach for microstructure
reconstruction and structure-property predictions", Sci. Rep. 8:13461.
"""

from ._anneal import match_volume_fractions
from ._decode import decode as decode_phases
from ._encoding import encode as encode_phases
from ._encoding import maximin_colours
from ._estimator import DEFAULT_LAYERS, MicrostructureReconstructor
from ._inputs import MAX_PHASES
from ._presets import PRESETS

__all__ = [
    "DEFAULT_LAYERS",
    "MAX_PHASES",
    "MicrostructureReconstructor",
    "PRESETS",
    "decode_phases",
    "encode_phases",
    "match_volume_fractions",
    "maximin_colours",
]
