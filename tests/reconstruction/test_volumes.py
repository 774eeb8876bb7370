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


@pytest.mark.parametrize("optimizer", ["lbfgs", "adam"])
def test_slice_subsets_are_seeded_and_change_the_path(optimizer):
    img = _blobs()
    m = _model(optimizer=optimizer, n_slices=4, max_iter=12).fit(img)
    a = m.sample(1, shape=(12, 16, 20), random_state=0)
    np.testing.assert_array_equal(a, m.sample(1, shape=(12, 16, 20), random_state=0))
    every = _model(optimizer=optimizer, max_iter=12).fit(img)
    assert not np.array_equal(a, every.sample(1, (12, 16, 20), random_state=0))
    # 2-D samples ignore it
    np.testing.assert_array_equal(m.sample(1, 24, random_state=0),
                                  every.sample(1, 24, random_state=0))
    # as many slices as the largest side: every slice, the deterministic path
    whole = _model(optimizer=optimizer, n_slices=20, max_iter=12).fit(img)
    np.testing.assert_array_equal(whole.sample(1, (12, 16, 20), random_state=0),
                                  every.sample(1, (12, 16, 20), random_state=0))


def test_a_draw_holds_until_redrawn_and_axes_are_scored_on_it():
    import torch

    from sktl.reconstruction._level_loss import AxisMean, SliceDraw

    seen = []

    class _Record(torch.nn.Module):
        def forward(self, x):
            seen.append(x[:, 0, 0, 0].detach().clone())  # the slices' first pixel: their index
            return x.mean()

    d, h, w = 6, 8, 10
    v = torch.zeros(1, 3, d, h, w)
    v[0, :] += torch.arange(d)[:, None, None] * 100 + torch.arange(h)[:, None] * 10
    v[0, :] += torch.arange(w)
    draw = SliceDraw(np.random.RandomState(0))
    loss = AxisMean([_Record() for _ in range(3)], draw, 3)
    loss(v)
    loss(v)  # same draw
    assert [len(s) for s in seen] == [3, 3, 3] * 2
    assert all(torch.equal(a, b) for a, b in zip(seen[:3], seen[3:], strict=True))
    np.testing.assert_array_equal(seen[0].numpy() / 100, draw.pick(0, d, 3))
    draw.redraw()
    loss(v)
    assert not all(torch.equal(a, b) for a, b in zip(seen[:3], seen[6:], strict=True))
    seen.clear()
    AxisMean([_Record() for _ in range(3)])(v)  # no draw: every slice
    assert [len(s) for s in seen] == [d, h, w]
    assert SliceDraw(np.random.RandomState(0)).pick(1, 8, 8) is None  # too few to draw from


def test_lbfgs_restarts_on_a_new_draw_every_block():
    from sktl.reconstruction import _optimise

    class _Draw:
        n = 0

        def redraw(self):
            self.n += 1

    draw = _Draw()
    x0 = np.random.default_rng(0).uniform(0, 255, (1, 3, 4, 4, 4)).astype(np.float32)
    x, history = _optimise.optimise_lbfgs_blocks(
        lambda t: ((t - 100.0) ** 2).mean(), x0, 25, 0.0, None, draw
    )
    assert draw.n == 3  # 10 + 10 + 5 iterations
    assert history[-1] < history[0] and x.shape == x0.shape


def test_stochastic_adam_stops_on_the_mean_of_its_last_iterations():
    from sktl.reconstruction._optimise import _stalled

    noisy = [10.0 - 0.01 * i + (1.0 if i % 3 == 0 else 0.0) for i in range(40)]
    assert not _stalled(noisy, 1e-7, stochastic=True)  # going down on average
    assert _stalled(noisy, 1e-7, stochastic=False)  # one noisy step up looks like a stall
    flat = [5.0 + (1.0 if i % 2 else 0.0) for i in range(40)]
    assert _stalled(flat, 1e-7, stochastic=True)


def test_three_planes_must_agree_on_their_shared_edges():
    planes = [_blobs(0, 32)[:, :24], _blobs(1, 32)[:20, :24], _blobs(2, 32)[:20, :32]]
    m = _model(max_iter=1).fit(planes)  # (H, W) = (32, 24), (D, W) = (20, 24), (D, H) = (20, 32)
    assert m.sample(1, shape=(12, 12, 12)).shape == (1, 12, 12, 12)
    m.sample(1, shape=(16, 16))  # 2-D samples do not read them as planes
    bad = _model(max_iter=1).fit([planes[0], _blobs(1, 32)[:20, :28], planes[2]])
    with pytest.raises(ValueError, match="disagree on the length of volume axis 2.*24 and 28"):
        bad.sample(1, shape=(12, 12, 12))


