"""Input validation of the reconstructor's examples and sample calls, and its thread limits."""

from __future__ import annotations

import contextlib
import numbers
import os

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.utils.validation import check_is_fitted, validate_data

MAX_PHASES = 5


def label_examples(estimator, X):
    """``fit``'s examples as phase-index images, with the phases and their input values.

    One image given as a 2-D table (a 2-D array, a DataFrame or a sparse matrix) first gets
    scikit-learn's validation and messages, which set ``n_features_in_`` (and
    ``feature_names_in_``) on ``estimator``; then :func:`_as_label_images` checks the images.
    """
    if sp.issparse(X) or hasattr(X, "to_numpy") or (isinstance(X, np.ndarray) and X.ndim == 2):
        X = validate_data(estimator, X, dtype="numeric")
    return _as_label_images(X, estimator.n_phases)


def _as_label_images(X, n_phases):
    """Validate one image or a list of images; return phase-index images and the phase values."""
    if isinstance(X, np.ndarray) and X.ndim == 2:
        images = [X]
    elif isinstance(X, np.ndarray) and X.ndim == 3:
        if X.shape[-1] in (3, 4) and min(X.shape[:2]) > 4:
            raise ValueError(
                f"Got an array of shape {X.shape}, which looks like a colour image; pass 2-D "
                "label images (H, W) or a stack (n, H, W)."
            )
        images = list(X)
    elif isinstance(X, (list, tuple)) and len(X) > 0:
        images = [np.asarray(x) for x in X]
    else:
        arr = np.asarray(X)
        raise ValueError(
            "fit expects a 2-D label image, a 3-D stack (n, H, W) or a non-empty list of 2-D "
            f"images; got an array of shape {arr.shape}."
        )
    for img in images:
        if img.ndim != 2:
            raise ValueError(f"Each image must be 2-D (H, W); got shape {img.shape}.")
        if img.size == 0:
            raise ValueError(f"Found an empty image of shape {img.shape}; pass a labelled image.")
        if img.dtype.kind not in "biuf":
            raise ValueError(f"Images must be numeric label arrays, got dtype {img.dtype}.")
        if img.dtype.kind == "f" and not np.all(np.isfinite(img)):
            raise ValueError("Input contains NaN or infinity; labels must be finite.")
    sets = [np.unique(img) for img in images]
    values = np.unique(np.concatenate(sets))
    if n_phases is None or len(values) <= n_phases:  # label images (not grey levels)
        for k, v in enumerate(sets):
            if len(v) != len(values):
                raise ValueError(
                    f"The examples have different phase sets: image {k} has labels "
                    f"{v.tolist()}, all images together {values.tolist()}. Every example must "
                    "show every phase: relabel the images or drop the one without the phase."
                )
    integral = all(img.dtype.kind in "biu" for img in images) or np.all(values == np.round(values))
    if integral and values.min() < 0:
        raise ValueError(f"Phase labels must be non-negative integers; found {values.min():g}.")
    if integral and values.max() > np.iinfo(np.int32).max:
        raise ValueError(
            f"Phase labels must be small non-negative integers (0, 1, 2, ...); found "
            f"{values.max():g}. Relabel the phases, or pass n_phases to quantise a grey image."
        )
    if n_phases is not None and len(values) > n_phases and any(i.dtype.kind == "f" for i in images):
        # a grey-level float image: quantise it into n_phases levels
        from sklearn.cluster import KMeans

        flat = np.concatenate([img.ravel() for img in images])[:, None].astype(np.float64)
        init = np.quantile(flat, (np.arange(n_phases) + 0.5) / n_phases)[:, None]
        km = KMeans(n_phases, init=init, n_init=1).fit(flat)
        order = np.argsort(km.cluster_centers_.ravel())
        rank = np.empty(n_phases, np.int64)
        rank[order] = np.arange(n_phases)
        idx = [
            rank[km.predict(img.reshape(-1, 1).astype(np.float64))].reshape(img.shape)
            for img in images
        ]
        return idx, np.arange(n_phases), np.sort(km.cluster_centers_.ravel())
    if len(values) > MAX_PHASES:
        hint = " (a float image: pass n_phases to quantise it)" if not integral else ""
        raise ValueError(
            f"MicrostructureReconstructor supports 2 to {MAX_PHASES} phases; the input has "
            f"{len(values)} distinct labels{hint}."
        )
    if len(values) < 2:
        raise ValueError("The input has a single phase; at least two phases are needed.")
    if n_phases is not None and len(values) != n_phases:
        raise ValueError(f"n_phases={n_phases} but the input has {len(values)} distinct labels.")
    idx = [np.searchsorted(values, img) for img in images]
    phases = values.astype(np.int64) if integral else np.arange(len(values))
    return idx, phases, values.astype(np.float64)


