"""Image input contract: validation, intensity scaling, channel handling and resizing."""

from ._contract import (
    check_images,
    normalize_image_shape,
    resolve_intensity_range,
    resolve_size,
)
from ._lazy import ImageFiles, LazyImages, is_lazy, read_image
from ._tensor import to_unit_tensor

__all__ = [
    "ImageFiles",
    "LazyImages",
    "is_lazy",
    "read_image",
    "check_images",
    "normalize_image_shape",
    "resolve_intensity_range",
    "resolve_size",
    "to_unit_tensor",
]
