"""The domain score and the out-of-domain warning of the two stacks."""

import warnings

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score
from sklearn.neighbors import NearestNeighbors

from sktl import CompositionRegressor, MultimodalRegressor, OutOfDomainWarning, multimodal_input
from sktl.composition import ElementFractionTransformer
from sktl.utils import _domain
from sktl.utils._domain import domain_scores, fit_domain

FAST = dict(members=["forest_both", "boosting"], weights=None, stack_folds=3, random_state=0)
SALT_CATIONS = ["Li", "Na", "K", "Rb", "Mg", "Ca", "Sr", "Ba"]
SALT_ANIONS = ["F", "Cl", "Br", "I"]


def _salts(n, seed=0):
    rng = np.random.default_rng(seed)
    return [
        f"{rng.choice(SALT_CATIONS)}{rng.integers(1, 3)}{rng.choice(SALT_ANIONS)}" for _ in range(n)
    ]


def _target(formulas):
    return ElementFractionTransformer().transform(formulas)[:, :40].sum(axis=1)


def test_scores_are_calibrated_nearest_neighbour_distances():
    rng = np.random.default_rng(0)
    train = rng.normal(size=(400, 6))
    state = fit_domain([train], random_state=0)
    like = rng.normal(size=(2000, 6))
    far = rng.normal(size=(300, 6)) + np.r_[4.0, np.zeros(5)]
    s_like, s_far = domain_scores(state, [like]), domain_scores(state, [far])
    # calibrated: about the calibration quantile's share of like rows beyond 1
    assert 0.005 < np.mean(s_like > 1) < 0.15
    assert np.mean(s_far > 1) > 0.8
    y = np.r_[np.zeros(len(like)), np.ones(len(far))]
    assert roc_auc_score(y, np.r_[s_like, s_far]) > 0.95
    # the numerator is the mean distance to the 5 nearest reference rows, as scikit-learn has it
    Z = (like[:50] - state["center"]) / state["scale"]
    dist, _ = NearestNeighbors(n_neighbors=5).fit(state["reference"]).kneighbors(Z)
    np.testing.assert_allclose(s_like[:50] * state["cutoff"], dist.mean(axis=1), rtol=1e-4)


def test_each_block_weighs_the_same_whatever_its_width():
    rng = np.random.default_rng(1)
    wide, narrow = rng.normal(size=(300, 200)), rng.normal(size=(300, 1))
    state = fit_domain([wide, narrow], random_state=0)
    shifted = [rng.normal(size=(100, 200)), rng.normal(size=(100, 1)) + 6.0]
    like = [rng.normal(size=(100, 200)), rng.normal(size=(100, 1))]
    # a shift in the one-column block shows through 200 columns of the other
    assert np.median(domain_scores(state, shifted)) > 1.5 * np.median(domain_scores(state, like))


def test_the_reference_is_a_small_seeded_subsample(monkeypatch):
    monkeypatch.setattr(_domain, "MAX_REFERENCE", 50)
    X = np.random.default_rng(2).normal(size=(300, 3))
    a, b = fit_domain([X], random_state=5), fit_domain([X], random_state=5)
    assert a["reference"].shape == (50, 3) and a["reference"].dtype == np.float32
    np.testing.assert_array_equal(a["reference"], b["reference"])
    assert a["cutoff"] == b["cutoff"]


def test_repeated_rows_count_once():
    # a replicated design: 20 distinct points, each measured 10 times
    rng = np.random.default_rng(6)
    design = rng.normal(size=(20, 3))
    state = fit_domain([np.repeat(design, 10, axis=0)], random_state=0)
    assert state["reference"].shape == (20, 3)
    assert state["cutoff"] > 0.1  # distances between design points, not rounding noise
    assert domain_scores(state, [design]).max() < 1.5  # the training rows themselves
    midpoints = (design[:10] + design[10:]) / 2  # interpolation between design points
    assert np.median(domain_scores(state, [midpoints])) < 2


def test_duplicated_and_constant_rows_do_not_break_it():
    same = np.ones((20, 3))
    state = fit_domain([same], random_state=0)
    assert state["cutoff"] > 0
    assert domain_scores(state, [same]).max() < 1e-3
    assert domain_scores(state, [same + 1]).min() > 1
    tiny = fit_domain([np.arange(4.0)[:, None]], random_state=0)  # fewer rows than neighbours
    assert np.isfinite(domain_scores(tiny, [np.array([[10.0]])])).all()


