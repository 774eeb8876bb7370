"""Shared fit/predict plumbing of the structure-property CNN regressors."""

from __future__ import annotations

import numpy as np

from .._nn._skorch import SkorchRegressorBase
from .._nn._torch import recalibrate_batchnorm
from ..images import resolve_intensity_range, validate_images
from ..utils._docstrings import fill_doc

TRAINING_DOC = """
    lr : float, default=1e-3
        Adam's learning rate.
    weight_decay : float, default=0.0
        L2 penalty of Adam.
    batch_size : int, default=32
        Images per gradient step.
    max_epochs : int, default=50
        Passes over the training images.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training rows (a seeded split) and stop when the
        validation loss has not improved for ``patience`` epochs, restoring the best weights.
    patience : int, default=10
        Epochs without a better validation loss before early stopping ends training (used
        with ``early_stopping=True``).
    validation_fraction : float, default=0.1
        Share of the training rows held out for early stopping (used with
        ``early_stopping=True``).
    standardize_y : bool, default=True
        Standardise the targets inside (predictions come back in their units).
    device : str, default="cpu"
        "cpu", "cuda", "cuda:N" or "auto".
    verbose : int, default=0
        skorch's per-epoch log when > 0.
    random_state : int, RandomState instance or None, default=None
        Seeds initialisation, shuffling, dropout and the validation split (the global torch
        random state is left untouched)."""

IMAGE_DOC = """
    image_shape : tuple or None, default=None
        (H, W) or (H, W, C) of the packed 2-D form (n, H*W*C); one of H, W may be -1.
    intensity_range : "auto" or (float, float), default="auto"
        Pixel values mapped to 0 and 1. "auto": bool 0..1, 8-/16-bit integers over their
        full range (uint8 0..255, uint16 0..65535, int16 by np.iinfo), floats 0..1 (values
        outside are refused, as are 32-/64-bit integers); (low, high) is a linear map, not a
        clip."""


fill_cnn_doc = fill_doc(training=TRAINING_DOC, image=IMAGE_DOC)


class BaseCNNRegressor(SkorchRegressorBase):
    """Image input of the structure-property CNNs; the fit skeleton is SkorchRegressorBase's."""

    # -- input ----------------------------------------------------------------------------------
    def _validate_X(self, X, reset: bool) -> np.ndarray:
        return validate_images(
            self, X, reset=reset, image_shape=self.image_shape, intensity_range=self.intensity_range
        )

    def _intensity(self, images) -> tuple[float, float]:
        return resolve_intensity_range(self.intensity_range, images.dtype)

    # -- training -------------------------------------------------------------------------------
    def _train(self, module, inputs, Yt, seed, *, lr, max_epochs, phase=None):
        """Fit one skorch net on ``inputs`` -> scaled targets; append its history."""
        n = len(inputs)
        inputs = np.ascontiguousarray(inputs, dtype=np.float32)
        net = self._train_net(
            module,
            inputs,
            Yt,
            seed,
            lr=lr,
            max_epochs=max_epochs,
            phase=phase,
            # a last batch of one sample breaks batch norm on 1x1 maps
            iterator_train__drop_last=n > self.batch_size and n % self.batch_size == 1,
        )
        recalibrate_batchnorm(net.module_, inputs, self.batch_size, net.device)
        return net
