"""``image_shape`` for the packed 2-D form, with an optional -1 (inferred) entry."""

from __future__ import annotations

from ..images import normalize_image_shape


def resolve_image_shape(image_shape, n_columns: int) -> tuple[int, int, int]:
    """Resolve ``image_shape`` against the number of columns of a packed (n, H*W*C) array.

    One of H or W may be -1 and is then inferred, like :func:`numpy.reshape` does.
    """
    if image_shape is None:
        raise ValueError(
            f"Got a 2-D array with {n_columns} columns: for the packed form (n, H*W*C) set "
            "image_shape=(H, W) or (H, W, C); otherwise pass images as (n, H, W) or (n, H, W, C)."
        )
    shape = [int(s) for s in image_shape]
    if len(shape) == 2:
        shape.append(1)
    if len(shape) != 3:
        raise ValueError(f"image_shape must be (H, W) or (H, W, C), got {image_shape!r}.")
    if shape.count(-1) > 1 or shape[2] == -1:
        raise ValueError(f"image_shape may infer (-1) one of H or W only, got {image_shape!r}.")
    if -1 in shape:
        known = abs(shape[0] * shape[1] * shape[2])
        if n_columns % known:
            raise ValueError(
                f"X has {n_columns} columns, not a multiple of {known} as image_shape={image_shape!r} needs."
            )
        shape[shape.index(-1)] = n_columns // known
    return normalize_image_shape(shape)
