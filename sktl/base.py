"""Public base classes of sktl's estimators, for code that extends or checks them.

* :class:`SkorchRegressorBase`: the one skorch fit skeleton (validation, target scaling,
  seeding, early stopping, interrupts) under every torch regressor;
* :class:`BaseMultimodalRegressor` and :class:`BaseCNNRegressor`: the DMTL-R family's and the
  image CNNs' shared input handling on top of it;
* :class:`PortableStateMixin`: the torch-free pickled state that lets fitted models load with
  ``skops.io`` as well as joblib.
"""

from ._nn._skorch import SkorchRegressorBase
from .cnn._base import BaseCNNRegressor
from .multimodal._base import BaseMultimodalRegressor
from .persistence._portable import PortableStateMixin

__all__ = [
    "BaseCNNRegressor",
    "BaseMultimodalRegressor",
    "PortableStateMixin",
    "SkorchRegressorBase",
]
