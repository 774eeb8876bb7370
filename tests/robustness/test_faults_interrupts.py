"""KeyboardInterrupt at a random batch, trial or iteration: each kind of estimator follows its rule.

The rules (stated once in :mod:`sktl.base`): a single network keeps its last finished epoch,
sets ``interrupted_`` and warns; a search keeps its finished trials, sets ``interrupted_`` and
warns; whatever needs all its parts (the stack, the reconstructor) raises again and is left as
it was. What is kept equals an uninterrupted run that stopped there.
"""

from __future__ import annotations

import importlib.util
import multiprocessing

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

from sktl import (
    DeepMLPRegressor,
    HyperoptRegressor,
    MicrostructureReconstructor,
    MultimodalRegressor,
    multimodal_input,
)

from .faults import interrupt_on_call

needs_hpsklearn = pytest.mark.skipif(
    importlib.util.find_spec("hpsklearn") is None, reason="hyperopt-sklearn is not installed"
)
N, BATCH = 48, 8  # 6 batches per epoch
RNG = np.random.default_rng(30)
X = RNG.normal(size=(N, 4))
Y = X @ np.array([1.0, -2.0, 0.5, 3.0]) + 0.05 * RNG.normal(size=N)
LINEAR = "torch.nn.functional.linear"  # every dense layer's forward pass: once per batch each


def _state(est) -> dict:
    """The estimator's attributes, by identity: a restored estimator has the same objects."""
    return {k: id(v) for k, v in vars(est).items()}


# -- a single network: keeps the last finished epoch ---------------------------------------------
def _mlp(**kw):
    params = dict(architecture="16-1", dropout=0.0, lr=1e-2, batch_size=BATCH, max_epochs=5)
    return DeepMLPRegressor(**{**params, "early_stopping": False, "random_state": 0, **kw})


@pytest.mark.parametrize("draw", range(2))
def test_network_keeps_its_last_finished_epoch(draw):
    per_epoch = 2 * N // BATCH  # two dense layers per batch
    n = int(np.random.default_rng(draw).integers(per_epoch + 1, 5 * per_epoch))  # epochs 2..5
    finished = (n - 1) // per_epoch
    with interrupt_on_call(LINEAR, n), pytest.warns(UserWarning, match=f"end of epoch {finished}"):
        model = _mlp().fit(X, Y)
    assert model.interrupted_ and len(model.history_) == finished
    reference = _mlp(max_epochs=finished).fit(X, Y)
    assert not reference.interrupted_
    np.testing.assert_array_equal(model.predict(X), reference.predict(X))


def test_network_interrupted_in_its_first_epoch_is_left_unfitted():
    model = _mlp()
    with interrupt_on_call(LINEAR, 3), pytest.raises(KeyboardInterrupt):
        model.fit(X, Y)
    with pytest.raises(NotFittedError):
        model.predict(X)


# -- a stack: raises, and the estimator is as it was ---------------------------------------------
def test_stack_raises_and_keeps_the_previous_fit():
    images = RNG.random((N, 8, 8))
    Xm = multimodal_input(images, X)
    model = MultimodalRegressor(
        backbone="resnet18", layer="conv1", weights=None, image_units=(8,), descriptor_units=(8,),
        head_units=(8,), stack_folds=2, batch_size=16, max_epochs=2, random_state=0,
    ).fit(Xm, Y)  # fmt: skip
    with interrupt_on_call(LINEAR, 10**9) as calls:  # count the calls of a whole refit
        model.fit(Xm, Y)
    total = calls["n"]
    model.fit(Xm, Y)
    params, state, before = model.get_params(), _state(model), model.predict(Xm)
    for n in np.random.default_rng(1).integers(1, total, size=2):
        with interrupt_on_call(LINEAR, int(n)), pytest.raises(KeyboardInterrupt):
            model.fit(Xm, Y)
        assert model.get_params() == params and _state(model) == state
        np.testing.assert_array_equal(model.predict(Xm), before)


# -- the reconstructor: fit and sample raise, and leave it as it was -----------------------------
@pytest.fixture(scope="module")
def reconstructor():
    img = (np.random.default_rng(2).random((32, 32)) > 0.5).astype(int)
    rec = MicrostructureReconstructor(
        layers=("conv1_1", "pool1"), max_iter=6, n_levels=1, random_state=0
    )
    return img, rec.fit(img)


