"""``sktl pretrain``: train the composition source network on OQMD and save it with skops.

Writes the source (``.skops``) and a report (JSON) with its validation and test MAE on OQMD's
split, the rows used and the training time.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from ._numeric_flags import SEED_RANGE, int_in


def add_parser(sub) -> None:
    p = sub.add_parser(
        "pretrain",
        help="train the composition source network on OQMD formation energies (about 1 h)",
    )
    p.add_argument(
        "--out",
        type=Path,
        default=Path("oqmd-source.skops"),
        help="the source file to write (default: oqmd-source.skops); the report goes beside it",
    )
    p.add_argument("--data-home", default=None, help="folder of the data (default: $SKTL_DATA)")
    p.add_argument(
        "--keep-jarvis-test",
        action="store_true",
        help="keep the compositions of the JARVIS test set in the source's training rows "
        "(by default they are removed, so the source can be scored on JARVIS fairly)",
    )
    p.add_argument(
        "--max-epochs", type=int_in(1), default=None, help="override the epochs (80); >= 1"
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


def run(args) -> int:
    from ..datasets import fetch_jarvis_deltae, fetch_oqmd
    from ..transfer import pretrain_source

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
    settings = {"device": args.device}
    if args.max_epochs is not None:
        settings["max_epochs"] = args.max_epochs
    print(
        f"training the source on {len(train)} OQMD formulas"
        + (f" ({removed} JARVIS test compositions removed)" if removed else ""),
        flush=True,
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    source = pretrain_source(
        train["formula"],
        train["target"].to_numpy(),
        path=args.out,
        random_state=args.seed,
        verbose=0 if args.quiet else 1,
        **settings,
    )
    seconds = time.perf_counter() - t0
    report = {
        "source": str(args.out),
        "train_rows": len(train),
        "removed_jarvis_test_compositions": removed,
        "epochs": len(source[-1].history_),
        "fit_seconds": round(seconds, 1),
    }
    for split in ("val", "test"):
        part = getattr(oqmd, split)
        part = part[part["target"].abs() <= 10]
        pred = source.predict(part["formula"])
        report[f"oqmd_{split}_mae"] = float(np.mean(np.abs(pred - part["target"].to_numpy())))
    path = args.out.with_suffix(".json")
    path.write_text(json.dumps(report, indent=2) + "\n")
    print(
        f"wrote {args.out} and {path}: OQMD test MAE {report['oqmd_test_mae']:.4f} eV/atom "
        f"after {report['epochs']} epochs in {seconds / 60:.1f} min"
    )
    return 0
