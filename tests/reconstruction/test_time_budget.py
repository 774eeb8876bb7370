"""time_budget and progress of MicrostructureReconstructor.sample, on a fake clock.

The budget reads ``sktl.reconstruction._clock.clock``; the tests replace it by a clock that
moves one second per reading, so a budget of B "seconds" allows about B checks (evaluations
of the loss and level starts): fast, and the same on every machine.
"""

import itertools
import re

import numpy as np
import pytest
import torch

from sktl.reconstruction import MicrostructureReconstructor, _clock
from sktl.reconstruction._optimise import optimise_adam, optimise_lbfgs

TAPS = ("conv1_1", "pool1")  # receptive field 6 px


def _blobs(seed=0, size=24):
    from scipy.ndimage import gaussian_filter

    f = gaussian_filter(np.random.default_rng(seed).standard_normal((size, size)), 2.0, mode="wrap")
    return (f > np.quantile(f, 0.6)).astype(np.int64) * 3  # labels {0, 3}


def _model(**kw):
    kw = {"layers": TAPS, "n_levels": 1, "s2_weight": 0.0, "lineal_path_weight": 0.0, **kw}
    return MicrostructureReconstructor(random_state=0, **kw)


@pytest.fixture
def ticking(monkeypatch):
    """The budget's clock moves one second each time it is read."""
    ticks = itertools.count()
    monkeypatch.setattr(_clock, "clock", lambda: float(next(ticks)))


def _check_valid(samples, shape):
    assert samples.shape == shape and samples.dtype == np.int64
    assert set(np.unique(samples)) <= {0, 3}


def test_budget_cuts_a_long_run_and_every_sample_is_still_valid(ticking):
    m = _model(max_iter=200, time_budget=10).fit(_blobs())
    with pytest.warns(UserWarning, match="ran out of time_budget=10 s") as record:
        out = m.sample(3, shape=24, random_state=0)
    _check_valid(out, (3, 24, 24))
    assert m.time_budget_exhausted_
    assert set(m.unfinished_samples_) == {0, 1, 2}
    assert re.fullmatch(r"level 1/1, iteration \d/200", m.unfinished_samples_[0])
    assert m.unfinished_samples_[1] == m.unfinished_samples_[2] == "not started"
    # about 10 evaluations instead of up to 3 x 400
    assert 1 < len(m.loss_history_[0]) <= 11 and len(m.loss_history_[1]) == 0
    assert m.loss_history_[0][-1] == m.loss_history_[0].min()  # its best pixels kept
    assert len(m.sample_times_) == 3
    for never in out[1:]:  # never started: the phases at the volume fractions, at no cost
        np.testing.assert_allclose(np.mean(never == 3), m.volume_fractions_[1], atol=1 / 576)
    text = str(record[0].message)
    assert "samples[0] stopped at level 1/1" in text and "samples[1:3] never started" in text
    assert "larger time_budget" in text and "max_iter" in text
    assert len(record) == 1


def test_a_cut_in_a_fine_level_keeps_the_coarse_work_and_the_sample_shape(ticking):
    m = _model(max_iter=3, n_levels=2, time_budget=9, match_volume_fraction=True).fit(_blobs())
    with pytest.warns(UserWarning, match="time_budget"):
        out = m.sample(1, shape=(24, 20), random_state=0)
    _check_valid(out, (1, 24, 20))
    assert re.fullmatch(r"level 2/2, iteration \d/3", m.unfinished_samples_[0])
    # annealing still runs: the volume fractions are the examples'
    np.testing.assert_allclose(np.mean(out == 3), m.volume_fractions_[1], atol=1 / out.size)


def test_adam_cut_keeps_its_best_pixels_and_says_so_in_the_history(ticking):
    m = _model(max_iter=200, time_budget=10, optimizer="adam", lr=50.0).fit(_blobs())
    with pytest.warns(UserWarning, match="The sample has the requested shape"):
        out = m.sample(1, shape=24, random_state=0)
    _check_valid(out, (1, 24, 24))
    assert m.loss_history_[0][-1] == m.loss_history_[0].min()


def test_a_volume_is_cut_too(ticking):
    m = _model(max_iter=50, n_levels=2, s2_weight=10.0, time_budget=6).fit(_blobs())
    with pytest.warns(UserWarning, match="time_budget"):
        out = m.sample(2, shape=(12, 14, 12), random_state=0)
    _check_valid(out, (2, 12, 14, 12))
    assert m.time_budget_exhausted_ and m.unfinished_samples_[1] == "not started"
    assert m.unfinished_samples_[0].startswith("level 1/2, iteration ")


def test_a_volume_on_slice_subsets_is_cut_too(ticking):
    m = _model(max_iter=50, n_slices=3, s2_weight=10.0, time_budget=15).fit(_blobs())
    with pytest.warns(UserWarning, match="time_budget"):
        out = m.sample(1, shape=(12, 14, 12), random_state=0)
    _check_valid(out, (1, 12, 14, 12))
    assert re.fullmatch(r"level 1/1, iteration \d+/50", m.unfinished_samples_[0])
    assert len(m.loss_history_[0]) < 20


