"""Featurizers: images -> features of pretrained CNNs, and the cache estimators may share."""

from ._cache import FeatureCache
from ._pretrained_cnn import PretrainedCNNFeaturizer

__all__ = ["FeatureCache", "PretrainedCNNFeaturizer"]
