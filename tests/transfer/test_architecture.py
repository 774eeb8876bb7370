import pytest
from torch import nn

from sktl.transfer import ELEMNET_ARCHITECTURE, parse_architecture
from sktl.transfer._architecture import build_mlp, dense_layers


def test_elemnet_default_is_nn17():
    blocks, n_out = parse_architecture(ELEMNET_ARCHITECTURE)
    assert n_out == 1
    assert [(b.units, b.repeat, b.dropout) for b in blocks] == [
        (1024, 4, True),
        (512, 3, True),
        (256, 3, True),
        (128, 3, True),
        (64, 2, False),
        (32, 1, False),
    ]
    net = build_mlp(ELEMNET_ARCHITECTURE, 86, 1, 0.2)
    dense = dense_layers(net)
    assert len(dense) == 17
    assert [n for n, _ in dense] == [f"dense_{k}" for k in range(1, 18)]
    assert dense[0][1].in_features == 86 and dense[-1][1].out_features == 1
    assert [n for n, m in net.named_children() if isinstance(m, nn.Dropout)] == [
        "dropout_4",
        "dropout_7",
        "dropout_10",
        "dropout_13",
    ]
    assert all(m.p == 0.2 for m in net.modules() if isinstance(m, nn.Dropout))


def test_output_width_follows_targets():
    assert dense_layers(build_mlp("8x2-1", 5, 3, 0.0))[-1][1].out_features == 3
    assert dense_layers(build_mlp("8-3", 5, 3, 0.0))[-1][1].out_features == 3
    with pytest.raises(ValueError, match="2 outputs but y has 3 targets"):
        build_mlp("8-2", 5, 3, 0.0)


def test_no_dropout_layers_when_rate_zero():
    net = build_mlp("8x2D-4-1", 5, 1, 0.0)
    assert not any(isinstance(m, nn.Dropout) for m in net.modules())


@pytest.mark.parametrize(
    "spec",
    ["", "1024x4D-", "1024x-1", "abc", "64x2D-32x1-1D", "64x2D-32x1-1x2", "0x2-1", "64x0-1", 5],
)
def test_malformed(spec):
    with pytest.raises(ValueError, match="architecture"):
        parse_architecture(spec)


def test_deep_stack_does_not_start_constant():
    # He initialisation keeps the signal through 16 ReLU layers (torch's default would shrink
    # it ~6x per layer and give the same output for every input)
    import numpy as np
    import torch

    torch.manual_seed(0)
    net = build_mlp(ELEMNET_ARCHITECTURE, 86, 1, 0.2).eval()
    X = torch.as_tensor(
        np.random.default_rng(0).dirichlet(np.full(86, 0.1), 64), dtype=torch.float32
    )
    with torch.no_grad():
        first, last = net[:2](X), net[:-1](X)
    # between-sample spread after 16 ReLU layers stays within 10x of the first layer's
    assert last.std(dim=0).mean() > 0.1 * first.std(dim=0).mean()
