"""Presets, VGG19 tap options (average pooling, circular padding) and coarse-to-fine levels."""

import numpy as np
import pytest
import torch

from sktl.reconstruction import PRESETS, MicrostructureReconstructor
from sktl.reconstruction._gram import GramLoss, tap_features, target_grams
from sktl.reconstruction._multigrid import downsample_labels, level_shapes, upsample_pixels


def _blobs(seed=0, size=32, labels=(0, 1)):
    from scipy.ndimage import gaussian_filter

    f = gaussian_filter(np.random.default_rng(seed).standard_normal((size, size)), 2.0, mode="wrap")
    edges = np.quantile(f, np.linspace(0, 1, len(labels) + 1)[1:-1])
    return np.asarray(labels)[np.digitize(f, edges)]


def test_defaults_are_the_sktl_preset_and_li2018_is_the_paper():
    import inspect

    defaults = {
        k: p.default
        for k, p in inspect.signature(MicrostructureReconstructor).parameters.items()
    }
    assert {k: defaults[k] for k in PRESETS["sktl"]} == PRESETS["sktl"]  # visible in help()
    img = _blobs(size=64)
    m = MicrostructureReconstructor(random_state=0).fit(img)
    assert m.settings_ == PRESETS["sktl"]
    assert m.s2_direction_weights_.shape == (33,)  # "auto": one weight per ring
    paper = PRESETS["li2018"]
    assert paper["layers"] == ("conv1_1", "pool1", "pool2", "pool3", "pool4")
    assert paper["s2_weight"] == paper["lineal_path_weight"] == 0
    assert paper["match_volume_fraction"] and paper["max_iter"] == 300
    with pytest.raises(ValueError, match="minimum size is 124"):
        MicrostructureReconstructor(**paper).fit(img)  # pool4 needs 124 px


def test_a_preset_is_a_dict_of_parameters_any_of_which_can_be_overridden():
    img = _blobs(size=64)
    settings = {**PRESETS["li2018"], "layers": ("conv1_1", "pool1"), "max_iter": 5}
    m = MicrostructureReconstructor(**settings, random_state=0).fit(img)
    assert m.settings_ == settings and m.s2_direction_weights_ is None
    assert m.get_params()["s2_weight"] == 0.0  # what was passed, nothing hidden


def test_auto_directional_s2_weighs_each_ring_by_how_its_anisotropy_holds_out():
    from scipy.ndimage import gaussian_filter

    bend = gaussian_filter(np.random.default_rng(0).standard_normal((64, 64)), 6, mode="wrap")
    row, col = np.mgrid[:64, :64]
    phase = 2 * np.pi * (col * np.sin(0.5) - row * np.cos(0.5)) / 10 + 0.8 * bend / bend.std()
    lamellae = (np.cos(phase) > 0).astype(int)  # bent lamellae at about 30 degrees
    m = MicrostructureReconstructor(random_state=0).fit(lamellae)
    weights = m.s2_direction_weights_
    assert weights.shape == (33,) and ((0 <= weights) & (weights <= 1)).all()
    assert weights[1:17].mean() > 0.6  # the lamellae's directions hold from quadrant to quadrant
    assert m._s2_ring_weights(1).shape == (17,)  # level 1: every other ring of level 0
    assert (m._s2_ring_weights(0)[:16] == 0).all()  # pool2's receptive field: the Gram loss's
    assert m._s2_ring_weights(0)[16:].max() > 0.3
    assert m._s2_ring_weights(0, volume=True) is None  # one image's directions: not for 3-D
    m.s2_direction_weights_ = np.where(np.arange(33) < 16, 0.9, 0.0)  # within pool2's reach
    assert m._s2_ring_weights(0) is None  # only there: the averaged term, exactly as False
    blobs = m.fit(_blobs(size=64)).s2_direction_weights_
    assert blobs[1:17].mean() < 0.5 * weights[1:17].mean()  # isotropic: much less
    assert m.directional_s2_ is False or m._s2_ring_weights(0) is not None
    # descriptor terms alone (every tap weighs 0): no receptive field to leave to the Gram loss
    alone = MicrostructureReconstructor(layers=("conv1_1",), layer_weights=[0.0], max_iter=2)
    assert alone.fit(lamellae).directional_s2_ and alone.sample(1).shape == (1, 64, 64)
    # too small to split into quadrants of 16 px: S2 averaged over directions
    m = MicrostructureReconstructor(layers=("conv1_1",), n_levels=1).fit(lamellae[:24, :24])
    assert m.s2_direction_weights_ is None and m._s2_ring_weights(0) is None
    m.set_params(directional_s2=True).fit(lamellae[:24, :24])
    assert m.s2_direction_weights_ is None and (m._s2_ring_weights(0) == 1).all()


