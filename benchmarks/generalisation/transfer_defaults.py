"""Which TransferCNNRegressor setting to make the default: frozen-backbone heads on six image sets.

Every setting is head-only (``freeze="all"``): an ImageNet backbone cut at a tap, its map
pooled, and a dense head trained on the frozen features (cached per set, so every split and
head reuses them). The grid covers every tap the CNN guide suggests:

* VGG19 (offline normalised weights) cut at pool2, pool3, pool4;
* EfficientNet-Lite0 (offline ImageNet weights) cut at stage3, stage4, stage5;

each with global average pooling and two heads: Li et al.'s dense layers (2048, 1024,
dropout 0.5) and a small one (256, dropout 0.2). With ``--li2018``, also Li et al.'s own rule
(VGG19 pool3, flattened map, 2048-1024 head; slow).

The sets are the six of ``benchmarks/multimodal_sets.py``, images only (their descriptors are
not used). The default is chosen on the two *design* sets (spinodal, stiffness-mixed): the
setting with the highest mean test R2 over design sets and training sizes. The four *report*
sets are only read to report: the chosen default against the best setting of each report set
and size, with the paired difference and its 95 % t-interval over splits.

Test R2 is the mean over each set's targets (all of them: none of the six sets has a constant one).

    python -m benchmarks.generalisation.transfer_defaults              # ~1 h on one core
    python -m benchmarks.generalisation.transfer_defaults --sets spinodal stiffness-mixed
    python -m benchmarks.generalisation.transfer_defaults --table      # tables from results.json
    python -m benchmarks.generalisation.transfer_defaults --smoke      # seconds; numbers mean nothing

Writes ``<out>/results.json`` (resumed: finished cells are not refitted), ``<out>/table.md``
and ``<out>/transfer_defaults.png``.
"""

from __future__ import annotations

import json
import time

import numpy as np
import torch
from sklearn.metrics import r2_score

from benchmarks import common
from benchmarks.multimodal_sets import DESIGN, N_TEST, REPORT, load_set, splits
from sktl import FeatureCache, TransferCNNRegressor

VGG = dict(backbone="vgg19", weights="vgg19_normalised")
EFFNET = dict(backbone="efficientnet_lite0", weights="imagenet")
LI_HEAD = dict(head_units=(2048, 1024), head_dropout=0.5)
SMALL_HEAD = dict(head_units=(256,), head_dropout=0.2)


def _grid() -> dict[str, dict]:
    grid = {}
    for label, backbone, taps in (
        ("VGG19", VGG, ("pool2", "pool3", "pool4")),
        ("EffNet-Lite0", EFFNET, ("stage3", "stage4", "stage5")),
    ):
        for tap in taps:
            for head_label, head in (("Li head", LI_HEAD), ("small head", SMALL_HEAD)):
                grid[f"{label} {tap} avg, {head_label}"] = dict(
                    **backbone, layer=tap, pooling="avg", **head
                )
    return grid


GRID = _grid()
#: Li et al.'s own rule, only with ``--li2018``: its 16,384 x 2048 first layer makes a fit
#: 5-10 minutes on one core (n = 100-300), and it was the worst setting in every earlier run.
LI2018 = {
    "VGG19 pool3 flatten, Li head (Li et al.)": dict(
        **VGG, layer="pool3", pooling="flatten", **LI_HEAD
    )
}
SMOKE_GRID = {
    "VGG19 pool2 avg, small head": dict(**VGG, layer="pool2", pooling="avg", **SMALL_HEAD),
    **LI2018,
}


def run_set(name, args, grid, results, path):
    data = load_set(name, **args.set_size)
    cache = FeatureCache()  # per set: every split, size and head reuses the tap's features
    cells = results.setdefault(name, {})
    for n in args.n_train:
        for s, (train, test) in enumerate(splits(len(data.images), n, args.splits, args.n_test)):
            for label, params in grid.items():
                key = f"{n}|{s}|{label}"
                if key in cells:
                    continue
                t0 = time.perf_counter()
                reg = TransferCNNRegressor(
                    **params,
                    freeze="all",
                    intensity_range=data.intensity_range,
                    max_epochs=args.epochs,
                    cache=cache,
                    random_state=args.seed + s,
                )
                reg.fit(data.images[train], data.targets[train])
                pred = reg.predict(data.images[test]).reshape(len(test), -1)
                per_target = r2_score(data.targets[test], pred, multioutput="raw_values").tolist()
                r2 = float(np.mean(per_target))
                cells[key] = {
                    "r2": r2,
                    "r2_targets": per_target,
                    "seconds": time.perf_counter() - t0,
                }
                print(f"{name} n={n} split {s} {label}: R2 {r2:.3f}", flush=True)
                common.write_json(path, results)


def by_split(results, name, n, label) -> dict[int, float]:
    """Split -> test R2 of one setting."""
    cells = results.get(name, {})
    return {
        int(k.split("|")[1]): cells[k]["r2"]
        for k in cells
        if k.startswith(f"{n}|") and k.endswith(f"|{label}")
    }


def scores(results, name, n, label) -> np.ndarray:
    """Test R2 per split of one setting (split order)."""
    found = by_split(results, name, n, label)
    return np.array([found[s] for s in sorted(found)])


