"""Shape measures: chord lengths, orientation, connectivity and their errors, against direct
counting, exact answers, scipy.ndimage.label and PoreSpy (skipped where PoreSpy is absent)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from sktl.descriptors import (
    chord_length_distribution,
    chord_length_error_rates,
    connectivity,
    connectivity_errors,
    orientation,
    orientation_errors,
)

# ---------------------------------------------------------------------------- references


def _walk_chords(ind, step, periodic):
    """Chord lengths by walking from every chord's first pixel, one pixel at a time; on a
    periodic image, lines wholly in the phase (no first pixel) are one chord each."""
    shape, step = np.array(ind.shape), np.array(step)
    lengths = []
    if periodic:
        seen = np.zeros(ind.shape, bool)
        for p in map(np.array, np.ndindex(ind.shape)):
            q, line = p.copy(), []
            while not seen[tuple(q)] and ind[tuple(q)]:
                seen[tuple(q)] = True
                line.append(q)
                q = (q + step) % shape
            if line and np.array_equal(q, p):
                lengths.append(len(line))
        # every other chord is found from its first pixel below
    for p in map(np.array, np.ndindex(ind.shape)):
        prev = p - step
        inside = np.all((prev >= 0) & (prev < shape))
        if not ind[tuple(p)] or (periodic and ind[tuple(prev % shape)]):
            continue
        if not periodic and inside and ind[tuple(prev)]:
            continue
        n, q = 0, p.copy()
        while True:
            n += 1
            q = q + step
            if periodic:
                q %= shape
            elif not np.all((q >= 0) & (q < shape)):
                break
            if not ind[tuple(q)]:
                break
        if not periodic and (not inside or not np.all((q >= 0) & (q < shape))):
            continue  # cut by the image
        lengths.append(n)
    return np.array(lengths, int)


def _pmf(lengths, r_max):
    counts = np.bincount(np.minimum(lengths, r_max), minlength=r_max + 1).astype(float)
    return counts / counts.sum()


def _lamellae(theta, n=128, period=10):
    """Straight lamellae along (-sin theta, cos theta) in (axis 0, axis 1): ``theta`` degrees
    from y (axis 1) towards -x, counter-clockwise from the horizontal as displayed."""
    t = np.radians(theta)
    row, col = np.mgrid[:n, :n]
    return ((-col * np.sin(t) - row * np.cos(t)) % period < period / 2).astype(np.int64)


def _blobs(seed, shape=(128, 128), sigma=3.0, level=0.0):
    field = ndimage.gaussian_filter(np.random.default_rng(seed).standard_normal(shape), sigma)
    return (field > level).astype(np.int64)


def _periodic_cluster_sizes(ind):
    """Cluster sizes on the torus by a union-find over pixels (face neighbours wrap)."""
    flat = ind.ravel()
    parent = np.arange(flat.size)

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    index = np.arange(flat.size).reshape(ind.shape)
    for axis in range(ind.ndim):
        nb = np.roll(index, -1, axis=axis).ravel()
        for a, b in zip(index.ravel(), nb):
            if flat[a] and flat[b]:
                parent[find(a)] = find(b)
    roots = [find(x) for x in np.flatnonzero(flat)]
    return np.unique(roots, return_counts=True)[1]


# ---------------------------------------------------------------------------- chords


@pytest.mark.parametrize("periodic", [False, True])
@pytest.mark.parametrize("shape", [(9, 13), (12, 8)])
def test_chords_match_walking_every_direction(shape, periodic):
    img = np.random.default_rng(sum(shape)).integers(0, 3, shape)
    for phase in (0, 2):
        cld = chord_length_distribution(img, phase, periodic=periodic, r_max=20)
        assert list(cld) == [(1, 0), (0, 1), (1, 1), (1, -1)]  # x (axis 0), y, diagonals
        for d, got in cld.items():
            want = _walk_chords(img == phase, d, periodic)
            np.testing.assert_allclose(got, _pmf(want, 20), err_msg=str(d))


@pytest.mark.parametrize("periodic", [False, True])
def test_chords_of_a_volume_match_walking_each_axis(periodic):
    vol = np.random.default_rng(1).random((6, 7, 9)) < 0.6
    cld = chord_length_distribution(vol, periodic=periodic)
    assert set(cld) == {(1, 0, 0), (0, 1, 0), (0, 0, 1)}
    for d, got in cld.items():
        np.testing.assert_allclose(got, _pmf(_walk_chords(vol, d, periodic), 9))


def test_chords_exact_answers():
    # bands along x (axis 0) 3 px wide with a period of 8: along y (0, 1) every chord is 3 px,
    # along x (1, 0) the bands are cut by the image (none kept) unless the image is periodic
    # (one chord per line)
    img = np.tile((np.arange(32) % 8 < 3).astype(int), (16, 1))
    cld = chord_length_distribution(img, directions=[(0, 1), (1, 0)])
    assert cld[(0, 1)][3] == 1.0 and not cld[(1, 0)].any()
    periodic = chord_length_distribution(img, directions=[(1, 0)], periodic=True)
    assert periodic[(1, 0)][16] == 1.0
    # longer chords than r_max are counted at r_max; a diagonal crosses a band in 3 pixels
    assert chord_length_distribution(img, directions=[(0, 1)], r_max=2)[(0, 1)][2] == 1.0
    diag = chord_length_distribution(img, directions=[(1, 1), (1, -1)])
    assert all(p[3] == 1.0 for p in diag.values())


def _porespy():
    return pytest.importorskip("porespy", reason="PoreSpy (the bench extra) is not installed")


def _porespy_run_lengths(ind, axis):
    """Chords from PoreSpy's run lengths (distance_transform_lin, "forward": the length of the
    run that ends at each pixel), read at each run's last pixel; runs cut by the image dropped."""
    ps = _porespy()
    run = np.moveaxis(
        ps.filters.distance_transform_lin(ind.astype(int), axis=axis, mode="forward"), axis, -1
    )
    lines = np.moveaxis(ind, axis, -1)
    ends = lines[..., :-1] & ~lines[..., 1:]  # a run ends here, inside the image
    starts = np.arange(lines.shape[-1] - 1) - run[..., :-1] + 1
    return run[..., :-1][ends & (starts > 0)]


