"""Torch-free pickled state: what lets sktl models load with skops.io as well as joblib.

A fitted sktl estimator holds torch modules and skorch nets. Pickling them as they are ties the
file to torch's own pickles (which skops.io refuses) and to the classes' code paths. Instead
every module built by sktl remembers a *recipe*: the registered builder that made it and the
arguments it got. The estimator's ``__getstate__`` replaces each module by its recipe plus its
``state_dict`` as numpy arrays, and each skorch net by its module, history and prediction
settings; ``__setstate__`` rebuilds the architecture (no weights are downloaded or read: the
builders make empty networks) and loads the stored arrays. Only builders registered here can be
called on load, so a file cannot name arbitrary code.

The same state serves joblib/pickle and skops, so the two formats hold the same thing.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import nn

from ..utils._vocabulary import upgrade_state

_BUILDERS: dict[str, Callable[..., nn.Module]] = {}
_DATACLASSES: dict[str, type] = {}
_RECIPE = "_sktl_recipe"

_MODULE = "__sktl_module__"
_NET = "__sktl_net__"
_TENSOR = "__sktl_tensor__"
_DATACLASS = "__sktl_dataclass__"
_TUPLE = "__sktl_tuple__"


def portable(name: str):
    """Register a module class or builder function under ``name``; its results carry a recipe.

    On a class, ``__init__`` records its arguments; on a function, the returned module does.
    """

    def decorate(obj):
        if name in _BUILDERS:
            raise RuntimeError(f"portable builder {name!r} registered twice")
        if isinstance(obj, type):
            _BUILDERS[name] = obj
            init = obj.__init__

            @functools.wraps(init)
            def __init__(self, *args, **kwargs):
                init(self, *args, **kwargs)
                if type(self) is obj:  # a subclass records its own recipe, or none
                    set_recipe(self, name, args, kwargs)

            obj.__init__ = __init__
            return obj

        _BUILDERS[name] = obj

        @functools.wraps(obj)
        def build(*args, **kwargs):
            module = obj(*args, **kwargs)
            return set_recipe(module, name, args, kwargs)

        return build

    return decorate


def register_builder(name: str, builder: Callable[..., nn.Module]) -> None:
    """Register a plain builder (for modules whose recipe is set by hand with set_recipe)."""
    if name in _BUILDERS and _BUILDERS[name] is not builder:
        raise RuntimeError(f"portable builder {name!r} registered twice")
    _BUILDERS[name] = builder


def register_dataclass(cls: type) -> type:
    """Let instances of a (frozen) dataclass appear in recipes; they are stored as dicts."""
    _DATACLASSES[f"{cls.__module__}.{cls.__qualname__}"] = cls
    return cls


def set_recipe(module: nn.Module, name: str, args=(), kwargs=None) -> nn.Module:
    """Record that ``module`` is ``_BUILDERS[name](*args, **kwargs)`` up to its weights."""
    object.__setattr__(module, _RECIPE, (name, tuple(args), dict(kwargs or {})))
    return module


def has_recipe(module) -> bool:
    return recipe_of(module) is not None


def recipe_of(module):
    """The module's recorded recipe, one inferred for a plain Sequential of standard layers, or
    None."""
    if not isinstance(module, nn.Module):
        return None
    if hasattr(module, _RECIPE):
        return getattr(module, _RECIPE)
    layers = _standard_layers(module)
    return None if layers is None else ("torch_sequential", (layers,), {})


# Standard torch layers a user's own nn.Sequential may hold, with their constructor arguments.
_STANDARD = {
    nn.Linear: lambda m: dict(
        in_features=m.in_features, out_features=m.out_features, bias=m.bias is not None
    ),
    nn.ReLU: lambda m: {},
    nn.Tanh: lambda m: {},
    nn.Sigmoid: lambda m: {},
    nn.SiLU: lambda m: {},
    nn.Identity: lambda m: {},
    nn.GELU: lambda m: dict(approximate=m.approximate),
    nn.ELU: lambda m: dict(alpha=m.alpha),
    nn.LeakyReLU: lambda m: dict(negative_slope=m.negative_slope),
    nn.Dropout: lambda m: dict(p=m.p),
    nn.Flatten: lambda m: dict(start_dim=m.start_dim, end_dim=m.end_dim),
    nn.BatchNorm1d: lambda m: dict(
        num_features=m.num_features,
        eps=m.eps,
        momentum=m.momentum,
        affine=m.affine,
        track_running_stats=m.track_running_stats,
    ),
    nn.LayerNorm: lambda m: dict(
        normalized_shape=tuple(m.normalized_shape),
        eps=m.eps,
        elementwise_affine=m.elementwise_affine,
        bias=getattr(m, "bias", None) is not None,
    ),
}
_STANDARD_BY_NAME = {cls.__name__: cls for cls in _STANDARD}


def _standard_layers(module):
    """``[(name, layer type, kwargs or nested list)]`` of a plain Sequential, else None."""
    if type(module) is not nn.Sequential:
        return None
    out = []
    for name, child in module.named_children():
        if type(child) is nn.Sequential:
            inner = _standard_layers(child)
            if inner is None:
                return None
            out.append((name, "Sequential", inner))
        elif type(child) in _STANDARD:
            out.append((name, type(child).__name__, _STANDARD[type(child)](child)))
        else:  # lazy (unmaterialised) layers, custom modules: not portable
            return None
    return out


def _torch_sequential(layers) -> nn.Sequential:
    from collections import OrderedDict

    mods = OrderedDict()
    for name, kind, spec in layers:
        if kind == "Sequential":
            mods[name] = _torch_sequential(spec)
        elif kind in _STANDARD_BY_NAME:
            mods[name] = _STANDARD_BY_NAME[kind](**spec)
        else:
            raise ValueError(f"unknown stored layer type {kind!r}")
    return nn.Sequential(mods)


_BUILDERS["torch_sequential"] = _torch_sequential


def unportable_parts(obj, path: str = "model") -> list[str]:
    """Where ``obj``'s state holds torch objects that cannot be stored without pickle."""
    state = obj.__getstate__() if hasattr(obj, "__getstate__") else None
    found: list[str] = []
    _collect_unportable(state if isinstance(state, dict) else {}, path, found)
    return found


