"""The image input contract shared by every image estimator.

Accepted forms, all validated by :func:`check_images` (and, for estimators, by
:func:`sktl.images.validate_images`):

* ``(n, H, W)`` grayscale stack;
* ``(n, H, W, C)`` with ``C`` in {1, 3, 4} (grayscale, RGB, RGBA);
* ``(n, H*W*C)`` packed 2-D form, with ``image_shape=(H, W)`` or ``(H, W, C)``, one of H or W
  possibly -1 (inferred from the number of columns, as in :func:`numpy.reshape`); this is the
  form scikit-learn's common checks and plain tabular tools use;
* a list of equally shaped 2-D or 3-D arrays;
* streamed sets (:class:`~sktl.images.ImageFiles`, image memmaps), returned as lazy views.

Channels. RGBA images lose their alpha channel, with a UserWarning, when the alpha is the same
everywhere (normally fully opaque): it carries no picture. An alpha that varies is an error:
what a transparent pixel should look like (which background) is not sktl's to guess, so
composite such images onto a background first. Any other channel count (2, or more than 4) is
an error, as is channels-first input.

Intensities (:func:`resolve_intensity_range`): the pixel values that map to black (0) and
white (1) before a network sees them. ``intensity_range="auto"`` reads

* bool as 0..1, and integer dtypes over their full range (:func:`numpy.iinfo`): uint8 0..255,
  uint16 0..65535, int8 -128..127, int16 -32768..32767. 32- and 64-bit integers are refused:
  their full range is too wide to resolve in float32 (every pixel would read as 0.5), so they
  need an explicit range;
* floats as 0..1; a float image with values outside [0, 1] is refused with an error that says
  which ``intensity_range`` to pass, instead of being fed to a network at the wrong scale.

An explicit ``intensity_range=(low, high)`` maps ``low`` to 0 and ``high`` to 1 linearly for
any dtype, and values outside it are mapped outside [0, 1] by the same line: neither clipped
nor refused. An explicit range is therefore also the way to feed real-valued data of any sign
and scale (scikit-learn's common checks do, with ``(0, 1)``: the values pass unchanged).

Nothing is silently reshaped: any other shape is an error.
"""

from __future__ import annotations

import numbers
import os
import sys
import warnings

import numpy as np
import sklearn

from .._validation import check_float32_range
from ._lazy import LazyImages, is_lazy

VALID_CHANNELS = (1, 3, 4)
_ACCEPTED_CHANNELS = "1 (grayscale), 3 (RGB) or 4 (RGBA, whose alpha channel is dropped)"


# -- shapes ---------------------------------------------------------------------------------
def _as_array(X, *, allow_object: bool = False) -> np.ndarray:
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
    if X.dtype == object and not allow_object:
        raise ValueError(
            "Images have dtype object (ragged or mixed content); pass a numeric array of "
            "shape (n, H, W), (n, H, W, C) or (n, H*W*C) with image_shape."
        )
    return X


def _as_int(s) -> int:
    if isinstance(s, numbers.Integral) and not isinstance(s, bool):
        return int(s)
    if isinstance(s, numbers.Real) and float(s).is_integer():
        return int(s)
    raise TypeError(s)


def _parse_image_shape(image_shape) -> list[int]:
    """``image_shape`` as a list [H, W, C] (C = 1 for (H, W)); entries may still be -1."""
    if isinstance(image_shape, (str, bytes)):
        shape = None
    else:
        try:
            shape = [_as_int(s) for s in image_shape]
        except (TypeError, ValueError):
            shape = None
    if shape is not None and len(shape) == 2:
        shape.append(1)
    if shape is None or len(shape) != 3:
        raise ValueError(
            f"image_shape must be a tuple of ints (H, W) or (H, W, C), got {image_shape!r}."
        )
    if shape[2] not in VALID_CHANNELS:
        raise ValueError(
            f"image_shape={image_shape!r} has {shape[2]} channels; accepted are "
            f"{_ACCEPTED_CHANNELS}."
        )
    if shape.count(-1) > 1 or any(s < 1 and s != -1 for s in shape[:2]):
        raise ValueError(
            f"image_shape must be (H, W) or (H, W, C) with positive sizes, one of H or W "
            f"possibly -1 (inferred), got {image_shape!r}."
        )
    return shape


