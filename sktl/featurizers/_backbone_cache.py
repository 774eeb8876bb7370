"""Frozen backbones shared, read-only, by the featurizers of one process.

Every fit of a head on cached features (each CV fold, each grid point) fits a new featurizer;
without this, each rebuilt the same truncated network, re-read its weights file and re-hashed
its weights, which cost more than training the head. Featurizers never train their backbone,
so one instance per (backbone, tap, weights, seed, device) serves them all.

Because one module serves many featurizers, it is made read-only when it is built
(:func:`freeze_shared`): a change made through one featurizer's ``backbone_`` would otherwise
silently change the features of every other featurizer with the same settings.

* Its parameters have ``requires_grad=False`` and every parameter and buffer refuses to be
  written: in-place operations (``mul_``, ``copy_``, ``nn.init.*``, ``load_state_dict``,
  optimiser steps, ``t[...] = v``, ``out=``), ``.data = ...`` and ``requires_grad_(True)``
  raise a RuntimeError, also through aliases (``.data``, ``.detach()``, views,
  ``state_dict()`` entries); ``.numpy()`` of them is a read-only array.
* Its modules refuse training mode (``.train()``), moving or casting (``.to(dtype)``,
  ``.half()``, ``.cuda()``; a ``.to()`` that changes nothing is allowed) and replacing or adding
  parameters, buffers and submodules.
* ``copy.deepcopy`` (and pickling) of it, or of any part, gives ordinary modules and tensors
  (same ``requires_grad``, False): the way to a backbone one may train or modify is
  ``copy.deepcopy(featurizer.backbone_).requires_grad_(True)``, or :func:`trainable_copy`.

Reading it is unrestricted (forward passes, ``state_dict()``, forward hooks); a hook that
changes outputs would run for every featurizer sharing the module, so it is left to the caller.
"""

from __future__ import annotations

import copy
import numbers
import os
import threading
from collections import OrderedDict

import torch
import torch.nn.functional as F
from torch import nn

from ..backbones import build_backbone

_MAX_ENTRIES = 4
_ENTRIES: OrderedDict = OrderedDict()
_LOCK = threading.Lock()

_FIX = (
    "this backbone is shared read-only by every PretrainedCNNFeaturizer with the same backbone, "
    "layer, weights, random_state and device. To train or modify it, work on a copy: "
    "copy.deepcopy(featurizer.backbone_) (add .requires_grad_(True) to train it), or build one "
    "with sktl.build_backbone(...)."
)


def _read_only_error(what: str) -> RuntimeError:
    return RuntimeError(f"{what}: {_FIX}")


# -- read-only tensors -------------------------------------------------------------------------
_INPLACE_DUNDERS = frozenset(
    {
        "__setitem__",
        "__setstate__",
        "__iadd__",
        "__isub__",
        "__imul__",
        "__imatmul__",
        "__itruediv__",
        "__ifloordiv__",
        "__imod__",
        "__ipow__",
        "__iand__",
        "__ior__",
        "__ixor__",
        "__ilshift__",
        "__irshift__",
    }
)
# property setters that change a tensor's values or make it trainable
_WRITING_SETTERS = frozenset({"data", "real", "imag"})


def _is_read_only(value) -> bool:
    if isinstance(value, (list, tuple)):
        return any(isinstance(v, _ReadOnlyTensor) for v in value)
    return isinstance(value, _ReadOnlyTensor)


