"""Spinodal decomposition (Cahn-Hilliard) microstructures with process descriptors and targets.

See :func:`make_spinodal` and :func:`load_spinodal`; the physics and the numerical scheme are
described in :mod:`sktl.datasets._cahn_hilliard`.
"""

from __future__ import annotations

import numbers
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.utils import Bunch
from tqdm.auto import tqdm

from ..utils._docstrings import fill_doc
from ._cache import CACHE_DIR_DOC, cache_key, generator_folder, read_arrays, write_arrays
from ._cahn_hilliard import LandauCahnHilliard, free_energy, rfft_weights, solve, wavenumbers
from ._spinodal_parameters import (
    PARAMETER_NAMES,
    PARAMETERS,
    check_ranges,
    draw_parameters,
)

# Bump when anything that changes the generated numbers changes (invalidates on-disk caches).
DATA_VERSION = 1
EMBEDDED_FILE = "spinodal_500x64.npz"
EMBEDDED_N_SAMPLES = 500
EMBEDDED_SIZE = 64
EMBEDDED_RANDOM_STATE = 0

# Solver settings (see _cahn_hilliard.solve). At these, halving eps changes the median target by
# < 0.1 % of its spread.
_SOLVER = {"method": "sbdf2", "eps": 0.1, "min_dt_fraction": 0.002}
_AUTO_PROGRESS = 200  # progress bar from this many 64x64-equivalent samples


#: Descriptor columns: the swept parameters plus the mean composition they imply.
FEATURE_NAMES: tuple[str, ...] = (*PARAMETER_NAMES, "mean_composition")

#: Target columns and their meaning (lengths in pixels, the grid spacing being 1).
TARGETS: dict[str, str] = {
    "c_min": "minimum composition of the field",
    "c_max": "maximum composition of the field",
    "separation_degree": (
        "std(c) / phi, degree of phase separation: ~0 for the mixture, sqrt(4 v (1 - v)) for "
        "sharp, fully separated domains of area fraction v"
    ),
    "volume_fraction": "area fraction of the b-rich phase, c > (a + b) / 2",
    "mu_mean": "mean chemical potential mu = f'(c) - kappa lap(c) (Gibbs-Thomson shift)",
    "mu_std": "standard deviation of mu (distance from local equilibrium)",
    "free_energy_change": (
        "total free energy per area, mean(f(c) + kappa/2 |grad c|^2), minus f(c_mean) of the "
        "uniform mixture"
    ),
    "interface_density": (
        "interface length per area, mean |grad c| / (2 phi), 2 phi = equilibrium jump (1/px)"
    ),
    "characteristic_length": "2 pi / k1, k1 = first moment of the structure factor (px)",
}
TARGET_NAMES: tuple[str, ...] = tuple(TARGETS)

# 5-fold R^2 on the embedded sample, from `python -m benchmarks.speed.spinodal` (random forests
# of 200 trees, shuffled KFold seed 0). Rerun it and update this table when the data change.
_R2_TABLE = """\
    target                 descriptors   image   both
    ---------------------- ----------- ------- ------
    c_min                         0.71    1.00   1.00
    c_max                         0.66    1.00   0.99
    separation_degree             0.77    0.98   0.98
    volume_fraction               0.83    0.87   0.97
    mu_mean                       0.90    0.83   0.90
    mu_std                        0.69    0.59   0.79
    free_energy_change            0.79    0.86   0.97
    interface_density             0.64    0.98   0.98
    characteristic_length         0.87    0.96   0.96"""


# --------------------------------------------------------------------------------------------
# validation


def _check_random_state(random_state) -> tuple[int, bool]:
    """``(entropy, reproducible)``: the root seed and whether it was given as an int."""
    if random_state is None:
        return int(np.random.SeedSequence().entropy), False
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        if random_state < 0:
            raise ValueError(f"random_state must be >= 0; got {random_state}.")
        return int(random_state), True
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(2**63)), False
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(2**31)), False
    raise ValueError(
        "random_state must be None, a non-negative int, a numpy Generator or RandomState; got "
        f"{random_state!r}."
    )


# --------------------------------------------------------------------------------------------
# sampling, simulation, targets


def _draw_noise(streams, size: int) -> np.ndarray:
    """Unit-variance white noise (n, size, size), drawn after the parameters of each stream."""
    noise = np.empty((len(streams), size, size))
    for i, stream in enumerate(streams):
        rng = np.random.default_rng(stream)
        rng.random(len(PARAMETERS))  # the parameters come first in every stream
        noise[i] = rng.standard_normal((size, size))
    return noise


