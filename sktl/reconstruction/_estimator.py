"""MicrostructureReconstructor: Gram-matrix reconstruction of Li et al. (2018)."""

from __future__ import annotations

import contextlib
import numbers
import os
import time

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from .._atomic import atomic_fit
from .._persistence import PortableStateMixin
from .._torch import resolve_device
from ..backbones import list_layers, receptive_field
from ._anneal import match_volume_fractions
from ._decode import decode
from ._descriptor_loss import LinealPathLoss, S2Loss, target_curves, weighted_objective
from ._encoding import encode, maximin_colours
from ._gram import GramLoss, tap_features, target_grams
from ._optimise import optimise_adam, optimise_lbfgs

MAX_PHASES = 5
# VGG19's conv and pool taps in order, from the backbone registry (no fc layers)
CONV_TAPS = [t for t in list_layers("vgg19") if not t.startswith("fc")]
DEFAULT_LAYERS = ("conv1_1", "pool1", "pool2", "pool3", "pool4")
# share of max_iter spent on the Gram loss plus descriptor terms, after a Gram-only start
DESCRIPTOR_SHARE = 0.8


def _device_of(module) -> torch.device:
    return next(iter(module.buffers()), next(module.parameters())).device


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
    values = np.unique(np.concatenate([np.unique(img) for img in images]))
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

    scipy's L-BFGS-B and the K-means decoding run on OpenBLAS, whose idle threads spin: two
    reconstructions side by side, each with one torch thread but unlimited BLAS pools, took
    3x longer per sample than one alone (128 px, 2 cores).
    """
    from threadpoolctl import threadpool_limits

    before = torch.get_num_threads()
    n = max(1, int((os.cpu_count() or 1) if n_threads < 1 else n_threads))
    torch.set_num_threads(n)
    try:
        with threadpool_limits(limits=n):
            yield
    finally:
        torch.set_num_threads(before)


class MicrostructureReconstructor(PortableStateMixin, BaseEstimator):
    """Reconstruct statistically equivalent microstructures from labelled examples.

    The method of Li et al. (2018, Sci. Rep. 8:13461): phases are encoded as maximin Latin
    hypercube colours, an image of random pixels is optimised so that its VGG19 Gram matrices
    at ``layers`` match those of the examples, then decoded with K-means and, optionally,
    annealed to the examples' volume fractions. No training: ``fit`` only computes target
    statistics.

    Parameters
    ----------
    layers : tuple of str, default=("conv1_1", "pool1", "pool2", "pool3", "pool4")
        VGG19 taps of the style loss. Images (and samples) must be at least the receptive
        field of the deepest one: 3, 6, 16, 52, 124 px for conv1_1, pool1, ..., pool4
        (computed by :func:`sktl.backbones.receptive_field`; the paper's Table 4 lists 3, 10,
        28, 72, 160 because it doubles the field at every pooling, see the user guide).
    layer_weights : array-like of shape (n_layers,) or None, default=None
        Weight of each tap in the loss; None gives equal weights 1/n_layers.
    optimizer : {"lbfgs", "adam"}, default="lbfgs"
        scipy L-BFGS-B with bounds [0, 255], or Adam with clamping.
    max_iter : int, default=300
        Iterations per sample.
    tol : float, default=1e-7
        Relative loss reduction below which optimisation stops early.
    lr : float, default=2.0
        Adam step size in pixel units (ignored by L-BFGS-B).
    match_volume_fraction : bool, default=True
        Anneal decoded samples to the examples' volume fractions.
    s2_weight : float, default=0.0
        Weight of a two-point-correlation term added to the Gram loss (0: the paper's
        method). The term compares the non-periodic S2(r) of soft phase indicators of the
        pixels with the examples' S2 up to half the sample size. The terms join after the
        first 20 % of ``max_iter`` (Gram loss alone); every term, the Gram loss included, is
        then divided by its value at that point, so 1.0 weighs a term like the Gram loss
        there. It reaches correlations beyond the receptive field of the deepest tap (see
        the user guide). With the terms, ``match_volume_fraction=False`` is recommended.
    lineal_path_weight : float, default=0.0
        Weight of the same kind of term for the lineal-path function L(r) (segments along x
        and y), which the Gram loss does not constrain: long straight runs of one phase.
    weights : str or path, default="vgg19_normalised"
        VGG19 weight source (see :func:`sktl.backbones.build_backbone`).
    n_phases : int or None, default=None
        Expected number of phases (None: as many as the distinct labels). For float grey-level
        images with more distinct values it quantises the image into ``n_phases`` levels.
    random_state : int, RandomState instance or None, default=None
        Seeds colours, initial images, K-means and annealing.
    device : str, default="cpu"
        Where VGG19 and the pixel optimisation run: "cpu", "cuda", "cuda:N" or "auto".
    verbose : int, default=0
        0: quiet; >= 1: a tqdm progress bar per sample.
    n_threads : int, default=1
        Torch intra-op threads, and threads of numpy's and scipy's BLAS, while fitting and
        sampling (restored afterwards); -1 for all cores. One image's convolutions gain
        nothing from more threads (a 128 px sample of 450 iterations took 70-73 s with 2
        threads on an idle 2-core machine, 52-54 s with 1), and when the cores are shared,
        oversubscribed threads slow each iteration down by an order of magnitude: to use
        several cores, draw samples in separate processes.

    Attributes
    ----------
    phases_ : ndarray of shape (n_phases,)
        Labels returned by :meth:`sample` (the input labels; 0..K-1 for float grey levels).
    phase_values_ : ndarray of shape (n_phases,)
        Input value of each phase.
    exemplar_labels_ : list of ndarray
        The examples in the labels of ``phases_`` (grey levels quantised as ``fit`` did).
    n_phases_ : int
        Number of phases.
    volume_fractions_ : ndarray of shape (n_phases,)
        Volume fraction of each phase over the examples (index order of ``phases_``).
    colours_ : ndarray of shape (n_phases, 3)
        Encoded RGB colour of each phase in [0, 255].
    target_grams_ : dict of str to ndarray
        Gram matrix per tap, averaged over the examples.
    target_s2_, target_lineal_path_ : ndarray of shape (n_phases, n_r)
        Non-periodic S2(r) and L(r) of each phase (index order of ``phases_``), r = 0 ..
        ``min(H, W) // 2`` of the smallest example, averaged over the examples.
    layers_ : list of str
        The VGG19 taps of the style loss, from ``layers``.
    layer_weights_ : dict of str to float
        Weight of each tap in the loss, from ``layer_weights``.
    min_size_ : int
        Smallest image side the layers allow.
    image_shape_ : tuple of int
        Shape of the first example: the default sample shape.
    n_features_in_ : int
        Width of the first example (the columns of a 2-D ``X``).
    feature_names_in_ : ndarray of str
        Column names, when ``X`` is a DataFrame with string column names.
    loss_history_ : list of ndarray
        Loss per iteration of each sample drawn by the last :meth:`sample` call (with a
        descriptor weight > 0, the Gram-only start followed by the combined objective, each
        term divided by its value where the terms join).
    sample_times_ : list of float
        Seconds per sample of the last :meth:`sample` call.

    Examples
    --------
    Two shallow taps and a few iterations keep this quick; the paper's five taps and
    ``max_iter=300`` reconstruct far better:

    >>> from sktl import MicrostructureReconstructor
    >>> from sktl.datasets import load_li2018
    >>> image = load_li2018("copolymer", size=64).image
    >>> rec = MicrostructureReconstructor(layers=("conv1_1", "pool1"), max_iter=20,
    ...                                   random_state=0).fit(image)
    >>> rec.n_phases_
    2
    >>> rec.sample(2, shape=32).shape
    (2, 32, 32)
    """

    _parameter_constraints: dict = {
        "layers": ["array-like", str],
        "layer_weights": ["array-like", None],
        "optimizer": [StrOptions({"lbfgs", "adam"})],
        "max_iter": [Interval(numbers.Integral, 1, None, closed="left")],
        "tol": [Interval(numbers.Real, 0, None, closed="left")],
        "lr": [Interval(numbers.Real, 0, None, closed="neither")],
        "match_volume_fraction": ["boolean"],
        "s2_weight": [Interval(numbers.Real, 0, None, closed="left")],
        "lineal_path_weight": [Interval(numbers.Real, 0, None, closed="left")],
        "weights": [str, os.PathLike, None],
        "n_phases": [Interval(numbers.Integral, 2, MAX_PHASES, closed="both"), None],
        "random_state": ["random_state"],
        "device": [str],
        "verbose": ["verbose"],
        "n_threads": [Interval(numbers.Integral, -1, None, closed="left")],
    }

    def __init__(
        self,
        *,
        layers=DEFAULT_LAYERS,
        layer_weights=None,
        optimizer="lbfgs",
        max_iter=300,
        tol=1e-7,
        lr=2.0,
        match_volume_fraction=True,
        s2_weight=0.0,
        lineal_path_weight=0.0,
        weights="vgg19_normalised",
        n_phases=None,
        random_state=None,
        device="cpu",
        verbose=0,
        n_threads=1,
    ):
        self.layers = layers
        self.layer_weights = layer_weights
        self.optimizer = optimizer
        self.max_iter = max_iter
        self.tol = tol
        self.lr = lr
        self.match_volume_fraction = match_volume_fraction
        self.s2_weight = s2_weight
        self.lineal_path_weight = lineal_path_weight
        self.weights = weights
        self.n_phases = n_phases
        self.random_state = random_state
        self.device = device
        self.verbose = verbose
        self.n_threads = n_threads

    def _check_layers(self):
        layers = [self.layers] if isinstance(self.layers, str) else list(self.layers)
        if not layers or len(set(layers)) != len(layers):
            raise ValueError(f"layers must be a non-empty list of distinct taps, got {layers}.")
        unknown = [t for t in layers if t not in CONV_TAPS]
        if unknown:
            raise ValueError(f"Unknown VGG19 conv/pool taps {unknown}; choose among {CONV_TAPS}.")
        if self.layer_weights is None:
            w = np.full(len(layers), 1.0 / len(layers))
        else:
            w = np.asarray(self.layer_weights, dtype=np.float64).ravel()
            if w.shape != (len(layers),) or np.any(w < 0) or not np.all(np.isfinite(w)):
                raise ValueError(
                    f"layer_weights must be {len(layers)} non-negative numbers, one per layer."
                )
        return layers, dict(zip(layers, w.tolist(), strict=True))

    def _features(self):
        device = resolve_device(self.device)
        key = (tuple(self.layers_), str(self.weights), str(device))
        cached = getattr(self, "_feature_cache", None)
        if cached is None or cached[0] != key:
            self._feature_cache = (key, tap_features(self.layers_, self.weights).to(device))
        return self._feature_cache[1]

    @atomic_fit
    def fit(self, X, y=None):
        """Learn the target statistics of one labelled image or a list of them.

        Parameters
        ----------
        X : array-like of shape (H, W), (n, H, W) or list of (H_i, W_i) arrays
            Integer phase labels (>= 0), or float images with few distinct values.
        y : None
            Ignored.

        Returns
        -------
        self : object
            The fitted reconstructor.
        """
        self._validate_params()
        with _thread_limits(self.n_threads):
            return self._fit(X)

    def _fit(self, X):
        layers, lw = self._check_layers()
        min_size = max(receptive_field("vgg19", t) for t in layers)
        if sp.issparse(X) or hasattr(X, "to_numpy") or (
            isinstance(X, np.ndarray) and X.ndim == 2
        ):
            # one image as a 2-D table: scikit-learn's validation and messages
            X = validate_data(self, X, dtype="numeric")
        idx, phases, values = _as_label_images(X, self.n_phases)
        self.n_features_in_ = int(idx[0].shape[1])
        for img in idx:
            if min(img.shape) < min_size:  # the table wording serves scikit-learn's checks
                raise ValueError(
                    f"Image of shape {img.shape} ({img.shape[0]} sample(s) x {img.shape[1]} "
                    "feature(s) as a 2-D table) is smaller than the receptive field of layers "
                    f"{layers}: the minimum size is {min_size} x {min_size} px (drop the deepest "
                    "layers or use a larger image)."
                )
        rng = check_random_state(self.random_state)
        self.layers_ = layers
        self.layer_weights_ = lw
        self.phases_ = phases
        self.phase_values_ = values
        self.exemplar_labels_ = [phases[img] for img in idx]
        self.n_phases_ = len(phases)
        counts = sum(np.bincount(img.ravel(), minlength=self.n_phases_) for img in idx)
        self.volume_fractions_ = counts / counts.sum()
        self.colours_ = maximin_colours(self.n_phases_, rng)
        self.min_size_ = int(min_size)
        self.image_shape_ = tuple(int(s) for s in idx[0].shape)
        self._seed = int(rng.randint(0, 2**31 - 1))
        model = self._features()
        self.target_grams_ = target_grams(model, [encode(img, self.colours_) for img in idx])
        self.target_s2_ = target_curves(idx, self.n_phases_, "s2")
        self.target_lineal_path_ = target_curves(idx, self.n_phases_, "lineal_path")
        return self

    def _sample_shape(self, shape):
        if shape is None:
            return self.image_shape_
        shape = (int(shape), int(shape)) if np.isscalar(shape) else tuple(int(s) for s in shape)
        if len(shape) != 2:
            raise ValueError(f"shape must be an int or (H, W), got {shape}.")
        if min(shape) < self.min_size_:
            raise ValueError(
                f"shape {shape} is smaller than the receptive field of layers {self.layers_}: "
                f"the minimum size is {self.min_size_} x {self.min_size_} px."
            )
        return shape

    def sample(self, n_samples=1, shape=None, random_state=None):
        """Draw reconstructions.

        Parameters
        ----------
        n_samples : int, default=1
            Number of reconstructions.
        shape : int, (int, int) or None, default=None
            Size (H, W) of the samples, an int for a square; None: the first example's shape.
        random_state : int, RandomState instance or None, default=None
            Seeds the samples. None uses the estimator's ``random_state``, or when that is
            None too a seed drawn in ``fit``, so repeated calls give the same samples.

        Returns
        -------
        samples : ndarray of shape (n_samples, H, W), int64
            Phase labels (values of ``phases_``).
        """
        check_is_fitted(self, "target_grams_")
        if not isinstance(n_samples, numbers.Integral) or n_samples < 1:
            raise ValueError(f"n_samples must be a positive integer, got {n_samples!r}.")
        shape = self._sample_shape(shape)
        if random_state is None:
            random_state = self._seed if self.random_state is None else self.random_state
        rng = check_random_state(random_state)
        with _thread_limits(self.n_threads):
            return self._sample(n_samples, shape, rng)

    def _sample(self, n_samples, shape, rng):
        model = self._features()
        loss = GramLoss(model, self.target_grams_, self.layer_weights_).to(_device_of(model))
        out = np.empty((n_samples, *shape), dtype=np.int64)
        self.loss_history_, self.sample_times_ = [], []
        for i in range(n_samples):
            seed = int(rng.randint(0, 2**31 - 1))
            t0 = time.perf_counter()
            labels, history = self._one_sample(loss, shape, seed, i, n_samples)
            out[i] = self.phases_[labels]
            self.loss_history_.append(history)
            self.sample_times_.append(time.perf_counter() - t0)
        return out

    def _descriptor_terms(self, shape):
        """[(weight, loss term)] of the descriptor terms in use (empty for the paper's loss)."""
        if self.s2_weight == 0 and self.lineal_path_weight == 0:
            return []
        if not hasattr(self, "target_s2_"):
            raise ValueError(
                "This model was fitted before s2_weight and lineal_path_weight existed and has "
                "no target curves: fit it again to use them."
            )
        terms = [
            (self.s2_weight, S2Loss, self.target_s2_),
            (self.lineal_path_weight, LinealPathLoss, self.target_lineal_path_),
        ]
        device = resolve_device(self.device)
        return [(w, term(self.colours_, t, shape).to(device)) for w, term, t in terms if w > 0]

    def _optimise(self, loss, x, n_iter, callback):
        device = resolve_device(self.device)
        if self.optimizer == "lbfgs":
            return optimise_lbfgs(loss, x, n_iter, self.tol, callback, device=device)
        return optimise_adam(loss, x, n_iter, self.tol, self.lr, callback, device=device)

    def _one_sample(self, loss, shape, seed, i, n):
        from tqdm.auto import tqdm

        rng = np.random.RandomState(seed)
        x = rng.uniform(0.0, 255.0, size=(1, 3, *shape)).astype(np.float32)
        terms = self._descriptor_terms(shape)
        # Descriptor terms join once the Gram loss alone has shaped the image: from random
        # pixels, a strong S2 term first drives them to in-between colours that decode badly.
        n_gram = self.max_iter - int(DESCRIPTOR_SHARE * self.max_iter) if terms else self.max_iter
        stages = [(loss, n_gram), (None, self.max_iter - n_gram)]
        histories = []
        with tqdm(
            total=self.max_iter, desc=f"sample {i + 1}/{n}", disable=not self.verbose, leave=False
        ) as bar:

            def _cb(value):
                bar.update(1)
                bar.set_postfix(loss=f"{value:.3g}", refresh=False)

            with torch.inference_mode(False):
                for stage_loss, n_iter in stages:
                    if n_iter == 0:
                        continue
                    if stage_loss is None:
                        stage_loss = weighted_objective(loss, terms, x, _device_of(loss))
                    x, history = self._optimise(stage_loss, x, n_iter, _cb)
                    histories.append(history)
        labels = decode(x[0].transpose(1, 2, 0), self.colours_, random_state=seed)
        if self.match_volume_fraction:
            labels = match_volume_fractions(labels, self.volume_fractions_, random_state=seed)
        return labels, np.concatenate(histories)
