"""CompositionRegressor: member choice, extra columns, targets, budgets, interrupts, bad input."""

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, RegressorMixin, clone
from sklearn.dummy import DummyRegressor
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.utils.estimator_checks import (
    check_get_params_invariance,
    check_no_attributes_set_in_init,
    check_parameters_default_constructible,
    check_set_params,
)

from sktl import CompositionRegressor
from sktl.composition import MEMBERS, ElementFractionTransformer
from sktl.composition._members import resolve_members

FAST = dict(weights=None, stack_folds=3, random_state=0)
METALS = ["Fe", "Ni", "Co", "Cr", "Mn", "Cu"]


def _alloys(n, seed=0):
    """Formulas of 3-4 metals in random fractions, as strings like 'Fe0.31Ni0.45Co0.24'."""
    rng = np.random.default_rng(seed)
    formulas, fractions = [], []
    for _ in range(n):
        k = rng.integers(3, 5)
        els = rng.choice(METALS, k, replace=False)
        x = rng.dirichlet(np.ones(k))
        formulas.append("".join(f"{e}{v:.3f}" for e, v in zip(els, x)))
        fractions.append(dict(zip(els, x)))
    return formulas, fractions


def _salts(n, seed=0):
    rng = np.random.default_rng(seed)
    cations, anions = ["Li", "Na", "K", "Rb", "Mg", "Ca", "Sr", "Ba"], ["F", "Cl", "Br", "I", "O"]
    return [f"{rng.choice(cations)}{rng.integers(1, 4)}{rng.choice(anions)}" for _ in range(n)]


def test_blend_never_worse_out_of_fold_than_its_best_member():
    formulas, fractions = _alloys(90)
    y = np.array([10 * f.get("Ni", 0) - 5 * f.get("Cr", 0) ** 2 for f in fractions])
    reg = CompositionRegressor(
        members=["forest_fractions", "forest_properties", "boosting"], blend="greedy", **FAST
    ).fit(formulas, y)
    best = min(float(reg.member_scores_[m][0]) for m in reg.members_)
    assert reg.member_scores_["blend"][0] <= best + 1e-12
    assert np.isclose(reg.stack_weights_.sum(), 1.0)  # greedy: weights sum to one
    assert reg.stack_weights_.shape == (3, 1) and reg.oof_predictions_.shape == (90, 3, 1)
    assert reg.oof_residuals_.shape == (90, 1)
    assert sorted(np.bincount(reg.fold_of_sample_)) == [30, 30, 30]
    # a target that only an element fraction explains: the fraction forest carries the blend
    w = dict(zip(reg.members_, reg.stack_weights_[:, 0]))
    assert w["forest_fractions"] >= max(w["forest_properties"], w["boosting"])


def test_nnls_blend_has_an_intercept_and_nonnegative_weights():
    formulas = _salts(60)
    y = ElementFractionTransformer().transform(formulas)[:, :20].sum(axis=1) * 3 + 7
    reg = CompositionRegressor(members=["forest_fractions", "boosting"], **FAST)
    reg.fit(formulas, y)
    assert (reg.stack_weights_ >= 0).all() and reg.stack_intercept_.shape == (1,)


def test_extra_columns_reach_the_forests():
    formulas = _salts(80)
    temperature = np.random.default_rng(1).uniform(300, 1200, 80)
    X = pd.DataFrame({"composition": formulas, "T": temperature})
    y = 0.01 * temperature
    reg = CompositionRegressor(members=["forest_fractions"], formula_column="composition", **FAST)
    reg.fit(X, y)
    assert reg.n_features_in_ == 2 and list(reg.feature_names_in_) == ["composition", "T"]
    same_formula = pd.DataFrame({"composition": ["NaCl"] * 2, "T": [300.0, 1200.0]})
    low, high = reg.predict(same_formula)
    assert high - low > 5  # the temperature, not the formula, drives the target
    with pytest.raises(ValueError, match="feature names"):
        reg.predict(same_formula.rename(columns={"T": "temperature"}))


