import warnings

import joblib
import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, KFold
from tlrl_helpers import FAST, TINY_ARCH, make_fractions

from sktl.transfer import DeepMLPRegressor


@pytest.fixture
def data(rng):
    X = make_fractions(200, rng)
    y = X @ rng.normal(size=86)
    return X, y


def dense_weights(model):
    return {
        name: m.weight.detach().clone()
        for name, m in model.net_.module_.named_modules()
        if isinstance(m, torch.nn.Linear)
    }


def test_learns_and_shapes(data):
    X, y = data
    m = DeepMLPRegressor(**FAST, max_epochs=40, early_stopping=False).fit(X, y)
    assert m.predict(X).shape == (200,)
    assert m.score(X, y) > 0.8
    assert m.history_[-1]["train_loss"] < m.history_[0]["train_loss"]
    assert set(m.history_[0]) >= {"epoch", "train_loss", "dur"}
    Y = np.column_stack([y, -y, 2 * y])
    multi = DeepMLPRegressor(**FAST, max_epochs=5, early_stopping=False).fit(X, Y)
    assert multi.predict(X).shape == (200, 3) and multi.n_outputs_ == 3
    assert multi.net_.module_.dense_6.out_features == 3


def test_dropout_is_inverted_and_off_at_predict(data):
    X, y = data
    m = DeepMLPRegressor(architecture="64x2D-1", dropout=0.5, max_epochs=2, random_state=0)
    m.fit(X, y)
    np.testing.assert_array_equal(m.predict(X), m.predict(X))
    module = m.net_.module_
    Xt = torch.as_tensor(X[:50], dtype=torch.float32)
    module.train()
    with torch.no_grad():
        a, b = module(Xt), module(Xt)
    module.eval()
    assert not torch.equal(a, b)  # dropout is active while training ...
    assert not module.training  # ... and predict left it in eval mode
    # inverted dropout: the train-mode output averages to the eval-mode output
    with torch.no_grad():
        block = module[:5]  # up to and including dropout_2
        block.train()
        mean = torch.stack([block(Xt) for _ in range(400)]).mean(0)
        block.eval()
        torch.testing.assert_close(mean, block(Xt), atol=0.1, rtol=0.1)


def test_mc_dropout_averages_seeded_dropout_passes(data):
    X, y = data
    m = DeepMLPRegressor(architecture="64x2D-1", dropout=0.5, max_epochs=2, random_state=0)
    m.fit(X, y)
    eval_mode = m.predict(X)
    state = torch.random.get_rng_state()
    m.set_params(mc_dropout=200)
    mc = m.predict(X)
    assert torch.equal(state, torch.random.get_rng_state())
    assert not m.net_.module_.training
    np.testing.assert_array_equal(mc, m.predict(X))  # seeded: reproducible
    assert not np.array_equal(mc, m.set_params(mc_dropout=1).predict(X))
    # the mean of the passes, recomputed by hand with the same seed
    module = m.net_.module_
    with torch.random.fork_rng(devices=[]), torch.no_grad():
        torch.manual_seed(m._predict_seed)
        module.dropout_2.train()
        hand = np.mean(
            [module(torch.as_tensor(X, dtype=torch.float32)).numpy() for _ in range(200)], 0
        )
        module.eval()
    np.testing.assert_allclose(mc, hand.ravel(), rtol=1e-5, atol=1e-6)
    # a one-hidden-block net has no variance shift: 200 passes average to the eval output
    np.testing.assert_allclose(mc, eval_mode, atol=0.1 * np.abs(eval_mode).max())
    # without dropout layers mc_dropout changes nothing
    plain = DeepMLPRegressor(architecture="64x2-1", max_epochs=2, random_state=0).fit(X, y)
    np.testing.assert_array_equal(plain.predict(X), plain.set_params(mc_dropout=5).predict(X))


