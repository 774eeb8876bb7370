"""CV+ intervals (sktl/utils/_conformal.py) and CompositionRegressor.predict_interval."""

import numpy as np
import pytest
from sklearn.ensemble import RandomForestRegressor
from sklearn.linear_model import Ridge
from sklearn.model_selection import KFold

from sktl import CompositionRegressor
from sktl.composition import ElementFractionTransformer
from sktl.utils._conformal import check_enough_rows, confidence_levels, cv_plus


def _data(n, seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    return X, X @ np.array([1.0, -2.0, 0.5, 0.0]) + rng.normal(scale=0.5, size=n)


@pytest.mark.parametrize(
    "estimator", [Ridge(alpha=1.0), RandomForestRegressor(n_estimators=20, random_state=0)]
)
def test_cv_plus_agrees_with_mapie(estimator):
    mapie = pytest.importorskip("mapie.regression", reason="the intervals extra (MAPIE)")
    X, y = _data(120, 0)
    X_test, _ = _data(30, 1)
    cv = KFold(5, shuffle=True, random_state=0)
    levels = np.array([0.8, 0.9])
    reference = mapie.CrossConformalRegressor(
        estimator=estimator, confidence_level=list(levels), method="plus", cv=cv
    ).fit_conformalize(X, y)
    _, expected = reference.predict_interval(X_test)
    fold_of_row = np.empty(len(y), dtype=int)
    fold_predictions, residuals = [], np.empty(len(y))
    for f, (train, valid) in enumerate(cv.split(X)):
        model = estimator.__class__(**estimator.get_params()).fit(X[train], y[train])
        fold_of_row[valid] = f
        residuals[valid] = np.abs(y[valid] - model.predict(X[valid]))
        fold_predictions.append(model.predict(X_test))
    bounds = cv_plus(np.column_stack(fold_predictions), fold_of_row, residuals, levels)
    np.testing.assert_allclose(bounds, expected, rtol=1e-10, atol=1e-10)


def _salts(n, seed):
    rng = np.random.default_rng(seed)
    cations, anions = ["Li", "Na", "K", "Rb", "Mg", "Ca", "Sr", "Ba"], ["F", "Cl", "Br", "I", "O"]
    formulas = [f"{rng.choice(cations)}{rng.integers(1, 4)}{rng.choice(anions)}" for _ in range(n)]
    F = ElementFractionTransformer().transform(formulas)
    signal = F @ np.random.default_rng(99).normal(scale=3.0, size=F.shape[1])
    return formulas, signal + rng.normal(scale=0.3, size=n)


def test_intervals_cover_known_noise_and_an_overconfident_one_fails():
    formulas, y = _salts(200, 0)
    test_formulas, y_test = _salts(600, 1)
    reg = CompositionRegressor(members=["forest_fractions"], weights=None, random_state=0)
    reg.fit(formulas, y)
    y_pred, y_pis = reg.predict_interval(test_formulas, confidence_level=[0.8, 0.9])
    np.testing.assert_allclose(y_pred, reg.predict(test_formulas))
    covered = (y_pis[:, 0] <= y_test[:, None]) & (y_test[:, None] <= y_pis[:, 1])
    coverage = covered.mean(axis=0)
    assert abs(coverage[0] - 0.8) < 0.06 and abs(coverage[1] - 0.9) < 0.05, coverage
    half = (y_pis[:, 1, 1] - y_pis[:, 0, 1]) / 2
    overconfident = np.abs(y_test - y_pred) <= 0.5 * half
    assert overconfident.mean() < 0.75  # the check can fail: halved intervals miss


def test_interval_shapes_for_one_and_several_targets():
    formulas, y = _salts(40, 0)
    Y = np.column_stack([y, -2 * y])
    reg = CompositionRegressor(members=["forest_fractions"], weights=None, random_state=0)
    pred, pis = reg.fit(formulas, y).predict_interval(formulas[:5])
    assert pred.shape == (5,) and pis.shape == (5, 2, 1)
    assert (pis[:, 0] <= pis[:, 1]).all()
    pred, pis = reg.fit(formulas, Y).predict_interval(formulas[:5], confidence_level=[0.5, 0.8])
    assert pred.shape == (5, 2) and pis.shape == (5, 2, 2, 2)


@pytest.mark.parametrize("level", [0, 1, 1.5, -0.1, "0.9", True, [], [0.9, 2]])
def test_bad_confidence_levels_say_what_to_pass(level):
    with pytest.raises(ValueError, match="confidence_level"):
        confidence_levels(level)


def test_too_few_rows_for_the_level_is_an_error_that_says_how_many():
    formulas, y = _salts(12, 0)
    reg = CompositionRegressor(
        members=["forest_fractions"], weights=None, stack_folds=3, random_state=0
    ).fit(formulas, y)
    reg.predict_interval(formulas[:2], confidence_level=0.9)  # 12 rows >= 9: fine
    check_enough_rows(9, np.array([0.9]), "X")  # exactly 1 / (1 - 0.9) - 1 rows
    with pytest.raises(ValueError, match="needs at least 19"):
        reg.predict_interval(formulas[:2], confidence_level=0.95)


@pytest.mark.parametrize("n", [99, 199])
def test_cv_plus_ranks_hold_when_alpha_times_n_plus_1_is_whole(n):
    mapie = pytest.importorskip("mapie.regression", reason="the intervals extra (MAPIE)")
    X, y = _data(n, 2)
    X_test, _ = _data(10, 3)
    cv = KFold(5, shuffle=True, random_state=0)
    levels = np.array([0.8, 0.9])
    _, expected = (
        mapie.CrossConformalRegressor(
            estimator=Ridge(), confidence_level=list(levels), method="plus", cv=cv
        )
        .fit_conformalize(X, y)
        .predict_interval(X_test)
    )
    fold_of_row, residuals, fold_predictions = np.empty(n, dtype=int), np.empty(n), []
    for f, (train, valid) in enumerate(cv.split(X)):
        model = Ridge().fit(X[train], y[train])
        fold_of_row[valid] = f
        residuals[valid] = np.abs(y[valid] - model.predict(X[valid]))
        fold_predictions.append(model.predict(X_test))
    bounds = cv_plus(np.column_stack(fold_predictions), fold_of_row, residuals, levels)
    np.testing.assert_allclose(bounds, expected, rtol=1e-10, atol=1e-10)
