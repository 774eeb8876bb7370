"""Structure -> stiffness: custom CNN vs transfer CNNs vs two-point statistics (Li et al. 2018).

Data: ``sktl.datasets.make_stiffness`` (periodic two-phase microstructures, mixed generators,
contrast 10, plane-strain stiffness C11 C22 C12 C16 C26 C66 from muSpectre). A fixed test set
(the last ``--n-test`` samples); for every ``--n-train`` size and each of ``--splits`` seeds the
training set is a random draw from the remaining pool. Models:

* DummyRegressor (mean);
* two-point statistics -> PCA -> polynomial -> linear regression (PyMKS), PCA size and degree
  by 3-fold grid search;
* CNNRegressor, grid-searched (3-fold) over filters, kernel, dropout and lr on the first split
  of each size, the best setting reused on the other splits; with ``--cnn-augmentation``, the
  same setting also trained with symmetry augmentation ("d4": the 8 rotations and mirrors,
  the stiffness components transformed to match; "shifts": periodic shifts) and, with
  ``--cnn-tta``, predicting by the average over the 8 rotations and mirrors;
* TransferCNNRegressor: VGG19 (offline normalised weights) cut at pool2 / pool3 / pool4 and
  EfficientNet-Lite0 (offline ImageNet) cut at stage5, each head-only, fine-tune and two-phase,
  each with two heads: the map flattened (Li et al.'s rule) or globally averaged ("gap"), then
  FC 2048 -> 1024, ReLU, dropout 0.5 (``--head-units`` to change; quick: gap, 256 -> 128).

Metrics per target component on the test set: R2, MAE and the relative MAE (MAE / test std), a
mean and 95% t-interval over splits. Components whose test standard deviation is tiny compared
to the others are flagged: a near-constant target gives a tiny MSE that means nothing.

    python -m benchmarks.generalisation.structure_property                 # hours on a CPU
    python -m benchmarks.generalisation.structure_property --quick         # < 3 min: 40 samples
        # of 32 px, 2 splits, 8 epochs, VGG19 pool2/pool3 gap heads, a small CNN grid
    python -m benchmarks.generalisation.structure_property --smoke         # seconds: 20 samples
        # of 16 px, 1 split, 1 epoch, VGG19 pool2 head-only; its numbers mean nothing
    python -m benchmarks.generalisation.structure_property --n-train 200 --splits 3 --epochs 20 \\
        --strategies head-only --out bench-out/sp200                         # a cheaper run
    python -m benchmarks.generalisation.structure_property --models CNN --cnn-fixed \\
        '{"filters": 32, "kernel_size": 5}' --cnn-augmentation d4 d4+shifts --cnn-tta \\
        --out bench-out/sp_aug                        # the CNN with and without augmentation

Writes ``<out>/table.md``, ``results.json`` (merged across runs by ``structure_property_merge``)
and ``loss_curves.png``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.decomposition import PCA
from sklearn.dummy import DummyRegressor
from sklearn.linear_model import LinearRegression
from sklearn.metrics import mean_absolute_error, r2_score
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import PolynomialFeatures

from benchmarks import common
from benchmarks.common import ci95
from sktl import FeatureCache
from sktl.cnn import CNNRegressor, TransferCNNRegressor
from sktl.datasets import make_stiffness
from sktl.descriptors import TwoPointStatsTransformer

CNN_GRID = {
    "filters": [8, 16, 32],
    "kernel_size": [3, 5],
    "head_dropout": [0.0, 0.2],
    "lr": [1e-3, 1e-4],
}
QUICK_CNN_GRID = {"filters": [8, 16], "lr": [1e-3]}
CNN_GRIDS = {
    "full": CNN_GRID,
    "medium": {**CNN_GRID, "lr": [1e-3]},
    "small": QUICK_CNN_GRID,
    "none": {},
}
TRANSFER = {
    "VGG19": dict(backbone="vgg19", weights="vgg19_normalised"),
    "EffNet-Lite0": dict(backbone="efficientnet_lite0", weights="imagenet"),
}
# the CLI's --head / --strategies labels (kept for comparable result names) as parameters
POOLING = {"gap": "avg", "flatten": "flatten"}


def strategy_params(strategy, args) -> dict:
    """What a training strategy of the tables means in TransferCNNRegressor's parameters."""
    if strategy == "head-only":
        return dict(freeze="all", max_epochs=args.epochs)
    if strategy == "fine-tune":
        return dict(freeze="none", max_epochs=args.epochs)
    # two-phase: the head alone for --epochs, then everything for --fine-tune-epochs
    return dict(freeze="none", head_epochs=args.epochs, max_epochs=args.fine_tune_epochs)


