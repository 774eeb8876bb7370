"""The input of :class:`CompositionRegressor`: formulas, optionally with numeric columns.

``X`` is a sequence of formulas (list, array, pandas Series, one-column frame), or a pandas
DataFrame with a formula column and any numeric columns (process variables, temperatures).
The formulas become the feature blocks the members read: the 86 element fractions and the
105 element-property statistics (together, in that order, the composition source's input);
the numeric columns are the block ``"extras"``.
"""

from __future__ import annotations

import numpy as np

from ._element_fractions import as_formula_column
from ._element_properties import ElementPropertyTransformer

#: Columns of the fraction block; the property block follows (the source's input order).
N_FRACTIONS = 86


def split_input(X, formula_column: str) -> tuple[np.ndarray, np.ndarray | None, list[str]]:
    """(formulas, extras or None, extra column names) of ``X``; errors say what to do."""
    if not (hasattr(X, "columns") and getattr(X, "ndim", 1) == 2):
        return as_formula_column(X), None, []
    columns = [str(c) for c in X.columns]
    if len(columns) == 1 and formula_column not in columns:  # a one-column frame of formulas
        return as_formula_column(X), None, []
    if formula_column not in columns:
        raise ValueError(
            f"X is a DataFrame without the formula column {formula_column!r} (its columns: "
            f"{columns}); name the column of formulas with formula_column=..."
        )
    if len(X) == 0:
        raise ValueError("Found array with 0 sample(s) while a minimum of 1 is required.")
    formulas = as_formula_column(X[formula_column])
    names = [c for c in columns if c != formula_column]
    if not names:
        return formulas, None, []
    extras = X[[c for c in X.columns if str(c) != formula_column]]
    non_numeric = [str(c) for c, kind in extras.dtypes.items() if kind.kind not in "biuf"]
    if non_numeric:
        raise ValueError(
            f"X's columns {non_numeric} are not numeric: besides the formula column "
            f"{formula_column!r}, every column must hold numbers (encode categories first)."
        )
    values = extras.to_numpy(dtype=np.float64)
    bad = ~np.isfinite(values)
    if bad.any():
        rows, cols = np.nonzero(bad)
        raise ValueError(
            f"X's column {names[cols[0]]!r} holds NaN or inf (row {rows[0]}; {bad.sum()} "
            "values in all): fill or drop them first."
        )
    return formulas, values, names


def feature_blocks(formulas: np.ndarray, extras: np.ndarray | None) -> dict[str, np.ndarray]:
    """The blocks ``fractions``, ``properties`` and ``extras`` (empty without extras)."""
    source_input = ElementPropertyTransformer(include_fractions=True).transform(formulas)
    return {
        "fractions": source_input[:, :N_FRACTIONS],
        "properties": source_input[:, N_FRACTIONS:],
        "extras": np.zeros((len(formulas), 0)) if extras is None else extras,
    }


def domain_blocks(blocks: dict[str, np.ndarray]) -> list[np.ndarray]:
    """The feature space of the domain score: the property statistics, and the numeric
    columns as a block of their own."""
    extras = blocks["extras"]
    return [blocks["properties"]] + ([extras] if extras.shape[1] else [])


def columns(blocks: dict[str, np.ndarray], names: tuple[str, ...]) -> np.ndarray:
    """The named blocks side by side."""
    return np.hstack([blocks[n] for n in names])
