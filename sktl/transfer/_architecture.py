"""ElemNet's architecture notation ("1024x4D-512x3D-...-1") and the torch network it describes."""

from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
import torch
from sklearn.pipeline import Pipeline
from torch import nn

from .._nn._modules import dense_layer_list
from ..persistence._recipes import portable

_BLOCK = re.compile(r"^(\d+)(?:x(\d+))?([DBR]*)$")


@dataclass(frozen=True)
class Block:
    """``repeat`` dense layers of ``units`` units with ReLU, then dropout when ``dropout``.

    ``batch_norm``: each layer normalises its output before the ReLU; ``residual``: each layer
    whose input has its width adds that input to its output.
    """

    units: int
    repeat: int
    dropout: bool
    batch_norm: bool = False
    residual: bool = False


class DenseUnit(nn.Module):
    """One hidden layer of a "B" or "R" block: Linear -> [BatchNorm] -> ReLU [+ input].

    The skip is the identity, so it exists only where the input has the layer's width.
    """

    def __init__(self, n_in: int, n_out: int, batch_norm: bool, residual: bool):
        super().__init__()
        self.linear = nn.Linear(n_in, n_out)
        self.norm = nn.BatchNorm1d(n_out) if batch_norm else nn.Identity()
        self.residual = bool(residual and n_in == n_out)

    def forward(self, x):
        h = torch.relu(self.norm(self.linear(x)))
        return h + x if self.residual else h


def parse_architecture(spec: str) -> tuple[list[Block], int]:
    """Parse ElemNet's notation into hidden blocks and the output width.

    ``"1024x4D-512x3D-256x3D-128x3D-64x2-32x1-1"``: blocks separated by "-"; ``NxK`` is K dense
    layers of N units (``N`` alone means ``Nx1``), each followed by a ReLU; a trailing ``D``
    adds dropout after the block's last ReLU. Two more flags (sktl's, not ElemNet's): ``B``
    normalises each layer of the block (batch normalisation before the ReLU) and ``R`` adds
    each layer's input to its output where the widths match (a residual block), e.g.
    ``"1024x3BR-512x3BR-1"``. The last block is the linear output layer and must be a plain
    width (``"1"``, or the number of targets).

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
                f"architecture {spec!r}: block {i + 1} ({part!r}) is not 'N', 'NxK' or 'NxK' "
                "with flags D, B, R (N units, K layers; D = dropout after the block, B = batch "
                "normalisation, R = residual); e.g. '1024x4D-512x3D-256x3D-128x3D-64x2-32x1-1'."
            )
        flags = m.group(3)
        if len(set(flags)) != len(flags):
            raise ValueError(f"architecture {spec!r}: block {i + 1} ({part!r}) repeats a flag.")
        units, repeat = int(m.group(1)), int(m.group(2) or 1)
        if units < 1 or repeat < 1:
            raise ValueError(
                f"architecture {spec!r}: block {i + 1} ({part!r}) needs at least one layer of "
                "at least one unit."
            )
        blocks.append(Block(units, repeat, "D" in flags, "B" in flags, "R" in flags))
    out = blocks.pop()
    if out.repeat != 1 or flags:
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
    per_layer = [b for b in blocks for _ in range(b.repeat)]
    for k, block in enumerate(per_layer, start=1):
        if block.batch_norm or block.residual:  # the unit has its own ReLU
            dense = layers[f"dense_{k}"]
            layers[f"dense_{k}"] = DenseUnit(
                dense.in_features, dense.out_features, block.batch_norm, block.residual
            )
            del layers[f"relu_{k}"]
    k = len(units)
    layers[f"dense_{k + 1}"] = nn.Linear(width, n_out)
    for name, layer in layers.items():
        if name.startswith("dense_") and name != f"dense_{k + 1}":
            linear = layer.linear if isinstance(layer, DenseUnit) else layer
            # He initialisation: torch's default (uniform, variance 1/(3 fan_in)) shrinks the
            # signal ~6x per ReLU layer, so a 16-layer stack would start with a constant output
            nn.init.kaiming_normal_(linear.weight, nonlinearity="relu")
            nn.init.zeros_(linear.bias)
    return nn.Sequential(layers)


def dense_layers(module: nn.Module) -> list[tuple[str, nn.Linear]]:
    """(qualified name, layer) of every ``nn.Linear`` in ``module``, in registration order."""
    return [(name, m) for name, m in module.named_modules() if isinstance(m, nn.Linear)]


def as_module(source, what: str = "source") -> nn.Module:
    """The torch module of a fitted DeepMLPRegressor / sktl regressor, skorch net or module.

    A ``FrozenEstimator`` is unwrapped, a Pipeline stands for its last step (the earlier steps
    make the network's input, which the caller must feed), and a string or path is loaded
    first: a source name (``"oqmd"``) or a source's ``.npz``/``.json`` with
    :func:`~sktl.transfer.load_source`, a ``.skops`` file with :func:`sktl.persistence.load`,
    any other file with joblib.
    """
    import os

    if isinstance(source, (str, os.PathLike)):
        from ..persistence import load_model_file
        from ._sources import is_source, load_source, unknown_source_error

        if is_source(source):
            return load_source(source)[0]  # UnreadableFileError for a damaged file
        if not os.path.exists(source):
            raise unknown_source_error(source)
        source = load_model_file(source)  # UnreadableFileError for a damaged file
    if hasattr(source, "estimator") and type(source).__name__ == "FrozenEstimator":
        source = source.estimator
    if isinstance(source, Pipeline):
        # such as the one of pretrain_source: its last step holds the network
        source = source.steps[-1][1]
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
    src_norms, dst_norms = norms_after(source, src), norms_after(target, dst)
    copied = []
    for k, ((_, a), (_, b)) in enumerate(zip(src, dst)):
        same_bias = (a.bias is None) == (b.bias is None)
        if a.weight.shape == b.weight.shape and same_bias:
            b.weight.copy_(a.weight.detach().to(b.weight.device))
            if b.bias is not None:
                b.bias.copy_(a.bias.detach().to(b.bias.device))
            na, nb = src_norms[k], dst_norms[k]
            if isinstance(na, nn.BatchNorm1d) and isinstance(nb, nn.BatchNorm1d):
                nb.load_state_dict(na.state_dict())  # a dense layer goes with its statistics
            copied.append(k)
    return copied


def norms_after(module: nn.Module, dense) -> list:
    """The batch normalisation of each dense layer's DenseUnit, or None."""
    units = {id(m.linear): m.norm for m in module.modules() if isinstance(m, DenseUnit)}
    return [units.get(id(layer)) for _, layer in dense]
