"""``sktl featurize``: a folder, files or a glob of images -> a table of CNN features per file.

The features are :class:`~sktl.PretrainedCNNFeaturizer`'s, with its settings passed through.
The files are featurised in chunks; each finished chunk is kept as a verified file in a hidden
``.<out name>.partial/`` folder beside the table (keyed on the settings and the file list), so
a rerun after an interruption computes only the chunks that are missing. Files that cannot be
featurised are skipped and listed, never dropped silently.
"""

from __future__ import annotations

import argparse
import inspect
import os
import shutil
import sys
from pathlib import Path

import numpy as np

from ..backbones import POOLINGS
from ._featurize_chunks import (
    ARRAYS,
    Featurizers,
    featurize_chunk,
    from_bytes,
    partial_folder,
    run_key,
)
from ._featurize_inputs import IMAGE_SUFFIXES, common_size, find_images
from ._numeric_flags import SEED_RANGE, int_in

#: The exit status when the table was written but some files were skipped.
EXIT_SKIPPED = 3
#: The exit status after Ctrl-C: the finished chunks are kept for the rerun.
EXIT_INTERRUPTED = 130
_FORMATS = (".csv", ".parquet")
#: Skipped files printed on the terminal; all of them are in the .skipped.csv file.
_SHOWN_SKIPS = 20

_DESCRIPTION = """\
Features of a pretrained CNN (sktl.PretrainedCNNFeaturizer, its settings passed through) for
a folder, files or a glob of images, written as a CSV or Parquet table: a `path` column (as
found from INPUT) and one column per feature, named as get_feature_names_out names them."""

_EPILOG = f"""\
Images: {", ".join(IMAGE_SUFFIXES)}, as sktl.images.read_image reads them.
Grey and RGB files may be mixed: grey images are repeated into the network's three channels,
a constant alpha channel is dropped. All images must have one size unless --size is given:
without it, files of different sizes stop the run before any work (files that would be
skipped anyway, such as damaged ones, do not count), and a file whose header does not give
its size but whose pixels have another size is skipped.
A folder contributes its image files (hidden ones excepted); files named explicitly or
matched by a pattern are all taken.

Skipped files: one that cannot be featurised (damaged, not an image, grey + alpha or a
varying alpha, NaN pixels, values --intensity-range cannot read, such as 32-bit integers or
floats outside 0..1 under auto) is skipped, printed on stderr and listed with its reason in
<out stem>.skipped.csv.

Resuming: the finished chunks are kept in .<out name>.partial/ beside the table; the same
command run again after an interruption computes only the missing ones (a damaged chunk is
recomputed, with a DamagedCacheWarning). Changed settings (--batch-size and --quiet
excepted) or changed files start afresh. The folder is removed once the table is written.

Exit status: 0 every file featurised; {EXIT_SKIPPED} the table was written without the
skipped files; 2 an error (nothing written); {EXIT_INTERRUPTED} interrupted (rerun to resume).
"""


def _featurizer_default(name: str):
    from ..featurizers import PretrainedCNNFeaturizer

    return inspect.signature(PretrainedCNNFeaturizer).parameters[name].default


def _weights(text: str):
    """``none`` is the seeded random start (weights=None); anything else is passed through."""
    return None if text.lower() == "none" else text


def _size(text: str):
    """``--size``: an int (N x N) or ``native``, passed through as the featurizer's input_size."""
    return text if text == "native" else int_in(1)(text)


