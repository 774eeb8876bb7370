"""make_spinodal / load_spinodal: contract, determinism, caching and the physics of the solver."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sktl.datasets import _spinodal as spinodal
from sktl.datasets import _spinodal_simulation as simulation
from sktl.datasets import load_spinodal, make_spinodal
from sktl.datasets._cahn_hilliard import LandauCahnHilliard, free_energy, solve


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    """Never write to the user's cache from the tests."""
    monkeypatch.setenv("SKTL_CACHE", str(tmp_path / "sktl-cache"))


# --------------------------------------------------------------------------------------------
# contract


def test_shapes_dtypes_and_names():
    data = make_spinodal(n_samples=3, size=16, random_state=0)
    assert data.images.shape == (3, 16, 16) and data.images.dtype == np.float32
    assert data.descriptors.shape == (3, len(data.feature_names))
    assert data.targets.shape == (3, len(data.target_names))
    assert len(data.feature_names) >= 10 and len(data.target_names) >= 6
    assert data.feature_names == list(spinodal.FEATURE_NAMES)
    assert data.target_names == list(spinodal.TARGET_NAMES)
    for name in (
        "mean_fraction",
        "mobility",
        "kappa",
        "well_depth",
        "well_a",
        "well_b",
        "temperature",
        "noise_amplitude",
        "time",
        "mean_composition",
    ):
        assert name in data.feature_names
    assert np.isfinite(data.images).all() and np.isfinite(data.targets).all()
    for name in data.target_names + [p.name for p in spinodal.PARAMETERS]:
        assert name in data.DESCR

    frame = make_spinodal(n_samples=3, size=16, random_state=0, return_frame=True)
    assert isinstance(frame.descriptors, pd.DataFrame) and isinstance(frame.targets, pd.DataFrame)
    assert list(frame.descriptors.columns) == data.feature_names
    assert list(frame.targets.columns) == data.target_names
    assert list(frame.frame.columns) == data.feature_names + data.target_names
    np.testing.assert_array_equal(frame.targets.to_numpy(), data.targets)
    np.testing.assert_array_equal(frame.images, data.images)


def test_parameters_within_ranges_and_fixed_values():
    ranges = {"temperature": (0.1, 0.2), "kappa": 2.0, "time": (5, 10)}
    data = make_spinodal(
        6, 16, parameter_ranges=ranges, random_state=1, return_frame=True
    )
    d = data.descriptors
    assert d["temperature"].between(0.1, 0.2).all()
    assert (d["kappa"] == 2.0).all()
    assert d["time"].between(5, 10).all()
    for p in spinodal.PARAMETERS:
        low, high = data.parameter_ranges[p.name]
        assert d[p.name].between(low, high).all(), p.name
    expected = d["well_a"] + d["mean_fraction"] * (d["well_b"] - d["well_a"])
    np.testing.assert_allclose(d["mean_composition"], expected)
    # the images conserve the mean composition of their descriptors
    np.testing.assert_allclose(data.images.mean(axis=(1, 2)), d["mean_composition"], atol=1e-6)


def test_deterministic_and_prefix_stable():
    a = make_spinodal(4, 16, random_state=7)
    b = make_spinodal(4, 16, random_state=7)
    for key in ("images", "descriptors", "targets"):
        np.testing.assert_array_equal(a[key], b[key])
    # sample i has its own random stream: a smaller set is a prefix of a larger one
    c = make_spinodal(2, 16, random_state=7)
    np.testing.assert_array_equal(c.images, a.images[:2])
    np.testing.assert_array_equal(c.targets, a.targets[:2])
    d = make_spinodal(4, 16, random_state=8)
    assert not np.allclose(d.descriptors, a.descriptors)
    # a generator seeds too, and the root seed it drew regenerates the set
    e = make_spinodal(2, 16, random_state=np.random.default_rng(0))
    f = make_spinodal(2, 16, random_state=e.random_state)
    np.testing.assert_array_equal(e.images, f.images)


