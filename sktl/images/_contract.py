"""The image input contract shared by every image estimator.

Accepted forms, all validated by :func:`check_images`:

* ``(n, H, W)`` grayscale stack;
* ``(n, H, W, C)`` with ``C`` in {1, 3};
* ``(n, H*W*C)`` packed 2-D form, with ``image_shape=(H, W)`` or ``(H, W, C)``; this is the form
  scikit-learn's common checks and plain tabular tools use;
* a list of equally shaped 2-D or 3-D arrays.

Pixels may be uint8 (read as 0..255) or any other real dtype (read as 0..1 unless
``intensity_range`` says otherwise). Nothing is silently reshaped: any other shape is an error.
"""

from __future__ import annotations

import numbers

import numpy as np

from .._validation import check_float32_range
from ._lazy import LazyImages, is_lazy

VALID_CHANNELS = (1, 3)


def _as_array(X) -> np.ndarray:
    if hasattr(X, "to_numpy") and callable(X.to_numpy):  # pandas DataFrame / Series
        X = X.to_numpy()
    if isinstance(X, (list, tuple)):
        if len(X) == 0:
            raise ValueError("Found an empty list of images; pass at least one image.")
        shapes = {np.shape(x) for x in X}
        if len(shapes) > 1:
            raise ValueError(
                f"Images of different sizes in one batch: found shapes {sorted(shapes)}. "
                "Resize or crop them to a common size first (sktl does not guess how)."
            )
        X = np.stack([np.asarray(x) for x in X])
    X = np.asarray(X)
    if X.dtype == object:
        raise ValueError(
            "Images have dtype object (ragged or mixed content); pass a numeric array of "
            "shape (n, H, W), (n, H, W, C) or (n, H*W*C) with image_shape."
        )
    return X


def normalize_image_shape(image_shape) -> tuple[int, int, int] | None:
    """Validate ``image_shape`` ((H, W) or (H, W, C)) and return it as (H, W, C)."""
    if image_shape is None:
        return None
    try:
        shape = tuple(int(s) for s in image_shape)
    except TypeError as exc:
        raise ValueError(
            f"image_shape must be a tuple (H, W) or (H, W, C), got {image_shape!r}."
        ) from exc
    if len(shape) == 2:
        shape = (*shape, 1)
    if len(shape) != 3 or min(shape) < 1:
        raise ValueError(
            f"image_shape must be (H, W) or (H, W, C) with positive sizes, got {image_shape!r}."
        )
    if shape[2] not in VALID_CHANNELS:
        raise ValueError(
            f"image_shape has {shape[2]} channels; only 1 (grayscale) or 3 (RGB) are supported."
        )
    return shape


