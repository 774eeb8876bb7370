"""Build a backbone truncated at a tap, with its weights and preprocessing."""

from __future__ import annotations

from collections import OrderedDict

import torch
from torch import nn

from .._nn._torch import torch_generator
from ..persistence._recipes import register_builder, set_recipe
from ._preprocessing import IMAGENET, Preprocessing
from ._registry import check_layer, get_backbone_spec, resolve_weights


class Backbone(nn.Module):
    """Preprocessing followed by the layers of an architecture up to one tap.

    The input is an NCHW float batch of RGB pixels in [0, 1]; the weight source's
    preprocessing (scale, mean/std, channel order) is applied inside, so callers never
    normalise by hand.

    Attributes
    ----------
    name : str
        Backbone name.
    layer : str
        The tap the network ends at.
    weights : str
        Name of the weight source ("random" for random initialisation).
    preprocessing : Preprocessing
    preprocess : nn.Module
    body : nn.Sequential
        One child per tap, named after it, up to ``layer``.
    """

    def __init__(self, name, layer, weights, preprocessing: Preprocessing, body: nn.Sequential):
        super().__init__()
        self.name = name
        self.layer = layer
        self.weights = weights
        self.preprocessing = preprocessing
        self.preprocess = preprocessing.module()
        self.body = body

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(self.preprocess(x))


def _truncated_body(spec, layer):
    """Modules up to ``layer`` (on the meta device) and a map of their keys to full-model keys."""
    with torch.device("meta"):
        full = spec.build_full()
    segments, key_map = OrderedDict(), {}
    for tap, items in spec.segments:
        mods = []
        for i, item in enumerate(items):
            if isinstance(item, str):
                mods.append(full.get_submodule(item))
                key_map[f"{tap}.{i}."] = f"{item}."
            else:
                mods.append(item())
        segments[tap] = nn.Sequential(*mods)
        if tap == layer:
            break
    return nn.Sequential(segments), key_map


def _init_random(body: nn.Module, random_state) -> None:
    gen = torch_generator(random_state)
    for m in body.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu", generator=gen)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm, nn.LayerNorm)):
            if getattr(m, "weight", None) is not None:
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            if isinstance(m, nn.BatchNorm2d):
                m.reset_running_stats()
        elif isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, 0.0, 0.01, generator=gen)
            if m.bias is not None:
                nn.init.zeros_(m.bias)


def _load_weights(body: nn.Module, key_map: dict, state_dict: dict, source_name: str, spec) -> None:
    wanted = body.state_dict(keep_vars=True)
    new_sd, missing, mismatched = {}, [], []
    for key, ref in wanted.items():
        prefix = key[: key.index(".", key.index(".") + 1) + 1]
        src_key = key_map[prefix] + key[len(prefix) :]
        if src_key not in state_dict:
            if key.endswith("num_batches_tracked"):
                new_sd[key] = torch.zeros((), dtype=torch.long)
                continue
            missing.append(src_key)
            continue
        value = state_dict[src_key]
        if tuple(value.shape) != tuple(ref.shape):
            mismatched.append(f"{src_key}: file {tuple(value.shape)} vs model {tuple(ref.shape)}")
            continue
        new_sd[key] = value
    if missing or mismatched:
        detail = "; ".join(
            ([f"missing keys (first 5): {missing[:5]}"] if missing else [])
            + ([f"shape mismatches (first 5): {mismatched[:5]}"] if mismatched else [])
        )
        raise ValueError(
            f"Weights {source_name!r} do not fit backbone {spec.name!r}: {detail}. A weights file "
            f"must be a state dict of torchvision's {spec.name} (same key names and shapes)."
        )
    body.load_state_dict(new_sd, strict=True, assign=True)


def build_backbone(
    name: str, layer: str | None = None, weights="imagenet", random_state=None
) -> Backbone:
    """Build backbone ``name`` truncated at ``layer``, in eval mode, on the CPU.

    Parameters
    ----------
    name : str
        A registered backbone (see :func:`available_backbones`).
    layer : str, optional
        The tap to stop at (see :func:`list_layers`); the backbone's default when None. Only the
        layers up to it are built and run.
    weights : None, str, path or WeightSource, default="imagenet"
        None for a random initialisation (He normal, seeded by ``random_state``); "imagenet";
        a named offline source of this backbone (e.g. "vgg19_normalised"); a path to a state
        dict file in torchvision's key layout (loaded with ``weights_only=True``).
    random_state : int, RandomState or None
        Seeds the random initialisation when ``weights`` is None.

    Returns
    -------
    Backbone
    """
    spec = get_backbone_spec(name)
    layer = check_layer(spec, layer)
    source = resolve_weights(spec, weights, layer)
    body, key_map = _truncated_body(spec, layer)
    if source is None:
        body = body.to_empty(device="cpu")
        _init_random(body, random_state)
        prep, wname = IMAGENET, "random"
    else:
        _load_weights(body, key_map, source.load(), source.name, spec)
        prep, wname = source.preprocessing, source.name
    for p in body.parameters():
        p.requires_grad_(True)
    model = Backbone(spec.name, layer, wname, prep, body)
    set_recipe(model, "backbone", (spec.name, layer, wname, prep))
    return model.eval()


def backbone_architecture(name: str, layer: str, weights: str, preprocessing) -> Backbone:
    """An uninitialised :class:`Backbone` of the given architecture, for loading stored weights.

    Reads no weights file and downloads nothing; ``weights`` is only the recorded name.
    """
    spec = get_backbone_spec(name)
    body, _ = _truncated_body(spec, check_layer(spec, layer))
    return Backbone(spec.name, layer, weights, preprocessing, body.to_empty(device="cpu")).eval()


def backbone_tail(
    name: str, layer: str, n_blocks: int, feature_shape, source: Backbone | None = None
) -> nn.Sequential:
    """The last ``n_blocks`` taps of a backbone up to ``layer``, after an Unflatten.

    The one builder of the trainable tail behind a frozen, cached part of a backbone (image
    estimators with ``freeze=k``). ``source`` is a built :class:`Backbone` whose (pretrained)
    blocks are taken; None builds them uninitialised, for loading stored weights.
    """
    if source is None:
        spec = get_backbone_spec(name)
        body, _ = _truncated_body(spec, check_layer(spec, layer))
        body = body.to_empty(device="cpu")
    else:
        body = source.body
    blocks = list(body.children())[-n_blocks:]
    tail = nn.Sequential(nn.Unflatten(1, tuple(feature_shape)), *blocks)
    return set_recipe(tail, "backbone_tail", (name, layer, n_blocks, tuple(feature_shape)))


register_builder("backbone", backbone_architecture)
register_builder("backbone_tail", backbone_tail)