def normalize_image_shape(image_shape) -> tuple[int, int, int] | None:
    """Validate a fully given ``image_shape`` ((H, W) or (H, W, C)) and return it as (H, W, C).

    Parameters
    ----------
    image_shape : tuple of int or None
        Positive sizes; ``C`` in {1, 3, 4}. A -1 entry is refused here: only
        :func:`resolve_image_shape`, which knows the number of columns, can infer it.

    Returns
    -------
    shape : (int, int, int) or None
    """
    if image_shape is None:
        return None
    shape = _parse_image_shape(image_shape)
    if -1 in shape:
        raise ValueError(
            f"image_shape={image_shape!r} has a -1 (inferred) entry, which needs the packed "
            "form's number of columns to resolve; give H and W explicitly here."
        )
    return tuple(shape)


def resolve_image_shape(image_shape, n_columns: int) -> tuple[int, int, int]:
    """Resolve ``image_shape`` against the number of columns of a packed (n, H*W*C) array.

    Parameters
    ----------
    image_shape : tuple of int or None
        (H, W) or (H, W, C). One of H or W may be -1 and is then inferred, as
        :func:`numpy.reshape` does.
    n_columns : int
        Columns of the packed array.

    Returns
    -------
    shape : (int, int, int)
        (H, W, C), with H * W * C == ``n_columns``.

    Raises
    ------
    ValueError
        If ``image_shape`` is None (a 2-D array needs it) or does not fit ``n_columns``.
    """
    if image_shape is None:
        raise ValueError(
            f"Got a 2-D array with {n_columns} columns: for the packed form (n, H*W*C) set "
            "image_shape=(H, W) or (H, W, C); otherwise pass images as (n, H, W) or "
            "(n, H, W, C). A single image must be wrapped as X[None]."
        )
    shape = _parse_image_shape(image_shape)
    if -1 in shape:
        known = -int(np.prod(shape))
        if n_columns < known or n_columns % known:
            raise ValueError(
                f"X has {n_columns} columns, not a positive multiple of {known} as "
                f"image_shape={image_shape!r} needs (its -1 entry is inferred as "
                f"columns / {known})."
            )
        shape[shape.index(-1)] = n_columns // known
    n_pix = int(np.prod(shape))
    if n_columns != n_pix:
        raise ValueError(
            f"X has {n_columns} columns but image_shape={image_shape!r} needs H*W*C = {n_pix}."
        )
    return tuple(shape)


def _check_shape_matches(image_shape, actual: tuple[int, ...]) -> None:
    """Images in (n, H, W, C) form must agree with every entry of ``image_shape`` but a -1."""
    spec = _parse_image_shape(image_shape)
    if any(s != -1 and s != a for s, a in zip(spec, actual)):
        raise ValueError(
            f"Images have shape {tuple(actual)} (H, W, C) but image_shape={image_shape!r} was "
            "given; pass images of that shape or change image_shape."
        )


# -- validation -----------------------------------------------------------------------------
def check_images(
    X, *, image_shape=None, ensure_finite: bool = True, warn_alpha: bool = True
) -> np.ndarray | LazyImages:
    """Validate images and return them as an ``(n, H, W, C)`` array (no copy when possible).

    Parameters
    ----------
    X : array-like
        Images in one of the forms listed in the module docstring.
    image_shape : tuple of int, optional
        ``(H, W)`` or ``(H, W, C)``; one of H, W may be -1. Required for the packed 2-D form;
        for other forms the images' own shape is checked against its given entries.
    ensure_finite : bool, default=True
        Reject NaN and infinite pixels.
    warn_alpha : bool, default=True
        Warn when a constant alpha channel is dropped from RGBA images.

    Returns
    -------
    images : ndarray of shape (n, H, W, C), or LazyImages
        The images, with ``C`` in {1, 3} (RGBA loses its alpha); the dtype is kept. Streamed
        input (:class:`ImageFiles`, image memmaps) comes back as a lazy view whose batches are
        validated when read.

    Raises
    ------
    ValueError
        On any shape, dtype or value that does not fit the contract, with a message that says
        what was found and what to pass instead.
    """
    if is_lazy(X):
        fresh = not isinstance(X, LazyImages)  # a LazyImages was validated (and warned) before
        view = _check_lazy(X, image_shape)
        if warn_alpha and fresh and view.dropped_alpha:
            _warn_alpha(None)
        return view
    images, alpha = _check_array(X, image_shape, ensure_finite)
    if warn_alpha and alpha is not None:
        _warn_alpha(alpha)
    return images


