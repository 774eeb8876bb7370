"""Intervals for every sktl regressor through MAPIE's cross-conformal wrapper (intervals extra).

MAPIE clones the sktl estimator per fold; it takes formulas as an object array (not a list)
and multimodal input as the mapping of ``sktl.multimodal_input``. MAPIE rejects 2-D ``y``: the
stacks' own ``predict_interval`` handles several targets, or wrap one MAPIE per target.
"""

import numpy as np
import pytest
from sklearn.linear_model import Ridge
from sklearn.pipeline import make_pipeline

from sktl import (
    DeepMLPRegressor,
    ElementPropertyTransformer,
    MultimodalRegressor,
    multimodal_input,
)
from sktl.datasets import load_spinodal

mapie = pytest.importorskip("mapie.regression", reason="the intervals extra (MAPIE)")


def _formulas(n, seed=0):
    rng = np.random.default_rng(seed)
    cations, anions = ["Li", "Na", "K", "Mg", "Ca", "Sr"], ["F", "Cl", "Br", "O"]
    return np.array(
        [f"{rng.choice(cations)}{rng.integers(1, 4)}{rng.choice(anions)}" for _ in range(n)],
        dtype=object,
    )


def test_formulas_through_mapie_with_a_composition_pipeline_and_a_network():
    X = _formulas(60)
    y = ElementPropertyTransformer().transform(X)[:, 0]
    for estimator in (
        make_pipeline(ElementPropertyTransformer(), Ridge()),
        make_pipeline(
            ElementPropertyTransformer(),
            DeepMLPRegressor(architecture="16-1", max_epochs=3, early_stopping=False,
                             random_state=0),
        ),
    ):  # fmt: skip
        model = mapie.CrossConformalRegressor(
            estimator=estimator, confidence_level=[0.8, 0.9], cv=3, random_state=0
        ).fit_conformalize(X, y)
        pred, pis = model.predict_interval(X[:5])
        assert pred.shape == (5,) and pis.shape == (5, 2, 2)
        assert (pis[:, 0] <= pis[:, 1]).all()
        assert not hasattr(estimator[-1], "n_features_in_")  # cloned, not fitted in place


def test_multimodal_input_through_mapie():
    d = load_spinodal()
    X = multimodal_input(d.images[:30], d.descriptors[:30])
    reg = MultimodalRegressor(
        weights=None,
        fusion="concat",
        image_units=(8,),
        descriptor_units=(8,),
        head_units=(8,),
        max_epochs=1,
        intensity_range=(float(d.images.min()), float(d.images.max())),
        random_state=0,
    )
    model = mapie.CrossConformalRegressor(estimator=reg, cv=3).fit_conformalize(
        X, d.targets[:30, 0]
    )
    _, pis = model.predict_interval(X)
    assert pis.shape == (30, 2, 1) and np.isfinite(pis).all()


def test_mapie_rejects_several_targets_as_the_guide_says():
    X = _formulas(30)
    Y = np.column_stack([np.arange(30.0), -np.arange(30.0)])
    with pytest.raises(ValueError):
        mapie.CrossConformalRegressor(
            estimator=make_pipeline(ElementPropertyTransformer(), Ridge()), cv=3
        ).fit_conformalize(X, Y)
