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
    S2MapLoss,
    axial_target_curves,
    s2_map_targets,
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


@pytest.mark.parametrize("shape", [(24, 30), (24, 24)])  # square: both directions at once
@pytest.mark.parametrize("descriptor", list(LOSSES))
def test_curves_of_an_encoded_image_equal_the_descriptors(rng, descriptor, shape):
    img = _three_phase(rng, shape)
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


def test_s2_map_equals_scipy_correlate2d_over_the_pair_counts(rng):
    from scipy.signal import correlate2d

    img = _three_phase(rng, (20, 26))
    targets = s2_map_targets([img], 3)
    assert targets.shape == (3, 21, 21)  # lags -10 .. 10 along each axis
    for k in range(3):
        ind = (img == k).astype(float)
        full = correlate2d(ind, ind, mode="full")  # lag (0, 0) at (19, 25)
        lags = np.arange(-10, 11)
        pairs = (20 - np.abs(lags))[:, None] * (26 - np.abs(lags))[None, :]
        want = full[np.ix_(19 + lags, 25 + lags)] / pairs
        np.testing.assert_allclose(targets[k], want, atol=1e-12)


def test_s2_map_loss_is_zero_on_its_image_and_has_true_gradients(rng):
    img = _three_phase(rng)
    colours = maximin_colours(3, random_state=0)
    loss = S2MapLoss(colours, s2_map_targets([img], 3), img.shape)
    curves = loss.curves(_pixels(img, colours).float())
    np.testing.assert_allclose(curves.numpy(), loss.target_map.numpy(), atol=2e-4)
    assert float(loss(_pixels(img, colours).float())) < 1e-6
    small = _three_phase(rng, (8, 9))
    other = _three_phase(np.random.default_rng(5), (8, 9))
    lam = np.random.default_rng(1).uniform(0, 1, 10)  # partly trusted directions
    loss = S2MapLoss(colours, s2_map_targets([other], 3), small.shape, ring_weights=lam).double()
    loss.temperature *= 20
    x = (_pixels(small, colours).double() * 0.6 + 50).requires_grad_(True)
    assert torch.autograd.gradcheck(loss, (x,), eps=1e-3, atol=1e-5)


def test_s2_map_loss_is_the_averaged_s2_loss_at_zero_weight_and_the_whole_map_at_one(rng):
    img, other = _three_phase(rng, (20, 26)), _three_phase(rng, (20, 26))
    colours = maximin_colours(3, random_state=0)
    x = _pixels(other, colours).double()
    averaged = S2Loss(colours, target_curves([img], 3, "s2"), img.shape).double()
    zero = S2MapLoss(colours, s2_map_targets([img], 3), img.shape, ring_weights=np.zeros(11))
    assert float(zero.double()(x)) == pytest.approx(float(averaged(x)), rel=1e-5)
    one = S2MapLoss(colours, s2_map_targets([img], 3), img.shape).double()
    d2 = (one.curves(x) - one.target_map) ** 2  # every lag, each ring's lags pair-weighted
    whole = (one._ring_means(d2).sum(1) / one.norm).mean()
    assert float(one(x)) == pytest.approx(float(whole), rel=1e-6)


def test_s2_map_sees_a_turned_texture_that_the_direction_average_does_not():
    from scipy.ndimage import gaussian_filter

    field = gaussian_filter(np.random.default_rng(0).standard_normal((48, 48)), (1, 6), mode="wrap")
    img = (field > 0).astype(np.int64)  # streaks along axis 1
    turned = np.ascontiguousarray(img.T)  # the same streaks along axis 0
    colours = maximin_colours(2, random_state=0)
    x = _pixels(turned, colours).float()
    averaged = S2Loss(colours, target_curves([img], 2, "s2"), img.shape)
    directional = S2MapLoss(colours, s2_map_targets([img], 2), img.shape)
    assert float(averaged(x)) < 1e-4  # a square turned by 90 degrees: the same rings
    assert float(directional(x)) > max(0.03, 100 * float(averaged(x)))
    # with a map that depends on |lag| only, both losses agree
    iso = (gaussian_filter(np.random.default_rng(1).standard_normal((48, 48)), 3) > 0).astype(int)
    y = _pixels(iso, colours).float()
    assert float(directional(y)) >= float(averaged(y)) * 0.8


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


def test_directional_s2_swaps_the_averaged_term_for_the_map_and_old_models_keep_it():
    img = _blobs(4)
    model = MicrostructureReconstructor(
        layers=("conv1_1",), max_iter=2, s2_weight=1.0, directional_s2=True, random_state=0
    ).fit(img)
    assert model.level_targets_[0]["s2_map"].shape == (2, 33, 33)

    def kinds():
        return [type(t).__name__ for _, t in model._level_losses(0, img.shape)[1]]

    assert kinds() == ["S2MapLoss", "PeriodicS2Loss", "LinealPathLoss"]
    assert model.sample(1).shape == (1, *img.shape)
    del model.settings_["directional_s2"]  # as in a model fitted before it existed
    assert kinds() == ["S2Loss", "PeriodicS2Loss", "LinealPathLoss"]
    model.set_params(directional_s2="auto").fit(img)
    model.s2_direction_weights_ = np.linspace(0, 1, 17)  # as a held-out estimate might be
    assert kinds() == ["S2MapLoss", "PeriodicS2Loss", "LinealPathLoss"]
    (_, term), *_ = model._level_losses(0, img.shape)[1]
    lam = model._s2_ring_weights(0)
    assert (lam[:3] == 0).all()  # within conv1_1's receptive field (3 px): the Gram loss's
    np.testing.assert_allclose(lam[3:], model.s2_direction_weights_[3:])
    np.testing.assert_allclose(term.lam.unique().numpy(), np.unique(lam[: term.r_max + 1]))
