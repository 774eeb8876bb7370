"""DMTL-R (image + descriptors) and the paper's two single-modality baselines."""

from __future__ import annotations

from ..utils._docstrings import fill_doc
from ..utils._vocabulary import vocabulary
from ._base import BaseMultimodalRegressor

_TRAINING_TEMPLATE = """
    lr : float, default=1e-3
        Adam's learning rate.
    lr_decay : float, default=1e-4
        Keras-style time decay per batch, ``lr / (1 + lr_decay * t)`` (0 switches it off).
    weight_decay : float, default={weight_decay}
        L2 penalty of Adam.
    batch_size : int, default=32
        Samples per gradient step.
    max_epochs : int, default={max_epochs}
        Passes over the training samples.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training rows (a seeded split) and stop when the
        validation loss has not improved for ``patience`` epochs, restoring the best weights.
        Off by default, so a CV fold trains on all of its rows.
    patience : int, default=5
        Epochs without a better validation loss before early stopping ends training (used
        with ``early_stopping=True``).
    validation_fraction : float, default=0.1
        Share of the training rows held out for early stopping (used with
        ``early_stopping=True``).
    standardize_y : bool, default=True
        Standardise the targets inside; predictions come back in the original units.
        (Descriptors and frozen image features are always standardised with their training
        statistics.)
"""

_IMAGE_DOC = """
    backbone : str, default="efficientnet_lite0"
        Pretrained CNN of the image branch (see :func:`sktl.backbones.available_backbones`).
    layer : str or None, default=None
        Tap whose pooled activations feed the branch (None: the backbone's global pool, the
        paper's "penultimate" features).
    weights : None, str, path-like or WeightSource, default="imagenet"
        Weight source, as for :class:`sktl.PretrainedCNNFeaturizer` (None: random control).
    freeze : "all", "none" or int, default="all"
        "all" keeps the backbone frozen (the paper; its features are computed once per fit),
        "none" trains it end to end, an int k freezes its first k taps (blocks, see
        :func:`sktl.list_layers`) up to ``layer``, computes their output once and trains the rest.
    pooling : {"avg", "max", "flatten", "gram"}, default="avg"
        How the tap's activation map becomes the image feature vector (as in
        :class:`sktl.PretrainedCNNFeaturizer`).
    input_size : None, "native", int or (int, int), default=None
        Resize images before the backbone (None keeps their size).
    intensity_range : "auto" or (float, float), default="auto"
        Pixel values mapped to black and white. "auto": bool 0..1, 8-/16-bit integers over
        their full range (uint8 0..255, uint16 0..65535), floats 0..1 (values outside are
        refused, as are 32-/64-bit integers); (low, high) is a linear map, not a clip.
    image_shape : tuple or None, default=None
        (H, W[, C]) of the packed 2-D form ``[pixels | descriptors]``.
    image_dropout : float, default=0.4
        Dropout on the image features before the branch's dense layer.
"""


_TRAINING_DOC = _TRAINING_TEMPLATE.format(weight_decay="0.0", max_epochs="20")
_doc = fill_doc(image=_IMAGE_DOC, training=_TRAINING_DOC)

#: The Deep Multimodal Transfer-Learned Regressor as published: one concatenated network with
#: the paper's layer sizes and training (``MultimodalRegressor(**DMTLR_PAPER)``).
DMTLR_PAPER: dict = {
    "image_units": (1000,),
    "image_dropout": 0.4,
    "descriptor_units": (100, 100, 50),
    "descriptor_dropout": 0.3,
    "head_units": (1000, 100),
    "head_dropout": 0.3,
    "descriptor_skip": False,
    "modality_dropout": 0.0,
    "fusion": "concat",
    "lr": 1e-3,
    "lr_decay": 1e-4,
    "weight_decay": 0.0,
    "batch_size": 32,
    "max_epochs": 20,
}