def _check_array(X, image_shape, ensure_finite: bool) -> tuple[np.ndarray, object]:
    """The checks of :func:`check_images` for in-memory input; also returns the dropped alpha
    value (None when the images had no alpha channel)."""
    X = _as_array(X)
    if X.dtype.kind != "b" and (not np.issubdtype(X.dtype, np.number) or X.dtype.kind == "c"):
        raise ValueError(f"Images must be real numbers (or bool); got dtype {X.dtype}.")
    if X.ndim == 2:
        X = X.reshape((X.shape[0], *resolve_image_shape(image_shape, X.shape[1])))
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
            f"Images have {X.shape[-1]} channels (last axis of shape {X.shape}); accepted are "
            f"{_ACCEPTED_CHANNELS}. Channels-first input (n, C, H, W) must be transposed to "
            "(n, H, W, C)."
        )
    if X.shape[0] == 0:
        raise ValueError(f"Found 0 images (shape {X.shape}); at least one is required.")
    if X.shape[1] == 0 or X.shape[2] == 0:
        raise ValueError(f"Images have an empty spatial size: shape {X.shape}.")
    if image_shape is not None:
        _check_shape_matches(image_shape, X.shape[1:])
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
    alpha = None
    if X.shape[-1] == 4:
        a = X[..., 3]
        alpha = a.flat[0]
        if not (a == alpha).all():
            opaque = a.max()
            frac = float(np.mean(a != opaque))
            raise ValueError(
                f"RGBA images with a varying alpha channel ({frac:.1%} of pixels below its "
                f"maximum {opaque}): sktl reads RGB only and will not guess what transparent "
                "pixels should show. Composite them onto a background first, e.g. "
                "rgb = rgba[..., :3] * a + background * (1 - a) with a = alpha / alpha_max, or "
                "pass rgba[..., :3] to ignore the transparency."
            )
        X = np.ascontiguousarray(X[..., :3])
    return X, alpha


def _warn_alpha(alpha) -> None:
    value = "" if alpha is None else f" (alpha = {alpha} everywhere)"
    warnings.warn(
        f"Dropped the alpha channel of RGBA images{value}: sktl reads them as RGB. Pass "
        "X[..., :3] to silence this warning. Images whose alpha varies are refused.",
        UserWarning,
        stacklevel=_caller_stacklevel(),
    )


def _caller_stacklevel() -> int:
    """The stacklevel of the first frame outside sktl and scikit-learn: the user's call."""
    frame, level = sys._getframe(1), 1
    inside = (
        os.path.dirname(os.path.dirname(__file__)) + os.sep,
        os.path.dirname(sklearn.__file__) + os.sep,
    )
    while frame is not None and frame.f_code.co_filename.startswith(inside):
        frame, level = frame.f_back, level + 1
    return level


def _check_lazy(X, image_shape) -> LazyImages:
    """Validate a streamed image set's metadata; pixels are checked batch by batch on reading."""
    if isinstance(X, LazyImages):
        if image_shape is not None:
            h, w, c = X.item_shape
            _check_shape_matches(image_shape, (h, w, 4 if X.dropped_alpha else c))
        return X
    dtype = np.dtype(X.dtype)
    if dtype.kind != "b" and (not np.issubdtype(dtype, np.number) or dtype.kind == "c"):
        raise ValueError(f"Images must be real numbers (or bool); got dtype {X.dtype}.")
    if len(X.shape) == 2 and image_shape is None:
        raise ValueError(
            f"Got a 2-D memmap of shape {X.shape}: for the packed form (n, H*W*C) pass "
            "image_shape=(H, W) or (H, W, C)."
        )
    if len(X.shape) not in (2, 3, 4):
        raise ValueError(
            f"Images must have shape (n, H, W), (n, H, W, C) or (n, H*W*C); got {X.shape}."
        )
    return LazyImages(X, image_shape=image_shape)


# -- intensities ----------------------------------------------------------------------------
class IntensityRange(tuple):
    """``(low, high)``: the pixel values mapped to 0 and 1, remembering if "auto" chose them.

    A plain 2-tuple for every use (unpacking, comparison); :func:`sktl.images.to_unit_tensor`
    reads ``auto`` to refuse float pixels outside [0, 1] batch by batch, as
    :func:`check_intensity` does for a whole set.
    """

    def __new__(cls, low, high, auto: bool = False):
        self = super().__new__(cls, (float(low), float(high)))
        self.auto = bool(auto)
        return self

    def __getnewargs__(self):
        return (self[0], self[1], self.auto)

    def __repr__(self) -> str:
        return f"IntensityRange({self[0]!r}, {self[1]!r}, auto={self.auto})"


