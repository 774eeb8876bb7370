"""MicrostructureReconstructor: Gram-matrix reconstruction of Li et al. (2018)."""

from __future__ import annotations

import time

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import validate_parameter_constraints

from .._nn._torch import resolve_device
from ..backbones import receptive_field
from ..persistence._portable import PortableStateMixin
from ..utils._atomic import atomic_fit
from ..utils._docstrings import fill_doc
from ..utils._vocabulary import vocabulary
from ._anisotropy import direction_weights
from ._anneal import match_volume_fractions, target_counts
from ._clock import SampleClock, iteration_cost, warn_out_of_time
from ._decode import decode
from ._encoding import maximin_colours
from ._gram import tap_features
from ._inputs import _thread_limits, check_example_sizes, check_sample_call, label_examples
from ._level_loss import LINEAL_PATH_SHARE, SliceDraw, level_losses
from ._multigrid import level_shapes, optimise_levels, per_level
from ._optimise import optimise_adam, optimise_lbfgs, optimise_lbfgs_blocks
from ._presets import PAPER_LAYERS, PRESET_KEYS, fill_from_saved_preset
from ._settings_checks import (
    check_level_iterations,
    check_level_slices,
    check_loss_weights,
    warn_inactive_lr,
)
from ._taps import check_layers, min_image_size
from ._targets import level_targets

DEFAULT_LAYERS = PAPER_LAYERS  # the paper's taps (kept for older imports)
MAX_LEVELS = 4


