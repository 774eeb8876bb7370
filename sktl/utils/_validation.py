"""Checks shared by every estimator: values torch can hold, outputs that are numbers, settings
that can take effect."""

from __future__ import annotations

import inspect
import os
import sys
import warnings
from pathlib import Path

import numpy as np
import sklearn.base

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


def _is_default(value, default) -> bool:
    if value is default:
        return True
    try:
        return bool(value == default)
    except (TypeError, ValueError):  # arrays and other values without a truth value
        return False


# frames in these folders are sktl's or scikit-learn's (fit and set_output wrappers, a
# Pipeline, a search), not the caller's
_OWN_FILES = (
    str(Path(__file__).resolve().parents[1]) + os.sep,
    str(Path(sklearn.base.__file__).resolve().parent) + os.sep,
)


def _caller_stacklevel() -> int:
    """The ``stacklevel`` that points a warning at the first frame outside sktl."""
    frame, level = sys._getframe(1), 1
    while frame is not None and str(Path(frame.f_code.co_filename).resolve()).startswith(
        _OWN_FILES
    ):
        frame, level = frame.f_back, level + 1
    return level


def warn_inactive(estimator, names, reason: str, fix: str | None = None) -> None:
    """Warn that the parameters ``names`` of ``estimator`` cannot take effect, because ``reason``.

    The rule of every sktl estimator: a parameter set away from its default in a configuration
    where it does nothing is named in one warning per ``fit`` (call this once per ``fit``, with
    all such names). Parameters left at their defaults stay silent: a default is not a request.
    ``reason`` completes "... has no effect ..."; ``fix`` says what to do instead (by default:
    leave them at their defaults).
    """
    params = inspect.signature(type(estimator)).parameters
    changed = [n for n in names if not _is_default(getattr(estimator, n), params[n].default)]
    if not changed:
        return
    settings = ", ".join(f"{n}={getattr(estimator, n)!r}" for n in changed)
    defaults = ", ".join(f"{n}={params[n].default!r}" for n in changed)
    verb = "has" if len(changed) == 1 else "have"
    fix = fix or f"Leave {'it' if len(changed) == 1 else 'them'} at the default ({defaults})"
    warnings.warn(
        f"{type(estimator).__name__}: {settings} {verb} no effect {reason}. {fix}.",
        UserWarning,
        stacklevel=_caller_stacklevel(),
    )