def _check_not_writing(func, args, kwargs) -> None:
    """Raise if ``func(*args, **kwargs)`` would change a read-only tensor."""
    name = getattr(func, "__name__", "")
    if name == "__set__":  # a property setter, e.g. Tensor.data.__set__(t, value)
        attr = getattr(getattr(func, "__self__", None), "__name__", "")
        if args and _is_read_only(args[0]):
            if attr in _WRITING_SETTERS or (attr == "requires_grad" and len(args) > 1 and args[1]):
                raise _read_only_error(f"setting .{attr} of a shared backbone tensor")
        return
    inplace = (
        (name.endswith("_") and not name.endswith("__"))
        or name in _INPLACE_DUNDERS
        or kwargs.get("inplace") is True
    )
    # the tensor written: the first argument (``handle_torch_function`` of nn.init passes it
    # by keyword, e.g. ``tensor=``)
    target = args[0] if args else next(iter(kwargs.values()), None)
    if inplace and _is_read_only(target):
        if name == "requires_grad_":
            wanted = args[1] if len(args) > 1 else kwargs.get("requires_grad", True)
            if not wanted:
                return  # already False
        raise _read_only_error(f"{name}() would change a shared backbone tensor in place")
    out = kwargs.get("out")
    if out is not None and _is_read_only(out):
        raise _read_only_error(f"{name}(out=...) would overwrite a shared backbone tensor")
    stats_spec = _RUNNING_STATS.get(func)
    if stats_spec is not None:  # batch/instance norm that would update running statistics
        names, flag, default = stats_spec
        bound = dict(zip(("input", *names), args)) | kwargs
        stats = [bound.get(n) for n in ("running_mean", "running_var")]
        if bound.get(flag, default) and any(isinstance(s, _ReadOnlyTensor) for s in stats):
            raise _read_only_error(f"{name}() in training mode would update running statistics")


# the functions that update running statistics in place: positional names after ``input``,
# the flag that makes them update, its default
_RUNNING_STATS = {
    F.batch_norm: (
        ("running_mean", "running_var", "weight", "bias", "training"),
        "training",
        False,
    ),
    torch.batch_norm: (
        ("weight", "bias", "running_mean", "running_var", "training"),
        "training",
        False,
    ),
    F.instance_norm: (
        ("running_mean", "running_var", "weight", "bias", "use_input_stats"),
        "use_input_stats",
        True,
    ),
}


def _storage_ptr(t: torch.Tensor):
    try:
        return t.untyped_storage().data_ptr()
    except (RuntimeError, NotImplementedError):  # storage-less tensors
        return None


def _guard_aliases(func, out, args):
    """Results that share memory with a read-only input are read-only too (views, .data)."""
    name = getattr(func, "__name__", "")
    if name in ("numpy", "__array__"):
        if hasattr(out, "flags"):
            out.flags.writeable = False
        return out
    if type(out) in (tuple, list):  # e.g. unbind, split, chunk
        return type(out)(_guard_aliases(func, o, args) for o in out)
    if not isinstance(out, torch.Tensor) or isinstance(out, _ReadOnlyTensor):
        return out
    ptr = _storage_ptr(out)
    if ptr is None or ptr == 0:
        return out
    for a in args:
        if isinstance(a, _ReadOnlyTensor) and _storage_ptr(a) == ptr:
            return out.as_subclass(_ReadOnlyBuffer)
    return out


def _plain(t: torch.Tensor) -> torch.Tensor:
    """An ordinary tensor aliasing ``t``."""
    with torch._C.DisableTorchFunctionSubclass():
        return t.as_subclass(torch.Tensor)


class _ReadOnlyTensor:
    """Mixin for tensors of a shared backbone: writes raise, copies are ordinary tensors."""

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        with torch._C.DisableTorchFunctionSubclass():
            _check_not_writing(func, args, kwargs)
            out = func(*args, **kwargs)
            return _guard_aliases(func, out, args)


class ReadOnlyParameter(_ReadOnlyTensor, nn.Parameter):
    """A parameter of a shared backbone (``requires_grad=False``; writes raise)."""

    def __deepcopy__(self, memo):
        if id(self) not in memo:
            data = _plain(self).clone(memory_format=torch.preserve_format)
            memo[id(self)] = nn.Parameter(data, requires_grad=self.requires_grad)
        return memo[id(self)]

    def __reduce_ex__(self, protocol):
        return (
            torch._utils._rebuild_parameter,
            (_plain(self).detach(), self.requires_grad, OrderedDict()),
        )

    def __repr__(self):
        return "Read-only parameter of a shared backbone:\n" + repr(_plain(self))


