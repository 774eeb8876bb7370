"""Microstructures of the reconstruction generalisation benchmark: 256 px fields of each
material, split into materials to choose settings on (design) and materials to report on.

The generated materials come from PoreSpy's generators (a benchmark dependency, ``pip install
porespy``); the real ones from ../shared/data (``SKTL_DATA``): Li et al. (2018) and PyMKS.
Every generator is seeded, so a field is the same on every run.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from benchmarks.common import REPO, data_home

FIELD = 256
DESIGN = ("carbonate", "disks_5", "voronoi", "three_phase")
REPORT = (
    "copolymer",
    "composite",
    "pymks",
    "disks_2",
    "disks_10",
    "elongated",
    "blobs",
    "fibres",
)
# grain-like materials nobody tuned on, for the lineal path of grains (the design grains are
# "voronoi"): sections of 3-D polycrystals, a finer and a coarser one
GRAINS_REPORT = ("grains_fine", "grains_coarse")
# Li et al. (2018) Tables 1-2: error rates in % of the paper's reconstructions
PAPER = {
    ("carbonate", 1): {"s2": 3.91, "lineal_path": 7.63},
    ("copolymer", 1): {"s2": 0.78, "lineal_path": 6.38},
    ("composite", 0): {"s2": 0.77},
    ("composite", 1): {"s2": 2.25},
    ("composite", 2): {"s2": 3.67},
}


def _data_home() -> Path:
    return data_home() or REPO.parent / "shared" / "data"


def _li(name):
    path = _data_home() / "microstructures" / "li2018" / f"{name}_resized.npy"
    return np.load(path).astype(np.int64)


def _pymks():
    return np.load(_data_home() / "microstructures" / "pymks" / "pymks_ms_256x256_1.npy").astype(
        np.int64
    )


def _disks(vf, seed):
    """Non-overlapping disks (PoreSpy's random sequential addition) at about ``vf``: radii 7,
    4 and 2 px carry 35 / 35 / 30 % of the volume (size dispersion)."""
    import porespy as ps

    im = np.zeros((FIELD, FIELD), bool)
    for k, (r, share) in enumerate([(7, 0.35), (4, 0.35), (2, 0.30)]):
        im = ps.generators.random_spheres(
            im=im, r=r, phi=share * vf, clearance=1, edges="extended", seed=seed + k
        )
    return im.astype(np.int64)


def _elongated(seed):
    """Inclusions (20 %) stretched 5:1 along x: anisotropic Gaussian blobs."""
    import porespy as ps

    pores = ps.generators.blobs([FIELD, FIELD], porosity=0.8, blobiness=[1.5, 7.5], seed=seed)
    return (~pores).astype(np.int64)


def _voronoi(seed):
    """Voronoi grains of two phases: 60 random seeds (periodic), each grain's phase drawn at
    random. scipy's k-d tree does the tessellation (PoreSpy's voronoi_edges draws the cell
    edges of a 3-D tessellation, which in 2-D cut the grains into shards)."""
    rng = np.random.default_rng(seed)
    seeds = rng.uniform(0, FIELD, size=(60, 2))
    yy, xx = np.mgrid[:FIELD, :FIELD]
    return _two_phase_grains(seeds, np.c_[yy.ravel(), xx.ravel()], rng)


def _two_phase_grains(seeds, points, rng):
    """The FIELD x FIELD image of ``points`` (one per pixel), each labelled with the phase of
    its nearest seed (periodic), the seeds' phases drawn from ``rng``."""
    from scipy.spatial import cKDTree

    _, grain = cKDTree(seeds, boxsize=FIELD).query(points)
    return rng.integers(0, 2, len(seeds))[grain].reshape(FIELD, FIELD).astype(np.int64)


def _section_grains(cell, seed):
    """A plane section of a 3-D Poisson-Voronoi polycrystal of two phases: grains of mean
    volume ``cell``^3 px^3, each grain's phase drawn at random. A section cuts grains at random
    heights, so its grain areas are far more dispersed than a 2-D tessellation's (many small
    cuts beside the large ones)."""
    rng = np.random.default_rng(seed)
    seeds = rng.uniform(0, FIELD, size=(round(FIELD**3 / cell**3), 3))
    yy, xx = np.mgrid[:FIELD, :FIELD]
    plane = np.c_[yy.ravel(), xx.ravel(), np.full(yy.size, FIELD / 2)]
    return _two_phase_grains(seeds, plane, rng)


def _blobs(seed):
    """A porous medium: 45 % solid blobs."""
    import porespy as ps

    return (~ps.generators.blobs([FIELD, FIELD], porosity=0.55, blobiness=1.5, seed=seed)).astype(
        np.int64
    )


def _fibres(seed):
    """A mid-plane slice of 3-D straight fibres (radius 3 px) lying in the slice plane."""
    import porespy as ps

    vol = ps.generators.cylinders(
        [FIELD, FIELD, 24], r=3, porosity=0.8, phi_max=0, theta_max=90, seed=seed
    )
    return (~vol[:, :, 12]).astype(np.int64)


def _three_phase(seed):
    """Three phases (45 / 30 / 25 %): two thresholds of one PoreSpy blobs field."""
    import porespy as ps

    low = ps.generators.blobs([FIELD, FIELD], porosity=0.45, blobiness=1.5, seed=seed)
    mid = ps.generators.blobs([FIELD, FIELD], porosity=0.75, blobiness=1.5, seed=seed)
    return np.where(low, 0, np.where(mid, 1, 2)).astype(np.int64)


GENERATORS = {
    "carbonate": lambda seed: _li("carbonate"),
    "copolymer": lambda seed: _li("copolymer"),
    "composite": lambda seed: _li("composite"),
    "pymks": lambda seed: _pymks(),
    "disks_2": lambda seed: _disks(0.02, seed),
    "disks_5": lambda seed: _disks(0.05, seed),
    "disks_10": lambda seed: _disks(0.10, seed),
    "elongated": _elongated,
    "voronoi": _voronoi,
    "grains_fine": lambda seed: _section_grains(16, seed),
    "grains_coarse": lambda seed: _section_grains(40, seed),
    "blobs": _blobs,
    "fibres": _fibres,
    "three_phase": _three_phase,
}


def material(name: str, seed: int = 0) -> np.ndarray:
    """The 256 x 256 phase-label field of ``name``."""
    img = np.asarray(GENERATORS[name](seed))
    return img[:FIELD, :FIELD]


def quadrants(img: np.ndarray, size: int) -> list:
    """Four disjoint ``size`` px crops (the quadrants' centres); the first is the exemplar."""
    h, w = img.shape
    out = []
    for cy in (h // 4, 3 * h // 4):
        for cx in (w // 4, 3 * w // 4):
            y, x = cy - size // 2, cx - size // 2
            out.append(img[y : y + size, x : x + size])
    return out
