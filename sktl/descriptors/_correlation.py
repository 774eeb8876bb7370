"""Two-point correlation and lineal-path functions of labelled 2-D microstructures."""

from __future__ import annotations

import numpy as np
from scipy import fft


def _indicator(image, phase) -> np.ndarray:
    image = np.asarray(image)
    if image.ndim != 2:
        raise ValueError(f"Expected a 2-D label image, got an array of shape {image.shape}.")
    if image.dtype == bool and phase in (True, 1):
        return image.astype(np.float64)
    return (image == phase).astype(np.float64)


def _default_r_max(shape, r_max) -> int:
    limit = min(shape) // 2
    if r_max is None:
        return limit
    r_max = int(r_max)
    if r_max < 0:
        raise ValueError(f"r_max must be >= 0, got {r_max}.")
    return r_max


def _radial_average(field: np.ndarray, weights: np.ndarray, r_max: int) -> np.ndarray:
    """Average ``field`` (displacement grid centred on zero) over rings of integer radius."""
    h, w = field.shape
    dy = np.arange(h) - h // 2
    dx = np.arange(w) - w // 2
    r = np.rint(np.hypot(dy[:, None], dx[None, :])).astype(np.int64)
    keep = (r <= r_max) & (weights > 0)
    num = np.bincount(r[keep], weights=(field * weights)[keep], minlength=r_max + 1)
    den = np.bincount(r[keep], weights=weights[keep], minlength=r_max + 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = num[: r_max + 1] / den[: r_max + 1]
    return out


def two_point_correlation(image, phase=1, *, periodic=True, r_max=None) -> np.ndarray:
    """Radially averaged two-point correlation S2(r) of one phase.

    S2(r) is the probability that two points a distance r apart both lie in ``phase``.
    The autocorrelation of the phase indicator is computed for every displacement with FFTs,
    then averaged over rings of integer radius ``round(|d|) = r``.

    Parameters
    ----------
    image : array-like of shape (H, W)
        Label image (or boolean indicator).
    phase : int, default=1
        The phase whose indicator is correlated.
    periodic : bool, default=True
        Periodic boundaries (circular autocorrelation). When False the image is zero-padded and
        each displacement is normalised by the number of point pairs that fit inside the image.
    r_max : int, optional
        Largest radius; ``min(H, W) // 2`` by default.

    Returns
    -------
    ndarray of shape (r_max + 1,)
        S2 at r = 0, 1, ..., r_max. ``S2[0]`` is the volume fraction of ``phase``.
    """
    ind = _indicator(image, phase)
    h, w = ind.shape
    r_max = _default_r_max(ind.shape, r_max)
    if periodic:
        f = fft.rfft2(ind)
        auto = fft.irfft2(f * np.conj(f), s=ind.shape) / (h * w)
        auto = np.fft.fftshift(auto)
        return _radial_average(auto, np.ones_like(auto), r_max)
    prob, pairs = nonperiodic_s2_map(ind)
    # weight each displacement by its number of pairs: the ring average is then the pair-count
    # weighted probability, which keeps large, poorly sampled displacements from dominating
    return _radial_average(prob, pairs.astype(np.float64), r_max)


def nonperiodic_s2_map(ind: np.ndarray) -> tuple:
    """S2 of an (H, W) indicator at every displacement, without wrapping: the pair sums of
    its zero-padded autocorrelation over the pair counts. Returns both (2H, 2W) grids,
    displacement (0, 0) at [H, W]; the probability is 0 where no pair fits."""
    h, w = ind.shape
    shape = (2 * h, 2 * w)
    f = fft.rfft2(ind, s=shape)
    auto = np.fft.fftshift(fft.irfft2(f * np.conj(f), s=shape))
    dy = np.abs(np.arange(shape[0]) - h)
    dx = np.abs(np.arange(shape[1]) - w)
    pairs = np.clip(h - dy, 0, None)[:, None] * np.clip(w - dx, 0, None)[None, :]
    with np.errstate(invalid="ignore", divide="ignore"):
        prob = np.where(pairs > 0, auto / np.maximum(pairs, 1), 0.0)
    return prob, pairs


def lineal_path(image, phase=1, *, periodic=False, r_max=None) -> np.ndarray:
    """Lineal-path function L(r) of one phase, averaged over the x and y directions.

    L(r) is the probability that a whole segment of length r (r + 1 pixels) dropped at random
    along x or y lies in ``phase``.

    Parameters
    ----------
    image : array-like of shape (H, W)
    phase : int, default=1
    periodic : bool, default=False
        Wrap segments around the image edges; otherwise only segments that fit are counted.
    r_max : int, optional
        Largest length; ``min(H, W) // 2`` by default.

    Returns
    -------
    ndarray of shape (r_max + 1,)
        L at r = 0, ..., r_max; ``L[0]`` is the volume fraction.
    """
    ind = _indicator(image, phase).astype(bool)
    r_max = _default_r_max(ind.shape, r_max)
    out = np.zeros(r_max + 1)
    for grid in (ind, ind.T):
        n = grid.shape[1]
        if r_max >= n:
            raise ValueError(f"r_max={r_max} must be smaller than the image side {n}.")
        out += line_runs(grid, r_max, periodic)
    return out / 2.0


def line_runs(lines: np.ndarray, r_max: int, periodic: bool) -> np.ndarray:
    """Fraction of segments of r + 1 cells along the rows of boolean ``lines`` that are all
    True, r = 0 .. r_max (segments wrap around when ``periodic``, else only those that fit)."""
    out = np.empty(r_max + 1)
    run = lines.copy()
    out[0] = run.mean()
    for r in range(1, r_max + 1):
        run = run & np.roll(lines, -r, axis=1) if periodic else run[:, :-1] & lines[:, r:]
        out[r] = run.mean()
    return out


def error_rate(original, reconstructed) -> float:
    """The error rate of Li et al. (2018): 100 x area between curves / area under the original.

    Both curves are sampled at r = 0, 1, 2, ...; the longer one is cut to the shorter's length.
    Areas use the trapezoidal rule.

    Parameters
    ----------
    original, reconstructed : array-like of shape (n_r,)

    Returns
    -------
    float
        Error in percent.
    """
    a = np.asarray(original, dtype=np.float64).ravel()
    b = np.asarray(reconstructed, dtype=np.float64).ravel()
    n = min(a.size, b.size)
    if n < 2:
        raise ValueError("error_rate needs curves with at least two points.")
    a, b = a[:n], b[:n]
    area = np.trapezoid(np.abs(a), dx=1.0)
    if area == 0:
        raise ValueError("The original curve has zero area; the error rate is undefined.")
    return float(100.0 * np.trapezoid(np.abs(a - b), dx=1.0) / area)