def test_cache_roundtrip(tmp_path, monkeypatch):
    first = make_spinodal(2, 16, cache_dir=tmp_path, random_state=3)
    files = list((tmp_path / "spinodal").glob("*.npz"))
    assert len(files) == 1

    def _no_simulation(*args, **kwargs):
        raise AssertionError("should have been read from the cache")

    monkeypatch.setattr(spinodal, "simulate", _no_simulation)
    again = make_spinodal(2, 16, cache_dir=tmp_path, random_state=3)
    np.testing.assert_array_equal(again.images, first.images)
    np.testing.assert_array_equal(again.targets, first.targets)
    with pytest.raises(AssertionError, match="cache"):  # other arguments, other key
        make_spinodal(2, 16, cache_dir=tmp_path, random_state=3, parameter_ranges={"time": 10})


def test_cache_off_by_default_then_cache_home_and_unseeded(tmp_path, monkeypatch):
    monkeypatch.setenv("SKTL_CACHE", str(tmp_path / "env"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    make_spinodal(1, 8, random_state=0)  # no cache unless asked for: nothing written anywhere
    assert not (tmp_path / "env").exists() and not (tmp_path / "home").exists()
    make_spinodal(1, 8, cache_dir=True, random_state=0)  # True: get_cache_home()
    assert len(list((tmp_path / "env" / "spinodal").glob("*.npz"))) == 1
    make_spinodal(1, 8, cache_dir=True, random_state=None)  # not reproducible: not cached
    assert len(list((tmp_path / "env" / "spinodal").glob("*.npz"))) == 1


def test_cache_never_inside_the_reference_data(tmp_path, monkeypatch):
    monkeypatch.setenv("SKTL_DATA", str(tmp_path / "data"))
    for inside in (tmp_path / "data", tmp_path / "data" / "generated"):
        with pytest.raises(ValueError, match="reference data folder"):
            make_spinodal(1, 8, cache_dir=inside, random_state=0)
    monkeypatch.setenv("SKTL_CACHE", str(tmp_path / "data" / "cache"))
    with pytest.raises(ValueError, match="reference data folder"):
        make_spinodal(1, 8, cache_dir=True, random_state=0)
    assert not (tmp_path / "data").exists()


def test_progress_bar(capsys):
    make_spinodal(2, 8, random_state=0, verbose=1)
    assert "make_spinodal" in capsys.readouterr().err
    make_spinodal(2, 8, random_state=0)  # auto: small set, no bar
    assert "make_spinodal" not in capsys.readouterr().err


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_samples": 0}, "n_samples must be an integer >= 1"),
        ({"n_samples": 2.5}, "n_samples must be an integer >= 1"),
        ({"size": 4}, "size must be an integer >= 8"),
        ({"parameter_ranges": {"viscosity": (1, 2)}}, "Unknown parameter 'viscosity'"),
        ({"parameter_ranges": {"kappa": (3, 1)}}, r"low > high \(3.0 > 1.0\)"),
        ({"parameter_ranges": {"kappa": (1, 2, 3)}}, "must be a number or a pair"),
        ({"parameter_ranges": {"kappa": (0, 1)}}, "kappa must be positive"),
        ({"parameter_ranges": {"kappa": (1, np.inf)}}, "must be finite"),
        ({"parameter_ranges": {"temperature": (0, 1.2)}}, "below 1, the critical point"),
        (
            {"parameter_ranges": {"well_a": (0.2, 0.6), "well_b": (0.5, 0.9)}},
            "well_a must be below",
        ),
        ({"parameter_ranges": {"noise_correlation": (0, 100)}}, "must not exceed the image size"),
        ({"parameter_ranges": [("kappa", (1, 2))]}, "must be a dict"),
        ({"random_state": -1}, "random_state must be >= 0"),
        ({"random_state": "seed"}, "random_state must be None"),
        ({"cache_dir": 3}, "cache_dir must be None"),
    ],
)
def test_bad_inputs(kwargs, match):
    args = {"n_samples": 1, "size": 8, "random_state": 0, **kwargs}
    with pytest.raises(ValueError, match=match):
        make_spinodal(**args)


