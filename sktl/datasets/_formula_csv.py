"""Reading a ``formula, target`` CSV file, checked row by row."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..utils._errors import UnreadableFileError


def read_formula_csv(path, formula: str = "formula", target: str = "target", *, fix: str):
    """The ``formula, target`` frame of a CSV file, or an UnreadableFileError naming it.

    Only empty cells are missing ("NaN" is a formula: sodium nitride). The file must parse as
    CSV with a header, have both columns, a text ``formula`` in every row and a finite number
    as ``target`` in every row; anything else raises, never a KeyError or wrong numbers.

    Parameters
    ----------
    path : path-like
        The CSV file.
    formula, target : str
        Its columns of chemical formulas and of the property (renamed ``formula`` and
        ``target`` in the result).
    fix : str
        What the user can do, for the message (how to get the file again).

    Returns
    -------
    frame : pandas.DataFrame
        Columns ``formula`` (str) and ``target`` (float64), in file order.
    """
    expected = (
        f"a CSV file with a header row and the columns {formula!r} (chemical formulas) and "
        f"{target!r} (finite numbers), one row per compound"
    )

    def unreadable(problem):
        return UnreadableFileError(path, problem, expected, fix)

    def first(mask, column) -> str:
        row = int(np.flatnonzero(mask)[0])
        value = df[column].iloc[row]
        shown = "an empty cell" if pd.isna(value) else repr(str(value))
        return f"{int(mask.sum())} row(s); the first is data row {row + 1}: {shown}"

    try:
        df = pd.read_csv(path, keep_default_na=False, na_values=[""])
    except (ValueError, UnicodeDecodeError) as exc:  # pandas' parser errors are ValueErrors
        detail = " ".join(str(exc).split())
        raise unreadable(f"it does not parse as CSV ({type(exc).__name__}: {detail})") from exc
    lacking = [c for c in (formula, target) if c not in df.columns]
    if lacking:
        columns = ", ".join(repr(str(c)) for c in df.columns[:10])
        raise unreadable(f"it lacks the column(s) {lacking} (its columns: {columns or 'none'})")
    if len(df) == 0:
        raise unreadable("it has no rows")
    values = pd.to_numeric(df[target], errors="coerce").to_numpy(dtype=np.float64)
    bad = ~np.isfinite(values)
    if bad.any():
        raise unreadable(f"{target!r} is not a finite number in {first(bad, target)}")
    names = df[formula]
    if names.isna().any() or pd.api.types.infer_dtype(names, skipna=True) != "string":
        text = names.map(lambda v: isinstance(v, str)).to_numpy(dtype=bool)
        raise unreadable(f"{formula!r} is not a formula text in {first(~text, formula)}")
    out = df[[formula, target]].rename(columns={formula: "formula", target: "target"})
    out["target"] = values
    return out.reset_index(drop=True)
