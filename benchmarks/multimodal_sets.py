"""The datasets of the multimodal generalisation benchmark (image + descriptors -> targets).

Six sets that differ in physics, parameter ranges and in which modality carries the signal.
Two are *design* sets (the fusion design and its settings were chosen on them); four are
*report* sets, read only to report. Each has 700 samples: up to 500 train rows and a fixed-size
test set of 200 per split.

=================  ======  ===============================================================
name               role    what differs
=================  ======  ===============================================================
spinodal           design  ``make_spinodal`` with its default ranges (the first 500 rows are
                           the embedded set)
stiffness-mixed    design  ``make_stiffness`` (blobs/spheres/voronoi), contrast 10; cheap
                           descriptors (volume fraction, interface density, 3 two-point PCA
                           scores) against C11..C66
spinodal-shifted   report  other ranges (off-critical mean fractions, deeper quenches, longer
                           times, other kappa and mobility), another seed
spinodal-hidden    report  descriptors weak: only the thermodynamics (wells, depth,
                           temperature, mean composition) are given, the kinetics (time,
                           kappa, mobility, initial noise) are hidden, so the image carries
                           the morphology
stiffness-contrast report  image weak: five phase contrasts (2-50) the image cannot see,
                           given as a descriptor with the cheap descriptors
stiffness-blobs    report  anisotropic Gaussian-field blobs only, contrast 20, volume
                           fraction 0.3-0.7: orientation (C16, C26) is in the image alone
=================  ======  ===============================================================
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.decomposition import PCA

from sktl.datasets import make_spinodal, make_stiffness
from sktl.descriptors import TwoPointStatsTransformer

N_SAMPLES = 700
N_TEST = 200
SIZE = 64
DESIGN = ("spinodal", "stiffness-mixed")
REPORT = ("spinodal-shifted", "spinodal-hidden", "stiffness-contrast", "stiffness-blobs")


@dataclass
class MultimodalSet:
    name: str
    images: np.ndarray  # (n, H, W) float32
    descriptors: np.ndarray  # (n, d)
    targets: np.ndarray  # (n, t)
    descriptor_names: list
    target_names: list
    intensity_range: tuple


def _interface_density(images: np.ndarray) -> np.ndarray:
    """Share of periodic nearest-neighbour pixel pairs that cross a phase boundary."""
    b = images > 0.5
    return 0.5 * (
        (b != np.roll(b, 1, axis=1)).mean(axis=(1, 2))
        + (b != np.roll(b, 1, axis=2)).mean(axis=(1, 2))
    )


def _cheap_descriptors(images: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Volume fraction, interface density and 3 two-point PCA scores per image.

    The PCA basis is fitted on ``reference``: other images of the same generator, never the
    benchmark's rows, so every descriptor is a fixed per-image function.
    """
    two_point = TwoPointStatsTransformer(cutoff=8)
    pca = PCA(3, random_state=0).fit(two_point.fit_transform(reference))
    scores = pca.transform(two_point.transform(images))
    return np.column_stack([images.mean(axis=(1, 2)), _interface_density(images), scores])


_CHEAP_NAMES = ["volume_fraction", "interface_density", "s2_pc1", "s2_pc2", "s2_pc3"]


def _spinodal(name, ranges, seed, keep=None, n_samples=N_SAMPLES, size=SIZE) -> MultimodalSet:
    data = make_spinodal(
        n_samples, size, parameter_ranges=ranges, cache_dir=True, random_state=seed
    )
    images = np.asarray(data.images, dtype=np.float32)
    names = list(data.feature_names)
    cols = list(range(len(names))) if keep is None else [names.index(k) for k in keep]
    return MultimodalSet(
        name,
        images,
        np.asarray(data.descriptors)[:, cols],
        np.asarray(data.targets),
        [names[c] for c in cols],
        list(data.target_names),
        (float(images.min()), float(images.max())),
    )


def _stiffness(
    name,
    seed,
    *,
    generator="mixed",
    contrasts=(10.0,),
    volume_fraction=(0.2, 0.6),
    n_samples=N_SAMPLES,
    size=SIZE,
):
    per = -(-n_samples // len(contrasts))
    images, targets, contrast = [], [], []
    for i, c in enumerate(contrasts):
        data = make_stiffness(
            per,
            size,
            generator=generator,
            contrast=c,
            volume_fraction=volume_fraction,
            cache_dir=True,
            random_state=seed + 101 * i,
        )
        images.append(data.images)
        targets.append(data.targets)
        contrast.append(np.full(per, c))
    reference = make_stiffness(
        min(100, n_samples),
        size,
        generator=generator,
        contrast=contrasts[0],
        volume_fraction=volume_fraction,
        cache_dir=True,
        random_state=seed + 7919,
    ).images
    order = np.random.default_rng(seed).permutation(per * len(contrasts))[:n_samples]
    images = np.concatenate(images)[order].astype(np.float32)
    D = _cheap_descriptors(images, reference)
    names = list(_CHEAP_NAMES)
    if len(contrasts) > 1:
        D = np.column_stack([np.log(np.concatenate(contrast)[order]), D])
        names = ["log_contrast", *names]
    return MultimodalSet(
        name, images, D, np.concatenate(targets)[order], names, list(data.target_names), (0.0, 1.0)
    )


_HIDDEN_KEEP = [
    "mean_fraction",
    "well_a",
    "well_b",
    "well_depth",
    "temperature",
    "mean_composition",
]


def load_set(name: str, n_samples: int = N_SAMPLES, size: int = SIZE) -> MultimodalSet:
    """Build (or read from the sktl cache) one benchmark set by name; ``n_samples`` and
    ``size`` shrink it (the benchmark's smoke run), the defaults are the benchmark's."""
    kw = dict(n_samples=n_samples, size=size)
    if name == "spinodal":
        return _spinodal(name, None, 0, **kw)
    if name == "spinodal-shifted":
        ranges = {
            "mean_fraction": (0.25, 0.75),
            "temperature": (-0.8, 0.2),
            "kappa": (0.5, 2.0),
            "mobility": (0.25, 1.0),
            "time": (100.0, 10000.0),
        }
        return _spinodal(name, ranges, 11, **kw)
    if name == "spinodal-hidden":
        return _spinodal(name, {"time": (10.0, 5000.0)}, 12, keep=_HIDDEN_KEEP, **kw)
    if name == "stiffness-mixed":
        return _stiffness(name, 20, **kw)
    if name == "stiffness-contrast":
        return _stiffness(name, 21, contrasts=(2.0, 5.0, 10.0, 20.0, 50.0), **kw)
    if name == "stiffness-blobs":
        return _stiffness(
            name, 22, generator="blobs", contrasts=(20.0,), volume_fraction=(0.3, 0.7), **kw
        )
    raise ValueError(f"Unknown benchmark set {name!r}; choose from {DESIGN + REPORT}.")


def splits(n_total: int, n_train: int, n_splits: int, n_test: int = N_TEST):
    """(train, test) index pairs: a fixed-size test set of ``n_test`` and n_train other rows."""
    for s in range(n_splits):
        perm = np.random.default_rng(1000 + s).permutation(n_total)
        yield perm[n_test : n_test + n_train], perm[:n_test]


if __name__ == "__main__":
    import sys
    import time

    for name in sys.argv[1:] or DESIGN + REPORT:
        t = time.perf_counter()
        s = load_set(name)
        print(
            f"{name}: images {s.images.shape}, descriptors {s.descriptors.shape}, targets "
            f"{s.targets.shape} in {time.perf_counter() - t:.0f} s",
            flush=True,
        )
