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

from ..utils._validation import float_pair
from ._arrays import _check_array, _check_shape_matches
from ._lazy import LazyImages, is_lazy


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
    invalid = f"intensity_range must be 'auto' or (low, high), got {intensity_range!r}."
    if isinstance(intensity_range, str):
        if intensity_range != "auto":
            raise ValueError(invalid)
        return _auto_range(np.dtype(dtype))
    lo, hi = float_pair(intensity_range, invalid)
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
