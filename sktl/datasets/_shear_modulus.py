"""A Materials Project shear-modulus sample, embedded: :func:`load_shear_modulus`.

The embedded file ``data/mp_shear_modulus_sample.csv`` holds 600 rows of the train split and
200 rows of the test split of CrabNet's ``mp_shear_modulus`` set (the files of
``fetch_crossprop("shear_modulus")``), drawn by ``numpy.random.default_rng(0)``: first the
train rows, then the test rows, each without replacement and kept in file order. The rows are
copied as text. Redraw it (byte-identical) from a folder with CrabNet's files with::

    python -m tools.make_shear_modulus SOURCE [--out PATH]

Every load checks the file's sha256 against :data:`EMBEDDED_SHA256` (23 kB: microseconds), so
a damaged installation raises an error naming the file instead of returning other numbers.
"""

from __future__ import annotations

import io
from importlib import resources

import pandas as pd
from sklearn.utils import Bunch

from ._embedded import read_embedded

EMBEDDED_FILE = "mp_shear_modulus_sample.csv"
#: sha256 of the embedded file as ``tools/make_shear_modulus.py`` writes it (update both).
EMBEDDED_SHA256 = "7c1599d983ea79a63da2ea49f91cdd27d86fc7eccfc8acd2f9a26d05d1c4177f"
#: Rows drawn per split, in drawing order, and the seed of ``numpy.random.default_rng``.
SAMPLE_ROWS: dict[str, int] = {"train": 600, "test": 200}
SAMPLE_SEED = 0

DESCR = """\
.. _shear_modulus_dataset:

Materials Project shear modulus, a sample (embedded)
----------------------------------------------------

Shear modulus (Voigt-Reuss-Hill average, GPa) by composition from the Materials Project,
as packaged in CrabNet's ``benchmark_data/mp_shear_modulus`` (CrabNet 2.0.8; packaging code
MIT): 600 of its 4,328 train rows and 200 of its 928 test rows, drawn with
``numpy.random.default_rng(0)`` (``tools/make_shear_modulus.py`` redraws them), so the sample
keeps CrabNet's train / test split. Columns ``formula`` (e.g. ``Y2ZnIn``) and ``target``
(GPa, 0 to about 400). The full set is :func:`fetch_crossprop` ``("shear_modulus")``.

Data licence: Materials Project, CC BY 4.0; cite Jain et al. 2013, APL Mater. 1:011002
(doi:10.1063/1.4812323) and de Jong et al. 2015, Sci. Data 2:150009
(doi:10.1038/sdata.2015.9).

For scale, on the full split (4,328 training rows) CrabNet's repository reports test MAEs of
12.80 (Roost), 12.79 (CrabNet), 15.10 (ElemNet) and 12.78 GPa (random forest); models trained
on this sample's fewer rows score worse.
"""


def _embedded_path():
    return resources.files("sktl.datasets").joinpath("data", EMBEDDED_FILE)


def _read_embedded() -> pd.DataFrame:
    """The embedded ``split, formula, target`` frame, checked first (UnreadableFileError)."""
    path = _embedded_path()
    data = read_embedded(path, EMBEDDED_SHA256)
    # only empty cells are missing: "NaN" is a formula (sodium nitride)
    return pd.read_csv(
        io.BytesIO(data),
        keep_default_na=False,
        na_values=[""],
        dtype={"split": str, "formula": str, "target": "float64"},
    )


def load_shear_modulus():
    """A Materials Project shear-modulus sample, embedded in sktl (no download).

    800 compositions with their shear modulus (VRH, GPa): 600 rows of the train split and 200
    of the test split of CrabNet's ``mp_shear_modulus`` set, drawn with
    ``numpy.random.default_rng(0)`` (``python -m tools.make_shear_modulus`` redraws them). A
    small target set for composition models and for transfer from the shipped OQMD source
    (``weights="oqmd"``). Source: the Materials Project, licence CC BY 4.0 (cite Jain et al.
    2013 and de Jong et al. 2015), as packaged in CrabNet 2.0.8 (packaging code MIT); the
    full set is :func:`fetch_crossprop` ``("shear_modulus")``.

    Returns
    -------
    data : sklearn.utils.Bunch
        - ``train``, ``test``: DataFrames with columns ``formula`` (str) and ``target``
          (float64, GPa), 600 and 200 rows, in CrabNet's file order (a fresh copy per call);
        - ``target_name``: ``"mp_shear_modulus"``; ``description``; ``target_unit``:
          ``"GPa"``;
        - ``filename``: the path of the embedded CSV file;
        - ``DESCR``: a description with the source, the licence and what to cite.

    Raises
    ------
    sktl.UnreadableFileError
        The embedded file is damaged (another sha256, checked on every load); the message
        names it and says to reinstall sktl.

    Examples
    --------
    >>> from sktl.datasets import load_shear_modulus
    >>> data = load_shear_modulus()
    >>> data.train.shape, data.test.shape
    ((600, 2), (200, 2))
    >>> list(data.train.columns), data.target_unit
    (['formula', 'target'], 'GPa')
    """
    frame = _read_embedded()
    splits = {
        split: frame.loc[frame["split"] == split, ["formula", "target"]].reset_index(drop=True)
        for split in SAMPLE_ROWS
    }
    return Bunch(
        **splits,
        target_name="mp_shear_modulus",
        description="shear modulus (VRH, Materials Project)",
        target_unit="GPa",
        filename=str(_embedded_path()),
        DESCR=DESCR,
    )
