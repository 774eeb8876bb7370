"""Write ``data/porespy_reference.npz``: PoreSpy's S2 and lineal-path values for test images.

PoreSpy is not a dependency of sktl (it pulls numba, scikit-image and more); run this once in
an environment that has it, e.g.::

    python -m venv /tmp/ps && /tmp/ps/bin/pip install porespy==3.2.0 scipy
    /tmp/ps/bin/python tests/descriptors/porespy_reference.py

``test_descriptors.py`` compares sktl's descriptors with the stored values.

- S2: ``porespy.metrics.two_point_correlation`` (zero padded, each lag divided by its number
  of pairs, the same non-periodic estimator as sktl) with one bin per integer radius
  ``[r - 0.5, r + 0.5)``, its ``probability_scaled``.
- Lineal path: from ``porespy.filters.distance_transform_lin(mode="forward")``, the length of
  the run of the phase that ends at each pixel: a segment of r + 1 pixels ending at e lies
  wholly in the phase when that length is at least r + 1.
"""

from pathlib import Path

import numpy as np
import porespy as ps
from scipy.ndimage import gaussian_filter


def images():
    rng = np.random.default_rng(0)
    blobs = gaussian_filter(rng.standard_normal((64, 64)), 2.5) > 0.05
    laminate = np.zeros((48, 80), bool)
    laminate[:, (np.arange(80) // 5) % 3 == 0] = True
    laminate ^= rng.random((48, 80)) < 0.05
    return {"blobs": blobs, "laminate": laminate}


def s2(im, r_max):
    bins = np.concatenate([[0.0], np.arange(0.5, r_max + 1.0)])
    return ps.metrics.two_point_correlation(im, bins=bins).probability_scaled


def lineal_path(im, r_max):
    out = np.zeros(r_max + 1)
    for axis in (1, 0):
        run = ps.filters.distance_transform_lin(im.astype(np.int64), axis=axis, mode="forward")
        run = np.moveaxis(run, axis, 1)
        out += [np.mean(run[:, r:] >= r + 1) for r in range(r_max + 1)]
    return out / 2


def main():
    arrays = {}
    for name, im in images().items():
        r_max = min(im.shape) // 2
        arrays[f"{name}_image"] = im.astype(np.uint8)
        for phase in (0, 1):
            ind = im == phase
            arrays[f"{name}_s2_{phase}"] = s2(ind, r_max)
            arrays[f"{name}_lineal_path_{phase}"] = lineal_path(ind, r_max)
    out = Path(__file__).resolve().parent / "data" / "porespy_reference.npz"
    np.savez_compressed(out, porespy_version=ps.__version__, **arrays)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
