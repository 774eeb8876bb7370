"""MicrostructureReconstructor and its parts, on 32-48 px images with few iterations."""

import joblib
import numpy as np
import pytest
from scipy.spatial.distance import pdist
from sklearn.base import clone
from sklearn.utils.estimator_checks import (
    check_get_params_invariance,
    check_no_attributes_set_in_init,
    check_parameters_default_constructible,
    check_set_params,
)

from sktl.reconstruction import PRESETS, MicrostructureReconstructor, maximin_colours
from sktl.reconstruction._anneal import match_volume_fractions, target_counts
from sktl.reconstruction._decode import decode
from sktl.reconstruction._encoding import encode, latin_hypercube

SMALL = ("conv1_1", "pool1", "pool2")  # receptive field 16 px


def _blobs(rng, size=32, labels=(0, 1)):
    """Smooth random field thresholded into len(labels) phases."""
    from scipy.ndimage import gaussian_filter

    f = gaussian_filter(rng.standard_normal((size, size)), 2.0, mode="wrap")
    edges = np.quantile(f, np.linspace(0, 1, len(labels) + 1)[1:-1])
    return np.asarray(labels)[np.digitize(f, edges)]


def _model(**kw):
    # the paper's method on shallow taps; the sktl preset is tested in test_presets.py
    kw = {**PRESETS["li2018"], "layers": SMALL, "max_iter": 15, "random_state": 0, **kw}
    return MicrostructureReconstructor(**kw)


@pytest.fixture(scope="module")
def fitted():
    img = _blobs(np.random.default_rng(1), 32, labels=(2, 7))
    return img, _model(max_iter=40).fit(img)


def test_colours_are_a_maximin_latin_hypercube():
    for k in (2, 3, 5):
        c = maximin_colours(k, random_state=0)
        assert c.shape == (k, 3) and c.min() >= 0 and c.max() <= 255
        strata = np.floor(c / 255 * k).astype(int)
        assert all(sorted(strata[:, d]) == list(range(k)) for d in range(3))
        rng = np.random.RandomState(1)
        others = [pdist(255 * latin_hypercube(k, 3, rng)).min() for _ in range(200)]
        assert pdist(c).min() >= np.quantile(others, 0.95)
    np.testing.assert_array_equal(maximin_colours(3, 4), maximin_colours(3, 4))


def test_decode_recovers_noisy_encoded_labels(rng):
    labels = rng.integers(0, 3, (20, 20))
    colours = maximin_colours(3, 0)
    noisy = encode(labels, colours) + rng.normal(0, 10, (20, 20, 3))
    np.testing.assert_array_equal(decode(noisy, colours, 0), labels)


def test_annealing_matches_counts_with_the_fewest_flips(rng):
    labels = rng.integers(0, 3, (40, 40))
    vf = [0.5, 0.3, 0.2]
    out = match_volume_fractions(labels, vf, random_state=0)
    target = target_counts(vf, labels.size)
    np.testing.assert_array_equal(np.bincount(out.ravel(), minlength=3), target)
    mismatch = np.clip(np.bincount(labels.ravel(), minlength=3) - target, 0, None).sum()
    assert (out != labels).sum() == mismatch


def test_annealing_survives_underflowing_weights():
    # a cold start: Boltzmann weights of all but the lowest-energy candidates underflow to 0,
    # fewer than the step wants to flip (this crashed rng.choice on a 256 px composite)
    labels = np.zeros((64, 64), dtype=int)
    labels[20:30, 20:30] = 1
    out = match_volume_fractions(labels, [0.5, 0.5], random_state=0, temperature=1e-6)
    np.testing.assert_array_equal(np.bincount(out.ravel()), [2048, 2048])


def test_fit_learns_statistics(fitted):
    img, m = fitted
    np.testing.assert_array_equal(m.phases_, [2, 7])
    assert m.volume_fractions_ == pytest.approx([np.mean(img == 2), np.mean(img == 7)])
    assert set(m.target_grams_) == set(SMALL) and m.target_grams_["pool2"].shape == (128, 128)
    assert m.min_size_ == 16 and m.image_shape_ == (32, 32)


def test_loss_converges(fitted):
    _, m = fitted
    m.sample(1)
    h = m.loss_history_[0]
    assert len(h) > 10 and np.all(np.isfinite(h))
    assert h[-1] < h[0] / 30  # the rescaled L-BFGS-B does not stall at its first line search
    assert np.all(np.diff(h) <= 1e-6 * h[0])