class _ReadOnlyBuffer(_ReadOnlyTensor, torch.Tensor):
    """A buffer of a shared backbone, or an alias of one of its tensors: writes raise."""

    def __deepcopy__(self, memo):
        if id(self) not in memo:
            memo[id(self)] = _plain(self).clone(memory_format=torch.preserve_format)
        return memo[id(self)]

    def __reduce_ex__(self, protocol):
        return _plain(self).__reduce_ex__(protocol)

    def __repr__(self):
        return repr(_plain(self))


# -- read-only modules -------------------------------------------------------------------------
def _rebuild_plain_module(cls, state):
    module = cls.__new__(cls)
    module.__setstate__(state)
    return module


class _ReadOnlyModule:
    """Mixin for the modules of a shared backbone (see the module docstring)."""

    _sktl_plain_class: type = nn.Module

    def train(self, mode: bool = True):
        if mode:
            raise _read_only_error("train() of a shared backbone")
        return self  # frozen in eval mode

    def _apply(self, fn, recurse=True):
        # .to()/.cuda()/.half()/...: allowed only when nothing changes (e.g. the featurizer's
        # own .to(device, memory_format=channels_last) before each forward); the tensors are
        # never replaced. fn runs undispatched: this is that hot path.
        with torch.no_grad(), torch._C.DisableTorchFunctionSubclass():
            for t in [*self.parameters(recurse=recurse), *self.buffers(recurse=recurse)]:
                out = fn(t)
                if not isinstance(out, torch.Tensor) or (
                    out.dtype != t.dtype or out.device != t.device or out.shape != t.shape
                ):
                    raise _read_only_error(
                        "moving or casting a shared backbone (to another device or dtype)"
                    )
        return self

    def __setattr__(self, name, value):
        if (
            isinstance(value, (torch.Tensor, nn.Module))
            or name in self.__dict__.get("_parameters", ())
            or name in self.__dict__.get("_buffers", ())
            or name in self.__dict__.get("_modules", ())
            or (name == "training" and value)
        ):
            raise _read_only_error(f"setting {name!r} of a shared backbone")
        super().__setattr__(name, value)

    def __delattr__(self, name):
        if name in self._parameters or name in self._buffers or name in self._modules:
            raise _read_only_error(f"deleting {name!r} of a shared backbone")
        super().__delattr__(name)

    def register_parameter(self, name, param):
        raise _read_only_error(f"registering parameter {name!r} on a shared backbone")

    def register_buffer(self, name, tensor, persistent=True):
        raise _read_only_error(f"registering buffer {name!r} on a shared backbone")

    def add_module(self, name, module):
        raise _read_only_error(f"adding module {name!r} to a shared backbone")

    register_module = add_module

    def __deepcopy__(self, memo):
        cls = type(self)._sktl_plain_class
        new = cls.__new__(cls)
        memo[id(self)] = new
        new.__dict__.update(copy.deepcopy(self.__dict__, memo))
        return new

    def __reduce_ex__(self, protocol):
        # pickles (and copy.copy) hold an ordinary module; its own registries, so a shallow
        # copy's changes stay its own (its tensors and children stay the shared, read-only ones)
        state = dict(self.__dict__)
        for key in ("_parameters", "_buffers", "_modules"):
            state[key] = dict(state[key])
        return (_rebuild_plain_module, (type(self)._sktl_plain_class, state))


_READ_ONLY_CLASSES: dict[type, type] = {}


def _read_only_class(cls: type) -> type:
    if issubclass(cls, _ReadOnlyModule):
        return cls
    sub = _READ_ONLY_CLASSES.get(cls)
    if sub is None:
        sub = type(
            cls.__name__,  # the module tree prints as before
            (_ReadOnlyModule, cls),
            {
                "__module__": __name__,
                "__qualname__": f"_read_only_{cls.__qualname__}",
                "_sktl_plain_class": cls,
                "__doc__": f"A {cls.__qualname__} of a shared backbone, frozen read-only.",
            },
        )
        _READ_ONLY_CLASSES[cls] = sub
    return sub


