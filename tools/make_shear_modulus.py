"""Redraw the embedded shear-modulus sample ``sktl/datasets/data/mp_shear_modulus_sample.csv``.

Usage::

    python -m tools.make_shear_modulus SOURCE [--out PATH]

``SOURCE`` is the folder with CrabNet's ``mp_shear_modulus/{train,test}.csv`` (the files of
``sktl.datasets.fetch_crossprop("shear_modulus")``; their sha256 is checked first). The sample:
``numpy.random.default_rng(0)`` draws 600 of the 4,328 train rows, then, from the same
generator, 200 of the 928 test rows, without replacement; each split keeps file order. The rows
are copied as text (the target digits unchanged) under the header ``split,formula,target``, so
a redraw is byte-identical (tested).
"""

from __future__ import annotations

import argparse
import csv
import io
from pathlib import Path

import numpy as np

from sktl.datasets._fetch import _CROSSPROP_FILES
from sktl.datasets._shear_modulus import EMBEDDED_FILE, SAMPLE_ROWS, SAMPLE_SEED
from sktl.utils._verified import file_sha256

DEFAULT_PATH = Path(__file__).resolve().parents[1] / "sktl" / "datasets" / "data" / EMBEDDED_FILE


def build_embedded(source, out=None) -> Path:
    """Write the embedded sample from CrabNet's ``train.csv`` and ``test.csv`` in ``source``."""
    source = Path(source)
    rng = np.random.default_rng(SAMPLE_SEED)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["split", "formula", "target"])
    for split, n_rows in SAMPLE_ROWS.items():
        path = source / f"{split}.csv"
        expected = _CROSSPROP_FILES["mp_shear_modulus"][split][0]
        if file_sha256(path) != expected:
            raise ValueError(f"{path} is not CrabNet's file (sha256 {expected}); fetch it again "
                             "with sktl.datasets.fetch_crossprop('shear_modulus').")  # fmt: skip
        with open(path, newline="", encoding="utf-8") as f:
            header, *rows = list(csv.reader(f))
        if header != ["formula", "target"]:
            raise ValueError(f"{path}: expected the columns formula,target, got {header}")
        for i in np.sort(rng.choice(len(rows), n_rows, replace=False)):
            writer.writerow([split, *rows[i]])
    out = Path(out) if out is not None else DEFAULT_PATH
    out.write_bytes(buffer.getvalue().encode("utf-8"))
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Redraw " + EMBEDDED_FILE)
    parser.add_argument("source", type=Path, help="folder with mp_shear_modulus/{train,test}.csv")
    parser.add_argument("--out", type=Path, default=None, help="output .csv path")
    args = parser.parse_args(argv)
    out = build_embedded(args.source, args.out)
    print(f"wrote {out} ({out.stat().st_size / 1e3:.1f} kB, sha256 {file_sha256(out)})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
