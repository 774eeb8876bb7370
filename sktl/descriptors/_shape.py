"""Shape measures of labelled microstructures: chord lengths along several directions and the
dominant orientation (structure tensor), with their errors between an original and its
reconstructions. Connectivity and percolation live in ``_connectivity.py``.

Directions are steps in array indices, (axis 0, axis 1): x is image axis 0 (the row index,
down the rows as displayed) and y is axis 1 (the column index), as in the CNN regressors'
``target_symmetry`` and :func:`sktl.datasets.make_stiffness`; ``(1, 0)`` is x and ``(0, 1)``
is y."""

from __future__ import annotations

import math
import numbers

import numpy as np
from scipy import ndimage

DIRECTIONS_2D = ((1, 0), (0, 1), (1, 1), (1, -1))  # x (axis 0), y (axis 1), the diagonals
DIRECTIONS_3D = ((1, 0, 0), (0, 1, 0), (0, 0, 1))


def phase_indicator(image, phase, *, ndims=(2, 3), require_phase=True) -> np.ndarray:
    """The boolean indicator of ``phase`` in a label image, after checking the image.

    Label images hold integer phase labels (or bools); a 2-D image has shape (H, W), a 3-D
    volume (D, H, W). ``require_phase`` refuses a phase the image does not hold.
    """
    image = np.asarray(image)
    if image.ndim not in ndims:
        want = " or ".join(("(H, W)", "(D, H, W)")[d - 2] for d in ndims)
        raise ValueError(
            f"Expected a label image of shape {want}, got an array of shape {image.shape}."
        )
    if image.size == 0:
        raise ValueError(f"The label image is empty (shape {image.shape}).")
    if image.dtype.kind not in "biuf":
        raise ValueError(f"Expected integer phase labels, got an array of dtype {image.dtype}.")
    if image.dtype.kind == "f":
        bad = ~np.isfinite(image) | (image != np.round(image))
        if bad.any():
            raise ValueError(
                "Expected a label image (integer phase labels); found non-label values such as "
                f"{image[bad][:3].tolist()}. Threshold or quantise grey-level images first."
            )
    if not (isinstance(phase, numbers.Real) and float(phase).is_integer()):
        raise ValueError(f"phase must be an integer label, got {phase!r}.")
    ind = image == phase
    if require_phase and not ind.any():
        raise ValueError(
            f"Unknown phase {phase!r}: the image holds the labels {np.unique(image)[:10].tolist()}."
        )
    return ind


def _directions(ndim, directions):
    allowed = DIRECTIONS_2D if ndim == 2 else DIRECTIONS_3D
    if directions is None:
        return allowed
    out = []
    for d in directions:
        d = tuple(int(v) for v in np.ravel(d))
        if d not in allowed:
            raise ValueError(
                f"Unknown direction {d} for a {ndim}-D image; choose among {list(allowed)}."
            )
        out.append(d)
    if not out:
        raise ValueError("directions is empty.")
    return tuple(dict.fromkeys(out))


