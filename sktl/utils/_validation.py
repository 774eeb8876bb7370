"""Checks shared by every estimator: values torch can hold, outputs that are numbers."""

from __future__ import annotations

import numpy as np

_F32_MAX = float(np.finfo(np.float32).max)


def check_float32_range(a: np.ndarray, what: str) -> None:
    """Reject finite values that become infinite in float32, the precision networks run in."""
    if np.issubdtype(a.dtype, np.floating) and a.dtype.itemsize > 4 and a.size:
        peak = float(np.max(np.abs(a)))
        if peak > _F32_MAX:
            raise ValueError(
                f"{what} contain values up to {peak:.3g}, beyond float32's range ({_F32_MAX:.3g}) "
                "in which the networks compute; rescale them (e.g. to standard units) first."
            )


def check_finite_output(out: np.ndarray, what: str) -> np.ndarray:
    """Raise instead of returning NaN/inf computed from inputs far outside the trained range."""
    if not np.isfinite(out).all():
        bad = np.nonzero(~np.isfinite(out.reshape(len(out), -1)).all(axis=1))[0]
        raise ValueError(
            f"{what} are not finite for {len(bad)} sample(s), first at index {int(bad[0])}: their "
            "input values are so far outside the range the model was fitted on (or the "
            "intensity_range) that float32 overflows. Check their scale."
        )
    return out


def require_y(estimator, y) -> None:
    """Error for ``fit(X)`` / ``fit(X, None)`` on a regressor (scikit-learn's wording)."""
    if y is None:
        raise ValueError(
            f"{type(estimator).__name__} requires y to be passed, but the target y is None."
        )


def float_pair(value, message: str) -> tuple[float, float]:
    """``value`` as two floats ``(low, high)``; a ValueError saying ``message`` if it is not."""
    try:
        low, high = (float(v) for v in value)
    except (TypeError, ValueError) as exc:
        raise ValueError(message) from exc
    return low, high