@pytest.mark.parametrize(
    "frame, message",
    [
        (
            pd.DataFrame({"f": ["NaCl", "KCl"], "T": [1.0, 2.0]}),
            "without the formula column 'formula'",
        ),
        (pd.DataFrame({"formula": ["NaCl", "KCl"], "T": [1.0, np.nan]}), "NaN or inf"),
        (pd.DataFrame({"formula": ["NaCl", "KCl"], "T": [1.0, np.inf]}), "NaN or inf"),
        (pd.DataFrame({"formula": ["NaCl", "KCl"], "phase": ["a", "b"]}), "not numeric"),
    ],
)
def test_bad_frames_say_what_to_do(frame, message):
    with pytest.raises(ValueError, match=message):
        CompositionRegressor(**FAST).fit(frame, [1.0, 2.0])


@pytest.mark.parametrize(
    "formulas, message",
    [
        (["NaCl", "Xx2O"], "Xx"),
        (["NaCl", ""], "Row 1"),
        (["NaCl", "Na(Cl"], "Row 1"),
        (["NaCl", None], "missing formula"),
        (["NaCl", "He2"], "unsupported='drop'"),
    ],
)
def test_bad_formulas_say_what_to_do(formulas, message):
    with pytest.raises(ValueError, match=message):
        CompositionRegressor(**FAST).fit(formulas * 5, np.arange(10.0))


def test_bad_targets_rows_and_members_say_what_to_do():
    formulas = _salts(12)
    with pytest.raises(ValueError, match="needs at least 6 rows"):
        CompositionRegressor(**FAST).fit(formulas[:5], np.arange(5.0))
    with pytest.raises(ValueError, match="X has 12 samples but y has 11"):
        CompositionRegressor(**FAST).fit(formulas, np.arange(11.0))
    with pytest.raises(ValueError, match="NaN or inf"):
        CompositionRegressor(**FAST).fit(formulas, np.r_[np.nan, np.arange(11.0)])
    with pytest.raises(ValueError, match="Unknown member 'forest'"):
        CompositionRegressor(members=["forest"], **FAST).fit(formulas, np.arange(12.0))
    with pytest.raises(ValueError, match="twice"):
        CompositionRegressor(members=["boosting", "boosting"], **FAST).fit(
            formulas, np.arange(12.0)
        )
    with pytest.raises(ValueError, match="single string"):
        CompositionRegressor(**FAST).fit("NaCl", [1.0])


def test_several_targets_and_determinism():
    formulas = _salts(45)
    F = ElementFractionTransformer().transform(formulas)
    Y = np.column_stack([F[:, :30].sum(axis=1), F[:, 30:].sum(axis=1) * 2])
    reg = CompositionRegressor(members=["forest_fractions", "boosting"], **FAST).fit(formulas, Y)
    assert reg.predict(formulas[:4]).shape == (4, 2)
    assert reg.predict_members(formulas[:4]).shape == (4, 2, 2)
    assert reg.stack_weights_.shape == (2, 2) and reg.n_outputs_ == 2
    again = clone(reg).fit(formulas, Y)
    np.testing.assert_array_equal(again.predict(formulas), reg.predict(formulas))
    one = CompositionRegressor(members=["forest_fractions"], **FAST).fit(formulas, Y[:, 0])
    assert one.predict(formulas[:3]).shape == (3,)
    assert one.predict_members(formulas[:3]).shape == (3, 1)


class _Interrupting(RegressorMixin, BaseEstimator):
    def fit(self, X, y):
        raise KeyboardInterrupt

    def predict(self, X):  # pragma: no cover
        return np.zeros(len(X))


class _Slow(DummyRegressor):
    def fit(self, X, y, sample_weight=None):
        import time

        time.sleep(0.05)
        return super().fit(np.zeros((len(X), 1)), y)

    def predict(self, X, return_std=False):
        return super().predict(np.zeros((len(X), 1)))


