"""The simulation behind :func:`~sktl.datasets.make_spinodal`: initial fields from the drawn
parameters, the Cahn-Hilliard run (:mod:`sktl.datasets._cahn_hilliard`) and the targets
measured on the final fields.
"""

from __future__ import annotations

import numpy as np
from tqdm.auto import tqdm

from ._cahn_hilliard import LandauCahnHilliard, free_energy, rfft_weights, solve, wavenumbers
from ._spinodal_parameters import PARAMETER_NAMES, PARAMETERS

# Solver settings (see _cahn_hilliard.solve). At these, halving eps changes the median target by
# < 0.1 % of its spread.
SOLVER = {"method": "sbdf2", "eps": 0.1, "min_dt_fraction": 0.002}

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


def mean_composition(params: np.ndarray) -> np.ndarray:
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
    return mean_composition(params)[:, None, None] + amplitude * smooth


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


def simulate(params: np.ndarray, streams, size: int, progress: bool) -> tuple[np.ndarray, ...]:
    """Images (n, size, size) float32 and targets (n, t) float64 of every sample, in batches."""
    n = len(params)
    batch = max(1, min(32, 2**17 // size**2))
    model = _model(params)
    c_mean = mean_composition(params)
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
            c, _ = solve(c0, sub, _column(params, "time")[idx], **SOLVER)
            images[idx] = c
            targets[idx] = spinodal_targets(c, sub, c_mean[idx])
            bar.update(len(idx))
    return images, targets
