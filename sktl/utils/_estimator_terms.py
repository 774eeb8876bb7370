"""The parameter names that one estimator has, per estimator, with what they mean."""

from __future__ import annotations

import numbers

from sklearn.utils._param_validation import Interval, StrOptions

from ._term import (
    NON_NEGATIVE,
    Term,
    level_constraint,
    phase_count_constraint,
    positive_int,
    vgg_pooling_constraint,
)

ESTIMATOR_TERMS: dict[str, dict[str, Term]] = {
    "TransferCNNRegressor": {
        "head_epochs": Term("epochs of the head alone before fine-tuning", positive_int(0)),
        "fine_tune_lr_factor": Term(
            "lr multiplier of the fine-tuning phase",
            [Interval(numbers.Real, 0, None, closed="neither")],
        ),
    },
    "CNNRegressor": {
        "n_blocks": Term("convolution blocks", positive_int()),
        "filters": Term("filters of the first block (doubled per block)", positive_int()),
        "kernel_size": Term("convolution kernel side", positive_int()),
    },
    "MultimodalRegressor": {
        "descriptor_skip": Term("a linear path from the descriptors to the output", ["boolean"]),
        "modality_dropout": Term(
            "probability of dropping one whole branch per sample in training",
            [Interval(numbers.Real, 0, 0.5, closed="left")],
        ),
        "fusion": Term(
            "'stack' (cross-validated stack of members) or 'concat' (one network)",
            [StrOptions({"concat", "stack"})],
        ),
    },
    "DeepMLPRegressor": {
        "architecture": Term("layer sizes, repeats and B/R/D flags, e.g. '1024x4D-1'", [str]),
        "mc_dropout": Term("Monte Carlo dropout passes at predict (0: off)", positive_int(0)),
        "lr_schedule": Term("'decay' or 'onecycle'", [StrOptions({"decay", "onecycle"})]),
    },
    "TLRLRegressor": {
        "bridge": Term(
            "start of the new first layer: 'least_squares' onto the source's, or 'random'",
            [StrOptions({"least_squares", "random"})],
        ),
        "bridge_alpha": Term("ridge penalty of the least-squares bridge", NON_NEGATIVE),
    },
    "HyperoptRegressor": {
        "preprocessing": Term("hyperopt-sklearn search space of preprocessing", [str]),
        "max_evals": Term("trials of the search", positive_int()),
        "cv": Term(
            "folds scoring each trial (None: one validation split)",
            [Interval(numbers.Integral, 2, None, closed="left"), None],
        ),
        "algo": Term("search algorithm: 'tpe' or 'rand'", [StrOptions({"tpe", "rand"})]),
        "trial_timeout": Term(
            "seconds one trial may take",
            [Interval(numbers.Real, 0, None, closed="neither"), None],
        ),
        "fallback": Term(
            "when every trial fails: 'ridge' (fit a RidgeCV and warn) or 'raise'",
            [StrOptions({"ridge", "raise"})],
        ),
    },
    "TwoPointStatsTransformer": {
        "cutoff": Term(
            "largest lag kept (None: all)",
            [Interval(numbers.Integral, 0, None, closed="left"), None],
        ),
        "threshold": Term(
            "binarise grey images at this value (None: as given)", [numbers.Real, None]
        ),
    },
    "ElementPropertyTransformer": {
        "properties": Term(
            "element properties ('all' or names)", [StrOptions({"all"}), list, tuple]
        ),
        "stats": Term("statistics of each property over a formula", [list, tuple]),
        "scale": Term(
            "scaling of the property table: 'minmax' or 'none'", [StrOptions({"minmax", "none"})]
        ),
        "include_fractions": Term("prepend the 86 element fractions", ["boolean"]),
    },
    "CompositionRegressor": {
        "blend": Term(
            "how out-of-fold predictions become member weights: 'greedy' or 'nnls'",
            [StrOptions({"greedy", "nnls"})],
        ),
        "formula_column": Term("the DataFrame column holding the formulas", [str]),
        "max_deep_rows": Term(
            "most training rows a network member sees per fold (None: all)",
            [Interval(numbers.Integral, 1, None, closed="left"), None],
        ),
    },
    "StructurePropertyRegressor": {},
    "ElementFractionTransformer": {},
    "LayerActivationTransformer": {},
    "PretrainedCNNFeaturizer": {},
    "ImageRegressor": {},
    "DescriptorRegressor": {},
    "MicrostructureReconstructor": {
        "layers": Term("VGG19 taps of the Gram loss", ["array-like", str]),
        "layer_weights": Term("weight of each tap's Gram term (None: equal)", ["array-like", None]),
        "vgg_pooling": Term("VGG19's pooling: 'max' or 'avg'", vgg_pooling_constraint),
        "optimizer": Term("pixel optimiser: 'lbfgs' or 'adam'", [StrOptions({"lbfgs", "adam"})]),
        "n_slices": Term(
            "slices per axis of a volume the Gram loss scores, or one count per level "
            "(coarsest first; 0: no Gram loss there); the lineal path scores 4x the largest "
            "(None: all)",
            [Interval(numbers.Integral, 1, None, closed="left"), "array-like", None],
        ),
        "max_iter": Term(
            "iterations per sample and level, or one count per level (coarsest first)",
            [*positive_int(), "array-like"],
        ),
        "tol": Term("relative loss reduction below which the optimisation stops", NON_NEGATIVE),
        "match_volume_fraction": Term(
            "anneal the decoded phases to the examples' volume fractions", ["boolean"]
        ),
        "s2_weight": Term("weight of the two-point correlation term", NON_NEGATIVE),
        "lineal_path_weight": Term("weight of the lineal-path term", NON_NEGATIVE),
        "directional_s2": Term(
            "match the non-periodic S2 at every lag, not averaged over directions ('auto': "
            "where a held-out test on the examples' quadrants finds their anisotropy shared)",
            ["boolean", StrOptions({"auto"})],
        ),
        "n_levels": Term("coarse-to-fine levels", level_constraint),
        "n_phases": Term(
            "expected number of phases (None: as many as labels)", phase_count_constraint
        ),
        "n_threads": Term(
            "torch and BLAS threads while fitting and sampling (None: leave the process alone)",
            [Interval(numbers.Integral, -1, None, closed="left"), None],
        ),
    },
}