def test_an_interrupt_keeps_the_finished_members_or_raises_before_the_first():
    formulas = _salts(30)
    y = np.arange(30.0)
    reg = CompositionRegressor(members=["forest_fractions", ("stop", _Interrupting())], **FAST)
    with pytest.warns(UserWarning, match="was interrupted: members \\['stop'\\]"):
        reg.fit(formulas, y)
    assert reg.interrupted_ and reg.members_ == ["forest_fractions"]
    assert reg.skipped_members_ == {"stop": "interrupted"}
    assert reg.predict(formulas).shape == (30,)
    first = CompositionRegressor(members=[("stop", _Interrupting())], **FAST)
    with pytest.raises(KeyboardInterrupt):
        first.fit(formulas, y)
    assert not hasattr(first, "members_") and not hasattr(first, "n_features_in_")
    before = dict(reg.__dict__)
    with pytest.raises(KeyboardInterrupt):  # a failed refit leaves the fitted model as it was
        reg.set_params(members=[("stop", _Interrupting())]).fit(formulas, y)
    reg.set_params(members=before["members"])
    assert reg.__dict__.keys() == before.keys() and reg.members_ == ["forest_fractions"]


def test_time_budget_keeps_what_finished_and_says_so():
    formulas = _salts(30)
    reg = CompositionRegressor(
        members=[("slow", _Slow()), "forest_fractions", "boosting"], time_budget=0.01, **FAST
    )
    with pytest.warns(UserWarning, match="ran out of time_budget"):
        reg.fit(formulas, np.arange(30.0))
    assert reg.members_ == ["slow"]  # the first member always finishes
    assert reg.skipped_members_ == {"forest_fractions": "time_budget", "boosting": "time_budget"}
    assert not reg.interrupted_
    with pytest.raises(ValueError, match="time_budget"):
        CompositionRegressor(time_budget=0, **FAST).fit(formulas, np.arange(30.0))


def test_custom_member_sees_the_rows_as_passed():
    formulas = _salts(30)
    reg = CompositionRegressor(members=[("mean", DummyRegressor()), "forest_fractions"], **FAST)
    reg.fit(formulas, np.arange(30.0))
    assert isinstance(reg.estimators_[0]["mean"], DummyRegressor)
    with pytest.raises(ValueError, match="name of a built-in"):
        CompositionRegressor(members=[("boosting", DummyRegressor())], **FAST).fit(
            formulas, np.arange(30.0)
        )


def test_network_members_train_and_verbose_shows_progress(capsys):
    formulas = _salts(24)
    y = ElementFractionTransformer().transform(formulas)[:, :20].sum(axis=1)
    reg = CompositionRegressor(
        members=["forest_fractions", "finetune"],
        weights=None,
        stack_folds=2,
        max_deep_rows=8,
        verbose=1,
        random_state=0,
    ).fit(formulas, y)
    assert reg.members_ == ["forest_fractions", "finetune"]
    assert reg.estimators_[0]["finetune"].n_features_in_ == 86 + 105  # the source's input
    assert "finetune: fold 2/2 done" in capsys.readouterr().err
    assert np.isfinite(reg.predict(formulas)).all()


def test_default_members_follow_the_source():
    assert resolve_members(None, None)[0] == [
        "forest_fractions",
        "forest_properties",
        "forest_both",
        "boosting",
    ]
    names = resolve_members(None, "oqmd")[0]
    assert names[-1] == "finetune" and set(names) <= set(MEMBERS)
    assert CompositionRegressor().blend == "nnls"


def test_works_in_scikit_learn_tools():
    formulas = _salts(36)
    y = ElementFractionTransformer().transform(formulas)[:, :20].sum(axis=1)
    reg = CompositionRegressor(members=["forest_fractions"], **FAST)
    assert np.isfinite(cross_val_score(reg, formulas, y, cv=2)).all()
    search = GridSearchCV(reg, {"blend": ["greedy", "nnls"]}, cv=2).fit(formulas, y)
    assert search.best_params_["blend"] in ("greedy", "nnls")


