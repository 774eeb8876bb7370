"""S2, lineal path and error rate against brute-force direct sums, exact answers and PoreSpy.

PoreSpy would pull numba, scikit-image and more into the environment, so it is not installed:
its values for two test images are stored in data/porespy_reference.npz, written by
porespy_reference.py in an environment of its own.
"""

from pathlib import Path

import numpy as np
import pytest

from sktl.descriptors import (
    error_rate,
    lineal_path,
    phase_curves,
    phase_error_rates,
    two_point_correlation,
)


def _s2_direct(img, phase, periodic, r_max):
    ind = (img == phase).astype(float)
    h, w = ind.shape
    num = np.zeros(r_max + 1)
    den = np.zeros(r_max + 1)
    dys = range(-(h // 2), h - h // 2) if periodic else range(-h + 1, h)
    dxs = range(-(w // 2), w - w // 2) if periodic else range(-w + 1, w)
    for dy in dys:
        for dx in dxs:
            r = int(np.rint(np.hypot(dy, dx)))
            if r > r_max:
                continue
            if periodic:
                prod = ind * np.roll(ind, (-dy, -dx), axis=(0, 1))
                num[r] += prod.mean()
                den[r] += 1
            else:
                a = ind[max(0, -dy) : h - max(0, dy), max(0, -dx) : w - max(0, dx)]
                b = ind[max(0, dy) : h - max(0, -dy), max(0, dx) : w - max(0, -dx)]
                num[r] += (a * b).sum()
                den[r] += a.size
    return num / den


def _lineal_direct(img, phase, r_max):
    """Count, run by run, the segments that fit: a run of length n holds n - r of length r."""
    ind = img == phase
    out = np.zeros(r_max + 1)
    for grid in (ind, ind.T):
        h, w = grid.shape
        runs = []
        for row in grid:
            n = 0
            for v in list(row) + [False]:
                if v:
                    n += 1
                elif n:
                    runs.append(n)
                    n = 0
        runs = np.array(runs)
        for r in range(r_max + 1):
            out[r] += np.clip(runs - r, 0, None).sum() / (h * (w - r))
    return out / 2


@pytest.mark.parametrize("periodic", [True, False])
def test_s2_matches_a_direct_sum(rng, periodic):
    img = (rng.random((12, 10)) < 0.4).astype(int)
    got = two_point_correlation(img, 1, periodic=periodic, r_max=5)
    np.testing.assert_allclose(got, _s2_direct(img, 1, periodic, 5), atol=1e-12)


def test_lineal_path_matches_run_counting(rng):
    img = rng.integers(0, 3, (15, 13))
    for phase in (0, 2):
        got = lineal_path(img, phase, r_max=6)
        np.testing.assert_allclose(got, _lineal_direct(img, phase, 6), atol=1e-12)


def test_analytic_values(rng):
    img = (rng.random((128, 128)) < 0.3).astype(int)
    phi = img.mean()
    s2 = two_point_correlation(img)
    assert s2[0] == pytest.approx(phi)
    # independent pixels: S2(r > 0) = phi^2
    assert np.abs(s2[3:] - phi**2).max() < 0.01
    assert lineal_path(img)[0] == pytest.approx(phi)
    assert lineal_path(img)[1] == pytest.approx(phi**2, abs=0.01)


def test_laminate_exact_answers():
    # stripes along x (axis 0) of width 4 and period 8: along x every segment stays in its
    # stripe, along y (axis 1) no segment longer than 3 fits
    img = np.tile(np.repeat([1, 0], 4), (16, 4))
    lp = lineal_path(img, 1, periodic=True, r_max=8)
    y_part = np.clip(4 - np.arange(9), 0, None) / 8
    np.testing.assert_allclose(lp, (0.5 + y_part) / 2)
    # checkerboard: S2 at the nearest neighbours (r = 1) is 0 and along the diagonal (r = 1.41
    # rounds to 1 too) 1/2, so the ring average is 1/4 with four axis and four diagonal shifts
    cb = np.indices((16, 16)).sum(0) % 2
    s2 = two_point_correlation(cb, 1, r_max=2)
    assert s2[0] == 0.5
    assert s2[1] == pytest.approx(0.25)


def test_error_rate():
    a = np.array([1.0, 0.5, 0.25, 0.25])
    assert error_rate(a, a) == 0
    assert error_rate(a, a * 1.1) == pytest.approx(10.0)
    assert error_rate(a, np.r_[a, 9.0]) == 0  # cut to the common length
    with pytest.raises(ValueError, match="zero area"):
        error_rate(np.zeros(3), a)


def test_one_vs_rest_helpers(rng):
    img = rng.integers(0, 3, (32, 32))
    curves = phase_curves(img, "s2")
    assert set(curves) == {0, 1, 2}
    assert sum(c[0] for c in curves.values()) == pytest.approx(1.0)
    errs = phase_error_rates(img, np.stack([img, img]), "lineal_path")
    assert all(np.all(e == 0) for e in errs.values()) and errs[0].shape == (2,)
    with pytest.raises(ValueError, match="Unknown descriptor"):
        phase_curves(img, "chord")
    with pytest.raises(ValueError, match="2-D"):
        two_point_correlation(img[None])


PORESPY = Path(__file__).resolve().parent / "data" / "porespy_reference.npz"


@pytest.mark.parametrize("name", ["blobs", "laminate"])
@pytest.mark.parametrize("phase", [0, 1])
def test_agrees_with_porespy(name, phase):
    # values written by tests/descriptors/porespy_reference.py with PoreSpy 3.2.0
    ref = np.load(PORESPY)
    image = ref[f"{name}_image"]
    np.testing.assert_array_equal(lineal_path(image, phase), ref[f"{name}_lineal_path_{phase}"])
    s2, s2_ref = two_point_correlation(image, phase, periodic=False), ref[f"{name}_s2_{phase}"]
    assert s2[0] == pytest.approx(s2_ref[0], abs=1e-12)
    # the same per-lag estimator; rings differ in weighting: sktl weighs each lag by its
    # number of pairs, PoreSpy takes the plain mean, which matters only for anisotropic images
    tol = {"blobs": 0.002, "laminate": 0.02}[name]
    assert np.max(np.abs(s2 - s2_ref)) <= tol * s2_ref[0]
    assert error_rate(s2_ref, s2) < {"blobs": 0.1, "laminate": 2.0}[name]
