"""Descriptors of 3-D label volumes: S2 and lineal path along each axis, and the 2-D
descriptors of a volume's slices (what a 3-D reconstruction from 2-D images must match)."""

from __future__ import annotations

import numpy as np
from scipy import fft

from ._correlation import error_rate, line_runs, lineal_path, two_point_correlation


def _volume_indicator(volume, phase) -> np.ndarray:
    volume = np.asarray(volume)
    if volume.ndim != 3:
        raise ValueError(
            f"Expected a 3-D label volume (D, H, W), got an array of shape {volume.shape}; "
            "use two_point_correlation / lineal_path for 2-D images."
        )
    if volume.dtype == bool and phase in (True, 1):
        return volume
    return volume == phase


def _axis_r_max(n: int, r_max) -> int:
    if r_max is None:
        return n // 2
    r_max = int(r_max)
    if not 0 <= r_max < n:
        raise ValueError(f"r_max must be in [0, {n - 1}] for an axis of {n} voxels, got {r_max}.")
    return r_max


def axial_two_point_correlation(volume, phase=1, *, axis, periodic=True, r_max=None):
    """S2(r) along one axis of a volume: the probability that two voxels r apart along
    ``axis`` both lie in ``phase``.

    Parameters
    ----------
    volume : array-like of shape (D, H, W)
        Label volume (or boolean indicator).
    phase : int, default=1
        The phase whose indicator is correlated.
    axis : {0, 1, 2}
        Direction of the displacement.
    periodic : bool, default=True
        Periodic boundaries; when False only pairs inside the volume count (each r divided by
        its number of pairs).
    r_max : int, optional
        Largest displacement; half the axis length by default.

    Returns
    -------
    ndarray of shape (r_max + 1,)
        S2 at r = 0 ... r_max; ``S2[0]`` is the volume fraction.
    """
    ind = np.moveaxis(_volume_indicator(volume, phase), axis, -1).astype(np.float64)
    n = ind.shape[-1]
    r_max = _axis_r_max(n, r_max)
    lines = ind.reshape(-1, n)
    size = n if periodic else 2 * n
    f = fft.rfft(lines, n=size, axis=-1)
    auto = fft.irfft((f * np.conj(f)).mean(0), n=size)[: r_max + 1]
    pairs = np.full(r_max + 1, float(n)) if periodic else n - np.arange(r_max + 1.0)
    return auto / pairs


def axial_lineal_path(volume, phase=1, *, axis, periodic=False, r_max=None):
    """L(r) along one axis: the probability that a segment of r + 1 voxels along ``axis``
    lies wholly in ``phase``.

    Parameters
    ----------
    volume : array-like of shape (D, H, W)
    phase : int, default=1
    axis : {0, 1, 2}
        Direction of the segments.
    periodic : bool, default=False
        Wrap segments around the volume; otherwise only segments that fit count.
    r_max : int, optional
        Largest length; half the axis length by default.

    Returns
    -------
    ndarray of shape (r_max + 1,)
    """
    ind = np.moveaxis(_volume_indicator(volume, phase), axis, -1)
    n = ind.shape[-1]
    r_max = _axis_r_max(n, r_max)
    return line_runs(ind.reshape(-1, n), r_max, periodic)


def slice_curves(volume, phase=1, *, descriptor="s2", axis=0, **kwargs):
    """The 2-D descriptor of the slices normal to ``axis``, averaged over the slices.

    Parameters
    ----------
    volume : array-like of shape (D, H, W)
    phase : int, default=1
    descriptor : {"s2", "lineal_path"}
        :func:`two_point_correlation` (radially averaged in the slice plane) or
        :func:`lineal_path` (along the slice's two in-plane axes).
    axis : {0, 1, 2}
        Slices normal to axis 0 are (H, W) images, to axis 1 (D, W), to axis 2 (D, H).
    **kwargs
        Passed to the descriptor (``periodic``, ``r_max``).

    Returns
    -------
    ndarray of shape (r_max + 1,)
    """
    ind = _volume_indicator(volume, phase)
    funcs = {"s2": two_point_correlation, "lineal_path": lineal_path}
    if descriptor not in funcs:
        raise ValueError(f"descriptor must be one of {sorted(funcs)}, got {descriptor!r}.")
    slices = np.moveaxis(ind, axis, 0)
    return np.mean([funcs[descriptor](s, True, **kwargs) for s in slices], axis=0)


def slice_error_rates(volume, examples, descriptor="s2", phase=1, **kwargs) -> np.ndarray:
    """Error rate of the slices normal to each axis against that axis's example.

    Parameters
    ----------
    volume : array-like of shape (D, H, W)
    examples : array-like of shape (H, W), or a sequence of one or three 2-D images
        One example serves every axis; three are the planes normal to axes 0, 1 and 2, of
        shapes (H, W), (D, W) and (D, H).
    descriptor : {"s2", "lineal_path"}
    phase : int, default=1
    **kwargs
        Passed to the descriptor (``periodic``, ``r_max``).

    Returns
    -------
    ndarray of shape (3,)
        :func:`error_rate` in percent of axis 0, 1 and 2: the example's curve against
        :func:`slice_curves` of the volume.
    """
    funcs = {"s2": two_point_correlation, "lineal_path": lineal_path}
    if descriptor not in funcs:
        raise ValueError(f"descriptor must be one of {sorted(funcs)}, got {descriptor!r}.")
    examples = [examples] if np.ndim(examples) == 2 else list(examples)
    if len(examples) not in (1, 3):
        raise ValueError(f"Give one example or three (one per axis), got {len(examples)}.")
    per_axis = examples * 3 if len(examples) == 1 else examples
    return np.array([
        error_rate(
            funcs[descriptor](per_axis[a], phase, **kwargs),
            slice_curves(np.asarray(volume) == phase, True, descriptor=descriptor, axis=a,
                         **kwargs),
        )
        for a in range(3)
    ])
