"""Image input contract: validation, intensity scaling, channel handling and resizing.

Importing this package does not import torch: only :func:`to_unit_tensor` needs it, and it is
loaded on first use (so that the numpy-only :mod:`sktl.descriptors` can validate images).
"""

from ._arrays import normalize_image_shape, resolve_image_shape
from ._contract import (
    IntensityRange,
    check_images,
    check_intensity,
    resolve_intensity_range,
    resolve_size,
)
from ._files import read_image
from ._lazy import ImageFiles, LazyImages, is_lazy
from ._validate import validate_images

__all__ = [
    "ImageFiles",
    "IntensityRange",
    "LazyImages",
    "is_lazy",
    "read_image",
    "check_images",
    "check_intensity",
    "normalize_image_shape",
    "resolve_image_shape",
    "resolve_intensity_range",
    "resolve_size",
    "to_unit_tensor",
    "validate_images",
]


def __getattr__(name):
    if name == "to_unit_tensor":  # torch is imported only by those who scale pixels
        from ._tensor import to_unit_tensor

        globals()[name] = to_unit_tensor
        return to_unit_tensor
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
