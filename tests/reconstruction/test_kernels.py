"""Hand-written backward passes against autograd through torch's own ops."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from sktl.backbones import gram
from sktl.reconstruction._circular import CircularConv2d, circular_pad
from sktl.reconstruction._gram import tap_features
from sktl.reconstruction._lineal_paths import lineal_paths


def _sliced_lineal_paths(m, r_max):
    """The lineal paths as products of slices, differentiated by autograd (the definition)."""
    out = []
    for grid in (m, m.transpose(-2, -1)):
        run, per_r = grid, [grid.mean((1, 2, 3))]
        for r in range(1, r_max + 1):
            run = run[..., :-1] * grid[..., r:]
            per_r.append(run.mean((1, 2, 3)))
        out.append(torch.stack(per_r, dim=1))
    return tuple(out)


@pytest.mark.parametrize("shape", [(2, 1, 9, 9), (3, 4, 7, 10), (2, 3, 12, 12)])
def test_lineal_paths_equal_autograd_through_slices(shape):
    gen = torch.Generator().manual_seed(0)
    m = torch.rand(shape, generator=gen, dtype=torch.float64, requires_grad=True)
    r_max = min(shape[-2:]) // 2
    ours, ref = lineal_paths(m, r_max), _sliced_lineal_paths(m, r_max)
    weights = torch.randn(2, shape[0], r_max + 1, generator=gen, dtype=torch.float64)
    for a, b in zip(ours, ref, strict=True):
        assert a.shape == (shape[0], r_max + 1)
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-14)
    (g_ours,) = torch.autograd.grad(sum((w * c).sum() for w, c in zip(weights, ours)), m)
    (g_ref,) = torch.autograd.grad(sum((w * c).sum() for w, c in zip(weights, ref)), m)
    torch.testing.assert_close(g_ours, g_ref, rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("shape", [(2, 1, 6, 6), (2, 2, 5, 7)])
def test_lineal_paths_gradcheck(shape):
    m = torch.rand(shape, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda t: torch.cat(lineal_paths(t, 3)), (m,))


@pytest.mark.parametrize("pad", [(1, 1), (2, 3), (0, 2), (4, 1), (4, 5)])
def test_circular_pad_equals_torch_and_passes_gradcheck(pad):
    ph, pw = pad
    x = torch.rand(2, 3, 4, 5, dtype=torch.float64, requires_grad=True)
    torch.testing.assert_close(
        circular_pad(x, ph, pw), F.pad(x, (pw, pw, ph, ph), mode="circular"), rtol=0, atol=0
    )
    assert torch.autograd.gradcheck(lambda t: circular_pad(t, ph, pw), (x,))


def test_circular_pad_refuses_more_than_the_image():
    with pytest.raises(ValueError, match="circularly"):
        circular_pad(torch.zeros(1, 1, 3, 8), 4, 1)


def test_circular_conv_equals_torch_circular_conv_and_shares_its_parameters():
    torch.manual_seed(0)
    conv = nn.Conv2d(3, 5, 3, padding=1, padding_mode="circular").double()
    ours = CircularConv2d.like(conv)
    assert ours.weight is conv.weight and ours.bias is conv.bias
    assert list(ours.state_dict()) == list(conv.state_dict())
    x = torch.rand(2, 3, 8, 9, dtype=torch.float64, requires_grad=True)
    (g_ref,) = torch.autograd.grad(conv(x).square().sum(), x)
    (g_ours,) = torch.autograd.grad(ours(x).square().sum(), x)
    torch.testing.assert_close(ours(x), conv(x))
    torch.testing.assert_close(g_ours, g_ref)


def test_circular_copies_leave_the_global_random_state_alone():
    conv = nn.Conv2d(3, 4, 3, padding=1)
    state = torch.get_rng_state()
    CircularConv2d.like(conv)
    assert torch.equal(state, torch.get_rng_state())


def test_tap_features_pad_circularly_only_when_asked():
    def kinds(padding):
        model = tap_features(["conv1_1", "pool1"], weights=None, padding=padding)
        return {type(m) for m in model.modules() if isinstance(m, nn.Conv2d)}

    assert kinds("circular") == {CircularConv2d}
    assert kinds("zeros") == {nn.Conv2d}


def test_gram_equals_the_matrix_product_and_passes_gradcheck():
    fmap = torch.rand(2, 3, 4, 5, dtype=torch.float64, requires_grad=True)
    f = fmap.reshape(2, 3, 20)
    torch.testing.assert_close(gram(fmap), torch.bmm(f, f.transpose(1, 2)) / 20)
    assert torch.autograd.gradcheck(gram, (fmap,))
    assert torch.autograd.gradgradcheck(gram, (fmap,))