@fill_doc(
    lr="Adam step size in pixel units. L-BFGS-B chooses its own steps: with "
    '``optimizer="lbfgs"`` a value other than the default warns that it has no effect.',
    weights=("str or path", "VGG19 weight source (see :func:`sktl.backbones.build_backbone`)."),
    random_state="Seeds ``fit``: the phase colours and the tie-breaks of the coarse levels' "
    "downsampling. Samples are seeded by the ``random_state`` of :meth:`sample`.",
    device='Where VGG19 and the pixel optimisation run: "cpu", "cuda", "cuda:N" or "auto".',
    verbose="0: quiet; >= 1: a tqdm progress bar per sample and, when a call has more than "
    "one sample or level, a line on stderr per finished level with the time so far and an "
    "estimate of the time left.",
    time_budget="Seconds of optimisation each :meth:`sample` call may take (``fit`` only "
    "computes target statistics). The clock is read between evaluations of the loss (a "
    "level's set-up, one or two forward passes, can run a little past it); when it has run "
    "out, the sample being optimised keeps its best pixels so far (lowest loss), its "
    "remaining levels are skipped (the pixels are upsampled to the sample shape), and it is "
    "decoded (and annealed with ``match_volume_fraction``) as usual. Samples not yet started "
    "get their phases at the volume fractions in random places (uncorrelated noise, at no "
    "cost). So ``sample`` still returns ``n_samples`` samples of the requested shape and "
    "phases, but the unfinished ones are reconstructed only as far as they got, or not at "
    "all. A warning says where it stopped, and ``time_budget_exhausted_`` and "
    "``unfinished_samples_`` record it. None: no limit.",
)
@vocabulary
class MicrostructureReconstructor(PortableStateMixin, BaseEstimator):
    """Reconstruct statistically equivalent microstructures, 2-D or 3-D, from labelled examples.

    The method of Li et al. (2018, Sci. Rep. 8:13461): phases are encoded as maximin Latin
    hypercube colours, an image of random pixels is optimised so that its VGG19 Gram matrices
    at ``layers`` match those of the examples, then decoded with K-means and, optionally,
    annealed to the examples' volume fractions. sktl adds descriptor terms (S2 and lineal
    path) to the loss, coarse-to-fine optimisation and 3-D volumes from 2-D examples. No
    training: ``fit`` only computes target statistics.

    A KeyboardInterrupt (Ctrl-C) in ``fit`` or ``sample`` is raised again and leaves the
    estimator as it was before the call (the rules are in :mod:`sktl.base`): ``sample``
    returns all its samples or none.

    The defaults are sktl's best method on the generalisation benchmark. Other methods are
    constant dicts of settings in :data:`sktl.reconstruction.PRESETS` (the table is in the user
    guide): ``MicrostructureReconstructor(**PRESETS["li2018"])`` is the paper's method (Gram
    loss at conv1_1 and pool1..pool4, 300 L-BFGS-B iterations, annealing),
    ``PRESETS["sktl_volume"]`` the defaults with three levels, fewer iterations and the Gram
    loss on slice subsets (``n_slices=(8, 8, 2)``, one count per level), for 3-D volumes;
    ``{**PRESETS["li2018"], "max_iter": 500}`` overrides one of them (changing ``n_levels``
    of ``sktl_volume`` needs as many ``n_slices`` counts, or one int).

    Parameters
    ----------
    layers : str or tuple of str, default=("conv1_1", "pool1", "pool2")
        VGG19 taps of the style loss. Images (and samples, along every axis) must be at least
        the receptive field of the deepest one, times ``2 ** (n_levels - 1)``: 3, 6, 16, 52,
        124 px for conv1_1, pool1, ..., pool4 (computed by
        :func:`sktl.backbones.receptive_field`; the paper's Table 4 lists 3, 10, 28, 72, 160
        because it doubles the field at every pooling, see the user guide).
    layer_weights : array-like of shape (n_layers,) or None, default=None
        Weight of each tap in the loss; None gives equal weights 1/n_layers. All zero leaves
        the descriptor terms alone (there is then no Gram-only start); ``fit`` refuses a loss
        whose every weight, these and the descriptor weights, is zero, and warns about a tap of
        weight zero beside others, which costs time and image size but adds nothing.
    vgg_pooling : {"max", "avg"}, default="max"
        VGG19's pooling layers: its own max pooling, or average pooling as in Gatys et al.'s
        texture synthesis. Weights and receptive fields are the same.
    padding : {"zeros", "circular"}, default="circular"
        Padding of VGG19's convolutions. "circular" treats the examples and samples as
        periodic (no border): right for periodic structures (simulations, PyMKS), wrong for
        a crop of a micrograph, whose opposite edges do not join.
    optimizer : {"lbfgs", "adam"}, default="lbfgs"
        scipy L-BFGS-B with bounds [0, 255], or Adam with clamping; ``lr`` acts only with
        Adam.
    max_iter : int or tuple of int, default=120
        Iterations per sample and level, or one count per level, coarsest first (as many
        as ``n_levels``): the finest level costs the most, so ``(60, 60, 30)`` with three
        levels spends about a third less time than 60 at every level.
    tol : float, default=1e-7
        Relative loss reduction below which optimisation stops early.
    %(lr)s
    n_slices : int, tuple of int or None, default=None
        3-D samples only: the Gram loss scores ``n_slices`` slices per axis, drawn at random
        (from the sample's seed), or one count per level, coarsest first (as many as
        ``n_levels``; 0 leaves the Gram loss out of that level, never the coarsest). The
        lineal path scores four times the largest count (it costs a fraction of VGG19 per
        slice); the S2 terms, computed by FFT, always see every slice. The VGG19 part of an
        evaluation, most of its cost, then costs about ``n_slices / side`` of one on every
        slice. L-BFGS-B, which needs a fixed loss to build its curvature estimate, keeps a
        draw for 10 iterations and then restarts on a new one (``tol`` then ends a block
        early, not the level); Adam draws anew at every step and stops early when the mean
        loss of its last 20 steps is less than ``tol`` below that of the 20 before. A level
        with at most that many slices along every axis scores them all. A 0 needs
        ``s2_weight`` or ``lineal_path_weight`` > 0. None: every slice.
        ``PRESETS["sktl_volume"]`` sets ``(8, 8, 2)``: the finest level, which costs the
        most, refines on 2 slices per axis (see the user guide for time and error).
    match_volume_fraction : bool, default=False
        Anneal decoded samples to the examples' volume fractions.
    s2_weight : float, default=1000.0
        Weight of a two-point-correlation term added to the Gram loss (0: the paper's
        method). The term compares the S2(r) of soft phase indicators of the pixels with the
        examples' S2 up to half the sample size, by both estimators (periodic and
        non-periodic), half the weight each. The terms join after the
        first 20 % of ``max_iter`` (Gram loss alone); every term, the Gram loss included, is
        then divided by its value at that point, so 1.0 weighs a term like the Gram loss
        there. It reaches correlations beyond the receptive field of the deepest tap (see
        the user guide). With the terms, ``match_volume_fraction=False`` is recommended.
    lineal_path_weight : float, default=30.0
        Weight of the same kind of term for the lineal-path function L(r) (segments along x
        and y), which the Gram loss does not constrain: long straight runs of one phase.
    directional_s2 : bool or "auto", default="auto"
        Match the non-periodic S2 at every lag (dy, dx), direction included, up to half the
        smaller of the sample and example sides, in place of its average over directions
        (the periodic S2 stays averaged). Orientation and long-range order (lamellae at an
        angle, elongated inclusions) live in the directions, which the average loses; but
        on an isotropic material the map of one crop has random angular detail that
        matching it copies. "auto" weighs the map's directional part ring by ring (lags of
        length r) by a held-out estimate at ``fit``: how well one quadrant's directional
        part predicts another's, over the quadrants of the examples at least 32 px a side
        (``s2_direction_weights_``; too small examples: averaged), at the lags beyond the
        deepest tap's receptive field (16 px for pool2), where the Gram loss does not see
        directions. True: the whole map; False: averaged. Same cost per iteration.
        Volumes: "auto" averages (one image's directions do not say how the slices along
        the other axes look), and three planes are matched along each axis.
    n_levels : int, default=2
        Coarse-to-fine levels (1 to 4). With L levels a sample is first reconstructed at
        ``1 / 2 ** (L - 1)`` of its size against the examples downsampled as much (2x2 block
        majority), then upsampled and refined at every finer level, ``max_iter`` iterations
        each (or the level's count): the coarse levels cost little and settle the large
        scales.
    %(weights)s
    n_phases : int or None, default=None
        Expected number of phases (None: as many as the distinct labels). For float grey-level
        images with more distinct values it quantises the image into ``n_phases`` levels.
    %(random_state)s
    %(device)s
    %(verbose)s
    %(time_budget)s
    n_threads : int or None, default=None
        None leaves the process's thread settings alone. An int sets torch's intra-op threads
        and the threads of numpy's and scipy's BLAS for the duration of ``fit`` and
        ``sample`` (restored afterwards; -1 for all cores). These settings are process-wide,
        so fits in several threads of one process interfere: use processes. One image's
        convolutions gain little from more threads, and oversubscribed cores slow every
        iteration down: ``n_threads=1`` with one process per core is the fastest way to draw
        many samples.

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
    settings_ : dict
        The settings a preset covers, as this fit used them: ``layers`` (a tuple),
        ``vgg_pooling``, ``padding``, ``max_iter``, ``s2_weight``, ``lineal_path_weight``,
        ``directional_s2``, ``match_volume_fraction``, ``n_levels`` and ``n_slices``;
        :meth:`sample` uses these, so ``set_params`` takes effect at the next ``fit``.
    s2_direction_weights_ : ndarray of shape (n_r,) or None
        With ``directional_s2="auto"``: the weight in [0, 1] of the S2 map's directional part
        at each ring r = 0 .. ``min(H, W) // 2`` of the smallest example, the least-squares
        factor with which one quadrant's directional part predicts another's (rings beyond
        the quadrants' reach hold the mean of the outer quarter). None otherwise, or when the
        examples are too small to split.
    directional_s2_ : bool
        Whether 2-D samples match S2's directions (at the finest level): ``directional_s2``
        as this fit resolved it ("auto": some ring beyond the deepest tap's receptive field
        has a weight above 0).
    level_targets_ : list of dict
        Per level (0: the examples, k: their 2^k-fold downsampling), the averaged
        ``"grams"``, ``"s2"``, ``"s2_periodic"`` and ``"lineal_path"`` targets, and unless
        ``directional_s2=False`` the S2 map ``"s2_map"`` (n_phases, 2R + 1, 2R + 1) at lags
        up to R = half the smallest example's side.
    level_targets_per_example_ : list of list of dict
        With three examples, the same per example (the planes of a volume), with
        ``"s2_axes"`` and ``"lineal_path_axes"`` besides (non-periodic, along each image axis:
        shape (n_phases, 2, n_r)), which a volume's slices are matched to; else empty.
    layers_ : list of str
        The VGG19 taps of the style loss.
    layer_weights_ : dict of str to float
        Weight of each tap in the loss, from ``layer_weights``.
    min_size_ : int
        Smallest image side the layers allow.
    image_shape_ : tuple of int
        Shape of the first example: the default sample shape.
    n_features_in_ : int
        Width of the first example (the columns of a 2-D ``X``).
    %(feature_names_in_)s
    loss_history_ : list of ndarray
        Loss per iteration of each sample drawn by the last :meth:`sample` call (with a
        descriptor weight > 0, the Gram-only start followed by the combined objective, each
        term divided by its value where the terms join). A sample cut short by
        ``time_budget`` ends with the loss of the pixels it kept; one never started has an
        empty history.
    sample_times_ : list of float
        Seconds per sample of the last :meth:`sample` call.
    time_budget_exhausted_ : bool
        True when ``time_budget`` cut a sample of the last :meth:`sample` call short.
    unfinished_samples_ : dict of int to str
        The samples of the last :meth:`sample` call that ``time_budget`` cut short, by index
        into the returned array: where each stopped, ``"level k/L, iteration i/max_iter"``
        (levels counted from the coarsest; iteration 0: that level never started), or
        ``"not started"`` (phases at the volume fractions in random places: noise). Empty when the
        budget did not run out.

    Examples
    --------
    Two shallow taps and a few iterations keep this quick; the defaults reconstruct far
    better:

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

    def __init__(
        self,
        *,
        layers=("conv1_1", "pool1", "pool2"),
        layer_weights=None,
        vgg_pooling="max",
        padding="circular",
        optimizer="lbfgs",
        max_iter=120,
        tol=1e-7,
        lr=2.0,
        n_slices=None,
        match_volume_fraction=False,
        s2_weight=1000.0,
        lineal_path_weight=30.0,
        directional_s2="auto",
        n_levels=2,
        weights="vgg19_normalised",
        n_phases=None,
        random_state=None,
        device="cpu",
        verbose=0,
        time_budget=None,
        n_threads=None,
    ):
        self.layers = layers
        self.layer_weights = layer_weights
        self.vgg_pooling = vgg_pooling
        self.padding = padding
        self.optimizer = optimizer
        self.max_iter = max_iter
        self.tol = tol
        self.lr = lr
        self.n_slices = n_slices
        self.match_volume_fraction = match_volume_fraction
        self.s2_weight = s2_weight
        self.lineal_path_weight = lineal_path_weight
        self.directional_s2 = directional_s2
        self.n_levels = n_levels
        self.weights = weights
        self.n_phases = n_phases
        self.random_state = random_state
        self.device = device
        self.verbose = verbose
        self.time_budget = time_budget
        self.n_threads = n_threads

    def __setstate__(self, state):
        super().__setstate__(fill_from_saved_preset(state))

    def _features(self):
        device = resolve_device(self.device)
        pooling, padding = self.settings_["vgg_pooling"], self.settings_["padding"]
        key = (tuple(self.layers_), str(self.weights), pooling, padding, str(device))
        cached = getattr(self, "_feature_cache", None)
        if cached is None or cached[0] != key:
            model = tap_features(self.layers_, self.weights, pooling, padding)
            self._feature_cache = (key, model.to(device))
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
        warn_inactive_lr(self)
        with _thread_limits(self.n_threads):
            return self._fit(X)

    def _fit(self, X):
        settings = {k: getattr(self, k) for k in PRESET_KEYS}
        layers, lw = check_layers(settings["layers"], self.layer_weights)
        check_loss_weights(lw, settings["s2_weight"], settings["lineal_path_weight"])
        settings["layers"] = tuple(layers)
        n_levels = settings["n_levels"]
        settings["max_iter"] = check_level_iterations(settings["max_iter"], n_levels)
        settings["n_slices"] = check_level_slices(
            settings["n_slices"], n_levels, settings["s2_weight"], settings["lineal_path_weight"]
        )
        min_size = min_image_size(layers, n_levels)
        idx, phases, values = label_examples(self, X)
        self.n_features_in_ = int(idx[0].shape[1])
        check_example_sizes(idx, min_size, layers, n_levels)
        self.s2_direction_weights_ = (
            direction_weights(idx, len(phases), min(min(img.shape) for img in idx) // 2)
            if settings["directional_s2"] == "auto"
            else None
        )
        rng = check_random_state(self.random_state)
        self.settings_ = settings
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
        self.level_targets_, self.level_targets_per_example_ = level_targets(
            self._features(), idx, self.colours_, self.n_phases_, n_levels, rng,
            s2_map=settings["directional_s2"] is not False,
        )
        self.directional_s2_ = self._s2_ring_weights(0) is not None
        return self

    # the examples' own targets are level 0's: views, so a saved model holds them once
    @property
    def target_grams_(self):
        return self.level_targets_[0]["grams"]

    @property
    def target_s2_(self):
        return self.level_targets_[0]["s2"]

    @property
    def target_lineal_path_(self):
        return self.level_targets_[0]["lineal_path"]

    def sample(self, n_samples=1, shape=None, random_state=None):
        """Draw reconstructions: 2-D images, or 3-D volumes from the 2-D examples.

        Parameters
        ----------
        n_samples : int, default=1
            Number of reconstructions.
        shape : int, (int, int), (int, int, int) or None, default=None
            Size (H, W) of the samples, an int for a square; None: the first example's shape.
            A volume (D, H, W) gives 3-D samples whose slices along every axis match the
            examples: with three examples, example k is the plane normal to axis k (of shape
            (H, W), (D, W) and (D, H); planes whose shared edges differ in length are an
            error); otherwise all examples serve every axis (isotropic).
        random_state : int, RandomState instance or None, default=None
            Seeds the samples, as in :meth:`sklearn.neighbors.KernelDensity.sample`: an int
            gives the same samples on every call, None draws fresh ones from numpy's global
            random state. The estimator's own ``random_state`` seeds ``fit`` only.

        Returns
        -------
        samples : ndarray of shape (n_samples, H, W) or (n_samples, D, H, W), int64
            Phase labels (values of ``phases_``). When ``time_budget`` runs out, still
            ``n_samples`` of them; ``unfinished_samples_`` says which are cut short.
        """
        shape = check_sample_call(self, n_samples, shape)
        # checked here too: set_params after fit skips fit's validation
        validate_parameter_constraints(
            {"time_budget": self._parameter_constraints["time_budget"]},
            {"time_budget": self.time_budget},
            caller_name=type(self).__name__,
        )
        rng = check_random_state(random_state)
        with _thread_limits(self.n_threads):
            return self._sample(n_samples, shape, rng)

    def _sample(self, n_samples, shape, rng):
        out = np.empty((n_samples, *shape), dtype=np.int64)
        histories, times, unfinished = [], [], {}
        shapes = level_shapes(shape, self.settings_["n_levels"])
        iterations = per_level(self.settings_["max_iter"], len(shapes))
        costs = [iteration_cost(sh, self._slice_counts(len(shapes) - 1 - k)[0])
                 for k, sh in enumerate(shapes)]
        clock = SampleClock(
            self.time_budget, n_samples, shapes, verbose=self.verbose, iterations=iterations,
            costs=costs,
        )
        for i in range(n_samples):
            seed = int(rng.randint(0, 2**31 - 1))  # drawn for every sample: a budget that
            t0 = time.perf_counter()  # does not run out changes nothing
            labels, history, cut = self._one_sample(shape, seed, i, n_samples, clock)
            out[i] = self.phases_[labels]
            histories.append(history)
            times.append(time.perf_counter() - t0)
            if cut is not None:
                unfinished[i] = cut
        if unfinished:
            warn_out_of_time(self.time_budget, clock.elapsed(), unfinished, n_samples)
        # only now: an interrupted call leaves the last call's diagnostics
        self.loss_history_, self.sample_times_ = histories, times
        self.time_budget_exhausted_, self.unfinished_samples_ = bool(unfinished), unfinished
        return out

    def _level_losses(self, level, shape, draw=None):
        """The Gram loss and the [(weight, term)] descriptor terms of one level (0: finest);
        a volume's slice subsets come from ``draw`` (a SliceDraw; None: every slice)."""
        targets = self.level_targets_[level] if len(shape) == 2 else self._axis_targets(level)
        weights = self.settings_["s2_weight"], self.settings_["lineal_path_weight"]
        model, colours = self._features(), self.colours_
        counts = self._slice_counts(level)
        kw = {
            "draw": _level_draw(draw, shape, counts),
            "axial": self._planes(shape),
            "s2_ring_weights": self._s2_ring_weights(level, volume=len(shape) == 3),
            "slice_counts": counts,
        }
        return level_losses(model, targets, shape, colours, self.layer_weights_, *weights, **kw)

    def _slice_counts(self, level):
        """Slices per axis the Gram loss and the lineal path score at ``level`` (0: finest)
        of a volume; (None, None): every slice."""
        n_slices = self.settings_.get("n_slices")  # absent from models fitted before it
        if not n_slices:
            return None, None
        counts = per_level(n_slices, self.settings_["n_levels"])
        lineal = LINEAL_PATH_SHARE * max(counts) if self.settings_["lineal_path_weight"] else None
        return counts[len(counts) - 1 - level], lineal

    def _s2_ring_weights(self, level, volume=False):
        """Level ``level``'s weight of each ring's directional S2 (ring r there spans r *
        2^level px of the examples), or None: S2 averaged over directions ("auto" for a
        volume too: the examples' directions do not say how the volume's slices along the
        other axes look)."""
        setting = self.settings_.get("directional_s2", False)  # absent: fitted before it
        if not isinstance(setting, str) and bool(setting):  # True (or numpy's)
            return np.ones(self.level_targets_[level]["s2_map"].shape[1])
        auto = setting == "auto" and not volume
        weights = getattr(self, "s2_direction_weights_", None) if auto else None
        if weights is None:
            return None
        weights = weights[:: 2**level].copy()
        # within the deepest tap's receptive field (in the level's pixels) the Gram loss
        # already sees directions: weighting them there too raised the design disks' errors
        # 1.4-1.7x
        taps = [t for t, w in self.layer_weights_.items() if w > 0]
        reach = max((receptive_field("vgg19", t) for t in taps), default=0)
        weights[:reach] = 0.0
        return weights if weights.any() else None  # nothing directional: the averaged term

    def _planes(self, shape):
        """Whether a volume is scored against three planes, direction by direction (models
        saved before sktl kept per-axis targets score the curves averaged over directions)."""
        per_example = self.level_targets_per_example_
        return len(shape) == 3 and len(per_example) == 3 and "s2_axes" in per_example[0][0]

    def _axis_targets(self, level):
        """Targets of the slices normal to each axis: one example per axis when there are
        three, else the average over the examples for all three."""
        per_example = self.level_targets_per_example_
        if len(per_example) == 3:
            return [per_example[a][level] for a in range(3)]
        return [self.level_targets_[level]] * 3

    def _optimise(self, loss, x, n_iter, callback, out_of_time=None, draw=None):
        """Optimise pixels ``x``; with ``draw`` (a volume's slice subsets), L-BFGS-B restarts
        on a new draw every SLICE_BLOCK iterations and Adam draws anew at every step."""
        device = resolve_device(self.device)
        kw = {"device": device, "out_of_time": out_of_time}
        if self.optimizer == "adam":
            if draw is not None:
                loss = draw.redrawing(loss)
            stochastic = draw is not None
            return optimise_adam(
                loss, x, n_iter, self.tol, self.lr, callback, stochastic=stochastic, **kw
            )
        if draw is None:
            return optimise_lbfgs(loss, x, n_iter, self.tol, callback, **kw)
        return optimise_lbfgs_blocks(loss, x, n_iter, self.tol, callback, draw, **kw)

    def _one_sample(self, shape, seed, i, n, clock):
        """Sample ``i`` of ``n``: its phase indices, loss history and where ``clock`` cut it
        (None: it finished)."""
        s = self.settings_
        rng = np.random.RandomState(seed)
        shapes = level_shapes(shape, s["n_levels"])
        x = rng.uniform(0.0, 255.0, size=(1, 3, *shapes[0])).astype(np.float32)
        # its own stream: the other draws of a sample are the same with or without it
        draw = SliceDraw(np.random.RandomState([seed, 1])) if s.get("n_slices") else None
        x, history, cut = optimise_levels(
            x,
            shapes,
            lambda level, level_shape: self._level_losses(level, level_shape, draw),
            lambda loss, x, n_iter, callback, check, level: self._optimise(
                loss, x, n_iter, callback, check,
                draw=_level_draw(draw, x.shape[2:], self._slice_counts(level)),
            ),
            s["max_iter"],
            desc=f"sample {i + 1}/{n}",
            verbose=self.verbose,
            gram_start=sum(self.layer_weights_.values()) > 0,
            out_of_time=clock if self.time_budget is not None else None,
            on_level=lambda k: clock.level_done(i, k),
        )
        if cut == "not started":  # no pixels worth decoding: phases at the volume fractions,
            # in random places, so the call ends at once (decoding and annealing noise would not)
            counts = target_counts(self.volume_fractions_, int(np.prod(shape)))
            labels = rng.permutation(np.repeat(np.arange(len(counts)), counts)).reshape(shape)
            return labels, history, cut
        pixels = np.moveaxis(x[0], 0, -1)
        labels = decode(pixels, self.colours_, random_state=seed)
        if s["match_volume_fraction"]:
            labels = match_volume_fractions(labels, self.volume_fractions_, random_state=seed)
        return labels, history, cut


def _level_draw(draw, shape, counts):
    """``draw`` for a volume level where a term scores fewer slices (``counts``: Gram, lineal
    path; 0 or None: that term draws none) than some axis has, else None: every slice is
    scored, and the loss is deterministic."""
    drawn = [c for c in counts if c]
    if draw is None or len(shape) != 3 or not drawn or max(shape) <= min(drawn):
        return None
    return draw