@fill_doc(
    image=_IMAGE_DOC,
    training=_TRAINING_TEMPLATE.format(weight_decay="1e-3", max_epochs="60"),
)
@vocabulary
class MultimodalRegressor(BaseMultimodalRegressor):
    """Image + descriptors -> one or many targets, never worse than either modality alone.

    A pretrained CNN branch (frozen by default) and an MLP branch over a descriptor vector
    feed dense layers, as in the Deep Multimodal Transfer-Learned Regressor (DMTL-R). Two
    fusions:

    * ``fusion="stack"`` (default): a cross-validated stack. Each of ``stack_folds`` folds
      trains five members on the other folds: the joint network, the same network with only
      its image branch and with only its descriptor branch, and (frozen image features only)
      ridge regressions on [image features | descriptors] and on the descriptors alone. Per
      target, non-negative least squares on the members' out-of-fold predictions gives their
      weights (``stack_weights_``); predictions average each member over its fold models and
      blend the members. A target one modality explains is therefore kept when the other is
      added, and a small training set is not spent on one network that must learn to ignore
      a modality. It costs about ``3 * stack_folds`` network fits. A KeyboardInterrupt
      during a stack fit raises and leaves the estimator as it was.
    * ``fusion="concat"``: the single concatenated network (the paper's design;
      ``MultimodalRegressor(**DMTLR_PAPER)`` is the published network and training).

    The default layer sizes, the descriptor skip path, 60 epochs and weight decay 1e-3 were
    chosen on two benchmark sets and checked on four others
    (``benchmarks/generalisation/multimodal_generalisation.py``, see the user guide).

    Parameters
    ----------
    %(image)s
    image_units : tuple of int, default=(256,)
        Dense layers of the image branch.
    descriptor_units : tuple of int, default=(100, 100, 50)
        Dense layers of the descriptor branch.
    descriptor_dropout : float, default=0.3
        Dropout after each dense layer of the descriptor branch.
    head_units : tuple of int, default=(256, 64)
        Dense layers after the concatenation.
    head_dropout : float, default=0.3
        Dropout after each dense layer after the concatenation.
    descriptor_skip : bool, default=True
        Add a linear path from the descriptors to the outputs (wide & deep).
    modality_dropout : float, default=0.0
        Training-time probability, per sample, of zeroing the whole image branch output, and
        the same for the descriptor branch (never both); below 0.5.
    fusion : {"stack", "concat"}, default="stack"
        The cross-validated stack of joint, single-modality and linear members, or the one
        concatenated network (see above).
    stack_folds : int, default=5
        Folds of the stack (>= 2; used with ``fusion="stack"``).
    %(training)s
    cache : FeatureCache or None, default=None
        A :class:`~sktl.FeatureCache` for the frozen features, per image: estimators given
        the same cache (clones in a grid search, the models of one comparison) compute each
        image's features once. None computes them in each fit and shares nothing.
    device : str, default="cpu"
        "cpu", "cuda", "cuda:N" or "auto".
    verbose : int, default=0
        skorch's per-epoch log when > 0.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation (including that of ``weights=None``), shuffling, dropout
        and the validation split; the global torch random state is left untouched.

    Attributes
    ----------
    net_ : skorch.NeuralNetRegressor or list of dict
        With ``fusion="concat"``, the trained network (the trainable part of the backbone, if
        any, and both branches). With ``fusion="stack"``, one dict per fold mapping each member
        name to its fitted model (a skorch net, or a RidgeCV for the linear members).
    stack_members_ : list of str
        The stack's members, in the row order of ``stack_weights_`` ("joint", "image",
        "descriptors", and with frozen image features "linear", "linear_descriptors").
        Only with ``fusion="stack"``.
    stack_weights_ : ndarray of shape (n_members, n_outputs)
        Non-negative blend weights of the members per target, in standardised target units.
        Only with ``fusion="stack"``.
    stack_intercept_ : ndarray of shape (n_outputs,)
        Intercepts of the blend. Only with ``fusion="stack"``.
    featurizer_ : PretrainedCNNFeaturizer or None
        The frozen part of the backbone, whose (cached) output the network takes; None when
        no tap is frozen (``freeze="none"`` or 0: the network takes pixels).
    image_scaler_ : sklearn.preprocessing.StandardScaler or None
        Standardisation of the frozen image features; None when part of the backbone trains.
    x_scaler_ : sklearn.preprocessing.StandardScaler
        Standardisation of the descriptors.
    history_ : list of dict
        Per-epoch train (and validation) loss, in standardised units with
        ``standardize_y=True``.
    interrupted_ : bool
        True when a KeyboardInterrupt stopped training; the network is then the one of the
        last finished epoch.
    y_scaler_ : sklearn.preprocessing.StandardScaler or None
        The target standardisation (None with ``standardize_y=False``).
    y_ndim_ : int
        Dimensions of ``y`` in ``fit`` (1 or 2): ``predict`` returns 1-D predictions for a
        1-D ``y``.
    n_outputs_ : int
        Number of targets.
    n_descriptors_ : int
        Number of descriptors.
    image_shape_ : tuple of int
        (H, W, C) of the images seen in ``fit``; ``predict`` requires the same.
    n_features_in_ : int
        Columns of a packed 2-D ``X`` (pixels and descriptors), or the number of descriptors
        of a dict ``X``.
    feature_names_in_ : ndarray of str of shape (``n_features_in_``,)
        Column names of ``X``, when ``fit`` is given a packed DataFrame whose column names are
        all strings.

    Examples
    --------
    >>> from sktl import MultimodalRegressor, multimodal_input
    >>> from sktl.datasets import load_spinodal
    >>> data = load_spinodal()
    >>> X = multimodal_input(data.images[:40], data.descriptors[:40])
    >>> y = data.targets[:40]
    >>> pixels = (float(data.images.min()), float(data.images.max()))
    >>> reg = MultimodalRegressor(  # weights=None: random weights, for a quick demo
    ...     weights=None, intensity_range=pixels, image_units=(32,), descriptor_units=(32,),
    ...     head_units=(32,), max_epochs=2, random_state=0)
    >>> reg.fit(X, y).predict(X).shape
    (40, 9)
    >>> reg.stack_members_
    ['joint', 'image', 'descriptors', 'linear', 'linear_descriptors']
    >>> reg.stack_weights_.shape
    (5, 9)
    """

    def __init__(
        self,
        *,
        backbone="efficientnet_lite0",
        layer=None,
        weights="imagenet",
        freeze="all",
        pooling="avg",
        input_size=None,
        intensity_range="auto",
        image_shape=None,
        image_dropout=0.4,
        image_units=(256,),
        descriptor_units=(100, 100, 50),
        descriptor_dropout=0.3,
        head_units=(256, 64),
        head_dropout=0.3,
        descriptor_skip=True,
        modality_dropout=0.0,
        fusion="stack",
        stack_folds=5,
        lr=1e-3,
        lr_decay=1e-4,
        weight_decay=1e-3,
        batch_size=32,
        max_epochs=60,
        early_stopping=False,
        patience=5,
        validation_fraction=0.1,
        standardize_y=True,
        cache=None,
        device="cpu",
        verbose=0,
        random_state=None,
    ):
        self.backbone = backbone
        self.layer = layer
        self.weights = weights
        self.freeze = freeze
        self.pooling = pooling
        self.input_size = input_size
        self.intensity_range = intensity_range
        self.image_shape = image_shape
        self.image_dropout = image_dropout
        self.image_units = image_units
        self.descriptor_units = descriptor_units
        self.descriptor_dropout = descriptor_dropout
        self.head_units = head_units
        self.head_dropout = head_dropout
        self.descriptor_skip = descriptor_skip
        self.modality_dropout = modality_dropout
        self.fusion = fusion
        self.stack_folds = stack_folds
        self.lr = lr
        self.lr_decay = lr_decay
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.early_stopping = early_stopping
        self.patience = patience
        self.validation_fraction = validation_fraction
        self.standardize_y = standardize_y
        self.cache = cache
        self.device = device
        self.verbose = verbose
        self.random_state = random_state

    def _net_kwargs(self):
        return dict(
            image_units=tuple(self.image_units),
            image_dropout=self.image_dropout,
            desc_units=tuple(self.descriptor_units),
            desc_dropout=self.descriptor_dropout,
            head_units=tuple(self.head_units),
            head_dropout=self.head_dropout,
            descriptor_skip=self.descriptor_skip,
            modality_dropout=self.modality_dropout,
        )