# --------------------------------------------------------------------------------------------
# physics of the solver


def _random_batch(n, size, seed, **ranges):
    params, streams = spinodal.draw_parameters(seed, n, spinodal.check_ranges(ranges or None))
    model = simulation._model(params)
    c0 = simulation._initial_fields(params, simulation._draw_noise(streams, size))
    return params, model, c0


@pytest.mark.parametrize("method", ["sbdf2", "semi-implicit"])
def test_mass_conservation_and_energy_decrease(method):
    params, model, c0 = _random_batch(6, 32, seed=11, time=(20, 400))
    means = c0.mean(axis=(1, 2))
    energy = free_energy(c0, model)
    history = {i: [energy[i]] for i in range(len(c0))}
    worst_drift = [0.0]

    def record(index, t, c):
        worst_drift[0] = max(worst_drift[0], np.abs(c.mean(axis=(1, 2)) - means[index]).max())
        for i, e in zip(index, free_energy(c, model.subset(index))):
            history[i].append(e)

    c, steps = solve(c0, model, simulation._column(params, "time"), method=method, callback=record)
    assert worst_drift[0] < 1e-10
    np.testing.assert_allclose(c.mean(axis=(1, 2)), means, rtol=0, atol=1e-12)
    for i, trace in history.items():
        trace = np.asarray(trace)
        assert len(trace) == steps[i] + 1 > 10
        scale = np.abs(trace).max()
        assert np.all(np.diff(trace) <= 1e-12 * scale), f"energy increased in sample {i}"
        assert trace[-1] < trace[0]  # spinodal decomposition released free energy


def test_linear_growth_rate_matches_theory():
    """A small single mode grows at R(k) = -M k^2 (f''(c) + kappa k^2); SBDF2 is 2nd order."""
    size, mode = 32, 3
    a, b, W, tau, kappa, M = 0.1, 0.9, 1.7, 0.2, 1.3, 0.8
    model = LandauCahnHilliard(a, b, W, tau, kappa, M, batch=1)
    c_mean, t_end, amplitude = 0.47, 6.0, 1e-7
    k = 2 * np.pi * mode / size
    c0 = np.broadcast_to(c_mean + amplitude * np.cos(k * np.arange(size))[:, None], (1, size, size))
    h2 = ((b - a) / 2) ** 2  # f'' of W [(c-a)^2 (c-b)^2 + 2 tau h^2 (c - c0)^2], by hand:
    d2f = 2 * W * ((c_mean - b) ** 2 + 4 * (c_mean - a) * (c_mean - b) + (c_mean - a) ** 2)
    d2f += 4 * W * tau * h2
    rate = -M * k**2 * (d2f + kappa * k**2)
    assert rate > 0

    def relative_error(eps, method="sbdf2"):
        c, _ = solve(c0, model, t_end, eps=eps, method=method, min_dt_fraction=0)
        grown = np.abs(np.fft.rfft2(c[0] - c_mean)[mode, 0]) * 2 / size**2
        return abs(np.log(grown / amplitude) / (rate * t_end) - 1)

    coarse, fine = relative_error(0.02), relative_error(0.005)
    assert fine < 1e-4
    assert coarse / fine > 8  # second order: 16 expected for a 4x smaller step
    first_order = relative_error(0.02, "semi-implicit") / relative_error(0.005, "semi-implicit")
    assert 3 < first_order < 5


def _explicit_fd_cahn_hilliard(c, *, a, b, W, tau, kappa, M, t_end, dt):
    """Independent reference: forward Euler, 4th-order central-difference Laplacian."""

    def lap(u):
        out = -5.0 * u
        for axis in (0, 1):
            out += 4 / 3 * (np.roll(u, 1, axis) + np.roll(u, -1, axis))
            out -= 1 / 12 * (np.roll(u, 2, axis) + np.roll(u, -2, axis))
        return out

    c0, h2 = (a + b) / 2, ((b - a) / 2) ** 2
    for _ in range(round(t_end / dt)):
        dfdc = 2 * W * (c - a) * (c - b) * (2 * c - a - b) + 4 * W * tau * h2 * (c - c0)
        c = c + dt * M * lap(dfdc - kappa * lap(c))
    return c