@pytest.mark.parametrize(
    "check",
    [
        check_parameters_default_constructible,
        check_no_attributes_set_in_init,
        check_get_params_invariance,
        check_set_params,
    ],
)
def test_scikit_learn_api_checks(check):
    # the data checks of parametrize_with_checks feed numbers; this model reads formulas
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check("CompositionRegressor", CompositionRegressor())


def test_persistence_is_bit_identical_and_trusts_only_the_tree_containers(tmp_path):
    import joblib
    import skops.io as sio

    from sktl.persistence import TRUSTED_SKLEARN_TYPES, TRUSTED_TYPES, dump, load

    formulas = _salts(24)
    y = ElementFractionTransformer().transform(formulas)[:, :20].sum(axis=1)
    reg = CompositionRegressor(
        members=["forest_both", "boosting", "finetune"],
        weights=None,
        stack_folds=2,
        max_deep_rows=8,
        random_state=0,
    ).fit(formulas, y)
    expected = reg.predict(formulas)
    dump(reg, tmp_path / "reg.skops")
    untrusted = set(sio.get_untrusted_types(file=tmp_path / "reg.skops"))
    assert untrusted - set(TRUSTED_TYPES) == set(TRUSTED_SKLEARN_TYPES)
    np.testing.assert_array_equal(load(tmp_path / "reg.skops").predict(formulas), expected)
    joblib.dump(reg, tmp_path / "reg.joblib")
    np.testing.assert_array_equal(joblib.load(tmp_path / "reg.joblib").predict(formulas), expected)


def test_refit_blend_reweights_without_refitting():
    formulas = _salts(45)
    y = ElementFractionTransformer().transform(formulas)[:, :20].sum(axis=1)
    reg = CompositionRegressor(members=["forest_fractions", "forest_both", "boosting"], **FAST)
    reg.fit(formulas, y)
    fold_model = reg.estimators_[0]["boosting"]
    nnls = reg.predict(formulas)
    reg.refit_blend(blend="greedy")
    assert reg.blend == "greedy" and reg.estimators_[0]["boosting"] is fold_model
    np.testing.assert_allclose(reg.oof_residuals_[:, 0] + reg.oof_predictions_[:, :, 0]
                               @ reg.stack_weights_[:, 0] + reg.stack_intercept_[0], y)  # fmt: skip
    reg.refit_blend(blend="greedy", members=["boosting", "forest_both"])
    assert reg.members_ == ["boosting", "forest_both"] and reg.members == reg.members_
    assert set(reg.estimators_[0]) == {"boosting", "forest_both"}
    assert reg.predict(formulas).shape == nnls.shape
    with pytest.raises(ValueError, match="fitted members"):
        reg.refit_blend(members=["forest_fractions"])
    with pytest.raises(ValueError, match="blend must be"):
        reg.refit_blend(blend="mean")


def test_a_one_column_frame_is_the_formulas_whatever_its_name():
    formulas = _salts(30)
    reg = CompositionRegressor(members=["forest_fractions"], **FAST)
    reg.fit(pd.DataFrame({"composition": formulas}), np.arange(30.0))
    assert reg.n_features_in_ == 1 and reg.n_extras_ == 0


def test_an_interrupted_tlrl_network_counts_as_an_interrupt(monkeypatch):
    from sktl.composition import _stack_fit

    class _Stopped:
        regressor_ = type("Net", (), {"interrupted_": True})()

        def fit(self, X, y):
            return self

    member = _stack_fit.CATALOGUE["tlrl"]
    with pytest.raises(KeyboardInterrupt):
        _stack_fit._fit_one(member, _Stopped(), np.zeros((4, 191)), np.zeros((4, 1)))
