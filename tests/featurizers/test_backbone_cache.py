"""Shared frozen backbones are read-only: one featurizer's user cannot change another's features."""

import copy
import pickle

import numpy as np
import pytest
import torch
from torch import nn

from sktl import PretrainedCNNFeaturizer
from sktl.backbones import Backbone
from sktl.featurizers import _backbone_cache

KW = dict(backbone="resnet18", layer="layer1", weights=None, random_state=11, cache=False)
READ_ONLY = r"shared read-only.*copy\.deepcopy\(featurizer\.backbone_\)"


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts from a freshly built backbone (a broken guard cannot leak)."""
    _backbone_cache.clear()
    yield
    _backbone_cache.clear()


@pytest.fixture
def images():
    return np.random.default_rng(0).random((6, 16, 16)).astype(np.float32)


@pytest.fixture
def pair(images):
    """Two featurizers with equal settings, and B's features before anything happens."""
    a = PretrainedCNNFeaturizer(**KW).fit(images)
    a.transform(images)
    b = PretrainedCNNFeaturizer(**KW).fit(images)
    return a, b, b.transform(images)


def _conv(m):
    return m.body.conv1[0]


def _bn(m):
    return m.body.conv1[1]


def _sgd_step(m):
    w = _conv(m).weight
    w.grad = torch.ones_like(w)
    torch.optim.SGD(m.parameters(), lr=1.0).step()


def _no_grad_mul(m):
    with torch.no_grad():
        _conv(m).weight.mul_(0)


def _zeros(m):
    return {k: torch.zeros_like(v) for k, v in m.state_dict().items()}


def _train_forward(m):
    m.train()
    m(torch.rand(2, 3, 16, 16))


# every way a user of ``featurizer.backbone_`` might change it, on purpose or by accident
ATTEMPTS = {
    "in-place op": lambda m: _conv(m).weight.mul_(0),
    "in-place op under no_grad": _no_grad_mul,
    "through .data": lambda m: _conv(m).weight.data.zero_(),
    "through .detach()": lambda m: _conv(m).weight.detach().zero_(),
    "through a view": lambda m: _conv(m).weight.narrow(0, 0, 2)[0].fill_(1.0),
    "item assignment": lambda m: _conv(m).weight.__setitem__(0, 1.0),
    "nn.init": lambda m: nn.init.normal_(_conv(m).weight),
    "state_dict entry": lambda m: m.state_dict()["body.conv1.0.weight"].zero_(),
    "load_state_dict": lambda m: m.load_state_dict(_zeros(m)),
    "load_state_dict(assign=True)": lambda m: m.load_state_dict(_zeros(m), assign=True),
    "optimiser step": _sgd_step,
    "foreach op": lambda m: torch._foreach_mul_(list(m.parameters()), 0.0),
    "out=": lambda m: torch.mul(_conv(m).weight, 0, out=_conv(m).weight),
    "replace .data": lambda m: setattr(_conv(m).weight, "data", torch.zeros(1)),
    "requires_grad_": lambda m: m.requires_grad_(True),
    "train()": _train_forward,
    "train() of a part": lambda m: m.body.train(),
    "training flag": lambda m: setattr(_bn(m), "training", True),
    "batch norm update": lambda m: nn.functional.batch_norm(
        torch.rand(2, 64, 4, 4), _bn(m).running_mean, _bn(m).running_var, training=True
    ),
    "running stats": lambda m: _bn(m).running_mean.add_(1.0),
    "cast": lambda m: m.double(),
    "cast a part": lambda m: m.body.half(),
    "replace a layer": lambda m: setattr(m.body, "conv1", nn.Identity()),
    "replace a parameter": lambda m: setattr(_conv(m), "bias", nn.Parameter(torch.zeros(64))),
    "register a buffer": lambda m: _conv(m).register_buffer("extra", torch.zeros(1)),
    "delete a layer": lambda m: delattr(m.body, "conv1"),
}


@pytest.mark.parametrize("attempt", list(ATTEMPTS.values()), ids=list(ATTEMPTS))
def test_changes_through_backbone_are_refused_and_others_unaffected(pair, images, attempt):
    a, b, before = pair
    assert a.backbone_ is b.backbone_  # one module shared ...
    with pytest.raises(RuntimeError, match=READ_ONLY):
        attempt(a.backbone_)
    # ... which stayed as it was: B, A and a new featurizer with equal settings all agree
    np.testing.assert_array_equal(b.transform(images), before)
    np.testing.assert_array_equal(a.transform(images), before)
    c = PretrainedCNNFeaturizer(**KW).fit(images)
    assert c.backbone_ is a.backbone_
    np.testing.assert_array_equal(c.transform(images), before)


