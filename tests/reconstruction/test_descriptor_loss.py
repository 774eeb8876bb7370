"""Descriptor terms of the reconstruction loss: S2 and lineal path of soft phase indicators."""

import os
from pathlib import Path

import numpy as np
import pytest
import torch

from sktl.descriptors import phase_error_rates
from sktl.reconstruction import MicrostructureReconstructor, maximin_colours
from sktl.reconstruction._descriptor_loss import (
    AxialLinealPathLoss,
    AxialS2Loss,
    LinealPathLoss,
    PeriodicS2Loss,
    S2Loss,
    axial_target_curves,
    soft_indicators,
    target_curves,
)
from sktl.reconstruction._encoding import encode

LOSSES = {
    "s2": S2Loss,
    "s2_periodic": PeriodicS2Loss,
    "lineal_path": LinealPathLoss,
    "s2_axes": AxialS2Loss,  # per image axis: the planes of a volume
    "lineal_path_axes": AxialLinealPathLoss,
}


def _targets(images, descriptor):
    curves = axial_target_curves if descriptor.endswith("_axes") else target_curves
    return curves(images, 3, descriptor)


DATA = Path(os.environ.get("SKTL_DATA", Path(__file__).resolve().parents[3] / "shared" / "data"))
CARBONATE = DATA / "microstructures" / "li2018" / "carbonate_resized.npy"


def _three_phase(rng, shape=(24, 30)):
    img = (rng.random(shape) < 0.3).astype(np.int64)
    img[3:9, 4:20] = 2
    return img


def _pixels(img, colours):
    return torch.from_numpy(np.ascontiguousarray(encode(img, colours).transpose(2, 0, 1)))[None]


@pytest.mark.parametrize("descriptor", list(LOSSES))
def test_curves_of_an_encoded_image_equal_the_descriptors(rng, descriptor):
    img = _three_phase(rng)
    colours = maximin_colours(3, random_state=0)
    targets = _targets([img], descriptor)
    assert targets.shape[0] == 3 and targets.shape[-1] == 13  # r = 0 .. min(24, 30) // 2
    loss = LOSSES[descriptor](colours, targets, img.shape)
    curves = loss.curves(_pixels(img, colours).float()).numpy()
    np.testing.assert_allclose(curves, targets.reshape(3, -1), atol=2e-4)
    assert float(loss(_pixels(img, colours).float())) < 1e-6


@pytest.mark.parametrize("descriptor", list(LOSSES))
def test_gradient_matches_finite_differences(rng, descriptor):
    img = _three_phase(rng, (8, 9))
    colours = maximin_colours(3, random_state=0)
    other = _three_phase(np.random.default_rng(5), (8, 9))
    loss = LOSSES[descriptor](colours, _targets([other], descriptor), img.shape).double()
    loss.temperature *= 20  # softer indicators: larger, smoother gradients
    x = (_pixels(img, colours).double() * 0.6 + 50).requires_grad_(True)
    assert torch.autograd.gradcheck(loss, (x,), eps=1e-3, atol=1e-5)


def test_soft_indicators_are_nearly_one_hot_on_the_colours():
    colours = maximin_colours(4, random_state=0)
    x = torch.as_tensor(colours.T[None, :, :, None], dtype=torch.float32)  # (1, 3, 4, 1)
    m = soft_indicators(x, torch.as_tensor(colours, dtype=torch.float32), 0.1 * 100.0**2)
    assert m.shape == (4, 1, 4, 1)  # (phases, batch, H, W)
    np.testing.assert_allclose(m[:, 0, :, 0].numpy(), np.eye(4), atol=1e-4)


def test_sample_shape_other_than_the_example_cuts_the_targets(rng):
    img = _three_phase(rng, (24, 30))
    colours = maximin_colours(3, random_state=0)
    loss = S2Loss(colours, target_curves([img], 3, "s2"), (16, 40))
    assert loss.targets.shape == (3, 9)
    assert loss(torch.rand(1, 3, 16, 40) * 255).ndim == 0


@pytest.mark.skipif(not CARBONATE.is_file(), reason=f"{CARBONATE} not found; set SKTL_DATA")
def test_descriptor_terms_lower_the_descriptor_errors_on_a_real_microstructure():
    full = np.load(CARBONATE)
    img = full[96:160, 96:160]  # 64 px centre crop
    kw = dict(
        layers=("conv1_1", "pool1", "pool2", "pool3"),
        n_levels=1,
        max_iter=100,
        match_volume_fraction=False,
        random_state=0,
    )
    errors = {}
    for name, extra in {
        "gram": {"s2_weight": 0.0, "lineal_path_weight": 0.0},
        "terms": {"s2_weight": 30.0, "lineal_path_weight": 10.0},
    }.items():
        samples = MicrostructureReconstructor(**kw, **extra).fit(img).sample(1)
        errors[name] = {
            d: phase_error_rates(img, samples, d, [1], periodic=False)[1].mean()
            for d in ("s2", "lineal_path")
        }
    assert errors["terms"]["s2"] < 0.6 * errors["gram"]["s2"], errors
    assert errors["terms"]["lineal_path"] < 0.6 * errors["gram"]["lineal_path"], errors


def _blobs(seed, size=32):
    from scipy.ndimage import gaussian_filter

    f = gaussian_filter(np.random.default_rng(seed).standard_normal((size, size)), 3.0)
    return (f > np.quantile(f, 0.7)).astype(np.int64)


def test_fit_stores_target_curves_and_old_models_ask_for_a_refit(rng):
    img = _blobs(4)
    model = MicrostructureReconstructor(
        layers=("conv1_1",), max_iter=2, s2_weight=1.0, random_state=0
    ).fit(img)
    assert model.target_s2_.shape == model.target_lineal_path_.shape == (2, 17)
    np.testing.assert_allclose(model.target_s2_[:, 0], model.volume_fractions_)
    np.testing.assert_allclose(model.target_lineal_path_[:, 0], model.volume_fractions_)
    del model.settings_  # as in a file written before presets existed
    with pytest.raises(ValueError, match="fit it again"):
        model.sample(1)