def _intensity_range(text: str):
    """``--intensity-range``: ``auto`` or LO,HI."""
    if text == "auto":
        return text
    try:
        lo, hi = (float(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected LO,HI (two numbers) or auto, got {text!r}"
        ) from None
    return (lo, hi)


def add_parser(sub) -> None:
    p = sub.add_parser(
        "featurize",
        help="a table of pretrained-CNN features, one row per image file (resumable)",
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "input",
        nargs="+",
        help="image files, folders, or glob patterns (quote them: 'tiles/*.png')",
    )
    p.add_argument(
        "--out",
        type=Path,
        required=True,
        help="the table: .csv, or .parquet (needs pyarrow or fastparquet)",
    )
    backbone, pooling = _featurizer_default("backbone"), _featurizer_default("pooling")
    p.add_argument("--backbone", default=backbone, help=f"architecture (default: {backbone})")
    p.add_argument(
        "--layer",
        default=_featurizer_default("layer"),
        help="the tap whose activations are the features (default: the backbone's default "
        "tap; sktl.list_layers(BACKBONE) lists them)",
    )
    p.add_argument("--pooling", default=pooling, help=f"{', '.join(POOLINGS)} (default: {pooling})")
    weights = _featurizer_default("weights")
    p.add_argument(
        "--weights",
        type=_weights,
        default=weights,
        help=f"weight source: a name, a weights file, or none for a seeded random start "
        f"(default: {weights})",
    )
    p.add_argument(
        "--size",
        type=_size,
        default=_featurizer_default("input_size"),
        help="resize every image to N x N before the network (native: the backbone's training "
        "size); needed when the images differ in size (default: their own size)",
    )
    batch = _featurizer_default("batch_size")
    p.add_argument(
        "--batch-size", type=int_in(1), default=batch, help=f"images per pass (default: {batch})"
    )
    p.add_argument(
        "--intensity-range",
        type=_intensity_range,
        default=_featurizer_default("intensity_range"),
        help="pixel values read as black and white: LO,HI (write --intensity-range=-1,1 for a "
        "negative LO), or auto: 0..255 for 8-bit, 0..65535 for 16-bit, 0..1 for float files "
        "(default: auto)",
    )
    device = _featurizer_default("device")
    p.add_argument(
        "--device", default=device, help=f"cpu, cuda, cuda:N or auto (default: {device})"
    )
    p.add_argument(
        "--seed",
        type=int_in(*SEED_RANGE),
        default=0,
        help="random_state of the random start of --weights none (default: 0)",
    )
    p.add_argument(
        "--chunk-size",
        type=int_in(1),
        default=256,
        help="files per saved chunk: what an interruption can lose (default: 256)",
    )
    p.add_argument("--recursive", action="store_true", help="include the subfolders of folders")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


# -- the output ----------------------------------------------------------------------------
def _check_out(out: Path) -> None:
    """Refuse an unknown table format, and Parquet without an engine, before any work."""
    suffix = out.suffix.lower()
    if suffix not in _FORMATS:
        raise ValueError(
            f"--out {out}: unknown table format {suffix or '(no suffix)'!r}; name it .csv "
            "or .parquet"
        )
    if out.is_dir():
        raise ValueError(f"--out {out} is a folder; name the table file (.csv or .parquet)")
    if suffix == ".parquet":
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            try:
                import fastparquet  # noqa: F401
            except ImportError:
                raise ValueError(
                    f"--out {out}: writing Parquet needs pyarrow or fastparquet, and neither "
                    "is installed. Install one (pip install pyarrow) or write a .csv table"
                ) from None


def _write_table(out: Path, shown, names, features) -> None:
    """The table, written atomically (a temporary file, then renamed)."""
    import pandas as pd

    from ..utils._verified import temporary_path

    table = pd.DataFrame(features, columns=list(names))
    table.insert(0, "path", list(shown))
    tmp = temporary_path(out)
    try:
        if out.suffix.lower() == ".parquet":
            table.to_parquet(tmp, index=False)
        else:
            table.to_csv(tmp, index=False)
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)


def _report_skips(out: Path, skipped) -> Path:
    """``<out stem>.skipped.csv`` (path, reason); a stale one goes when nothing was skipped."""
    import csv

    path = out.with_name(f"{out.stem}.skipped.csv")
    if not skipped:
        path.unlink(missing_ok=True)
        return path
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["path", "reason"])
        writer.writerows(skipped)
    print(f"skipped {len(skipped)} file(s), listed in {path}:", file=sys.stderr)
    for name, reason in skipped[:_SHOWN_SKIPS]:
        print(f"  {name}: {reason}", file=sys.stderr)
    if len(skipped) > _SHOWN_SKIPS:
        print(f"  ... and {len(skipped) - _SHOWN_SKIPS} more", file=sys.stderr)
    return path


