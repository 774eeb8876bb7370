"""ElemNet's architecture notation ("1024x4D-512x3D-...-1") and the torch network it describes."""

from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from .._modules import dense_layer_list
from .._persistence import portable

_BLOCK = re.compile(r"^(\d+)(?:x(\d+))?(D?)$")


@dataclass(frozen=True)
class Block:
    """``repeat`` dense layers of ``units`` units with ReLU, then dropout when ``dropout``."""

    units: int
    repeat: int
    dropout: bool


def parse_architecture(spec: str) -> tuple[list[Block], int]:
    """Parse ElemNet's notation into hidden blocks and the output width.

    ``"1024x4D-512x3D-256x3D-128x3D-64x2-32x1-1"``: blocks separated by "-"; ``NxK`` is K dense
    layers of N units (``N`` alone means ``Nx1``), each followed by a ReLU; a trailing ``D``
    adds dropout after the block's last ReLU. The last block is the linear output layer and
    must be a plain width (``"1"``, or the number of targets).

    Returns
    -------
    blocks : list of Block
    n_out : int
    """
    if not isinstance(spec, str) or not spec.strip():
        raise ValueError(
            f"architecture must be a non-empty string like '64x2D-32x1-1', got {spec!r}."
        )
    parts = [p.strip() for p in spec.strip().split("-")]
    blocks = []
    for i, part in enumerate(parts):
        m = _BLOCK.match(part)
        if m is None:
            raise ValueError(
                f"architecture {spec!r}: block {i + 1} ({part!r}) is not 'N', 'NxK' or 'NxKD' "
                "(N units, K layers, D = dropout after the block); e.g. "
                "'1024x4D-512x3D-256x3D-128x3D-64x2-32x1-1'."
            )
        units, repeat = int(m.group(1)), int(m.group(2) or 1)
        if units < 1 or repeat < 1:
            raise ValueError(
                f"architecture {spec!r}: block {i + 1} ({part!r}) needs at least one layer of "
                "at least one unit."
            )
        blocks.append(Block(units, repeat, bool(m.group(3))))
    out = blocks.pop()
    if out.repeat != 1 or out.dropout:
        raise ValueError(
            f"architecture {spec!r}: the last block ({parts[-1]!r}) is the linear output layer; "
            "give only its width, e.g. '-1'."
        )
    return blocks, out.units


@portable("mlp")
def build_mlp(spec: str, n_in: int, n_out: int, dropout: float) -> nn.Sequential:
    """A flat ``nn.Sequential`` of the architecture: ``dense_k``, ``relu_k``, ``dropout_k``.

    Hidden dense layers get He (Kaiming normal, fan-in) weights and zero biases, which keep the
    activation scale through a deep ReLU stack; the output layer keeps torch's default.

    The hidden dense layers are named ``dense_1`` ... ``dense_L`` and the output layer
    ``dense_{L+1}``; ``relu_k`` follows ``dense_k`` and ``dropout_k`` closes a "D" block that
    ends with layer k. An output width of 1 in ``spec`` follows ``n_out``; any other width
    must equal it.
    """
    blocks, spec_out = parse_architecture(spec)
    if spec_out not in (1, n_out):
        raise ValueError(
            f"architecture {spec!r} ends with {spec_out} outputs but y has {n_out} targets; end "
            f"it with '-1' (follows the targets) or '-{n_out}'."
        )
    units = [b.units for b in blocks for _ in range(b.repeat)]
    ends = set(np.cumsum([b.repeat for b in blocks])[[b.dropout for b in blocks]].tolist())
    hidden, width = dense_layer_list(n_in, units, dropout, dropout_after=ends.__contains__)
    layers = OrderedDict((f"{kind}_{k}", m) for kind, k, m in hidden)
    k = len(units)
    layers[f"dense_{k + 1}"] = nn.Linear(width, n_out)
    for name, layer in layers.items():
        if name.startswith("dense_") and name != f"dense_{k + 1}":
            # He initialisation: torch's default (uniform, variance 1/(3 fan_in)) shrinks the
            # signal ~6x per ReLU layer, so a 16-layer stack would start with a constant output
            nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")
            nn.init.zeros_(layer.bias)
    return nn.Sequential(layers)


def dense_layers(module: nn.Module) -> list[tuple[str, nn.Linear]]:
    """(qualified name, layer) of every ``nn.Linear`` in ``module``, in registration order."""
    return [(name, m) for name, m in module.named_modules() if isinstance(m, nn.Linear)]


def as_module(source, what: str = "source") -> nn.Module:
    """The torch module of a fitted DeepMLPRegressor / sktl regressor, skorch net or module.

    A ``FrozenEstimator`` is unwrapped, and a string or path is loaded first: a ``.skops`` file
    with :func:`sktl.persistence.load`, anything else with joblib.
    """
    import os

    if isinstance(source, (str, os.PathLike)):
        if str(source).endswith(".skops"):
            from ..persistence import load

            source = load(source)
        else:
            import joblib

            source = joblib.load(source)
    if hasattr(source, "estimator") and type(source).__name__ == "FrozenEstimator":
        source = source.estimator
    if isinstance(source, nn.Module):
        return source
    net = getattr(source, "net_", None)
    if net is None and hasattr(source, "module_"):
        net = source
    if net is not None and isinstance(getattr(net, "module_", None), nn.Module):
        return net.module_
    if hasattr(source, "get_params") or hasattr(source, "initialize"):
        raise ValueError(
            f"{what} {type(source).__name__} is not fitted: fit it before using it as a {what} "
            "(an sktl regressor needs net_, a skorch net module_)."
        )
    raise TypeError(
        f"{what} must be a fitted DeepMLPRegressor (or another sktl skorch regressor), a "
        f"fitted skorch net, a torch nn.Module, or a path to a joblib or .skops file of one; got "
        f"{type(source).__name__}."
    )


@torch.no_grad()
def copy_matching(source: nn.Module, target: nn.Module) -> list[int]:
    """Copy the k-th dense layer of ``source`` into the k-th of ``target`` where shapes match.

    Returns the 0-based indices of the copied dense layers; the others keep their fresh
    initialisation (e.g. the first layer when the input width differs).
    """
    src, dst = dense_layers(source), dense_layers(target)
    copied = []
    for k, ((_, a), (_, b)) in enumerate(zip(src, dst)):
        same_bias = (a.bias is None) == (b.bias is None)
        if a.weight.shape == b.weight.shape and same_bias:
            b.weight.copy_(a.weight.detach().to(b.weight.device))
            if b.bias is not None:
                b.bias.copy_(a.bias.detach().to(b.bias.device))
            copied.append(k)
    return copied