def paired(results, name, n, a, b) -> np.ndarray:
    """R2 of setting ``a`` minus ``b`` on the splits both have."""
    ra, rb = by_split(results, name, n, a), by_split(results, name, n, b)
    return np.array([ra[s] - rb[s] for s in sorted(set(ra) & set(rb))])


def choose_default(results, grid, design, sizes) -> str:
    """The setting with the highest mean R2 over the design sets and sizes, among those
    measured on every one of them."""
    means = {
        label: np.mean([scores(results, s, n, label).mean() for s in design for n in sizes])
        for label in grid
        if all(len(scores(results, s, n, label)) for s in design for n in sizes)
    }
    if not means:
        raise SystemExit("No setting has results on every design set and size: run them first.")
    return max(means, key=means.get)


def table(results, grid, sizes, design, report) -> tuple[str, str, list]:
    default = choose_default(results, grid, design, sizes)
    rows = []
    for label in grid:
        row = [label]
        for name in (*design, *report):
            for n in sizes:
                mean, half = common.ci95(scores(results, name, n, label))
                row.append(f"{mean:.3f} ± {half:.3f}")
        rows.append(row)
    header = ["setting"] + [f"{s} n={n}" for s in (*design, *report) for n in sizes]
    text = [
        f"Default chosen on the design sets ({', '.join(design)}): **{default}**\n",
        "## Test R2 per setting (mean ± 95 % t-interval over splits)\n",
        common.markdown_table(header, rows),
        "\n## Report sets: the chosen default against each set's best setting\n",
    ]
    gaps, gap_rows = [], []
    for name in report:
        for n in sizes:
            means = {
                label: scores(results, name, n, label).mean()
                for label in grid
                if len(scores(results, name, n, label))
            }
            if default not in means:
                continue
            best = max(means, key=means.get)
            diff = paired(results, name, n, default, best)
            mean, half = common.ci95(diff)
            gaps.append(-mean)
            gap_rows.append(
                [
                    name,
                    n,
                    best,
                    f"{means[best]:.3f}",
                    f"{means[default]:.3f}",
                    f"{mean:+.3f} ± {half:.3f}",
                    "yes" if -mean <= 0.02 else "no",
                ]
            )
    text.append(
        common.markdown_table(
            [
                "report set",
                "n",
                "best setting",
                "its R2",
                "default's R2",
                "default - best (paired)",
                "within 0.02",
            ],
            gap_rows,
        )
    )
    return default, "\n".join(text), gaps


def plot(results, grid, sizes, sets, path):
    from sktl.plotting import new_figure

    fig = new_figure((4 * len(sizes) + 3, 0.35 * len(grid) + 1.5))
    axes = np.atleast_1d(fig.subplots(1, len(sizes), sharey=True))
    y = np.arange(len(grid))
    for ax, n in zip(axes, sizes):
        for k, name in enumerate(sets):
            means = [scores(results, name, n, label).mean() for label in grid]
            role = " (design)" if name in DESIGN else ""
            ax.plot(means, y, "o", label=name + role, color=f"C{k}")
        ax.set_xlabel("test R2 (mean over splits)")
        ax.set_title(f"n_train = {n}")
        ax.set_xlim(left=max(-0.2, ax.get_xlim()[0]))
        ax.grid(axis="y", lw=0.3)
    axes[0].set_yticks(y, list(grid), fontsize=7)
    axes[-1].legend(fontsize=7, loc="lower left")
    return common.save_figure(fig, path)


def main(argv=None) -> int:
    parser = common.parser(__doc__.splitlines()[0], out="bench-out/transfer_defaults")
    parser.add_argument("--sets", nargs="+", default=None, choices=DESIGN + REPORT)
    parser.add_argument("--n-train", type=int, nargs="+", default=None)
    parser.add_argument("--splits", type=int, default=None)
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--li2018", action="store_true", help="add Li et al.'s flatten rule")
    parser.add_argument("--table", action="store_true", help="only tabulate results.json")
    args = parser.parse_args(argv)
    common.fill_defaults(
        args,
        {
            "sets": (list(DESIGN + REPORT), list(DESIGN), ["spinodal", "stiffness-mixed"]),
            "n_train": ([100, 300], [100], [12]),
            "splits": (3, 2, 2),
            "epochs": (30, 15, 1),
        },
    )
    args.set_size = {"smoke": dict(n_samples=40, size=16), "quick": {}, "full": {}}[
        common.mode(args)
    ]
    args.n_test = 20 if args.smoke else N_TEST
    grid = SMOKE_GRID if args.smoke else {**GRID, **(LI2018 if args.li2018 else {})}
    torch.set_num_threads(1)
    path = args.out / "results.json"
    settings = dict(epochs=args.epochs, n_test=args.n_test, seed=args.seed, **args.set_size)
    results = json.loads(path.read_text()) if args.table else common.resume_results(path, settings)
    if not args.table:
        for name in args.sets:
            run_set(name, args, grid, results, path)
    design = [s for s in args.sets if s in DESIGN]
    report = [s for s in args.sets if s in REPORT]
    if not design:
        print("No design set in --sets: nothing to choose a default on.")
        return 0
    default, text, gaps = table(results, grid, args.n_train, design, report)
    common.write_markdown(args.out / "table.md", text)
    plot(results, grid, args.n_train, args.sets, args.out / "transfer_defaults.png")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
