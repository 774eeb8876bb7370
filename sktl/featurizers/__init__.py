"""Featurizers: images -> features of pretrained CNNs."""

from ._cache import FeatureCache, get_cache
from ._pretrained_cnn import PretrainedCNNFeaturizer

__all__ = ["FeatureCache", "PretrainedCNNFeaturizer", "get_cache"]