def freeze_shared(model: nn.Module, device=None) -> nn.Module:
    """Make ``model`` read-only in place (see the module docstring) and return it.

    Parameters
    ----------
    model : torch.nn.Module
        A freshly built backbone, not yet used elsewhere.
    device : torch.device or str, optional
        Moved there first. The tensors are also put in channels-last layout, the one the
        featurizer runs with, so its own ``.to()`` before each forward changes nothing.

    Returns
    -------
    model : torch.nn.Module
        The same object, frozen in eval mode.
    """
    model = model.to(device=device, memory_format=torch.channels_last).eval()
    made: dict[int, torch.Tensor] = {}  # tied weights stay tied
    for module in model.modules():
        for key, p in module._parameters.items():
            if p is not None and not isinstance(p, _ReadOnlyTensor):
                if id(p) not in made:
                    made[id(p)] = ReadOnlyParameter(p.detach(), requires_grad=False)
                module._parameters[key] = made[id(p)]
        for key, b in module._buffers.items():
            if b is not None and not isinstance(b, _ReadOnlyTensor):
                if id(b) not in made:
                    made[id(b)] = b.detach().as_subclass(_ReadOnlyBuffer)
                module._buffers[key] = made[id(b)]
    for module in model.modules():
        module.__class__ = _read_only_class(type(module))
    return model


def is_shared(module: nn.Module) -> bool:
    """True for a frozen, shared (read-only) backbone or one of its parts."""
    return isinstance(module, _ReadOnlyModule)


def trainable_copy(module: nn.Module) -> nn.Module:
    """An ordinary, trainable deep copy of a (shared) backbone: ``requires_grad=True``.

    Parameters
    ----------
    module : torch.nn.Module

    Returns
    -------
    copy : torch.nn.Module
        Plain modules and tensors, in the mode of ``module`` (eval for a shared backbone).
    """
    return copy.deepcopy(module).requires_grad_(True)


# -- the cache ---------------------------------------------------------------------------------
def _key(name, layer, weights, random_state, device):
    if weights is None:
        if not isinstance(random_state, numbers.Integral) or isinstance(random_state, bool):
            return None  # a RandomState or None draws new weights every time
        return (name, layer, None, int(random_state), str(device))
    if isinstance(weights, (str, os.PathLike)):
        path = os.fspath(weights)
        stamp = os.stat(path).st_mtime_ns if os.path.isfile(path) else None
        return (name, layer, path, stamp, str(device))
    return None  # a WeightSource object: no stable identity


def frozen_backbone(name, layer, weights, random_state, device):
    """The truncated backbone, built once per process for each distinct key, read-only.

    Parameters
    ----------
    name, layer, weights, random_state
        As for :func:`sktl.backbones.build_backbone`.
    device : torch.device or str
        Where the backbone lives (part of the key).

    Returns
    -------
    backbone : sktl.backbones.Backbone
        Shared by every caller with the same key, and therefore frozen read-only (see the
        module docstring): writes raise a RuntimeError that says to work on
        ``copy.deepcopy(backbone)``. A backbone that cannot be cached (``random_state`` not an
        int with random weights, a WeightSource object) is built afresh but frozen the same
        way, so ``backbone_`` behaves alike in every featurizer.
    """
    key = _key(name, layer, weights, random_state, device)
    if key is None:
        return freeze_shared(build_backbone(name, layer, weights, random_state), device)
    with _LOCK:
        model = _ENTRIES.get(key)
        if model is not None:
            _ENTRIES.move_to_end(key)
            return model
    model = freeze_shared(build_backbone(name, layer, weights, random_state), device)
    with _LOCK:
        model = _ENTRIES.setdefault(key, model)  # a concurrent build of the same key: one wins
        _ENTRIES.move_to_end(key)
        while len(_ENTRIES) > _MAX_ENTRIES:
            _ENTRIES.popitem(last=False)
    return model


def clear() -> None:
    """Forget the shared backbones."""
    with _LOCK:
        _ENTRIES.clear()
