import logging
import os
import random
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.model_selection import cross_val_score

from sktl.automl import HyperoptRegressor, _process_state


@pytest.fixture
def linear_data(rng):
    X = rng.random((80, 4))
    return X, X @ np.array([1.0, -2.0, 0.5, 3.0]) + 0.01 * rng.normal(size=80)


def fast(**kw):
    params = dict(
        regressor="ridge", preprocessing="standard_scaler", max_evals=3, cv=3, random_state=0
    )
    params.update(kw)
    return HyperoptRegressor(**params)


def test_fit_returns_self_and_learns(linear_data):
    X, y = linear_data
    est = fast()
    assert est.fit(X, y) is est
    assert est.score(X, y) > 0.95
    assert est.fallback_used_ == [False]


def test_same_random_state_same_search(linear_data):
    X, y = linear_data
    a = HyperoptRegressor(max_evals=4, cv=3, random_state=3).fit(X, y).predict(X)
    b = HyperoptRegressor(max_evals=4, cv=3, random_state=3).fit(X, y).predict(X)
    np.testing.assert_array_equal(a, b)


def test_multi_target_runs_one_search_per_target(linear_data):
    X, y = linear_data
    Y = np.column_stack([y, -y])
    est = fast().fit(X, Y)
    assert est.predict(X).shape == (80, 2) and len(est.estimators_) == 2


def test_all_trials_failed_falls_back_to_ridge(linear_data, monkeypatch):
    X, y = linear_data

    def broken(self, X, y, seed):
        raise RuntimeError("All trials failed or timed out.")

    monkeypatch.setattr(HyperoptRegressor, "_search", broken)
    with pytest.warns(RuntimeWarning, match="falling back to RidgeCV"):
        est = fast().fit(X, y)
    assert est.fallback_used_ == [True] and est.score(X, y) > 0.95
    with pytest.raises(RuntimeError, match="search failed for target 0"):
        fast(fallback="raise").fit(X, y)


def test_composes_with_cross_val_score_and_clone(linear_data):
    X, y = linear_data
    assert cross_val_score(clone(fast()), X, y, cv=2).mean() > 0.9


def test_search_runs_inside_loky_workers(linear_data):
    # hpsklearn starts a Process per trial; in loky workers that used to fail every trial
    X, y = linear_data
    scores = cross_val_score(fast(fallback="raise"), X, y, cv=2, n_jobs=2)
    assert scores.min() > 0.9


def test_bad_component_name(linear_data):
    X, y = linear_data
    with pytest.raises(ValueError, match="not an hpsklearn component"):
        fast(regressor="no_such_model").fit(X, y)


def test_seed_env_is_restored():
    before = os.environ.get("HYPEROPT_FMIN_SEED")
    with _process_state.fmin_seed(5):
        assert os.environ["HYPEROPT_FMIN_SEED"] == "5"
    assert os.environ.get("HYPEROPT_FMIN_SEED") == before


# -- optional dependency -----------------------------------------------------------------------
@pytest.mark.parametrize("missing", ["hpsklearn", "hyperopt"])
def test_fit_without_hyperopt_says_how_to_install(linear_data, monkeypatch, missing):
    X, y = linear_data
    monkeypatch.setitem(sys.modules, missing, None)  # `import missing` now raises ImportError
    est = fast()  # building needs neither
    assert est.get_params()["max_evals"] == 3
    with pytest.raises(ImportError) as info:
        est.fit(X, y)
    message = str(info.value)
    assert 'pip install "sktl[automl]"' in message
    assert "pip install --no-deps hyperopt-sklearn==1.1.1" in message
    assert "--no-deps because" in message and "downgrade" in message
    assert missing in message
    assert not hasattr(est, "models_")