@pytest.mark.parametrize("shape", [(64, 61), (48, 40), (20, 24, 22)])
def test_chords_agree_with_porespy_run_lengths(shape):
    for ind in (_blobs(len(shape), shape, 1.5) == 1, _blobs(len(shape), shape, 1.5) == 0):
        for axis in range(ind.ndim):
            direction = tuple(int(a == axis) for a in range(ind.ndim))
            got = chord_length_distribution(ind, directions=[direction], r_max=80)[direction]
            np.testing.assert_allclose(got, _pmf(_porespy_run_lengths(ind, axis), 80))


@pytest.mark.filterwarnings("ignore:`RegionProperties.filled_area` is deprecated:FutureWarning")
@pytest.mark.parametrize("shape", [(64, 61), (20, 24, 22)])
def test_chords_agree_with_porespy_apply_chords(shape):
    ps = _porespy()
    ind = _blobs(0, shape, 1.5).astype(bool)
    for axis in range(ind.ndim):
        # apply_chords draws chords on every other line (spacing=1) and drops those that touch
        # any face of the sampled image: pad the other axes with an empty line on each side,
        # so that only the chords cut along their own line are dropped
        pad = [(0, 0) if a == axis else (1, 2 - ind.shape[a] % 2) for a in range(ind.ndim)]
        padded = np.pad(ind, pad)
        chords = ps.filters.apply_chords(padded, spacing=1, axis=axis)
        # PoreSpy labels the sampled lines with cc3d's 8-connected binary labelling in 2-D,
        # which in cc3d 4.1.1 marks some background pixels of some images (not this one)
        assert not (chords & ~padded).any(), "PoreSpy's chords leave the phase (cc3d labelling)"
        sampled = ind[
            tuple(slice(None) if a == axis else slice(1, None, 2) for a in range(ind.ndim))
        ]
        direction = tuple(int(a == axis) for a in range(ind.ndim))
        got = chord_length_distribution(sampled, directions=[direction], r_max=80)[direction]
        np.testing.assert_allclose(got, _pmf(ps.metrics.chord_counts(chords), 80))
        # PoreSpy's distribution with one bin per length is the same pmf
        pdf = ps.metrics.chord_length_distribution(chords, bins=None).pdf
        np.testing.assert_allclose(got[: len(pdf)], pdf)


