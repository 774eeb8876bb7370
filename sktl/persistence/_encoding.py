"""Encoding a state torch-free: modules as recipes plus numpy arrays, skorch nets, tensors.

:func:`encode` replaces each recipe-carrying module by its recipe and its ``state_dict`` as
numpy arrays, each skorch net by its module, history and prediction settings, and each tensor
by an array; :func:`decode` rebuilds them (the builders make empty networks: no weights are
downloaded or read). While :data:`_DRY_RUN` is set, :func:`decode` builds modules on torch's
``meta`` device only and compares their shapes with the stored arrays'.
"""

from __future__ import annotations

import contextvars
import dataclasses
from typing import Any

import numpy as np
import torch
from torch import nn

from ._checksum import DamagedStateError
from ._recipes import _BUILDERS, _DATACLASSES, has_recipe, recipe_of, set_recipe

_MODULE = "__sktl_module__"
_NET = "__sktl_net__"
_TENSOR = "__sktl_tensor__"
_DATACLASS = "__sktl_dataclass__"
_TUPLE = "__sktl_tuple__"

# True while a state is dry-run: modules are built on the meta device and only compared.
_DRY_RUN = contextvars.ContextVar("sktl_dry_run", default=False)


def encode(value: Any, *, weights: bool = True) -> Any:
    """``value`` with every recipe-carrying module, skorch net and tensor made torch-free.

    ``weights=False`` (for modules passed to a builder) stores a module's architecture only:
    its weights are part of the state of the module it was built into.
    """
    if isinstance(value, torch.Tensor):
        return {_TENSOR: value.detach().cpu().numpy().copy()}
    if has_recipe(value):
        return _encode_module(value, weights=weights)
    if _is_skorch_net(value):
        return _encode_net(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        key = f"{type(value).__module__}.{type(value).__qualname__}"
        if key in _DATACLASSES:
            fields = {
                f.name: encode(getattr(value, f.name), weights=weights)
                for f in dataclasses.fields(value)
            }
            return {_DATACLASS: key, "fields": fields}
    if type(value) is dict:
        return {k: encode(v, weights=weights) for k, v in value.items()}
    if type(value) is list:
        return [encode(v, weights=weights) for v in value]
    if type(value) is tuple:
        return {_TUPLE: [encode(v, weights=weights) for v in value]}
    return value  # anything else is kept as is (and pickled as is by joblib)


def decode(value: Any) -> Any:
    """Inverse of :func:`encode`."""
    if type(value) is dict:
        if _TENSOR in value:
            return torch.from_numpy(np.array(value[_TENSOR]))
        if _MODULE in value:
            return _decode_module(value)
        if _NET in value:
            return _decode_net(value)
        if _DATACLASS in value:
            cls = _DATACLASSES.get(value[_DATACLASS])
            if cls is None:
                raise ValueError(f"unknown stored type {value[_DATACLASS]!r}")
            return cls(**{k: decode(v) for k, v in value["fields"].items()})
        if _TUPLE in value:
            return tuple(decode(v) for v in value[_TUPLE])
        return {k: decode(v) for k, v in value.items()}
    if type(value) is list:
        return [decode(v) for v in value]
    return value


def _encode_module(module: nn.Module, weights: bool = True) -> dict:
    name, args, kwargs = recipe_of(module)
    state = module.state_dict() if weights else {}
    return {
        _MODULE: name,
        "args": encode(tuple(args), weights=False),
        "kwargs": encode(dict(kwargs), weights=False),
        "weights": weights,
        "state": {k: v.detach().cpu().numpy().copy() for k, v in state.items()},
        "frozen": [n for n, p in module.named_parameters() if not p.requires_grad],
        # the memory layout picks the convolution kernel: restore it for identical predictions
        "channels_last": [k for k, v in state.items() if _is_channels_last(v)],
        "training": bool(module.training),
    }


def _decode_module(value: dict) -> nn.Module:
    name = value[_MODULE]
    if name not in _BUILDERS:
        raise ValueError(
            f"the stored model needs network builder {name!r}, which this version of sktl does "
            f"not have (known: {sorted(_BUILDERS)}); load it with the sktl version that saved it."
        )
    args, kwargs = decode(value["args"]), decode(value["kwargs"])
    if _DRY_RUN.get():
        with torch.device("meta"), torch.random.fork_rng(devices=[]):
            module = _BUILDERS[name](*args, **kwargs)
        if value["weights"]:
            _check_shapes(name, module, value["state"])
        return module
    # the builders make the architecture (backbones without reading any weights); building
    # must not move the caller's random state
    with torch.random.fork_rng(devices=[]):
        module = _BUILDERS[name](*args, **kwargs)
    if value["weights"]:  # else the enclosing module's state holds them
        state = {k: torch.from_numpy(np.array(v)) for k, v in value["state"].items()}
        module.load_state_dict(state, strict=True)
        layouts = set(value.get("channels_last", ()))
        for k, t in [*module.named_parameters(), *module.named_buffers()]:
            if k in layouts:
                t.data = t.data.contiguous(memory_format=torch.channels_last)
    frozen = set(value["frozen"])
    for n, p in module.named_parameters():
        p.requires_grad_(n not in frozen)
    set_recipe(module, name, args, kwargs)
    return module.train(value["training"])


def _is_channels_last(t: torch.Tensor) -> bool:
    return (
        t.dim() == 4
        and not t.is_contiguous()
        and t.is_contiguous(memory_format=torch.channels_last)
    )


def _is_skorch_net(value) -> bool:
    try:
        from skorch import NeuralNet
    except ImportError:  # pragma: no cover - skorch is a dependency
        return False
    return isinstance(value, NeuralNet) and getattr(value, "initialized_", False)


def _history(net) -> list:
    """skorch history as plain lists and dicts of numbers and strings, epoch by epoch.

    skorch's per-batch records (``"batches"``: a loss and a size per batch) are left out: they
    grow with the rows and epochs (127 MB of a 136 MB file for the OQMD source) and nothing
    reads them; the epoch-level losses and durations stay.
    """

    def plain(v):
        if isinstance(v, dict):
            return {str(k): plain(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [plain(x) for x in v]
        if isinstance(v, (np.generic, torch.Tensor)):
            return v.item()
        return v

    return [{k: plain(v) for k, v in epoch.items() if k != "batches"} for epoch in net.history]


def _encode_net(net) -> dict:
    module = net.module_
    if not has_recipe(module):
        # a net around a user's own module: keep it as is (joblib pickles it; skops cannot)
        return net
    criterion = net.criterion if isinstance(net.criterion, type) else type(net.criterion)
    return {
        _NET: type(net).__name__,
        "module": _encode_module(module),
        "criterion": criterion.__name__ if criterion.__module__.startswith("torch.nn") else None,
        "batch_size": int(net.batch_size),
        "device": str(net.device),
        "history": _history(net),
    }


def _decode_net(value: dict):
    if _DRY_RUN.get():
        return _decode_module(value["module"])
    from skorch import NeuralNetRegressor
    from skorch.history import History

    from .._nn._torch import resolve_device

    criterion = getattr(nn, value["criterion"] or "MSELoss", nn.MSELoss)
    net = NeuralNetRegressor(
        module=_decode_module(value["module"]),
        criterion=criterion,
        batch_size=value["batch_size"],
        max_epochs=0,
        train_split=None,
        device=str(resolve_device(value["device"])),
    )
    net.initialize()
    net.history = History(value["history"])
    return net


def _check_shapes(name: str, module: nn.Module, stored) -> None:
    """Raise if the stored arrays are not exactly the (meta) module's state dict shapes."""
    expected = {k: tuple(t.shape) for k, t in module.state_dict().items()}
    if not isinstance(stored, dict) or not all(
        isinstance(v, np.ndarray) and v.dtype.kind in "biufc" for v in stored.values()
    ):
        raise DamagedStateError(f"the stored weights of network {name!r} are not numeric arrays")
    got = {k: tuple(v.shape) for k, v in stored.items()}
    if got != expected:
        diff = sorted(set(got) ^ set(expected)) or [k for k in expected if got[k] != expected[k]]
        k = diff[0]
        raise DamagedStateError(
            f"network {name!r}: the recipe builds {k!r} of shape {expected.get(k, 'none')}, "
            f"the file stores {got.get(k, 'none')}"
        )
