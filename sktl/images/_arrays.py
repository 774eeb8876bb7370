"""In-memory image arrays: the shape, dtype, channel and finiteness checks of the contract.

The lowest module of :mod:`sktl.images`: :mod:`._lazy` validates each streamed batch with
:func:`_check_array`, and :mod:`._contract` (which dispatches between the two) imports both.
"""

from __future__ import annotations

import numbers

import numpy as np

from ..utils._validation import check_float32_range

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
