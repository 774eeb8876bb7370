"""From validated numpy images to the float32 NCHW tensors a backbone eats."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from ._contract import check_intensity


def to_unit_tensor(
    images: np.ndarray,
    intensity_range: tuple[float, float],
    *,
    channels: int = 3,
    size: tuple[int, int] | None = None,
    device: torch.device | str = "cpu",
    channels_last: bool = False,
) -> torch.Tensor:
    """Turn an ``(n, H, W, C)`` batch into a float32 ``(n, channels, H', W')`` tensor in [0, 1].

    Parameters
    ----------
    images : ndarray of shape (n, H, W, C)
        A batch validated by :func:`sktl.images.check_images` (any real dtype, or bool).
    intensity_range : (float, float)
        Pixel values mapped to 0 and 1 by a straight line; values outside are mapped outside
        [0, 1] by the same line (kept, not clipped). A range that
        :func:`sktl.images.resolve_intensity_range` chose for "auto" also has the batch's
        float pixels checked to lie in [0, 1] (ValueError otherwise), so streamed batches are
        held to the same rule as whole sets.
    channels : int, default=3
        Output channels: grayscale is repeated to 3 channels when 3 are asked for.
    size : (int, int), optional
        Resize to this (H', W') with antialiased bilinear interpolation; None keeps the size.
    device : torch device, default="cpu"
    channels_last : bool, default=False
        Return the tensor in channels-last memory format (faster convolutions on CPU). Keep it
        False for a tensor that an optimiser such as L-BFGS will update in place.

    Returns
    -------
    tensor : torch.Tensor of shape (n, channels, H', W'), float32
    """
    lo, hi = intensity_range
    images = np.ascontiguousarray(images)
    if getattr(intensity_range, "auto", False):
        check_intensity(images, "auto")
    if not images.flags.writeable:  # torch warns on read-only memory (memmaps, shared arrays)
        images = images.copy()
    t = torch.from_numpy(images).to(device=device, dtype=torch.float32)
    t = t.permute(0, 3, 1, 2)
    if lo != 0.0 or hi != 1.0:
        t = (t - lo) / (hi - lo)
    c = t.shape[1]
    if c != channels:
        if c == 1:
            t = t.expand(-1, channels, -1, -1)
        elif channels == 1:
            t = t.mean(dim=1, keepdim=True)
        else:
            raise ValueError(f"Cannot map {c} image channels to {channels}.")
    if size is not None and tuple(t.shape[-2:]) != tuple(size):
        t = F.interpolate(t, size=size, mode="bilinear", align_corners=False, antialias=True)
    if channels_last:
        return t.contiguous(memory_format=torch.channels_last)
    return t.contiguous()
