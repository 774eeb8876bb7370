"""``sktl pretrain``: train the composition source network on OQMD and write it as a source.

Writes ``<stem>.npz`` (the network's arrays), ``<stem>.json`` (its metadata and report: how it
was trained, its validation and test MAE on OQMD's split with the stored weights, the credit
of the data) and ``<stem>_check.csv`` (test formulas and the source's predictions, which the
test of a shipped source compares). ``sktl pretrain --out sktl/transfer/data/oqmd_source``
rebuilds the source that ships with sktl (``weights="oqmd"``).
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from ..transfer import SOURCE_SETTINGS
from ._numeric_flags import SEED_RANGE, int_in

#: The credit of the data every OQMD source is trained on.
OQMD_CREDIT = {
    "name": "OQMD (Open Quantum Materials Database), formation enthalpies per atom",
    "split": "CrabNet's OQMD train/val/test split (sktl.datasets.fetch_oqmd)",
    "url": "https://oqmd.org",
    "license": "CC BY 4.0",
    "cite": "S. Kirklin, J. E. Saal, B. Meredig, A. Thompson, J. W. Doak, M. Aykol, S. Ruehl, "
    "C. Wolverton, The Open Quantum Materials Database (OQMD): assessing the accuracy of DFT "
    "formation energies, npj Comput. Mater. 1, 15010 (2015)",
}


def add_parser(sub) -> None:
    p = sub.add_parser(
        "pretrain",
        help="train the composition source network on OQMD formation energies (about 1 h)",
    )
    p.add_argument(
        "--out",
        type=Path,
        default=Path("oqmd-source"),
        help="the stem of the files to write: STEM.npz, STEM.json (metadata and report) and "
        "STEM_check.csv (default: oqmd-source)",
    )
    p.add_argument("--data-home", default=None, help="folder of the data (default: $SKTL_DATA)")
    p.add_argument(
        "--keep-jarvis-test",
        action="store_true",
        help="keep the compositions of the JARVIS test set in the source's training rows "
        "(by default they are removed, so the source can be scored on JARVIS fairly)",
    )
    p.add_argument(
        "--max-epochs",
        type=int_in(1),
        default=SOURCE_SETTINGS["max_epochs"],
        help=f"training epochs (default: {SOURCE_SETTINGS['max_epochs']}); >= 1",
    )
    p.add_argument(
        "--limit", type=int_in(1), default=None, help="train on the first N rows only; N >= 1"
    )
    p.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N or auto")
    p.add_argument("--seed", type=int_in(*SEED_RANGE), default=0, help="random seed (default: 0)")
    p.add_argument("--quiet", action="store_true", help="no per-epoch log")
    p.set_defaults(func=run)


def formula_keys(formulas) -> np.ndarray:
    """One hashable composition key per formula (see ``fraction_keys``)."""
    from ..composition import ElementFractionTransformer, fraction_keys

    return fraction_keys(
        ElementFractionTransformer(unsupported="drop").fit_transform(list(formulas))
    )


def out_stem(out) -> Path:
    """``--out`` without ``.npz``/``.json``; a ``.skops`` or ``.joblib`` name is refused."""
    out = Path(out)
    if out.suffix in (".skops", ".joblib", ".pkl"):
        raise ValueError(
            f"--out {out}: sktl pretrain writes a source as STEM.npz and STEM.json, not a "
            f"{out.suffix} file; pass the stem (e.g. --out {out.with_suffix('')}) and give "
            f"the transfer models weights='{out.with_suffix('.npz')}'."
        )
    return out.with_suffix("") if out.suffix in (".npz", ".json") else out


def command_line(args) -> str:
    """The ``sktl pretrain`` command that repeats this run (flags that change the source)."""
    parts = ["sktl pretrain --out", str(out_stem(args.out))]
    if args.keep_jarvis_test:
        parts.append("--keep-jarvis-test")
    if args.max_epochs != SOURCE_SETTINGS["max_epochs"]:
        parts.append(f"--max-epochs {args.max_epochs}")
    if args.limit is not None:
        parts.append(f"--limit {args.limit}")
    if args.seed != 0:
        parts.append(f"--seed {args.seed}")
    return " ".join(parts)


def save_oqmd_source(source, stem, *, oqmd, command, train_rows, removed, fit_seconds) -> dict:
    """Write a source trained on OQMD: ``<stem>.npz``, ``<stem>.json``, ``<stem>_check.csv``.

    The MAE on OQMD's validation and test rows (targets within 10 eV/atom) and the check table
    (300 test rows) come from the source as written, with its float16 weights.

    Parameters
    ----------
    source : Pipeline
        ``pretrain_source``'s fitted Pipeline (or one like it: ``source_features()`` then a
        fitted DeepMLPRegressor).
    stem : str or path-like
        The files' path without suffix.
    oqmd : Bunch
        ``sktl.datasets.fetch_oqmd()``.
    command : str
        The ``sktl pretrain`` command that trained it.
    train_rows : int
        The rows it was trained on.
    removed : int
        The JARVIS test compositions removed from OQMD's training rows.
    fit_seconds : float
        The training time.

    Returns
    -------
    metadata : dict
        What ``<stem>.json`` holds.
    """
    from ..transfer import predict_source, write_source, write_source_check
    from ..transfer._sources import SOURCE_INPUT, input_description

    if input_description(source) != SOURCE_INPUT:
        raise ValueError(
            "source must be a fitted Pipeline of source_features() and a DeepMLPRegressor "
            "(pretrain_source's): the OQMD source's input is source_features()."
        )
    stem = out_stem(stem)
    check = Path(f"{stem}_check.csv")
    metadata = {
        "name": stem.name,
        "command": command,
        "train_rows": int(train_rows),
        "removed_jarvis_test_compositions": int(removed),
        "fit_seconds": round(float(fit_seconds), 1),
        "data": OQMD_CREDIT,
        "check_file": check.name,
    }
    write_source(source, stem, metadata)
    for split in ("val", "test"):
        part = getattr(oqmd, split)
        part = part[part["target"].abs() <= 10]
        pred = predict_source(Path(f"{stem}.npz"), part["formula"])
        metadata[f"oqmd_{split}_mae"] = float(np.mean(np.abs(pred - part["target"].to_numpy())))
    metadata = write_source(source, stem, metadata)  # now with the scores
    test = oqmd.test[oqmd.test["target"].abs() <= 10]
    write_source_check(Path(f"{stem}.npz"), test["formula"], test["target"], check)
    return metadata


def run(args) -> int:
    from ..datasets import fetch_jarvis_deltae, fetch_oqmd
    from ..transfer import pretrain_source

    stem = out_stem(args.out)  # refuses a .skops name before any training
    oqmd = fetch_oqmd(data_home=args.data_home)
    train = oqmd.train[oqmd.train["target"].abs() <= 10]  # ~60 outliers above 10 eV/atom
    removed = 0
    if not args.keep_jarvis_test:
        jarvis = fetch_jarvis_deltae(data_home=args.data_home)
        test_keys = set(formula_keys(jarvis.test["formula"]))
        keep = np.array([k not in test_keys for k in formula_keys(train["formula"])])
        removed = int((~keep).sum())
        train = train[keep]
    if args.limit is not None:
        train = train.iloc[: args.limit]
    if len(train) == 0:
        raise ValueError(
            f"no training rows are left in {oqmd.filenames['train']} after dropping targets "
            "beyond 10 eV/atom and the JARVIS test compositions; check --data-home."
        )
    print(
        f"training the source on {len(train)} OQMD formulas"
        + (f" ({removed} JARVIS test compositions removed)" if removed else ""),
        flush=True,
    )
    t0 = time.perf_counter()
    source = pretrain_source(
        train["formula"],
        train["target"].to_numpy(),
        random_state=args.seed,
        verbose=0 if args.quiet else 1,
        max_epochs=args.max_epochs,
        device=args.device,
    )
    seconds = time.perf_counter() - t0
    report = save_oqmd_source(
        source,
        stem,
        oqmd=oqmd,
        command=command_line(args),
        train_rows=len(train),
        removed=removed,
        fit_seconds=seconds,
    )
    print(
        f"wrote {stem}.npz, {stem}.json and {report['check_file']}: OQMD test MAE "
        f"{report['oqmd_test_mae']:.4f} eV/atom after {report['epochs']} epochs in "
        f"{seconds / 60:.1f} min"
    )
    return 0