def test_sample_shape_dtype_phases_and_volume_fraction(fitted):
    img, m = fitted
    s = m.sample(2, shape=(24, 40), random_state=3)
    assert s.shape == (2, 24, 40) and s.dtype == np.int64
    assert set(np.unique(s)) <= {2, 7}
    target = target_counts(m.volume_fractions_, 24 * 40)
    for x in s:
        assert [(x == 2).sum(), (x == 7).sum()] == list(target)
    assert len(m.loss_history_) == 2 and len(m.sample_times_) == 2


def test_determinism(rng):
    img = _blobs(rng, 32, labels=(0, 1, 2))
    a = _model().fit(img).sample(1, random_state=3)
    m = _model().fit(img)
    np.testing.assert_array_equal(a, m.sample(1, random_state=3))
    np.testing.assert_array_equal(m.sample(1, random_state=5), m.sample(1, random_state=5))
    assert not np.array_equal(m.sample(1, random_state=5), m.sample(1, random_state=6))


def test_sample_without_random_state_draws_fresh_samples(rng):
    # as KernelDensity.sample: None draws from numpy's global state, not a seed kept from fit
    m = _model().fit(_blobs(rng, 32, labels=(0, 1, 2)))
    np.random.seed(0)  # noqa: NPY002 (the global state is what None draws from)
    first = m.sample(1)
    assert not np.array_equal(first, m.sample(1))
    np.random.seed(0)  # noqa: NPY002 (the global state is what None draws from)
    np.testing.assert_array_equal(first, m.sample(1))


def test_n_threads_none_leaves_the_process_alone(rng, monkeypatch):
    import torch

    calls = []
    monkeypatch.setattr(torch, "set_num_threads", lambda n: calls.append(n))
    _model(n_threads=None).fit(_blobs(rng, 32)).sample(1, random_state=0)
    assert calls == []
    _model(n_threads=1).fit(_blobs(rng, 32))
    assert calls == [1, torch.get_num_threads()]  # set for the fit, then restored


def test_adam_and_list_input(rng):
    imgs = [_blobs(rng, 32), _blobs(rng, 40)]
    m = _model(optimizer="adam", max_iter=10, match_volume_fraction=False).fit(imgs)
    s = m.sample(1)
    assert s.shape == (1, 32, 32) and m.loss_history_[0][-1] < m.loss_history_[0][0]


def test_descriptor_terms_alone_have_no_gram_only_start(rng):
    # with every tap at weight 0 the Gram loss is 0: a Gram-only start would optimise nothing
    m = _model(layer_weights=[0, 0, 0], s2_weight=1.0, max_iter=8).fit(_blobs(rng, 32))
    m.sample(1, random_state=0)
    h = m.loss_history_[0]
    assert h[0] > 0 and h[-1] < h[0]


def test_float_inputs(rng):
    img = _blobs(rng, 32, labels=(0, 1, 2)) * 0.5
    m = _model(max_iter=2).fit(img.astype(np.float32))
    np.testing.assert_array_equal(m.phases_, [0, 1, 2])
    np.testing.assert_allclose(m.phase_values_, [0, 0.5, 1])
    grey = img + rng.normal(0, 0.05, img.shape)
    m = _model(max_iter=2, n_phases=3).fit(grey)
    assert m.n_phases_ == 3 and m.volume_fractions_ == pytest.approx([1 / 3] * 3, abs=0.05)


