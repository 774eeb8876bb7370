"""Shared fitting code of the DMTL-R family (multimodal, image-only, descriptor-only)."""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Mapping

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.base import BaseEstimator, RegressorMixin, _fit_context
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from .._atomic import atomic_fit
from .._persistence import PortableStateMixin, set_recipe
from .._skorch import (
    TRAINING_CONSTRAINTS,
    build_regressor_net,
    check_targets,
    history_records,
    quiet_predict,
    seeded,
    to_original_units,
    was_interrupted,
)
from .._torch import seed_from_random_state
from .._validation import require_y
from ..backbones import build_backbone, get_backbone_spec
from ..backbones._registry import check_layer
from ..featurizers import PretrainedCNNFeaturizer
from ..images import resolve_intensity_range, resolve_size, to_unit_tensor
from ._input import FEATURES_KEY, IMAGE_KEY, features_array, split_multimodal
from ._modules import MultimodalNet

COMMON_CONSTRAINTS: dict = {**TRAINING_CONSTRAINTS, "standardize": ["boolean"]}

IMAGE_CONSTRAINTS: dict = {
    "backbone": [str],
    "layer": [str, None],
    "weights": "no_validation",
    "freeze": [StrOptions({"all", "none"}), Interval(numbers.Integral, 0, None, closed="left")],
    "input_size": "no_validation",
    "intensity_range": "no_validation",
    "image_shape": [None, tuple, list],
    "image_dropout": [Interval(numbers.Real, 0, 1, closed="left")],
    "cache": ["boolean", str],
}