def test_none_is_no_longer_a_setting():
    with pytest.raises(ValueError, match="max_iter"):
        MicrostructureReconstructor(max_iter=None).fit(_blobs())


@pytest.mark.parametrize("pooling", ["max", "avg"])
def test_circular_padding_makes_the_gram_loss_shift_invariant(pooling):
    layers = ["conv1_1", "pool1", "pool2"]
    x = torch.rand(1, 3, 32, 32) * 255
    shifted = torch.roll(x, (4, 12), (2, 3))
    target = target_grams(tap_features(layers), [np.zeros((32, 32, 3), np.float32)])
    w = dict.fromkeys(layers, 1.0 / 3)
    losses = {}
    for padding in ("zeros", "circular"):
        loss = GramLoss(tap_features(layers, vgg_pooling=pooling, padding=padding), target, w)
        with torch.no_grad():
            losses[padding] = float(loss(x)), float(loss(shifted))
    a, b = losses["circular"]
    assert abs(a - b) <= 1e-4 * abs(a)  # shifts by multiples of 4 px keep pool2 aligned ...
    a, b = losses["zeros"]
    assert abs(a - b) > 1e-4 * abs(a)  # ... and zero padding sees the borders move


def test_avg_pooling_replaces_every_max_pooling():
    model = tap_features(["conv1_1", "pool3"], vgg_pooling="avg", padding="circular")
    kinds = {type(m).__name__ for m in model.modules()}
    assert "AvgPool2d" in kinds and "MaxPool2d" not in kinds
    convs = [m for m in model.modules() if isinstance(m, torch.nn.Conv2d)]
    assert convs and all(c.padding_mode == "circular" for c in convs)
    with pytest.raises(ValueError, match="vgg_pooling"):
        tap_features(["conv1_1"], vgg_pooling="median")


def test_levels_downsample_the_examples_and_halve_the_shapes():
    rng = np.random.RandomState(0)
    img = _blobs(size=32)
    coarse = downsample_labels(img, 2, rng)
    assert coarse.shape == (16, 16)
    assert abs(coarse.mean() - img.mean()) < 0.05
    assert level_shapes((64, 48), 3) == [(16, 12), (32, 24), (64, 48)]
    up = upsample_pixels(np.full((1, 3, 8, 8), 100.0, np.float32), (16, 16))
    np.testing.assert_allclose(up, 100.0)
    m = MicrostructureReconstructor(
        layers=("conv1_1", "pool1"), n_levels=2, max_iter=4, random_state=0
    ).fit(img)
    assert len(m.level_targets_) == 2 and m.min_size_ == 12
    assert m.level_targets_[1]["s2"].shape[1] == 9  # 16 px coarse example: r = 0..8
    out = m.sample(1, shape=(32, 40))
    assert out.shape == (1, 32, 40) and len(m.loss_history_[0]) > 4
    with pytest.raises(ValueError, match="n_levels"):
        m.sample(1, shape=10)


def test_different_phase_sets_are_an_error():
    a, b = _blobs(0, labels=(0, 1, 2)), _blobs(1, labels=(0, 1))
    with pytest.raises(ValueError, match="different phase sets"):
        MicrostructureReconstructor(layers=("conv1_1",)).fit([a, b])


def test_the_user_guide_table_lists_every_preset_as_it_is():
    from pathlib import Path

    guide = Path(__file__).resolve().parents[2] / "docs" / "user_guide" / "reconstruction.md"
    lines = guide.read_text().split("| parameter |", 1)[1].splitlines()
    header = [c.strip(" `") for c in lines[0].split("|")[:-1]]
    names = [h.split()[0].strip("`") for h in header]
    assert set(names) == set(PRESETS)
    rows = {}
    for line in lines[2:]:
        if not line.startswith("| `"):
            break
        cells = [c.strip() for c in line.strip("|").split("|")]
        rows[cells[0].split()[0].strip("`")] = cells[1:]

    def shown(value):
        if isinstance(value, tuple):
            if len(value) > 3:
                return f"{value[0]}, {value[1]} ... {value[-1]}"
            return ", ".join(str(v) for v in value)
        return f"{value:g}" if isinstance(value, float) else str(value)

    assert set(rows) == set(PRESETS["sktl"])
    for key, cells in rows.items():
        for name, cell in zip(names, cells, strict=True):
            assert cell == shown(PRESETS[name][key]), (key, name, cell)


def test_a_model_saved_with_a_preset_by_sktl_1_0_keeps_every_slice():
    from sktl.reconstruction._presets import PRESET_KEYS, fill_from_saved_preset

    saved = {"preset": "sktl_volume", **dict.fromkeys(k for k in PRESET_KEYS if k != "n_slices")}
    state = fill_from_saved_preset(saved)
    assert state["n_levels"] == 3 and state["max_iter"] == 60
    assert "n_slices" not in state  # 1.0 scored every slice; loading fills the default, None
