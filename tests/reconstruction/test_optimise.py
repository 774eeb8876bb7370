"""The pixel optimisers of sktl.reconstruction._optimise on a plain quadratic loss."""

import numpy as np
import pytest
import torch
from scipy.optimize import Bounds, minimize

from sktl.reconstruction import _lbfgsb
from sktl.reconstruction._optimise import optimise_lbfgs


def _quadratic(target, points):
    def loss(x):
        points.append(x.detach().clone())
        return ((x - target) ** 2).sum()

    return loss


def test_lbfgs_evaluates_its_start_once_and_converges():
    rng = np.random.default_rng(0)
    x0 = rng.uniform(0, 255, (1, 3, 8, 8)).astype(np.float32)
    target = torch.full((1, 3, 8, 8), 100.0)
    points = []
    x, history = optimise_lbfgs(_quadratic(target, points), x0, 20, 1e-12)
    starts = [p for p in points if torch.allclose(p, torch.from_numpy(x0))]
    assert len(starts) == 1  # raw() for the scale; minimize reuses it
    np.testing.assert_allclose(x, 100.0, atol=1e-2)
    assert history[0] == float(((torch.from_numpy(x0) - target) ** 2).sum())
    assert history[-1] < 1e-3 * history[0]


def _rosenbrock(x):
    f = np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)
    g = np.zeros_like(x)
    g[:-1] = -400.0 * x[:-1] * (x[1:] - x[:-1] ** 2) - 2.0 * (1.0 - x[:-1])
    g[1:] += 200.0 * (x[1:] - x[:-1] ** 2)
    return f, g


@pytest.mark.parametrize("signature", [_lbfgsb.SIGNATURE, "unknown"])
@pytest.mark.parametrize("maxiter", [3, 40, 500])
def test_minimize_box_follows_scipy_minimize(monkeypatch, signature, maxiter):
    # the box cuts the optimum (all ones) off, so that bounds are active at the end
    x0 = np.random.default_rng(1).uniform(-1.5, 0.9, 30)
    opts = dict(maxiter=maxiter, maxfun=2 * maxiter, ftol=1e-10, maxcor=20)
    ref_losses = []

    def _cb(intermediate_result):
        ref_losses.append(float(intermediate_result.fun))

    ref = minimize(
        _rosenbrock, x0, jac=True, method="L-BFGS-B",
        bounds=Bounds(np.full(30, -2.0), np.full(30, 0.8)),
        callback=_cb,
        options={**opts, "gtol": 0.0},
    )
    monkeypatch.setattr(_lbfgsb, "SIGNATURE", signature)
    losses = []
    x = _lbfgsb.minimize_box(_rosenbrock, x0.copy(), -2.0, 0.8, callback=losses.append, **opts)
    np.testing.assert_array_equal(x, ref.x)
    assert losses == ref_losses and len(losses) == ref.nit
    if maxiter == 500:
        assert x.max() == 0.8  # an active bound


def test_minimize_box_knows_this_scipy():
    # else volumes pay scipy's set-up at every call
    assert _lbfgsb.SIGNATURE in ("c", "fortran") and _lbfgsb._direct_path_works(_lbfgsb.SIGNATURE)


def test_a_failing_direct_path_falls_back_to_minimize(monkeypatch):
    def broken(*args, **kwargs):  # as a routine whose arguments changed would fail
        raise TypeError("a changed routine")

    monkeypatch.setattr(_lbfgsb, "_drive", broken)
    _lbfgsb._direct_path_works.cache_clear()
    try:
        assert not _lbfgsb._direct_path_works(_lbfgsb.SIGNATURE)
        x = _lbfgsb.minimize_box(_rosenbrock, np.zeros(5), -2.0, 0.8, maxiter=30, maxfun=60,
                                 ftol=1e-10, maxcor=20)
        assert _rosenbrock(x)[0] < _rosenbrock(np.zeros(5))[0]
    finally:
        _lbfgsb._direct_path_works.cache_clear()
