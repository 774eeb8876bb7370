"""Periodic two-phase microstructures and their homogenised plane-strain stiffness.

See :func:`make_stiffness`. The morphology generators are plain numpy (periodic by
construction); the stiffness comes from the FFT homogenisation solver muSpectre, see
:mod:`sktl.datasets._fft_homogenisation`.
"""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.utils import Bunch
from tqdm.auto import tqdm

from ..utils._docstrings import fill_doc
from ..utils._validation import float_pair
from ._cache import cache_file, read_arrays, write_arrays
from ._docs import GENERATOR_DOCS, generator_verbose
from ._fft_homogenisation import (
    STIFFNESS_NAMES,
    homogenise,
    voigt_to_components,
)

# Bump when anything that changes the generated numbers changes (invalidates on-disk caches).
DATA_VERSION = 1
GENERATORS = ("blobs", "spheres", "voronoi")
_POISSON = 0.3
_TOL = 1e-8


def _periodic_grid(size: int):
    ax = np.arange(size, dtype=np.float64)
    return np.meshgrid(ax, ax, indexing="ij")


def _threshold(field: np.ndarray, volume_fraction: float) -> np.ndarray:
    """Phase 1 where ``field`` is in its top ``volume_fraction`` quantile."""
    level = np.quantile(field, 1.0 - volume_fraction)
    return (field > level).astype(np.uint8)


def blobs(size: int, volume_fraction: float, rng: np.random.Generator) -> np.ndarray:
    """Thresholded Gaussian random field, anisotropic and rotated at random."""
    k = np.fft.fftfreq(size)
    kx, ky = np.meshgrid(k, k, indexing="ij")
    length = rng.uniform(size / 24, size / 8)
    aspect = rng.uniform(1.0, 3.0)
    theta = rng.uniform(0, np.pi)
    ka = kx * np.cos(theta) + ky * np.sin(theta)
    kb = -kx * np.sin(theta) + ky * np.cos(theta)
    spectrum = np.exp(-2 * np.pi**2 * length**2 * (aspect * ka**2 + kb**2 / aspect))
    noise = rng.standard_normal((size, size))
    field = np.fft.ifft2(np.fft.fft2(noise) * spectrum).real
    return _threshold(field, volume_fraction)


def _periodic_sq_distance(x, y, cx, cy, size):
    dx = np.abs(x[..., None] - cx)
    dy = np.abs(y[..., None] - cy)
    dx = np.minimum(dx, size - dx)
    dy = np.minimum(dy, size - dy)
    return dx**2 + dy**2


def spheres(size: int, volume_fraction: float, rng: np.random.Generator) -> np.ndarray:
    """Overlapping discs of one random radius, wrapped periodically, added to the target fraction.

    Candidate discs are drawn in a batch; the image takes the shortest prefix of them whose
    union reaches ``volume_fraction`` (rounding to the last disc).
    """
    x, y = _periodic_grid(size)
    radius = rng.uniform(size / 20, size / 8)
    n_max = int(np.ceil(8 * size**2 / (np.pi * radius**2))) + 4
    cx, cy = rng.uniform(0, size, n_max), rng.uniform(0, size, n_max)
    inside = _periodic_sq_distance(x, y, cx, cy, size) <= radius**2  # (H, W, n_max)
    covered = np.logical_or.accumulate(inside, axis=-1).mean(axis=(0, 1))
    n = min(int(np.searchsorted(covered, volume_fraction)) + 1, n_max)
    return inside[..., :n].any(axis=-1).astype(np.uint8)


def voronoi(size: int, volume_fraction: float, rng: np.random.Generator) -> np.ndarray:
    """Edges of a periodic Voronoi tessellation, thickened to the target fraction.

    Phase 1 is where the gap between the distances to the nearest and second nearest seed is
    smallest (a grain boundary network).
    """
    x, y = _periodic_grid(size)
    n_seeds = int(rng.integers(6, 30))
    d = np.sqrt(
        _periodic_sq_distance(
            x, y, rng.uniform(0, size, n_seeds), rng.uniform(0, size, n_seeds), size
        )
    )
    d.sort(axis=-1)
    return _threshold(-(d[..., 1] - d[..., 0]), volume_fraction)


_GENERATORS = {"blobs": blobs, "spheres": spheres, "voronoi": voronoi}


# --------------------------------------------------------------------------------------------
# validation


def _check_args(n_samples, size, generator, contrast, volume_fraction):
    if not isinstance(n_samples, numbers.Integral) or n_samples < 1:
        raise ValueError(f"n_samples must be a positive int, got {n_samples!r}.")
    if not isinstance(size, numbers.Integral) or size < 8:
        raise ValueError(f"size must be an int >= 8, got {size!r}.")
    valid = (*GENERATORS, "mixed")
    if generator not in valid:
        raise ValueError(f"generator must be one of {valid}, got {generator!r}.")
    if not (isinstance(contrast, numbers.Real) and contrast > 0 and np.isfinite(contrast)):
        raise ValueError(f"contrast must be a positive finite number, got {contrast!r}.")
    lo, hi = float_pair(
        volume_fraction,
        f"volume_fraction must be a (low, high) pair in (0, 1), got {volume_fraction!r}.",
    )
    if not 0 < lo <= hi < 1:
        raise ValueError(
            f"volume_fraction must be a (low, high) pair with 0 < low <= high < 1, got "
            f"{volume_fraction!r}."
        )
    return lo, hi


