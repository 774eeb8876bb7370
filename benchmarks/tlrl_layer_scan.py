"""Which source layer transfers best? TL/RL configurations x layer k on one target holdout.

A cheap companion to ``tlrl_table2.py``: every (configuration, k) pair is fitted once on a
seeded split of the JARVIS *training* set and scored on the held-out part of it (the JARVIS
test set is never read), so a wide range of layers can be compared before the k-fold run of
Table II is spent on the promising ones. Configurations without a layer (SC:DL,
TL:Fine-tune) are scored too, as references. Fits run in parallel, one torch thread each.

    python benchmarks/tlrl_layer_scan.py --source bench-out/src/tlrl_source.joblib \\
        --out bench-out/scan --layers 1,4,7,10,13,14,16 --epochs 20 --jobs 2

writes ``layer_scan.json``, ``layer_scan.md`` and ``layer_scan.png`` (holdout MAE against k).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import joblib
import numpy as np
import torch
from sklearn.model_selection import train_test_split
from tlrl_table2 import (  # benchmarks/ is on sys.path as a script
    candidates,
    data_home,
    final_network,
    jarvis,
    mae,
)

DEFAULT_CONFIGS = "SC:DL,TL:Fine-tune,RL:DL(Dense),TL+RL:DL(Dense),TL+RL:DL(ReLU)"


def _score(name, k, est, X, y, Xv, yv):
    torch.set_num_threads(1)
    t = time.perf_counter()
    est.fit(X, y)
    net = final_network(est)
    return {"config": name, "layer": k, "holdout_mae": mae(est.predict(Xv), yv),
            "epochs_run": len(net.history_), "seconds": time.perf_counter() - t,
            "bridge_r2": getattr(est, "bridge_score_", None)}  # fmt: skip


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--source", type=Path, required=True, help="joblib file of a fitted source")
    p.add_argument("--out", type=Path, default=Path("bench-out/layer-scan"))
    p.add_argument("--configs", default=DEFAULT_CONFIGS)
    p.add_argument("--layers", default="1,4,7,10,13,14,16", help="candidate layers k")
    p.add_argument("--holdout", type=float, default=0.2, help="share of the target train set")
    p.add_argument("--target-limit", type=int, default=0, help="random JARVIS train rows")
    p.add_argument("--architecture", default=None, help="target networks (default: source's)")
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--patience", type=int, default=10)
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--lr-decay", type=float, default=0.0, help="lr / (1 + d * step)")
    p.add_argument("--dropout", type=float, default=0.2, help="target networks' dropout rate")
    p.add_argument("--mc-dropout", type=int, default=16)
    p.add_argument("--jobs", type=int, default=1)
    args = p.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    source = joblib.load(args.source)
    (X, y), _, _ = jarvis(data_home())  # the JARVIS test set is not used
    if args.target_limit and args.target_limit < len(X):
        idx = np.sort(np.random.default_rng(0).choice(len(X), args.target_limit, replace=False))
        X, y = X[idx], y[idx]
    X, Xv, y, yv = train_test_split(X, y, test_size=args.holdout, random_state=0)
    dl = dict(architecture=args.architecture or source.architecture, max_epochs=args.epochs,
              patience=args.patience, batch_size=args.batch_size, lr=args.lr,
              lr_decay=args.lr_decay, random_state=0,
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
    (args.out / "layer_scan.json").write_text(json.dumps(result, indent=2))
    (args.out / "layer_scan.md").write_text(markdown(result, layers))
    plot(result, args.out / "layer_scan.png")
    print(markdown(result, layers))
    return result


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
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
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
    fig.savefig(path, dpi=120)
    plt.close(fig)


if __name__ == "__main__":
    main()