def test_chord_length_error_rates():
    img = np.tile((np.arange(64) % 8 < 4).astype(int), (64, 1))  # bands along x, 4 px wide
    # (the bands cross the image along x: no chord the image does not cut there)
    same = chord_length_error_rates(img, np.stack([img, img]), directions=[(0, 1), (1, 1)])
    assert all(e.shape == (2,) and np.all(e == 0) for e in same.values())
    wide = np.tile((np.arange(64) % 12 < 6).astype(int), (64, 1))  # 6 px wide
    err = chord_length_error_rates(img, wide, directions=[(0, 1)])[(0, 1)]
    # 100 x Wasserstein-1 (|6 - 4| px) / the original's mean chord (4 px)
    assert err[0] == pytest.approx(50.0)
    # fibres broken into short pieces: a large error along the fibres, little across them
    fibres = np.zeros((64, 64), int)
    fibres[::8, 4:60] = 1
    broken = fibres.copy()
    broken[:, ::7] = 0
    errs = chord_length_error_rates(fibres, broken, directions=[(0, 1), (1, 0)])
    assert errs[(0, 1)][0] > 50 and errs[(1, 0)][0] == 0
    # no chord in the original along a direction: undefined there, not elsewhere
    undefined = chord_length_error_rates(img, img)
    assert np.isnan(undefined[(1, 0)][0]) and undefined[(0, 1)][0] == 0


# ---------------------------------------------------------------------------- orientation


@pytest.mark.parametrize("theta", [0, 10, 30, 45, 60, 90, 120, 135, 170])
def test_orientation_of_lamellae(theta):
    angle, coherence = orientation(_lamellae(theta))
    diff = abs(angle - theta) % 180
    assert min(diff, 180 - diff) < 1.0 and coherence > 0.9
    # either phase of a two-phase image gives the same answer
    assert orientation(_lamellae(theta), 0) == pytest.approx((angle, coherence))


