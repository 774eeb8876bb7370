"""TL+RL for composition data, Gupta et al. (2021) Table II: OQMD (source) -> JARVIS (target).

A NN-17 (ElemNet) pre-trained on OQMD formation energies from 86 element fractions is reused
on the JARVIS formation-energy set (its exact train/test split) eight ways: SC:ML (AutoML on
fractions), SC:DL (NN-17 from scratch), TL:Fine-tune, RL:Freezing, RL:DL(ReLU/Dense) (layer-k
activations -> NN-17 from scratch) and TL+RL:DL(ReLU/Dense) (activations -> NN-17 initialised
from the source except its first layer). k-fold CV MAE on the target training set selects the
layer k of each family; the test MAE is computed once, with the selected k.

Overlap: every composition of the JARVIS *test* set (compared as element-fraction vectors, so
"Ta2Te1Zr1" matches "ZrTa2Te") is removed from the source before pre-training; overlaps with
the JARVIS training set are counted and kept (as in the paper, which pre-trains on all of OQMD).
Also measures NN-17 training throughput (samples/s) of DeepMLPRegressor against a plain torch
loop (same module, batch size, optimiser and data). Writes ``tlrl_table2.json`` / ``.md`` and
the source (``tlrl_source.joblib``) to ``--out``. Needs OQMD and JARVIS (``common.data_home()``).

    nice python -m benchmarks.paper.tlrl_table2 --epochs 20          # the full run (days)
    python -m benchmarks.paper.tlrl_table2 --quick                   # ~2 minutes: subsets, 2 epochs
    python -m benchmarks.paper.tlrl_table2 --smoke                   # seconds; numbers mean nothing
    nice python -m benchmarks.paper.tlrl_table2 --source-limit 50000 \\
        --target-limit 3000 --folds 3 --epochs 10 --layers 12,14,16  # a medium run

``--smoke``: 2000 OQMD and 600 JARVIS rows parsed (so the overlap counts cover only those),
300 source / 60 target / 30 test rows used, a 16x2D-8x1-1 network, 1 epoch, 2 folds, 1 ridge
AutoML trial, 2 dropout passes. A source trained once (``--source-only``) is reused with
``--source FILE``; ``--folds 0`` skips the CV and fits each configuration once with a layer
chosen beforehand (``tlrl_layer_scan`` compares layers on a holdout of the JARVIS training set).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import torch
from sklearn.base import clone
from sklearn.ensemble import VotingRegressor
from sklearn.model_selection import KFold, cross_val_score
from sklearn.pipeline import make_pipeline

from benchmarks import common
from sktl.automl import HyperoptRegressor
from sktl.composition import ElementFractionTransformer, fraction_keys
from sktl.datasets import fetch_jarvis_deltae, fetch_oqmd
from sktl.transfer import (
    ELEMNET_ARCHITECTURE,
    DeepMLPRegressor,
    LayerActivationTransformer,
    TLRLRegressor,
    build_mlp,
    parse_architecture,
)

SMOKE_ARCHITECTURE = "16x2D-8x1-1"
PUBLISHED = {  # Gupta et al. 2021, Table II (eV/atom): CV MAE, test MAE
    "SC:DL": (0.135, 0.142),
    "TL+RL:DL(Dense)": (0.117, 0.121),
}
CONFIGS = [
    "SC:ML",
    "SC:DL",
    "TL:Fine-tune",
    "RL:Freezing",
    "RL:DL(ReLU)",
    "RL:DL(Dense)",
    "TL+RL:DL(ReLU)",
    "TL+RL:DL(Dense)",
    "TL+RL:DL(Dense) bridged",
]


def fractions(formulas, chunk: int = 4096) -> tuple[np.ndarray, np.ndarray]:
    """Element fractions and a mask of the formulas that parse (the others are dropped).

    Chunks are transformed whole; a chunk with a formula that does not parse is redone
    formula by formula to find it.
    """
    t = ElementFractionTransformer()
    formulas = np.asarray(formulas, dtype=object)
    out = np.zeros((len(formulas), 86))
    ok = np.ones(len(formulas), dtype=bool)
    for start in range(0, len(formulas), chunk):
        part = formulas[start : start + chunk]
        try:
            out[start : start + len(part)] = t.transform(part)
            continue
        except ValueError:
            pass
        for i, f in enumerate(part, start):
            try:
                out[i] = t.transform(np.array([f], dtype=object))[0]
            except ValueError:
                ok[i] = False
    return out, ok


def jarvis(home, rows: int = 0):
    """JARVIS train and test (fractions, targets) of the formulas that parse; unparsed counts.

    ``rows``: parse only that many random rows of each part (``--smoke``).
    """
    data = fetch_jarvis_deltae(data_home=home)
    out, unparsed = [], {}
    for part in ("train", "test"):
        df = data[part]
        if rows and rows < len(df):
            df = df.sample(rows, random_state=0)
        X, ok = fractions(df["formula"].to_numpy())
        out.append((X[ok], df["target"].to_numpy()[ok]))
        unparsed[part] = int((~ok).sum())
    return out[0], out[1], unparsed


def load(args):
    home = common.data_home()
    oqmd = fetch_oqmd(data_home=home)
    src = pd.concat([oqmd.train, oqmd.val])
    if args.smoke:  # parse a sample only: the overlap counts cover that sample
        src = src.sample(2000, random_state=0)
    n_raw = len(src)
    src = src[src["target"].abs() <= 10]
    info = {"source_rows_raw": n_raw, "source_dropped_abs_gt_10": n_raw - len(src)}
    (Xtr, ytr), (Xte, yte), unparsed = jarvis(home, 300 if args.smoke else 0)
    Xs, ok_s = fractions(src["formula"].to_numpy())
    info["unparsed_rows"] = {"source": int((~ok_s).sum()), **unparsed}
    Xs, ys = Xs[ok_s], src["target"].to_numpy()[ok_s]
    # overlap, on the full JARVIS split whatever subsets are used below
    k_s, k_tr, k_te = fraction_keys(Xs), set(fraction_keys(Xtr)), set(fraction_keys(Xte))
    in_test = np.array([k in k_te for k in k_s])
    info["source_rows_in_jarvis_test_removed"] = int(in_test.sum())
    info["source_rows_in_jarvis_train_kept"] = int(np.array([k in k_tr for k in k_s]).sum())
    info["jarvis_test_compositions_in_jarvis_train"] = len(k_te & k_tr)
    Xs, ys = Xs[~in_test], ys[~in_test]
    rng = np.random.default_rng(args.seed)

    def subset(X, y, limit):
        if limit and limit < len(X):
            idx = np.sort(rng.choice(len(X), limit, replace=False))
            return X[idx], y[idx]
        return X, y

    Xs, ys = subset(Xs, ys, args.source_limit)
    Xtr, ytr = subset(Xtr, ytr, args.target_limit)
    Xte, yte = subset(Xte, yte, args.test_limit)
    info.update(source_rows_used=len(Xs), target_train_rows=len(Xtr), target_test_rows=len(Xte))
    return (Xs, ys), (Xtr, ytr), (Xte, yte), info


def throughput(X, y, arch, n, seed=0, repeats=5):
    """Samples/s of one epoch, DeepMLPRegressor vs a plain torch loop, best of ``repeats``.

    Both timings include building the network. On a shared machine single timings swing by
    +-30 %, so the best of several alternating runs is compared (medians are reported too).
    """
    X, y = X[:n].astype(np.float32), y[:n].astype(np.float32).reshape(-1, 1)
    ours, plain = [], []
    for _ in range(repeats):  # alternate, so load from other processes hits both alike
        t = time.perf_counter()
        DeepMLPRegressor(
            architecture=arch, max_epochs=1, early_stopping=False, random_state=seed
        ).fit(X, y)
        ours.append(len(X) / (time.perf_counter() - t))
        t = time.perf_counter()  # both timings include building the network
        torch.manual_seed(seed)
        module = build_mlp(arch, X.shape[1], 1, 0.2).train()
        opt = torch.optim.Adam(module.parameters(), lr=1e-4)
        loss_fn = torch.nn.L1Loss()
        Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
        perm = torch.randperm(len(Xt))
        for i in range(0, len(Xt), 32):
            idx = perm[i : i + 32]
            opt.zero_grad()
            loss_fn(module(Xt[idx]), yt[idx]).backward()
            opt.step()
        plain.append(len(X) / (time.perf_counter() - t))
    a, b = float(np.max(ours)), float(np.max(plain))
    return {"samples": len(X), "deep_mlp_per_s": a, "plain_torch_per_s": b, "ratio": a / b,
            "median_ratio": float(np.median(ours) / np.median(plain)),
            "repeats": repeats}  # fmt: skip


def candidates(name, source, layers, dl):
    """(k, estimator on fractions) of one configuration.

    The paper's TL+RL rows start the target's first layer at random; the rows marked
    "bridged" start it from the least-squares bridge (``TLRLRegressor``'s default).
    """
    if name == "SC:DL":
        return [(None, DeepMLPRegressor(**dl))]
    if name == "TL:Fine-tune":
        return [(None, DeepMLPRegressor(**dl, weights=source, freeze="none"))]
    if name == "RL:Freezing":
        return [(k, DeepMLPRegressor(**dl, weights=source, freeze=k)) for k in layers]
    if name not in CONFIGS:
        raise SystemExit(f"unknown configuration {name!r}; known: {', '.join(CONFIGS)}")
    act = "relu" if "ReLU" in name else "dense"
    if name.startswith("TL+RL"):
        bridge = "least_squares" if name.endswith("bridged") else "random"
        return [
            (k, TLRLRegressor(weights=source, layer=k, activation=act, bridge=bridge,
                              regressor=DeepMLPRegressor(**dl)))  # fmt: skip
            for k in layers
        ]
    return [
        (
            k,
            make_pipeline(
                LayerActivationTransformer(weights=source, layer=k, activation=act),
                DeepMLPRegressor(**dl),
            ),
        )  # fmt: skip
        for k in layers
    ]


def seed_ensemble(est, seeds: int, n_jobs: int = 1):
    """``est`` itself for one seed, else the mean of ``seeds`` copies seeded 0..seeds-1.

    The copies are fitted ``n_jobs`` at a time (loky workers, one thread each).
    """
    if seeds <= 1:
        return est
    members = [(f"seed{i}", set_everywhere(est, "random_state", i)) for i in range(seeds)]
    return VotingRegressor(members, n_jobs=n_jobs)


def with_max_epochs(est, n: int):
    """A clone of ``est`` whose networks train for at most ``n`` epochs (CV fits)."""
    return set_everywhere(est, "max_epochs", n)


def set_everywhere(est, param: str, value):
    """A clone of ``est`` with ``param`` set to ``value`` in itself and every nested estimator."""
    keys = [k for k in est.get_params() if k == param or k.endswith(f"__{param}")]
    return clone(est).set_params(**dict.fromkeys(keys, value))


def mae(a, b):
    return float(np.mean(np.abs(np.asarray(a) - np.asarray(b))))


def member_maes(est, X, y):
    """For a seed ensemble, the test MAE of each member and of the mean of its first 1..N
    members (how much each added seed still helps); nothing for a single fit."""
    if not isinstance(est, VotingRegressor):
        return {"member_test_mae": None, "ensemble_curve": None}
    preds = np.stack([np.ravel(m.predict(X)) for m in est.estimators_])
    running = np.cumsum(preds, axis=0) / np.arange(1, len(preds) + 1)[:, None]
    return {"member_test_mae": [mae(p, y) for p in preds],
            "ensemble_curve": [mae(p, y) for p in running]}  # fmt: skip


def final_network(est):
    """The fitted estimator that predicts: a Pipeline's last step, a TLRLRegressor's network."""
    if hasattr(est, "steps"):
        return est.steps[-1][1]
    if isinstance(est, TLRLRegressor):
        return est.regressor_
    return est


def epochs_run(est):
    """Epochs each trained network of a fitted configuration ran (None for AutoML)."""
    members = est.estimators_ if isinstance(est, VotingRegressor) else [est]
    nets = [final_network(m) for m in members]
    return [len(n.history_) for n in nets] if all(hasattr(n, "history_") for n in nets) else None


def dropout_off_mae(est, X, y):
    """Test MAE of a fitted configuration predicted with dropout off (``mc_dropout=0``)."""
    last = final_network(est)
    if not isinstance(last, DeepMLPRegressor):
        return None
    n = last.mc_dropout
    try:  # the fitted network itself, so a Pipeline or TLRLRegressor around it follows
        last.mc_dropout = 0
        return mae(est.predict(X), y)
    finally:
        last.mc_dropout = n


def main(argv=None) -> int:
    p = common.parser(__doc__.splitlines()[0], out="bench-out/tlrl_table2")
    p.add_argument("--epochs", type=int, default=None, help="max epochs, source and target")
    p.add_argument("--source-epochs", type=int, default=None)
    p.add_argument("--source-limit", type=int, default=None, help="random source rows used")
    p.add_argument("--target-limit", type=int, default=None, help="random JARVIS train rows")
    p.add_argument("--test-limit", type=int, default=None, help="random JARVIS test rows")
    p.add_argument(
        "--folds",
        type=int,
        default=None,
        help="k of the k-fold CV (default 10); 0: no CV, one fit per configuration and its test "
        "MAE (the layer chosen beforehand, e.g. by tlrl_layer_scan.py: give one --layers)",
    )
    p.add_argument("--layers", default=None, help="candidate layers k, e.g. 12,14,16")
    p.add_argument(
        "--architecture", default=None, help=f"default: ElemNet's (smoke: {SMOKE_ARCHITECTURE})"
    )
    p.add_argument(
        "--cv-epochs",
        type=int,
        default=None,
        help="max epochs of the CV fits that choose the layer (default: --epochs); the test fit "
        "of the chosen candidate trains for up to --epochs",
    )
    p.add_argument("--patience", type=int, default=10)
    p.add_argument("--batch-size", type=int, default=32, help="target fits (ElemNet: 32)")
    p.add_argument("--lr", type=float, default=1e-4, help="target fits (ElemNet: 1e-4)")
    p.add_argument(
        "--lr-decay", type=float, default=0.0, help="target fits: lr / (1 + d * step)"
    )
    p.add_argument(
        "--source-batch-size",
        type=int,
        default=None,
        help="source pre-training batch (default: --batch-size); 256 with --source-lr 1e-3 "
        "is 2.5x faster per epoch on a CPU and reached a lower error on 50k OQMD rows",
    )
    p.add_argument("--source-lr", type=float, default=None, help="default: --lr")
    p.add_argument(
        "--source-lr-decay",
        type=float,
        default=0.0,
        help="Keras-style time decay of the source's lr per batch, lr / (1 + d * step)",
    )
    p.add_argument(
        "--source-dropout", type=float, default=0.2, help="source dropout rate (ElemNet: 0.2)"
    )
    p.add_argument(
        "--source-mc-dropout",
        type=int,
        default=0,
        help="source early stopping scores the mean of N dropout passes (0: dropout off)",
    )
    p.add_argument("--source-patience", type=int, default=None, help="default: --patience")
    p.add_argument(
        "--source-only", action="store_true", help="stop after training and saving the source"
    )
    p.add_argument("--automl-evals", type=int, default=None)
    p.add_argument("--automl-regressor", default=None, help="default: any (smoke: ridge)")
    p.add_argument(
        "--automl-timeout", type=float, default=None, help="seconds per AutoML trial (none: no cap)"
    )
    p.add_argument("--throughput-samples", type=int, default=None)
    p.add_argument("--configs", default=",".join(CONFIGS))
    p.add_argument("--source", type=Path, default=None, help="reuse a joblib source model")
    p.add_argument("--threads", type=int, default=1, help="torch threads (1: robust when shared)")
    p.add_argument("--dropout", type=float, default=0.2, help="target networks' dropout rate")
    p.add_argument(
        "--mc-dropout",
        type=int,
        default=None,
        help="target predictions: mean of N dropout passes (0: dropout off; default 16, smoke "
        "2); the test MAE with dropout off is reported too",
    )
    p.add_argument(
        "--jobs",
        type=int,
        default=1,
        help="CV folds fitted in parallel, or with --folds 0 the --seeds fits (1 thread each)",
    )
    p.add_argument(
        "--seeds",
        type=int,
        default=1,
        help="each network configuration is the mean of this many fits seeded 0..N-1",
    )
    args = p.parse_args(argv)
    q, sm = args.quick, args.smoke

    def pick(value, full, quick, smoke):
        return value if value is not None else smoke if sm else quick if q else full

    args.architecture = pick(args.architecture, ELEMNET_ARCHITECTURE, ELEMNET_ARCHITECTURE,
                             SMOKE_ARCHITECTURE)  # fmt: skip
    args.epochs = args.epochs or pick(None, 20, 2, 1)
    args.source_epochs = args.source_epochs or args.epochs
    args.cv_epochs = args.cv_epochs or args.epochs
    args.source_limit = pick(args.source_limit, 0, 2000, 300)
    args.target_limit = pick(args.target_limit, 0, 240, 60)
    args.test_limit = pick(args.test_limit, 0, 240, 30)
    args.folds = pick(args.folds, 10, 3, 2)
    args.automl_evals = args.automl_evals or pick(None, 30, 3, 1)
    args.automl_regressor = pick(args.automl_regressor, "any", "any", "ridge")
    args.throughput_samples = args.throughput_samples or pick(None, 6400, 640, 64)
    args.mc_dropout = pick(args.mc_dropout, 16, 16, 2)
    n_hidden = sum(b.repeat for b in parse_architecture(args.architecture)[0])
    layers = ([int(k) for k in args.layers.split(",")] if args.layers
              else sorted({n_hidden - 2, n_hidden} if q or sm
                          else {max(1, n_hidden - 4), n_hidden - 2, n_hidden}))  # fmt: skip
    torch.set_num_threads(args.threads)
    args.out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    (Xs, ys), (Xtr, ytr), (Xte, yte), info = load(args)
    print(json.dumps(info), flush=True)

    dl = dict(architecture=args.architecture, max_epochs=args.epochs, patience=args.patience,
              batch_size=args.batch_size, lr=args.lr, lr_decay=args.lr_decay,
              random_state=args.seed,
              mc_dropout=args.mc_dropout, dropout=args.dropout)  # fmt: skip
    source_kw = {**dl, "mc_dropout": args.source_mc_dropout, "max_epochs": args.source_epochs,
                 "batch_size": args.source_batch_size or args.batch_size,
                 "lr": args.source_lr or args.lr, "lr_decay": args.source_lr_decay,
                 "dropout": args.source_dropout,
                 "patience": args.source_patience or args.patience, "verbose": 1}  # fmt: skip
    t = time.perf_counter()
    if args.source is not None and args.source.is_file():
        source = joblib.load(args.source)
    else:
        source = DeepMLPRegressor(**source_kw).fit(Xs, ys)
        joblib.dump(source, args.out / "tlrl_source.joblib")
    src_time = time.perf_counter() - t
    info["source_fit_s"] = src_time
    info["source_epochs_run"] = len(source.history_)
    info["source_valid_mae"] = source.history_[-1].get("valid_loss")
    print(f"source: {len(Xs)} rows, {len(source.history_)} epochs, {src_time:.0f} s", flush=True)
    if args.source_only:
        summary = {"data": info, "history": source.history_}
        common.write_json(args.out / "tlrl_source.json", summary)
        return 0

    repeats = 1 if sm else 3 if q else 5
    tp = throughput(Xs, ys, args.architecture, args.throughput_samples, args.seed, repeats)
    print(f"throughput: {tp}", flush=True)

    cv = KFold(args.folds, shuffle=True, random_state=0) if args.folds else None
    rows = []
    result = write(args, layers, info, tp, rows, time.perf_counter() - t0)
    for name in [c for c in args.configs.split(",") if c]:
        t = time.perf_counter()
        if name == "SC:ML":
            cands = [(None, HyperoptRegressor(regressor=args.automl_regressor,
                                              max_evals=args.automl_evals, cv=3,
                                              trial_timeout=args.automl_timeout,
                                              random_state=args.seed))]  # fmt: skip
        else:
            cands = [(k, seed_ensemble(e, args.seeds, 1 if cv else args.jobs))
                     for k, e in candidates(name, source, layers, dl)]  # fmt: skip
        per_k = []
        if cv is None and len(cands) > 1:
            raise SystemExit(f"--folds 0 needs a single candidate layer for {name}: one --layers")
        for k, est in cands:
            if cv is None:
                per_k.append({"layer": k, "cv_mae": None, "cv_std": None})
                continue
            s = -cross_val_score(
                with_max_epochs(est, args.cv_epochs), Xtr, ytr, cv=cv,
                scoring="neg_mean_absolute_error", n_jobs=args.jobs,
            )  # fmt: skip
            per_k.append({"layer": k, "cv_mae": float(s.mean()), "cv_std": float(s.std())})
            print(f"  {name} k={k}: CV MAE {s.mean():.4f} +- {s.std():.4f}", flush=True)
        best = min(range(len(cands)), key=lambda i: per_k[i]["cv_mae"] or 0.0)
        est = cands[best][1].fit(Xtr, ytr)
        row = {"config": name, **per_k[best], "test_mae": mae(est.predict(Xte), yte),
               "epochs_run": epochs_run(est),
               **member_maes(est, Xte, yte),
               "test_mae_dropout_off": dropout_off_mae(est, Xte, yte),
               "per_layer": per_k, "seconds": time.perf_counter() - t}  # fmt: skip
        rows.append(row)
        print(f"{name}: k={row['layer']} CV {_fmt(row['cv_mae'])} test {row['test_mae']:.4f} "
              f"({row['seconds']:.0f} s)", flush=True)  # fmt: skip
        # written after every configuration, so a long run that stops keeps what it measured
        result = write(args, layers, info, tp, rows, time.perf_counter() - t0)
    print(markdown(result))
    return 0


def write(args, layers, info, tp, rows, total_s):
    info["total_s"] = total_s
    settings = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()}
    settings["layers"] = layers
    result = {"settings": settings, "data": info, "throughput": tp, "table": rows}
    common.write_json(args.out / "tlrl_table2.json", result)
    common.write_markdown(args.out / "tlrl_table2.md", markdown(result))
    return result


def _fmt(x):
    return "-" if x is None else f"{x:.4f}"


def markdown(result) -> str:
    s, d, tp = result["settings"], result["data"], result["throughput"]
    cv = f"{s['folds']}-fold CV" if s["folds"] else "no CV (the layer given)"
    lines = [
        "# TL+RL, Gupta et al. (2021) Table II: OQMD -> JARVIS formation energy (eV/atom)",
        "",
        f"Mode: {'smoke' if s.get('smoke') else 'quick' if s['quick'] else 'full/custom'}; "
        f"source rows {d['source_rows_used']}, "
        f"{d['source_epochs_run']} source epochs "
        + (f"(loaded from {s['source']})" if s.get("source") else f"(max {s['source_epochs']})")
        + "; target train "
        f"{d['target_train_rows']} / test {d['target_test_rows']} rows; {cv}; "
        f"target max epochs {s['epochs']}"
        + (f" (CV fits: {s['cv_epochs']})" if s["folds"] and s.get("cv_epochs") != s["epochs"]
           else "")  # fmt: skip
        + f"; candidate layers {s['layers']}; architecture "
        f"{s['architecture']}; Adam lr {s['lr']:g} (decay {s.get('lr_decay', 0):g} per batch), "
        f"batch {s['batch_size']} (source: lr "
        f"{s['source_lr'] or s['lr']:g}, batch {s['source_batch_size'] or s['batch_size']}); "
        f"total {d['total_s'] / 60:.1f} min.",
        "",
        f"Predictions: mean of {s.get('mc_dropout', 0)} dropout passes (`mc_dropout`); the "
        "last column predicts with dropout off."
        + (f" Each network row is the mean of {s['seeds']} fits (seeds 0..{s['seeds'] - 1})."
           if s.get("seeds", 1) > 1 else ""),  # fmt: skip
        "",
        "| Configuration | layer k | CV MAE (mean +- std) | test MAE | published CV / test "
        "| test MAE, dropout off |",
        "|---|---|---|---|---|---|",
    ]
    for r in result["table"]:
        pub = PUBLISHED.get(r["config"])
        lines.append(
            f"| {r['config']} | {r['layer'] if r['layer'] is not None else '-'} | "
            + ("-" if r["cv_mae"] is None else f"{r['cv_mae']:.4f} +- {r['cv_std']:.4f}")
            + f" | {r['test_mae']:.4f}"
            + (" (single fits: " + " / ".join(f"{m:.4f}" for m in r["member_test_mae"]) + ")"
               if r.get("member_test_mae") else "")  # fmt: skip
            + " | "
            f"{f'{pub[0]} / {pub[1]}' if pub else '-'} | "
            f"{_fmt(r.get('test_mae_dropout_off'))} |"
        )
    for r in result["table"]:
        if r.get("ensemble_curve"):
            lines += ["", f"{r['config']}: test MAE of the mean of the first 1, 2, ... members: "
                      + " / ".join(f"{m:.4f}" for m in r["ensemble_curve"])]  # fmt: skip
    lines += [
        "",
        f"Overlap: {d['source_rows_in_jarvis_test_removed']} source rows whose composition is in "
        f"the JARVIS test set were removed; {d['source_rows_in_jarvis_train_kept']} source rows "
        "share a composition with the JARVIS training set (kept). "
        f"{d['source_dropped_abs_gt_10']} source rows with |target| > 10 eV/atom dropped.",
        "",
        f"Throughput (NN training, 1 epoch of {tp['samples']} samples, batch 32): "
        f"DeepMLPRegressor {tp['deep_mlp_per_s']:.0f} samples/s, plain torch loop "
        f"{tp['plain_torch_per_s']:.0f} samples/s (best of {tp['repeats']}), ratio "
        f"{tp['ratio']:.2f} (ratio of medians {tp['median_ratio']:.2f}).",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
