"""Shared fit/predict plumbing of the structure-property CNN regressors."""

from __future__ import annotations

import numpy as np

from .._nn._skorch import SkorchRegressorBase
from .._nn._torch import recalibrate_batchnorm
from ..images import resolve_intensity_range, validate_images


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
