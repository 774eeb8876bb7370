"""The one dense-stack (MLP) builder of sktl's heads, branches and ElemNet networks."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from torch import nn


def dense_layer_list(
    n_in: int,
    units: Sequence[int],
    dropout: float,
    *,
    dropout_after: Callable[[int], bool] | None = None,
) -> tuple[list[tuple[str, int, nn.Module]], int]:
    """Linear -> ReLU per entry of ``units``, a Dropout after layer k where ``dropout_after(k)``.

    Returns ``([(kind, k, module)], output width)`` with ``kind`` in {"dense", "relu",
    "dropout"} and k counted from 1, so that callers can name the layers (ElemNet's
    ``dense_k``) or stack them anonymously. ``dropout_after`` defaults to every layer; no
    Dropout is added when ``dropout`` is 0.
    """
    layers: list[tuple[str, int, nn.Module]] = []
    for k, n_out in enumerate(units, start=1):
        layers += [("dense", k, nn.Linear(int(n_in), int(n_out))), ("relu", k, nn.ReLU())]
        if dropout > 0 and (dropout_after is None or dropout_after(k)):
            layers.append(("dropout", k, nn.Dropout(dropout)))
        n_in = int(n_out)
    return layers, int(n_in)


def dense_stack(
    n_in: int, units: Sequence[int], dropout: float, *, dropout_first: float = 0.0
) -> tuple[nn.Sequential, int]:
    """[Dropout(dropout_first)] then Linear -> ReLU -> [Dropout] blocks; (stack, output width).

    Used by the DMTL-R branches and head, the CNN regression heads and the small CNN.
    """
    layers, width = dense_layer_list(n_in, units, dropout)
    first = [nn.Dropout(dropout_first)] if dropout_first > 0 else []
    return nn.Sequential(*first, *(m for _, _, m in layers)), width
