"""Malformed inputs for the robustness suite, and the rule every estimator must follow.

The rule: a malformed input either works (finite output of the right shape) or raises
ValueError/TypeError whose message is raised by sktl or scikit-learn's validation (never a raw
torch/numpy internal error) and names the problem.
"""

from __future__ import annotations

import traceback
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
from hypothesis import strategies as st

COUNTS: Counter = Counter()

# Frames where a validation error may legitimately be raised.
_OWN_CODE = (
    "/sktl/",
    "/sklearn/utils/validation.py",
    "/sklearn/utils/_param_validation.py",
    "/sklearn/base.py",
    "/sklearn/utils/multiclass.py",
    "/sklearn/utils/_array_api.py",
    "/sklearn/utils/_tags.py",
    "/skorch/helper.py",
)


@dataclass
class Case:
    """One malformed input: what it is, and the words an error message must contain (any)."""

    name: str
    X: object
    y: object = None
    keywords: tuple[str, ...] = field(default_factory=tuple)


def check_outcome(run, case: Case, n_expected: int | None):
    """Run ``run()``; accept a finite, well-shaped result or a clear ValueError/TypeError."""
    COUNTS[case.name.split("[")[0]] += 1
    try:
        out = run()
    except (ValueError, TypeError) as exc:
        origin = traceback.extract_tb(exc.__traceback__)[-1].filename
        assert any(part in origin for part in _OWN_CODE), (
            f"{case.name}: {type(exc).__name__} raised inside {origin}, not by sktl's "
            f"validation: {exc}"
        )
        msg = str(exc).lower()
        assert len(msg) > 15, f"{case.name}: uninformative message {exc!r}"
        if case.keywords:
            assert any(k.lower() in msg for k in case.keywords), (
                f"{case.name}: message does not name the problem ({case.keywords}): {exc}"
            )
        return "raised"
    except Exception as exc:  # anything else is a defect
        raise AssertionError(
            f"{case.name}: raised {type(exc).__name__} (not ValueError/TypeError): {exc}"
        ) from exc
    if out is not None and not hasattr(out, "fit"):
        arr = np.asarray(out, dtype=float)
        assert np.isfinite(arr).all(), f"{case.name}: non-finite output"
        if n_expected is not None:
            assert len(arr) == n_expected, f"{case.name}: {len(arr)} rows for {n_expected} samples"
    return "worked"


def _with_value(a: np.ndarray, index: int, value) -> np.ndarray:
    a = np.array(a, dtype=np.float64)
    a.reshape(-1)[index % a.size] = value
    return a


