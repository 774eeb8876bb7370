"""Which source layer transfers best? TL/RL configurations x layer k on one target holdout.

A cheap companion to ``tlrl_table2``: every (configuration, k) pair is fitted once on a
seeded split of the JARVIS *training* set and scored on the held-out part of it (the JARVIS
test set is never read), so a wide range of layers can be compared before the k-fold run of
Table II is spent on the promising ones. Configurations without a layer (SC:DL,
TL:Fine-tune) are scored too, as references. Fits run in parallel, one torch thread each.
Writes ``layer_scan.json``, ``layer_scan.md`` and ``layer_scan.png`` (holdout MAE against k).
Needs JARVIS (``common.data_home()``) and, except with ``--smoke``, a fitted source.

    python -m benchmarks.paper.tlrl_layer_scan --source bench-out/tlrl_table2/tlrl_source.joblib \\
        --layers 1,4,7,10,13,14,16 --epochs 20 --jobs 2                # full
    python -m benchmarks.paper.tlrl_layer_scan --source FILE --quick   # 3000 rows, 5 epochs
    python -m benchmarks.paper.tlrl_layer_scan --smoke                 # seconds; meaningless

``--smoke``: without ``--source``, a 16x2D-8x1-1 source fitted for 1 epoch on random
fractions; 200 JARVIS rows parsed, layers 1 and 3, 1 epoch, 2 dropout passes.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import joblib
import numpy as np
import torch
from sklearn.model_selection import train_test_split

from benchmarks import common
from benchmarks.paper.tlrl_table2 import (
    SMOKE_ARCHITECTURE,
    candidates,
    final_network,
    jarvis,
    mae,
)
from sktl.plotting import new_figure
from sktl.transfer import DeepMLPRegressor

DEFAULT_CONFIGS = "SC:DL,TL:Fine-tune,RL:DL(Dense),TL+RL:DL(Dense),TL+RL:DL(ReLU)"
#: {flag: (full, quick, smoke)} defaults of the flags left unset
DEFAULTS = {
    "layers": ("1,4,7,10,13,14,16", "1,4,7,10,13,14,16", "1,3"),
    "target_limit": (0, 3000, 200),
    "epochs": (20, 5, 1),
    "mc_dropout": (16, 16, 2),
}


def _score(name, k, est, X, y, Xv, yv):
    torch.set_num_threads(1)
    t = time.perf_counter()
    est.fit(X, y)
    net = final_network(est)
    return {"config": name, "layer": k, "holdout_mae": mae(est.predict(Xv), yv),
            "epochs_run": len(net.history_), "seconds": time.perf_counter() - t,
            "bridge_r2": getattr(est, "bridge_score_", None)}  # fmt: skip


def smoke_source(seed: int = 0) -> DeepMLPRegressor:
    """A tiny source fitted for one epoch on random element fractions (``--smoke``)."""
    rng = np.random.default_rng(seed)
    X = rng.dirichlet(np.ones(86), size=60)
    return DeepMLPRegressor(architecture=SMOKE_ARCHITECTURE, max_epochs=1,
                            random_state=seed).fit(X, X[:, 0])  # fmt: skip


def main(argv=None) -> int:
    p = common.parser(__doc__.splitlines()[0], out="bench-out/tlrl_layer_scan")
    p.add_argument("--source", type=Path, default=None,
                   help="joblib file of a fitted source (required except with --smoke)")
    p.add_argument("--configs", default=DEFAULT_CONFIGS)
    p.add_argument("--layers", default=None,
                   help="candidate layers k (default: 1,4,7,10,13,14,16; smoke: 1,3)")
    p.add_argument("--holdout", type=float, default=0.2, help="share of the target train set")
    p.add_argument("--target-limit", type=int, default=None,
                   help="random JARVIS train rows (default: all; quick: 3000; smoke: 200)")
    p.add_argument("--architecture", default=None, help="target networks (default: source's)")
    p.add_argument("--epochs", type=int, default=None, help="default: 20 (quick: 5, smoke: 1)")
    p.add_argument("--patience", type=int, default=10)
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--lr-decay", type=float, default=0.0, help="lr / (1 + d * step)")
    p.add_argument("--dropout", type=float, default=0.2, help="target networks' dropout rate")
    p.add_argument("--mc-dropout", type=int, default=None, help="default: 16 (smoke: 2)")
    p.add_argument("--jobs", type=int, default=1)
    args = p.parse_args(argv)  # fmt: skip
    if args.source is None and not args.smoke:
        p.error("--source is required (except with --smoke)")
    common.fill_defaults(args, DEFAULTS)
    source = joblib.load(args.source) if args.source else smoke_source(args.seed)
    # the JARVIS test set is not used; --smoke parses a random sample only
    (X, y), _, _ = jarvis(common.data_home(), args.target_limit if args.smoke else 0)
    if args.target_limit and args.target_limit < len(X):
        idx = np.random.default_rng(args.seed).choice(len(X), args.target_limit, replace=False)
        X, y = X[np.sort(idx)], y[np.sort(idx)]
    X, Xv, y, yv = train_test_split(X, y, test_size=args.holdout, random_state=args.seed)
    dl = dict(architecture=args.architecture or source.architecture, max_epochs=args.epochs,
              patience=args.patience, batch_size=args.batch_size, lr=args.lr,
              lr_decay=args.lr_decay, random_state=args.seed,
              mc_dropout=args.mc_dropout, dropout=args.dropout)  # fmt: skip
    layers = [int(k) for k in args.layers.split(",")]
    jobs = [(name, k, est) for name in args.configs.split(",") if name
            for k, est in candidates(name, source, layers, dl)]  # fmt: skip
    t0 = time.perf_counter()
    rows = joblib.Parallel(n_jobs=args.jobs, verbose=10)(
        joblib.delayed(_score)(name, k, est, X, y, Xv, yv) for name, k, est in jobs
    )
    result = {"settings": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
              "rows_fit": len(X), "rows_holdout": len(Xv), "results": rows,
              "total_s": time.perf_counter() - t0}  # fmt: skip
    common.write_json(args.out / "layer_scan.json", result)
    common.write_markdown(args.out / "layer_scan.md", markdown(result, layers))
    plot(result, args.out / "layer_scan.png")
    print(markdown(result, layers))
    return 0


def markdown(result, layers) -> str:
    by = {(r["config"], r["layer"]): r["holdout_mae"] for r in result["results"]}
    names = list(dict.fromkeys(r["config"] for r in result["results"]))
    lines = [
        "# TL+RL layer scan: holdout MAE (eV/atom) on the JARVIS training set",
        "",
        f"{result['rows_fit']} rows fitted, {result['rows_holdout']} held out; settings: "
        f"{json.dumps(result['settings'])}; total {result['total_s'] / 60:.1f} min.",
        "",
        "| configuration | " + " | ".join(f"k={k}" for k in layers) + " | no layer |",
        "|---|" + "---|" * (len(layers) + 1),
    ]
    for n in names:
        cells = [by.get((n, k)) for k in [*layers, None]]
        lines.append(f"| {n} | " + " | ".join("-" if c is None else f"{c:.4f}" for c in cells)
                     + " |")  # fmt: skip
    return "\n".join(lines) + "\n"


def plot(result, path: Path) -> None:
    fig = new_figure((6, 4))
    ax = fig.subplots()
    names = list(dict.fromkeys(r["config"] for r in result["results"]))
    for n in names:
        rows = [r for r in result["results"] if r["config"] == n]
        if rows[0]["layer"] is None:
            ax.axhline(rows[0]["holdout_mae"], ls="--", lw=1, label=n, color=f"C{names.index(n)}")
        else:
            ax.plot([r["layer"] for r in rows], [r["holdout_mae"] for r in rows], "o-", label=n,
                    color=f"C{names.index(n)}")  # fmt: skip
    ax.set_xlabel("source layer k")
    ax.set_ylabel("holdout MAE (eV/atom)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    common.save_figure(fig, path, dpi=120)


if __name__ == "__main__":
    raise SystemExit(main())
