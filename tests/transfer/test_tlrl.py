"""TLRLRegressor: activations of a source layer -> a network initialised from the source."""

from __future__ import annotations

import joblib
import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import Ridge
from sklearn.model_selection import GridSearchCV
from tlrl_helpers import FAST, TINY_ARCH, make_fractions

from sktl.transfer import DeepMLPRegressor, LayerActivationTransformer, TLRLRegressor
from sktl.transfer._tlrl import least_squares_bridge

# a learning rate so small that one epoch leaves the starting weights as they were
UNTRAINED = dict(FAST, lr=1e-12, max_epochs=1, early_stopping=False, dropout=0.0)


@pytest.fixture(scope="module")
def target_data(source_data):
    _, _, w = source_data
    rng = np.random.default_rng(7)
    X = make_fractions(160, rng)
    return X, 1.1 * X @ w + 0.3  # a related property: scaled and shifted


def _start_error(source_model, X, **kw):
    """MAE between the source's predictions and an untrained TL+RL network's."""
    model = TLRLRegressor(weights=source_model, regressor=DeepMLPRegressor(**UNTRAINED), **kw)
    y = source_model.predict(X)
    return float(np.mean(np.abs(model.fit(X, y).predict(X) - y))), model


def test_least_squares_bridge_recovers_a_linear_map():
    rng = np.random.default_rng(0)
    A = rng.normal(size=(500, 6)) * [1, 10, 100, 0.1, 1, 1]
    M = rng.normal(size=(6, 4))
    Z = A @ M + [1.0, -2.0, 0.5, 0.0]
    W, b, r2 = least_squares_bridge(A, Z, alpha=1e-9)
    np.testing.assert_allclose(W, M.T, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(b, [1.0, -2.0, 0.5, 0.0], atol=1e-6)
    assert r2 == pytest.approx(1.0)


def test_bridge_on_layer_one_starts_as_the_source(source_data, source_model):
    # layer 1 before its ReLU is exactly what the bridge must reproduce: the identity
    X, _, _ = source_data
    error, model = _start_error(source_model, X, layer=1, activation="dense", bridge_alpha=1e-9)
    assert model.bridge_score_ == pytest.approx(1.0, abs=1e-6)
    assert error < 1e-4
    assert model.regressor_.copied_layers_ == [f"dense_{k}" for k in range(1, 7)]


@pytest.mark.parametrize("layer", [2, 3, 4])
def test_bridge_starts_closer_to_the_source_than_random(source_data, source_model, layer):
    X, y, _ = source_data
    bridged, model = _start_error(source_model, X, layer=layer)
    random, plain = _start_error(source_model, X, layer=layer, bridge="random")
    assert 0.3 < model.bridge_score_ <= 1.0
    assert plain.bridge_score_ is None
    assert "dense_1" in model.regressor_.copied_layers_
    assert "dense_1" not in plain.regressor_.copied_layers_
    assert bridged < 0.5 * random
    assert bridged < 0.5 * np.std(y)


def test_learns_a_related_target(target_data, source_model):
    X, y = target_data
    model = TLRLRegressor(
        weights=source_model, layer=3, regressor=DeepMLPRegressor(**FAST, max_epochs=40)
    ).fit(X, y)
    mae = np.mean(np.abs(model.predict(X) - y))
    assert mae < 0.5 * np.mean(np.abs(y - np.mean(y)))
    assert model.n_features_in_ == 86
    assert model.activations_.layer_index_ == 3


def test_equals_activations_plus_initialised_regressor(target_data, source_model):
    # bridge="random" is the paper's TL+RL: the Pipeline of transformer and regressor
    X, y = target_data
    reg = DeepMLPRegressor(**FAST, max_epochs=5)
    model = TLRLRegressor(weights=source_model, layer=4, bridge="random", regressor=reg).fit(X, y)
    act = LayerActivationTransformer(weights=source_model, layer=4, activation="dense").fit(X)
    direct = clone(reg).set_params(weights=source_model).fit(act.transform(X), y)
    np.testing.assert_allclose(model.predict(X), direct.predict(act.transform(X)), atol=1e-6)


def test_reproducible_and_source_untouched(target_data, source_model):
    X, y = target_data
    before = {k: v.clone() for k, v in source_model.net_.module_.state_dict().items()}
    kw = dict(layer=2, regressor=DeepMLPRegressor(**FAST, max_epochs=3))
    a = TLRLRegressor(weights=source_model, **kw).fit(X, y).predict(X)
    b = TLRLRegressor(weights=source_model, **kw).fit(X, y).predict(X)
    np.testing.assert_array_equal(a, b)
    for k, v in source_model.net_.module_.state_dict().items():
        assert torch.equal(v, before[k])


def test_predictions_do_not_depend_on_the_batch(target_data, source_model):
    # float32 networks may differ by an ulp between a 1-row and a 20-row batch on some CPUs
    # (see MACHINE_DEPENDENT in tests/test_common.py); beyond float32 precision they must agree
    X, y = target_data
    model = TLRLRegressor(weights=source_model, layer=2, regressor=DeepMLPRegressor(**FAST, max_epochs=2))
    full = model.fit(X, y).predict(X[:20])
    rows = np.concatenate([model.predict(X[i : i + 1]) for i in range(20)])
    np.testing.assert_allclose(rows, full, rtol=1e-5, atol=1e-6)


def test_regressor_keeps_the_source_and_clone_shares_it(target_data, source_model):
    X, y = target_data
    model = TLRLRegressor(weights=source_model, layer=2, regressor=DeepMLPRegressor(**FAST, max_epochs=1))
    assert clone(model).weights is source_model
    model.fit(X, y)
    assert model.regressor_.weights is source_model
    assert model.regressor is not None and model.regressor.weights is None  # not mutated


def test_gridsearch_over_layer_and_regressor_params(target_data, source_model):
    X, y = target_data
    search = GridSearchCV(
        TLRLRegressor(weights=source_model, regressor=DeepMLPRegressor(**FAST, max_epochs=2)),
        {"layer": [2, 4], "regressor__lr": [1e-2, 1e-3]},
        cv=2,
        scoring="neg_mean_absolute_error",
    ).fit(X, y)
    assert search.best_params_["layer"] in (2, 4)
    assert search.best_estimator_.weights is source_model


def test_joblib_round_trip(tmp_path, target_data, source_model):
    X, y = target_data
    model = TLRLRegressor(weights=source_model, layer=3, regressor=DeepMLPRegressor(**FAST, max_epochs=2))
    model.fit(X, y)
    joblib.dump(model, tmp_path / "m.joblib")
    np.testing.assert_array_equal(joblib.load(tmp_path / "m.joblib").predict(X), model.predict(X))


def test_multi_output(target_data, source_model):
    X, y = target_data
    Y = np.column_stack([y, -y])
    model = TLRLRegressor(weights=source_model, layer=2, regressor=DeepMLPRegressor(**FAST, max_epochs=2))
    assert model.fit(X, Y).predict(X).shape == (len(X), 2)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"regressor": Ridge()}, TypeError, "regressor must be a DeepMLPRegressor"),
        ({"layer": 9}, ValueError, r"out of range.*Valid layers"),
        ({"layer": "dense_99"}, ValueError, "not a dense layer of the source"),
        ({"bridge": "pinv"}, ValueError, "bridge"),
        ({"regressor": DeepMLPRegressor(architecture="64x2-1")}, ValueError, "starts with 64 units"),
    ],
)
def test_bad_parameters(target_data, source_model, kwargs, error, match):
    X, y = target_data
    with pytest.raises(error, match=match):
        TLRLRegressor(weights=source_model, **kwargs).fit(X, y)