@st.composite
def array_cases(draw, X: np.ndarray, y: np.ndarray | None):
    """A malformed version of a numeric array input ``X`` (and maybe ``y``)."""
    n = len(X)
    kind = draw(
        st.sampled_from(
            [
                "nan",
                "inf",
                "huge",
                "empty",
                "one_sample",
                "scalar",
                "one_d",
                "extra_axis",
                "strings",
                "object_mixed",
                "complex",
                "bool",
                "int_dtype",
                "list_of_lists",
                "y_nan",
                "y_strings",
                "y_short",
                "y_3d",
                "wrong_width",
            ]
        )
    )
    index = draw(st.integers(0, max(X.size - 1, 0)))
    if kind == "nan":
        return Case("nan", _with_value(X, index, np.nan), y, ("nan",))
    if kind == "inf":
        return Case(
            "inf",
            _with_value(X, index, draw(st.sampled_from([np.inf, -np.inf]))),
            y,
            ("inf", "nan"),
        )
    if kind == "huge":
        scale = draw(st.sampled_from([1e30, 1e300, -1e300]))
        return Case(
            "huge",
            np.asarray(X, dtype=np.float64) * scale,
            y,
            ("inf", "nan", "too large", "overflow", "finite", "float32", "intensity_range"),
        )
    if kind == "empty":
        return Case(
            "empty",
            X[:0],
            None if y is None else y[:0],
            ("0 sample", "empty", "0 image", "at least"),
        )
    if kind == "one_sample":
        return Case("one_sample", X[:1], None if y is None else y[:1], ("sample", "at least"))
    if kind == "scalar":
        return Case(
            "scalar",
            np.float64(draw(st.floats(-5, 5))),
            y,
            ("dim", "shape", "scalar", "2d", "array"),
        )
    if kind == "one_d":
        return Case("one_d", np.asarray(X).reshape(-1)[:n], y, ("dim", "shape", "2d", "reshape"))
    if kind == "extra_axis":
        return Case("extra_axis", np.asarray(X)[..., None, None], y, ("dim", "shape", "channel"))
    if kind == "strings":
        return Case(
            "strings",
            np.full(np.shape(X), "a", dtype=object),
            y,
            ("string", "numeric", "dtype", "number", "float"),
        )
    if kind == "object_mixed":
        obj = np.asarray(X).astype(object)
        obj.reshape(-1)[index % obj.size] = "x"
        return Case("object_mixed", obj, y, ("string", "numeric", "dtype", "number", "float"))
    if kind == "complex":
        return Case("complex", np.asarray(X) + 1j, y, ("complex",))
    if kind == "bool":
        return Case("bool", np.asarray(X) > 0, y)
    if kind == "int_dtype":
        return Case("int_dtype", np.round(np.asarray(X) * 10).astype(np.int64), y)
    if kind == "list_of_lists":
        return Case("list_of_lists", np.asarray(X).tolist(), y)
    if kind == "wrong_width":
        return Case(
            "wrong_width",
            np.asarray(X)[:, :-1] if np.ndim(X) == 2 else np.asarray(X)[:, :-1],
            y,
            ("feature", "column", "shape", "expect", "image_shape", "descriptor"),
        )
    if y is None:
        return Case("nan", _with_value(X, index, np.nan), y, ("nan",))
    if kind == "y_nan":
        return Case("y_nan", X, _with_value(y, index, np.nan), ("nan",))
    if kind == "y_strings":
        return Case(
            "y_strings",
            X,
            np.full(len(y), "big", dtype=object),
            ("numeric", "string", "dtype", "float", "unknown label"),
        )
    if kind == "y_short":
        return Case("y_short", X, y[: n - 1], ("inconsistent", "match", "samples"))
    return Case("y_3d", X, np.asarray(y).reshape(len(y), 1, 1), ("dim", "shape", "1-d", "2-d"))


@st.composite
def pixel_cases(draw, X: np.ndarray, y: np.ndarray | None):
    """Pixel dtypes, scales and channels of images in [0, 1] ``X``, for image estimators.

    Kept apart from :func:`array_cases` (whose draws every estimator shares): each one either
    reads the same picture on its own scale, or is refused with a message that names the fix.
    """
    a = np.asarray(X, dtype=np.float64)
    kind = draw(st.sampled_from(["uint16", "int16", "float_above_one", "rgba", "rgba_transparent"]))
    if kind == "uint16":  # "auto" reads 0..65535
        return Case("uint16", np.round(a * 65535).astype(np.uint16), y)
    if kind == "int16":  # "auto" reads -32768..32767
        return Case("int16", np.round(a * 65535 - 32768).astype(np.int16), y)
    if kind == "float_above_one":  # 0..255 values stored as floats: "auto" (0..1) refuses them
        scale = draw(st.sampled_from([255.0, 65535.0, -1.0]))
        return Case("float_above_one", a * scale + 1, y, ("intensity_range",))
    alpha = np.ones_like(a)
    if kind == "rgba_transparent":
        alpha.reshape(-1)[: max(a.size // 3, 1)] = 0.0
    rgba = np.stack([a, a, a, alpha], axis=-1)  # opaque: dropped with a warning
    return Case(kind, rgba, y, ("alpha", "channel", "grayscale", "shape"))
