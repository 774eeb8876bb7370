"""The swept parameters of the spinodal set: their ranges, validation and seeded draws."""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np

from ..utils._validation import float_pair


@dataclass(frozen=True)
class _Parameter:
    name: str
    low: float
    high: float
    log: bool
    doc: str


#: Swept parameters, in drawing order (do not reorder: it would change every sample).
PARAMETERS: tuple[_Parameter, ...] = (
    _Parameter(
        "mean_fraction",
        0.35,
        0.65,
        False,
        "position of the mean composition between the wells, (c_mean - a) / (b - a)",
    ),
    _Parameter("well_a", 0.0, 0.15, False, "composition a of the lower well of f"),
    _Parameter("well_b", 0.85, 1.0, False, "composition b of the upper well of f"),
    _Parameter("well_depth", 1.0, 3.0, True, "W, height scale of the double well (log-uniform)"),
    _Parameter(
        "temperature",
        -0.3,
        0.4,
        False,
        "tau, Landau reduced temperature; phases at c0 +- h sqrt(1 - tau), critical point 1",
    ),
    _Parameter("kappa", 1.0, 4.0, True, "gradient-energy coefficient (log-uniform)"),
    _Parameter("mobility", 0.5, 2.0, True, "M, mobility (log-uniform)"),
    _Parameter(
        "noise_amplitude",
        0.005,
        0.05,
        True,
        "standard deviation of the initial composition fluctuations (log-uniform)",
    ),
    _Parameter(
        "noise_correlation",
        0.0,
        3.0,
        False,
        "Gaussian correlation length of the initial fluctuations, pixels (0: white noise)",
    ),
    _Parameter("time", 20.0, 2000.0, True, "elapsed time after the quench (log-uniform)"),
)
PARAMETER_NAMES = tuple(p.name for p in PARAMETERS)


def check_ranges(parameter_ranges) -> dict[str, tuple[float, float]]:
    """Defaults updated with ``parameter_ranges``, validated."""
    ranges = {p.name: (p.low, p.high) for p in PARAMETERS}
    if parameter_ranges is None:
        return ranges
    if not hasattr(parameter_ranges, "items"):
        raise ValueError(
            "parameter_ranges must be a dict {name: (low, high)}; got "
            f"{type(parameter_ranges).__name__}."
        )
    for name, value in parameter_ranges.items():
        if name not in ranges:
            raise ValueError(
                f"Unknown parameter {name!r} in parameter_ranges; valid names are "
                f"{list(PARAMETER_NAMES)}."
            )
        if isinstance(value, numbers.Real):
            value = (value, value)
        low, high = float_pair(
            value,
            f"parameter_ranges[{name!r}] must be a number or a pair (low, high); got {value!r}.",
        )
        if not (math.isfinite(low) and math.isfinite(high)):
            raise ValueError(f"parameter_ranges[{name!r}] must be finite; got {value!r}.")
        if low > high:
            raise ValueError(
                f"parameter_ranges[{name!r}] has low > high ({low} > {high}); give (low, high)."
            )
        ranges[name] = (low, high)
    for p in PARAMETERS:
        low, high = ranges[p.name]
        if p.log and low <= 0:
            raise ValueError(f"{p.name} must be positive; got the range ({low}, {high}).")
    if ranges["noise_correlation"][0] < 0:
        raise ValueError("noise_correlation must be >= 0.")
    if ranges["temperature"][1] >= 1:
        raise ValueError(
            "temperature must stay below 1, the critical point where the miscibility gap "
            f"closes; got the range {ranges['temperature']}."
        )
    if ranges["well_a"][1] >= ranges["well_b"][0]:
        raise ValueError(
            "Every well_a must be below every well_b: the well_a range "
            f"{ranges['well_a']} overlaps or exceeds the well_b range {ranges['well_b']}."
        )
    return ranges


def draw_parameters(entropy: int, n_samples: int, ranges):
    """Per-sample parameters (n, p) and each sample's random stream.

    Sample ``i`` is drawn from its own stream ``SeedSequence(entropy).spawn(n)[i]`` (first its
    parameters, then its initial noise), so it does not depend on ``n_samples``: the first rows
    of a larger set equal a smaller one.
    """
    streams = np.random.SeedSequence(entropy).spawn(n_samples)
    unit = np.stack([np.random.default_rng(s).random(len(PARAMETERS)) for s in streams])
    params = np.empty_like(unit)
    for j, p in enumerate(PARAMETERS):
        low, high = ranges[p.name]
        if low == high:
            params[:, j] = low
        elif p.log:
            params[:, j] = np.exp(np.log(low) + unit[:, j] * (np.log(high) - np.log(low)))
        else:
            params[:, j] = low + unit[:, j] * (high - low)
    return params, streams