@_doc
@vocabulary
class ImageRegressor(BaseMultimodalRegressor):
    """Image-only baseline of DMTL-R: pretrained CNN -> Dense [1000, 100] -> targets.

    Takes the same multimodal input as :class:`MultimodalRegressor` (and ignores the
    descriptors), so a GridSearchCV can switch between the three.

    Parameters
    ----------
    %(image)s
    head_units : tuple of int, default=(1000, 100)
        Dense layers after the image features (ReLU).
    head_dropout : float, default=0.3
        Dropout after each dense layer.
    %(training)s
    cache : FeatureCache or None, default=None
        A :class:`~sktl.FeatureCache` for the frozen features, per image: estimators given
        the same cache (clones in a grid search, the models of one comparison) compute each
        image's features once. None computes them in each fit and shares nothing.
    device : str, default="cpu"
        "cpu", "cuda", "cuda:N" or "auto".
    verbose : int, default=0
        skorch's per-epoch log when > 0.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation (including that of ``weights=None``), shuffling, dropout
        and the validation split; the global torch random state is left untouched.

    Attributes
    ----------
    net_ : skorch.NeuralNetRegressor
        The trained network (the trainable part of the backbone, if any, and the dense
        layers).
    featurizer_ : PretrainedCNNFeaturizer or None
        The frozen part of the backbone, whose (cached) output the network takes; None when
        no tap is frozen (``freeze="none"`` or 0: the network takes pixels).
    image_scaler_ : sklearn.preprocessing.StandardScaler or None
        Standardisation of the frozen image features; None when part of the backbone trains.
    history_ : list of dict
        Per-epoch train (and validation) loss, in standardised units with
        ``standardize_y=True``.
    interrupted_ : bool
        True when a KeyboardInterrupt stopped training; the network is then the one of the
        last finished epoch.
    y_scaler_ : sklearn.preprocessing.StandardScaler or None
        The target standardisation (None with ``standardize_y=False``).
    y_ndim_ : int
        Dimensions of ``y`` in ``fit`` (1 or 2): ``predict`` returns 1-D predictions for a
        1-D ``y``.
    n_outputs_ : int
        Number of targets.
    n_descriptors_ : int
        Number of descriptors of the input (not used by this model).
    image_shape_ : tuple of int
        (H, W, C) of the images seen in ``fit``; ``predict`` requires the same.
    n_features_in_ : int
        Columns of a packed 2-D ``X`` (pixels and descriptors), or the number of descriptors
        of a dict ``X``.
    feature_names_in_ : ndarray of str of shape (``n_features_in_``,)
        Column names of ``X``, when ``fit`` is given a packed DataFrame whose column names are
        all strings.

    Examples
    --------
    >>> from sktl import ImageRegressor, multimodal_input
    >>> from sktl.datasets import load_spinodal
    >>> data = load_spinodal()
    >>> X = multimodal_input(data.images[:40], data.descriptors[:40])
    >>> pixels = (float(data.images.min()), float(data.images.max()))
    >>> reg = ImageRegressor(weights=None, intensity_range=pixels, head_units=(32,), max_epochs=2,
    ...                      random_state=0)
    >>> reg.fit(X, data.targets[:40, 0]).predict(X).shape
    (40,)
    """

    _uses_descriptors = False

    def __init__(
        self,
        *,
        backbone="efficientnet_lite0",
        layer=None,
        weights="imagenet",
        freeze="all",
        pooling="avg",
        input_size=None,
        intensity_range="auto",
        image_shape=None,
        image_dropout=0.4,
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
        standardize_y=True,
        cache=None,
        device="cpu",
        verbose=0,
        random_state=None,
    ):
        self.backbone = backbone
        self.layer = layer
        self.weights = weights
        self.freeze = freeze
        self.pooling = pooling
        self.input_size = input_size
        self.intensity_range = intensity_range
        self.image_shape = image_shape
        self.image_dropout = image_dropout
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
        self.standardize_y = standardize_y
        self.cache = cache
        self.device = device
        self.verbose = verbose
        self.random_state = random_state

    def _net_kwargs(self):
        units = tuple(self.head_units)
        return dict(
            image_units=units[:1],
            image_dropout=self.image_dropout,
            head_units=units[1:],
            head_dropout=self.head_dropout,
        )


