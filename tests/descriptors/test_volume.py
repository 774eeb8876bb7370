"""3-D descriptors: exact values on a laminate, brute force on random volumes, slice curves."""

from __future__ import annotations

import numpy as np
import pytest

from sktl.descriptors import (
    axial_lineal_path,
    axial_two_point_correlation,
    lineal_path,
    slice_curves,
    slice_error_rates,
    two_point_correlation,
)

PERIOD, THICK = 8, 3


def _laminate(n=32):
    """Layers normal to axis 0: THICK voxels of phase 1 in every PERIOD."""
    z = (np.arange(n) % PERIOD) < THICK
    return np.broadcast_to(z[:, None, None], (n, n, n)).astype(np.int64)


def _overlap(r):
    r = r % PERIOD
    return max(0, THICK - r) + max(0, r + THICK - PERIOD)


def test_laminate_s2_along_each_axis_is_exact():
    vol = _laminate()
    s2_z = axial_two_point_correlation(vol, 1, axis=0, periodic=True)
    np.testing.assert_allclose(s2_z, [_overlap(r) / PERIOD for r in range(17)], atol=1e-12)
    for axis in (1, 2):
        s2 = axial_two_point_correlation(vol, 1, axis=axis, periodic=True)
        np.testing.assert_allclose(s2, THICK / PERIOD, atol=1e-12)


def test_laminate_lineal_path_along_each_axis_is_exact():
    vol = _laminate()
    lp_z = axial_lineal_path(vol, 1, axis=0, periodic=True)
    np.testing.assert_allclose(lp_z, [max(0, THICK - r) / PERIOD for r in range(17)])
    for axis in (1, 2):
        np.testing.assert_allclose(axial_lineal_path(vol, 1, axis=axis), THICK / PERIOD)


def _brute_s2(vol, axis, r, periodic):
    a = np.moveaxis(vol, axis, -1).astype(bool)
    n = a.shape[-1]
    if periodic:
        return float(np.mean(a & np.roll(a, -r, axis=-1)))
    return float(np.mean(a[..., : n - r] & a[..., r:]))


def _brute_lp(vol, axis, r):
    a = np.moveaxis(vol, axis, -1).astype(bool)
    n = a.shape[-1]
    run = np.ones(a[..., : n - r].shape, bool)
    for k in range(r + 1):
        run &= a[..., k : n - r + k]
    return float(run.mean())


@pytest.mark.parametrize("periodic", [True, False])
@pytest.mark.parametrize("axis", [0, 1, 2])
def test_axial_descriptors_match_direct_counting(axis, periodic):
    vol = (np.random.default_rng(axis).random((10, 12, 14)) < 0.6).astype(np.int64)
    s2 = axial_two_point_correlation(vol, 1, axis=axis, periodic=periodic)
    n = vol.shape[axis]
    np.testing.assert_allclose(s2, [_brute_s2(vol, axis, r, periodic) for r in range(n // 2 + 1)])
    if not periodic:
        lp = axial_lineal_path(vol, 1, axis=axis)
        np.testing.assert_allclose(lp, [_brute_lp(vol, axis, r) for r in range(n // 2 + 1)])


def test_slice_curves_are_the_mean_of_the_2d_descriptors():
    vol = _laminate(24)
    # slices normal to axis 0 are uniform: S2 = 1 inside a layer, 0 outside
    np.testing.assert_allclose(slice_curves(vol, 1, axis=0), THICK / PERIOD)
    # slices normal to axis 1 are the same 2-D laminate (D, W)
    plane = vol[:, 0, :]
    for desc, fn in (("s2", two_point_correlation), ("lineal_path", lineal_path)):
        got = slice_curves(vol, 1, descriptor=desc, axis=1, periodic=False)
        np.testing.assert_allclose(got, fn(plane, 1, periodic=False))


def test_volume_descriptors_reject_2d_images_and_bad_r_max():
    with pytest.raises(ValueError, match="3-D label volume"):
        axial_two_point_correlation(np.zeros((8, 8)), axis=0)
    with pytest.raises(ValueError, match="r_max"):
        axial_lineal_path(np.zeros((4, 4, 4)), axis=0, r_max=9)
    with pytest.raises(ValueError, match="descriptor"):
        slice_curves(np.zeros((4, 4, 4)), descriptor="chord")


def test_slice_error_rates_score_each_axis_against_its_example():
    from sktl.descriptors import error_rate

    vol = _laminate(24)
    planes = [vol[0], vol[:, 0, :], vol[:, :, 0]]
    for desc, fn in (("s2", two_point_correlation), ("lineal_path", lineal_path)):
        got = slice_error_rates(vol, planes, desc, periodic=False)
        # the (D, W) and (D, H) planes are exactly the slices normal to axes 1 and 2
        np.testing.assert_allclose(got[1:], 0.0, atol=1e-9)
        # slices normal to axis 0 are uniform layers: their mean, not any one of them
        want = error_rate(fn(planes[0], 1, periodic=False),
                          slice_curves(vol, 1, descriptor=desc, axis=0, periodic=False))
        assert got[0] == pytest.approx(want) and want > 1.0
    # one example serves every axis
    one = slice_error_rates(vol, planes[1], "s2", periodic=False)
    assert one[0] > 1.0 and np.allclose(one[1:], 0.0, atol=1e-9)
    with pytest.raises(ValueError, match="one example or three"):
        slice_error_rates(vol, planes[:2])
