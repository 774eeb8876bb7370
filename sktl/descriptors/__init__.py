"""Statistical descriptors of labelled 2-D microstructures (numpy/scipy only).

Two-point correlation S2(r), lineal path L(r), the error rate of Li et al. (2018) between two
curves, and one-vs-rest helpers for multiphase images.
"""

from ._correlation import error_rate, lineal_path, two_point_correlation
from ._multiphase import phase_curves, phase_error_rates

__all__ = [
    "error_rate",
    "lineal_path",
    "phase_curves",
    "phase_error_rates",
    "two_point_correlation",
]