def test_matches_independent_finite_difference_solver():
    size = 32
    p = {"a": 0.1, "b": 0.9, "W": 1.5, "tau": 0.1, "kappa": 1.5, "M": 1.0}
    c_mean, t_end = 0.48, 25.0
    rng = np.random.default_rng(0)
    k = 2 * np.pi * np.fft.fftfreq(size)
    smooth = np.hypot(k[:, None], k[None, :]) <= 2 * np.pi * 3.5 / size  # long waves only
    spectrum = np.fft.fft2(rng.standard_normal((size, size))) * smooth
    spectrum[0, 0] = 0
    noise = np.fft.ifft2(spectrum).real
    c_init = c_mean + 0.05 * noise / noise.std()

    reference = _explicit_fd_cahn_hilliard(c_init, t_end=t_end, dt=0.005, **p)
    model = LandauCahnHilliard(p["a"], p["b"], p["W"], p["tau"], p["kappa"], p["M"], batch=1)
    deviation = reference - c_mean
    assert np.abs(deviation).max() > 0.3  # well into the nonlinear regime
    for method, eps in (("sbdf2", 0.01), ("semi-implicit", 0.005)):
        c, _ = solve(c_init[None], model, t_end, eps=eps, method=method, min_dt_fraction=0)
        np.testing.assert_allclose(c.mean(), c_mean, rtol=1e-13)
        rel = np.linalg.norm(c[0] - reference) / np.linalg.norm(deviation)
        assert rel < 0.006 if method == "sbdf2" else rel < 0.01, (method, rel)
    # the dataset's settings (eps=0.1, step floor) stay close too
    c, _ = solve(c_init[None], model, t_end)
    assert np.linalg.norm(c[0] - reference) / np.linalg.norm(deviation) < 0.01


def test_late_stage_reaches_equilibrium_phases():
    """Coarsened domains sit at the coexisting compositions c0 +- h sqrt(1 - tau)."""
    ranges = {
        "well_a": 0.1,
        "well_b": 0.9,
        "temperature": -0.2,
        "mean_fraction": 0.5,
        "time": 2000,
        "well_depth": 2.0,
        "kappa": 1.0,
    }
    data = make_spinodal(
        1, 32, parameter_ranges=ranges, random_state=0, return_frame=True
    )
    t = data.targets.iloc[0]
    phi = 0.4 * np.sqrt(1.2)
    assert abs(t["c_min"] - (0.5 - phi)) < 0.02 and abs(t["c_max"] - (0.5 + phi)) < 0.02
    assert t["separation_degree"] > 0.8 and t["free_energy_change"] < 0
    assert 0.3 < t["volume_fraction"] < 0.7


# --------------------------------------------------------------------------------------------
# embedded sample


def test_embedded_sample_matches_regeneration():
    data = load_spinodal()
    assert data.images.shape == (500, 64, 64) and data.images.dtype == np.float32
    assert data.descriptors.shape == (500, len(spinodal.FEATURE_NAMES))
    assert data.targets.shape == (500, len(spinodal.TARGET_NAMES))
    assert data.random_state == spinodal.EMBEDDED_RANDOM_STATE
    assert np.isfinite(data.images).all() and np.isfinite(data.targets).all()

    fresh = make_spinodal(3, 64, random_state=spinodal.EMBEDDED_RANDOM_STATE)
    np.testing.assert_allclose(data.images[:3], fresh.images, rtol=0, atol=1e-3)  # float16
    np.testing.assert_allclose(data.descriptors[:3], fresh.descriptors, rtol=1e-6)
    np.testing.assert_allclose(data.targets[:3], fresh.targets, rtol=1e-5, atol=1e-7)

    frame = load_spinodal(return_frame=True)
    assert list(frame.targets.columns) == list(spinodal.TARGET_NAMES)
    assert frame.parameter_ranges == {p.name: (p.low, p.high) for p in spinodal.PARAMETERS}
