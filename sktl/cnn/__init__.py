"""Structure-property models: a small CNN from scratch, transfer CNNs, and a stack of them.

The two-point baseline they are compared with is :class:`sktl.descriptors.TwoPointStatsTransformer`.
"""

from ._cnn import CNNRegressor
from ._paper import TRANSFER_CNN_PAPER
from ._stack import StructurePropertyRegressor
from ._transfer import TransferCNNRegressor

__all__ = [
    "TRANSFER_CNN_PAPER",
    "CNNRegressor",
    "StructurePropertyRegressor",
    "TransferCNNRegressor",
]
