"""Statistical descriptors of labelled microstructures (numpy/scipy only, no torch).

Two-point correlation S2(r), lineal path L(r), their 3-D versions along each axis and over a
volume's slices, the error rate of Li et al. (2018) between two
curves, one-vs-rest helpers for multiphase images, and :class:`TwoPointStatsTransformer`, the
periodic two-point statistics as a scikit-learn transformer (the PyMKS-style baseline).
"""

from ._correlation import error_rate, lineal_path, two_point_correlation
from ._multiphase import phase_curves, phase_error_rates
from ._twopoint import TwoPointStatsTransformer
from ._volume import (
    axial_lineal_path,
    axial_two_point_correlation,
    slice_curves,
    slice_error_rates,
)

__all__ = [
    "TwoPointStatsTransformer",
    "axial_lineal_path",
    "axial_two_point_correlation",
    "error_rate",
    "lineal_path",
    "phase_curves",
    "phase_error_rates",
    "slice_curves",
    "slice_error_rates",
    "two_point_correlation",
]
