"""Recipes: what lets sktl rebuild a torch module from a name and arguments, without pickle.

Every module built by sktl remembers the registered builder that made it and the arguments it
got (:func:`portable`, :func:`set_recipe`); a plain ``nn.Sequential`` of standard layers gets
one inferred (:func:`recipe_of`). Only builders registered here can be called on load, so a
saved file cannot name arbitrary code. :func:`unportable_parts` finds the torch objects of a
model that have no recipe.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np
import torch
from torch import nn

_BUILDERS: dict[str, Callable[..., nn.Module]] = {}
_DATACLASSES: dict[str, type] = {}
_RECIPE = "_sktl_recipe"


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
