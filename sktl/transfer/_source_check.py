"""A source's own predictions on formulas, and the check table that ships beside a source.

The check table (``<stem>_check.csv``: formula, target, expected) holds a few hundred formulas
of the source's test split, their target and the prediction of the source as stored; a test
loads the source again and compares, so a change of the file, of the features or of the
network code that changes its predictions is caught.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from .._nn._torch import as_float32
from ..utils._verified import temporary_path
from ._pretrain import source_features
from ._sources import SOURCE_INPUT, load_source


def predict_source(source, formulas, *, batch_size=4096) -> np.ndarray:
    """The source network's own predictions on chemical formulas (e.g. OQMD formation energy).

    The formulas become :func:`source_features`, which the network was trained on, and go
    through it in evaluation mode (float32).

    Parameters
    ----------
    source : str or path-like
        A name of :func:`available_sources` or a source's files (see :func:`load_source`);
        its input must be :func:`source_features`.
    formulas : array-like of str of shape (n_samples,)
        Chemical formulas.
    batch_size : int, default=4096
        Rows per forward pass.

    Returns
    -------
    y_pred : ndarray of shape (n_samples,) or (n_samples, n_outputs)
        Predictions in the source target's units (eV/atom for ``"oqmd"``), float64.

    Examples
    --------
    >>> from sktl.transfer import predict_source
    >>> predict_source("oqmd", ["NaCl", "Fe2O3"]).shape
    (2,)
    """
    module, meta = load_source(source)
    if meta.get("input_features") != SOURCE_INPUT:
        raise ValueError(
            f"predict_source feeds source_features() ({SOURCE_INPUT}), but the input of "
            f"{source!r} is {meta.get('input_features', 'not recorded')!r}: run its network "
            "(sktl.transfer.load_source) on its own features instead."
        )
    X = as_float32(source_features().fit_transform(list(formulas)))
    with torch.no_grad():
        out = [
            module(torch.from_numpy(X[i : i + batch_size])) for i in range(0, len(X), batch_size)
        ]
    pred = torch.cat(out).numpy().astype(np.float64) if out else np.zeros((0, meta["n_outputs"]))
    return pred[:, 0] if meta["n_outputs"] == 1 else pred


def write_source_check(source, formulas, y, path, *, n_rows=300, random_state=0) -> pd.DataFrame:
    """Write the check table of a source: rows of its test split and its predictions on them.

    Parameters
    ----------
    source : str or path-like
        The source as :func:`load_source` reads it (its stored, float16 weights predict).
    formulas : array-like of str of shape (n_samples,)
        The formulas of the source's test split (OQMD's for ``sktl pretrain``).
    y : array-like of shape (n_samples,)
        Their targets.
    path : str or path-like
        The CSV file to write (atomically): columns ``formula``, ``target``, ``expected``.
    n_rows : int, default=300
        How many rows to draw (all of them when there are fewer).
    random_state : int, default=0
        Seeds the draw.

    Returns
    -------
    table : pandas.DataFrame
        What the file holds, in the order of the split.

    Examples
    --------
    >>> from sktl.transfer import write_source_check
    >>> table = write_source_check("oqmd", ["NaCl", "MgO", "Fe2O3"], [-2.1, -3.0, -1.7],
    ...                            "check.csv", n_rows=2)
    >>> list(table.columns), len(table)
    (['formula', 'target', 'expected'], 2)
    """
    formulas = np.asarray(list(formulas), dtype=object)
    y = np.asarray(y, dtype=np.float64)
    if y.ndim != 1 or len(y) != len(formulas) or not len(y):
        raise ValueError(
            f"y must be one target per formula: got {len(formulas)} formulas and y of shape "
            f"{y.shape}."
        )
    rng = np.random.default_rng(random_state)
    rows = np.sort(rng.choice(len(y), size=min(n_rows, len(y)), replace=False))
    table = pd.DataFrame({"formula": formulas[rows], "target": y[rows]})
    table["expected"] = predict_source(source, table["formula"])
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_path(path)
    try:
        table.to_csv(tmp, index=False, float_format="%.9g")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return table
