"""Datasets: simulated and embedded microstructure sets for multimodal regression."""

from ._spinodal import load_spinodal, make_spinodal
from ._stiffness import make_stiffness

__all__ = [
    "load_spinodal",
    "make_spinodal",
    "make_stiffness",
]