def _column(params: np.ndarray, name: str) -> np.ndarray:
    return params[:, PARAMETER_NAMES.index(name)]


def _model(params: np.ndarray) -> LandauCahnHilliard:
    col = lambda name: _column(params, name)  # noqa: E731
    return LandauCahnHilliard(
        well_a=col("well_a"),
        well_b=col("well_b"),
        well_depth=col("well_depth"),
        temperature=col("temperature"),
        kappa=col("kappa"),
        mobility=col("mobility"),
        batch=len(params),
    )


def _mean_composition(params: np.ndarray) -> np.ndarray:
    a, b = _column(params, "well_a"), _column(params, "well_b")
    return a + _column(params, "mean_fraction") * (b - a)


def _initial_fields(params: np.ndarray, noise: np.ndarray) -> np.ndarray:
    """Mean composition plus Gaussian-correlated noise of the requested standard deviation."""
    size = noise.shape[-1]
    kx, ky = wavenumbers(size)
    ell = _column(params, "noise_correlation")[:, None, None]
    smooth = np.fft.irfft2(
        np.fft.rfft2(noise) * np.exp(-0.5 * (kx**2 + ky**2) * ell**2), s=noise.shape[1:]
    )
    smooth -= smooth.mean(axis=(1, 2), keepdims=True)
    smooth /= smooth.std(axis=(1, 2), keepdims=True)
    amplitude = _column(params, "noise_amplitude")[:, None, None]
    return _mean_composition(params)[:, None, None] + amplitude * smooth


