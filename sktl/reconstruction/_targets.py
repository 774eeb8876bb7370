"""The statistics a reconstruction matches: Gram matrices and descriptor curves, per level."""

from __future__ import annotations

from ._descriptor_loss import axial_target_curves, s2_map_targets, target_curves
from ._encoding import encode
from ._gram import target_grams
from ._multigrid import downsample_labels

CURVES = ("s2", "s2_periodic", "lineal_path")  # descriptor targets of every level
AXIAL_CURVES = ("s2_axes", "lineal_path_axes")  # per image axis: the planes of a volume


def image_targets(
    model, images, colours, n_phases: int, axial: bool = False, s2_map: bool = True
) -> dict:
    """Gram matrices, descriptor curves and (``s2_map``) the S2 map of phase-index images,
    averaged over them; with ``axial``, also the curves along each image axis (what a
    volume's planes are matched to)."""
    curves = CURVES + AXIAL_CURVES if axial else CURVES
    out = {
        "grams": target_grams(model, [encode(img, colours) for img in images]),
        **{
            key: (axial_target_curves if key in AXIAL_CURVES else target_curves)(
                images, n_phases, key
            )
            for key in curves
        },
    }
    if s2_map:
        out["s2_map"] = s2_map_targets(images, n_phases)
    return out


def level_targets(
    model, examples, colours, n_phases: int, n_levels: int, rng, s2_map: bool = True
):
    """The targets of every level, averaged over the examples, and per example.

    Level 0 is the examples, level k their 2^k-fold downsampling (2x2 block majority, ties
    drawn from ``rng``). The per-example targets are kept only for three examples, which can
    be the orthogonal planes of a volume (only they hold the curves along each axis);
    otherwise that list is empty. ``s2_map``: the averaged targets hold the S2 map too.
    """
    levels = [examples]
    for _ in range(n_levels - 1):
        levels.append([downsample_labels(img, n_phases, rng) for img in levels[-1]])
    averaged = [image_targets(model, imgs, colours, n_phases, s2_map=s2_map) for imgs in levels]
    per_example = (
        [
            [
                image_targets(model, [imgs[j]], colours, n_phases, axial=True, s2_map=False)
                for imgs in levels
            ]
            for j in range(3)
        ]
        if len(examples) == 3
        else []
    )
    return averaged, per_example
