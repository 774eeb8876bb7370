"""Models saved by sktl at commit 966ff65 still load, predict the same and keep their settings.

The fixture, tests/fixtures/saved_966ff65/, holds one tiny fitted model of every public
estimator of that commit (two MultimodalRegressor fusions, and the DeepMLPRegressor source of
the transfer models), each saved with ``joblib.dump`` (``<name>.joblib``) and with
``sktl.persistence.dump`` (``<name>.skops``); ``expected.npz`` holds each model's input and the
output of ``predict``, ``transform`` or ``sample(1, random_state=0)`` computed by that commit;
``params.json`` its plain hyper-parameters (``get_params(deep=False)`` less estimators and
torch modules; tuples written as lists); ``manifest.json`` its class, the module that defined
the class then, the method to call, the formats written and the class of each estimator or
torch-module valued parameter (``init_from``, ``source``, ``regressor``).

The files are written by tests/fixtures/make_saved_966ff65.py run against a checkout of
966ff65, and by nothing else: never regenerate them with newer code, which would only prove
that new code reads its own files. If a change breaks these tests, old users' files break
too: keep the old module paths importable (joblib and skops files name the module that
defined each class), accept the old parameter names in ``__setstate__``, and record each
rename in ``RENAMED`` below (and each deliberate change of a loaded value in ``CONVERTED``).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import joblib
import numpy as np
import pytest

from sktl.reconstruction import PRESETS
from sktl.utils._vocabulary import RENAMED as _VOCABULARY_RENAMED

# Parameters renamed since 966ff65, per class as named in manifest.json: {old name: new name}
# (sktl 1.1's table, which __setstate__ applies). A loaded model must hold each saved value
# under its new name.
RENAMED: dict[str, dict[str, str]] = _VOCABULARY_RENAMED
# Saved values that newer code deliberately loads as another value, per class and current
# parameter name: [(saved, loaded), ...]. sktl 1.0's cache flag named process-wide state that
# no longer exists: a loaded model has no cache.
_NO_CACHE = {"cache": [(False, None), (True, None)]}
CONVERTED: dict[str, dict[str, list[tuple]]] = {
    name: _NO_CACHE
    for name in (
        "PretrainedCNNFeaturizer",
        "MultimodalRegressor",
        "ImageRegressor",
        "TransferCNNRegressor",
    )
}
# sktl 1.0's reconstructor filled the parameters left at None from `preset` (here "sktl"); 1.1
# has one preset mechanism (constant dicts) and loads those values in their place.
CONVERTED["MicrostructureReconstructor"] = {
    key: [(None, value)] for key, value in PRESETS["sktl"].items()
}
# Parameters that no longer exist, per class, with the reason.
REMOVED: dict[str, dict[str, str]] = {
    "MicrostructureReconstructor": {"preset": "its values are now the parameters themselves"},
}

# The files were written with scikit-learn 1.9; the oldest supported stack reads them with an
# older one, which warns about exactly that: the outputs are compared below.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.InconsistentVersionWarning")

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "saved_966ff65"
MANIFEST = json.loads((FIXTURE / "manifest.json").read_text())
PARAMS = json.loads((FIXTURE / "params.json").read_text())
MODELS = {name: entry for name, entry in MANIFEST.items() if name != "_meta"}
# optional packages a class needs, skipped where they are not installed
OPTIONAL = {"HyperoptRegressor": ("hyperopt", "hpsklearn")}

CASES = [
    pytest.param(name, fmt, id=f"{name}-{fmt}")
    for name, entry in MODELS.items()
    for fmt in entry.get("formats", ())
]


@cache
def _expected():
    with np.load(FIXTURE / "expected.npz") as data:
        return {key: data[key] for key in data.files}


def _inputs(name):
    arrays = _expected()
    if f"{name}.X" in arrays:
        return arrays[f"{name}.X"]
    prefix = f"{name}.X."
    return {key[len(prefix) :]: value for key, value in arrays.items() if key.startswith(prefix)}


@cache
def _loaded(name, fmt):
    path = FIXTURE / f"{name}.{fmt}"
    if fmt == "joblib":
        return joblib.load(path)
    from sktl.persistence import load

    return load(path)


def _model(name, fmt):
    for module in OPTIONAL.get(MODELS[name]["class"], ()):
        pytest.importorskip(module)
    return _loaded(name, fmt)


def _plain(value):
    """The JSON form the generator wrote: tuples as lists, numpy scalars as Python ones."""
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def test_fixture_covers_every_public_estimator_of_966ff65():
    assert MANIFEST["_meta"]["commit"].startswith("966ff65")
    assert MANIFEST["_meta"]["not_covered"] == []
    skipped = {name: entry["skipped"] for name, entry in MODELS.items() if "skipped" in entry}
    assert not skipped
    for name, entry in MODELS.items():
        assert (FIXTURE / f"{name}.joblib").is_file(), name
        assert set(entry["formats"]) == {"joblib", "skops"}, (name, entry["notes"])


@pytest.mark.parametrize(("name", "fmt"), CASES)
def test_loads_as_the_public_class(name, fmt):
    import sktl

    model = _model(name, fmt)
    assert isinstance(model, getattr(sktl, MODELS[name]["class"]))


@pytest.mark.parametrize(("name", "fmt"), CASES)
def test_output_is_unchanged(name, fmt):
    entry = MODELS[name]
    model = _model(name, fmt)
    expected = _expected()
    if entry["output"] == "sample":
        out = model.sample(1, random_state=0)
    else:
        out = getattr(model, entry["output"])(_inputs(name))
    np.testing.assert_allclose(out, expected[f"{name}.out"], rtol=1e-5, atol=1e-6)
    for attr in entry["attributes"]:
        np.testing.assert_allclose(
            getattr(model, attr), expected[f"{name}.attr.{attr}"], rtol=1e-5, atol=1e-6
        )


@pytest.mark.parametrize(("name", "fmt"), CASES)
def test_hyper_parameters_are_kept(name, fmt):
    cls = MODELS[name]["class"]
    renamed = RENAMED.get(cls, {})
    params = _model(name, fmt).get_params(deep=False)
    converted = {k: [_plain(pair) for pair in v] for k, v in CONVERTED.get(cls, {}).items()}
    problems = []
    for old, saved in PARAMS[name].items():
        if old in REMOVED.get(cls, {}):
            assert old not in params, f"{cls}.{old} was meant to be removed"
            continue
        new = renamed.get(old, old)
        label = old if new == old else f"{old} (now {new})"
        if new not in params:
            problems.append(f"{label}: no such parameter in {cls}.get_params() (saved {saved!r})")
        elif (loaded := _plain(params[new])) != saved and [saved, loaded] not in converted.get(
            new, ()
        ):
            problems.append(f"{label}: saved {saved!r}, loaded {params[new]!r}")
    # estimator and torch-module valued params (init_from, source, regressor): their class
    for old, saved in MODELS[name]["estimator_params"].items():
        new = renamed.get(old, old)
        label = old if new == old else f"{old} (now {new})"
        if new not in params:
            problems.append(f"{label}: no such parameter in {cls}.get_params() (saved a {saved})")
        elif type(params[new]).__name__ != saved:
            problems.append(f"{label}: saved a {saved}, loaded {type(params[new]).__name__}")
    assert not problems, f"{cls} from {name}.{fmt}:\n" + "\n".join(problems)
