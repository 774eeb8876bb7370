"""Multimodal input: images and a descriptor table for the same samples.

Two forms are accepted everywhere:

* a mapping ``{"image": images, "features": descriptors}``; wrap it with
  :func:`multimodal_input` (a :class:`skorch.helper.SliceDict`) so that GridSearchCV and
  cross_val_score can split it by rows;
* the packed 2-D form ``[pixels | descriptors]`` of shape (n, H*W*C + d), with the estimator's
  ``image_shape`` saying where the pixels end. scikit-learn's common checks use this form.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from skorch.helper import SliceDict

from ..images import check_images, normalize_image_shape
from ..utils._validation import check_float32_range

IMAGE_KEY = "image"
FEATURES_KEY = "features"


def features_array(features) -> np.ndarray:
    if hasattr(features, "to_numpy"):
        features = features.to_numpy()
    arr = np.asarray(features)
    if arr.dtype == object:
        try:
            arr = arr.astype(np.float64)
        except (TypeError, ValueError) as exc:
            raise ValueError(
                f"Descriptors must be numeric; got non-numeric values ({exc})."
            ) from exc
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise ValueError(
            f"Descriptors must be a 2-D table (n_samples, n_descriptors); got shape {arr.shape}."
        )
    if not np.issubdtype(arr.dtype, np.number) or np.iscomplexobj(arr):
        raise ValueError(f"Descriptors must be real numbers; got dtype {arr.dtype}.")
    if not np.isfinite(arr).all():
        rows = np.nonzero(~np.isfinite(arr).all(axis=1))[0]
        raise ValueError(
            f"Descriptors contain NaN or infinite values in {len(rows)} row(s), first at row "
            f"{int(rows[0])}. Impute or drop them first (e.g. a SimpleImputer in a Pipeline)."
        )
    check_float32_range(arr, "Descriptors")
    return arr


def multimodal_input(image, features) -> SliceDict:
    """Pair images with descriptors in a row-sliceable container for scikit-learn tools.

    Parameters
    ----------
    image : array-like
        Images of shape (n, H, W) or (n, H, W, C).
    features : array-like of shape (n, d)
        Descriptors of the same samples (a DataFrame keeps nothing but its values).

    Returns
    -------
    X : skorch.helper.SliceDict
        With keys "image" and "features".
    """
    images = check_images(image)
    feats = features_array(features)
    if len(images) != len(feats):
        raise ValueError(
            f"Got {len(images)} images but {len(feats)} descriptor rows: each sample needs one "
            "of each, in the same order."
        )
    return SliceDict(**{IMAGE_KEY: images, FEATURES_KEY: feats})


def split_multimodal(X, image_shape=None) -> tuple[np.ndarray, np.ndarray]:
    """Validate a multimodal input and return ``(images (n, H, W, C), descriptors (n, d))``.

    ``image_shape`` ((H, W) or (H, W, C)) is required for the packed 2-D form, and must be
    given in full: the number of descriptors is not known, so a -1 entry cannot be inferred.
    The pixel columns are validated like any packed image input
    (:func:`sktl.images.check_images`).
    """
    if isinstance(X, Mapping):
        missing = [k for k in (IMAGE_KEY, FEATURES_KEY) if k not in X]
        if missing:
            raise ValueError(
                f"Multimodal input is missing key(s) {missing}; pass "
                f"{{'{IMAGE_KEY}': images, '{FEATURES_KEY}': descriptors}} (see sktl.multimodal_input)."
            )
        extra = sorted(set(X) - {IMAGE_KEY, FEATURES_KEY})
        if extra:
            raise ValueError(
                f"Unknown multimodal input key(s) {extra}; only '{IMAGE_KEY}' and '{FEATURES_KEY}'."
            )
        data = multimodal_input(X[IMAGE_KEY], X[FEATURES_KEY])
        return data[IMAGE_KEY], data[FEATURES_KEY]
    if image_shape is None:
        raise ValueError(
            "Multimodal input must be {'image': ..., 'features': ...} (see sktl.multimodal_input), "
            "or the packed 2-D form [pixels | descriptors] with image_shape=(H, W[, C]) set."
        )
    if isinstance(image_shape, (tuple, list)) and -1 in image_shape:
        raise ValueError(
            f"image_shape={tuple(image_shape)!r} has a -1 entry, but the packed multimodal form "
            "[pixels | descriptors] cannot infer it (the number of descriptors is not known): "
            "give H and W explicitly."
        )
    shape = normalize_image_shape(image_shape)
    n_pix = int(np.prod(shape))
    arr = np.asarray(X)
    if arr.ndim != 2 or arr.shape[1] <= n_pix:
        got = f"n_features={arr.shape[1]}" if arr.ndim == 2 else f"shape {arr.shape}"
        raise ValueError(
            f"Packed multimodal input needs shape (n, {n_pix} + n_descriptors) for "
            f"image_shape={tuple(image_shape)!r} ({n_pix} pixel columns, then at least one "
            f"descriptor); got {got}."
        )
    images = check_images(arr[:, :n_pix], image_shape=shape)
    return images, features_array(arr[:, n_pix:])
