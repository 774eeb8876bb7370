"""The registry of sktl's parameter names: one name, one meaning, one constraint.

Every parameter of every public estimator is here, either in :data:`SHARED` (a concept several
estimators or functions have; where the families must agree, with the one default they share)
or in :data:`OWN` under its owner's name (a parameter only that owner has, with what it
means). :func:`vocabulary` builds an estimator's ``_parameter_constraints`` from these
entries, so a constraint is written once. ``tests/test_vocabulary.py`` checks that every
parameter of every public class, function and CLI command is registered.

A constraint is a list in scikit-learn's ``_parameter_constraints`` form, or a function
returning one (for constraints naming objects of higher layers: it runs when the estimator
class is created, so this module imports nothing from sktl).
"""

from __future__ import annotations

import inspect
import numbers
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sklearn.utils._param_validation import HasMethods, Interval, StrOptions

#: ``default`` of a term whose families choose their own default.
VARIES = object()


@dataclass(frozen=True)
class Term:
    """One parameter name: what it means, what it accepts, the default families share."""

    meaning: str
    constraint: list | str | Callable[[], list] | None = None
    default: Any = VARIES

    def resolved_constraint(self):
        return self.constraint() if callable(self.constraint) else self.constraint


def _positive_int(low=1):
    return [Interval(numbers.Integral, low, None, closed="left")]


_RATE = [Interval(numbers.Real, 0, 1, closed="left")]
_FRACTION = [Interval(numbers.Real, 0, 1, closed="neither")]
_NON_NEGATIVE = [Interval(numbers.Real, 0, None, closed="left")]
_UNITS = [tuple, list]


def _feature_cache():
    from ..featurizers._cache import FeatureCache

    return [FeatureCache, None]


def _poolings():
    from ..backbones._pooling import POOLINGS

    return [StrOptions(set(POOLINGS))]


def _vgg_poolings():
    from ..reconstruction._gram import VGG_POOLINGS

    return [StrOptions(set(VGG_POOLINGS))]


def _levels():
    from ..reconstruction._estimator import MAX_LEVELS

    return [Interval(numbers.Integral, 1, MAX_LEVELS, closed="both")]


def _phases():
    from ..reconstruction._inputs import MAX_PHASES

    return [Interval(numbers.Integral, 2, MAX_PHASES, closed="both"), None]


# -- names that several estimators or functions share ----------------------------------------
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
        "the pretrained source: a named weight source ('imagenet', 'vgg19_normalised'), a "
        "weights file, a fitted sktl network, or None for a seeded random start",
        "no_validation",
    ),
    "pooling": Term("how a feature map becomes a vector: avg, max, flatten or gram", _poolings),
    "freeze": Term(
        "what stays frozen: 'all', 'none', or the first k taps / layers",
        [StrOptions({"all", "none"}), Interval(numbers.Integral, 0, None, closed="left")],
    ),
    "input_size": Term(
        "resize images before the network: None keeps them, 'native' uses the backbone's "
        "training size, an int or (H, W) that size",
        [None, StrOptions({"native"}), Interval(numbers.Integral, 1, None, closed="left"), tuple,
         list],
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
    "cache": Term(
        "a FeatureCache shared by the estimators given it; None keeps nothing",
        _feature_cache,
        default=None,
    ),
    # dense stacks: sizes and dropouts, by the part of the network they belong to
    "image_units": Term("dense layer sizes of the image branch", _UNITS),
    "image_dropout": Term("dropout on the image features, before their dense layers", _RATE),
    "descriptor_units": Term("dense layer sizes of the descriptor branch", _UNITS),
    "descriptor_dropout": Term("dropout after each dense layer of the descriptor branch", _RATE),
    "head_units": Term("dense layer sizes between the features and the output layer", _UNITS),
    "head_dropout": Term("dropout after each dense layer of the head", _RATE),
    "dropout": Term(
        "dropout after each hidden layer of a network without branches or head (the "
        "architecture string sets its sizes)",
        _RATE,
    ),
    # training
    "lr": Term("the optimiser's step size", [Interval(numbers.Real, 0, None, closed="neither")]),
    "lr_decay": Term("Keras-style time decay of lr per batch (0: none)", _NON_NEGATIVE),
    "weight_decay": Term("L2 penalty of the optimiser", _NON_NEGATIVE),
    "batch_size": Term("samples per gradient step or forward pass", _positive_int()),
    "max_epochs": Term("passes over the training samples", _positive_int()),
    "early_stopping": Term(
        "hold out validation_fraction and stop when its loss stops improving", ["boolean"]
    ),
    "patience": Term("epochs without improvement before early stopping", _positive_int()),
    "validation_fraction": Term(
        "share of the training rows held out for validation", _FRACTION
    ),
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
    "random_state": Term(
        "seed of everything random in the call", ["random_state"], default=None
    ),
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
    "n_samples": Term("number of samples to generate or draw", _positive_int()),
    "size": Term("side of the images in pixels", _positive_int()),
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
    "volume": Term("a 3-D labelled volume"),
    "axis": Term("the axis of a volume along which slices or lines run"),
    "kwargs": Term("keyword arguments passed on to the descriptor function"),
    "name": Term("a registered backbone name"),
    "file": Term("a path or an open binary file"),
}

