"""Regenerate the embedded spinodal sample ``sktl/datasets/data/spinodal_500x64.npz``.

Usage::

    python -m tools.make_embedded [--out PATH] [--check]

It runs ``make_spinodal(500, 64, random_state=0)`` (about 1.5 min on one core) and
writes images as float16, descriptors and targets as float32, with the column names, the
parameter ranges and the seed. The zip members carry a fixed timestamp, so regenerating with
the same numpy/zlib gives a byte-identical file. ``--check`` compares a fresh generation with
the shipped file instead of writing it.
"""

from __future__ import annotations

import argparse
import time
import zipfile
from pathlib import Path

import numpy as np

from sktl.datasets._spinodal import (
    DATA_VERSION,
    EMBEDDED_FILE,
    EMBEDDED_N_SAMPLES,
    EMBEDDED_RANDOM_STATE,
    EMBEDDED_SIZE,
    FEATURE_NAMES,
    PARAMETERS,
    TARGET_NAMES,
    make_spinodal,
)

DEFAULT_PATH = Path(__file__).resolve().parents[1] / "sktl" / "datasets" / "data" / EMBEDDED_FILE


def embedded_arrays(n_samples: int = EMBEDDED_N_SAMPLES, verbose: int = 1) -> dict:
    """The arrays stored in the embedded file (first ``n_samples`` of them)."""
    data = make_spinodal(
        n_samples,
        EMBEDDED_SIZE,
        verbose=verbose,
        random_state=EMBEDDED_RANDOM_STATE,
    )
    names = [p.name for p in PARAMETERS]
    return {
        "images": data.images.astype(np.float16),
        "descriptors": data.descriptors.astype(np.float32),
        "targets": data.targets.astype(np.float32),
        "feature_names": np.array(FEATURE_NAMES),
        "target_names": np.array(TARGET_NAMES),
        "parameter_names": np.array(names),
        "parameter_ranges": np.array([data.parameter_ranges[n] for n in names]),
        "random_state": np.array(EMBEDDED_RANDOM_STATE),
        "data_version": np.array(DATA_VERSION),
    }


def write_npz(path: Path, arrays: dict) -> None:
    """Like ``numpy.savez_compressed``, but LZMA (float16 images compress to ~2.6 MB instead of
    3.2 MB; ``numpy.load`` reads it transparently) and fixed zip timestamps (byte-reproducible)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_LZMA) as zf:
        for name, value in arrays.items():
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_LZMA
            with zf.open(info, "w", force_zip64=True) as fh:
                np.lib.format.write_array(fh, np.asanyarray(value), allow_pickle=False)
    tmp.replace(path)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_PATH, help="output .npz path")
    parser.add_argument(
        "--check", action="store_true", help="compare with the shipped file, do not write"
    )
    args = parser.parse_args(argv)
    start = time.perf_counter()
    arrays = embedded_arrays()
    elapsed = time.perf_counter() - start
    print(f"generated {EMBEDDED_N_SAMPLES} samples in {elapsed:.1f} s")
    if args.check:
        with np.load(DEFAULT_PATH, allow_pickle=False) as shipped:
            same = all(np.array_equal(shipped[k], v) for k, v in arrays.items())
        print("identical to the shipped file" if same else "DIFFERS from the shipped file")
        return 0 if same else 1
    write_npz(args.out, arrays)
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.2f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