def check_images(X, *, image_shape=None, ensure_finite: bool = True) -> np.ndarray:
    """Validate images and return them as an ``(n, H, W, C)`` array (no copy when possible).

    Parameters
    ----------
    X : array-like
        Images in one of the forms listed in the module docstring.
    image_shape : tuple of int, optional
        ``(H, W)`` or ``(H, W, C)``. Required for the packed 2-D form; for other forms it is
        checked against the images' own shape when given.
    ensure_finite : bool, default=True
        Reject NaN and infinite pixels.

    Returns
    -------
    images : ndarray of shape (n, H, W, C)
        The images, with ``C`` in {1, 3}; the dtype is kept.

    Raises
    ------
    ValueError
        On any shape, dtype or value that does not fit the contract, with a message that says
        what was found and what to pass instead.
    """
    shape = normalize_image_shape(image_shape)
    if is_lazy(X):
        return _check_lazy(X, shape)
    X = _as_array(X)
    if X.dtype == bool:
        X = X.astype(np.uint8)
    if not (np.issubdtype(X.dtype, np.number)) or np.iscomplexobj(X):
        raise ValueError(f"Images must be real numbers; got dtype {X.dtype}.")
    if X.ndim == 2:
        if shape is None:
            raise ValueError(
                f"Got a 2-D array of shape {X.shape}: for the packed form (n, H*W*C) pass "
                "image_shape=(H, W) or (H, W, C); otherwise pass images as (n, H, W) or "
                "(n, H, W, C). A single image must be wrapped as X[None]."
            )
        n_pix = int(np.prod(shape))
        if X.shape[1] != n_pix:
            raise ValueError(
                f"X has {X.shape[1]} columns but image_shape={shape} needs H*W*C = {n_pix}."
            )
        X = X.reshape((X.shape[0], *shape))
    elif X.ndim == 3:
        X = X[..., None]
    elif X.ndim != 4:
        raise ValueError(
            f"Images must have shape (n, H, W), (n, H, W, C) or (n, H*W*C); got ndim={X.ndim} "
            f"with shape {X.shape}. Reshape your data: a single image needs a leading batch axis, "
            "e.g. X[None]."
        )
    if X.shape[-1] not in VALID_CHANNELS:
        raise ValueError(
            f"Images have {X.shape[-1]} channels (last axis of shape {X.shape}); only 1 or 3 are "
            "supported. Channels-first input (n, C, H, W) must be transposed to (n, H, W, C)."
        )
    if X.shape[0] == 0:
        raise ValueError(f"Found 0 images (shape {X.shape}); at least one is required.")
    if X.shape[1] == 0 or X.shape[2] == 0:
        raise ValueError(f"Images have an empty spatial size: shape {X.shape}.")
    if shape is not None and tuple(X.shape[1:]) != shape:
        raise ValueError(
            f"Images have shape {tuple(X.shape[1:])} but image_shape={shape} was given."
        )
    check_float32_range(X, "Images")
    if ensure_finite and np.issubdtype(X.dtype, np.floating):
        finite = np.isfinite(X)
        if not finite.all():
            bad = np.nonzero(~finite.reshape(X.shape[0], -1).all(axis=1))[0]
            kind = "NaN" if np.isnan(X).any() else "infinite"
            raise ValueError(
                f"Input X contains {kind} (NaN or inf) pixels in {len(bad)} image(s), first at "
                f"index {int(bad[0])}. Fill or drop those images first."
            )
    return X


def _check_lazy(X, shape) -> LazyImages:
    """Validate a streamed image set's metadata; pixels are checked batch by batch on reading."""
    if isinstance(X, LazyImages):
        if shape is not None and tuple(X.item_shape) != shape:
            raise ValueError(f"Images have shape {X.item_shape} but image_shape={shape} was given.")
        return X
    if not np.issubdtype(np.dtype(X.dtype), np.number) and np.dtype(X.dtype) != bool:
        raise ValueError(f"Images must be real numbers; got dtype {X.dtype}.")
    if len(X.shape) == 2 and shape is None:
        raise ValueError(
            f"Got a 2-D memmap of shape {X.shape}: for the packed form (n, H*W*C) pass "
            "image_shape=(H, W) or (H, W, C)."
        )
    if len(X.shape) not in (2, 3, 4):
        raise ValueError(
            f"Images must have shape (n, H, W), (n, H, W, C) or (n, H*W*C); got {X.shape}."
        )
    return LazyImages(X, image_shape=shape)


def resolve_intensity_range(intensity_range, dtype) -> tuple[float, float]:
    """The (low, high) pixel values that map to 0 and 1.

    ``"auto"`` reads uint8 as 0..255 and every other dtype as 0..1.
    """
    if isinstance(intensity_range, str):
        if intensity_range != "auto":
            raise ValueError(
                f"intensity_range must be 'auto' or (low, high), got {intensity_range!r}."
            )
        return (0.0, 255.0) if np.dtype(dtype) == np.uint8 else (0.0, 1.0)
    try:
        lo, hi = (float(v) for v in intensity_range)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"intensity_range must be 'auto' or (low, high), got {intensity_range!r}."
        ) from exc
    if not (np.isfinite(lo) and np.isfinite(hi) and hi > lo):
        raise ValueError(
            f"intensity_range=(low, high) needs finite low < high, got {intensity_range!r}."
        )
    return lo, hi


def resolve_size(size) -> tuple[int, int] | None:
    """Normalise a target size: None, an int or an (H, W) pair."""
    if size is None:
        return None
    if isinstance(size, numbers.Integral) and not isinstance(size, bool):
        size = (int(size), int(size))
    try:
        h, w = (int(s) for s in size)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"size must be None, an int or (H, W); got {size!r}.") from exc
    if h < 1 or w < 1:
        raise ValueError(f"size must be positive, got {size!r}.")
    return h, w
