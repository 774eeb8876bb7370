"""Structure-property CNNs: a small CNN from scratch, transfer CNNs, and a two-point baseline."""

from ._cnn import CNNRegressor
from ._transfer import TransferCNNRegressor
from ._twopoint import TwoPointStatsTransformer

__all__ = [
    "CNNRegressor",
    "TransferCNNRegressor",
    "TwoPointStatsTransformer",
]
