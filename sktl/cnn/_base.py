"""Shared fit/predict plumbing of the structure-property CNN regressors."""

from __future__ import annotations

import numbers

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, RegressorMixin, _fit_context
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from .._atomic import atomic_fit
from .._docstrings import fill_doc
from .._persistence import PortableStateMixin
from .._skorch import (
    TRAINING_CONSTRAINTS,
    build_regressor_net,
    check_targets,
    history_records,
    to_original_units,
    was_interrupted,
)
from .._torch import recalibrate_batchnorm, seed_from_random_state
from .._validation import require_y
from ..featurizers._image_shape import resolve_image_shape
from ..images import check_images, resolve_intensity_range

CNN_CONSTRAINTS: dict = {
    **{k: v for k, v in TRAINING_CONSTRAINTS.items() if k != "lr_decay"},
    "image_shape": [None, tuple, list],
    "intensity_range": [StrOptions({"auto"}), tuple, list],
}

UNITS = [tuple, list]
RATE = [Interval(numbers.Real, 0, 1, closed="left")]

TRAINING_DOC = """
    lr : float, default=1e-3
        Adam's learning rate.
    weight_decay : float, default=0.0
        L2 penalty of Adam.
    batch_size : int, default=32
    max_epochs : int
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training rows (a seeded split) and stop when the
        validation loss has not improved for ``patience`` epochs, restoring the best weights.
    patience : int, default=10
    validation_fraction : float, default=0.1
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
        Pixel values mapped to 0 and 1 ("auto": uint8 0..255, any other dtype 0..1)."""


fill_cnn_doc = fill_doc(training=TRAINING_DOC, image=IMAGE_DOC)


def _is_packed(X) -> bool:
    if sp.issparse(X):
        return True
    try:
        return np.asarray(X).ndim == 2
    except ValueError:  # ragged list: check_images explains
        return False


class BaseCNNRegressor(PortableStateMixin, RegressorMixin, BaseEstimator):
    """Image input, target scaling and the skorch training loop; subclasses build the nets."""

    # -- pieces the subclasses provide ------------------------------------------------------
    def _fit_scaled(self, images: np.ndarray, Yt: np.ndarray, seed: int) -> None:
        raise NotImplementedError

    def _predict_scaled(self, images: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    # -- input ----------------------------------------------------------------------------------
    def _check_images(self, X, reset: bool) -> np.ndarray:
        if _is_packed(X):
            X = validate_data(self, X, reset=reset, dtype="numeric", ensure_all_finite=True)
            images = check_images(X, image_shape=resolve_image_shape(self.image_shape, X.shape[1]))
        else:
            explicit = self.image_shape
            if explicit is not None and any(int(s) == -1 for s in explicit):
                explicit = None
            images = check_images(X, image_shape=explicit)
            if reset:
                self.n_features_in_ = int(np.prod(images.shape[1:]))
                if hasattr(self, "feature_names_in_"):
                    del self.feature_names_in_
        if reset:
            self.image_shape_ = tuple(int(s) for s in images.shape[1:])
        elif tuple(images.shape[1:]) != self.image_shape_:
            raise ValueError(
                f"Images have shape {tuple(images.shape[1:])} but {type(self).__name__} was "
                f"fitted on {self.image_shape_}; resize them or refit."
            )
        return images

    def _intensity(self, images) -> tuple[float, float]:
        return resolve_intensity_range(self.intensity_range, images.dtype)

    # -- training -------------------------------------------------------------------------------
    def _train(self, module, inputs, Yt, seed, *, lr, max_epochs, phase=None):
        """Fit one skorch net on ``inputs`` -> scaled targets; append its history."""
        n = len(inputs)
        net = build_regressor_net(
            module,
            seed=seed,
            lr=lr,
            batch_size=self.batch_size,
            max_epochs=max_epochs,
            weight_decay=self.weight_decay,
            early_stopping=self.early_stopping,
            patience=self.patience,
            validation_fraction=self.validation_fraction,
            device=self.device,
            verbose=self.verbose,
            # a last batch of one sample breaks batch norm on 1x1 maps
            iterator_train__drop_last=n > self.batch_size and n % self.batch_size == 1,
        )
        inputs = np.ascontiguousarray(inputs, dtype=np.float32)
        net.fit(inputs, Yt)
        recalibrate_batchnorm(net.module_, inputs, self.batch_size, net.device)
        records = history_records(net)
        offset = len(self.history_)
        for r in records:
            r["epoch"] = r.get("epoch", 0) + offset
            if phase is not None:
                r["phase"] = phase
        self.history_.extend(records)
        self.interrupted_ = getattr(self, "interrupted_", False) or was_interrupted(net)
        return net

    # -- estimator API --------------------------------------------------------------------
    @atomic_fit
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Fit the network.

        Parameters
        ----------
        X : array-like
            Images of shape (n, H, W), (n, H, W, C), or (n, H*W*C) with ``image_shape``.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)

        Returns
        -------
        self
        """
        require_y(self, y)
        images = self._check_images(X, reset=True)
        n = len(images)
        Y = check_targets(y, n)
        if n < 2:
            raise ValueError(f"At least 2 samples are needed to fit, got n_samples={n}.")
        self._intensity(images)
        self.y_ndim_ = np.asarray(y).ndim
        self.n_outputs_ = Y.shape[1]
        self.y_scaler_ = StandardScaler().fit(Y)
        Yt = self.y_scaler_.transform(Y).astype(np.float32)
        self.history_ = []
        self.interrupted_ = False
        self._fit_scaled(images, Yt, seed_from_random_state(self.random_state))
        return self

    def predict(self, X):
        """Predict targets in their original units.

        Parameters
        ----------
        X : array-like
            Images of the shape seen in ``fit``.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_targets)
        """
        check_is_fitted(self, "net_")
        images = self._check_images(X, reset=False)
        return to_original_units(self._predict_scaled(images), self.y_scaler_, self.y_ndim_)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.input_tags.allow_nan = False
        return tags