# --smoke: every stage once, as small as it goes (then --quick fills what is left)
SMOKE = dict(
    n_train=[20],
    n_test=10,
    splits=1,
    size=16,
    epochs=1,
    fine_tune_epochs=1,
    cuts=["pool2"],
    strategies=["head-only"],
    head_units=[16, 8],
    cnn_grid="none",
)

DEGENERATE_RATIO = 1e-3  # test std below this fraction of the largest component's: flagged


def cnn_variants(args, target_names) -> dict:
    """Name -> the CNNRegressor settings added to the grid's best (the augmented CNNs)."""
    # make_stiffness's "C11", ... are the Voigt labels "11", ... (axis 0 of its images is x1)
    symmetry = [name.removeprefix("C") for name in target_names]
    tta = " + TTA" if args.cnn_tta else ""
    return {
        f"CNN (grid) + {aug}{tta}": dict(
            augmentation=aug, target_symmetry=symmetry, test_time_augmentation=args.cnn_tta
        )
        for aug in args.cnn_augmentation or []
    }


def models(args, target_names=()):
    """name -> factory(seed, n_train) of an unfitted estimator (a dict: a CNN variant)."""
    common = dict(
        lr=args.transfer_lr,
        fine_tune_lr_factor=args.fine_tune_lr_factor,
        batch_size=32,
        cache=FeatureCache(),  # one store: every transfer model's folds and seeds share it
        head_units=tuple(args.head_units),
    )
    out = {
        "Dummy (mean)": lambda s, n: DummyRegressor(),
        "2-point + PCA + poly": lambda s, n: GridSearchCV(
            Pipeline(
                [
                    ("s2", TwoPointStatsTransformer(cutoff=args.size // 4)),
                    ("pca", PCA(random_state=s)),
                    ("poly", PolynomialFeatures()),
                    ("lr", LinearRegression()),
                ]
            ),
            {"pca__n_components": [3, 5, 10], "poly__degree": [1, 2, 3]},
            cv=KFold(3, shuffle=True, random_state=s),
        ),
        "CNN (grid)": None,  # special-cased: tuned on the first split
        **cnn_variants(args, target_names),  # the same settings, with symmetry augmentation
    }
    for head in args.head:
        kw = {**common, "pooling": POOLING[head]}
        for strategy in args.strategies:
            for cut in args.cuts:
                out[f"VGG19 {cut} {head} {strategy}"] = (
                    lambda s, n, cut=cut, strategy=strategy, kw=kw: TransferCNNRegressor(
                        **TRANSFER["VGG19"],
                        layer=cut,
                        **strategy_params(strategy, args),
                        random_state=s,
                        **kw,
                    )
                )
            if args.effnet:
                out[f"EffNet-Lite0 stage5 {head} {strategy}"] = (
                    lambda s, n, strategy=strategy, kw=kw: TransferCNNRegressor(
                        **TRANSFER["EffNet-Lite0"],
                        layer="stage5",
                        **strategy_params(strategy, args),
                        random_state=s,
                        **kw,
                    )
                )
    return out


def evaluate(y_true, y_pred, std):
    r2 = [r2_score(y_true[:, j], y_pred[:, j]) for j in range(y_true.shape[1])]
    mae = [mean_absolute_error(y_true[:, j], y_pred[:, j]) for j in range(y_true.shape[1])]
    return {"r2": r2, "mae": mae, "rel_mae": list(np.asarray(mae) / std)}


def main(argv=None) -> int:
    parser = common.parser(__doc__.splitlines()[0], out="bench-out/structure_property")
    parser.add_argument("--n-train", type=int, nargs="+", default=None)
    parser.add_argument("--n-test", type=int, default=None)
    parser.add_argument("--splits", type=int, default=None)
    parser.add_argument("--size", type=int, default=None)
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--fine-tune-epochs", type=int, default=None)
    parser.add_argument("--cuts", nargs="+", default=None)
    parser.add_argument("--transfer-lr", type=float, default=1e-3, help="lr of transfer models")
    parser.add_argument("--fine-tune-lr-factor", type=float, default=0.1)
    parser.add_argument(
        "--strategies", nargs="+", default=None, choices=["head-only", "fine-tune", "two-phase"]
    )
    parser.add_argument("--head-units", type=int, nargs="+", default=None)
    parser.add_argument(
        "--head",
        nargs="+",
        choices=["flatten", "gap"],
        default=None,
        help="transfer heads: flatten (Li et al.) and/or gap (default: both; quick: gap)",
    )
    parser.add_argument("--no-effnet", dest="effnet", action="store_false")
    parser.add_argument("--models", nargs="+", default=None, help="only models whose name has one")
    parser.add_argument(
        "--cnn-grid",
        choices=list(CNN_GRIDS),
        default=None,
        help="CNN grid: full (the issue's 24), medium (lr 1e-3 only: 12), small (filters 8/16) "
        "or none",
    )
    parser.add_argument(
        "--cnn-fixed",
        default=None,
        help='CNN settings used instead of a grid search, as JSON, e.g. \'{"filters": 32, '
        '"kernel_size": 5, "head_dropout": 0.0, "lr": 0.001}\' (the winner of an earlier grid)',
    )
    parser.add_argument(
        "--cnn-augmentation",
        nargs="+",
        choices=["d4", "shifts", "d4+shifts"],
        default=None,
        help="also train the grid's best CNN with this augmentation (one model per value)",
    )
    parser.add_argument(
        "--cnn-tta",
        action="store_true",
        help="the augmented CNNs predict by averaging over the 8 rotations and mirrors",
    )
    parser.add_argument("--threads", type=int, default=1, help="torch threads (shared machine)")
    args = parser.parse_args(argv)
    if args.smoke:
        for key, value in SMOKE.items():
            if getattr(args, key) is None:
                setattr(args, key, value)
        args.effnet = False
    q = args.quick or args.smoke
    args.n_train = args.n_train or ([40] if q else [100, 200, 500])
    args.n_test = args.n_test or (40 if q else 200)
    args.splits = args.splits or (2 if q else 5)
    args.size = args.size or (32 if q else 64)
    args.epochs = args.epochs or (8 if q else 50)
    args.fine_tune_epochs = args.fine_tune_epochs or (2 if q else 10)
    args.cuts = args.cuts or (["pool2", "pool3"] if q else ["pool2", "pool3", "pool4"])
    args.strategies = args.strategies or (
        ["head-only", "two-phase"] if q else ["head-only", "fine-tune", "two-phase"]
    )
    args.head = args.head or (["gap"] if q else ["gap", "flatten"])
    args.head_units = args.head_units or ([256, 128] if q else [2048, 1024])
    if q:
        args.effnet = False
    grid = CNN_GRIDS[args.cnn_grid or ("small" if q else "full")]
    torch.set_num_threads(args.threads)
    args.out.mkdir(parents=True, exist_ok=True)

    # one cached set for every run: a 500-sample pool plus the test set (quick: just enough)
    t_start = time.perf_counter()
    n_pool = 2 * max(args.n_train) if q else max(500, *args.n_train)
    args.n_pool = n_pool  # at n_train == n_pool every split trains on the same rows
    t0 = time.perf_counter()
    data = make_stiffness(
        n_pool + args.n_test, size=args.size, cache_dir=True, random_state=0, verbose=1
    )
    t_data = time.perf_counter() - t0
    X, Y = data.images, data.targets
    X_pool, Y_pool = X[:n_pool], Y[:n_pool]
    X_test, Y_test = X[n_pool:], Y[n_pool:]
    std = Y_test.std(axis=0)
    degenerate = [
        name for name, s in zip(data.target_names, std) if s < DEGENERATE_RATIO * std.max()
    ]
    print(
        f"data: {len(X)} x {args.size}px in {t_data:.0f} s; test std per component:",
        dict(zip(data.target_names, np.round(std, 4))),
        "degenerate:",
        degenerate or "none",
    )

    factories = models(args, data.target_names)
    if args.models:
        factories = {k: v for k, v in factories.items() if any(m in k for m in args.models)}
    results, histories, timings, best_cnn = {}, {}, {}, {}
    if args.cnn_fixed:
        best_cnn = {n: json.loads(args.cnn_fixed) for n in args.n_train}
    for n in args.n_train:
        for split in range(args.splits):
            idx = np.random.default_rng(split).permutation(n_pool)[:n]
            Xtr, Ytr = X_pool[idx], Y_pool[idx]
            for name, make in factories.items():
                t = time.perf_counter()
                if make is None or isinstance(make, dict):  # the grid-searched CNN (+ variant)
                    if n not in best_cnn and not grid:
                        best_cnn[n] = {}
                    if n not in best_cnn:
                        search = GridSearchCV(
                            CNNRegressor(max_epochs=args.epochs, random_state=split),
                            grid,
                            cv=KFold(3, shuffle=True, random_state=split),
                        ).fit(Xtr, Ytr)
                        best_cnn[n] = search.best_params_
                        print(f"  CNN grid n={n}: best {search.best_params_}")
                    est = CNNRegressor(
                        max_epochs=args.epochs, random_state=split, **best_cnn[n], **(make or {})
                    )
                else:
                    est = make(split, n)
                est.fit(Xtr, Ytr)
                pred = est.predict(X_test)
                dt = time.perf_counter() - t
                res = evaluate(Y_test, pred, std)
                results.setdefault(name, {}).setdefault(n, []).append(res)
                timings.setdefault(name, []).append(dt)
                if split == 0 and hasattr(est, "history_") and n == args.n_train[-1]:
                    histories[name] = est.history_
                print(
                    f"  n={n} split={split} {name}: mean R2 {np.mean(res['r2']):.3f} "
                    f"rel MAE {np.mean(res['rel_mae']):.3f} ({dt:.0f} s)",
                    flush=True,
                )

    if histories:
        from sktl.plotting import plot_loss_curves  # no pyplot, no backend change

        fig = plot_loss_curves(histories)
        fig.set_size_inches(7, 5)
        common.save_figure(fig, args.out / "loss_curves.png", dpi=120)
    t_total = time.perf_counter() - t_start
    report(args, data.target_names, std, degenerate, results, timings, best_cnn, t_data, t_total)
    return 0


def report(args, names, std, degenerate, results, timings, best_cnn, t_data, t_total):
    lines = [
        f"# Structure -> stiffness ({args.size}px, test n={args.n_test}, {args.splits} splits, "
        f"{args.epochs} epochs{', smoke' if args.smoke else ', quick' if args.quick else ''})",
        "",
        "Test std per component: "
        + ", ".join(f"{k} {s:.4f}" for k, s in zip(names, std))
        + f"; flagged degenerate: {', '.join(degenerate) or 'none'}.",
        "",
    ]
    summary = {}
    for n in args.n_train:
        same = n >= getattr(args, "n_pool", n + 1)
        lines += [
            f"## n_train = {n}",
            "",
            *(
                [
                    f"All splits train on the whole {n}-sample pool: the intervals show the "
                    "spread over seeds (initialisation, shuffling), not over training sets.",
                    "",
                ]
                if same
                else []
            ),
            "| model | mean R2 | mean rel. MAE | "
            + " | ".join(f"R2 {k}" for k in names)
            + " | s/fit |",
            "|---" * (len(names) + 4) + "|",
        ]
        rows = []
        for name, by_n in results.items():
            runs = by_n.get(n, [])
            if not runs:
                continue
            r2 = np.array([r["r2"] for r in runs])
            rel = np.array([r["rel_mae"] for r in runs])
            mean_r2 = ci95(r2.mean(axis=1))
            mean_rel = ci95(rel.mean(axis=1))
            per = [ci95(r2[:, j]) for j in range(len(names))]
            rows.append((mean_r2[0], name, mean_r2, mean_rel, per))
            summary.setdefault(name, {})[n] = {
                "mean_r2": mean_r2,
                "mean_rel_mae": mean_rel,
                "r2": dict(zip(names, per)),
                "mae": dict(
                    zip(
                        names,
                        [ci95(np.array([r["mae"] for r in runs])[:, j]) for j in range(len(names))],
                    )
                ),
                "rel_mae": dict(zip(names, [ci95(rel[:, j]) for j in range(len(names))])),
            }
        for _, name, mr, mrel, per in sorted(rows, reverse=True):
            cells = " | ".join(f"{m:.3f} ± {h:.3f}" for m, h in per)
            lines.append(
                f"| {name} | {mr[0]:.3f} ± {mr[1]:.3f} | {mrel[0]:.3f} ± {mrel[1]:.3f} | "
                f"{cells} | {np.mean(timings[name]):.1f} |"
            )
        lines.append("")
    if best_cnn:
        label = "CNN settings (fixed, --cnn-fixed)" if args.cnn_fixed else "CNN grid winners"
        lines.append(f"{label}: " + "; ".join(f"n={k}: {v}" for k, v in best_cnn.items()))
    lines.append(f"Data generation (or cache load): {t_data:.0f} s; total {t_total:.0f} s.")
    text = "\n".join(lines)
    print(text)
    common.write_markdown(args.out / "table.md", text)
    common.write_json(
        args.out / "results.json",
        {
            "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
            "target_std": dict(zip(names, std.tolist())),
            "degenerate": degenerate,
            "summary": summary,
            "best_cnn": {str(k): v for k, v in best_cnn.items()},
            # per split, for paired comparisons (same split seeds in every run)
            "runs": {
                name: {str(n): runs for n, runs in by_n.items()} for name, by_n in results.items()
            },
        },
    )


if __name__ == "__main__":
    raise SystemExit(main())