def test_bad_inputs(rng):
    img = _blobs(rng, 32)
    with pytest.raises(ValueError, match="2 to 5 phases.*6 distinct"):
        _model().fit(rng.integers(0, 6, (32, 32)))
    with pytest.raises(ValueError, match="minimum size is 52 x 52"):
        _model(layers=("conv1_1", "pool3")).fit(img)
    nan = img.astype(float)
    nan[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        _model().fit(nan)
    with pytest.raises(ValueError, match="2-D"):
        _model().fit(img[None, None])
    with pytest.raises(ValueError, match="colour image"):
        _model().fit(np.stack([img] * 3, axis=-1))
    with pytest.raises(ValueError, match="non-negative"):
        _model().fit(img - 1)
    with pytest.raises(ValueError, match="small non-negative integers.*1e\\+300"):
        _model().fit(np.where(img == img.max(), 1e300, img.astype(float)))
    with pytest.raises(ValueError, match="single phase"):
        _model().fit(np.ones((32, 32), int))
    with pytest.raises(ValueError, match="Unknown VGG19"):
        _model(layers=("conv1_1", "fc6")).fit(img)
    with pytest.raises(ValueError, match="optimizer"):
        _model(optimizer="sgd").fit(img)
    m = _model(max_iter=1).fit(img)
    with pytest.raises(ValueError, match="minimum size is 16"):
        m.sample(1, shape=8)
    with pytest.raises(ValueError, match="n_samples"):
        m.sample(0)


def test_iterations_per_level(rng, monkeypatch):
    from sktl.reconstruction import _estimator

    img = _blobs(rng, 32)
    seen = []
    original = _estimator.optimise_lbfgs

    def counting(loss, x, n_iter, *a, **kw):
        seen.append((x.shape[-1], n_iter))
        return original(loss, x, n_iter, *a, **kw)

    monkeypatch.setattr(_estimator, "optimise_lbfgs", counting)
    m = _model(n_levels=2, max_iter=[4, 2]).fit(img)
    assert m.settings_["max_iter"] == (4, 2)
    m.sample(1)
    assert seen == [(16, 4), (32, 2)]  # coarsest first; li2018 has no Gram-only start
    for bad in [(4,), (4, 2, 1), (4, 0), (4, 2.5), (4, True)]:
        with pytest.raises(ValueError, match=r"2 positive ints, one per level.*coarsest first"):
            _model(n_levels=2, max_iter=bad).fit(img)


def test_sklearn_api_checks():
    est = MicrostructureReconstructor()
    name = type(est).__name__
    check_no_attributes_set_in_init(name, est)
    check_parameters_default_constructible(name, est)
    check_get_params_invariance(name, est)
    check_set_params(name, est)
    c = clone(_model(max_iter=7))
    assert c.get_params()["max_iter"] == 7 and "max_iter=7" in repr(c)
    assert c.set_params(optimizer="adam").optimizer == "adam"


def test_joblib_round_trip(rng, tmp_path):
    m = _model(max_iter=3).fit(_blobs(rng, 32))
    path = tmp_path / "m.joblib"
    joblib.dump(m, path)
    # the VGG19 taps travel with the model (numpy arrays, no torch pickle): sampling works
    # where the weights package is missing, and the file is no bigger than those weights
    n_weights = sum(p.numel() for p in m._features().parameters())
    assert path.stat().st_size < 4 * n_weights + 200_000
    m2 = joblib.load(path)
    np.testing.assert_array_equal(m.sample(1, random_state=2), m2.sample(1, random_state=2))


def test_threads_limit_torch_and_blas_pools_and_are_restored():
    import torch
    from threadpoolctl import threadpool_info, threadpool_limits

    from sktl.reconstruction._estimator import _thread_limits

    # start from two threads everywhere, whatever the machine and the session fixture set
    with threadpool_limits(limits=2):
        torch.set_num_threads(2)
        before = [p["num_threads"] for p in threadpool_info()]
        with _thread_limits(1):
            assert torch.get_num_threads() == 1
            assert all(p["num_threads"] == 1 for p in threadpool_info())
        assert torch.get_num_threads() == 2
        assert [p["num_threads"] for p in threadpool_info()] == before
    torch.set_num_threads(1)


def test_sample_does_not_change_what_fit_learned(rng):
    import copy

    m = _model(max_iter=3, s2_weight=1.0).fit(_blobs(rng, 32, labels=(0, 1, 2)))
    # about the last sample() call only
    diagnostics = {"loss_history_", "sample_times_", "time_budget_exhausted_", "unfinished_samples_"}
    learned = {k: copy.deepcopy(v) for k, v in vars(m).items() if k.endswith("_")}
    m.sample(2, shape=24)
    after = {k: v for k, v in vars(m).items() if k.endswith("_") and k not in diagnostics}
    assert set(after) == set(learned) - diagnostics
    for k, v in learned.items():
        if k in diagnostics:
            continue
        np.testing.assert_equal(after[k], v, err_msg=k)
    # the same sample again: nothing fit learned drifted with the first call
    np.testing.assert_array_equal(
        m.sample(1, shape=24, random_state=5), m.sample(1, shape=24, random_state=5)
    )


def test_device_runs_on_cpu_and_cuda_when_present(rng):
    import torch

    img = _blobs(rng, 32)
    kw = {"max_iter": 3, "n_levels": 1}  # the defaults: descriptor terms on the device too
    cpu = _model(device="cpu", **kw).fit(img)
    flat, vol = cpu.sample(1, random_state=0), cpu.sample(1, shape=(16, 16, 16), random_state=0)
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device on this machine; the CPU runs above passed")
    gpu = _model(device="cuda", **kw).fit(img)
    for got, want in ((gpu.sample(1, random_state=0), flat),
                      (gpu.sample(1, shape=(16, 16, 16), random_state=0), vol)):
        assert got.shape == want.shape and set(np.unique(got)) <= {0, 1}
