"""Coarse-to-fine helpers: 2x downsampled phase labels and upsampled pixel images."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F


def downsample_labels(labels: np.ndarray, n_phases: int, rng) -> np.ndarray:
    """2x2 block majority of a phase-index image (odd edges dropped); ties drawn at random."""
    h, w = (s // 2 * 2 for s in labels.shape)
    blocks = labels[:h, :w].reshape(h // 2, 2, w // 2, 2)
    counts = np.stack([(blocks == k).sum((1, 3)) for k in range(n_phases)], axis=-1)
    noise = rng.uniform(0.0, 0.5, size=counts.shape)  # < 1: breaks ties only
    return np.argmax(counts + noise, axis=-1)


def level_shapes(shape, n_levels: int) -> list:
    """Sample shapes from the coarsest level to ``shape`` (each level halves every side)."""
    return [tuple(int(s) >> k for s in shape) for k in range(n_levels - 1, -1, -1)]


def upsample_pixels(x: np.ndarray, shape) -> np.ndarray:
    """(1, 3, *spatial) pixels resized to ``shape`` by (bi/tri)linear interpolation."""
    mode = "bilinear" if len(shape) == 2 else "trilinear"
    t = torch.from_numpy(np.ascontiguousarray(x, np.float32))
    up = F.interpolate(t, size=tuple(shape), mode=mode, align_corners=False)
    return up.clamp_(0.0, 255.0).numpy()
