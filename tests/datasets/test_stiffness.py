"""make_stiffness: generators, the FFT solver against exact answers, caching."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("muSpectre")

from sktl.datasets import make_stiffness  # noqa: E402
from sktl.datasets._fft_homogenisation import (  # noqa: E402
    homogenise,
    laminate_stiffness,
    plane_strain_isotropic,
    voigt_to_components,
)
from sktl.datasets._stiffness import blobs, spheres, voronoi  # noqa: E402


def test_homogeneous_image_is_exact():
    C = homogenise(np.zeros((16, 16)), (2.0, 10.0), (0.25, 0.3))
    np.testing.assert_allclose(C, plane_strain_isotropic(2.0, 0.25), rtol=1e-10, atol=1e-12)
    C = homogenise(np.ones((16, 16)), (2.0, 10.0), (0.25, 0.3))
    np.testing.assert_allclose(C, plane_strain_isotropic(10.0, 0.3), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("n_layer", [8, 4])
@pytest.mark.parametrize("axis", [0, 1])
def test_laminate_matches_exact_formula(n_layer, axis):
    size, contrast = 32, 20.0
    img = np.zeros((size, size))
    img[:n_layer] = 1
    if axis == 1:
        img = img.T
    C = homogenise(img, (1.0, contrast), (0.3, 0.2))
    exact = laminate_stiffness(
        plane_strain_isotropic(1.0, 0.3), plane_strain_isotropic(contrast, 0.2), n_layer / size
    )
    if axis == 1:  # layers normal to x2: swap the roles of 1 and 2
        perm = [1, 0, 2]
        exact = exact[np.ix_(perm, perm)]
    np.testing.assert_allclose(C, exact, rtol=1e-6, atol=1e-9)
    # the harmonic (Reuss) and arithmetic (Voigt) bounds bracket the laminate
    c = voigt_to_components(C)
    assert c[3] == pytest.approx(0, abs=1e-9) and c[4] == pytest.approx(0, abs=1e-9)


@pytest.mark.parametrize("gen", [blobs, spheres, voronoi])
def test_generators_hit_volume_fraction(gen):
    rng = np.random.default_rng(0)
    img = gen(32, 0.4, rng)
    assert img.shape == (32, 32) and set(np.unique(img)) <= {0, 1}
    assert abs(img.mean() - 0.4) < 0.08


def test_make_stiffness_shapes_bounds_and_prefix(tmp_path):
    d = make_stiffness(6, size=16, cache_dir=tmp_path, random_state=0)
    assert d.images.shape == (6, 16, 16) and d.images.dtype == np.float32
    assert d.targets.shape == (6, 6) and d.target_names[0] == "C11"
    c_lo, c_hi = plane_strain_isotropic(1.0, 0.3), plane_strain_isotropic(10.0, 0.3)
    assert np.all(d.targets[:, 0] > c_lo[0, 0]) and np.all(d.targets[:, 0] < c_hi[0, 0])
    again = make_stiffness(6, size=16, cache_dir=tmp_path, random_state=0)  # from the cache
    np.testing.assert_array_equal(again.targets, d.targets)
    assert len(list((tmp_path / "stiffness").glob("*.npz"))) == 1
    small = make_stiffness(3, size=16, random_state=0)
    np.testing.assert_allclose(small.targets, d.targets[:3])


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(generator="cubes"), "generator"),
        (dict(size=4), "size"),
        (dict(volume_fraction=(0.5, 1.2)), "volume_fraction"),
        (dict(contrast=-1.0), "contrast"),
    ],
)
def test_make_stiffness_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_stiffness(2, **kwargs)
