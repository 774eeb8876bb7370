"""Spinodal decomposition (Cahn-Hilliard) microstructures with process descriptors and targets.

See :func:`make_spinodal` and :func:`load_spinodal`; the physics and the numerical scheme are
described in :mod:`sktl.datasets._cahn_hilliard`, the simulation of a set is
:mod:`sktl.datasets._spinodal_simulation`.
"""

from __future__ import annotations

import numbers
from importlib import resources

import numpy as np
import pandas as pd
from sklearn.utils import Bunch

from ..utils._docstrings import fill_doc
from ._cache import cache_file, read_arrays, write_arrays
from ._docs import GENERATOR_DOCS, generator_verbose
from ._spinodal_parameters import PARAMETER_NAMES, PARAMETERS, check_ranges, draw_parameters
from ._spinodal_simulation import SOLVER, TARGET_NAMES, TARGETS, mean_composition, simulate

# Bump when anything that changes the generated numbers changes (invalidates on-disk caches).
DATA_VERSION = 1
EMBEDDED_FILE = "spinodal_500x64.npz"
EMBEDDED_N_SAMPLES = 500
EMBEDDED_SIZE = 64
EMBEDDED_RANDOM_STATE = 0

_AUTO_PROGRESS = 200  # progress bar from this many 64x64-equivalent samples

#: Descriptor columns: the swept parameters plus the mean composition they imply.
FEATURE_NAMES: tuple[str, ...] = (*PARAMETER_NAMES, "mean_composition")

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
# caching and packaging


def _cache_spec(n_samples: int, size: int, ranges, entropy: int) -> dict:
    return {
        "generator": "make_spinodal",
        "version": DATA_VERSION,
        "n_samples": n_samples,
        "size": size,
        "parameter_ranges": {k: list(v) for k, v in ranges.items()},
        "random_state": entropy,
        "solver": SOLVER,
    }


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


@fill_doc(**GENERATOR_DOCS, verbose=generator_verbose("for 200 or more 64x64-equivalent samples"))
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
    %(verbose)s
    %(cache_dir)s
    %(random_state)s

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
    spec = _cache_spec(n_samples, size, ranges, entropy)
    path = cache_file(cache_dir, "spinodal", spec) if reproducible else None
    expected = {
        "images": ((n_samples, size, size), np.float32),
        "descriptors": ((n_samples, len(FEATURE_NAMES)), np.float64),
        "targets": ((n_samples, len(TARGET_NAMES)), np.float64),
    }
    cached = read_arrays(path, spec, expected)
    if cached is not None:
        images, descriptors, targets = cached["images"], cached["descriptors"], cached["targets"]
    else:
        params, streams = draw_parameters(entropy, n_samples, ranges)
        if verbose is None:
            verbose = n_samples * size**2 >= _AUTO_PROGRESS * 64**2
        images, targets = simulate(params, streams, size, bool(verbose))
        descriptors = np.column_stack([params, mean_composition(params)])
        write_arrays(path, spec, images=images, descriptors=descriptors, targets=targets)
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
