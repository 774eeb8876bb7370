"""AutoML baselines from hyperopt-sklearn, as ordinary scikit-learn estimators."""

from ._hyperopt import HyperoptRegressor

__all__ = ["HyperoptRegressor"]
