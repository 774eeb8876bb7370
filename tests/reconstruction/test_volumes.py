"""3-D volumes from 2-D examples: shapes, per-axis targets, determinism, improvement, errors."""

import numpy as np
import pytest

from sktl.descriptors import error_rate, slice_curves, two_point_correlation
from sktl.reconstruction import MicrostructureReconstructor

TAPS = ("conv1_1", "pool1")  # receptive field 6 px


def _blobs(seed=0, size=32):
    from scipy.ndimage import gaussian_filter

    f = gaussian_filter(np.random.default_rng(seed).standard_normal((size, size)), 2.0, mode="wrap")
    return (f > np.quantile(f, 0.6)).astype(np.int64)


def _model(**kw):
    return MicrostructureReconstructor(**{"layers": TAPS, "n_levels": 1, "random_state": 0, **kw})


def test_volume_shape_labels_and_determinism():
    img = _blobs() * 5  # labels {0, 5}
    m = _model(max_iter=3).fit(img)
    a = m.sample(1, shape=(12, 16, 20), random_state=0)
    assert a.shape == (1, 12, 16, 20) and a.dtype == np.int64
    assert set(np.unique(a)) <= {0, 5}
    np.testing.assert_array_equal(a, m.sample(1, shape=(12, 16, 20), random_state=0))
    assert len(m.sample_times_) == 1


def test_three_examples_give_each_axis_its_own_targets():
    planes = [_blobs(k) for k in range(3)]
    m = _model(max_iter=2).fit(planes)
    assert len(m.level_targets_per_example_) == 3
    np.testing.assert_allclose(
        m._axis_targets(0)[1]["s2"], m.level_targets_per_example_[1][0]["s2"]
    )
    assert m.sample(1, shape=(16, 16, 16)).shape == (1, 16, 16, 16)
    one = _model(max_iter=2).fit(planes[0])
    assert one.level_targets_per_example_ == []  # one example serves every axis


def test_optimisation_lowers_every_axis_slice_error():
    img = _blobs(size=32)
    ref = two_point_correlation(img, 1, periodic=False)

    def errors(max_iter):
        vol = _model(max_iter=max_iter, n_levels=1).fit(img).sample(1, shape=(24, 24, 24))[0]
        return [
            error_rate(ref, slice_curves(vol, 1, axis=a, periodic=False)) for a in range(3)
        ]

    start, end = errors(1), errors(40)
    assert all(e < 0.5 * s for s, e in zip(start, end, strict=True)), (start, end)


def test_volume_too_small_for_the_taps_and_bad_shapes():
    m = _model(layers=("conv1_1", "pool2"), max_iter=1).fit(_blobs(size=32))
    with pytest.raises(ValueError, match="every axis"):
        m.sample(1, shape=(8, 32, 32))  # pool2 needs 16 px along every axis
    with pytest.raises(ValueError, match="D, H, W"):
        m.sample(1, shape=(16, 16, 16, 16))