def test_composition_regressor_warns_once_per_call_for_remote_formulas():
    formulas = _salts(60)
    reg = CompositionRegressor(**FAST).fit(formulas, _target(formulas))
    like, remote = _salts(20, seed=1), ["U3Si2", "PtRh", "OsIr2", "AuHg", "W2C"]
    scores = reg.domain_score(like + remote)
    assert scores.shape == (25,)
    assert scores[20:].min() > reg.domain_threshold > np.median(scores[:20])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        reg.predict(like)
    assert not [w for w in caught if issubclass(w.category, OutOfDomainWarning)]
    for method in (reg.predict, reg.predict_interval):
        with pytest.warns(OutOfDomainWarning, match=r"5 of 25 samples .*domain_score") as rec:
            method(like + remote)
        assert len([w for w in rec if issubclass(w.category, OutOfDomainWarning)]) == 1
        assert rec[0].filename == __file__  # points at the caller
    reg.set_params(domain_threshold=None)
    with warnings.catch_warnings():
        warnings.simplefilter("error", OutOfDomainWarning)
        reg.predict(remote)


def test_extra_columns_are_a_block_of_the_domain():
    import pandas as pd

    formulas = _salts(60)
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"formula": formulas, "temperature": rng.uniform(300, 400, 60)})
    reg = CompositionRegressor(**FAST).fit(frame, _target(formulas))
    hot = frame.assign(temperature=2000.0)
    assert reg.domain_score(hot).min() > reg.domain_score(frame).max()


@pytest.mark.parametrize("bad", [0, -1.0, float("nan"), "high", True])
def test_a_bad_threshold_says_what_to_pass(bad):
    formulas = _salts(30)
    with pytest.raises(ValueError, match="domain_threshold"):
        CompositionRegressor(**{**FAST, "domain_threshold": bad}).fit(formulas, _target(formulas))
    reg = CompositionRegressor(**FAST).fit(formulas, _target(formulas))
    reg.domain_threshold = bad  # set after fit: checked where it is used
    with pytest.raises(ValueError, match="positive number"):
        reg.predict(formulas)


def test_the_domain_survives_persistence_and_old_models_still_predict(tmp_path):
    from sktl.persistence import dump, load

    formulas = _salts(40)
    reg = CompositionRegressor(**FAST).fit(formulas, _target(formulas))
    dump(reg, tmp_path / "reg.skops")
    loaded = load(tmp_path / "reg.skops")
    np.testing.assert_array_equal(loaded.domain_score(formulas), reg.domain_score(formulas))
    # a model saved before domain scores existed: neither the parameter nor the reference
    state = loaded.__getstate__()
    del state["domain_"], state["domain_threshold"]
    old = CompositionRegressor.__new__(CompositionRegressor)
    old.__setstate__(state)
    assert old.get_params()["domain_threshold"] == CompositionRegressor().domain_threshold
    loaded = old
    with warnings.catch_warnings():
        warnings.simplefilter("error", OutOfDomainWarning)
        loaded.predict(["U3Si2"])  # no score, no warning, no error
        loaded.predict_interval(["U3Si2"])
    with pytest.raises(ValueError, match="refit"):
        loaded.domain_score(formulas)


def test_multimodal_domain_covers_images_and_descriptors():
    rng = np.random.default_rng(4)
    images = rng.random((60, 16, 16)).astype(np.float32)
    desc = rng.normal(size=(60, 3))
    X = multimodal_input(images, desc)
    y = desc[:, 0] + images.mean(axis=(1, 2))
    reg = MultimodalRegressor(
        weights=None,
        image_units=(8,),
        descriptor_units=(8,),
        head_units=(8,),
        max_epochs=1,
        stack_folds=2,
        intensity_range=(0.0, 1.0),
        random_state=0,
    ).fit(X, y)
    assert len(reg.domain_["center"]) == reg.featurizer_.transform(images[:1]).shape[1] + 3
    far = multimodal_input(images[:10], desc[:10] + 8.0)
    assert reg.domain_score(far).min() > reg.domain_score(X).max()
    dark = multimodal_input(np.zeros_like(images[:10]), desc[:10])
    assert np.median(reg.domain_score(dark)) > np.median(reg.domain_score(X))
    with pytest.warns(OutOfDomainWarning, match="10 of 10"):
        reg.predict(far)


def test_a_calibration_subsample_gives_about_the_same_cutoff(monkeypatch):
    X = np.random.default_rng(7).normal(size=(600, 4))
    full = fit_domain([X], random_state=0)
    monkeypatch.setattr(_domain, "MAX_CALIBRATION", 150)
    sub = fit_domain([X], random_state=0)
    np.testing.assert_array_equal(sub["reference"], full["reference"])  # all rows kept
    assert abs(sub["cutoff"] / full["cutoff"] - 1) < 0.15
    assert fit_domain([X], random_state=0)["cutoff"] == sub["cutoff"]  # seeded


def test_huge_values_score_inf_without_numpy_warnings():
    state = fit_domain([np.random.default_rng(8).normal(size=(50, 2))], random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isinf(domain_scores(state, [np.array([[1e200, 0.0]])])).all()