# -- names that one owner has ----------------------------------------------------------------
OWN: dict[str, dict[str, Term]] = {
    "TransferCNNRegressor": {
        "head_epochs": Term("epochs of the head alone before fine-tuning", _positive_int(0)),
        "fine_tune_lr_factor": Term(
            "lr multiplier of the fine-tuning phase",
            [Interval(numbers.Real, 0, None, closed="neither")],
        ),
    },
    "CNNRegressor": {
        "n_blocks": Term("convolution blocks", _positive_int()),
        "filters": Term("filters of the first block (doubled per block)", _positive_int()),
        "kernel_size": Term("convolution kernel side", _positive_int()),
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
        "stack_folds": Term("folds of the stack's out-of-fold predictions", _positive_int(2)),
    },
    "DeepMLPRegressor": {
        "architecture": Term("layer sizes, repeats and B/R/D flags, e.g. '1024x4D-1'", [str]),
        "mc_dropout": Term("Monte Carlo dropout passes at predict (0: off)", _positive_int(0)),
        "lr_schedule": Term("'decay' or 'onecycle'", [StrOptions({"decay", "onecycle"})]),
    },
    "TLRLRegressor": {
        "bridge": Term(
            "start of the new first layer: 'least_squares' onto the source's, or 'random'",
            [StrOptions({"least_squares", "random"})],
        ),
        "bridge_alpha": Term("ridge penalty of the least-squares bridge", _NON_NEGATIVE),
    },
    "HyperoptRegressor": {
        "preprocessing": Term("hyperopt-sklearn search space of preprocessing", [str]),
        "max_evals": Term("trials of the search", _positive_int()),
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
        "threshold": Term("binarise grey images at this value (None: as given)",
                          [numbers.Real, None]),
    },
    "ElementPropertyTransformer": {
        "properties": Term("element properties ('all' or names)",
                           [StrOptions({"all"}), list, tuple]),
        "stats": Term("statistics of each property over a formula", [list, tuple]),
        "scale": Term("scaling of the property table: 'minmax' or 'none'",
                      [StrOptions({"minmax", "none"})]),
        "include_fractions": Term("prepend the 86 element fractions", ["boolean"]),
    },
    "ElementFractionTransformer": {},
    "LayerActivationTransformer": {},
    "PretrainedCNNFeaturizer": {},
    "ImageRegressor": {},
    "DescriptorRegressor": {},
    "MicrostructureReconstructor": {
        "layers": Term("VGG19 taps of the Gram loss", ["array-like", str]),
        "layer_weights": Term("weight of each tap's Gram term (None: equal)",
                              ["array-like", None]),
        "vgg_pooling": Term("VGG19's pooling: 'max' or 'avg'", _vgg_poolings),
        "optimizer": Term("pixel optimiser: 'lbfgs' or 'adam'", [StrOptions({"lbfgs", "adam"})]),
        "max_iter": Term("iterations per sample and level", _positive_int()),
        "tol": Term("L-BFGS-B's gradient tolerance", _NON_NEGATIVE),
        "match_volume_fraction": Term(
            "anneal the decoded phases to the examples' volume fractions", ["boolean"]
        ),
        "s2_weight": Term("weight of the two-point correlation term", _NON_NEGATIVE),
        "lineal_path_weight": Term("weight of the lineal-path term", _NON_NEGATIVE),
        "n_levels": Term("coarse-to-fine levels", _levels),
        "n_phases": Term("expected number of phases (None: as many as labels)", _phases),
        "n_threads": Term(
            "torch and BLAS threads while fitting and sampling (None: leave the process alone)",
            [Interval(numbers.Integral, -1, None, closed="left"), None],
        ),
    },
}


