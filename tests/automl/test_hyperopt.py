import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import cross_val_score

from sktl.automl import HyperoptRegressor, _hyperopt


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
    import os

    before = os.environ.get("HYPEROPT_FMIN_SEED")
    with _hyperopt._fmin_seed(5):
        assert os.environ["HYPEROPT_FMIN_SEED"] == "5"
    assert os.environ.get("HYPEROPT_FMIN_SEED") == before
