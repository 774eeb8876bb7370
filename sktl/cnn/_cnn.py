"""CNNRegressor: a small CNN trained from scratch on microstructure images."""

from __future__ import annotations

import numpy as np

from .._nn._skorch import seeded
from ..images import to_unit_tensor
from ..images._symmetry import transform_images
from ..utils._docstrings import fill_doc
from ..utils._vocabulary import vocabulary
from ._base import BaseCNNRegressor
from ._modules import SmallCNN


@fill_doc()
@vocabulary
class CNNRegressor(BaseCNNRegressor):
    """A small convolutional network trained from scratch: images -> one or many targets.

    ``n_blocks`` blocks of Conv -> BatchNorm -> ReLU -> MaxPool(2) (block ``i`` has
    ``filters * 2**i`` channels, "same" padding, circular by default since microstructures are
    periodic), global average pooling, dense layers with dropout and a linear output; trained
    with Adam on the mean squared error of the (by default standardised) targets. Pixels are scaled by
    ``intensity_range`` and then standardised with their training mean and standard deviation.
    With ``augmentation``, every epoch sees each training image rotated, mirrored and/or
    periodically shifted at random, its targets transformed to match (``target_symmetry``);
    ``test_time_augmentation`` averages the predictions over the 8 rotations and mirrors.

    Parameters
    ----------
    n_blocks : int, default=3
        Number of convolutional blocks (each halves the image size).
    filters : int, default=16
        Channels of the first block (doubled per block).
    kernel_size : int, default=3
        Side of the square convolution kernels.
    head_dropout : float, default=0.0
        Dropout after the global pooling and after each dense layer.
    %(head_units)s
    padding : {"circular", "zeros"}, default="circular"
        How convolutions pad the image border (circular suits periodic microstructures).
    %(image_shape)s
    %(intensity_range)s
    %(augmentation)s
    %(target_symmetry)s
    %(test_time_augmentation)s
    %(training)s
    %(running)s

    Attributes
    ----------
    net_ : skorch.NeuralNetRegressor
        The trained network.
    %(training_state)s
    pixel_mean_ : float
        Mean of the training pixels scaled by ``intensity_range``; the network sees
        ``(pixel - pixel_mean_) / pixel_scale_``.
    pixel_scale_ : float
        Standard deviation of those pixels (1.0 for constant images).
    %(image_shape_)s
    n_features_in_ : int
        H * W * C.
    %(feature_names_in_)s

    Examples
    --------
    >>> import numpy as np
    >>> from sktl.cnn import CNNRegressor
    >>> X = np.random.default_rng(0).random((20, 16, 16))
    >>> y = X.mean(axis=(1, 2))
    >>> CNNRegressor(max_epochs=2, random_state=0).fit(X, y).predict(X).shape
    (20,)
    """

    def __init__(
        self,
        *,
        n_blocks=3,
        filters=16,
        kernel_size=3,
        head_dropout=0.0,
        head_units=(64,),
        padding="circular",
        image_shape=None,
        intensity_range="auto",
        augmentation=None,
        target_symmetry=None,
        test_time_augmentation=False,
        lr=1e-3,
        weight_decay=0.0,
        batch_size=32,
        max_epochs=50,
        early_stopping=False,
        patience=10,
        validation_fraction=0.1,
        standardize_y=True,
        device="cpu",
        verbose=0,
        random_state=None,
    ):
        self.n_blocks = n_blocks
        self.filters = filters
        self.kernel_size = kernel_size
        self.head_dropout = head_dropout
        self.head_units = head_units
        self.padding = padding
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
        self.device = device
        self.verbose = verbose
        self.random_state = random_state

    def _inputs(self, images) -> np.ndarray:
        t = to_unit_tensor(images, self._intensity(images), channels=images.shape[-1])
        return ((t - self.pixel_mean_) / self.pixel_scale_).numpy()

    def _fit_scaled(self, images, Yt, seed):
        plan = self._symmetry_plan(images, Yt.shape[1])
        t = to_unit_tensor(images, self._intensity(images), channels=images.shape[-1])
        self.pixel_mean_ = float(t.mean())
        std = float(t.std()) if t.numel() > 1 else 0.0
        self.pixel_scale_ = std if std > 1e-12 else 1.0
        with seeded(seed):
            module = SmallCNN(
                images.shape[-1],
                Yt.shape[1],
                n_blocks=self.n_blocks,
                filters=self.filters,
                kernel_size=self.kernel_size,
                dropout=self.head_dropout,
                dense_units=tuple(self.head_units),
                padding_mode=self.padding,
            )
            self.net_ = self._train(
                module,
                self._inputs(images),
                Yt,
                seed,
                lr=self.lr,
                max_epochs=self.max_epochs,
                augment=plan.augmenter(self.y_scaler_, seed),
            )

    def _predict_scaled(self, images):
        inputs = self._inputs(images)  # (n, C, H, W): x and y are axes 2 and 3
        return self._predict_symmetric(lambda g: transform_images(inputs, g, axes=(2, 3)))
