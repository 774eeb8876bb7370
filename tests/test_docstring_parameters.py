"""The docstrings of sktl's public estimators agree with their code (numpydoc).

In the style of scikit-learn's ``sklearn/tests/test_docstring_parameters.py``. For every
estimator in ``sktl.__all__``:

* the class docstring's "Parameters" section lists exactly the constructor's parameters, in
  signature order, each as ``name : type, default=<the signature's default>`` followed by an
  indented description (no exception: every entry says what the parameter does);
* its "Attributes" section lists exactly the public fitted attributes (``name_``, not
  ``_name``) that ``fit`` sets on tiny data, each with a type and a description. The tiny
  fits take pandas DataFrames with string column names (one image as a table for the
  reconstructor, a formula column for the composition transformer), so ``feature_names_in_``
  is set and checked like any other attribute. An attribute that only some configurations set
  may be documented without being set, only if ``CONDITIONAL_ATTRIBUTES`` lists it with the
  reason; each entry must be documented and really unset in the tiny fit (no stale entries);
* every public method that sktl itself defines (``fit``, ``predict``, ``transform``,
  ``sample``, ``get_feature_names_out``: not the inherited scikit-learn mixin methods such as
  ``score`` or ``fit_transform``, nor the generated ``set_*_request``) documents exactly its
  parameters in signature order, each with a type and a description, and a "Returns" section
  whose entries have a type and a description (``fit`` returns ``self``);
* the class docstring has an "Examples" section with at least one example that runs as a
  doctest (not ``+SKIP``; pytest runs them, see the root ``conftest.py``), except where
  ``WITHOUT_RUNNABLE_EXAMPLE`` gives the reason.

A ``default=...`` written in any type line must equal the signature's default (compared as
Python literals). The docstrings are parsed with warnings as errors, so an unknown section
or a malformed entry fails too.
"""

from __future__ import annotations

import ast
import doctest
import inspect
import warnings

import numpy as np
import pandas as pd
import pytest
from numpydoc.docscrape import ClassDoc, NumpyDocString
from sklearn.base import BaseEstimator, clone
from sklearn.dummy import DummyRegressor
from test_common import ESTIMATORS as TINY_ESTIMATORS

import sktl
from sktl import (
    CompositionRegressor,
    ElementFractionTransformer,
    ElementPropertyTransformer,
    FeatureCache,
)

PUBLIC_ESTIMATORS = sorted(
    (
        obj
        for name in sktl.__all__
        if isinstance(obj := getattr(sktl, name), type) and issubclass(obj, BaseEstimator)
    ),
    key=lambda cls: cls.__name__,
)

# the tiny instances of the common checks (random weights, shallow taps, few epochs), and the
# one estimator those checks cannot take (it reads chemical formulas)
TINY = {type(est).__name__: est for est in TINY_ESTIMATORS}
TINY["ElementFractionTransformer"] = ElementFractionTransformer()
TINY["ElementPropertyTransformer"] = ElementPropertyTransformer()
TINY["CompositionRegressor"] = CompositionRegressor(
    members=["forest_fractions", ("mean", DummyRegressor())], weights=None, stack_folds=2
)

# Attributes documented although the tiny fit does not set them: {class: {attribute: reason}}.
CONDITIONAL_ATTRIBUTES: dict[str, dict[str, str]] = {
    "PretrainedCNNFeaturizer": {
        "network_key_": "set only when cache is a FeatureCache (the tiny instance has none)",
    },
    "MicrostructureReconstructor": {
        "loss_history_": "set by sample(), not by fit",
        "sample_times_": "set by sample(), not by fit",
        "time_budget_exhausted_": "set by sample(), not by fit",
        "unfinished_samples_": "set by sample(), not by fit",
        "target_grams_": "a property: level 0 of level_targets_ (stored once)",
        "target_s2_": "a property: level 0 of level_targets_ (stored once)",
        "target_lineal_path_": "a property: level 0 of level_targets_ (stored once)",
    },
}