def _collect_unportable(value, path, found, depth=0):
    if depth > 20 or isinstance(value, (np.ndarray, np.generic, str, bytes, int, float)):
        return
    if isinstance(value, (nn.Module, torch.Tensor)) or type(value).__module__.startswith(
        ("skorch.", "torch.")
    ):
        found.append(f"{path} ({type(value).__name__})")
    elif isinstance(value, dict):
        for k, v in value.items():
            _collect_unportable(v, f"{path}[{k!r}]", found, depth + 1)
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            _collect_unportable(v, f"{path}[{i}]", found, depth + 1)
    elif hasattr(value, "__dict__") and not isinstance(value, type):
        # estimators, pipelines and searches: look into what they would store
        state = value.__getstate__() if hasattr(value, "__getstate__") else vars(value)
        if isinstance(state, dict):
            for k, v in state.items():
                _collect_unportable(v, f"{path}.{k}", found, depth + 1)


# -- encoding ----------------------------------------------------------------------------------
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
    """skorch history as plain lists and dicts of numbers and strings."""

    def plain(v):
        if isinstance(v, dict):
            return {str(k): plain(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [plain(x) for x in v]
        if isinstance(v, (np.generic, torch.Tensor)):
            return v.item()
        return v

    return plain(list(net.history))


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


class PortableStateMixin:
    """``__getstate__``/``__setstate__`` that store torch state as recipes and numpy arrays.

    Put it before ``BaseEstimator`` in the bases. Fitted models then pickle without torch
    objects and load with ``skops.io`` given :data:`sktl.persistence.TRUSTED_TYPES`.
    """

    def __getstate__(self):
        state = super().__getstate__()
        return {k: encode(v) for k, v in state.items()}

    def __setstate__(self, state):
        state = upgrade_state(type(self).__name__, state)
        super().__setstate__({k: decode(v) for k, v in state.items()})
        # a file written before a parameter existed: it takes its default
        for name, p in inspect.signature(type(self).__init__).parameters.items():
            if p.default is not inspect.Parameter.empty and name not in self.__dict__:
                setattr(self, name, p.default)
