"""Receptive field of a tap, computed from the architecture's conv and pooling layers."""

from __future__ import annotations

from torch import nn

from ._registry import check_layer, get_backbone_spec


def _pair(v):
    return v if isinstance(v, tuple) else (v, v)


def receptive_field(name: str, layer: str) -> int:
    """Receptive field, in input pixels, of one unit at tap ``layer`` of backbone ``name``.

    Computed by the usual recursion ``r += (k - 1) * j; j *= s`` over the convolutions and
    poolings in order. Defined for the plain feed-forward VGG backbones only: branching
    architectures have no single receptive field per tap.
    """
    spec = get_backbone_spec(name)
    layer = check_layer(spec, layer)
    if spec.family != "vgg":
        raise ValueError(f"receptive_field is defined for VGG backbones only, not {name!r}.")
    from ._build import _truncated_body

    body, _ = _truncated_body(spec, layer)
    r, j = 1, 1
    for m in body.modules():
        if isinstance(m, (nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d)):
            k = _pair(m.kernel_size)[0]
            s = _pair(m.stride)[0]
            d = _pair(getattr(m, "dilation", 1))[0]
            r += (k - 1) * d * j
            j *= s
        elif isinstance(m, (nn.Linear, nn.AdaptiveAvgPool2d)):
            raise ValueError(f"Layer {layer!r} sees the whole image (fully connected).")
    return r
