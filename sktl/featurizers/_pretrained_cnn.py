"""PretrainedCNNFeaturizer: images -> features of an ImageNet CNN at a named layer."""

from __future__ import annotations

import numpy as np
import torch
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils.validation import check_is_fitted
from tqdm.auto import tqdm

from .._nn._torch import resolve_device
from ..backbones import get_backbone_spec
from ..backbones._pooling import pool_features, pooled_feature_names
from ..backbones._registry import check_layer
from ..images import (
    resolve_intensity_range,
    resolve_size,
    to_unit_tensor,
    validate_images,
)
from ..persistence._portable import PortableStateMixin
from ..utils._atomic import atomic_fit
from ..utils._docstrings import fill_doc
from ..utils._validation import check_finite_output
from ..utils._vocabulary import vocabulary
from ._cache import FeatureCache, network_key
from ._frozen import frozen_backbone


@fill_doc(
    batch_size="Images per forward pass.",
    verbose="0: quiet; >= 1: a tqdm progress bar over the batches of ``transform``.",
    random_state="Seeds the random initialisation when ``weights=None``.",
    cache=(
        "A :class:`~sktl.FeatureCache` to keep the features in, per image, keyed by the "
        "network, its settings and the image's content, so that repeated ``transform`` calls "
        "on the same images (CV folds, grid points, other estimators given the same cache) "
        "reuse them, and the backbone is built once. None computes them every time and shares "
        "nothing."
    ),
)
@vocabulary
class PretrainedCNNFeaturizer(PortableStateMixin, TransformerMixin, BaseEstimator):
    """Features of a pretrained CNN at a chosen layer, for images in a scikit-learn Pipeline.

    The backbone is cut at ``layer`` (only the layers up to it are built and run), fed with
    the preprocessing that belongs to ``weights``, and its activations are pooled into one
    float32 row per image.

    Parameters
    ----------
    %(backbone)s
    %(layer)s
    %(weights)s
    %(pooling)s
    %(input_size)s
    %(image_shape)s
    %(intensity_range)s
    %(batch_size)s
    %(device)s
    %(verbose)s
    %(random_state)s
    %(cache)s

    Attributes
    ----------
    backbone_ : sktl.backbones.Backbone
        The truncated network with its weights and preprocessing, in eval mode without
        gradients (pickled with the estimator, so a fitted featurizer needs no network or
        weights cache to reload). It is this featurizer's own: no other estimator sees it.
    layer_ : str
        The tap actually used.
    %(image_shape_)s
    n_features_in_ : int
        H * W * C.
    n_features_out_ : int
        Number of output features.
    feature_shape_ : tuple of int
        Shape of the tap's activation for one image.
    input_size_ : tuple of int or None
        (H, W) the images are resized to before the network (None: their own size).
    network_key_ : str
        Key of this network and its settings in the feature cache; set only when ``cache`` is
        a FeatureCache.
    %(feature_names_in_)s

    Examples
    --------
    >>> import numpy as np
    >>> from sktl import PretrainedCNNFeaturizer
    >>> X = np.random.default_rng(0).random((4, 32, 32))
    >>> f = PretrainedCNNFeaturizer(backbone="resnet18", layer="layer2", weights=None,
    ...                             random_state=0)
    >>> f.fit_transform(X).shape
    (4, 128)
    """

    def __init__(
        self,
        *,
        backbone="resnet18",
        layer=None,
        weights="imagenet",
        pooling="avg",
        input_size=None,
        image_shape=None,
        intensity_range="auto",
        batch_size=32,
        device="cpu",
        verbose=0,
        random_state=None,
        cache=None,
    ):
        self.backbone = backbone
        self.layer = layer
        self.weights = weights
        self.pooling = pooling
        self.input_size = input_size
        self.image_shape = image_shape
        self.intensity_range = intensity_range
        self.batch_size = batch_size
        self.device = device
        self.verbose = verbose
        self.random_state = random_state
        self.cache = cache

    # -- input handling -------------------------------------------------------------------
    def _check_X(self, X, reset: bool) -> np.ndarray:
        return validate_images(
            self, X, reset=reset, image_shape=self.image_shape, intensity_range=self.intensity_range
        )

    def _size(self, spec):
        if isinstance(self.input_size, str):
            return (spec.native_size, spec.native_size)
        return resolve_size(self.input_size)

    # -- estimator API --------------------------------------------------------------------
    @atomic_fit
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Validate the images, build the truncated backbone and size the output.

        Parameters
        ----------
        X : array-like
            Images of shape (n, H, W), (n, H, W, C), or (n, H*W*C) with ``image_shape``.
        y : None
            Ignored.

        Returns
        -------
        self : object
            The fitted featurizer.
        """
        spec = get_backbone_spec(self.backbone)
        layer = check_layer(spec, self.layer)
        images = self._check_X(X, reset=True)  # also checks intensity_range; sets image_shape_
        self.layer_ = layer
        self.backbone_, digest = frozen_backbone(
            spec.name,
            layer,
            self.weights,
            self.random_state,
            resolve_device(self.device),
            cache=self.cache,
        )
        self.input_size_ = self._size(spec)
        probe = self._forward(images[:1], pooled=False)
        self.feature_shape_ = tuple(probe.shape[1:])
        if self.pooling == "gram" and len(self.feature_shape_) != 3:
            raise ValueError(
                f"pooling='gram' needs a spatial layer, but {spec.name} layer {layer!r} outputs a "
                f"vector of shape {self.feature_shape_}; choose a conv/pool layer."
            )
        self.n_features_out_ = len(pooled_feature_names(layer, self.pooling, self.feature_shape_))
        if self.cache is not None:
            # the digest is of the weights only: a tap without parameters of its own (a pool)
            # has its predecessor's, so the backbone, tap and map shape are part of the key
            self.network_key_ = network_key(
                digest,
                spec.name,
                layer,
                self.feature_shape_,
                self.pooling,
                self.input_size_,
                self.intensity_range,
            )
        elif hasattr(self, "network_key_"):
            del self.network_key_
        return self

    def _forward(self, images: np.ndarray, pooled: bool = True) -> torch.Tensor:
        device = resolve_device(self.device)
        # channels-last activations let oneDNN pick its fastest CPU convolutions
        model = self.backbone_.to(device=device, memory_format=torch.channels_last)
        lo_hi = resolve_intensity_range(self.intensity_range, images.dtype)
        x = to_unit_tensor(
            images, lo_hi, channels=3, size=self.input_size_, device=device, channels_last=True
        )
        try:
            with torch.inference_mode():
                out = model(x)
        except RuntimeError as exc:
            if "size" in str(exc).lower() or "kernel" in str(exc).lower():
                raise ValueError(
                    f"Images of size {tuple(x.shape[-2:])} are too small for {self.backbone} up to "
                    f"layer {self.layer_!r} ({exc}). Use a shallower layer or input_size="
                    f"'native' (resize to {get_backbone_spec(self.backbone).native_size} px)."
                ) from exc
            raise
        return pool_features(out, self.pooling) if pooled else out

    def transform(self, X):
        """Features of each image.

        Parameters
        ----------
        X : array-like
            Images of the shape seen in ``fit``.

        Returns
        -------
        features : ndarray of shape (n_samples, ``n_features_out_``), float32
            One row of pooled activations per image.
        """
        check_is_fitted(self, "backbone_")
        images = self._check_X(X, reset=False)
        # network_key_ exists only when fit had a cache (set_params may change cache later)
        if not isinstance(self.cache, FeatureCache) or not hasattr(self, "network_key_"):
            return self._transform_images(images)
        return self.cache.get_or_compute(
            self.network_key_, images, self._transform_images, width=self.n_features_out_
        )

    def _transform_images(self, images: np.ndarray) -> np.ndarray:
        n = images.shape[0]
        out = np.empty((n, self.n_features_out_), dtype=np.float32)
        starts = range(0, n, self.batch_size)
        show = bool(self.verbose)
        for start in tqdm(
            starts, desc=f"{self.backbone}:{self.layer_}", disable=not show, unit="batch"
        ):
            stop = min(start + self.batch_size, n)
            out[start:stop] = check_finite_output(
                self._forward(images[start:stop]).cpu().numpy(), "Features"
            )
        return out

    def get_feature_names_out(self, input_features=None):
        """Names of the output features, e.g. ``"pool3_avg_c12"`` or ``"pool3_gram_0_5"``.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Ignored: the names depend only on the tap and the pooling.

        Returns
        -------
        feature_names_out : ndarray of str of shape (``n_features_out_``,)
            One name per output feature, in column order.
        """
        check_is_fitted(self, "backbone_")
        names = pooled_feature_names(self.layer_, self.pooling, self.feature_shape_)
        return np.asarray(names, dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        tags.transformer_tags.preserves_dtype = ["float32"]
        return tags