def test_orientation_reference_in_array_axes():
    """0 along y (axis 1), 90 along x (axis 0), 45 along (-1, 1), 135 along (1, 1)."""
    i, j = np.indices((64, 64))
    for stripes, want in [(i, 0), (j, 90), (i + j, 45), (i - j, 135)]:
        angle, coherence = orientation((stripes // 4) % 2, sigma=1.5)
        diff = abs(angle - want) % 180
        assert min(diff, 180 - diff) < 1.0 and coherence > 0.9, (want, angle)


def test_orientation_of_isotropic_and_elongated_blobs():
    for seed in range(3):
        _, coherence = orientation(_blobs(seed, (128, 128)))
        assert coherence < 0.1
    rng = np.random.default_rng(0)
    stretched = ndimage.gaussian_filter(rng.standard_normal((128, 128)), (2, 8)) > 0  # along y
    angle, coherence = orientation(stretched, sigma=1.5)
    assert min(angle, 180 - angle) < 5 and 0.3 < coherence < 0.95
    assert np.isnan(orientation(np.eye(4, dtype=bool) | True)[0])  # no interface


def test_orientation_errors():
    ref = _lamellae(30)
    errs = orientation_errors(ref, np.stack([_lamellae(30), _lamellae(160), _blobs(0)]))
    np.testing.assert_allclose(errs["angle"][:2], [0, 50], atol=1.5)
    assert errs["coherence"][0] == 0 and errs["coherence"][2] > 0.8
    assert errs["angle"].shape == errs["coherence"].shape == (3,)


# ---------------------------------------------------------------------------- connectivity


@pytest.mark.parametrize("shape, p", [((40, 50), 0.59), ((12, 14, 16), 0.31)])
def test_connectivity_matches_scipy_label(shape, p):
    for seed in range(4):
        ind = np.random.default_rng(seed).random(shape) < p
        labels, n = ndimage.label(ind)
        sizes = np.bincount(labels.ravel())[1:]
        c = connectivity(ind.astype(int))
        assert c["n_clusters"] == n
        assert c["largest_cluster_fraction"] == pytest.approx(sizes.max() / ind.sum())
        for axis, got in enumerate(c["percolates"]):
            ends = np.intersect1d(np.take(labels, 0, axis), np.take(labels, -1, axis))
            assert got == bool((ends > 0).any())


@pytest.mark.parametrize("shape, p", [((40, 50), 0.59), ((12, 14, 16), 0.31)])
def test_percolation_agrees_with_porespy(shape, p):
    ps = _porespy()
    for seed in range(4):
        ind = np.random.default_rng(seed).random(shape) < p
        got = connectivity(ind)["percolates"]
        want = [ps.filters.trim_nonpercolating_paths(ind, axis=a).any() for a in range(ind.ndim)]
        assert list(got) == want
        sizes = ps.filters.region_size(ind)  # each pixel's cluster size, face connectivity
        assert connectivity(ind)["largest_cluster_fraction"] == pytest.approx(
            sizes.max() / ind.sum()
        )


@pytest.mark.parametrize("shape, p", [((17, 20), 0.55), ((7, 8, 9), 0.3)])
def test_periodic_clusters_match_a_union_find_on_the_torus(shape, p):
    for seed in range(3):
        ind = np.random.default_rng(seed).random(shape) < p
        sizes = _periodic_cluster_sizes(ind)
        c = connectivity(ind, periodic=True)
        assert c["n_clusters"] == len(sizes)
        assert c["largest_cluster_fraction"] == pytest.approx(sizes.max() / ind.sum())


def test_periodic_percolation_is_winding():
    n = 16
    img = np.zeros((n, n), int)
    img[5, :] = 1  # a row of the array: winds along y (axis 1) only
    assert connectivity(img, periodic=True)["percolates"] == (False, True)
    diag = np.zeros((n, n), int)
    idx = np.arange(n)
    diag[idx, idx] = diag[idx, (idx + 1) % n] = 1  # a staircase winding along both axes
    assert connectivity(diag, periodic=True)["percolates"] == (True, True)
    assert connectivity(diag)["percolates"] == (True, True)
    # joins the top and bottom faces, but the ends do not meet across the seam
    bent = np.zeros((n, n), int)
    bent[:8, 2] = bent[7, 2:11] = bent[7:, 10] = 1
    assert connectivity(bent)["percolates"] == (True, False)
    assert connectivity(bent, periodic=True)["percolates"] == (False, False)
    # a U that leaves through the bottom face and comes back through it: not winding
    u = np.zeros((n, n), int)
    u[10:, 3] = u[10:, 8] = u[:3, 3:9] = 1
    c = connectivity(u, periodic=True)
    assert c["n_clusters"] == 1 and c["percolates"] == (False, False)
    assert connectivity(u)["n_clusters"] == 3
    # 3-D: a column along axis 0 winds along axis 0 only
    vol = np.zeros((6, 6, 6), int)
    vol[:, 2, 3] = 1
    assert connectivity(vol, periodic=True)["percolates"] == (True, False, False)


def test_connectivity_errors():
    ref = np.zeros((8, 8), int)
    ref[:, 3] = 1
    cut = ref.copy()
    cut[4, 3] = 0
    errs = connectivity_errors(ref, np.stack([ref, cut, np.zeros((8, 8), int)]))
    np.testing.assert_allclose(errs["largest_cluster_fraction"], [0, 3 / 7, 1])
    np.testing.assert_array_equal(errs["percolation"], [0, 1, 1])


# ---------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    "func", [chord_length_distribution, orientation, connectivity], ids=lambda f: f.__name__
)
def test_inputs_are_checked(func):
    img = (np.random.default_rng(0).random((16, 16)) < 0.5).astype(int)
    with pytest.raises(ValueError, match="Unknown phase 3"):
        func(img, 3)
    with pytest.raises(ValueError, match="non-label values"):
        func(img * 0.5)
    with pytest.raises(ValueError, match="non-label values"):
        func(np.where(img, np.nan, 0.0))
    with pytest.raises(ValueError, match="phase must be an integer"):
        func(img, 0.5)
    with pytest.raises(ValueError, match="shape"):
        func(img[0])
    with pytest.raises(ValueError, match="integer phase labels"):
        func(img.astype(str))
    # float labels with whole values and booleans are label images too
    assert str(func(img.astype(float))) == str(func(img)) == str(func(img.astype(bool)))


def test_more_checks():
    img = (np.random.default_rng(0).random((16, 16)) < 0.5).astype(int)
    with pytest.raises(ValueError, match=r"\(H, W\), got"):
        orientation(img[None].repeat(3, 0))  # orientation is 2-D only
    with pytest.raises(ValueError, match="Unknown direction"):
        chord_length_distribution(img, directions=[(2, 1)])
    with pytest.raises(ValueError, match="Unknown direction"):
        chord_length_distribution(img[None], directions=[(0, 1)])
    with pytest.raises(ValueError, match="r_max"):
        chord_length_distribution(img, r_max=0)
    with pytest.raises(ValueError, match="sigma"):
        orientation(img, sigma=0)
    with pytest.raises(ValueError, match="stack"):
        connectivity_errors(img, img[None, None])
    with pytest.raises(ValueError, match="Unknown phase"):
        orientation_errors(img, img, phase=2)  # the original must hold the phase
    # a reconstruction may lose the phase altogether
    share = connectivity(img)["largest_cluster_fraction"]
    assert connectivity_errors(img, np.zeros_like(img))["largest_cluster_fraction"][0] == share
    assert chord_length_error_rates(img, np.zeros_like(img))[(0, 1)][0] == pytest.approx(100.0)
