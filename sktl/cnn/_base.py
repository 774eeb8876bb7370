"""Shared fit/predict plumbing of the structure-property CNN regressors."""

from __future__ import annotations

import numpy as np

from .._nn._skorch import SkorchRegressorBase, quiet_predict
from .._nn._torch import recalibrate_batchnorm
from ..images import resolve_intensity_range, validate_images
from ..utils._validation import warn_inactive
from ._augment import SymmetryPlan, average_over_d4


class BaseCNNRegressor(SkorchRegressorBase):
    """Image input of the structure-property CNNs; the fit skeleton is SkorchRegressorBase's."""

    # -- input ----------------------------------------------------------------------------------
    def _validate_X(self, X, reset: bool) -> np.ndarray:
        return validate_images(
            self, X, reset=reset, image_shape=self.image_shape, intensity_range=self.intensity_range
        )

    def _intensity(self, images) -> tuple[float, float]:
        return resolve_intensity_range(self.intensity_range, images.dtype)

    # -- symmetries -----------------------------------------------------------------------------
    def _symmetry_plan(self, images, n_targets) -> SymmetryPlan:
        """Check ``augmentation``, ``target_symmetry`` and ``test_time_augmentation``."""
        plan = SymmetryPlan(self, images.shape[1:3], n_targets)
        if not (plan.d4 or plan.tta):
            warn_inactive(
                self,
                ["target_symmetry"],
                "without rotations and mirrors (augmentation without 'd4' and "
                "test_time_augmentation=False): periodic shifts leave every target unchanged",
                "Set augmentation='d4' or test_time_augmentation=True, or leave it at None",
            )
        return plan

    def _predict_symmetric(self, net_input) -> np.ndarray:
        """Scaled predictions; averaged over D4 with ``test_time_augmentation``.

        ``net_input(g)`` is the network input of the images transformed by element ``g``.
        """
        if not self.test_time_augmentation:
            return self._predict_net(net_input(0))
        plan = SymmetryPlan(self, self.image_shape_[:2], self.n_outputs_)
        return average_over_d4(
            lambda g: self._predict_net(net_input(g)), plan.action, self.y_scaler_
        )

    def _predict_net(self, inputs) -> np.ndarray:
        return quiet_predict(self.net_, np.ascontiguousarray(inputs, dtype=np.float32))

    # -- training -------------------------------------------------------------------------------
    def _train(self, module, inputs, Yt, seed, *, lr, max_epochs, phase=None, augment=None):
        """Fit one skorch net on ``inputs`` -> scaled targets; append its history.

        ``augment``: the training batches' augmentation hook (:class:`BatchAugmenter`), used
        by this fit only.
        """
        n, kwargs = len(inputs), {}
        inputs = np.ascontiguousarray(inputs, dtype=np.float32)
        if augment is not None:
            kwargs["iterator_train__augment"] = augment
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
            **kwargs,
        )
        if augment is not None:
            # skorch keeps iterator_train__augment as an attribute of the net: drop the hook,
            # and with it the 8 images' features it holds, from the fitted model (a later
            # fit of that net then draws plain batches). A plain attribute: skorch's
            # set_params raises for iterator parameters alone on an initialised net.
            net.iterator_train__augment = None
        recalibrate_batchnorm(net.module_, inputs, self.batch_size, net.device)
        return net
