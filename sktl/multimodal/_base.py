"""Shared fitting code of the DMTL-R family (multimodal, image-only, descriptor-only)."""

from __future__ import annotations

import copy
from collections.abc import Mapping

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.linear_model import RidgeCV
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import validate_data

from .._nn._skorch import (
    SkorchRegressorBase,
    quiet_predict,
    seeded,
)
from ..backbones import get_backbone_spec
from ..backbones._pooling import Pool
from ..featurizers._split import split_backbone
from ..images import resolve_intensity_range, resolve_size, to_unit_tensor, validate_images
from ..utils._domain import DomainScoreMixin, check_domain_threshold, fit_domain
from ..utils._stack_fit import split_folds
from ..utils._stacking import blend_predict, nonnegative_blend
from ..utils._validation import warn_inactive
from ._input import FEATURES_KEY, IMAGE_KEY, features_array, split_multimodal
from ._modules import MultimodalNet


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
        if not self._uses_image:
            return None, feats
        # the image contract of every sktl image estimator: image_shape_, intensities
        images = validate_images(
            self,
            images,
            reset=reset,
            intensity_range=self.intensity_range,
            record_n_features=False,
        )
        return images, feats

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

    def _warn_inactive_settings(self):
        """Name the settings that this configuration leaves without effect (once per fit)."""
        if getattr(self, "fusion", "stack") == "concat":
            warn_inactive(self, ["stack_folds"], "with fusion='concat'")
        kwargs = self._net_kwargs()
        for units, dropout, units_name, dropout_name in (
            ("desc_units", "desc_dropout", "descriptor_units", "descriptor_dropout"),
            ("head_units", "head_dropout", "head_units", "head_dropout"),
        ):
            if dropout in kwargs and not kwargs[units]:
                warn_inactive(
                    self,
                    [dropout_name],
                    f"with {units_name}={getattr(self, units_name)!r}: no dense layer of "
                    "that stack is there for it to follow",
                )

    def _fit_scaled(self, inputs, Yt, seed):
        self._warn_inactive_settings()
        if isinstance(self, DomainScoreMixin):
            check_domain_threshold(self.domain_threshold)
        images, feats = inputs
        tail, raw = None, None
        if self._uses_image:
            self.featurizer_, tail = self._image_pipeline(images)
            if self.featurizer_ is None:
                warn_inactive(
                    self, ["cache"], f"with freeze={self.freeze!r}: no frozen features to cache"
                )
            raw = self._raw_image_input(images)
            frozen_only = self.featurizer_ is not None and tail is None
            self.image_scaler_ = StandardScaler().fit(raw) if frozen_only else None
        if self._uses_descriptors:
            self.x_scaler_ = StandardScaler().fit(feats)
        net_inputs = self._net_inputs(images, feats, raw)
        if isinstance(self, DomainScoreMixin):
            self.domain_ = fit_domain(self._domain_features(net_inputs), seed)

        n_image = None
        if self._uses_image:
            if tail is None:
                n_image = net_inputs[IMAGE_KEY].shape[1]
            else:
                with torch.no_grad():
                    probe = tail.eval()(torch.from_numpy(net_inputs[IMAGE_KEY][:1]))
                n_image = Pool(self.pooling)(probe).shape[1]
                tail.train()
        n_desc = self.n_descriptors_ if self._uses_descriptors else None
        if getattr(self, "fusion", "concat") == "stack":
            self._fit_stack(net_inputs, Yt, seed, n_image, n_desc, tail)
            return
        with seeded(seed):
            module = self._module(n_image, n_desc, tail)
            self.net_ = self._train_net(module, net_inputs, Yt, seed)

    def _module(self, n_image, n_desc, tail, **overrides):
        kwargs = {**self._net_kwargs(), **overrides}
        return MultimodalNet(
            n_image,
            n_desc,
            self.n_outputs_,
            image_encoder=tail,
            image_pooling=self.pooling if self._uses_image else "avg",
            **kwargs,
        )

    def _fit_stack(self, net_inputs, Yt, seed, n_image, n_desc, tail):
        """Cross-validated stacking of the joint net, its single-branch versions and a ridge.

        Each of ``stack_folds`` folds trains the members on the other folds and predicts its
        own rows; per target, non-negative least squares on those out-of-fold predictions
        gives the members' weights. Prediction averages each member over its fold models
        (cross-validation bagging) and blends the members with those weights. The members: the
        joint network, the same network with only the image branch and with only the
        descriptor branch (no layers after it, the descriptor-only baseline), and, when the
        image features are frozen, ridge regressions on [image features | descriptors] and on
        the descriptors alone.
        """
        folds, fold_of_sample = split_folds(
            len(Yt), self.stack_folds, seed, who="fusion='stack'", unit="samples",
            fix="fusion='concat'",
        )
        # one branch switched off; MultimodalNet then has no skip path (no descriptors) and no
        # modality dropout (one branch) by itself, and the descriptor-only member is the
        # descriptor baseline: no skip, no layers after its branch
        members = {
            "joint": (n_image, n_desc, {}),
            "image": (n_image, None, {}),
            "descriptors": (None, n_desc, {"descriptor_skip": False, "head_units": ()}),
        }
        linear = tail is None and n_image is not None and n_desc is not None
        names = [*members, "linear", "linear_descriptors"] if linear else list(members)
        oof = np.zeros((len(Yt), len(names), Yt.shape[1]), dtype=np.float64)
        self.net_ = []
        for f, (tr, va) in enumerate(folds):
            train, valid = _rows(net_inputs, tr), _rows(net_inputs, va)
            fold_models = {}
            for m, (name, (ni, nd, overrides)) in enumerate(members.items()):
                member_seed = (seed + 7919 * (f * len(members) + m + 1)) % 2**32
                with seeded(member_seed):
                    module = self._module(ni, nd, copy.deepcopy(tail), **overrides)
                    fold_models[name] = self._train_net(
                        module, train, Yt[tr], member_seed, phase=f"{name}/fold{f}"
                    )
                if self.interrupted_:  # a stack needs every member: stop, change nothing
                    raise KeyboardInterrupt(
                        "fit was interrupted; a stack needs all its members, so the estimator "
                        "is left as it was before fit"
                    )
            if linear:
                fold_models["linear"] = RidgeCV(alphas=RIDGE_ALPHAS).fit(
                    _stacked_columns(train), Yt[tr]
                )
                fold_models["linear_descriptors"] = RidgeCV(alphas=RIDGE_ALPHAS).fit(
                    train[FEATURES_KEY], Yt[tr]
                )
            for m, name in enumerate(names):
                oof[va, m] = _member_predict(name, fold_models[name], valid)
            self.net_.append(fold_models)
        self.stack_members_ = names
        self.stack_weights_, self.stack_intercept_ = nonnegative_blend(oof, Yt)
        # what predict_interval needs (CV+): each row's fold, its residual in target units
        self.fold_of_sample_ = fold_of_sample
        blended = blend_predict(oof, self.stack_weights_, self.stack_intercept_)
        self.oof_residuals_ = self._original_units(Yt) - self._original_units(blended)

    def _predict_scaled(self, inputs):
        net_inputs = self._net_inputs(*inputs)
        self._check_domain(net_inputs)
        if not isinstance(self.net_, list):
            return quiet_predict(self.net_, net_inputs)
        return self._fold_blends(net_inputs).mean(axis=1)

    def _fold_blends(self, net_inputs) -> np.ndarray:
        """(n, folds, targets): each fold's blend of its members, in scaled units."""
        preds = np.stack(
            [
                np.stack([_member_predict(m, fold[m], net_inputs) for fold in self.net_], 1)
                for m in self.stack_members_
            ],
            axis=1,
        )  # (n, members, folds, targets)
        return blend_predict(preds, self.stack_weights_, self.stack_intercept_)

    def _original_units(self, Y) -> np.ndarray:
        Y = np.asarray(Y, dtype=np.float64)
        return Y if self.y_scaler_ is None else self.y_scaler_.inverse_transform(Y)

    def _check_intervals_available(self) -> None:
        if not isinstance(self.net_, list):
            raise ValueError(
                f"{type(self).__name__}.predict_interval needs the fold models of "
                "fusion='stack'; this model was fitted with fusion='concat' (one network, no "
                "out-of-fold residuals). Refit with fusion='stack', or wrap it in MAPIE's "
                "CrossConformalRegressor (the guide 'How far to trust a prediction')."
            )

    def _fold_predictions(self, X) -> np.ndarray:
        """(n, folds, targets): each fold's blend, in the targets' units."""
        net_inputs = self._net_inputs(*self._validate_X(X, reset=False))
        self._check_domain(net_inputs)
        scaled = self._fold_blends(net_inputs)
        n, folds, targets = scaled.shape
        flat = self._original_units(scaled.reshape(n * folds, targets))
        return flat.reshape(n, folds, targets)

    # -- domain score (MultimodalRegressor) ---------------------------------------------------
    def _domain_features(self, net_inputs) -> list:
        """The feature space of the domain score: the frozen image features (averaged over
        positions when they are a map; none when the whole backbone trains) and the
        descriptors, standardised as the networks see them."""
        blocks = []
        if IMAGE_KEY in net_inputs and self.featurizer_ is not None:
            Z = net_inputs[IMAGE_KEY]
            blocks.append(Z.reshape(len(Z), Z.shape[1], -1).mean(axis=2) if Z.ndim > 2 else Z)
        if FEATURES_KEY in net_inputs:
            blocks.append(net_inputs[FEATURES_KEY])
        return blocks

    def _domain_blocks(self, X) -> list:
        return self._domain_features(self._net_inputs(*self._validate_X(X, reset=False)))

    def _check_domain(self, net_inputs) -> None:
        if isinstance(self, DomainScoreMixin):
            self._warn_out_of_domain(self._domain_features(net_inputs))


#: Penalties the stack's ridge member chooses from by leave-one-out CV.
RIDGE_ALPHAS = tuple(np.logspace(-3, 4, 15))


def _stacked_columns(inputs: dict) -> np.ndarray:
    return np.column_stack([inputs[IMAGE_KEY], inputs[FEATURES_KEY]]).astype(np.float64)


def _member_predict(name: str, model, inputs: dict) -> np.ndarray:
    """Predictions (n, targets) of one stack member, given the network inputs."""
    if name == "linear_descriptors":
        pred = model.predict(inputs[FEATURES_KEY])
    elif name == "linear":
        pred = model.predict(_stacked_columns(inputs))
    else:
        pred = quiet_predict(model, inputs)
    return np.asarray(pred, dtype=np.float64).reshape(len(inputs[FEATURES_KEY]), -1)


def _rows(inputs: dict, idx) -> dict:
    return {k: v[idx] for k, v in inputs.items()}