class BaseMultimodalRegressor(PortableStateMixin, RegressorMixin, BaseEstimator):
    """Fit/predict of the DMTL-R family; subclasses choose the branches and their sizes.

    Subclasses set ``_uses_image`` / ``_uses_descriptors`` and implement ``_net_kwargs``.
    """

    _uses_image = True
    _uses_descriptors = True

    # -- pieces the subclasses provide ------------------------------------------------------
    def _net_kwargs(self) -> dict:
        raise NotImplementedError

    # -- input ----------------------------------------------------------------------------------
    def _split(self, X, reset: bool):
        """Validate X and return (images or None, descriptors)."""
        if isinstance(X, Mapping) and not sp.issparse(X):  # a dok sparse matrix is a dict
            images, feats = split_multimodal(X)
            if reset:
                self.n_features_in_ = feats.shape[1]
                if hasattr(self, "feature_names_in_"):
                    del self.feature_names_in_
        else:
            X = validate_data(self, X, reset=reset, dtype="numeric", ensure_all_finite=True)
            image_shape = getattr(self, "image_shape", None)
            if image_shape is None and not self._uses_image:
                images, feats = None, features_array(X)
            else:
                images, feats = split_multimodal(X, image_shape)
        if reset:
            self.n_descriptors_ = feats.shape[1]
        elif feats.shape[1] != self.n_descriptors_:
            raise ValueError(
                f"X has {feats.shape[1]} descriptors, but {type(self).__name__} was fitted with "
                f"{self.n_descriptors_}."
            )
        return (images if self._uses_image else None), feats

    # -- image branch -----------------------------------------------------------------------
    def _image_pipeline(self, images):
        """Frozen featurizer (cached) and the trainable tail of the backbone, if any."""
        spec = get_backbone_spec(self.backbone)
        layer = check_layer(spec, self.layer)
        taps = spec.taps[: spec.taps.index(layer) + 1]
        n_trainable = (
            len(taps) if self.freeze == "none" else (0 if self.freeze == "all" else self.freeze)
        )
        if n_trainable > len(taps):
            raise ValueError(
                f"freeze={self.freeze} asks for more trainable blocks than {self.backbone} has up to "
                f"layer {layer!r} ({len(taps)}); use at most {len(taps)} or freeze='none'."
            )
        common = dict(
            backbone=self.backbone,
            weights=self.weights,
            input_size=self.input_size,
            intensity_range=self.intensity_range,
            random_state=self.random_state,
            device=self.device,
        )
        if n_trainable == 0:
            feat = PretrainedCNNFeaturizer(layer=layer, pooling="avg", cache=self.cache, **common)
            return feat.fit(images[:1]), None
        if n_trainable == len(taps):
            # nothing frozen: the whole backbone trains, on raw pixels
            full = build_backbone(self.backbone, layer, self.weights, self.random_state)
            return None, full.train()
        cut = taps[len(taps) - n_trainable - 1]
        feat = PretrainedCNNFeaturizer(layer=cut, pooling="flatten", cache=self.cache, **common)
        feat.fit(images[:1])
        full = build_backbone(self.backbone, layer, self.weights, self.random_state)
        tail = torch.nn.Sequential(
            torch.nn.Unflatten(1, feat.feature_shape_), *list(full.body.children())[-n_trainable:]
        )
        set_recipe(tail, "backbone_tail", (spec.name, layer, n_trainable, feat.feature_shape_))
        return feat, tail.train()

    def _raw_image_input(self, images) -> np.ndarray:
        if self.featurizer_ is None:
            lo_hi = resolve_intensity_range(self.intensity_range, images.dtype)
            return to_unit_tensor(images, lo_hi, size=self._size()).numpy()
        return self.featurizer_.transform(images)

    def _size(self):
        if isinstance(self.input_size, str):
            n = get_backbone_spec(self.backbone).native_size
            return (n, n)
        return resolve_size(self.input_size)

    # -- fit / predict ----------------------------------------------------------------------
    def _net_inputs(self, images, feats, raw_image=None) -> dict:
        out = {}
        if self._uses_image:
            Z = self._raw_image_input(images) if raw_image is None else raw_image
            if self.image_scaler_ is not None:
                Z = self.image_scaler_.transform(Z)
            out[IMAGE_KEY] = np.ascontiguousarray(Z, dtype=np.float32)
        if self._uses_descriptors:
            F = feats if self.x_scaler_ is None else self.x_scaler_.transform(feats)
            out[FEATURES_KEY] = np.ascontiguousarray(F, dtype=np.float32)
        return out

    @atomic_fit
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Fit the network.

        Parameters
        ----------
        X : dict-like or ndarray
            ``{"image": images, "features": descriptors}`` (see :func:`sktl.multimodal_input`),
            or the packed form ``[pixels | descriptors]`` with ``image_shape`` set.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)

        Returns
        -------
        self
        """
        require_y(self, y)
        images, feats = self._split(X, reset=True)
        n = len(feats)
        Y = check_targets(y, n)
        if n < 2:
            raise ValueError(f"At least 2 samples are needed to fit, got n_samples={n}.")
        self.y_ndim_ = np.asarray(y).ndim
        self.n_outputs_ = Y.shape[1]
        seed = seed_from_random_state(self.random_state)

        self.featurizer_, tail, self.image_scaler_, raw = None, None, None, None
        if self._uses_image:
            self.featurizer_, tail = self._image_pipeline(images)
            raw = self._raw_image_input(images)
            if self.featurizer_ is not None and tail is None and self.standardize:
                self.image_scaler_ = StandardScaler().fit(raw)
        self.x_scaler_ = StandardScaler().fit(feats) if self.standardize else None
        self.y_scaler_ = StandardScaler().fit(Y) if self.standardize else None
        inputs = self._net_inputs(images, feats, raw)
        Yt = (Y if self.y_scaler_ is None else self.y_scaler_.transform(Y)).astype(np.float32)

        n_image = None
        if self._uses_image:
            if tail is None:
                n_image = inputs[IMAGE_KEY].shape[1]
            else:
                with torch.no_grad():
                    probe = tail.eval()(torch.from_numpy(inputs[IMAGE_KEY][:1]))
                tail.train()
                n_image = probe.shape[1]
        with seeded(seed):
            module = MultimodalNet(
                n_image,
                self.n_descriptors_ if self._uses_descriptors else None,
                self.n_outputs_,
                image_encoder=tail,
                **self._net_kwargs(),
            )
            net = build_regressor_net(
                module,
                seed=seed,
                lr=self.lr,
                batch_size=self.batch_size,
                max_epochs=self.max_epochs,
                weight_decay=self.weight_decay,
                lr_decay=self.lr_decay,
                early_stopping=self.early_stopping,
                patience=self.patience,
                validation_fraction=self.validation_fraction,
                device=self.device,
                verbose=self.verbose,
            )
            net.fit(inputs, Yt)
        self.net_ = net
        self.history_ = history_records(net)
        self.interrupted_ = was_interrupted(net)
        if self.interrupted_:
            warnings.warn(
                f"{type(self).__name__}.fit was interrupted; the model is kept as it was at the "
                f"end of epoch {len(self.history_)}.",
                UserWarning,
                stacklevel=2,
            )
        return self

    def predict(self, X):
        """Predict targets in their original units.

        Parameters
        ----------
        X : dict-like or ndarray
            As in :meth:`fit`.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_targets)
        """
        check_is_fitted(self, "net_")
        images, feats = self._split(X, reset=False)
        pred = quiet_predict(self.net_, self._net_inputs(images, feats))
        return to_original_units(pred, self.y_scaler_, self.y_ndim_)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.input_tags.allow_nan = False
        return tags
