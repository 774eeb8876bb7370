"""The composition targets of the CompositionRegressor benchmark, with design and report apart.

Each set is a training pool and a fixed test split (published splits where they exist):

* ``shear_modulus`` (design; it chose the 1.0 recipe's settings before), ``bulk_modulus``,
  ``debye_temperature``: CrabNet's AFLOW / Materials Project splits; pool = train;
* ``jarvis_formation_energy``: Gupta et al.'s JARVIS split; the source's own property (its
  training rows had the JARVIS test compositions removed);
* ``oqmd_same_property``: OQMD rows the source never trained on: pool = OQMD's validation
  split, test = 2,000 rows of its test split;
* ``alloy_shear`` (design) and ``alloy_bulk`` (report): the **alloy-like** sets, rows of the
  shear- and bulk-modulus sets whose elements are all metals (intermetallics), split 80/20
  with a fixed seed: rows that share few elements and differ in their fractions, where
  element-property statistics say little.

Reads ../shared/data (``SKTL_DATA``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from benchmarks import common
from sktl.composition import ElementFractionTransformer
from sktl.datasets import fetch_crossprop, fetch_jarvis_deltae, fetch_oqmd

DESIGN = ("shear_modulus", "alloy_shear")
REPORT = (
    "bulk_modulus",
    "debye_temperature",
    "jarvis_formation_energy",
    "oqmd_same_property",
    "alloy_bulk",
)
UNITS = {
    "shear_modulus": "GPa",
    "bulk_modulus": "GPa",
    "debye_temperature": "K",
    "jarvis_formation_energy": "eV/atom",
    "oqmd_same_property": "eV/atom",
    "alloy_shear": "GPa",
    "alloy_bulk": "GPa",
}
#: Published test MAE on these splits (CrabNet's metrics; Gupta et al. for JARVIS).
PUBLISHED = {
    "shear_modulus": {"CrabNet": 12.79, "Roost": 12.80, "RF": 12.78},
    "bulk_modulus": {"CrabNet": 8.69, "Roost": 8.82, "RF": 11.91},
    "debye_temperature": {"CrabNet": 33.46, "Roost": 37.17, "RF": 36.48},
    "jarvis_formation_energy": {"Gupta et al. transfer": 0.125},
}
#: Sets too large for n = all on two cores (a CompositionRegressor fit on JARVIS's 25,297 rows
#: takes about an hour): their learning curves stop at the largest n below the pool.
NO_ALL = ("jarvis_formation_energy", "oqmd_same_property")
NONMETALS = frozenset("H He B C N O F Ne Si P S Cl Ar Ge As Se Br Kr Sb Te I Xe At Rn".split())


def elemnet_only(df: pd.DataFrame) -> pd.DataFrame:
    """Rows whose formula has only ElemNet's 86 elements: the bulk-modulus and Debye test
    splits hold one formula (He2Ne1) of which no featuriser here knows an element."""
    fractions = ElementFractionTransformer()  # unsupported="error": raises on any other element
    try:
        fractions.fit_transform(list(df.formula))
        return df.reset_index(drop=True)
    except ValueError:  # some formula has another element: find it formula by formula
        pass
    keep = []
    for formula in df.formula:
        try:
            fractions.fit_transform([formula])
            keep.append(True)
        except ValueError:
            keep.append(False)
    return df[np.asarray(keep)].reset_index(drop=True)


def _metallic(df: pd.DataFrame) -> pd.DataFrame:
    """Rows of two or more elements, none of them a non-metal."""
    fractions = ElementFractionTransformer()
    present = fractions.fit_transform(list(df.formula)) > 0
    nonmetal = np.isin(fractions.get_feature_names_out(), sorted(NONMETALS))
    keep = (present.sum(axis=1) >= 2) & ~(present & nonmetal).any(axis=1)
    return df[keep].reset_index(drop=True)


def load(name: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(pool, test) DataFrames with columns formula, target."""
    home = common.data_home()
    if name in ("shear_modulus", "bulk_modulus", "debye_temperature"):
        d = fetch_crossprop(name, data_home=home, download_if_missing=False)
        return elemnet_only(d.train), elemnet_only(d.test)
    if name == "jarvis_formation_energy":
        d = fetch_jarvis_deltae(data_home=home, download_if_missing=False)
        return d.train.reset_index(drop=True), d.test.reset_index(drop=True)
    if name == "oqmd_same_property":
        d = fetch_oqmd(data_home=home, download_if_missing=False)
        val = d.val[d.val["target"].abs() <= 10].reset_index(drop=True)
        test = d.test[d.test["target"].abs() <= 10].sample(2000, random_state=0)
        return val, test.reset_index(drop=True)
    if name in ("alloy_shear", "alloy_bulk"):
        prop = "shear_modulus" if name == "alloy_shear" else "bulk_modulus"
        d = fetch_crossprop(prop, data_home=home, download_if_missing=False)
        rows = _metallic(elemnet_only(pd.concat([d.train, d.val, d.test])))
        idx = np.random.default_rng(0).permutation(len(rows))
        n_test = len(rows) // 5
        return rows.iloc[idx[n_test:]].reset_index(drop=True), rows.iloc[idx[:n_test]].reset_index(
            drop=True
        )
    raise ValueError(f"unknown set {name!r}; choose from {DESIGN + REPORT}")


def design_split(pool: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(pool, validation) of a design set: 20 % of the pool held out with a fixed seed."""
    idx = np.random.default_rng(1).permutation(len(pool))
    n_val = len(pool) // 5
    return pool.iloc[idx[n_val:]].reset_index(drop=True), pool.iloc[idx[:n_val]].reset_index(
        drop=True
    )
