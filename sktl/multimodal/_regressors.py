"""DMTL-R (image + descriptors) and the paper's two single-modality baselines."""

from __future__ import annotations

from ..utils._conformal import StackIntervalMixin
from ..utils._domain import DomainScoreMixin
from ..utils._vocabulary import vocabulary
from ._base import BaseMultimodalRegressor
from ._doc_texts import fill_multimodal_doc


@fill_multimodal_doc()
@vocabulary
class MultimodalRegressor(BaseMultimodalRegressor, StackIntervalMixin, DomainScoreMixin):
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
      during a stack fit raises and leaves the estimator as it was. :meth:`predict_interval`
      gives cross-conformal (CV+) intervals from the fold models, with no extra fit.
    * ``fusion="concat"``: the single concatenated network (the paper's design;
      ``MultimodalRegressor(**DMTLR_PAPER)`` is the published network and training).

    The default layer sizes, the descriptor skip path, 60 epochs and weight decay 1e-3 were
    chosen on two benchmark sets and checked on four others
    (``benchmarks/generalisation/multimodal_generalisation.py``, see the user guide).

    Parameters
    ----------
    %(image)s
    %(image_units)s
    %(descriptor_units)s
    %(descriptor_dropout)s
    %(head_units)s
    %(head_dropout)s
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
    %(cache)s
    %(domain_threshold)s
    %(running)s

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
    fold_of_sample_ : ndarray of shape (n_samples,)
        The fold that left out each training row. Only with ``fusion="stack"``.
    oof_residuals_ : ndarray of shape (n_samples, n_outputs)
        Targets minus the blended out-of-fold predictions, in the targets' units; with
        ``fold_of_sample_``, what :meth:`predict_interval` needs. Only with
        ``fusion="stack"``.
    %(domain_)s
    %(featurizer_)s
    %(image_scaler_)s
    %(x_scaler_)s
    %(training_state)s
    %(n_descriptors_)s
    %(image_shape_)s
    %(n_features_in_)s
    %(feature_names_in_)s

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
        domain_threshold=1.5,
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
        self.domain_threshold = domain_threshold
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


@fill_multimodal_doc(
    image_dropout="Dropout on the image features, before the head's first dense layer.",
    head_dropout="Dropout after each dense layer of the head but the first (``image_dropout`` "
    "acts before it).",
)
@vocabulary
class ImageRegressor(BaseMultimodalRegressor):
    """Image-only baseline of DMTL-R: pretrained CNN -> Dense [1000, 100] -> targets.

    Takes the same multimodal input as :class:`MultimodalRegressor` (and ignores the
    descriptors), so a GridSearchCV can switch between the three.

    Parameters
    ----------
    %(image)s
    %(head_units)s
    %(head_dropout)s
    %(training)s
    %(cache)s
    %(running)s

    Attributes
    ----------
    net_ : skorch.NeuralNetRegressor
        The trained network (the trainable part of the backbone, if any, and the dense
        layers).
    %(featurizer_)s
    %(image_scaler_)s
    %(training_state)s
    n_descriptors_ : int
        Number of descriptors of the input (not used by this model).
    %(image_shape_)s
    %(n_features_in_)s
    %(feature_names_in_)s

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


@fill_multimodal_doc(
    image_shape="(H, W) or (H, W, C) of the images in the packed 2-D form ``[pixels | "
    "descriptors]``, both H and W given; None means a 2-D input is a plain descriptor table.",
    random_state="Seeds weight initialisation, shuffling, dropout and the validation split; the "
    "global torch random state is left untouched.",
    feature_names_in_=None,
)
@vocabulary
class DescriptorRegressor(BaseMultimodalRegressor):
    """Descriptor-only baseline of DMTL-R: MLP [d, 100, 100, 50] -> targets.

    Takes the multimodal input of :class:`MultimodalRegressor` (ignoring the images) or a
    plain (n, d) descriptor table.

    Parameters
    ----------
    %(descriptor_units)s
    %(descriptor_dropout)s
    %(image_shape)s
    %(training)s
    %(running)s

    Attributes
    ----------
    net_ : skorch.NeuralNetRegressor
        The trained network.
    %(x_scaler_)s
    %(training_state)s
    %(n_descriptors_)s
    n_features_in_ : int
        Columns of a 2-D ``X`` (the descriptors, or pixels and descriptors when packed), or
        the number of descriptors of a dict ``X``.
    %(feature_names_in_)s

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
