"""The registry of backbones and the resolution of a ``weights`` argument."""

from __future__ import annotations

import os
from functools import cache

import torch

from ..utils._errors import UnreadableFileError
from . import _densenet, _efficientnet, _inception, _resnet, _vgg
from ._preprocessing import IMAGENET
from ._spec import BackboneSpec, WeightSource


@cache
def _registry() -> dict[str, BackboneSpec]:
    specs = []
    for module in (_vgg, _resnet, _densenet, _inception, _efficientnet):
        specs.extend(module.specs())
    return {s.name: s for s in specs}


def available_backbones() -> list[str]:
    """Names of all registered backbones, sorted."""
    return sorted(_registry())


def get_backbone_spec(name: str) -> BackboneSpec:
    """The :class:`BackboneSpec` of ``name``; an unknown name lists the valid ones."""
    reg = _registry()
    if not isinstance(name, str) or name not in reg:
        raise ValueError(f"Unknown backbone {name!r}. Valid backbones: {', '.join(sorted(reg))}.")
    return reg[name]


def list_layers(name: str) -> list[str]:
    """The named taps of backbone ``name``, from the input to the output."""
    return list(get_backbone_spec(name).taps)


def check_layer(spec: BackboneSpec, layer: str | None) -> str:
    """Return ``layer`` (or the spec's default) after checking the backbone has it."""
    if layer is None:
        return spec.default_layer
    if layer not in spec.taps:
        raise ValueError(
            f"Backbone {spec.name!r} has no layer {layer!r}. Valid layers: {', '.join(spec.taps)}."
        )
    return layer


def list_weight_sources(name: str | None = None) -> dict[str, str]:
    """Weight sources usable by name: ``{"<backbone>:<source>": description}``."""
    names = [name] if name is not None else available_backbones()
    out = {}
    for n in names:
        spec = get_backbone_spec(n)
        out[f"{n}:imagenet"] = "ImageNet weights (see the backbone's docs for where they come from)"
        for src, factory in spec.named_sources.items():
            out[f"{n}:{src}"] = factory().description
        out[f"{n}:None"] = "random initialisation from random_state"
    return out


def _unwrap_state_dict(obj, path: str) -> dict:
    if isinstance(obj, dict) and "state_dict" in obj and isinstance(obj["state_dict"], dict):
        obj = obj["state_dict"]
    if not isinstance(obj, dict) or not all(isinstance(v, torch.Tensor) for v in obj.values()):
        raise UnreadableFileError(
            path,
            "it does not hold a state dict",
            "a mapping of parameter names to tensors",
            "Save the weights with torch.save(model.state_dict(), path).",
        )
    if all(k.startswith("module.") for k in obj):
        obj = {k[len("module.") :]: v for k, v in obj.items()}
    return obj


def _file_source(path: str) -> WeightSource:
    def load() -> dict:
        try:
            obj = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as exc:
            raise UnreadableFileError(
                path,
                f"it does not load with torch.load(weights_only=True) ({type(exc).__name__}: "
                f"{exc})",
                "a torch state dict file (torchvision key layout)",
                "Save the weights again with torch.save(model.state_dict(), path).",
            ) from exc
        return _unwrap_state_dict(obj, path)

    return WeightSource(
        name=f"file:{path}",
        preprocessing=IMAGENET,
        load=load,
        description="state dict file (torchvision key layout, ImageNet preprocessing)",
    )


def resolve_weights(spec: BackboneSpec, weights, layer: str) -> WeightSource | None:
    """Turn a ``weights`` argument into a :class:`WeightSource` (None means random init).

    Accepted: None, "imagenet", a named offline source of this backbone, a path to a state dict
    file, or a :class:`WeightSource` (for custom weights with their own preprocessing).
    """
    if weights is None:
        return None
    if isinstance(weights, WeightSource):
        source = weights
    elif isinstance(weights, (str, os.PathLike)):
        key = os.fspath(weights)
        if key == "imagenet":
            source = spec.imagenet()
        elif key in spec.named_sources:
            source = spec.named_sources[key]()
        elif os.path.isfile(key):
            source = _file_source(key)
        else:
            owners = [s.name for s in _registry().values() if key in s.named_sources]
            if owners:
                raise ValueError(
                    f"weights={key!r} is a weight source for backbone {owners[0]!r}, not "
                    f"{spec.name!r}."
                )
            valid = ["None", "'imagenet'", *(repr(n) for n in spec.named_sources)]
            raise ValueError(
                f"weights={key!r} is neither a known source nor an existing file. For backbone "
                f"{spec.name!r} use one of {', '.join(valid)}, or a path to a state dict file."
            )
    else:
        raise ValueError(
            f"weights must be None, a source name, a file path or a WeightSource; got {weights!r}."
        )
    if source.taps is not None and layer not in source.taps:
        raise ValueError(
            f"weights={source.name!r} does not cover layer {layer!r} of {spec.name!r}; usable "
            f"layers: {', '.join(source.taps)}."
        )
    return source
