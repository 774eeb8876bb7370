"""DMTL-R (image + descriptors) and the paper's two single-modality baselines."""

from __future__ import annotations

import numbers

from sklearn.utils._param_validation import Interval

from .._docstrings import fill_doc
from ._base import COMMON_CONSTRAINTS, IMAGE_CONSTRAINTS, BaseMultimodalRegressor

_UNITS = [tuple, list]
_RATE = [Interval(numbers.Real, 0, 1, closed="left")]

_TRAINING_DOC = """
    lr : float, default=1e-3
        Adam's learning rate.
    lr_decay : float, default=1e-4
        Keras-style time decay per batch, ``lr / (1 + lr_decay * t)`` (0 switches it off).
    weight_decay : float, default=0.0
        L2 penalty of Adam.
    batch_size : int, default=32
    max_epochs : int, default=20
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training rows (a seeded split) and stop when the
        validation loss has not improved for ``patience`` epochs, restoring the best weights.
        Off by default, so a CV fold trains on all of its rows.
    patience : int, default=5
    validation_fraction : float, default=0.1
    standardize : bool, default=True
        Standardise descriptors, frozen image features and targets inside; predictions come
        back in the original units.
    device : str, default="cpu"
    verbose : int, default=0
        skorch's per-epoch log when > 0.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, shuffling, dropout and the validation split; the global
        torch random state is left untouched.
"""

_IMAGE_DOC = """
    backbone : str, default="efficientnet_lite0"
        Pretrained CNN of the image branch (see :func:`sktl.backbones.available_backbones`).
    layer : str or None, default=None
        Tap whose globally averaged activations feed the branch (None: the backbone's global
        pool, the paper's "penultimate" features).
    weights : default="imagenet"
        Weight source, as for :class:`sktl.PretrainedCNNFeaturizer` (None: random control).
    freeze : "all", "none" or int, default="all"
        "all" keeps the backbone frozen (the paper; its features are computed once and cached),
        "none" trains it end to end, an int k trains its last k taps (blocks) and caches the
        frozen part's output.
    input_size : None, "native", int or (int, int), default=None
        Resize images before the backbone (None keeps their size).
    intensity_range : "auto" or (float, float), default="auto"
        Pixel values mapped to black and white ("auto": uint8 0..255, others 0..1).
    image_shape : tuple or None, default=None
        (H, W[, C]) of the packed 2-D form ``[pixels | descriptors]``.
    image_dropout : float, default=0.4
        Dropout on the image features before the branch's dense layer.
    cache : bool or str, default=True
        Cache frozen features per image (True: in memory; a folder: also on disk), so that CV
        folds and grid points reuse them.
"""


_doc = fill_doc(image=_IMAGE_DOC, training=_TRAINING_DOC)


@_doc
class MultimodalRegressor(BaseMultimodalRegressor):
    """Deep Multimodal Transfer-Learned Regressor (DMTL-R): image + descriptors -> targets.

    A pretrained CNN branch (frozen by default) and an MLP branch over a descriptor vector
    are concatenated and followed by dense layers with dropout; one skorch network trained on
    mean squared error. Works with one or many targets.

    Reference architecture: image features -> Dropout(0.4) -> Dense(1000); descriptors -> MLP
    100-100-50 (ReLU, dropout 0.3); concatenation -> Dense(1000) -> Dropout(0.3) -> Dense(100)
    -> Dropout(0.3) -> linear output; Adam, lr 1e-3 with decay, batch 32, 20 epochs.

    Parameters
    ----------
    %(image)s
    image_units : tuple of int, default=(1000,)
        Dense layers of the image branch.
    desc_units : tuple of int, default=(100, 100, 50)
        Dense layers of the descriptor branch.
    desc_dropout : float, default=0.3
    head_units : tuple of int, default=(1000, 100)
        Dense layers after the concatenation.
    head_dropout : float, default=0.3
    %(training)s

    Attributes
    ----------
    net_ : skorch.NeuralNetRegressor
    featurizer_ : PretrainedCNNFeaturizer or None
        The frozen part of the backbone.
    history_ : list of dict
        Per-epoch train (and validation) loss, in standardised units.
    n_outputs_ : int
    n_features_in_ : int
        Number of descriptors.

    Examples
    --------
    >>> from sktl import MultimodalRegressor, multimodal_input
    >>> X = multimodal_input(images, descriptors)  # doctest: +SKIP
    >>> MultimodalRegressor(weights="imagenet").fit(X, y).predict(X)  # doctest: +SKIP
    """

    _parameter_constraints: dict = {
        **COMMON_CONSTRAINTS,
        **IMAGE_CONSTRAINTS,
        "image_units": _UNITS,
        "desc_units": _UNITS,
        "desc_dropout": _RATE,
        "head_units": _UNITS,
        "head_dropout": _RATE,
    }

    def __init__(
        self,
        backbone="efficientnet_lite0",
        layer=None,
        weights="imagenet",
        freeze="all",
        input_size=None,
        intensity_range="auto",
        image_shape=None,
        image_dropout=0.4,
        image_units=(1000,),
        desc_units=(100, 100, 50),
        desc_dropout=0.3,
        head_units=(1000, 100),
        head_dropout=0.3,
        lr=1e-3,
        lr_decay=1e-4,
        weight_decay=0.0,
        batch_size=32,
        max_epochs=20,
        early_stopping=False,
        patience=5,
        validation_fraction=0.1,
        standardize=True,
        cache=True,
        device="cpu",
        verbose=0,
        random_state=None,
    ):
        self.backbone = backbone
        self.layer = layer
        self.weights = weights
        self.freeze = freeze
        self.input_size = input_size
        self.intensity_range = intensity_range
        self.image_shape = image_shape
        self.image_dropout = image_dropout
        self.image_units = image_units
        self.desc_units = desc_units
        self.desc_dropout = desc_dropout
        self.head_units = head_units
        self.head_dropout = head_dropout
        self.lr = lr
        self.lr_decay = lr_decay
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.early_stopping = early_stopping
        self.patience = patience
        self.validation_fraction = validation_fraction
        self.standardize = standardize
        self.cache = cache
        self.device = device
        self.verbose = verbose
        self.random_state = random_state

    def _net_kwargs(self):
        return dict(
            image_units=tuple(self.image_units),
            image_dropout=self.image_dropout,
            desc_units=tuple(self.desc_units),
            desc_dropout=self.desc_dropout,
            head_units=tuple(self.head_units),
            head_dropout=self.head_dropout,
        )