def _tiny_fit(name: str) -> BaseEstimator:
    """A clone of the tiny instance of ``name``, fitted on a few rows (or one small image)."""
    est = clone(TINY[name])
    params = est.get_params()
    if "max_epochs" in params:
        est.set_params(max_epochs=2)
    if "regressor__max_epochs" in params:
        est.set_params(regressor__max_epochs=2)
    rng = np.random.default_rng(0)
    if name in ("ElementFractionTransformer", "ElementPropertyTransformer"):
        return est.fit(pd.DataFrame({"formula": ["Fe2O3", "NaCl", "CuSO4·5H2O"]}))
    if name == "CompositionRegressor":
        X = pd.DataFrame({"formula": ["Fe2O3", "NaCl", "CuSO4·5H2O", "MgO"], "T": rng.random(4)})
        return est.fit(X, rng.random(4))
    if name == "MicrostructureReconstructor":
        # one 2-phase label image as a table: its columns are the image's columns
        image = (rng.random((8, 8)) > 0.5).astype(np.int64)
        return est.fit(pd.DataFrame(image, columns=[f"c{j}" for j in range(8)]))
    # 2-D rows: 1 x 8 images, [1 pixel | 7 descriptors] packed rows, or plain feature tables
    X = pd.DataFrame(rng.random((10, 8)), columns=[f"x{j}" for j in range(8)])
    return est.fit(X, rng.random(10))


