"""Structure-property CNNs: a small CNN from scratch and transfer CNNs.

The two-point baseline they are compared with is :class:`sktl.descriptors.TwoPointStatsTransformer`.
"""

from ._cnn import CNNRegressor
from ._transfer import TransferCNNRegressor

__all__ = [
    "CNNRegressor",
    "TransferCNNRegressor",
]