# -- parameters of public functions and CLI commands that one owner has ---------------------
_X = Term("the input: images, or a table of packed images")
_SPEC = Term("an architecture string in ElemNet's notation, e.g. '1024x4D-512-1'")
_COLOURS = Term("the RGB colour of each phase (maximin_colours)")
_LABELS = Term("phase-index image(s)")
_FORMULAS_Y = {
    "formulas": Term("chemical formulas, one per row"),
    "y": Term("the targets"),
}
_QUIET = Term("no progress output (the commands are verbose by default)")
_SEED = Term("the command's random_state")
_OUT = Term("the folder the command writes its results to")
OWN.update(
    {
        "multimodal_input": {"features": Term("the descriptor table, one row per image")},
        "fraction_keys": {"fractions": Term("rows of element fractions (86 columns)")},
        "pretrain_source": {
            **_FORMULAS_Y,
            "path": Term("save the fitted source there (.skops or .joblib)"),
            "settings": Term("overrides of the source's DeepMLPRegressor settings"),
        },
        "gram": {"fmap": Term("feature maps (N, C, H, W)")},
        "pool_features": {"out": Term("a backbone's output (N, C, H, W) or (N, C)")},
        "fetch_crossprop": {"target": Term("the property: a name of the crossprop sets")},
        "get_cache_home": {"cache_home": Term("the folder (None: $SKTL_CACHE or ~/.cache/sktl)")},
        "load_li2018": {"material": Term("'carbonate', 'copolymer', 'composite' or None (all)")},
        "make_spinodal": {"parameter_ranges": Term("{name: (low, high)} of the swept parameters")},
        "make_stiffness": {
            "generator": Term("the morphology generator: blobs, spheres, voronoi or mixed"),
            "contrast": Term("Young's modulus of phase 1 over phase 0"),
            "volume_fraction": Term("range of the volume fraction of phase 1"),
        },
        "error_rate": {"reconstructed": Term("the reconstruction's descriptor curve")},
        "phase_error_rates": {"reconstructions": Term("reconstructed microstructures")},
        "slice_error_rates": {"examples": Term("the 2-D examples a volume was made from")},
        "is_lazy": {"X": _X},
        "read_image": {"path": Term("an image file")},
        "check_images": {
            "X": _X,
            "ensure_finite": Term("refuse NaN and infinite pixels"),
            "warn_alpha": Term("warn when an alpha channel is dropped"),
        },
        "resolve_image_shape": {"n_columns": Term("columns of the packed table")},
        "resolve_intensity_range": {"dtype": Term("the images' dtype")},
        "to_unit_tensor": {
            "channels": Term("channels of the tensor (grey images are repeated)"),
            "channels_last": Term("torch's channels_last memory format"),
        },
        "validate_images": {
            "estimator": Term("the estimator that validates (records image_shape_)"),
            "X": _X,
            "reset": Term("True in fit (record the shape), False after (check it)"),
            "ensure_finite": Term("refuse NaN and infinite pixels"),
            "record_n_features": Term(
                "set n_features_in_ from the images (False when X holds more than images)"
            ),
        },
        "dump": {"model": Term("the fitted estimator to save")},
        "load": {"trusted": Term("types to trust beyond sktl's TRUSTED_TYPES")},
        "new_figure": {"figsize": Term("(width, height) in inches")},
        "plot_loss_curves": {"histories": Term("{name: history_} of fitted estimators")},
        "plot_parity": {
            "y_true": Term("the true targets"),
            "predictions": Term("{name: predictions}"),
            "target_names": Term("one name per target"),
            "ncols": Term("panels per row"),
        },
        "decode": {"colours": _COLOURS},
        "encode": {"labels": _LABELS, "colours": _COLOURS},
        "match_volume_fractions": {
            "labels": _LABELS,
            "volume_fractions": Term("the target fraction of each phase"),
            "temperature": Term("starting temperature of the annealing"),
            "cooling": Term("temperature factor per step"),
            "step_fraction": Term("pixels swapped per step, as a fraction"),
        },
        "maximin_colours": {
            "n_phases": Term("number of phases"),
            "n_candidates": Term("random colours tried"),
        },
        "build_mlp": {
            "spec": _SPEC,
            "n_in": Term("input width"),
            "n_out": Term("output width"),
        },
        "parse_architecture": {"spec": _SPEC},
        # public helper classes (their constructors build records, not estimators)
        "FeatureCache": {
            "max_bytes": Term("memory budget of the cached rows, in bytes"),
            "directory": Term("also keep rows on disk there (None: memory only)"),
        },
        "Backbone": {
            "preprocessing": Term("the weight source's input normalisation"),
            "body": Term("the layers up to the tap, one child per tap"),
        },
        "BackboneSpec": {
            "family": Term("the architecture family (vgg, resnet, ...)"),
            "build_full": Term("builds the whole torchvision architecture"),
            "segments": Term("the modules of each named tap"),
            "native_size": Term("the input size the weights were trained at"),
            "default_layer": Term("the tap used when layer=None"),
            "imagenet": Term("how 'imagenet' weights are loaded"),
            "named_sources": Term("further named weight sources"),
            "min_size": Term("the smallest input the full network takes"),
            "description": Term("one line describing the entry"),
        },
        "WeightSource": {
            "preprocessing": Term("the input normalisation these weights expect"),
            "load": Term("returns the state dict"),
            "description": Term("one line describing the weights"),
            "taps": Term("the taps these weights cover (None: all)"),
        },
        "Preprocessing": {
            "mean": Term("per-channel mean subtracted"),
            "std": Term("per-channel standard deviation divided by"),
            "scale": Term("factor applied to [0, 1] pixels first (e.g. 255)"),
            "channel_order": Term("'RGB' or 'BGR'"),
        },
        "ImageFiles": {"paths": Term("image file paths, one image per row")},
        "LazyImages": {
            "source": Term("the array-like the images are read from, by rows"),
            "rows": Term("the rows of source this view holds"),
            "item_shape": Term("shape of one image"),
            "dropped_alpha": Term("an alpha channel was dropped on reading"),
        },
        # the CLI: flags are the estimators' parameter names, spelled with dashes
        "sktl demo": {"out": _OUT, "seed": _SEED},
        "sktl reconstruct": {
            "input": Term("the example image(s): 1, or 3 orthogonal planes for a volume"),
            "n": Term("number of samples"),
            "shape": Term("sample shape: H,W or D,H,W"),
            "out": _OUT,
            "anneal": Term("the reconstructor's match_volume_fraction"),
            "vtk": Term("also write volumes as legacy VTK"),
            "tiff": Term("also write volumes as TIFF stacks"),
            "seed": _SEED,
            "quiet": _QUIET,
            "preset": Term("the named settings (PRESETS) the other flags override"),
            **{
                k: OWN["MicrostructureReconstructor"][k]
                for k in ("max_iter", "layers", "vgg_pooling", "n_levels", "n_phases",
                          "s2_weight", "lineal_path_weight")
            },
        },
        "sktl pretrain": {
            "out": Term("where the fitted source is saved"),
            "keep_jarvis_test": Term("keep OQMD rows whose formulas are in JARVIS's test set"),
            "limit": Term("train on the first N rows only (a quick try)"),
            "seed": _SEED,
            "quiet": _QUIET,
        },
    }
)