def _lines(ind, direction, periodic):
    """(lines, lengths): the lines of ``ind`` along ``direction`` as rows of a boolean array
    (padded with False beyond each line's length) and each line's length."""
    if ind.ndim == 3 or 0 in direction:
        axis = int(np.flatnonzero(direction)[0])
        lines = np.moveaxis(ind, axis, -1).reshape(-1, ind.shape[axis])
        return lines, np.full(len(lines), lines.shape[1])
    h, w = ind.shape
    src = ind if direction == (1, 1) else ind[:, ::-1]  # (1, -1) is (1, 1) of the mirror image
    if periodic:  # the orbits of (y, x) -> (y + 1, x + 1) on the torus: gcd(h, w) of lcm(h, w)
        g = math.gcd(h, w)
        k = np.arange(h * w // g)
        lines = src[k % h, (np.arange(g)[:, None] + k) % w]
        return lines, np.full(g, lines.shape[1])
    offsets = np.arange(-(h - 1), w)
    r0, c0 = np.maximum(0, -offsets), np.maximum(0, offsets)
    lengths = np.minimum(h - r0, w - c0)
    k = np.arange(min(h, w))
    rows, cols = r0[:, None] + k, c0[:, None] + k
    valid = k < lengths[:, None]
    lines = np.where(valid, src[np.minimum(rows, h - 1), np.minimum(cols, w - 1)], False)
    return lines, lengths


def chord_lengths(ind, direction, periodic) -> np.ndarray:
    """Lengths in pixels of the chords (maximal runs of True) of ``ind`` along ``direction``.

    Non-periodic: chords that touch an end of their line are cut by the image and dropped.
    Periodic: lines wrap around; a line wholly in the phase is one chord of its length.
    """
    lines, lengths = _lines(ind, direction, periodic)
    m, n = lines.shape
    if periodic:  # start every line at its first False, so that no chord wraps past its end
        shift = np.argmin(lines, axis=1)
        lines = np.take_along_axis(lines, (np.arange(n) + shift[:, None]) % n, axis=1)
    padded = np.zeros((m, n + 2), np.int8)
    padded[:, 1:-1] = lines
    step = np.diff(padded, axis=1)
    row, start = np.nonzero(step == 1)
    _, end = np.nonzero(step == -1)  # row-major order: each row's starts and ends pair up
    if not periodic:
        keep = (start > 0) & (end < lengths[row])
        start, end = start[keep], end[keep]
    return end - start


def chord_length_distribution(image, phase=1, *, directions=None, periodic=False, r_max=None):
    """Chord-length distribution of one phase along several directions.

    A chord is a maximal run of pixels of ``phase`` along a line of the image. The
    distribution is the share of the chords (by number, Torquato's definition, as
    ``porespy.metrics.chord_length_distribution``) that are n pixels long.

    Parameters
    ----------
    image : array-like of shape (H, W) or (D, H, W)
        Label image or volume (integer labels or bool).
    phase : int, default=1
        The phase whose chords are measured.
    directions : sequence of tuple, optional
        Steps between consecutive pixels of a line, in array indices (axis 0, axis 1): in 2-D
        ``(1, 0)`` (along x, image axis 0: the lines are the array's columns), ``(0, 1)``
        (along y, axis 1: the lines are its rows), ``(1, 1)`` and ``(1, -1)`` (the two
        diagonals, +x+y and +x-y); in 3-D ``(1, 0, 0)``, ``(0, 1, 0)`` and ``(0, 0, 1)`` (axes
        0, 1 and 2). All of them by default. A diagonal chord of n pixels spans n sqrt(2) pixel
        widths.
    periodic : bool, default=False
        Lines wrap around the image edges (a line wholly in ``phase`` is one chord of its
        length). When False, chords that touch the image's edge along their line are cut by
        the image and are dropped, as ``porespy.filters.apply_chords(trim_edges=True)`` does.
    r_max : int, optional
        Longest chord length of the distribution, in pixels; longer chords are counted at
        ``r_max``. The largest side of the image by default.

    Returns
    -------
    dict
        ``{direction: ndarray of shape (r_max + 1,)}``: the share of the chords that are
        n = 0, 1, ..., r_max pixels long (entry 0 is 0). All zeros where there is no chord.

    Examples
    --------
    >>> import numpy as np
    >>> from sktl.descriptors import chord_length_distribution
    >>> image = np.zeros((5, 8), int)
    >>> image[:, 2:5] = 1  # a band along x (axis 0), 3 pixels wide: across it along y
    >>> cld = chord_length_distribution(image, directions=[(0, 1)])
    >>> int(np.argmax(cld[(0, 1)]))
    3
    """
    ind = phase_indicator(image, phase)
    r_max = max(ind.shape) if r_max is None else int(r_max)
    if r_max < 1:
        raise ValueError(f"r_max must be >= 1, got {r_max}.")
    return _distributions(ind, _directions(ind.ndim, directions), periodic, r_max)


def _distributions(ind, directions, periodic, r_max):
    out = {}
    for d in directions:
        counts = np.bincount(
            np.minimum(chord_lengths(ind, d, periodic), r_max), minlength=r_max + 1
        ).astype(np.float64)
        out[d] = counts / counts.sum() if counts.sum() else counts
    return out


def _stack(original, reconstructions):
    original = np.asarray(original)
    recs = np.asarray(reconstructions)
    if recs.ndim == original.ndim:
        recs = recs[None]
    if recs.ndim != original.ndim + 1:
        raise ValueError(
            f"reconstructions must be one {original.ndim}-D image like the original or a stack "
            f"of them, got an array of shape {recs.shape}."
        )
    return original, recs


def chord_length_error_rates(
    original, reconstructions, phase=1, *, directions=None, periodic=False, r_max=None
) -> dict:
    """Error rate of the chord-length distributions of reconstructions, per direction.

    The error rate of Li et al. (2018) (:func:`error_rate`: 100 x area between the curves /
    area under the original's) applied to the survival functions P(chord > n): this is 100 x
    the Wasserstein-1 distance between the two chord-length distributions over the original's
    mean chord length. Short, broken fibres in place of long ones show here, where S2 and the
    lineal path along x and y (the two image axes) hardly move.

    Parameters
    ----------
    original : array-like of shape (H, W) or (D, H, W)
        The reference label image (it must hold ``phase``).
    reconstructions : array-like
        One reconstruction of the original's number of dimensions, (H', W') or (D', H', W'),
        or a stack of them, (n, H', W') or (n, D', H', W').
    phase : int, default=1
        The phase whose chords are compared.
    directions : sequence of tuple, optional
        As in :func:`chord_length_distribution`; all of them by default.
    periodic : bool, default=False
        As in :func:`chord_length_distribution`, for the original and the reconstructions.
    r_max : int, optional
        Longest chord length compared; the largest side of any of the images by default.

    Returns
    -------
    dict
        ``{direction: ndarray of shape (n,)}``: error rates in percent, one per
        reconstruction (0: the same distribution; 100: no chord at all). NaN along a
        direction in which the original has no chord (none that the image does not cut,
        when not ``periodic``).
    """
    original, recs = _stack(original, reconstructions)
    phase_indicator(original, phase)
    if r_max is None:
        r_max = max(max(original.shape), max(recs.shape[1:]))
    ref = chord_length_distribution(
        original, phase, directions=directions, periodic=periodic, r_max=r_max
    )
    survival = {d: 1.0 - np.cumsum(p) for d, p in ref.items()}
    out = {d: np.empty(len(recs)) for d in ref}
    for i, rec in enumerate(recs):
        ind = phase_indicator(rec, phase, ndims=(original.ndim,), require_phase=False)
        for d, q in _distributions(ind, list(ref), periodic, r_max).items():
            if not ref[d].any():  # no chord to compare with
                out[d][i] = np.nan
                continue
            s_q = 1.0 - np.cumsum(q) if q.any() else np.zeros_like(q)
            out[d][i] = 100.0 * np.abs(survival[d] - s_q).sum() / survival[d].sum()
    return out


def orientation(image, phase=1, *, periodic=False, sigma=1.0):
    """Dominant orientation and coherence of one phase, from the structure tensor.

    The structure tensor ``J = mean(grad(m) grad(m)^T)`` of the phase indicator ``m``
    (Gaussian derivatives of scale ``sigma``) is averaged over the whole image. Its leading
    eigenvector is the mean normal of the interfaces; the structures run across it.

    Parameters
    ----------
    image : array-like of shape (H, W)
        Label image (integer labels or bool).
    phase : int, default=1
        The phase whose indicator is analysed (in a two-phase image, either phase gives the
        same answer).
    periodic : bool, default=False
        Gradients wrap around the image edges. Leave False for crops of a larger field:
        wrapping them adds the seams between opposite edges as interfaces.
    sigma : float, default=1.0
        Scale of the Gaussian derivatives, in pixels; larger values smooth the pixel
        staircase of oblique interfaces.

    Returns
    -------
    angle : float
        Orientation of the structures in degrees, in [0, 180): the angle ``a`` of their
        direction ``(-sin a, cos a)`` in array indices (axis 0, axis 1), i.e. measured from y
        (axis 1, direction (0, 1)) turning towards -x (decreasing row index, direction
        (-1, 0)). As ``imshow`` displays the image (row 0 on top), that is counter-clockwise
        from the horizontal: 0 for lamellae along y (``image[i, j]`` depends on ``i`` only;
        horizontal), 90 for lamellae along x (``image[i, j]`` depends on ``j`` only;
        vertical), 45 along direction (-1, 1) (rising to the right), 135 along (1, 1). NaN
        where the phase has no interface.
    coherence : float
        ``(l1 - l2) / (l1 + l2)`` of the tensor's eigenvalues, in [0, 1]: 1 for straight
        parallel interfaces, near 0 for isotropic structures (or where no direction
        dominates, as in lamellar grains of several orientations).

    Examples
    --------
    >>> import numpy as np
    >>> from sktl.descriptors import orientation
    >>> lamellae = (np.arange(32) // 4 % 2)[None, :].repeat(32, axis=0)  # along x: vertical
    >>> angle, coherence = orientation(lamellae)
    >>> round(angle), round(coherence, 2)
    (90, 1.0)
    """
    return _orientation(phase_indicator(image, phase, ndims=(2,)), periodic, sigma)


def _orientation(ind, periodic, sigma):
    if not (isinstance(sigma, numbers.Real) and np.isfinite(sigma) and sigma > 0):
        raise ValueError(f"sigma must be a positive number of pixels, got {sigma!r}.")
    ind = ind.astype(np.float64)
    mode = "wrap" if periodic else "nearest"
    g_x = ndimage.gaussian_filter(ind, sigma, order=(1, 0), mode=mode)  # along axis 0
    g_y = ndimage.gaussian_filter(ind, sigma, order=(0, 1), mode=mode)  # along axis 1
    # angles in the display's frame: u = y (axis 1, rightwards), v = -x (up the rows)
    g_u, g_v = g_y, -g_x
    juu, jvv, juv = np.mean(g_u * g_u), np.mean(g_v * g_v), np.mean(g_u * g_v)
    trace = juu + jvv
    if trace <= 1e-12:
        return float("nan"), 0.0
    coherence = float(np.hypot(juu - jvv, 2 * juv) / trace)
    normal = 0.5 * np.degrees(np.arctan2(2 * juv, juu - jvv))  # from u towards v
    return float((normal + 90.0) % 180.0), min(coherence, 1.0)


def orientation_errors(original, reconstructions, phase=1, *, periodic=False, sigma=1.0) -> dict:
    """Orientation and coherence differences between an original and its reconstructions.

    Parameters
    ----------
    original : array-like of shape (H, W)
        The reference label image (it must hold ``phase``).
    reconstructions : array-like of shape (H', W') or (n, H', W')
        One reconstruction or a stack of them.
    phase : int, default=1
        The phase whose orientation is compared.
    periodic : bool, default=False
        As in :func:`orientation`.
    sigma : float, default=1.0
        As in :func:`orientation`.

    Returns
    -------
    dict
        ``{"angle": ndarray of shape (n,), "coherence": ndarray of shape (n,)}``: the angle
        between the dominant orientations in degrees, in [0, 90] (NaN where either has no
        interface; it means little where the original's coherence is low), and the absolute
        difference of the coherences, in [0, 1].
    """
    original, recs = _stack(original, reconstructions)
    a0, c0 = orientation(original, phase, periodic=periodic, sigma=sigma)
    angles, coherences = np.empty(len(recs)), np.empty(len(recs))
    for i, rec in enumerate(recs):
        ind = phase_indicator(rec, phase, ndims=(2,), require_phase=False)
        a, c = _orientation(ind, periodic, sigma)
        diff = abs(a - a0) % 180.0
        angles[i], coherences[i] = min(diff, 180.0 - diff), abs(c - c0)
    return {"angle": angles, "coherence": coherences}