def test_regressor_with_its_own_weights_is_refused(target_data, source_model):
    X, y = target_data
    reg = DeepMLPRegressor(architecture=TINY_ARCH, weights=source_model)
    with pytest.raises(ValueError, match="weights must be None"):
        TLRLRegressor(weights=source_model, regressor=reg).fit(X, y)


def test_bad_sources_and_data(target_data, source_model):
    X, y = target_data
    with pytest.raises(ValueError, match="weights is None"):
        TLRLRegressor().fit(X, y)
    with pytest.raises(ValueError, match="not fitted"):
        TLRLRegressor(weights=DeepMLPRegressor()).fit(X, y)
    with pytest.raises(ValueError, match="expects 86"):
        TLRLRegressor(weights=source_model).fit(X[:, :10], y)
    bad = X.copy()
    bad[3, 2] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        TLRLRegressor(weights=source_model).fit(bad, y)
    with pytest.raises(ValueError, match="inconsistent numbers of samples|samples"):
        TLRLRegressor(weights=source_model).fit(X, y[:-1])
    with pytest.raises(ValueError, match="requires y"):
        TLRLRegressor(weights=source_model).fit(X, None)
    with pytest.raises(NotFittedError):
        TLRLRegressor(weights=source_model).predict(X)


def test_failed_refit_keeps_the_fitted_model(target_data, source_model):
    X, y = target_data
    model = TLRLRegressor(weights=source_model, layer=2, regressor=DeepMLPRegressor(**FAST, max_epochs=1))
    model.fit(X, y)
    before = model.predict(X)
    model.set_params(layer=42)
    with pytest.raises(ValueError, match="out of range"):
        model.fit(X, y)
    np.testing.assert_array_equal(model.set_params(layer=2).predict(X), before)
