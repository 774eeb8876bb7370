"""One parameter vocabulary across sktl's public API (sktl/utils/_vocabulary.py).

A positive registry: every parameter of every public class, function and CLI command is a
registered name (shared, with one meaning and constraint, and one default where the families
must agree) or one of its owner's own, with what it means. A new name fails here until it is
registered, so a synonym cannot slip in unseen.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest
from sklearn.base import BaseEstimator
from sklearn.utils._param_validation import StrOptions

import sktl
from sktl.backbones import POOLINGS
from sktl.base import SkorchRegressorBase
from sktl.cli import build_parser
from sktl.utils._vocabulary import OWN, RENAMED, SHARED, VARIES, term

PUBLIC_MODULES = [
    "sktl", *(f"sktl.{m.name}" for m in pkgutil.iter_modules(sktl.__path__) if m.name[0] != "_")
]


def _public(kind):
    found = {}
    for module in PUBLIC_MODULES:
        mod = importlib.import_module(module)
        for name in getattr(mod, "__all__", []):
            obj = getattr(mod, name)
            if kind(obj):
                found[obj.__name__] = obj
    return sorted(found.items())


PUBLIC_CLASSES = _public(lambda o: isinstance(o, type) and "__init__" in vars(o))
PUBLIC_FUNCTIONS = _public(inspect.isfunction)


def _cli_commands():
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    return {
        f"sktl {name}": [a.dest for a in parser._actions if a.dest != "help"]
        for name, parser in sub.choices.items()
    }

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


def _unregistered(owner, names):
    own = OWN.get(owner, {})
    return [n for n in names if n not in own and n not in SHARED]


@pytest.mark.parametrize("name, cls", PUBLIC_CLASSES, ids=[n for n, _ in PUBLIC_CLASSES])
def test_every_parameter_of_every_public_class_is_registered(name, cls):
    assert not _unregistered(name, _params(cls)), (
        f"{name}: register these parameters in sktl/utils/_shared_terms.py (a shared name) or "
        "_estimator_terms.py (one of the class's own, with what it means)"
    )


@pytest.mark.parametrize("name, func", PUBLIC_FUNCTIONS, ids=[n for n, _ in PUBLIC_FUNCTIONS])
def test_every_parameter_of_every_public_function_is_registered(name, func):
    assert not _unregistered(name, inspect.signature(func).parameters), name


@pytest.mark.parametrize("command, dests", sorted(_cli_commands().items()))
def test_every_cli_flag_is_registered(command, dests):
    assert not _unregistered(command, dests), command


def test_every_registered_term_says_what_it_means():
    terms = [*SHARED.values(), *(t for own in OWN.values() for t in own.values())]
    assert all(len(t.meaning) > 8 for t in terms)


def test_own_names_do_not_shadow_shared_ones():
    assert not {(o, n) for o, own in OWN.items() for n in own if n in SHARED}


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
def test_constraints_come_from_the_registry(cls):
    def text(constraint):  # StrOptions built twice are equal in what they say, not by identity
        return constraint if isinstance(constraint, str) else [str(c) for c in constraint]

    for name, constraint in cls._parameter_constraints.items():
        expected = term(cls.__name__, name).resolved_constraint()
        assert text(constraint) == text(expected), (cls.__name__, name)


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
def test_shared_defaults_agree(cls):
    for name, p in _params(cls).items():
        shared = SHARED.get(name)
        if shared is not None and shared.default is not VARIES:
            assert p.default == shared.default, (cls.__name__, name, shared.default)


def test_names_reserved_for_the_coming_parameters_are_registered():
    """One name each for a time budget, a confidence level and a set of candidate models."""
    from sktl.utils._shared_terms import RESERVED

    assert set(RESERVED) <= set(SHARED)
    assert not {"max_time", "time_limit", "timeout"} & set(SHARED)  # one time-budget name


def test_renamed_parameters_are_gone():
    for owner, renames in RENAMED.items():
        params = _params(getattr(sktl, owner))
        for old, new in renames.items():
            assert old not in params and new in params, (owner, old, new)


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