def run(args) -> int:
    """Featurise the input files chunk by chunk, resuming from saved chunks; write the table.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line.

    Returns
    -------
    status : int
        0 when every file was featurised, :data:`EXIT_SKIPPED` when some were skipped (the
        table holds the others), :data:`EXIT_INTERRUPTED` after Ctrl-C.

    Raises
    ------
    ValueError
        For inputs or settings that cannot give a table (``sktl`` prints it, exit status 2).
    """
    from tqdm.auto import tqdm

    from ..utils._verified import read_verified, write_verified

    out = Path(args.out)
    _check_out(out)
    files, shown = find_images(args.input, args.recursive)
    example = common_size(files, shown, args.intensity_range) if args.size is None else None
    key = run_key(args, files)
    folder = partial_folder(out, key)
    starts = range(0, len(files), args.chunk_size)
    chunks = {}
    for i in range(len(starts)):
        chunks[i] = read_verified(folder / f"chunk-{i:06d}.npz", f"{key}:{i}", ARRAYS)
    done = sum(
        min(args.chunk_size, len(files) - starts[i]) for i, c in chunks.items() if c is not None
    )
    if done:
        print(
            f"resuming: {done} of {len(files)} files already featurised in {folder.parent}",
            file=sys.stderr,
        )
    featurizers = Featurizers(args)
    progress = tqdm(
        total=len(files),
        initial=done,
        unit="file",
        desc="sktl featurize",
        file=sys.stderr,
        disable=args.quiet,
    )
    try:
        for i, start in enumerate(starts):
            if chunks[i] is None:
                part = slice(start, start + args.chunk_size)
                arrays = featurize_chunk(
                    files[part], shown[part], featurizers, args, example, progress
                )
                write_verified(folder / f"chunk-{i:06d}.npz", f"{key}:{i}", **arrays)
                chunks[i] = arrays  # only once saved: the interruption message counts these
    except KeyboardInterrupt:
        progress.close()
        saved = sum(c is not None for c in chunks.values())
        print(
            f"\ninterrupted: {saved} of {len(chunks)} chunks are saved in {folder.parent}; "
            "run the same command again to resume",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    finally:
        progress.close()
    return _assemble(out, shown, list(starts), chunks, folder.parent)


def _assemble(out: Path, shown, starts, chunks, partial: Path) -> int:
    """Write the table and the list of skipped files from the chunks; remove ``partial``.

    Parameters
    ----------
    out : Path
        The table.
    shown : list of str
        The files as the ``path`` column names them.
    starts : list of int
        The position of each chunk's first file.
    chunks : dict of int to dict
        The arrays of every chunk.
    partial : Path
        The ``.<out name>.partial`` folder.

    Returns
    -------
    status : int
        0, or :data:`EXIT_SKIPPED` when files were skipped.
    """
    kept, features, skipped, names = [], [], [], None
    for i, start in enumerate(starts):
        chunk = chunks[i]
        kept.extend(shown[start + int(r)] for r in chunk["rows"])
        skipped.extend([shown[start + r], why] for r, why in from_bytes(chunk["skipped"]))
        chunk_names = from_bytes(chunk["names"])
        if len(chunk["rows"]):
            features.append(chunk["features"])
            if names is not None and chunk_names != names:
                raise RuntimeError(f"chunks with different feature columns; delete {partial}")
            names = chunk_names
    _report_skips(out, skipped)
    if not kept:
        shutil.rmtree(partial, ignore_errors=True)
        raise ValueError(f"none of the {len(shown)} files could be featurised (see above)")
    out.parent.mkdir(parents=True, exist_ok=True)
    _write_table(out, kept, names, np.concatenate(features))
    shutil.rmtree(partial, ignore_errors=True)
    print(f"wrote {out}: {len(kept)} files x {len(names)} features")
    return EXIT_SKIPPED if skipped else 0