def test_fresh_interpreter_import_error_and_no_global_trace():
    # in a fresh interpreter: `import sktl` does not import hyperopt; where it cannot be
    # imported, the estimator builds and fit says how to install it; once it can, a fit that
    # imports it leaves the process's global state (including logging) as it was
    code = textwrap.dedent(
        """
        import logging, os, random, sys, warnings
        import numpy as np
        import sktl
        from sktl.automl import HyperoptRegressor
        assert "hpsklearn" not in sys.modules and "hyperopt" not in sys.modules

        sys.modules["hpsklearn"] = sys.modules["hyperopt"] = None
        X = np.random.default_rng(0).random((30, 3))
        y = X.sum(axis=1)
        est = HyperoptRegressor(regressor="ridge", preprocessing="none", max_evals=2, cv=3,
                                random_state=0)
        try:
            est.fit(X, y)
        except ImportError as exc:
            assert "sktl[automl]" in str(exc), exc
        else:
            raise SystemExit("fit did not raise ImportError")
        del sys.modules["hpsklearn"], sys.modules["hyperopt"]

        def state():
            np_state = np.random.get_state()
            loggers = {n: (lg.level, tuple(lg.handlers)) for n, lg in
                       logging.root.manager.loggerDict.items() if isinstance(lg, logging.Logger)}
            return (np_state[1].tobytes(), random.getstate(), list(warnings.filters),
                    os.environ.get("HYPEROPT_FMIN_SEED"), logging.root.level,
                    tuple(logging.root.handlers), loggers)

        before = state()
        assert est.fit(X, y).score(X, y) > 0.9
        assert "hpsklearn" in sys.modules  # imported by the fit
        after = state()
        for i, (a, b) in enumerate(zip(before, after)):
            if i == 6:  # loggers: the old ones unchanged, hyperopt's own unconfigured
                changed = [n for n in a if a[n] != b[n]]
                configured = [n for n in b if n not in a and (b[n][0] or b[n][1])]
                assert changed == [] and configured == [], (changed, configured)
            else:
                assert a == b, i
        print("ok")
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=180, check=False
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().endswith("ok")


def test_huge_values_are_refused_with_the_fix(linear_data):
    X, y = linear_data
    with pytest.raises(ValueError, match="too large.*rescale"):
        fast().fit(X * 1e300, y)


def test_keyword_only_constructor():
    with pytest.raises(TypeError):
        HyperoptRegressor("ridge")


# -- no global side effects --------------------------------------------------------------------
def _module_attributes():
    import hpsklearn
    import hpsklearn.estimator.estimator as hp_estimator
    import hyperopt
    import hyperopt.fmin

    return {m.__name__: dict(vars(m)) for m in (hpsklearn, hp_estimator, hyperopt, hyperopt.fmin)}


def _changed_attributes(before, after):
    return sorted(
        f"{mod}.{k}"
        for mod in before
        for k in set(before[mod]) | set(after[mod])
        if before[mod].get(k, None) is not after[mod].get(k, None)
    )


def _global_state():
    np_state = np.random.get_state()  # noqa: NPY002 - the legacy global RNG is the point
    loggers = {
        name: (lg.level, tuple(lg.handlers), lg.propagate)
        for name, lg in logging.root.manager.loggerDict.items()
        if isinstance(lg, logging.Logger)
    }
    return {
        "numpy": (np_state[0], np_state[1].tobytes(), *np_state[2:]),
        "random": random.getstate(),
        "torch": torch.random.get_rng_state().numpy().tobytes(),
        "env": os.environ.get("HYPEROPT_FMIN_SEED"),
        "warnings": list(warnings.filters),
        "root logger": (logging.root.level, tuple(logging.root.handlers)),
        "loggers": loggers,
        "logging disabled": logging.root.manager.disable,
    }


@pytest.mark.parametrize("regressor", ["ridge", "any"])
def test_fit_leaves_no_global_trace(linear_data, regressor):
    X, y = linear_data
    fast(max_evals=1).fit(X, y)  # imports done
    modules, state = _module_attributes(), _global_state()
    est = fast(regressor=regressor, preprocessing="any", max_evals=4).fit(X, y)
    assert est.fallback_used_ == [False]
    assert _changed_attributes(modules, _module_attributes()) == []
    after = _global_state()
    for key in state:
        assert after[key] == state[key], f"fit changed the process's {key} state"


def test_search_seeds_what_hyperopt_sklearn_draws_from_the_global_rng(linear_data):
    # logistic_regression's component picks its solver with np.random.choice: inside the fit
    # the global RNG is seeded from random_state, and restored afterwards
    X, y = linear_data
    draws = []
    for outer_seed in (1, 2):
        np.random.seed(outer_seed)  # noqa: NPY002
        with _process_state.process_state_kept(7):
            draws.append(np.random.random())  # noqa: NPY002
        assert np.random.get_state()[1][0] == np.random.RandomState(outer_seed).get_state()[1][0]  # noqa: NPY002
    assert draws[0] == draws[1]


def test_loky_workers_fit_without_patching_hpsklearn(linear_data):
    # in a loky worker the trials need the standard start method: hpsklearn's module globals
    # (Process, Pipe) must not be replaced for it
    from joblib import Parallel, delayed

    X, y = linear_data

    def fit_in_worker():
        import multiprocessing

        import hpsklearn.estimator.estimator as hp_estimator

        before = dict(vars(hp_estimator))
        est = fast(fallback="raise").fit(X, y)
        after = dict(vars(hp_estimator))
        changed = sorted(k for k in before if before[k] is not after.get(k))
        return multiprocessing.get_start_method(allow_none=True), changed, est.score(X, y)

    (method, changed, score), _ = Parallel(n_jobs=2, backend="loky")(
        delayed(fit_in_worker)() for _ in range(2)
    )
    assert method == "loky"  # the case that needs the standard start method
    assert changed == []
    assert score > 0.95