def test_shared_module_is_frozen(pair):
    a, _, _ = pair
    m = a.backbone_
    assert _backbone_cache.is_shared(m) and isinstance(m, Backbone)
    assert not any(p.requires_grad for p in m.parameters())
    assert not any(mod.training for mod in m.modules())
    arr = _conv(m).weight.numpy()
    assert not arr.flags.writeable
    with pytest.raises(ValueError, match="read-only"):
        arr[0, 0, 0, 0] = 1.0


def test_reading_is_unrestricted(pair, images):
    a, b, before = pair
    m = a.backbone_
    assert m.to("cpu") is m and m.float() is m and m.eval() is m  # no-op moves are fine
    assert m.to(memory_format=torch.channels_last) is m
    state = m.state_dict()
    assert state["body.conv1.0.weight"].shape == (64, 3, 7, 7)
    seen = []
    handle = m.body.conv1.register_forward_hook(lambda mod, i, o: seen.append(o.shape))
    try:
        np.testing.assert_array_equal(b.transform(images), before)
    finally:
        handle.remove()
    assert seen
    out = m(torch.rand(1, 3, 16, 16))
    assert type(out) is torch.Tensor  # activations are ordinary tensors
    out.mul_(2)  # and writable


def test_deepcopy_gives_an_ordinary_module_to_train(pair, images):
    a, b, before = pair
    own = copy.deepcopy(a.backbone_)
    assert type(own) is Backbone and not _backbone_cache.is_shared(own)
    assert all(type(p) is nn.Parameter for p in own.parameters())
    assert all(type(t) is torch.Tensor for t in own.buffers())
    assert not any(p.requires_grad for p in own.parameters())  # a faithful copy
    own.requires_grad_(True).train()
    loss = own(torch.rand(2, 3, 16, 16)).square().mean()
    loss.backward()
    torch.optim.SGD(own.parameters(), lr=10.0).step()
    with torch.no_grad():
        _conv(own).weight.mul_(0)
    assert not torch.equal(_conv(own).weight, _conv(a.backbone_).weight)
    np.testing.assert_array_equal(b.transform(images), before)

    part = copy.deepcopy(a.backbone_.body.conv1)  # a part copies to ordinary modules too
    part.train()
    assert type(part[0]) is nn.Conv2d

    trainable = _backbone_cache.trainable_copy(a.backbone_)
    assert all(p.requires_grad for p in trainable.parameters())
    assert type(trainable) is Backbone


def test_pickle_and_shallow_copy_give_ordinary_modules(pair, images):
    a, b, before = pair
    loaded = pickle.loads(pickle.dumps(a.backbone_))
    assert type(loaded) is Backbone and type(_conv(loaded).weight) is nn.Parameter
    assert type(_bn(loaded).running_mean) is torch.Tensor
    torch.testing.assert_close(_conv(loaded).weight, _conv(a.backbone_).weight)
    _conv(loaded).weight.data.zero_()  # its own memory
    np.testing.assert_array_equal(b.transform(images), before)

    shallow = copy.copy(a.backbone_)
    assert type(shallow) is Backbone
    shallow.body = nn.Identity()  # its own registry; the shared module keeps its body
    assert isinstance(a.backbone_.body, nn.Sequential)
    np.testing.assert_array_equal(b.transform(images), before)


def test_featurizer_pickle_round_trip(pair, images):
    a, _, before = pair
    loaded = pickle.loads(pickle.dumps(a))
    assert not _backbone_cache.is_shared(loaded.backbone_)
    np.testing.assert_array_equal(loaded.transform(images), before)


def test_uncached_backbones_are_frozen_too(images):
    # random_state=None cannot be cached (new weights each time); backbone_ behaves alike
    kw = {**KW, "random_state": None}
    a = PretrainedCNNFeaturizer(**kw).fit(images)
    b = PretrainedCNNFeaturizer(**kw).fit(images)
    assert a.backbone_ is not b.backbone_
    assert _backbone_cache.is_shared(a.backbone_)
    with pytest.raises(RuntimeError, match=READ_ONLY):
        _conv(a.backbone_).weight.zero_()


def test_clear_forgets_shared_backbones(pair, images):
    a, _, before = pair
    _backbone_cache.clear()
    c = PretrainedCNNFeaturizer(**KW).fit(images)
    assert c.backbone_ is not a.backbone_
    np.testing.assert_array_equal(c.transform(images), before)


def test_feature_cache_key_works_on_the_frozen_module(images):
    # network_key hashes the weights once per module (tensors' version counters)
    a = PretrainedCNNFeaturizer(**{**KW, "cache": True}).fit(images)
    b = PretrainedCNNFeaturizer(**{**KW, "cache": True}).fit(images)
    assert a.network_key_ == b.network_key_
    np.testing.assert_array_equal(a.transform(images), b.transform(images))
