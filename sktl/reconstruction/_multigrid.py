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


def per_level(value, n_levels: int) -> list:
    """A setting of each level, coarsest first (``max_iter``, ``n_slices``): ``value`` (an
    int) for every level, or its entries (one per level)."""
    if isinstance(value, (int, np.integer)):
        return [int(value)] * n_levels
    return [int(n) for n in value]


# share of max_iter spent on the Gram loss plus descriptor terms, after a Gram-only start
DESCRIPTOR_SHARE = 0.8


def optimise_levels(
    x,
    shapes,
    level_losses,
    optimise,
    max_iter,
    *,
    desc,
    verbose,
    gram_start=True,
    out_of_time=None,
    on_level=None,
):
    """Optimise pixels ``x`` of ``shapes[0]`` level by level, coarsest first: ``max_iter``
    iterations each, or ``max_iter[k]`` at level ``k`` (a sequence, coarsest first).

    ``level_losses(level, shape)`` gives the level's Gram loss (None: not at that level, never
    the coarsest) and [(weight, term)] descriptor terms (level 0 is the finest),
    ``optimise(loss, x, n_iter, callback, out_of_time, level)`` the new pixels and their loss
    history. With ``verbose``, a tqdm bar named
    ``desc`` counts the iterations. ``gram_start=False`` (a Gram loss of weight zero) skips
    the Gram-only start. ``on_level(k)`` is called when level ``k`` (0: coarsest) is done.

    ``out_of_time()`` (None: never) is asked before each level and by the optimiser before
    each evaluation of the loss; once it says True, the rest is skipped and the pixels so far
    (the optimiser's best) are upsampled to the finest shape.

    Returns the finest pixels, the whole history (empty when nothing ran), and None, or where
    ``out_of_time`` stopped it: ``"not started"`` or ``"level k/L, iteration i/max_iter"``
    (levels counted from the coarsest; iteration 0: that level never started).
    """
    from tqdm.auto import tqdm

    iterations = per_level(max_iter, len(shapes))

    stopped = False

    def _out_of_time():  # latches: ``stopped`` then says whether the budget cut a step short
        nonlocal stopped
        stopped = stopped or (out_of_time is not None and bool(out_of_time()))
        return stopped

    # without a budget the optimisers keep no copies of their best point
    check = _out_of_time if out_of_time is not None else None
    histories, cut = [], None
    with tqdm(total=sum(iterations), desc=desc, disable=not verbose, leave=False) as bar:
        n_iter = 0  # iterations of the current level

        def _cb(value):
            nonlocal n_iter
            n_iter += 1
            bar.update(1)
            bar.set_postfix(loss=f"{value:.3g}", refresh=False)

        for k, level_shape in enumerate(shapes):
            level = len(shapes) - 1 - k
            n_iter, max_iter = 0, iterations[k]
            if _out_of_time():
                cut = f"level {k + 1}/{len(shapes)}, iteration 0/{max_iter}"
                break
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
                    x, history = optimise(gram, x, n_gram, _cb, check, level)
                    histories.append(history)
                if max_iter - n_gram and not _out_of_time():
                    device = device_of(gram if gram is not None else terms[0][1])
                    objective = weighted_objective(gram, terms, x, device)
                    x, history = optimise(objective, x, max_iter - n_gram, _cb, check, level)
                    histories.append(history)
            if stopped:
                cut = f"level {k + 1}/{len(shapes)}, iteration {n_iter}/{max_iter}"
                break
            if on_level is not None:
                on_level(k)
    if cut is not None and not histories:
        cut = "not started"
    if tuple(x.shape[2:]) != tuple(shapes[-1]):
        x = upsample_pixels(x, shapes[-1])
    return x, (np.concatenate(histories) if histories else np.empty(0)), cut
