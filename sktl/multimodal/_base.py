"""Shared fitting code of the DMTL-R family (multimodal, image-only, descriptor-only)."""

from __future__ import annotations

import numbers
from collections.abc import Mapping

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import validate_data

from .._skorch import (
    STANDARDIZE_Y_CONSTRAINT,
    TRAINING_CONSTRAINTS,
    SkorchRegressorBase,
    quiet_predict,
    seeded,
)
from ..backbones import get_backbone_spec
from ..backbones._pooling import POOLINGS, Pool
from ..featurizers._split import split_backbone
from ..images import resolve_intensity_range, resolve_size, to_unit_tensor
from ._input import FEATURES_KEY, IMAGE_KEY, features_array, split_multimodal
from ._modules import MultimodalNet

COMMON_CONSTRAINTS: dict = {**TRAINING_CONSTRAINTS, **STANDARDIZE_Y_CONSTRAINT}

IMAGE_CONSTRAINTS: dict = {
    "backbone": [str],
    "layer": [str, None],
    "weights": "no_validation",
    "freeze": [StrOptions({"all", "none"}), Interval(numbers.Integral, 0, None, closed="left")],
    "pooling": [StrOptions(set(POOLINGS))],
    "input_size": "no_validation",
    "intensity_range": "no_validation",
    "image_shape": [None, tuple, list],
    "image_dropout": [Interval(numbers.Real, 0, 1, closed="left")],
    "cache": ["boolean", str],
}


class BaseMultimodalRegressor(SkorchRegressorBase):
    """Input and network of the DMTL-R family; subclasses choose the branches and their sizes.

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
        _, featurizer, tail = split_backbone(
            images,
            backbone=self.backbone,
            layer=self.layer,
            weights=self.weights,
            freeze=self.freeze,
            pooling=self.pooling,
            input_size=self.input_size,
            intensity_range=self.intensity_range,
            random_state=self.random_state,
            device=self.device,
            cache=self.cache,
        )
        return featurizer, tail

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

    def _validate_X(self, X, reset: bool):
        return self._split(X, reset=reset)

    def _n_samples(self, inputs) -> int:
        return len(inputs[1])

    def _fit_scaled(self, inputs, Yt, seed):
        images, feats = inputs
        tail, raw = None, None
        if self._uses_image:
            self.featurizer_, tail = self._image_pipeline(images)
            raw = self._raw_image_input(images)
            frozen_only = self.featurizer_ is not None and tail is None
            self.image_scaler_ = StandardScaler().fit(raw) if frozen_only else None
        if self._uses_descriptors:
            self.x_scaler_ = StandardScaler().fit(feats)
        net_inputs = self._net_inputs(images, feats, raw)

        n_image = None
        if self._uses_image:
            if tail is None:
                n_image = net_inputs[IMAGE_KEY].shape[1]
            else:
                with torch.no_grad():
                    probe = tail.eval()(torch.from_numpy(net_inputs[IMAGE_KEY][:1]))
                n_image = Pool(self.pooling)(probe).shape[1]
                tail.train()
        with seeded(seed):
            module = MultimodalNet(
                n_image,
                self.n_descriptors_ if self._uses_descriptors else None,
                self.n_outputs_,
                image_encoder=tail,
                image_pooling=self.pooling if self._uses_image else "avg",
                **self._net_kwargs(),
            )
            self.net_ = self._train_net(module, net_inputs, Yt, seed)

    def _predict_scaled(self, inputs):
        return quiet_predict(self.net_, self._net_inputs(*inputs))
