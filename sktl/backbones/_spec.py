"""Data types of the backbone layer: a weight source and an architecture spec."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from torch import nn

from ._preprocessing import Preprocessing

# A segment item is the dotted path of a module of the full architecture, or a factory of a
# parameter-free module (flatten, global pooling) that the architecture applies functionally.
SegmentItem = str | Callable[[], nn.Module]


@dataclass(frozen=True)
class WeightSource:
    """Where weights come from, and the preprocessing they were trained with.

    ``load`` returns a state dict in the key layout of the spec's full architecture. ``taps``
    restricts the usable taps (a file that holds only the convolutional layers, say).
    """

    name: str
    preprocessing: Preprocessing
    load: Callable[[], dict]
    description: str = ""
    taps: tuple[str, ...] | None = None


@dataclass(frozen=True)
class BackboneSpec:
    """One architecture: how to build it, its named taps in order, its weight sources."""

    name: str
    family: str
    build_full: Callable[[], nn.Module]
    segments: tuple[tuple[str, tuple[SegmentItem, ...]], ...]
    native_size: int
    default_layer: str
    imagenet: Callable[[], WeightSource]
    named_sources: dict[str, Callable[[], WeightSource]] = field(default_factory=dict)
    min_size: int = 32
    description: str = ""

    @property
    def taps(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.segments)