def test_a_budget_that_is_not_reached_changes_nothing():
    img = _blobs()
    for optimizer in ("lbfgs", "adam"):
        kw = dict(max_iter=4, n_levels=2, s2_weight=10.0, optimizer=optimizer)
        free = _model(**kw).fit(img)
        timed = _model(**kw, time_budget=1e6).fit(img)
        np.testing.assert_array_equal(
            free.sample(2, shape=24, random_state=1), timed.sample(2, shape=24, random_state=1)
        )
        for a, b in zip(free.loss_history_, timed.loss_history_, strict=True):
            np.testing.assert_array_equal(a, b)
        assert not timed.time_budget_exhausted_ and timed.unfinished_samples_ == {}
        assert not free.time_budget_exhausted_


@pytest.mark.parametrize("bad", [0, -1.5, "10", float("nan")])
def test_bad_budgets_are_clear_errors(bad):
    with pytest.raises(ValueError, match=r"time_budget.*range \(0.0, inf\) or None"):
        _model(max_iter=1, time_budget=bad).fit(_blobs())
    m = _model(max_iter=1).fit(_blobs()).set_params(time_budget=bad)
    with pytest.raises(ValueError, match=r"time_budget.*range \(0.0, inf\) or None"):
        m.sample(1)  # set after fit: sample checks it too


@pytest.mark.parametrize("optimise", [optimise_lbfgs, optimise_adam])
def test_the_optimisers_stop_on_the_clock_with_their_best_pixels(optimise):
    def loss_fn(x):
        return ((x - 100.0) ** 2).mean()

    x0 = np.random.default_rng(0).uniform(0, 255, (1, 3, 6, 6)).astype(np.float32)
    checks = itertools.count()
    x, history = optimise(loss_fn, x0, 100, 0.0, out_of_time=lambda: next(checks) >= 5)
    assert 2 <= len(history) <= 7  # stopped long before 100 iterations
    kept = float(loss_fn(torch.from_numpy(x)))
    assert kept == pytest.approx(history.min(), rel=1e-5) and kept < history[0]


def test_the_time_left_weighs_each_level_by_its_pixels_and_iterations():
    clock = _clock.SampleClock(None, 1, [(12, 12), (24, 24)], verbose=0, iterations=[8, 2])
    assert clock.level_work == [144 * 8, 576 * 2]
    assert _clock.SampleClock(None, 1, [(12, 12), (24, 24)], verbose=0).level_work == [144, 576]


def test_a_volume_level_costs_the_slices_vgg19_sees_plus_its_voxels():
    shape = (16, 32, 64)
    voxels = 16 * 32 * 64
    every = _clock.iteration_cost(shape)  # every slice: 3 slice-sets of all voxels
    assert every == pytest.approx((3 + _clock.DESCRIPTOR_COST) * voxels)
    two = _clock.iteration_cost(shape, 2)  # 2 slices per axis
    assert two == pytest.approx(2 * (32 * 64 + 16 * 64 + 16 * 32) + _clock.DESCRIPTOR_COST * voxels)
    assert _clock.iteration_cost(shape, 0) == pytest.approx(_clock.DESCRIPTOR_COST * voxels)
    assert _clock.iteration_cost((24, 24), 2) == 576  # images: their pixels
    m = _model(n_levels=2, n_slices=(4, 1), max_iter=[3, 2], s2_weight=1.0).fit(_blobs())
    seen = {}
    original = _clock.SampleClock.__init__

    def spy(self, *args, **kwargs):
        seen.update(kwargs)
        original(self, *args, **kwargs)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_clock.SampleClock, "__init__", spy)
        m.sample(1, shape=(24, 24, 24), random_state=0)
    assert seen["costs"] == [_clock.iteration_cost((12, 12, 12), 4),
                             _clock.iteration_cost((24, 24, 24), 1)]
    assert seen["iterations"] == [3, 2]


def test_progress_lines_with_the_time_left_only_when_verbose(capsys):
    img = _blobs()
    _model(max_iter=2, n_levels=2, verbose=1).fit(img).sample(2, shape=24, random_state=0)
    lines = [ln for ln in capsys.readouterr().err.splitlines() if "[Microstructure" in ln]
    assert len(lines) == 4  # 2 samples x 2 levels
    assert re.search(
        r"sample 2/2: level 2/2 done; 4/4 levels in \d+ s, about \d+ s left", lines[-1]
    )
    _model(max_iter=2, n_levels=2).fit(img).sample(2, shape=24, random_state=0)
    assert capsys.readouterr().err == ""
    _model(max_iter=2, verbose=1).fit(img).sample(1, shape=24, random_state=0)  # a short run
    assert "[Microstructure" not in capsys.readouterr().err
