"""Statistics shared by the benchmark scripts."""

from __future__ import annotations

import numpy as np
from scipy import stats


def ci95(values) -> tuple[float, float]:
    """Mean and half-width of its 95% t-interval (NaN with fewer than 2 values)."""
    values = np.asarray(values, dtype=float)
    if len(values) < 2:
        return float(values.mean()), float("nan")
    half = stats.t.ppf(0.975, len(values) - 1) * values.std(ddof=1) / np.sqrt(len(values))
    return float(values.mean()), float(half)
