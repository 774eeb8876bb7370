"""TransferCNNRegressor: a truncated ImageNet backbone with a regression head."""

from __future__ import annotations

import numpy as np

from .._nn._skorch import seeded
from ..featurizers import PretrainedCNNFeaturizer
from ..featurizers._split import split_backbone
from ..images import resolve_size, to_unit_tensor
from ..images._symmetry import transform_images
from ..utils._docstrings import fill_doc
from ..utils._validation import warn_inactive
from ..utils._vocabulary import vocabulary
from ._augment import orbit_features, transformed
from ._base import BaseCNNRegressor
from ._modules import BackboneRegressor, RegressionHead


@fill_doc(
    lr=(
        "Adam's learning rate; in a two-phase fit (``head_epochs > 0``) that of the head-only "
        "phase, the second phase using ``lr * fine_tune_lr_factor``."
    ),
    max_epochs="Passes over the training images (in a two-phase fit: of the second phase).",
    history_=(
        "Per-epoch losses, in standardised units with ``standardize_y=True``; with a "
        'two-phase fit each record has a "phase".'
    ),
)
@vocabulary
class TransferCNNRegressor(BaseCNNRegressor):
    """An ImageNet CNN cut at a layer, with a dense regression head; frozen or fine-tuned.

    The backbone keeps its layers up to ``layer``; its activation map is pooled (``pooling``:
    averaged, max-pooled, flattened as in Li et al. 2018, or Gram), standardised with its
    training statistics and fed to dense layers (ReLU, dropout) and a linear output.

    The defaults (VGG19 up to pool2, averaged, one dense layer of 256 units with dropout 0.2,
    head only) are the best of 12 head-only settings (VGG19 pool2-pool4 and
    EfficientNet-Lite0 stage3-stage5, averaged, two heads) on two design image sets, and
    checked on four others (``benchmarks/generalisation/transfer_defaults.py``; see the CNN
    guide). Li et al.'s rule for microstructures (VGG19 up to pool3, flattened, FC 2048 and
    1024 with dropout 0.5) is ``TransferCNNRegressor(**TRANSFER_CNN_PAPER)``; its 16,384-wide
    first layer overfits below a few thousand samples.

    What trains is set by ``freeze``, with the same meaning as in every sktl image model:

    * ``"all"``: the backbone is frozen; its features are computed once (by
      :class:`sktl.PretrainedCNNFeaturizer`; pass ``cache=FeatureCache()`` so that CV folds
      and grid points reuse them) and only the head trains.
    * ``"none"``: backbone and head train end to end.
    * ``k``: the first k taps stay frozen (their output can be cached), the rest train with the
      head.

    With ``head_epochs > 0`` and some layers trainable, the head first trains alone on the
    frozen features for ``head_epochs`` at ``lr``; then the unfrozen layers join it for
    ``max_epochs`` at ``lr * fine_tune_lr_factor`` (a two-phase fine-tune).

    ``augmentation="d4"`` trains on the 8 rotations and mirrors of each image, its targets
    transformed to match (``target_symmetry``). Where frozen features feed the network (the head
    of ``freeze="all"``, a head-only first phase, the tail of ``freeze=k``), the features of the
    8 transformed images are computed once (8x the featurisation, and its memory during the
    fit: the fitted model does not keep them) and each epoch draws one of them per image.
    Random periodic shifts change the pixels anew each epoch, which precomputed features
    cannot follow: ``"shifts"`` needs ``freeze="none"`` (an error otherwise), and then applies
    in the phase that trains the backbone only (a head-only first phase draws no shifts).
    ``test_time_augmentation`` featurises the 8 transformed images at predict.

    Parameters
    ----------
    %(backbone)s
    %(weights)s
    %(layer)s
    %(pooling)s
    %(freeze)s
    %(head_units)s
    %(head_dropout)s
    head_epochs : int, default=0
        Epochs of a head-only first phase before the unfrozen layers train (0: none). With
        ``freeze="all"`` only the head trains: a value > 0 then has no effect and warns.
    fine_tune_lr_factor : float, default=0.1
        Learning rate of the second phase, relative to ``lr`` (used when ``head_epochs > 0``
        and some layers train; otherwise a value other than the default warns).
    %(input_size)s
    %(image_shape)s
    %(intensity_range)s
    %(augmentation)s
    %(target_symmetry)s
    %(test_time_augmentation)s
    %(training)s
    %(cache)s
    %(running)s

    Attributes
    ----------
    net_ : skorch.NeuralNetRegressor
        The head (``freeze="all"``) or the trainable layers + head.
    featurizer_ : PretrainedCNNFeaturizer or None
        The frozen part whose (cached) output ``net_`` takes; None when ``net_`` takes pixels.
    layer_ : str
        The tap, resolved.
    n_backbone_features_ : int
        Width of the pooled map at ``layer``.
    featurizer_size_ : tuple of int or None
        (H, W) the images are resized to before the backbone (None: their own size).
    %(training_state)s
    %(image_shape_)s
    n_features_in_ : int
        H * W * C.
    %(feature_names_in_)s

    Examples
    --------
    >>> import numpy as np
    >>> from sktl.cnn import TransferCNNRegressor
    >>> X = np.random.default_rng(0).random((8, 32, 32))
    >>> y = X.mean(axis=(1, 2))
    >>> reg = TransferCNNRegressor(weights=None, layer="pool1", pooling="avg", head_units=(16,),
    ...                            max_epochs=2, random_state=0)
    >>> reg.fit(X, y).predict(X).shape
    (8,)
    """

    def __init__(
        self,
        *,
        backbone="vgg19",
        weights="vgg19_normalised",
        layer="pool2",
        pooling="avg",
        freeze="all",
        head_units=(256,),
        head_dropout=0.2,
        head_epochs=0,
        fine_tune_lr_factor=0.1,
        input_size=None,
        image_shape=None,
        intensity_range="auto",
        augmentation=None,
        target_symmetry=None,
        test_time_augmentation=False,
        lr=1e-3,
        weight_decay=0.0,
        batch_size=32,
        max_epochs=30,
        early_stopping=False,
        patience=10,
        validation_fraction=0.1,
        standardize_y=True,
        cache=None,
        device="cpu",
        verbose=0,
        random_state=None,
    ):
        self.backbone = backbone
        self.weights = weights
        self.layer = layer
        self.pooling = pooling
        self.freeze = freeze
        self.head_units = head_units
        self.head_dropout = head_dropout
        self.head_epochs = head_epochs
        self.fine_tune_lr_factor = fine_tune_lr_factor
        self.input_size = input_size
        self.image_shape = image_shape
        self.intensity_range = intensity_range
        self.augmentation = augmentation
        self.target_symmetry = target_symmetry
        self.test_time_augmentation = test_time_augmentation
        self.lr = lr
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

    def _backbone_kwargs(self) -> dict:
        return dict(
            backbone=self.backbone,
            weights=self.weights,
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
        if isinstance(self.input_size, str):
            if self.input_size != "native":
                raise ValueError("input_size must be None, 'native', an int or (H, W).")
        else:
            resolve_size(self.input_size)
        plan = self._symmetry_plan(images, Yt.shape[1])
        if plan.shifts and self.freeze not in ("none", 0):
            raise ValueError(
                f"augmentation={self.augmentation!r} with freeze={self.freeze!r}: random "
                "periodic shifts change every image anew each epoch, which the features of a "
                "frozen backbone, computed once, cannot follow. Use augmentation='d4' (the "
                "features of the 8 rotated and mirrored images are computed once), or "
                "freeze='none' to train the backbone on shifted pixels."
            )
        self.layer_, frozen, tail = split_backbone(
            images,
            layer=self.layer,
            freeze=self.freeze,
            pooling=self.pooling,
            **self._backbone_kwargs(),
        )
        if tail is None:
            warn_inactive(
                self,
                ["head_epochs", "fine_tune_lr_factor"],
                f"with freeze={self.freeze!r}, which leaves no backbone layer to train: only "
                "the head trains, for max_epochs at lr",
                "Leave some layers trainable (e.g. freeze='none') for a two-phase fit, or leave "
                "the defaults",
            )
        elif self.head_epochs == 0:
            warn_inactive(
                self,
                ["fine_tune_lr_factor"],
                "with head_epochs=0: there is no head-only phase, so everything trains at lr",
                "Set head_epochs > 0 for a two-phase fit, or leave it at its default",
            )
        # the pooled features at the tap: the head's input statistics and its first phase
        tap = (
            frozen
            if tail is None
            else PretrainedCNNFeaturizer(
                layer=self.layer_, pooling=self.pooling, **self._backbone_kwargs()
            ).fit(images[:1])
        )
        self.featurizer_size_ = tap.input_size_
        if frozen is None and (plan.d4 or plan.tta):
            self._check_square_input(images)
        F = tap.transform(images)
        self.n_backbone_features_ = F.shape[1]
        mean = F.mean(axis=0, dtype=np.float64)
        scale = F.std(axis=0, dtype=np.float64)
        scale[scale < 1e-6 * max(1.0, float(np.abs(mean).max(initial=0.0)))] = 1.0
        with seeded(seed):
            head = RegressionHead(
                F.shape[1],
                Yt.shape[1],
                units=tuple(self.head_units),
                dropout=self.head_dropout,
                mean=mean,
                scale=scale,
            )
        two_phase = tail is not None and self.head_epochs > 0
        if tail is None or two_phase:
            # the head on precomputed features: D4 draws among the 8 images' features; shifts
            # (freeze="none" only) wait for the phase that trains the backbone on pixels
            bank = orbit_features(tap, images, identity=F) if plan.d4 else None
            with seeded(seed):
                self.net_ = self._train(
                    head,
                    F,
                    Yt,
                    seed,
                    lr=self.lr,
                    max_epochs=self.max_epochs if tail is None else self.head_epochs,
                    phase="head" if two_phase else None,
                    augment=plan.augmenter(self.y_scaler_, seed, features=True, bank=bank),
                )
            del bank
        self.featurizer_ = frozen
        if tail is None:
            return
        full = BackboneRegressor(tail.float().train(), head, pool=self.pooling)
        if frozen is None:  # pixels: transformed (and shifted) in each batch
            inputs = self._raw(images)
            augment = plan.augmenter(self.y_scaler_, seed + 1)
        else:  # the frozen taps' maps, precomputed for the 8 images
            inputs = frozen.transform(images)
            bank = orbit_features(frozen, images, identity=inputs) if plan.d4 else None
            augment = plan.augmenter(self.y_scaler_, seed + 1, features=True, bank=bank)
        lr = self.lr * self.fine_tune_lr_factor if two_phase else self.lr
        with seeded(seed + 1):
            self.net_ = self._train(
                full,
                inputs,
                Yt,
                seed,
                lr=lr,
                max_epochs=self.max_epochs,
                phase="fine-tune" if two_phase else None,
                augment=augment,
            )

    def _check_square_input(self, images):
        size = self.featurizer_size_ or images.shape[1:3]
        if size[0] != size[1]:
            raise ValueError(
                f"input_size={self.input_size!r} resizes the images to {size[0]}x{size[1]}, "
                "and a backbone that trains sees them rotated by 90 degrees at that size "
                "(augmentation='d4', test_time_augmentation=True): give a square input_size."
            )

    def _predict_scaled(self, images):
        if self.featurizer_ is not None:
            return self._predict_symmetric(
                lambda g: self.featurizer_.transform(transformed(images, g))
            )
        raw = self._raw(images)  # (n, 3, H, W): x and y are axes 2 and 3
        return self._predict_symmetric(lambda g: transform_images(raw, g, axes=(2, 3)))