def _parse(obj) -> NumpyDocString:
    """numpydoc's parse of ``obj``'s docstring; numpydoc's warnings are failures."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        if isinstance(obj, type):
            return ClassDoc(obj, config={"show_class_members": False})
        return NumpyDocString(inspect.getdoc(obj) or "")


def _names(entries) -> list[str]:
    """Documented names; ``a, b : type`` documents both a and b."""
    return [n.strip() for e in entries for n in e.name.split(",")]


def _check_entries(entries, where: str) -> list[str]:
    """Problems of numpydoc entries: a missing type or description."""
    problems = []
    for e in entries:
        label = e.name or e.type
        if not e.type.strip():
            problems.append(f"{where} {label!r} has no type")
        if not "".join(e.desc).strip():
            problems.append(f"{where} {label!r} has no description")
    return problems


def _documented_default(type_text: str):
    """The ``default=...`` of a type line as a Python value, or ``inspect.Parameter.empty``."""
    if "default=" not in type_text:
        return inspect.Parameter.empty
    text = type_text.split("default=", 1)[1].strip()
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError) as exc:
        raise AssertionError(f"default={text} is not a Python literal") from exc


def _check_parameters(entries, signature: inspect.Signature, where: str, *, require_default):
    params = [
        p
        for n, p in signature.parameters.items()
        if n != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    ]
    problems = []
    documented = _names(entries)
    expected = [p.name for p in params]
    if documented != expected:
        problems.append(
            f"{where}: documented parameters {documented} != signature {expected} "
            f"(missing {sorted(set(expected) - set(documented))}, "
            f"extra {sorted(set(documented) - set(expected))})"
        )
    problems += _check_entries(entries, f"{where} parameter")
    by_name = {n: e for e in entries for n in _names([e])}
    for p in params:
        entry = by_name.get(p.name)
        if entry is None:
            continue
        try:
            doc_default = _documented_default(entry.type)
        except AssertionError as exc:
            problems.append(f"{where} parameter {p.name!r}: {exc}")
            continue
        if doc_default is inspect.Parameter.empty:
            if require_default and p.default is not p.empty:
                problems.append(
                    f"{where} parameter {p.name!r}: type line {entry.type!r} lacks "
                    f"default={p.default!r}"
                )
        elif repr(doc_default) != repr(p.default):
            problems.append(
                f"{where} parameter {p.name!r}: documented default={doc_default!r}, "
                f"signature default={p.default!r}"
            )
    return problems


def test_public_estimators_are_covered():
    assert {cls.__name__ for cls in PUBLIC_ESTIMATORS} == set(TINY)


@pytest.mark.parametrize("cls", PUBLIC_ESTIMATORS, ids=lambda c: c.__name__)
def test_class_parameters(cls):
    doc = _parse(cls)
    problems = _check_parameters(
        doc["Parameters"], inspect.signature(cls.__init__), cls.__name__, require_default=True
    )
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("cls", PUBLIC_ESTIMATORS, ids=lambda c: c.__name__)
def test_fitted_attributes(cls):
    name = cls.__name__
    doc = _parse(cls)
    documented = _names(doc["Attributes"])
    problems = _check_entries(doc["Attributes"], f"{name} attribute")
    duplicated = sorted({a for a in documented if documented.count(a) > 1})
    if duplicated:
        problems.append(f"{name}: attributes documented twice: {duplicated}")
    not_fitted = [a for a in documented if not a.endswith("_") or a.startswith("_")]
    if not_fitted:
        problems.append(f"{name}: documented attributes that are not fitted ones: {not_fitted}")

    est = _tiny_fit(name)
    fitted = {a for a in vars(est) if a.endswith("_") and not a.startswith("_")}
    conditional = CONDITIONAL_ATTRIBUTES.get(name, {})
    undocumented = sorted(fitted - set(documented))
    if undocumented:
        problems.append(f"{name}: fit sets undocumented attributes {undocumented}")
    unset = sorted(set(documented) - fitted - set(conditional))
    if unset:
        problems.append(
            f"{name}: documented attributes that fit does not set {unset} (document only what "
            "fit sets, or list them in CONDITIONAL_ATTRIBUTES with the reason)"
        )
    stale = sorted(a for a in conditional if a not in documented or a in fitted)
    if stale:
        problems.append(f"{name}: CONDITIONAL_ATTRIBUTES entries {stale} are stale")
    assert not problems, "\n".join(problems)


# Estimators whose docstring has no example that runs: {class: reason}.
WITHOUT_RUNNABLE_EXAMPLE: dict[str, str] = {
}


@pytest.mark.parametrize("cls", PUBLIC_ESTIMATORS, ids=lambda c: c.__name__)
def test_runnable_example(cls):
    """An "Examples" section with at least one example that runs as a doctest (not +SKIP)."""
    text = "\n".join(_parse(cls)["Examples"])
    examples = doctest.DocTestParser().get_examples(text)
    runnable = [e for e in examples if not e.options.get(doctest.OPTIONFLAGS_BY_NAME["SKIP"])]
    if cls.__name__ in WITHOUT_RUNNABLE_EXAMPLE:
        assert not runnable, f"{cls.__name__} has a runnable example now: drop its exception"
    else:
        assert runnable, f"{cls.__name__} has no example that runs as a doctest"


def test_conditional_attributes_are_set_where_documented():
    """Each attribute of CONDITIONAL_ATTRIBUTES is set in the configuration its reason names."""
    featurizer = clone(TINY["PretrainedCNNFeaturizer"]).set_params(cache=FeatureCache())
    assert isinstance(featurizer.fit(np.zeros((2, 8))).network_key_, str)
    reconstructor = _tiny_fit("MicrostructureReconstructor")
    reconstructor.sample(1, shape=4)
    assert len(reconstructor.loss_history_) == len(reconstructor.sample_times_) == 1
    assert reconstructor.time_budget_exhausted_ is False
    assert reconstructor.unfinished_samples_ == {}
    for name in ("grams", "s2", "lineal_path"):  # the properties read level 0
        assert getattr(reconstructor, f"target_{name}_") is reconstructor.level_targets_[0][name]
    assert {a for attrs in CONDITIONAL_ATTRIBUTES.values() for a in attrs} == {
        "network_key_",
        "loss_history_",
        "sample_times_",
        "time_budget_exhausted_",
        "unfinished_samples_",
        "target_grams_",
        "target_s2_",
        "target_lineal_path_",
    }, "a new conditional attribute: check here that its configuration sets it"


def _sktl_methods(cls):
    """Public methods that sktl defines for ``cls`` (directly or in an sktl base class)."""
    for name in sorted(dir(cls)):
        if name.startswith("_") or (name.startswith("set_") and name.endswith("_request")):
            continue
        owner = next(k for k in cls.__mro__ if name in vars(k))
        if owner.__module__.startswith("sktl") and inspect.isfunction(vars(owner)[name]):
            yield name


METHODS = [(cls, m) for cls in PUBLIC_ESTIMATORS for m in _sktl_methods(cls)]


def test_methods_are_found():
    assert {m for _, m in METHODS} >= {"fit", "predict", "transform", "sample"}


@pytest.mark.parametrize(("cls", "method"), METHODS, ids=[f"{c.__name__}.{m}" for c, m in METHODS])
def test_method_docstring(cls, method):
    where = f"{cls.__name__}.{method}"
    func = getattr(cls, method)
    doc = _parse(func)
    problems = []
    if not " ".join(doc["Summary"]).strip():
        problems.append(f"{where} has no summary line")
    problems += _check_parameters(
        doc["Parameters"], inspect.signature(func), where, require_default=False
    )
    returns = doc["Returns"]
    if not returns:
        problems.append(f"{where} has no Returns section")
    problems += _check_entries(returns, f"{where} return value")
    if method == "fit" and [r.name for r in returns] != ["self"]:
        problems.append(f"{where} should document its return value as 'self : object'")
    assert not problems, "\n".join(problems)
