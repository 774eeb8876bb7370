"""One parameter vocabulary across sktl's public estimators (see CHANGELOG.md).

A concept has one name and one meaning everywhere: this test fails when an estimator adds a
synonym, drops a shared parameter, or gives a shared parameter a different default.
"""

from __future__ import annotations

import inspect

import pytest
from sklearn.base import BaseEstimator
from sklearn.utils._param_validation import StrOptions

import sktl
from sktl._skorch import SkorchRegressorBase
from sktl.backbones import POOLINGS

ESTIMATORS = sorted(
    (
        obj
        for name in sktl.__all__
        if isinstance(obj := getattr(sktl, name), type) and issubclass(obj, BaseEstimator)
    ),
    key=lambda cls: cls.__name__,
)
# estimators that run torch networks
TORCH = {
    "CNNRegressor",
    "DeepMLPRegressor",
    "DescriptorRegressor",
    "ImageRegressor",
    "LayerActivationTransformer",
    "MicrostructureReconstructor",
    "MultimodalRegressor",
    "PretrainedCNNFeaturizer",
    "TLRLRegressor",
    "TransferCNNRegressor",
}
# estimators that optimise something themselves: step size, progress output and seeding.
# TLRLRegressor trains through its `regressor` (a DeepMLPRegressor), which has them.
OPTIMISING = TORCH - {"LayerActivationTransformer", "TLRLRegressor", "PretrainedCNNFeaturizer"}
# old names of shared concepts: none may come back
SYNONYMS = {
    "cut_at": "layer",
    "tap": "layer",
    "head": "pooling",
    "pool": "pooling",
    "strategy": "freeze",
    "trainable": "freeze",
    "learning_rate": "lr",
    "progress": "verbose",
    "standardize": "standardize_y",
    "standardise_y": "standardize_y",
    "seed": "random_state",
}
SHARED_DEFAULTS = {"device": "cpu", "verbose": 0, "random_state": None}


def _params(cls) -> dict[str, inspect.Parameter]:
    sig = inspect.signature(cls.__init__)
    return {n: p for n, p in sig.parameters.items() if n != "self"}


def _options(cls, name) -> set:
    found = set()
    for c in cls._parameter_constraints.get(name, []):
        if isinstance(c, StrOptions):
            found |= set(c.options)
    return found


def test_every_public_estimator_is_listed():
    assert {cls.__name__ for cls in ESTIMATORS} >= TORCH | {
        "ElementFractionTransformer",
        "ElementPropertyTransformer",
        "HyperoptRegressor",
        "TwoPointStatsTransformer",
    }


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
def test_constructor_is_keyword_only_and_validated(cls):
    params = _params(cls)
    positional = [n for n, p in params.items() if p.kind is not p.KEYWORD_ONLY]
    assert not positional, f"{cls.__name__}: pass {positional} by keyword only"
    missing = set(params) - set(cls._parameter_constraints)
    assert not missing, f"{cls.__name__}: no _parameter_constraints for {sorted(missing)}"


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
def test_no_synonyms_of_shared_names(cls):
    used = set(_params(cls)) & set(SYNONYMS)
    assert not used, {n: f"use {SYNONYMS[n]!r}" for n in used}


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
def test_shared_defaults_agree(cls):
    params = _params(cls)
    for name, default in SHARED_DEFAULTS.items():
        if name in params:
            assert params[name].default == default, (cls.__name__, name)


@pytest.mark.parametrize(
    "cls", [c for c in ESTIMATORS if c.__name__ in TORCH], ids=lambda c: c.__name__
)
def test_torch_estimators_have_device(cls):
    assert "device" in _params(cls)


@pytest.mark.parametrize(
    "cls", [c for c in ESTIMATORS if c.__name__ in OPTIMISING], ids=lambda c: c.__name__
)
def test_optimising_estimators_share_lr_verbose_random_state(cls):
    assert {"lr", "verbose", "random_state"} <= set(_params(cls))


@pytest.mark.parametrize(
    "cls", [c for c in ESTIMATORS if issubclass(c, SkorchRegressorBase)], ids=lambda c: c.__name__
)
def test_skorch_regressors_share_the_training_vocabulary(cls):
    expected = {
        "lr", "weight_decay", "batch_size", "max_epochs", "early_stopping", "patience",
        "validation_fraction", "standardize_y", "device", "verbose", "random_state",
    }  # fmt: skip
    assert expected <= set(_params(cls))


def test_the_skorch_families_share_one_fit_skeleton():
    for name in ("MultimodalRegressor", "ImageRegressor", "DescriptorRegressor", "CNNRegressor",
                 "TransferCNNRegressor", "DeepMLPRegressor"):  # fmt: skip
        cls = getattr(sktl, name)
        assert issubclass(cls, SkorchRegressorBase)
        assert cls.fit is SkorchRegressorBase.fit and cls.predict is SkorchRegressorBase.predict


@pytest.mark.parametrize(
    "cls", [c for c in ESTIMATORS if "pooling" in _params(c)], ids=lambda c: c.__name__
)
def test_pooling_has_the_same_values_everywhere(cls):
    assert _options(cls, "pooling") == set(POOLINGS)


@pytest.mark.parametrize(
    "cls", [c for c in ESTIMATORS if "freeze" in _params(c)], ids=lambda c: c.__name__
)
def test_freeze_has_one_meaning(cls):
    # "all" / "none" / an int k (the first k layers or taps frozen), nothing else
    assert _options(cls, "freeze") == {"all", "none"}
    est = cls()
    with pytest.raises(ValueError):
        est.set_params(freeze="copied")._validate_params()
    est.set_params(freeze=1)._validate_params()


@pytest.mark.parametrize(
    "cls", [c for c in ESTIMATORS if "backbone" in _params(c)], ids=lambda c: c.__name__
)
def test_backbone_estimators_name_their_tap_layer(cls):
    assert "layer" in _params(cls)


def test_with_freeze_and_pooling():
    names = {c.__name__ for c in ESTIMATORS if {"freeze", "pooling"} <= set(_params(c))}
    assert names == {"ImageRegressor", "MultimodalRegressor", "TransferCNNRegressor"}