def test_mc_dropout_early_stopping_scores_the_same_way(data):
    X, y = data
    kw = dict(architecture="64x2D-32x2D-1", dropout=0.5, max_epochs=4, random_state=0)
    m = DeepMLPRegressor(**kw, mc_dropout=8).fit(X, y)
    off = DeepMLPRegressor(**kw).fit(X, y)
    for a, b in zip(m.history_, off.history_, strict=True):
        # same training (the re-scoring draws from a forked RNG), different validation score
        assert a["train_loss"] == b["train_loss"]
        assert a["valid_loss_dropout_off"] == b["valid_loss"]
        assert a["valid_loss"] != b["valid_loss"]
    # the validation rows (skorch's seeded split) scored by hand in predict's mode
    from sklearn.model_selection import ShuffleSplit

    from sktl._nn._torch import seed_from_random_state

    _, va = next(ShuffleSplit(test_size=0.1, random_state=seed_from_random_state(0)).split(X))
    expected = np.mean(np.abs(m.predict(X[va]) - y[va]))  # the best epoch's weights
    assert min(h["valid_loss"] for h in m.history_) == pytest.approx(expected, rel=1e-4)


def test_reproducible_and_global_rng_untouched(data):
    X, y = data
    state = torch.random.get_rng_state()
    a = DeepMLPRegressor(**FAST, max_epochs=3).fit(X, y).predict(X)
    assert torch.equal(state, torch.random.get_rng_state())
    b = DeepMLPRegressor(**FAST, max_epochs=3).fit(X, y).predict(X)
    np.testing.assert_array_equal(a, b)


def test_early_stopping_stops(data):
    X, y = data
    rng = np.random.default_rng(3)
    m = DeepMLPRegressor(**{**FAST, "lr": 0.05}, max_epochs=200, patience=2)
    m.fit(X, rng.normal(size=len(y)))  # noise: validation loss stops improving quickly
    assert len(m.history_) < 200 and "valid_loss" in m.history_[0]


def test_standardize_y_predicts_in_original_units(data):
    X, y = data
    y_big = 1000 * y + 5000
    m = DeepMLPRegressor(**FAST, max_epochs=30, early_stopping=False, standardize_y=True)
    m.fit(X, y_big)
    assert m.score(X, y_big) > 0.8
    assert abs(m.predict(X).mean() - y_big.mean()) < 0.1 * y_big.std()


def test_transfer_copies_matching_layers(source_data, source_model):
    X, y, _ = source_data
    src = dense_weights(source_model)
    # same input width: everything is copied (the single output matches too)
    tl = DeepMLPRegressor(**FAST, weights=source_model, max_epochs=1).fit(X[:50], y[:50])
    assert tl.copied_layers_ == [f"dense_{k}" for k in range(1, 7)] and tl.frozen_layers_ == []
    # different input width (e.g. activations): the first layer is re-initialised
    Z = np.random.default_rng(0).random((60, 16))
    rl = DeepMLPRegressor(**{**FAST, "lr": 1e-12}, weights=source_model, max_epochs=1)
    rl.fit(Z, y[:60])
    assert rl.copied_layers_ == [f"dense_{k}" for k in range(2, 7)]
    got = dense_weights(rl)
    torch.testing.assert_close(got["dense_3"], src["dense_3"], rtol=1e-6, atol=1e-6)
    assert got["dense_1"].shape == (32, 16)


def test_freeze_copied_keeps_weights(source_data, source_model):
    X, y, _ = source_data
    src = dense_weights(source_model)
    m = DeepMLPRegressor(**FAST, weights=source_model, freeze=4, max_epochs=3)
    m.fit(X[:100], -y[:100])
    got = dense_weights(m)
    assert m.frozen_layers_ == ["dense_1", "dense_2", "dense_3", "dense_4"]
    for k in range(1, 5):
        torch.testing.assert_close(got[f"dense_{k}"], src[f"dense_{k}"], rtol=0, atol=0)
    assert not torch.equal(got["dense_5"], src["dense_5"])
    assert not torch.equal(got["dense_6"], src["dense_6"])
    copied = DeepMLPRegressor(**FAST, weights=source_model, freeze="all", max_epochs=1)
    assert copied.fit(X[:50], y[:50]).frozen_layers_ == [f"dense_{k}" for k in range(1, 6)]
    # the source itself is never modified
    for name, w in dense_weights(source_model).items():
        assert torch.equal(w, src[name])