def spinodal_targets(c: np.ndarray, model: LandauCahnHilliard, c_mean) -> np.ndarray:
    """The physical targets (see ``TARGETS``) of final fields, shape (n, len(TARGETS)).

    Parameters
    ----------
    c : ndarray of shape (n, size, size)
        Composition fields (float64).
    model : LandauCahnHilliard
        Their parameters.
    c_mean : array-like of shape (n,)
        Mean compositions of the uniform mixtures they started from.

    Returns
    -------
    targets : ndarray of shape (n, len(TARGETS)), float64
    """
    n, size = c.shape[0], c.shape[-1]
    kx, ky = wavenumbers(size)
    k2 = kx**2 + ky**2
    c_hat = np.fft.rfft2(c)
    lap = np.fft.irfft2(-k2 * c_hat, s=(size, size))
    mu = model.df(c) - model.kappa * lap
    # first derivatives: the Nyquist wavenumber of an even grid has no odd derivative
    kx_odd, ky_odd = kx.copy(), ky.copy()
    if size % 2 == 0:
        kx_odd[size // 2] = 0.0
        ky_odd[0, -1] = 0.0
    gx = np.fft.irfft2(1j * kx_odd * c_hat, s=(size, size))
    gy = np.fft.irfft2(1j * ky_odd * c_hat, s=(size, size))
    grad = np.sqrt(gx**2 + gy**2)
    power = (c_hat.real**2 + c_hat.imag**2) * rfft_weights(size)
    power[:, 0, 0] = 0.0
    total = power.reshape(n, -1).sum(axis=1)
    k_first = (power * np.sqrt(k2)).reshape(n, -1).sum(axis=1) / np.maximum(total, 1e-300)
    length = np.where(total > 0, 2 * np.pi / np.maximum(k_first, 1e-300), float(size))
    c_mean = np.asarray(c_mean, dtype=np.float64).reshape(n, 1, 1)
    flat = c.reshape(n, -1)
    columns = {
        "c_min": flat.min(axis=1),
        "c_max": flat.max(axis=1),
        "separation_degree": flat.std(axis=1) / np.sqrt(model.phi2.ravel()),
        "volume_fraction": (c > model.center).reshape(n, -1).mean(axis=1),
        "mu_mean": mu.reshape(n, -1).mean(axis=1),
        "mu_std": mu.reshape(n, -1).std(axis=1),
        "free_energy_change": free_energy(c, model) - model.f(c_mean).ravel(),
        "interface_density": grad.reshape(n, -1).mean(axis=1) / (2 * np.sqrt(model.phi2.ravel())),
        "characteristic_length": length,
    }
    out = np.stack([columns[name] for name in TARGET_NAMES], axis=1)
    if not np.isfinite(out).all():
        raise FloatingPointError("Non-finite spinodal targets; this is a bug, please report it.")
    return out


def _simulate(params: np.ndarray, streams, size: int, progress: bool) -> tuple[np.ndarray, ...]:
    """Images (n, size, size) float32 and targets (n, t) float64 of every sample, in batches."""
    n = len(params)
    batch = max(1, min(32, 2**17 // size**2))
    model = _model(params)
    c_mean = _mean_composition(params)
    rate, _ = model.fastest_growth(c_mean)
    # batches of similar duration (reduced time), so few samples run alone at the end
    order = np.argsort(_column(params, "time") * rate, kind="stable")
    images = np.empty((n, size, size), dtype=np.float32)
    targets = np.empty((n, len(TARGET_NAMES)))
    with tqdm(total=n, desc="make_spinodal", unit="sample", disable=not progress) as bar:
        for start in range(0, n, batch):
            idx = order[start : start + batch]
            sub = model.subset(idx)
            c0 = _initial_fields(params[idx], _draw_noise([streams[i] for i in idx], size))
            c, _ = solve(c0, sub, _column(params, "time")[idx], **_SOLVER)
            images[idx] = c
            targets[idx] = spinodal_targets(c, sub, c_mean[idx])
            bar.update(len(idx))
    return images, targets


# --------------------------------------------------------------------------------------------
# caching and packaging


def _cache_path(folder, n_samples: int, size: int, ranges, entropy: int) -> Path | None:
    directory = generator_folder(folder, "spinodal")
    if directory is None:
        return None
    spec = {
        "generator": "make_spinodal",
        "version": DATA_VERSION,
        "n_samples": n_samples,
        "size": size,
        "parameter_ranges": {k: list(v) for k, v in ranges.items()},
        "random_state": entropy,
        "solver": _SOLVER,
    }
    return directory / f"{cache_key(spec)}.npz"


def _descr(ranges) -> str:
    rows = "\n".join(
        f"    {p.name:<18} {f'[{ranges[p.name][0]:g}, {ranges[p.name][1]:g}]':<14} {p.doc}"
        for p in PARAMETERS
    )
    targets = "\n".join(f"    {name:<22} {doc}" for name, doc in TARGETS.items())
    return DESCR_TEMPLATE.format(parameters=rows, targets=targets, r2=_R2_TABLE)


def _bunch(images, descriptors, targets, ranges, entropy, return_frame) -> Bunch:
    feature_names, target_names = list(FEATURE_NAMES), list(TARGET_NAMES)
    bunch = Bunch(
        images=images,
        feature_names=feature_names,
        target_names=target_names,
        parameter_ranges=dict(ranges),
        random_state=entropy,
        DESCR=_descr(ranges),
    )
    if return_frame:
        bunch.descriptors = pd.DataFrame(descriptors, columns=feature_names)
        bunch.targets = pd.DataFrame(targets, columns=target_names)
        bunch.frame = pd.concat([bunch.descriptors, bunch.targets], axis=1)
    else:
        bunch.descriptors = descriptors
        bunch.targets = targets
    return bunch


# --------------------------------------------------------------------------------------------
# public API


@fill_doc(cache_dir=CACHE_DIR_DOC)
def make_spinodal(
    n_samples=500,
    size=64,
    *,
    parameter_ranges=None,
    return_frame=False,
    verbose=None,
    cache_dir=None,
    random_state=None,
):
    """Simulate spinodal decomposition (Cahn-Hilliard) with random process parameters.

    Each sample quenches a uniform mixture (mean composition plus small random fluctuations)
    into the spinodal region of a Landau double-well free energy and evolves it for its own
    elapsed time with the Cahn-Hilliard equation on a periodic ``size x size`` grid (pixel
    spacing 1). Ten physical and processing parameters are drawn per sample; the result is a
    multimodal regression set: composition images plus process descriptors, and physical
    targets of the final field. The targets depend on both: the descriptors fix the
    thermodynamics (phase compositions, energy scale), while the morphology realised from the
    random initial fluctuations after the elapsed time (stage of decomposition, domain size,
    curvature) is only seen in the image.

    Parameters
    ----------
    n_samples : int, default=500
        Number of samples (>= 1).
    size : int, default=64
        Image side in pixels (>= 8).
    parameter_ranges : dict, optional
        ``{name: (low, high)}`` (or a single number to fix a parameter) overriding the default
        ranges of the swept parameters, see ``PARAMETERS`` and ``DESCR``. Parameters marked
        log are drawn log-uniformly, the others uniformly.
    return_frame : bool, default=False
        Return ``descriptors`` and ``targets`` as pandas DataFrames (and their concatenation
        as ``frame``) instead of arrays.
    verbose : int or None, default=None
        0: quiet; >= 1: a tqdm progress bar; None shows it for 200 or more 64x64-equivalent
        samples.
    %(cache_dir)s
    random_state : int, numpy Generator, RandomState or None, default=None
        Seed. Sample ``i`` comes from its own stream, so the first rows of a larger set equal a
        smaller set drawn with the same seed and ranges.

    Returns
    -------
    data : sklearn.utils.Bunch
        Dictionary-like object with the following attributes.

        images : ndarray of shape (n_samples, size, size), float32
            Composition fields.
        descriptors : ndarray of shape (n_samples, 11) or DataFrame
            Swept parameters and the mean composition; columns ``feature_names``.
        targets : ndarray of shape (n_samples, 9) or DataFrame
            Physical targets; columns ``target_names``.
        frame : DataFrame
            Only with ``return_frame=True``: descriptors and targets side by side.
        feature_names, target_names : list of str
            Column names of ``descriptors`` and ``targets``.
        parameter_ranges : dict
            The ranges used.
        random_state : int
            Root seed actually used (regenerates the set, including for ``random_state=None``).
        DESCR : str
            Full description: physics, parameters, targets, predictability.

    Raises
    ------
    ValueError
        For ``n_samples < 1``, ``size < 8``, unknown parameter names, ``low > high`` or
        unphysical ranges.

    See Also
    --------
    load_spinodal : 500 precomputed 64x64 samples shipped with sktl.

    Examples
    --------
    >>> from sktl.datasets import make_spinodal
    >>> data = make_spinodal(n_samples=4, size=32, random_state=0)
    >>> data.images.shape, data.descriptors.shape, data.targets.shape
    ((4, 32, 32), (4, 11), (4, 9))
    """
    if not isinstance(n_samples, numbers.Integral) or isinstance(n_samples, bool) or n_samples < 1:
        raise ValueError(f"n_samples must be an integer >= 1; got {n_samples!r}.")
    if not isinstance(size, numbers.Integral) or isinstance(size, bool) or size < 8:
        raise ValueError(f"size must be an integer >= 8 (pixels); got {size!r}.")
    n_samples, size = int(n_samples), int(size)
    ranges = check_ranges(parameter_ranges)
    if ranges["noise_correlation"][1] > size:
        raise ValueError(
            f"noise_correlation must not exceed the image size ({size} px); got the range "
            f"{ranges['noise_correlation']}."
        )
    entropy, reproducible = _check_random_state(random_state)
    path = _cache_path(cache_dir, n_samples, size, ranges, entropy) if reproducible else None
    cached = read_arrays(path, ("images", "descriptors", "targets"))
    if cached is not None:
        images, descriptors, targets = cached["images"], cached["descriptors"], cached["targets"]
    else:
        params, streams = draw_parameters(entropy, n_samples, ranges)
        if verbose is None:
            verbose = n_samples * size**2 >= _AUTO_PROGRESS * 64**2
        images, targets = _simulate(params, streams, size, bool(verbose))
        descriptors = np.column_stack([params, _mean_composition(params)])
        write_arrays(path, images=images, descriptors=descriptors, targets=targets)
    return _bunch(images, descriptors, targets, ranges, entropy, return_frame)


def _embedded_path():
    return resources.files("sktl.datasets").joinpath("data", EMBEDDED_FILE)


def load_spinodal(*, return_frame=False):
    """The embedded spinodal sample: 500 precomputed 64x64 samples (no simulation).

    Identical, up to storage precision, to
    ``make_spinodal(500, 64, random_state=0)``: images are stored as float16 and descriptors
    and targets as float32. Regenerate the file with ``python -m tools.make_embedded`` from a checkout.

    Parameters
    ----------
    return_frame : bool, default=False
        Return ``descriptors`` and ``targets`` as DataFrames (and ``frame``), as in
        :func:`make_spinodal`.

    Returns
    -------
    data : sklearn.utils.Bunch
        Same fields as :func:`make_spinodal`.

    Examples
    --------
    >>> from sktl.datasets import load_spinodal
    >>> data = load_spinodal(return_frame=True)
    >>> data.images.shape, data.targets.shape
    ((500, 64, 64), (500, 9))
    """
    with _embedded_path().open("rb") as fh, np.load(fh, allow_pickle=False) as data:
        images = data["images"].astype(np.float32)
        descriptors = data["descriptors"].astype(np.float64)
        targets = data["targets"].astype(np.float64)
        names = [str(s) for s in data["parameter_names"]]
        bounds = data["parameter_ranges"].astype(np.float64)
        entropy = int(data["random_state"])
        if [str(s) for s in data["feature_names"]] != list(FEATURE_NAMES) or [
            str(s) for s in data["target_names"]
        ] != list(TARGET_NAMES):
            raise RuntimeError(
                f"{EMBEDDED_FILE} is out of date with this sktl version; regenerate it with "
                "`python -m tools.make_embedded` (from a checkout)."
            )
    ranges = {name: (float(lo), float(hi)) for name, (lo, hi) in zip(names, bounds)}
    return _bunch(images, descriptors, targets, ranges, entropy, return_frame)


DESCR_TEMPLATE = """\
.. _spinodal_dataset:

Spinodal decomposition (Cahn-Hilliard) dataset
----------------------------------------------

**Physics.** Composition field c(x, t) of a binary mixture on a periodic grid (pixel spacing
1), evolved by the Cahn-Hilliard equation

    dc/dt = M lap(mu),   mu = f'(c) - kappa lap(c),
    f(c)  = W [ (c - a)^2 (c - b)^2 + 2 tau h^2 (c - c0)^2 ],   c0 = (a + b)/2, h = (b - a)/2.

The second term of f is a Landau (temperature-like) term. With d = c - c0 and
phi^2 = h^2 (1 - tau), f = W [(d^2 - phi^2)^2 + const]: the coexisting phases are c0 +- phi
(a and b at tau = 0), the spinodal is |d| < phi / sqrt(3), and the miscibility gap closes at
the critical point tau = 1 (tau < 0 is a deeper quench). Each sample starts from its mean
composition plus random Gaussian-correlated fluctuations and is evolved for its elapsed time:
spinodal amplification of the fastest-growing wavelength 2 pi sqrt(2 kappa / -f''(c_mean)),
then coarsening. Everything is nondimensional.

**Numerics.** Pseudo-spectral in space (rfft2, float64, batched over samples). In time, the
stabilised semi-implicit scheme: the stiff fourth-order term and a stabilising term S c
(S = f''(c0 +- 1.1 phi) / 2) implicit, f'(c) - S c explicit, in its second-order
variable-step form (SBDF2). The step adapts per sample, dt M k1^2 (S + kappa k1^2) <= 0.1 with
k1 the first moment of the structure factor, and is never shorter than 0.002 t (such floored
steps are first order). Mass is conserved to round-off, the free energy decreases
monotonically, a small mode grows at the linear-stability rate, and the fields agree with an
independent explicit finite-difference solver (see tests/datasets/test_spinodal.py).

**Swept parameters** (descriptor columns, drawn independently per sample; override with
``parameter_ranges``):

{parameters}

plus ``mean_composition`` = a + mean_fraction (b - a).

**Targets** (computed from the final field in float64; lengths in pixels):

{targets}

**Predictability.** 5-fold cross-validated R^2 of a random forest on the embedded 500-sample
set, from the descriptors alone, from generic image statistics alone (composition quantiles,
radially averaged structure factor, gradient statistics), and from both:

{r2}

The descriptors fix the thermodynamics but not the realised morphology (stage reached from the
random fluctuations, domain size and curvature in a finite box), and the image does not show
the energy scale (W, kappa) or the well positions: the two modalities complement each other.
Several targets are statistics of the field itself (c_min, c_max, interface density, length),
so ideal image features predict them almost exactly; a CNN has to learn them from pixels.
About 10 % of the default sweep is still in the early, weakly modulated stage
(separation_degree < 0.3), a third below 0.7, the rest phase separated and coarsening
(characteristic length 11 to 50 px).

**Reproducibility.** Sample i is drawn from its own random stream
SeedSequence(random_state).spawn(n)[i], so it is the same in any n_samples.
``load_spinodal()`` returns ``make_spinodal(500, 64, random_state=0)`` as stored in the
package (images float16, tables float32).
"""
