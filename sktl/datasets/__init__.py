"""Datasets: simulated and embedded microstructure sets for multimodal regression."""

from ._spinodal import load_spinodal, make_spinodal

__all__ = [
    "load_spinodal",
    "make_spinodal",
]