def test_freeze_errors(source_data, source_model):
    X, y, _ = source_data
    with pytest.raises(ValueError, match="not copied"):
        DeepMLPRegressor(**FAST, freeze=2, max_epochs=1).fit(X[:20], y[:20])
    Z = np.ones((20, 5))
    with pytest.raises(ValueError, match=r"not copied.*\['dense_1'\]"):
        DeepMLPRegressor(**FAST, weights=source_model, freeze=2, max_epochs=1).fit(Z, y[:20])
    with pytest.raises(ValueError, match="5 hidden dense layers"):
        DeepMLPRegressor(**FAST, weights=source_model, freeze=6, max_epochs=1).fit(X, y)
    with pytest.warns(UserWarning, match="nothing was copied"):
        DeepMLPRegressor(architecture="7x1-1", weights=source_model, max_epochs=1).fit(Z, y[:20])


def test_source_saved_with_joblib_and_reused(tmp_path, source_data, source_model):
    X, y, _ = source_data
    path = tmp_path / "source.joblib"
    joblib.dump(source_model, path)
    loaded = joblib.load(path)
    np.testing.assert_array_equal(loaded.predict(X), source_model.predict(X))
    preds = []
    for seed in range(3):  # many target fits from the same file
        m = DeepMLPRegressor(**{**FAST, "random_state": seed}, weights=str(path), max_epochs=2)
        preds.append(m.fit(X[:80], y[:80]).predict(X[:5]))
        assert m.copied_layers_ == [f"dense_{k}" for k in range(1, 7)]
    assert not np.allclose(preds[0], preds[1])
    # a fitted target model pickles too
    joblib.dump(m, tmp_path / "target.joblib")
    np.testing.assert_array_equal(joblib.load(tmp_path / "target.joblib").predict(X[:5]), preds[-1])


def test_clone_keeps_source_fitted(source_data, source_model):
    X, y, _ = source_data
    m = DeepMLPRegressor(**FAST, weights=source_model, max_epochs=1)
    c = clone(m)
    assert c.weights is source_model and hasattr(c.weights, "net_")
    gs = GridSearchCV(
        m, {"freeze": ["none", 3]}, cv=KFold(2), scoring="neg_mean_absolute_error"
    ).fit(X[:60], y[:60])
    assert gs.best_params_["freeze"] in ("none", 3)
    assert hasattr(source_model, "net_")


@pytest.mark.parametrize(
    "kwargs, X, y, match",
    [
        ({}, np.ones((10, 4)), [np.nan] + [1.0] * 9, "NaN"),
        ({}, np.ones((10, 4)), np.ones(9), "10 samples but y has 9"),
        ({"architecture": "16x-1"}, np.ones((10, 4)), np.ones(10), "architecture"),
        ({}, np.ones((1, 4)), np.ones(1), "n_samples=1"),
        ({}, np.ones((10, 4)), None, "requires y"),
    ],
)
def test_bad_input(kwargs, X, y, match):
    with pytest.raises(ValueError, match=match):
        DeepMLPRegressor(**{**FAST, **kwargs}, max_epochs=1).fit(X, y)


def test_unfitted_or_wrong_source(source_data):
    X, y, _ = source_data
    with pytest.raises(ValueError, match="not fitted"):
        DeepMLPRegressor(**FAST, weights=DeepMLPRegressor(), max_epochs=1).fit(X, y)
    with pytest.raises(TypeError, match="weights must be"):
        DeepMLPRegressor(**FAST, weights=42, max_epochs=1).fit(X, y)


def test_default_is_elemnet():
    m = DeepMLPRegressor()
    assert (m.lr, m.batch_size, m.dropout, m.early_stopping) == (1e-4, 32, 0.2, True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert TINY_ARCH.endswith("-1")


def test_bool_freeze_is_rejected(source_data, source_model):
    X, y, _ = source_data
    with pytest.raises(ValueError, match="ambiguous"):
        DeepMLPRegressor(**FAST, weights=source_model, freeze=True, max_epochs=1).fit(X, y)


def test_float32_overflow_is_an_error(data):
    X, y = data
    with pytest.raises(ValueError, match="float32"):
        DeepMLPRegressor(**FAST, max_epochs=1).fit(X * 1e300, y)
    m = DeepMLPRegressor(**FAST, max_epochs=1).fit(X, y)
    with pytest.raises(ValueError, match="float32"):
        m.predict(X * 1e300)
