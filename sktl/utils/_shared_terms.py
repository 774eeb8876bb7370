"""The parameter names several estimators or functions share: one meaning, one constraint.

Where the families must agree, a term also holds the one default they share.
"""

from __future__ import annotations

import numbers

from sklearn.utils._param_validation import HasMethods, Interval, StrOptions

from ._term import (
    FRACTION,
    NON_NEGATIVE,
    RATE,
    UNITS,
    Term,
    cache_constraint,
    pooling_constraint,
    positive_int,
)

SHARED: dict[str, Term] = {
    # images and backbones
    "backbone": Term("name of a registered ImageNet architecture", [str]),
    "layer": Term(
        "the tap of a pretrained network whose output is used: a named layer of a backbone, "
        "or a dense layer (name or 1-based index) of a fitted composition network; None: "
        "the network's default tap",
        [Interval(numbers.Integral, 1, None, closed="left"), str, None],
    ),
    "weights": Term(
        "the pretrained source: a named weight source ('imagenet', 'vgg19_normalised'; "
        "'oqmd' for composition networks), a weights or source file, a fitted sktl network, "
        "or None for a seeded random start",
        "no_validation",
    ),
    "pooling": Term(
        "how a feature map becomes a vector: avg, max, flatten or gram", pooling_constraint
    ),
    "freeze": Term(
        "what stays frozen: 'all', 'none', or the first k taps / layers",
        [StrOptions({"all", "none"}), Interval(numbers.Integral, 0, None, closed="left")],
    ),
    "input_size": Term(
        "resize images before the network: None keeps them, 'native' uses the backbone's "
        "training size, an int or (H, W) that size",
        [
            None,
            StrOptions({"native"}),
            Interval(numbers.Integral, 1, None, closed="left"),
            tuple,
            list,
        ],
        default=None,
    ),
    "image_shape": Term(
        "(H, W[, C]) of images packed as rows of a 2-D table", [None, tuple, list], default=None
    ),
    "intensity_range": Term(
        "pixel values mapped to black and white: 'auto' (by dtype) or (low, high)",
        [StrOptions({"auto"}), tuple, list],
        default="auto",
    ),
    # symmetry-aware training of image models (sktl/images/_symmetry.py)
    "augmentation": Term(
        "training-time transformations of the images, with the matching transformation of "
        "the targets: None, 'd4' (the 8 rotations and mirrors of the square), 'shifts' "
        "(periodic shifts), 'd4+shifts' or a tuple of them",
        [None, StrOptions({"d4", "shifts", "d4+shifts"}), tuple, list],
        default=None,
    ),
    "target_symmetry": Term(
        "how each target column transforms when the image is rotated or mirrored: None (all "
        "invariant) or one label per column: 'scalar', a rank-2 component 'xx', 'yy', 'xy', "
        "or a plane Voigt stiffness component '11', '12', '16', '22', '26', '66'",
        [None, list, tuple],
        default=None,
    ),
    "test_time_augmentation": Term(
        "average the predictions over the 8 rotations and mirrors of each image, each mapped "
        "back by the inverse target transformation",
        ["boolean"],
        default=False,
    ),
    "cache": Term(
        "a FeatureCache shared by the estimators given it; None keeps nothing",
        cache_constraint,
        default=None,
    ),
    # dense stacks: sizes and dropouts, by the part of the network they belong to
    "image_units": Term("dense layer sizes of the image branch", UNITS),
    "image_dropout": Term("dropout on the image features, before their dense layers", RATE),
    "descriptor_units": Term("dense layer sizes of the descriptor branch", UNITS),
    "descriptor_dropout": Term("dropout after each dense layer of the descriptor branch", RATE),
    "head_units": Term("dense layer sizes between the features and the output layer", UNITS),
    "head_dropout": Term("dropout after each dense layer of the head", RATE),
    "dropout": Term(
        "dropout after each hidden layer of a network without branches or head (the "
        "architecture string sets its sizes)",
        RATE,
    ),
    # training
    "lr": Term("the optimiser's step size", [Interval(numbers.Real, 0, None, closed="neither")]),
    "lr_decay": Term("Keras-style time decay of lr per batch (0: none)", NON_NEGATIVE),
    "weight_decay": Term("L2 penalty of the optimiser", NON_NEGATIVE),
    "batch_size": Term("samples per gradient step or forward pass", positive_int()),
    "max_epochs": Term("passes over the training samples", positive_int()),
    "early_stopping": Term(
        "hold out validation_fraction and stop when its loss stops improving", ["boolean"]
    ),
    "patience": Term("epochs without improvement before early stopping", positive_int()),
    "validation_fraction": Term("share of the training rows held out for validation", FRACTION),
    "standardize_y": Term("standardise the targets inside the estimator", ["boolean"]),
    "padding": Term(
        "how convolutions see the image border: 'zeros' or 'circular' (periodic images)",
        [StrOptions({"zeros", "circular"})],
    ),
    # running
    "device": Term("where torch runs: 'cpu', 'cuda', 'cuda:N' or 'auto'", [str], default="cpu"),
    "verbose": Term(
        "0: quiet; >= 1: progress (dataset generators: None shows it for large sets)",
        ["verbose"],
        default=0,
    ),
    "random_state": Term("seed of everything random in the call", ["random_state"], default=None),
    # inputs and outputs
    "unsupported": Term(
        "what to do with formulas holding elements outside the table: 'error' or 'drop'",
        [StrOptions({"error", "drop"})],
        default="error",
    ),
    "activation": Term(
        "which output of the tapped dense layer: 'dense' (before its ReLU) or 'relu' (after)",
        [StrOptions({"dense", "relu"})],
        default="dense",
    ),
    "regressor": Term(
        "the model fitted on the features: an estimator (TLRLRegressor) or the name of a "
        "hyperopt-sklearn search space of them (HyperoptRegressor)",
        [str, HasMethods(["fit", "predict"]), None],
    ),
    "n_samples": Term("number of samples to generate or draw", positive_int()),
    "size": Term("side of the images in pixels", positive_int()),
    "return_frame": Term("return pandas DataFrames instead of arrays", ["boolean"]),
    "cache_dir": Term(
        "keep generated sets on disk: None (no), True (get_cache_home()) or a folder"
    ),
    "data_home": Term("the reference-data folder (None: get_data_home())"),
    "download_if_missing": Term("download a missing file (else an error saying where)"),
    "image": Term("one image"),
    "images": Term("a batch of images"),
    "phase": Term("the phase label a descriptor is computed for"),
    "phases": Term("the phase labels descriptors are computed for (None: all)"),
    "periodic": Term("treat the image as periodic (wrap around its edges)"),
    "r_max": Term("largest distance of a descriptor curve, in pixels"),
    "descriptor": Term("a microstructure descriptor: 's2' or 'lineal_path'"),
    "original": Term("the reference microstructure"),
    "reconstructions": Term("one reconstructed microstructure or a stack of them"),
    "directions": Term("the lattice directions of a direction-resolved descriptor (None: all)"),
    "sigma": Term("the scale of a Gaussian smoothing or derivative, in pixels"),
    "volume": Term("a 3-D labelled volume"),
    "axis": Term("the axis of a volume along which slices or lines run"),
    "kwargs": Term("keyword arguments passed on to the descriptor function"),
    "name": Term("a registered backbone name"),
    "file": Term("a path or an open binary file"),
    "stack_folds": Term("folds of a stack's out-of-fold predictions", positive_int(2)),
    # chosen here for the parameters the open issues add (composition model selection,
    # prediction intervals, time-limited fits), so that each enters with one name
    "time_budget": Term(
        "seconds the long work of a call may take (a fit, a search, a reconstruction's "
        "sample); when it runs out, what has finished is kept, with a warning (None: no "
        "limit)",
        [Interval(numbers.Real, 0, None, closed="neither"), None],
    ),
    "confidence_level": Term(
        "coverage of a prediction interval, in (0, 1), or a list of them (MAPIE's name)",
        [Interval(numbers.Real, 0, 1, closed="neither"), list, tuple],
    ),
    "domain_threshold": Term(
        "the domain score (1: as remote as the 5 % most remote training rows) beyond which "
        "predict warns that samples lie outside the training data (None: no warning)",
        [Interval(numbers.Real, 0, None, closed="neither"), None],
        default=1.5,
    ),
    "members": Term(
        "the candidate models a selecting or stacking estimator chooses from or blends: "
        "names or (name, estimator) pairs",
        [list, tuple, None],
    ),
}

#: Names registered before any public parameter uses them (their issues add the parameters).
RESERVED = ("time_budget", "confidence_level", "members")
