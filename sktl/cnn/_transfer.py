"""TransferCNNRegressor: a truncated ImageNet backbone with a regression head."""

from __future__ import annotations

import copy
import numbers

import numpy as np
from sklearn.utils._param_validation import Interval, StrOptions

from .._skorch import quiet_predict, seeded
from ..backbones import get_backbone_spec
from ..backbones._registry import check_layer
from ..featurizers import PretrainedCNNFeaturizer
from ..images import resolve_size, to_unit_tensor
from ._base import CNN_CONSTRAINTS, RATE, UNITS, BaseCNNRegressor, fill_cnn_doc
from ._modules import BackboneRegressor, RegressionHead

STRATEGIES = ("head-only", "fine-tune", "two-phase")


@fill_cnn_doc
class TransferCNNRegressor(BaseCNNRegressor):
    """An ImageNet CNN cut at a layer, with a dense regression head; frozen or fine-tuned.

    The backbone keeps its layers up to ``cut_at``; its activation map is flattened (Li et al.
    2018) or globally averaged, standardised with its training statistics and fed to dense
    layers (ReLU, dropout) and a linear output. Li et al.'s rule for microstructures: VGG19 up to
    pool3, flatten, FC 2048 and 1024 with dropout 0.5 -- the defaults.

    Three training strategies:

    * ``"head-only"``: the backbone is frozen; its features are computed once (by
      :class:`sktl.PretrainedCNNFeaturizer`, cached per image so CV folds and grid points reuse
      them) and only the head trains.
    * ``"fine-tune"``: backbone and a fresh head train end to end at ``lr``.
    * ``"two-phase"``: head-only first (``max_epochs`` at ``lr``), then everything unfrozen and
      trained for ``fine_tune_epochs`` at ``lr * fine_tune_lr_factor``.

    Parameters
    ----------
    backbone : str, default="vgg19"
        A registered backbone (:func:`sktl.backbones.available_backbones`), e.g. "vgg19",
        "efficientnet_lite0", "resnet18".
    weights : None, str, path or WeightSource, default="vgg19_normalised"
        As in :class:`sktl.PretrainedCNNFeaturizer` (None: random initialisation, a control).
    cut_at : str, default="pool3"
        The layer the backbone ends at (:func:`sktl.backbones.list_layers`).
    head : {"flatten", "gap"}, default="flatten"
        Flatten the cut map (size dependent, keeps positions) or global-average it per channel.
    head_units : tuple of int, default=(2048, 1024)
    dropout : float, default=0.5
        Dropout after each dense layer of the head.
    strategy : {"head-only", "fine-tune", "two-phase"}, default="head-only"
    fine_tune_lr_factor : float, default=0.1
        Learning rate of the second phase of "two-phase", relative to ``lr``.
    fine_tune_epochs : int or None, default=None
        Epochs of the second phase of "two-phase" (None: ``max_epochs``).
    input_size : None, "native", int or (int, int), default=None
        Resize images before the backbone (None keeps their size).
    cache : bool or str, default=True
        Cache the frozen features per image (True: memory; a folder: also on disk).
    %(image)s
    %(training)s

    Attributes
    ----------
    net_ : skorch.NeuralNetRegressor
        The head (head-only) or backbone + head (fine-tune, two-phase).
    featurizer_ : PretrainedCNNFeaturizer or None
        The frozen backbone of a head-only model.
    layer_ : str
    n_backbone_features_ : int
        Width of the pooled or flattened map at ``cut_at``.
    history_ : list of dict
        Per-epoch losses in standardised units; with "two-phase" each record has a "phase".
    image_shape_ : tuple of int
    n_outputs_ : int
    n_features_in_ : int

    Examples
    --------
    >>> import numpy as np
    >>> from sktl.cnn import TransferCNNRegressor
    >>> X = np.random.default_rng(0).random((8, 32, 32))
    >>> y = X.mean(axis=(1, 2))
    >>> reg = TransferCNNRegressor(weights=None, cut_at="pool1", head="gap", head_units=(16,),
    ...                            max_epochs=2, random_state=0)
    >>> reg.fit(X, y).predict(X).shape
    (8,)
    """

    _parameter_constraints: dict = {
        **CNN_CONSTRAINTS,
        "backbone": [str],
        "weights": "no_validation",
        "cut_at": [str],
        "head": [StrOptions({"flatten", "gap"})],
        "head_units": UNITS,
        "dropout": RATE,
        "strategy": [StrOptions(set(STRATEGIES))],
        "fine_tune_lr_factor": [Interval(numbers.Real, 0, None, closed="neither")],
        "fine_tune_epochs": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "input_size": "no_validation",
        "cache": ["boolean", str],
    }

    def __init__(
        self,
        backbone="vgg19",
        weights="vgg19_normalised",
        cut_at="pool3",
        head="flatten",
        head_units=(2048, 1024),
        dropout=0.5,
        strategy="head-only",
        fine_tune_lr_factor=0.1,
        fine_tune_epochs=None,
        input_size=None,
        image_shape=None,
        intensity_range="auto",
        lr=1e-3,
        weight_decay=0.0,
        batch_size=32,
        max_epochs=30,
        early_stopping=False,
        patience=10,
        validation_fraction=0.1,
        cache=True,
        device="cpu",
        verbose=0,
        random_state=None,
    ):
        self.backbone = backbone
        self.weights = weights
        self.cut_at = cut_at
        self.head = head
        self.head_units = head_units
        self.dropout = dropout
        self.strategy = strategy
        self.fine_tune_lr_factor = fine_tune_lr_factor
        self.fine_tune_epochs = fine_tune_epochs
        self.input_size = input_size
        self.image_shape = image_shape
        self.intensity_range = intensity_range
        self.lr = lr
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.early_stopping = early_stopping
        self.patience = patience
        self.validation_fraction = validation_fraction
        self.cache = cache
        self.device = device
        self.verbose = verbose
        self.random_state = random_state

    def _featurizer(self) -> PretrainedCNNFeaturizer:
        return PretrainedCNNFeaturizer(
            backbone=self.backbone,
            layer=self.layer_,
            weights=self.weights,
            pooling="avg" if self.head == "gap" else "flatten",
            input_size=self.input_size,
            intensity_range=self.intensity_range,
            device=self.device,
            random_state=self.random_state,
            cache=self.cache,
        )

    def _raw(self, images) -> np.ndarray:
        size = self.featurizer_size_
        return to_unit_tensor(images, self._intensity(images), channels=3, size=size).numpy()

    def _fit_scaled(self, images, Yt, seed):
        spec = get_backbone_spec(self.backbone)  # unknown names list the valid ones
        self.layer_ = check_layer(spec, self.cut_at)  # so does a layer the backbone lacks
        if isinstance(self.input_size, str):
            if self.input_size != "native":
                raise ValueError("input_size must be None, 'native', an int or (H, W).")
        else:
            resolve_size(self.input_size)
        featurizer = self._featurizer().fit(images[:1])
        self.featurizer_size_ = featurizer.input_size_
        F = featurizer.transform(images)
        self.n_backbone_features_ = F.shape[1]
        mean = F.mean(axis=0, dtype=np.float64)
        scale = F.std(axis=0, dtype=np.float64)
        scale[scale < 1e-6 * max(1.0, float(np.abs(mean).max(initial=0.0)))] = 1.0
        with seeded(seed):
            head = RegressionHead(
                F.shape[1],
                Yt.shape[1],
                units=tuple(self.head_units),
                dropout=self.dropout,
                mean=mean,
                scale=scale,
            )
        if self.strategy in ("head-only", "two-phase"):
            with seeded(seed):
                self.net_ = self._train(
                    head, F, Yt, seed, lr=self.lr, max_epochs=self.max_epochs, phase="head"
                )
        if self.strategy == "head-only":
            self.featurizer_ = featurizer
            return
        self.featurizer_ = None
        full = BackboneRegressor(
            copy.deepcopy(featurizer.backbone_).float().train(),
            head,
            pool="gap" if self.head == "gap" else "flatten",
        )
        if self.strategy == "two-phase":
            lr = self.lr * self.fine_tune_lr_factor
            epochs = self.fine_tune_epochs or self.max_epochs
        else:
            lr, epochs = self.lr, self.max_epochs
        with seeded(seed + 1):
            self.net_ = self._train(
                full, self._raw(images), Yt, seed, lr=lr, max_epochs=epochs, phase="fine-tune"
            )

    def _predict_scaled(self, images):
        if self.featurizer_ is not None:
            return quiet_predict(self.net_, self.featurizer_.transform(images))
        return quiet_predict(self.net_, self._raw(images))
