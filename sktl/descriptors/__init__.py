"""Statistical descriptors of labelled 2-D microstructures (numpy/scipy only, no torch).

Two-point correlation S2(r), lineal path L(r), the error rate of Li et al. (2018) between two
curves, one-vs-rest helpers for multiphase images, and :class:`TwoPointStatsTransformer`, the
periodic two-point statistics as a scikit-learn transformer (the PyMKS-style baseline).
"""

from ._correlation import error_rate, lineal_path, two_point_correlation
from ._multiphase import phase_curves, phase_error_rates
from ._twopoint import TwoPointStatsTransformer

__all__ = [
    "TwoPointStatsTransformer",
    "error_rate",
    "lineal_path",
    "phase_curves",
    "phase_error_rates",
    "two_point_correlation",
]
