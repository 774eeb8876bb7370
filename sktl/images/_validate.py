"""``validate_images``: scikit-learn's ``validate_data``, for estimators that take images."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.utils.validation import validate_data

from ._arrays import _as_array
from ._contract import check_images, check_intensity
from ._lazy import is_lazy


def validate_images(
    estimator,
    X,
    *,
    reset,
    image_shape=None,
    intensity_range=None,
    ensure_finite=True,
    record_n_features=True,
):
    """Validate the images ``X`` for ``estimator`` and record or check their shape.

    The image counterpart of :func:`sklearn.utils.validation.validate_data`, used by every
    sktl image estimator in ``fit`` (``reset=True``) and in ``transform`` / ``predict``
    (``reset=False``).

    Parameters
    ----------
    estimator : estimator instance
        Receives ``n_features_in_``, ``feature_names_in_`` and ``image_shape_`` when ``reset``.
    X : array-like, pandas DataFrame, list of arrays, ImageFiles or memmap
        Images in any documented form: ``(n, H, W)``, ``(n, H, W, C)`` with ``C`` in
        {1, 3, 4}, the packed 2-D form ``(n, H*W*C)`` (an array, a list of rows or a
        DataFrame) with ``image_shape``, a list of equally shaped images, or a streamed set
        (:class:`ImageFiles`, an image memmap, :class:`LazyImages`), which stays streamed.
    reset : bool
        True in ``fit``: record the input's shape on ``estimator``. False afterwards: check
        the input against what ``fit`` recorded (skipped if the estimator was never fitted,
        as ``validate_data`` does).
    image_shape : tuple of int or None, default=None
        The estimator's ``image_shape`` parameter: ``(H, W)`` or ``(H, W, C)``, one of H or W
        possibly -1 (inferred from the number of columns). Required for the packed form; for
        the other forms the images are checked against its given entries.
    intensity_range : "auto", (float, float) or None, default=None
        The estimator's ``intensity_range`` parameter, checked against the pixel values (see
        :func:`check_intensity`: under "auto", float images outside [0, 1] and 32-/64-bit
        integer images are refused). None skips this check (estimators that read raw values,
        such as thresholds). Streamed sets are checked batch by batch when scaled.
    ensure_finite : bool, default=True
        Refuse NaN and infinite pixels.
    record_n_features : bool, default=True
        Set ``n_features_in_`` (and ``feature_names_in_``) from the images. False for
        estimators whose ``X`` holds more than the images (the multimodal family records them
        for its whole input); ``image_shape_`` is recorded either way.

    Returns
    -------
    images : ndarray of shape (n, H, W, C) or LazyImages
        ``C`` is 1 or 3 (a constant RGBA alpha is dropped with a UserWarning); the dtype is
        kept.

    Raises
    ------
    ValueError
        For input that does not fit the image contract, a packed width or image shape that
        differs from ``fit``'s, or pixel values that ``intensity_range`` cannot read; each
        message says what to pass instead.

    Notes
    -----
    With ``reset=True``:

    * packed / tabular input goes through ``validate_data``, which sets ``n_features_in_``
      (the number of columns) and ``feature_names_in_`` for a DataFrame with string column
      names (and deletes a stale one otherwise); with ``reset=False`` it checks both, with
      scikit-learn's messages;
    * for every other form ``n_features_in_`` is H * W * C of the validated images and a stale
      ``feature_names_in_`` is deleted;
    * ``image_shape_`` is (H, W, C) of the validated images. With ``reset=False``, images of
      another shape are refused with a message that says to resize them or to refit.
    """
    name = type(estimator).__name__
    if sp.issparse(X) or hasattr(X, "columns"):  # sparse (refused by validate_data) or tabular
        packed = True
    elif is_lazy(X):
        packed = False
    else:
        X = _as_array(X, allow_object=True)  # once: lists are stacked a single time
        packed = X.ndim == 2
        if not packed and X.dtype == object:
            _as_array(X)  # its error: images of dtype object
    if packed:
        X = validate_data(
            estimator, X, reset=reset, dtype="numeric", ensure_all_finite=ensure_finite
        )
    images = check_images(X, image_shape=image_shape, ensure_finite=ensure_finite)
    shape = tuple(int(s) for s in images.shape[1:])
    if not reset and hasattr(estimator, "image_shape_") and shape != tuple(estimator.image_shape_):
        raise ValueError(_shape_mismatch_message(name, shape, tuple(estimator.image_shape_)))
    if intensity_range is not None:
        check_intensity(images, intensity_range)
    if reset:
        if not packed and record_n_features:
            estimator.n_features_in_ = int(np.prod(shape))
            if hasattr(estimator, "feature_names_in_"):
                del estimator.feature_names_in_
        estimator.image_shape_ = shape
    return images


def _shape_mismatch_message(name: str, got: tuple, fitted: tuple) -> str:
    h, w, c = fitted
    fixes = []
    if got[:2] != fitted[:2]:
        fixes.append(f"resize or crop them to {h} x {w} pixels")
    if got[2] != c:
        fixes.append("convert them to grayscale" if c == 1 else "convert them to RGB")
    return (
        f"X has images of shape {got} (H, W, C), but {name} was fitted on images of shape "
        f"{fitted}: {' and '.join(fixes)} first, or refit {name} on images of this shape."
    )
