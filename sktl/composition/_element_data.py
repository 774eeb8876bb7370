"""The shipped table of elemental properties (from pymatgen; see ``tools/make_element_table.py``)."""

from __future__ import annotations

import csv
from functools import lru_cache
from importlib import resources

import numpy as np

from ._elements import ELEMNET_ELEMENTS

TABLE_FILE = "element_properties.csv"


@lru_cache(maxsize=1)
def element_table() -> tuple[tuple[str, ...], np.ndarray]:
    """Property names and an (86, n_properties) float64 array, rows in ElemNet's order."""
    text = resources.files("sktl.composition").joinpath("data", TABLE_FILE).read_text()
    rows = list(csv.reader(text.splitlines()))
    header, body = rows[0], rows[1:]
    symbols = tuple(r[0] for r in body)
    if symbols != ELEMNET_ELEMENTS:  # a packaging error, not a user error
        raise RuntimeError(f"{TABLE_FILE} does not list ElemNet's 86 elements in order.")
    values = np.array([[float(v) for v in r[1:]] for r in body], dtype=np.float64)
    values.setflags(write=False)
    return tuple(header[1:]), values