@contextlib.contextmanager
def _thread_limits(n_threads):
    """Torch intra-op threads and the BLAS / OpenMP pools of numpy and scipy set to n_threads.

    None changes nothing.

    scipy's L-BFGS-B and the K-means decoding run on OpenBLAS, whose idle threads spin: two
    reconstructions side by side, each with one torch thread but unlimited BLAS pools, took
    3x longer per sample than one alone (128 px, 2 cores).
    """
    from threadpoolctl import threadpool_limits

    if n_threads is None:
        yield
        return
    before = torch.get_num_threads()
    n = max(1, int((os.cpu_count() or 1) if n_threads < 1 else n_threads))
    torch.set_num_threads(n)
    try:
        with threadpool_limits(limits=n):
            yield
    finally:
        torch.set_num_threads(before)


def check_sample_call(estimator, n_samples, shape) -> tuple:
    """Raise unless the fitted ``estimator`` can draw ``n_samples`` samples; the sample shape.

    ``estimator`` must be fitted (by an sktl with presets), ``n_samples`` a positive integer and
    ``shape`` valid for :func:`check_sample_shape`, which gives the returned shape.
    """
    check_is_fitted(estimator, "target_grams_")
    if not hasattr(estimator, "settings_"):
        raise ValueError("This model was fitted by an older sktl without presets: fit it again.")
    if not isinstance(n_samples, numbers.Integral) or n_samples < 1:
        raise ValueError(f"n_samples must be a positive integer, got {n_samples!r}.")
    n_levels = estimator.settings_["n_levels"]
    shape = check_sample_shape(
        shape, estimator.image_shape_, estimator.min_size_, estimator.layers_, n_levels
    )
    if len(shape) == 3 and len(estimator.exemplar_labels_) == 3:
        check_plane_edges([img.shape for img in estimator.exemplar_labels_])
    return shape


def check_plane_edges(shapes) -> None:
    """Raise unless three planes normal to axes 0, 1 and 2, of shapes (H, W), (D, W) and
    (D, H), agree on the length of every edge two of them share."""
    edges = {  # axis: the two (plane, plane axis) that span it
        0: ((1, 0), (2, 0)),
        1: ((0, 0), (2, 1)),
        2: ((0, 1), (1, 1)),
    }
    for axis, ((p, i), (q, j)) in edges.items():
        if shapes[p][i] != shapes[q][j]:
            raise ValueError(
                "Three examples are the planes normal to axes 0, 1 and 2 of a volume, of shapes "
                f"(H, W), (D, W) and (D, H); these are {[tuple(s) for s in shapes]}, and planes "
                f"{p} and {q} disagree on the length of volume axis {axis}, which they share "
                f"({shapes[p][i]} and {shapes[q][j]} px). Crop the planes so that shared edges "
                "have one length, or check their order. "
                "Examples of an isotropic material, which serve every axis, must not be exactly "
                "three: pass one, two or more than three."
            )


def check_sample_shape(shape, default, min_size: int, layers, n_levels: int) -> tuple:
    """``sample``'s ``shape`` as (H, W) or (D, H, W); None gives ``default`` (the first example's)."""
    if shape is None:
        return default
    shape = (int(shape), int(shape)) if np.isscalar(shape) else tuple(int(s) for s in shape)
    if len(shape) not in (2, 3):
        raise ValueError(f"shape must be an int, (H, W) or a volume (D, H, W), got {shape}.")
    if min(shape) < min_size:
        raise ValueError(
            f"shape {shape} is smaller than the receptive field of layers {layers} at "
            f"n_levels={n_levels}: the minimum size is {min_size} px along every axis (drop the "
            "deepest layers, lower n_levels or ask for a larger sample)."
        )
    return shape


def check_example_sizes(images, min_size: int, layers, n_levels: int) -> None:
    """Raise if a phase-index example is smaller than ``min_size`` along an axis."""
    for img in images:
        if min(img.shape) < min_size:  # the table wording serves scikit-learn's checks
            raise ValueError(
                f"Image of shape {img.shape} ({img.shape[0]} sample(s) x {img.shape[1]} "
                "feature(s) as a 2-D table) is smaller than the receptive field of layers "
                f"{layers} at n_levels={n_levels}: the minimum size is {min_size} x "
                f"{min_size} px (drop the deepest layers, lower n_levels or use a larger "
                "image)."
            )
