"""predict of every skorch-based regressor leaves the caller's torch random state alone."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from sktl import CNNRegressor, DeepMLPRegressor, DescriptorRegressor, TransferCNNRegressor

RNG = np.random.default_rng(0)
IMAGES = RNG.random((12, 8, 8)).astype(np.float32)
TABLE = RNG.normal(size=(12, 4))
Y = TABLE[:, 0] + IMAGES.mean(axis=(1, 2))


@pytest.mark.parametrize(
    "model, X",
    [
        (DescriptorRegressor(descriptor_units=(8,), max_epochs=2, random_state=0), TABLE),
        (DeepMLPRegressor(architecture="8x1-1", max_epochs=2, random_state=0), TABLE),
        (
            CNNRegressor(n_blocks=1, filters=4, head_units=(8,), max_epochs=2, random_state=0),
            IMAGES,
        ),
        (
            TransferCNNRegressor(
                backbone="vgg19",
                weights=None,
                layer="conv1_1",
                head_units=(8,),
                max_epochs=2,
                random_state=0,
            ),
            IMAGES,
        ),
    ],
    ids=lambda v: type(v).__name__ if hasattr(v, "fit") else "",
)
def test_predict_keeps_torch_rng(model, X):
    model.fit(X, Y)
    torch.manual_seed(123)
    before = torch.random.get_rng_state()
    first = model.predict(X)
    assert torch.equal(torch.random.get_rng_state(), before)
    np.testing.assert_array_equal(model.predict(X), first)