def _anisotropic_volume(side=40, seed=0):
    ps = pytest.importorskip("porespy", reason="the bench extra (PoreSpy) is not installed")

    # per-axis blobiness gives features about 9, 5 and 2 px thick along axes 0, 1, 2
    vol = ps.generators.blobs([side] * 3, porosity=0.5, blobiness=[0.5, 1.0, 2.5], seed=seed)
    return vol.astype(np.int64)


def _correlation_lengths(vol, r_max=12):
    """Integral length (px) of the normalised autocovariance of phase 1 along each axis."""
    from sktl.descriptors import axial_two_point_correlation

    out = []
    for a in range(3):
        s2 = axial_two_point_correlation(vol, 1, axis=a, periodic=False, r_max=r_max)
        vf = s2[0]
        out.append(float(np.clip((s2 - vf**2) / (vf - vf**2), 0, None).sum()))
    return out


def test_three_planes_of_an_anisotropic_volume_give_its_anisotropy():
    truth = _anisotropic_volume()
    planes = [np.take(truth, truth.shape[a] // 2, axis=a) for a in range(3)]
    vol = _model(max_iter=40).fit(planes).sample(1, shape=(24, 24, 24), random_state=0)[0]
    want, got = _correlation_lengths(truth), _correlation_lengths(vol)
    assert want[0] > 1.5 * want[1] > 1.5**2 * want[2]  # features thick along every axis
    # the volume keeps the order of the axes, and each length within 30 %
    assert got[0] > got[1] > got[2], (want, got)
    np.testing.assert_allclose(got, want, rtol=0.3)


def test_the_clock_is_asked_only_before_a_new_block():
    from sktl.reconstruction import _optimise

    class _Draw:
        def redraw(self):
            log.append("draw")

    def loss(t):
        log.append("eval")
        return ((t - 100.0) ** 2).mean()

    def run(max_iter, stop_at_draw=None):
        def out_of_time():
            log.append("check")
            return stop_at_draw is not None and log.count("draw") >= stop_at_draw

        log.clear()
        x0 = np.random.default_rng(0).uniform(0, 255, (1, 3, 4, 4, 4)).astype(np.float32)
        _optimise.optimise_lbfgs_blocks(loss, x0, max_iter, 0.0, None, _Draw(),
                                        out_of_time=out_of_time)
        return list(log)

    log = []
    for max_iter in (10, 20):  # a finished level does not read the clock after its last step
        assert run(max_iter)[-1] == "eval"
    stopped = run(20, stop_at_draw=1)  # out of time from the first block on
    assert stopped.count("draw") == 1 and stopped[-1] == "check"  # no second block


def test_slices_per_level_and_a_level_without_the_gram_loss(monkeypatch):
    from sktl.reconstruction import _gram

    img = _blobs()
    shape = (16, 16, 16)
    kw = dict(n_levels=2, max_iter=6, s2_weight=10.0, lineal_path_weight=1.0)
    one = _model(n_slices=4, **kw).fit(img)
    assert one.settings_["n_slices"] == 4
    per = _model(n_slices=[4, 4], **kw).fit(img)
    assert per.settings_["n_slices"] == (4, 4)
    np.testing.assert_array_equal(one.sample(1, shape, random_state=0),
                                  per.sample(1, shape, random_state=0))
    seen = []
    forward = _gram.GramLoss.forward

    def recording(self, x):
        seen.append(tuple(x.shape))
        return forward(self, x)

    monkeypatch.setattr(_gram.GramLoss, "forward", recording)
    no_gram = _model(n_slices=(4, 0), **kw).fit(img)
    a = no_gram.sample(1, shape, random_state=0)
    np.testing.assert_array_equal(a, no_gram.sample(1, shape, random_state=0))
    assert seen and {s[2:] for s in seen} == {(8, 8)}  # the coarse level's slices only
    assert {s[0] for s in seen} == {4}
    assert not np.array_equal(a, one.sample(1, shape, random_state=0))


@pytest.mark.parametrize(
    "n_slices, match",
    [
        ((4,), r"1 count for n_levels=2.*n_slices=\(8, 2\).*one count per level"),
        ((4, 4, 4), "3 counts for n_levels=2"),
        ((0, 4), "coarsest level needs at least 1"),
        ((4, -1), "counts must be ints >= 0"),
        ((4, True), "counts must be ints >= 0"),
        ((4, 2.5), "counts must be ints >= 0"),
    ],
)
def test_bad_slices_per_level(n_slices, match):
    with pytest.raises(ValueError, match=match):
        _model(n_levels=2, n_slices=n_slices).fit(_blobs())


def test_a_level_without_the_gram_loss_needs_a_descriptor_term():
    m = _model(n_levels=2, n_slices=(4, 0), s2_weight=0.0, lineal_path_weight=0.0)
    with pytest.raises(ValueError, match="nothing would be left to optimise"):
        m.fit(_blobs())