@_doc
class ImageRegressor(BaseMultimodalRegressor):
    """Image-only baseline of DMTL-R: pretrained CNN -> Dense [1000, 100] -> targets.

    Takes the same multimodal input as :class:`MultimodalRegressor` (and ignores the
    descriptors), so a GridSearchCV can switch between the three.

    Parameters
    ----------
    %(image)s
    units : tuple of int, default=(1000, 100)
        Dense layers after the image features (ReLU).
    dropout : float, default=0.3
        Dropout after each dense layer.
    %(training)s

    Attributes
    ----------
    net_ : skorch.NeuralNetRegressor
    featurizer_ : PretrainedCNNFeaturizer or None
    history_ : list of dict
    n_outputs_ : int
    n_features_in_ : int
        Number of descriptors of the input (not used by this model).
    """

    _uses_descriptors = False
    _parameter_constraints: dict = {
        **COMMON_CONSTRAINTS,
        **IMAGE_CONSTRAINTS,
        "units": _UNITS,
        "dropout": _RATE,
    }

    def __init__(
        self,
        backbone="efficientnet_lite0",
        layer=None,
        weights="imagenet",
        freeze="all",
        input_size=None,
        intensity_range="auto",
        image_shape=None,
        image_dropout=0.4,
        units=(1000, 100),
        dropout=0.3,
        lr=1e-3,
        lr_decay=1e-4,
        weight_decay=0.0,
        batch_size=32,
        max_epochs=20,
        early_stopping=False,
        patience=5,
        validation_fraction=0.1,
        standardize=True,
        cache=True,
        device="cpu",
        verbose=0,
        random_state=None,
    ):
        self.backbone = backbone
        self.layer = layer
        self.weights = weights
        self.freeze = freeze
        self.input_size = input_size
        self.intensity_range = intensity_range
        self.image_shape = image_shape
        self.image_dropout = image_dropout
        self.units = units
        self.dropout = dropout
        self.lr = lr
        self.lr_decay = lr_decay
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.early_stopping = early_stopping
        self.patience = patience
        self.validation_fraction = validation_fraction
        self.standardize = standardize
        self.cache = cache
        self.device = device
        self.verbose = verbose
        self.random_state = random_state

    def _net_kwargs(self):
        units = tuple(self.units)
        return dict(
            image_units=units[:1],
            image_dropout=self.image_dropout,
            head_units=units[1:],
            head_dropout=self.dropout,
        )


@_doc
class DescriptorRegressor(BaseMultimodalRegressor):
    """Descriptor-only baseline of DMTL-R: MLP [d, 100, 100, 50] -> targets.

    Takes the multimodal input of :class:`MultimodalRegressor` (ignoring the images) or a
    plain (n, d) descriptor table.

    Parameters
    ----------
    units : tuple of int, default=(100, 100, 50)
        Dense layers (ReLU).
    dropout : float, default=0.3
        Dropout after each dense layer.
    image_shape : tuple or None, default=None
        (H, W[, C]) of the packed 2-D form ``[pixels | descriptors]``; None means a 2-D input
        is a plain descriptor table.
    %(training)s

    Attributes
    ----------
    net_ : skorch.NeuralNetRegressor
    history_ : list of dict
    n_outputs_ : int
    n_features_in_ : int
    """

    _uses_image = False
    _parameter_constraints: dict = {
        **COMMON_CONSTRAINTS,
        "image_shape": [None, tuple, list],
        "units": _UNITS,
        "dropout": _RATE,
    }

    def __init__(
        self,
        units=(100, 100, 50),
        dropout=0.3,
        image_shape=None,
        lr=1e-3,
        lr_decay=1e-4,
        weight_decay=0.0,
        batch_size=32,
        max_epochs=20,
        early_stopping=False,
        patience=5,
        validation_fraction=0.1,
        standardize=True,
        device="cpu",
        verbose=0,
        random_state=None,
    ):
        self.units = units
        self.dropout = dropout
        self.image_shape = image_shape
        self.lr = lr
        self.lr_decay = lr_decay
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.early_stopping = early_stopping
        self.patience = patience
        self.validation_fraction = validation_fraction
        self.standardize = standardize
        self.device = device
        self.verbose = verbose
        self.random_state = random_state

    def _net_kwargs(self):
        return dict(desc_units=tuple(self.units), desc_dropout=self.dropout, head_units=())
