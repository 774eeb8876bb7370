"""Fusion options of MultimodalRegressor: descriptor skip path, modality dropout, stacking."""

import numpy as np
import pytest
import torch
from sklearn.metrics import r2_score
from sklearn.multioutput import MultiOutputRegressor

from sktl import (
    DMTLR_PAPER,
    DescriptorRegressor,
    ImageRegressor,
    MultimodalRegressor,
)
from sktl.multimodal._modules import MultimodalNet

TINY = dict(backbone="resnet18", layer="layer1", weights=None, random_state=0)
SMALL = dict(image_units=(16,), head_units=(16,), descriptor_units=(16,), max_epochs=40)
MEMBERS = ["joint", "image", "descriptors", "linear", "linear_descriptors"]


def test_descriptor_skip_adds_a_linear_path():
    net = MultimodalNet(6, 4, 2, descriptor_skip=True)
    assert isinstance(net.skip, torch.nn.Linear) and net.skip.in_features == 4
    assert MultimodalNet(6, 4, 2).skip is None
    assert MultimodalNet(6, None, 2, descriptor_skip=True).skip is None  # no descriptors
    net.eval()
    image, feats = torch.randn(3, 6), torch.randn(3, 4)
    with torch.no_grad():
        deep = net.out(net.head(torch.cat([net.image_branch(image), net.desc_branch(feats)], 1)))
        np.testing.assert_allclose(
            net(image=image, features=feats), deep + net.skip(feats), rtol=1e-6, atol=1e-6
        )


def test_modality_dropout_drops_one_branch_per_sample_in_training_only():
    net = MultimodalNet(3, 2, 1, modality_dropout=0.3)
    parts = [torch.ones(20000, 3), torch.ones(20000, 2)]
    torch.manual_seed(0)
    image, desc = net.train()._drop_modalities(parts)
    image_off, desc_off = image[:, 0] == 0, desc[:, 0] == 0
    assert not (image_off & desc_off).any(), "never both branches of one sample"
    assert abs(image_off.float().mean() - 0.3) < 0.02 and abs(desc_off.float().mean() - 0.3) < 0.02
    np.testing.assert_allclose(image[~image_off], 1 / 0.7, rtol=1e-6)  # inverted scaling
    kept = net.eval()._drop_modalities(parts)
    assert all(torch.equal(a, b) for a, b in zip(kept, parts, strict=True))


def test_modality_dropout_above_one_half_is_refused(two_modalities):
    X, y = two_modalities
    with pytest.raises(ValueError, match="modality_dropout"):
        MultimodalRegressor(**TINY, modality_dropout=0.5).fit(X, y)


def test_stack_needs_two_rows_per_fold(two_modalities):
    X, y = two_modalities
    with pytest.raises(ValueError, match="needs at least 10 samples .* fusion='concat'"):
        MultimodalRegressor(**TINY, max_epochs=1).fit(X[:9], y[:9])


def test_stack_members_weights_and_bagged_fold_models(two_modalities):
    X, y = two_modalities
    model = MultimodalRegressor(**TINY, **SMALL, stack_folds=3).fit(X, y)
    assert model.stack_members_ == MEMBERS
    assert len(model.net_) == 3 and all(list(fold) == MEMBERS for fold in model.net_)
    assert model.stack_weights_.shape == (5, 2) and (model.stack_weights_ >= 0).all()
    # the exact descriptor target leans on the descriptor members, the image one on images
    w = model.stack_weights_
    assert w[[2, 4], 0].sum() > w[[0, 1, 3], 0].max()
    assert w[[0, 1, 3], 1].sum() > w[[2, 4], 1].sum()
    phases = {r["phase"] for r in model.history_}
    assert phases == {f"{m}/fold{f}" for m in MEMBERS[:3] for f in range(3)}
    again = MultimodalRegressor(**TINY, **SMALL, stack_folds=3).fit(X, y)
    np.testing.assert_array_equal(model.predict(X), again.predict(X))


def test_stack_with_a_trainable_tail_has_no_linear_members(two_modalities):
    X, y = two_modalities
    model = MultimodalRegressor(
        **{**TINY, "layer": "layer2"}, freeze=3, **{**SMALL, "max_epochs": 2}, stack_folds=2
    ).fit(X[:60], y[:60])
    assert model.stack_members_ == ["joint", "image", "descriptors"]
    tails = [fold[m].module_.image_encoder for fold in model.net_ for m in ("joint", "image")]
    assert len({id(t) for t in tails}) == len(tails), "each member trains its own tail copy"
    assert model.predict(X[60:]).shape == (100, 2)


def test_descriptor_target_is_not_lost_when_images_are_added(two_modalities):
    """The issue's rule: a target the descriptors explain exactly survives the image branch,
    in a multi-target fit as in a single-target one, and the fused model keeps up with the
    better single modality on each target."""
    X, y = two_modalities
    tr, te = np.arange(110), np.arange(110, 160)
    multi = MultimodalRegressor(**TINY, **SMALL).fit(X[tr], y[tr]).predict(X[te])
    single = MultimodalRegressor(**TINY, **SMALL).fit(X[tr], y[tr, 0]).predict(X[te])
    assert r2_score(y[te, 0], multi[:, 0]) > 0.99
    assert r2_score(y[te, 0], single) > 0.99
    image_only = ImageRegressor(**TINY, head_units=(16, 16), max_epochs=40).fit(X[tr], y[tr])
    desc_only = DescriptorRegressor(descriptor_units=(16,), max_epochs=40, random_state=0).fit(X[tr], y[tr])
    for j in range(2):
        best = max(
            r2_score(y[te, j], image_only.predict(X[te])[:, j]),
            r2_score(y[te, j], desc_only.predict(X[te])[:, j]),
        )
        assert r2_score(y[te, j], multi[:, j]) >= best - 0.02, j
    # the paper's concatenation network, by contrast, has no such guarantee: it only runs
    paper = MultimodalRegressor(**TINY, **{**DMTLR_PAPER, "max_epochs": 2}).fit(X[tr], y[tr])
    assert paper.fusion == "concat" and paper.predict(X[te]).shape == (50, 2)


def test_paper_preset_is_the_published_network():
    model = MultimodalRegressor(**DMTLR_PAPER)
    assert (model.image_units, model.head_units, model.descriptor_units) == (
        (1000,),
        (1000, 100),
        (100, 100, 50),
    )
    assert model.fusion == "concat" and not model.descriptor_skip and model.max_epochs == 20
    assert set(DMTLR_PAPER) <= set(model.get_params())


def test_one_stack_per_target_through_multioutputregressor(two_modalities):
    X, y = two_modalities
    per_target = MultiOutputRegressor(
        MultimodalRegressor(**TINY, **{**SMALL, "max_epochs": 2}, stack_folds=2)
    ).fit(X[:40], y[:40])
    assert per_target.predict(X[40:]).shape == (120, 2)
    assert [e.n_outputs_ for e in per_target.estimators_] == [1, 1]

