"""Statistical descriptors of labelled microstructures (numpy/scipy only, no torch).

Two-point correlation S2(r), lineal path L(r), their 3-D versions along each axis and over a
volume's slices, the error rate of Li et al. (2018) between two
curves, one-vs-rest helpers for multiphase images, shape measures (chord lengths along several
directions, orientation, connectivity and percolation) with their errors, and
:class:`TwoPointStatsTransformer`, the periodic two-point statistics as a scikit-learn
transformer (the PyMKS-style baseline).
"""

from ._connectivity import connectivity, connectivity_errors
from ._correlation import error_rate, lineal_path, two_point_correlation
from ._multiphase import phase_curves, phase_error_rates
from ._shape import (
    chord_length_distribution,
    chord_length_error_rates,
    orientation,
    orientation_errors,
)
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
    "chord_length_distribution",
    "chord_length_error_rates",
    "connectivity",
    "connectivity_errors",
    "error_rate",
    "lineal_path",
    "orientation",
    "orientation_errors",
    "phase_curves",
    "phase_error_rates",
    "slice_curves",
    "slice_error_rates",
    "two_point_correlation",
]
