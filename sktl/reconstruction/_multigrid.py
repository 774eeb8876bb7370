"""Coarse-to-fine optimisation: 2x downsampled phase labels, upsampled pixels, the level loop."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from ._descriptor_loss import weighted_objective
from ._level_loss import device_of


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


# share of max_iter spent on the Gram loss plus descriptor terms, after a Gram-only start
DESCRIPTOR_SHARE = 0.8


def optimise_levels(
    x, shapes, level_losses, optimise, max_iter: int, *, desc, verbose, gram_start=True
):
    """Optimise pixels ``x`` of ``shapes[0]`` level by level, coarsest first; ``max_iter`` each.

    ``level_losses(level, shape)`` gives the level's Gram loss and [(weight, term)]
    descriptor terms (level 0 is the finest), ``optimise(loss, x, n_iter, callback)`` the new
    pixels and their loss history. With ``verbose``, a tqdm bar named ``desc`` counts the
    iterations. ``gram_start=False`` (a Gram loss of weight zero) skips the Gram-only start.
    Returns the finest pixels and the whole history.
    """
    from tqdm.auto import tqdm

    histories = []
    with tqdm(total=max_iter * len(shapes), desc=desc, disable=not verbose, leave=False) as bar:

        def _cb(value):
            bar.update(1)
            bar.set_postfix(loss=f"{value:.3g}", refresh=False)

        for k, level_shape in enumerate(shapes):
            level = len(shapes) - 1 - k
            if k > 0:
                x = upsample_pixels(x, level_shape)
            gram, terms = level_losses(level, level_shape)
            # From random pixels the Gram loss shapes the image first: a strong S2 term at
            # once drives the pixels to in-between colours that decode badly. A finer level
            # starts from the coarser result and takes every term at once.
            first = terms and k == 0 and gram_start
            n_gram = max_iter - int(DESCRIPTOR_SHARE * max_iter) if first else 0
            n_gram = max_iter if not terms else n_gram
            with torch.inference_mode(False):
                if n_gram:
                    x, history = optimise(gram, x, n_gram, _cb)
                    histories.append(history)
                if max_iter - n_gram:
                    objective = weighted_objective(gram, terms, x, device_of(gram))
                    x, history = optimise(objective, x, max_iter - n_gram, _cb)
                    histories.append(history)
    return x, np.concatenate(histories)
