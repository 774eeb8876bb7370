"""Featurizers: images -> features of pretrained CNNs."""

from ._pretrained_cnn import PretrainedCNNFeaturizer

__all__ = ["PretrainedCNNFeaturizer"]