def _wide_integer_message(dtype, span=None) -> str:
    info = np.iinfo(dtype)
    seen = "" if span is None else f" (these images span {span[0]}..{span[1]})"
    return (
        f"intensity_range='auto' reads integer images over their dtype's full range, and "
        f"{dtype}'s ({info.min:.3g}..{info.max:.3g}) is too wide to resolve in float32: every "
        f"pixel would read as 0.5. Pass intensity_range=(low, high) for the values your images "
        f"use{seen}, e.g. (0, 255) for 8-bit values or (0, n_phases - 1) for phase labels, or "
        "cast them to uint8 / uint16."
    )


def _auto_range(dtype: np.dtype) -> IntensityRange:
    if dtype.kind == "b":
        return IntensityRange(0, 1, auto=True)
    if np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        if info.bits > 16:
            raise ValueError(_wide_integer_message(dtype))
        return IntensityRange(info.min, info.max, auto=True)
    if np.issubdtype(dtype, np.floating):
        return IntensityRange(0.0, 1.0, auto=True)
    raise ValueError(
        f"intensity_range='auto' cannot read images of dtype {dtype}; pass real numbers."
    )


def resolve_intensity_range(intensity_range, dtype) -> IntensityRange:
    """The (low, high) pixel values that map to 0 and 1.

    Parameters
    ----------
    intensity_range : "auto" or (float, float)
        ``"auto"`` reads bool as 0..1, 8- and 16-bit integers over their full range
        (uint8 0..255, uint16 0..65535, int16 -32768..32767, ...) and floats as 0..1; wider
        integers are refused. An explicit ``(low, high)`` is used as given.
    dtype : dtype
        The images' dtype.

    Returns
    -------
    low_high : IntensityRange
        A 2-tuple of floats; its ``auto`` attribute says whether "auto" chose it.

    Raises
    ------
    ValueError
        For an invalid ``intensity_range``, or "auto" with 32- or 64-bit integer images.
    """
    if isinstance(intensity_range, str):
        if intensity_range != "auto":
            raise ValueError(
                f"intensity_range must be 'auto' or (low, high), got {intensity_range!r}."
            )
        return _auto_range(np.dtype(dtype))
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
    return IntensityRange(lo, hi)


def _float_out_of_range_message(dtype, lo: float, hi: float) -> str:
    own = f"intensity_range=({lo:.4g}, {hi:.4g})"
    if lo >= 0 and 16 < hi <= 255:
        typical = "intensity_range=(0, 255) for 8-bit values stored as floats"
    elif lo >= 0 and 255 < hi <= 65535:
        typical = "intensity_range=(0, 65535) for 16-bit values stored as floats"
    else:
        typical = ""
    if typical and (lo, hi) not in ((0, 255), (0, 65535)):
        typical += f", or {own} for these images' own range"
    elif not typical:
        typical = f"{own}, these images' own range"
    return (
        f"Images are {dtype} with values in [{lo:.4g}, {hi:.4g}], but intensity_range='auto' "
        "reads floating-point pixels as 0 (black) to 1 (white) and does not guess another "
        f"scale. Pass the range your pixel values are on, e.g. {typical} (a range fixed "
        "for the whole data set, so that every batch is scaled alike)."
    )


def check_intensity(images, intensity_range) -> IntensityRange:
    """Resolve ``intensity_range`` for ``images`` and check their values fit "auto"'s reading.

    Parameters
    ----------
    images : ndarray or LazyImages
        Validated images. A lazy set is not read here: its batches are checked when
        :func:`sktl.images.to_unit_tensor` scales them.
    intensity_range : "auto" or (float, float)

    Returns
    -------
    low_high : IntensityRange

    Raises
    ------
    ValueError
        Under "auto": float images with values outside [0, 1], or 32-/64-bit integer images.
        The message names ``intensity_range`` and the value to pass.
    """
    dtype = np.dtype(images.dtype)
    lazy = is_lazy(images)
    if (
        isinstance(intensity_range, str)
        and intensity_range == "auto"
        and np.issubdtype(dtype, np.integer)
        and np.iinfo(dtype).bits > 16
    ):
        arr = None if lazy else np.asarray(images)
        span = None if arr is None or not arr.size else (arr.min(), arr.max())
        raise ValueError(_wide_integer_message(dtype, span))
    low_high = resolve_intensity_range(intensity_range, dtype)
    if low_high.auto and np.issubdtype(dtype, np.floating) and not lazy:
        arr = np.asarray(images)
        if arr.size:
            lo, hi = float(np.min(arr)), float(np.max(arr))
            if lo < 0.0 or hi > 1.0:
                raise ValueError(_float_out_of_range_message(dtype, lo, hi))
    return low_high


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