def test_reconstructor_fit_and_sample_are_all_or_nothing(reconstructor):
    img, rec = reconstructor
    first = rec.sample(2, random_state=0)
    state, history = _state(rec), rec.loss_history_
    # conv1_1 and conv1_2: two convolutions per loss evaluation, about 8 evaluations a sample
    for n in np.random.default_rng(3).integers(1, 30, size=2):
        with interrupt_on_call("torch.nn.functional.conv2d", int(n)):
            with pytest.raises(KeyboardInterrupt):
                rec.sample(2, random_state=0)
        assert _state(rec) == state and rec.loss_history_ is history
    with interrupt_on_call("torch.nn.functional.conv2d", 2), pytest.raises(KeyboardInterrupt):
        rec.fit(img[::-1])
    assert _state(rec) == state
    np.testing.assert_array_equal(rec.sample(2, random_state=0), first)


# -- a search: keeps its finished trials ---------------------------------------------------------
TRIAL = "hyperopt.base.spec_from_misc"  # hyperopt's fmin, in this process, before each trial
IN_TRIAL = "multiprocessing.connection.wait"  # waiting for the trial's process to answer


def _search(**kw):
    params = dict(regressor="ridge", preprocessing="none", max_evals=4, cv=3, random_state=0)
    return HyperoptRegressor(**{**params, **kw})


@pytest.fixture(scope="module")
def full_search():
    pytest.importorskip("hpsklearn")
    return _search().fit(X, Y)


@needs_hpsklearn
@pytest.mark.parametrize("where", [TRIAL, IN_TRIAL])
def test_search_keeps_its_finished_trials(full_search, where):
    n = int(np.random.default_rng(400 + len(where)).integers(2, 5))  # trials 2..4
    children = set(multiprocessing.active_children())
    with interrupt_on_call(where, n), pytest.warns(UserWarning, match=f"with {n - 1} of max"):
        model = _search().fit(X, Y)
    assert set(multiprocessing.active_children()) <= children  # no trial outlives the search
    assert model.interrupted_ and not full_search.interrupted_
    np.testing.assert_array_equal(model.trial_losses_[0], full_search.trial_losses_[0][: n - 1])
    reference = _search(max_evals=n - 1).fit(X, Y)
    np.testing.assert_array_equal(model.predict(X), reference.predict(X))


BEFORE_FIRST_TRIAL = "hyperopt.base.Trials.new_trial_ids"  # no trial stored yet


@needs_hpsklearn
@pytest.mark.parametrize("where", [TRIAL, IN_TRIAL, BEFORE_FIRST_TRIAL])
def test_search_without_a_finished_trial_raises_and_keeps_the_previous_fit(where):
    model = _search(max_evals=2).fit(X, Y)
    state, before = _state(model), model.predict(X)
    with interrupt_on_call(where, 1), pytest.raises(KeyboardInterrupt, match="before any trial"):
        model.fit(X * 2, Y)
    assert _state(model) == state
    np.testing.assert_array_equal(model.predict(X), before)


@needs_hpsklearn
def test_multi_target_search_keeps_only_a_last_target_interrupt():
    Y2 = np.column_stack([Y, -Y])
    with interrupt_on_call(TRIAL, 2), pytest.raises(KeyboardInterrupt, match="target 0 of 2"):
        _search(max_evals=2).fit(X, Y2)  # target 0 stopped: target 1 has nothing
    with interrupt_on_call(TRIAL, 4), pytest.warns(UserWarning, match="of target 1 ended with 1"):
        model = _search(max_evals=2).fit(X, Y2)
    assert model.interrupted_ and [len(t) for t in model.trial_losses_] == [2, 1]
    assert model.predict(X).shape == (N, 2)


@needs_hpsklearn
def test_search_whose_finished_trials_all_failed_falls_back():
    with interrupt_on_call(TRIAL, 3), pytest.warns(UserWarning, match="they all failed: RidgeCV"):
        with pytest.warns(RuntimeWarning, match="falling back to RidgeCV"):
            model = _search(trial_timeout=1e-9).fit(X, Y)  # every trial times out
    assert model.interrupted_ and model.fallback_used_ == [True]
    assert model.trial_losses_[0].shape == (2,) and np.isnan(model.trial_losses_[0]).all()
