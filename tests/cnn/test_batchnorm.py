"""Batch-norm statistics are recomputed over the training set after training."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from sktl import CNNRegressor
from sktl._nn._torch import recalibrate_batchnorm


def _net():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Dropout(0.5), nn.Linear(4, 2),
                         nn.BatchNorm1d(2))  # fmt: skip


def test_running_statistics_become_the_training_set_statistics():
    net = _net()
    X = np.random.default_rng(0).normal(3.0, 2.0, size=(48, 3)).astype(np.float32)
    net.train()
    with torch.no_grad():  # moving averages from a few skewed batches
        net(torch.from_numpy(X[:8] + 10))
    assert recalibrate_batchnorm(net, X, batch_size=16) == 2
    with torch.no_grad():
        # the statistics are the average over the pass's three (equal) batches
        h = net[0](torch.from_numpy(X)).reshape(3, 16, 4)
        np.testing.assert_allclose(net[1].running_mean, h.mean(1).mean(0), rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(net[1].running_var, h.var(1).mean(0), rtol=1e-4, atol=1e-5)
        # dropout is off during the pass: the second layer sees the deterministic activations
        h2 = torch.stack([net[3](net[1].train()(b)) for b in h])
        np.testing.assert_allclose(net[4].running_mean, h2.mean(1).mean(0), rtol=1e-5, atol=1e-5)
        net[1].eval()
    assert net[1].momentum == 0.1 and not net.training


def test_layers_frozen_in_eval_mode_are_left_alone():
    class Frozen(nn.Sequential):
        def train(self, mode=True):
            super().train(mode)
            self[1].eval()
            return self

    net = Frozen(nn.Linear(3, 4), nn.BatchNorm1d(4))
    before = net[1].running_mean.clone()
    X = np.ones((10, 3), dtype=np.float32)
    assert recalibrate_batchnorm(net, X, batch_size=4) == 0
    assert torch.equal(net[1].running_mean, before)


def test_a_last_batch_of_one_joins_the_previous_batch():
    net = _net()
    X = np.random.default_rng(1).normal(size=(17, 3)).astype(np.float32)
    assert recalibrate_batchnorm(net, X, batch_size=8) == 2  # 8 + 9, never a batch of 1


def test_cnn_regressor_uses_the_statistics_of_its_final_weights():
    rng = np.random.default_rng(0)
    images = (rng.random((40, 16, 16)) > 0.5).astype(np.float32)
    y = images.mean(axis=(1, 2))
    model = CNNRegressor(n_blocks=1, filters=4, head_units=(8,), max_epochs=3, batch_size=16,
                         random_state=0).fit(images, y)  # fmt: skip
    bn = [m for m in model.net_.module_.modules() if isinstance(m, nn.BatchNorm2d)]
    assert bn, "the small CNN has batch norm"
    stats = [m.running_mean.clone() for m in bn]
    inputs = model._inputs(images[..., None])
    recalibrate_batchnorm(model.net_.module_, inputs, batch_size=16)  # again: nothing moves
    for m, s in zip(bn, stats, strict=True):
        torch.testing.assert_close(m.running_mean, s)
