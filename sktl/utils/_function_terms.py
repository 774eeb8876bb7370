"""The parameters of public functions, helper classes and CLI commands that one owner has."""

from __future__ import annotations

from ._estimator_terms import ESTIMATOR_TERMS
from ._term import Term

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
_ENSURE_FINITE = Term("refuse NaN and infinite pixels")

FUNCTION_TERMS: dict[str, dict[str, Term]] = {
    "multimodal_input": {"features": Term("the descriptor table, one row per image")},
    "fraction_keys": {"fractions": Term("rows of element fractions (86 columns)")},
    "pretrain_source": {
        **_FORMULAS_Y,
        "path": Term("save the source there: a stem (.npz + .json) or a .skops file"),
        "settings": Term("overrides of the source's DeepMLPRegressor settings"),
    },
    "load_source": {"source": Term("a shipped source's name ('oqmd') or a source's files")},
    "write_source": {
        "network": Term("a fitted DeepMLPRegressor, a Pipeline ending with one, or its module"),
        "stem": Term("the path of the source's files without .npz / .json"),
        "metadata": Term("more JSON fields of the source (training, scores, data credit)"),
    },
    "predict_source": {
        "source": Term("a shipped source's name ('oqmd') or a source's files"),
        "formulas": _FORMULAS_Y["formulas"],
    },
    "write_source_check": {
        **_FORMULAS_Y,
        "source": Term("a shipped source's name ('oqmd') or a source's files"),
        "path": Term("the check CSV to write (formula, target, expected)"),
        "n_rows": Term("how many rows of the test split the table holds"),
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
    "slice_error_rates": {"examples": Term("the 2-D examples a volume was made from")},
    "is_lazy": {"X": _X},
    "read_image": {"path": Term("an image file")},
    "check_images": {
        "X": _X,
        "ensure_finite": _ENSURE_FINITE,
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
        "ensure_finite": _ENSURE_FINITE,
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
        "intervals": Term("{name: y_pis at one level}, drawn as bars"),
    },
    "plot_calibration": {
        "y_true": Term("the true targets"),
        "y_pis": Term("intervals as predict_interval returns them, or {name: y_pis}"),
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
    "UnreadableFileError": {
        "path": Term("the file that could not be read"),
        "problem": Term("what is wrong with the file"),
        "expected": Term("what the file should hold"),
        "fix": Term("what the user can do about it"),
    },
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
            k: ESTIMATOR_TERMS["MicrostructureReconstructor"][k]
            for k in (
                "max_iter",
                "layers",
                "vgg_pooling",
                "n_levels",
                "n_phases",
                "n_slices",
                "s2_weight",
                "lineal_path_weight",
                "directional_s2",
            )
        },
    },
    "sktl pretrain": {
        "out": Term("the stem of the source's files (STEM.npz, STEM.json, STEM_check.csv)"),
        "keep_jarvis_test": Term("keep OQMD rows whose formulas are in JARVIS's test set"),
        "limit": Term("train on the first N rows only (a quick try)"),
        "seed": _SEED,
        "quiet": _QUIET,
    },
    "sktl featurize": {
        "input": Term("image files, folders or glob patterns; one table row per file"),
        "out": Term("the table file: .csv or .parquet"),
        "seed": _SEED,
        "chunk_size": Term("files per saved chunk, the unit a rerun resumes from"),
        "recursive": Term("also take the image files of subfolders"),
        "quiet": _QUIET,
    },
}