@_doc
@vocabulary
class DescriptorRegressor(BaseMultimodalRegressor):
    """Descriptor-only baseline of DMTL-R: MLP [d, 100, 100, 50] -> targets.

    Takes the multimodal input of :class:`MultimodalRegressor` (ignoring the images) or a
    plain (n, d) descriptor table.

    Parameters
    ----------
    descriptor_units : tuple of int, default=(100, 100, 50)
        Dense layers (ReLU).
    descriptor_dropout : float, default=0.3
        Dropout after each dense layer.
    image_shape : tuple or None, default=None
        (H, W[, C]) of the packed 2-D form ``[pixels | descriptors]``; None means a 2-D input
        is a plain descriptor table.
    %(training)s
    device : str, default="cpu"
        "cpu", "cuda", "cuda:N" or "auto".
    verbose : int, default=0
        skorch's per-epoch log when > 0.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, shuffling, dropout and the validation split; the global
        torch random state is left untouched.

    Attributes
    ----------
    net_ : skorch.NeuralNetRegressor
        The trained network.
    x_scaler_ : sklearn.preprocessing.StandardScaler
        Standardisation of the descriptors.
    history_ : list of dict
        Per-epoch train (and validation) loss, in standardised units with
        ``standardize_y=True``.
    interrupted_ : bool
        True when a KeyboardInterrupt stopped training; the network is then the one of the
        last finished epoch.
    y_scaler_ : sklearn.preprocessing.StandardScaler or None
        The target standardisation (None with ``standardize_y=False``).
    y_ndim_ : int
        Dimensions of ``y`` in ``fit`` (1 or 2): ``predict`` returns 1-D predictions for a
        1-D ``y``.
    n_outputs_ : int
        Number of targets.
    n_descriptors_ : int
        Number of descriptors.
    n_features_in_ : int
        Columns of a 2-D ``X`` (the descriptors, or pixels and descriptors when packed), or
        the number of descriptors of a dict ``X``.
    feature_names_in_ : ndarray of str of shape (``n_features_in_``,)
        Column names of ``X``, when ``fit`` is given a DataFrame whose column names are all
        strings.

    Examples
    --------
    >>> from sktl import DescriptorRegressor
    >>> from sktl.datasets import load_spinodal
    >>> data = load_spinodal()
    >>> reg = DescriptorRegressor(max_epochs=5, random_state=0)
    >>> reg.fit(data.descriptors[:400], data.targets[:400]).predict(data.descriptors[400:]).shape
    (100, 9)
    """

    _uses_image = False

    def __init__(
        self,
        *,
        descriptor_units=(100, 100, 50),
        descriptor_dropout=0.3,
        image_shape=None,
        lr=1e-3,
        lr_decay=1e-4,
        weight_decay=0.0,
        batch_size=32,
        max_epochs=20,
        early_stopping=False,
        patience=5,
        validation_fraction=0.1,
        standardize_y=True,
        device="cpu",
        verbose=0,
        random_state=None,
    ):
        self.descriptor_units = descriptor_units
        self.descriptor_dropout = descriptor_dropout
        self.image_shape = image_shape
        self.lr = lr
        self.lr_decay = lr_decay
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.early_stopping = early_stopping
        self.patience = patience
        self.validation_fraction = validation_fraction
        self.standardize_y = standardize_y
        self.device = device
        self.verbose = verbose
        self.random_state = random_state

    def _net_kwargs(self):
        return dict(
            desc_units=tuple(self.descriptor_units),
            desc_dropout=self.descriptor_dropout,
            head_units=(),
        )