#: Parameters renamed in sktl 1.1, per class (old -> new). Models saved before the rename load
#: with their values under the new names (:func:`upgrade_state`).
RENAMED: dict[str, dict[str, str]] = {
    "MultimodalRegressor": {"desc_units": "descriptor_units", "desc_dropout": "descriptor_dropout"},
    "ImageRegressor": {"units": "head_units", "dropout": "head_dropout"},
    "DescriptorRegressor": {"units": "descriptor_units", "dropout": "descriptor_dropout"},
    "CNNRegressor": {"dense_units": "head_units", "dropout": "head_dropout"},
    "TransferCNNRegressor": {"dropout": "head_dropout"},
    "HyperoptRegressor": {"valid_size": "validation_fraction"},
    "DeepMLPRegressor": {"init_from": "weights"},
    "LayerActivationTransformer": {"source": "weights"},
    "TLRLRegressor": {"source": "weights"},
}


def upgrade_state(owner: str, state: dict) -> dict:
    """A pickled estimator's ``__dict__`` from an older sktl, in today's parameter names.

    Renamed parameters keep their saved values; a feature cache of sktl 1.0 (``cache=True``,
    ``False`` or a folder: process-wide state that no longer exists) becomes None.
    """
    state = dict(state)
    for old, new in RENAMED.get(owner, {}).items():
        if old in state and new not in state:
            state[new] = state.pop(old)
    cache = state.get("cache")
    if cache is not None and (isinstance(cache, (bool, str)) or hasattr(cache, "__fspath__")):
        state["cache"] = None
    return state


def term(owner: str, name: str) -> Term:
    """The registered term of parameter ``name`` of ``owner`` (its own, else the shared one)."""
    own = OWN.get(owner, {})
    if name in own:
        return own[name]
    if name in SHARED:
        return SHARED[name]
    raise KeyError(
        f"{owner}: parameter {name!r} is not in sktl's vocabulary (sktl/utils/_vocabulary.py): "
        "use a registered name for a shared concept, or register it under its owner."
    )


def vocabulary(cls):
    """Class decorator: ``_parameter_constraints`` built from the registered terms.

    Every parameter of ``cls.__init__`` must be registered (see :func:`term`).
    """
    names = [n for n in inspect.signature(cls.__init__).parameters if n != "self"]
    cls._parameter_constraints = {
        n: term(cls.__name__, n).resolved_constraint() for n in names
    }
    return cls
