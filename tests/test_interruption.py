"""An exception or KeyboardInterrupt in the middle of fit never leaves a half-updated estimator."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

from sktl import DescriptorRegressor, MultimodalRegressor, multimodal_input
from sktl.multimodal import _modules

N, BATCH = 64, 8  # 8 batches per epoch


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(N, 5))
    y = X @ rng.normal(size=5) + 0.1 * rng.normal(size=N)
    return X, y


def _raise_at(monkeypatch, n_call: int, exc: BaseException):
    """Make the network's forward pass raise ``exc`` at its ``n_call``-th call."""
    original = _modules.MultimodalNet.forward
    calls = {"n": 0}

    def forward(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == n_call:
            raise exc
        return original(self, *args, **kwargs)

    monkeypatch.setattr(_modules.MultimodalNet, "forward", forward)


def _model(**kw):
    params = dict(descriptor_units=(16, 8), batch_size=BATCH, max_epochs=5, random_state=0)
    return DescriptorRegressor(**{**params, **kw})


def test_keyboard_interrupt_keeps_last_finished_epoch(data, monkeypatch):
    X, y = data
    reference = _model(max_epochs=2).fit(X, y)
    _raise_at(monkeypatch, 2 * (N // BATCH) + 4, KeyboardInterrupt())  # mid third epoch
    with pytest.warns(UserWarning, match="end of epoch 2"):
        model = _model().fit(X, y)
    assert model.interrupted_
    assert len(model.history_) == 2
    assert all("train_loss" in h for h in model.history_)
    np.testing.assert_array_equal(model.predict(X), reference.predict(X))
    assert not reference.interrupted_


def test_keyboard_interrupt_in_first_epoch_changes_nothing(data, monkeypatch):
    X, y = data
    model = _model()
    _raise_at(monkeypatch, 3, KeyboardInterrupt())
    with pytest.raises(KeyboardInterrupt):
        model.fit(X, y)
    with pytest.raises(NotFittedError):
        model.predict(X)
    assert not hasattr(model, "x_scaler_")


@pytest.mark.parametrize("exc", [RuntimeError("boom"), KeyboardInterrupt()])
def test_failed_refit_restores_previous_model(data, monkeypatch, exc):
    X, y = data
    model = _model().fit(X, y)
    before = model.predict(X)
    state = dict(model.__dict__)
    # the refit sees other data (new scalers), then fails in its first epoch
    _raise_at(monkeypatch, 2, exc)
    with pytest.raises(type(exc)):
        model.fit(X * 3 + 1, y * 2)
    assert model.__dict__.keys() == state.keys()
    assert model.x_scaler_ is state["x_scaler_"] and model.net_ is state["net_"]
    np.testing.assert_array_equal(model.predict(X), before)


def test_bad_input_on_refit_keeps_model(data):
    X, y = data
    images = np.random.default_rng(1).random((N, 8, 8))
    model = MultimodalRegressor(
        backbone="resnet18",
        layer="conv1",
        weights=None,
        image_units=(8,),
        descriptor_units=(8,),
        head_units=(8,),
        fusion="concat",
        max_epochs=2,
        random_state=0,
    ).fit(multimodal_input(images, X), y)
    before = model.predict(multimodal_input(images, X))
    y_bad = y.copy()
    y_bad[3] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        model.fit(multimodal_input(images[:, :4, :4], X), y_bad)
    np.testing.assert_array_equal(model.predict(multimodal_input(images, X)), before)


def test_interrupting_a_stack_leaves_the_estimator_as_it_was(data, monkeypatch):
    X, y = data
    images = np.random.default_rng(1).random((N, 8, 8))
    Xm = multimodal_input(images, X)
    model = MultimodalRegressor(
        backbone="resnet18", layer="conv1", weights=None, image_units=(8,), descriptor_units=(8,),
        head_units=(8,), stack_folds=2, batch_size=BATCH, max_epochs=2,
        random_state=0,
    ).fit(Xm, y)  # fmt: skip
    before = model.predict(Xm)
    # the first member trains on 32 rows, 4 batches per epoch: call 6 is mid second epoch
    _raise_at(monkeypatch, 6, KeyboardInterrupt())
    with pytest.raises(KeyboardInterrupt, match="a stack needs all its members"):
        model.fit(Xm, y)
    monkeypatch.undo()
    np.testing.assert_array_equal(model.predict(Xm), before)