@fill_doc(**GENERATOR_DOCS, verbose=generator_verbose("from 50 samples"))
def make_stiffness(
    n_samples=200,
    size=64,
    *,
    generator="mixed",
    contrast=10.0,
    volume_fraction=(0.2, 0.6),
    verbose=None,
    cache_dir=None,
    random_state=None,
):
    """Periodic two-phase microstructures and their homogenised plane-strain stiffness.

    Each sample is a binary ``size x size`` periodic image (phase 1 = inclusion with Young's
    modulus ``contrast``, phase 0 = matrix with modulus 1; Poisson's ratio 0.3 in both) from one
    of three morphology generators:

    * ``"blobs"``: a Gaussian random field with a random correlation length, anisotropy (aspect
      1-3) and orientation, thresholded at the volume fraction;
    * ``"spheres"``: overlapping discs of one random radius, wrapped periodically;
    * ``"voronoi"``: the edges of a periodic Voronoi tessellation (6-30 grains), thickened to
      the volume fraction.

    The targets are the effective plane-strain stiffness (C11, C22, C12, C16, C26, C66) in
    Voigt notation with engineering shear, in units of the matrix modulus, from the FFT
    homogenisation solver muSpectre (small strain, linear finite element gradient, CG to
    ``1e-8``). Statistically isotropic generators (spheres, voronoi) give C16 = C26 ~ 0 and
    C11 ~ C22 up to finite-size scatter: check the target variance before reading a tiny error.

    Parameters
    ----------
    n_samples : int, default=200
    size : int, default=64
        Image side in pixels (>= 8). The solver costs ~0.1 s per 64x64 sample.
    generator : {"blobs", "spheres", "voronoi", "mixed"}, default="mixed"
        Morphology; "mixed" draws one of the three per sample.
    contrast : float, default=10.0
        Young's modulus of phase 1 over that of phase 0.
    volume_fraction : (float, float), default=(0.2, 0.6)
        Range of the volume fraction of phase 1, drawn uniformly per sample.
    %(verbose)s
    %(cache_dir)s
    %(random_state)s

    Returns
    -------
    data : sklearn.utils.Bunch
        Dictionary-like object with the following attributes.

        images : ndarray of shape (n_samples, size, size), float32 in {0, 1}
            The microstructures (1 = the stiff phase).
        targets : ndarray of shape (n_samples, 6), float64
            Homogenised plane-strain stiffness components.
        target_names : list of str
            ``["C11", "C22", "C12", "C16", "C26", "C66"]``.
        generator : ndarray of str
            The generator of each sample.
        volume_fraction : ndarray of shape (n_samples,)
            Realised volume fraction of phase 1.
        random_state : int
            The root seed used.

    Examples
    --------
    >>> from sktl.datasets import make_stiffness
    >>> data = make_stiffness(8, size=32, random_state=0)  # doctest: +SKIP
    >>> data.images.shape, data.targets.shape  # doctest: +SKIP
    ((8, 32, 32), (8, 6))
    """
    lo, hi = _check_args(n_samples, size, generator, contrast, volume_fraction)
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        entropy, cacheable = int(random_state), True
    else:
        if isinstance(random_state, np.random.RandomState):
            entropy = int(random_state.randint(0, 2**31 - 1))
        else:
            entropy = int(np.random.default_rng(random_state).integers(0, 2**63 - 1))
        cacheable = False
    spec = {
        "generator_fn": "make_stiffness",
        "version": DATA_VERSION,
        "n_samples": int(n_samples),
        "size": int(size),
        "generator": generator,
        "contrast": float(contrast),
        "volume_fraction": [lo, hi],
        "random_state": entropy,
        "tol": _TOL,
    }
    path = cache_file(cache_dir, "stiffness", spec) if cacheable else None
    expected = {
        "images": ((n_samples, size, size), np.float32),
        "targets": ((n_samples, len(STIFFNESS_NAMES)), np.float64),
        "generator": ((n_samples,), "<U8"),
        "volume_fraction": ((n_samples,), np.float64),
    }
    d = read_arrays(path, spec, expected)
    if d is not None:
        return _bunch(d["images"], d["targets"], d["generator"], d["volume_fraction"], entropy)

    images = np.empty((n_samples, size, size), dtype=np.float32)
    targets = np.empty((n_samples, len(STIFFNESS_NAMES)))
    kinds = np.empty(n_samples, dtype="<U8")
    show = bool(verbose) if verbose is not None else n_samples >= 50
    seeds = np.random.SeedSequence(entropy).spawn(n_samples)
    for i in tqdm(range(n_samples), desc="make_stiffness", disable=not show, unit="sample"):
        rng = np.random.default_rng(seeds[i])
        kind = GENERATORS[rng.integers(3)] if generator == "mixed" else generator
        img = _GENERATORS[kind](size, rng.uniform(lo, hi), rng)
        C = homogenise(img, (1.0, float(contrast)), (_POISSON, _POISSON), tol=_TOL)
        images[i], targets[i], kinds[i] = img, voigt_to_components(C), kind
    fractions = images.mean(axis=(1, 2)).astype(np.float64)
    write_arrays(
        path, spec, images=images, targets=targets, generator=kinds, volume_fraction=fractions
    )
    return _bunch(images, targets, kinds, fractions, entropy)


def _bunch(images, targets, kinds, fractions, entropy) -> Bunch:
    return Bunch(
        images=images,
        targets=targets,
        target_names=list(STIFFNESS_NAMES),
        generator=kinds,
        volume_fraction=fractions,
        random_state=entropy,
    )
