"""Is the structure-property stack never below its best single model? Six image sets, per target.

``StructurePropertyRegressor()`` (defaults: an out-of-fold blend of the two-point model, the
default transfer CNN and the custom CNN) against the single models a user would fit on the
same training rows:

* ``CNNRegressor(filters=32, kernel_size=5, max_epochs=30)``, the structure-property grid's
  winner on the design stiffness set;
* ``TransferCNNRegressor()`` with its defaults (head only);
* two-point statistics -> PCA -> polynomial -> linear regression, PCA size and degree by
  3-fold grid search (PyMKS's baseline; non-binary images thresholded at mid-range).

"bagged" rows are each member averaged over the stack's own fold models (no extra fit): they
separate what the blend adds from what averaging five fold models adds.

The sets are the six of ``benchmarks/multimodal_sets.py``, images only. Nothing of the stack
was chosen on the four *report* sets; the CNN's settings and the transfer default were chosen
on the two *design* sets. A cell is one set, training size and target (every target counts).
The goal: in every cell the stack's R2 minus the best single model's, paired over splits, has
a 95 % t-interval that reaches 0 or above.

    python -m benchmarks.generalisation.structure_property_stack --sets stiffness-blobs \\
        --out bench-out/sps_a                                     # hours for all six sets
    python -m benchmarks.generalisation.structure_property_stack --table bench-out/sps_a \\
        bench-out/sps_b --out bench-out/sps                       # tables from several runs
    python -m benchmarks.generalisation.structure_property_stack --smoke    # seconds

Writes ``<out>/results.json`` (resumed), ``<out>/table.md`` and ``<out>/stack_vs_best.png``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.decomposition import PCA
from sklearn.linear_model import LinearRegression
from sklearn.metrics import r2_score
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import PolynomialFeatures

from benchmarks import common
from benchmarks.multimodal_sets import DESIGN, N_TEST, REPORT, load_set, splits
from sktl import (
    CNNRegressor,
    FeatureCache,
    StructurePropertyRegressor,
    TransferCNNRegressor,
    TwoPointStatsTransformer,
)

SINGLE = ("CNN", "transfer (default)", "2-point + PCA + poly")
STACK = "stack (default)"


def two_point(images, intensity_range, seed):
    binary = np.isin(np.unique(images), (0, 1)).all()
    threshold = None if binary else 0.5 * (intensity_range[0] + intensity_range[1])
    return GridSearchCV(
        Pipeline(
            [
                ("s2", TwoPointStatsTransformer(cutoff=images.shape[1] // 4, threshold=threshold)),
                ("pca", PCA(random_state=seed)),
                ("poly", PolynomialFeatures()),
                ("lr", LinearRegression()),
            ]
        ),
        {"pca__n_components": [3, 5, 10], "poly__degree": [1, 2, 3]},
        cv=KFold(3, shuffle=True, random_state=seed),
    )


def fit_cell(data, train, test, seed, args, cache) -> dict:
    X, Y, Xt = data.images[train], data.targets[train], data.images[test]
    shared = dict(intensity_range=data.intensity_range, random_state=seed)
    singles = {
        "CNN": CNNRegressor(filters=32, kernel_size=5, max_epochs=args.epochs, **shared),
        "transfer (default)": TransferCNNRegressor(max_epochs=args.epochs, cache=cache, **shared),
        "2-point + PCA + poly": two_point(X, data.intensity_range, seed),
    }
    out = {}
    for name, model in singles.items():
        t0 = time.perf_counter()
        model.fit(X, Y)
        out[name] = {"pred": model.predict(Xt), "seconds": time.perf_counter() - t0}
    stack = StructurePropertyRegressor(cache=cache, **shared)
    if args.epochs != 30:  # a shorter run: every network member gets its epochs
        stack.set_params(
            cache=None,
            members=[
                ("two-point grid", two_point(X, data.intensity_range, seed)),
                ("transfer, short", TransferCNNRegressor(max_epochs=args.epochs, **shared)),
                (
                    "cnn, short",
                    CNNRegressor(filters=32, kernel_size=5, max_epochs=args.epochs, **shared),
                ),
            ],
        )
    t0 = time.perf_counter()
    stack.fit(X, Y)
    out[STACK] = {"pred": stack.predict(Xt), "seconds": time.perf_counter() - t0}
    for m, name in enumerate(stack.stack_members_):
        folds = [models[name].predict(Xt) for models in stack.models_]
        out[f"bagged {name}"] = {"pred": np.mean(folds, axis=0), "seconds": 0.0}
        out[f"bagged {name}"]["weight"] = list(stack.stack_weights_[m])
    for cell in out.values():
        pred = np.asarray(cell.pop("pred")).reshape(len(test), -1)
        cell["r2"] = r2_score(data.targets[test], pred, multioutput="raw_values").tolist()
    return out


def run_set(name, args, results, path):
    data = load_set(name, **args.set_size)
    cache = FeatureCache()
    cells = results.setdefault(name, {"targets": list(data.target_names), "cells": {}})
    for n in args.n_train:
        for s, (train, test) in enumerate(splits(len(data.images), n, args.splits, args.n_test)):
            key = f"{n}|{s}"
            if key in cells["cells"]:
                continue
            cells["cells"][key] = fit_cell(data, train, test, args.seed + s, args, cache)
            stack = cells["cells"][key][STACK]
            print(
                f"{name} n={n} split {s}: stack mean R2 "
                f"{np.mean(stack['r2']):.3f} in {stack['seconds']:.0f} s",
                flush=True,
            )
            common.write_json(path, results)


def _r2(results, name, n, model) -> np.ndarray:
    """(splits, targets) test R2 of one model."""
    cells = results[name]["cells"]
    keys = sorted((k for k in cells if k.startswith(f"{n}|")), key=lambda k: int(k.split("|")[1]))
    return np.array([cells[k][model]["r2"] for k in keys if model in cells[k]])


def table(results, sizes) -> tuple[str, list]:
    rows, summary = [], []
    for name, res in results.items():
        role = "design" if name in DESIGN else "report"
        for n in sizes:
            if not any(k.startswith(f"{n}|") for k in res["cells"]):
                continue
            stack = _r2(results, name, n, STACK)
            singles = {m: _r2(results, name, n, m) for m in SINGLE}
            for t, target in enumerate(res["targets"]):
                best = max(singles, key=lambda m: singles[m][:, t].mean())
                mean, half = common.ci95(stack[:, t] - singles[best][:, t])
                met = bool(mean + (half if np.isfinite(half) else 0.0) >= 0)
                summary.append(
                    {
                        "set": name,
                        "role": role,
                        "n": n,
                        "target": target,
                        "diff": mean,
                        "half": half,
                        "met": met,
                    }
                )
                rows.append(
                    [
                        name,
                        role,
                        n,
                        target,
                        f"{stack[:, t].mean():.3f}",
                        *(f"{singles[m][:, t].mean():.3f}" for m in SINGLE),
                        best,
                        f"{mean:+.3f} ± {half:.3f}",
                        "yes" if met else "**no**",
                    ]
                )
    text = [
        "## Test R2 per target (mean over splits); stack minus best single, paired\n",
        common.markdown_table(
            ["set", "role", "n", "target", STACK, *SINGLE, "best single", "stack - best", "met"],
            rows,
        ),
        "\n## Summary\n",
    ]
    for role in ("design", "report"):
        part = [c for c in summary if c["role"] == role]
        if part:
            text.append(
                f"- {role}: stack at least as good as the best single model (95 % interval) in "
                f"{sum(c['met'] for c in part)} of {len(part)} cells; mean difference "
                f"{np.mean([c['diff'] for c in part]):+.3f}."
            )
    bagged = sorted(
        {m for res in results.values() for c in res["cells"].values() for m in c if "bagged" in m}
    )
    columns = [STACK, *SINGLE, *bagged]
    mean_rows = []
    for name, res in results.items():
        for n in sizes:
            if any(k.startswith(f"{n}|") for k in res["cells"]):
                r2 = [_r2(results, name, n, m) for m in columns]
                mean_rows.append([name, n, *(f"{v.mean():.3f}" if v.size else "-" for v in r2)])
    text.append(
        "\n## Mean R2 over targets: the stack, the single models, and each stack member "
        "averaged over its fold models (bagged)\n"
    )
    text.append(common.markdown_table(["set", "n", *columns], mean_rows))
    text.append("\n## Mean blend weight per member (standardised units; mean over targets)\n")
    weights = []
    for name, res in results.items():
        for key, cell in res["cells"].items():
            for model, v in cell.items():
                if model.startswith("bagged") and "weight" in v:
                    weights.append([name, key.split("|")[0], model[7:], np.mean(v["weight"])])
    means = {}
    for name, n, member, w in weights:
        means.setdefault((name, n, member), []).append(w)
    text.append(
        common.markdown_table(
            ["set", "n", "member", "weight"],
            [[s, n, m, f"{np.mean(w):.2f}"] for (s, n, m), w in sorted(means.items())],
        )
    )
    seconds = [
        (cell[STACK]["seconds"], cell["CNN"]["seconds"])
        for res in results.values()
        for cell in res["cells"].values()
    ]
    if seconds:
        ratio = np.mean([a / b for a, b in seconds])
        text.append(f"\nStack fit time / CNN fit time: {ratio:.1f} (mean over cells).")
    return "\n".join(text), summary


def plot(summary, path):
    from sktl.plotting import new_figure

    fig = new_figure((7, 0.22 * max(len(summary), 4) + 1))
    ax = fig.subplots()
    y = np.arange(len(summary))
    for role, colour in (("design", "C0"), ("report", "C1")):
        idx = [i for i, c in enumerate(summary) if c["role"] == role]
        if not idx:
            continue
        ax.errorbar(
            [summary[i]["diff"] for i in idx],
            y[idx],
            xerr=[np.nan_to_num(summary[i]["half"]) for i in idx],
            fmt="o",
            color=colour,
            label=role,
        )
    ax.axvline(0, color="k", lw=0.8)
    ax.set_yticks(y, [f"{c['set']} n={c['n']} {c['target']}" for c in summary], fontsize=6)
    ax.set_xlabel("test R2: stack - best single model (95 % interval over splits)")
    ax.legend(fontsize=7)
    return common.save_figure(fig, path)


def main(argv=None) -> int:
    parser = common.parser(__doc__.splitlines()[0], out="bench-out/structure_property_stack")
    parser.add_argument("--sets", nargs="+", default=None, choices=DESIGN + REPORT)
    parser.add_argument("--n-train", type=int, nargs="+", default=None)
    parser.add_argument("--splits", type=int, default=None)
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument(
        "--table",
        type=Path,
        nargs="+",
        default=None,
        help="only tabulate the results.json of these run folders",
    )
    args = parser.parse_args(argv)
    common.fill_defaults(
        args,
        {
            "sets": (list(DESIGN + REPORT), ["stiffness-blobs"], ["stiffness-mixed"]),
            "n_train": ([100, 300], [100], [16]),
            "splits": (3, 2, 2),
            "epochs": (30, 10, 1),
        },
    )
    args.set_size = dict(n_samples=40, size=16) if args.smoke else {}
    args.n_test = 20 if args.smoke else N_TEST
    torch.set_num_threads(1)
    if args.table:
        results = {}
        for folder in args.table:  # merged cell by cell: two runs may share a set
            for name, res in json.loads((folder / "results.json").read_text()).items():
                if name != "_settings":
                    merged = results.setdefault(name, {**res, "cells": {}})
                    merged["cells"].update(res["cells"])
    else:
        path = args.out / "results.json"
        settings = dict(epochs=args.epochs, n_test=args.n_test, seed=args.seed, **args.set_size)
        results = common.resume_results(path, settings)
        for name in args.sets:
            run_set(name, args, results, path)
    results.pop("_settings", None)
    text, summary = table(results, args.n_train)
    common.write_markdown(args.out / "table.md", text)
    common.write_json(args.out / "summary.json", summary)
    plot(summary, args.out / "stack_vs_best.png")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
