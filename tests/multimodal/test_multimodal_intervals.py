"""MultimodalRegressor.predict_interval: CV+ from the stack's fold models, no extra fit."""

import numpy as np
import pytest

from sktl import ImageRegressor, MultimodalRegressor, multimodal_input
from sktl.datasets import load_spinodal

TINY = dict(
    weights=None,
    image_units=(16,),
    descriptor_units=(16,),
    head_units=(16,),
    max_epochs=2,
    random_state=0,
)


@pytest.fixture(scope="module")
def data():
    d = load_spinodal()
    X = multimodal_input(d.images[:40], d.descriptors[:40])
    pixels = (float(d.images.min()), float(d.images.max()))
    return X, d.targets[:40, :2], pixels


def test_intervals_come_from_the_stack_for_one_and_several_targets(data):
    X, Y, pixels = data
    reg = MultimodalRegressor(intensity_range=pixels, stack_folds=2, **TINY).fit(X, Y[:, 0])
    assert reg.fold_of_sample_.shape == (40,) and reg.oof_residuals_.shape == (40, 1)
    pred, pis = reg.predict_interval(X, confidence_level=[0.5, 0.8])
    np.testing.assert_allclose(pred, reg.predict(X), rtol=1e-6, atol=1e-6)
    assert pis.shape == (40, 2, 2) and (pis[:, 0] <= pis[:, 1]).all()
    assert (pis[:, 1, 1] - pis[:, 0, 1] >= pis[:, 1, 0] - pis[:, 0, 0] - 1e-9).all()
    two = MultimodalRegressor(intensity_range=pixels, stack_folds=2, **TINY).fit(X, Y)
    pred, pis = two.predict_interval(X, confidence_level=0.8)
    assert pred.shape == (40, 2) and pis.shape == (40, 2, 1, 2)


def test_residuals_are_in_target_units_with_standardised_targets(data):
    X, Y, pixels = data
    y = Y[:, 0] * 1000 + 5000
    reg = MultimodalRegressor(intensity_range=pixels, stack_folds=2, **TINY).fit(X, y)
    assert reg.standardize_y
    assert np.abs(reg.oof_residuals_).mean() > 10 * np.abs(reg.oof_residuals_ / 1000).mean()
    _, pis = reg.predict_interval(X, confidence_level=0.8)
    assert np.all(pis[:, 1, 0] - pis[:, 0, 0] > 1)  # widths in target units, not in SDs


def test_concat_and_single_modality_models_say_what_to_do(data):
    X, Y, pixels = data
    concat = MultimodalRegressor(intensity_range=pixels, fusion="concat", **TINY).fit(X, Y[:, 0])
    with pytest.raises(ValueError, match="fusion='stack'.*CrossConformalRegressor"):
        concat.predict_interval(X)
    assert not hasattr(ImageRegressor(), "predict_interval")
