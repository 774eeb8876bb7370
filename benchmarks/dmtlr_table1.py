"""DMTL-R, the paper's Table 1 on our data: multimodal vs image-only vs descriptor-only.

Data: the spinodal-decomposition set of ``sktl.datasets`` (the embedded 500-sample set by
default, or ``--n-samples N`` generated and cached). Backbones: the offline normalised VGG19,
offline EfficientNet-Lite0, and EfficientNet-Lite0 with random weights (does ImageNet help?).
Single-target (one model per target) and multi-target (one model for all). R2 per target with
a 95% t-interval over ``--splits`` random 2/3-1/3 splits; DummyRegressor and a hyperopt-sklearn
AutoML model on the descriptors as references. Also times a 3-fold x 4-configuration grid
search with and without the frozen-feature cache. Writes dmtlr_table1.md/.json/.png to --out.

    python benchmarks/dmtlr_table1.py --out bench-out            # full (about 1.5 hours)
    python benchmarks/dmtlr_table1.py --quick --out bench-out    # a few minutes
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
from _stats import ci95  # benchmarks/_stats.py (the script folder is on sys.path)
from sklearn.dummy import DummyRegressor
from sklearn.metrics import r2_score
from sklearn.model_selection import GridSearchCV, KFold, ShuffleSplit
from tqdm.auto import tqdm

from sktl import (
    DescriptorRegressor,
    FeatureCache,
    HyperoptRegressor,
    ImageRegressor,
    MultimodalRegressor,
    multimodal_input,
)
from sktl.datasets import load_spinodal, make_spinodal

# Mid-level taps: on 64 px fields they beat the global-pool ("penultimate") features the paper
# used; the last row keeps the paper's choice as a reference.
BACKBONES = {
    "EffNet-Lite0 stage5 (ImageNet)": dict(
        backbone="efficientnet_lite0", layer="stage5", weights="imagenet"
    ),
    "VGG19 pool4 (ImageNet, normalised)": dict(
        backbone="vgg19", layer="pool4", weights="vgg19_normalised"
    ),
    "EffNet-Lite0 stage5 (random)": dict(
        backbone="efficientnet_lite0", layer="stage5", weights=None
    ),
    "EffNet-Lite0 global pool (ImageNet)": dict(backbone="efficientnet_lite0", weights="imagenet"),
}


def evaluate(make_model, X, Y, splits, single_target: bool, desc_only: bool = False):
    """R2 per target per split for a model factory; one model per target if single_target."""
    scores = np.zeros((len(splits), Y.shape[1]))
    for s, (tr, te) in enumerate(splits):
        Xtr, Xte = (X["features"][tr], X["features"][te]) if desc_only else (X[tr], X[te])
        if single_target:
            for j in range(Y.shape[1]):
                pred = make_model(s).fit(Xtr, Y[tr, j]).predict(Xte)
                scores[s, j] = r2_score(Y[te, j], pred)
        else:
            pred = make_model(s).fit(Xtr, Y[tr]).predict(Xte).reshape(len(te), -1)
            scores[s] = [r2_score(Y[te, j], pred[:, j]) for j in range(Y.shape[1])]
    return scores


def cache_speedup(X, Y, common, epochs):
    """Fit time of a 3-fold x 4-config grid with and without the frozen-feature cache."""
    grid = {"head_dropout": [0.0, 0.3], "lr": [1e-3, 3e-3]}
    times = {}
    for cached in (False, True):
        cache = FeatureCache() if cached else None  # a fresh store: the clones share it
        model = MultimodalRegressor(**common, max_epochs=epochs, cache=cache, random_state=0)
        t0 = time.perf_counter()
        GridSearchCV(model, grid, cv=KFold(3, shuffle=True, random_state=0)).fit(X, Y)
        times[cached] = time.perf_counter() - t0
    return times[False], times[True]


def plot_table(summary: dict, path: Path) -> None:
    """Grouped bars of R2 per target (mean and 95% CI) for each setting/model, one panel per setting."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    settings = sorted({k.split(" / ")[0] for k in summary if not k.startswith("reference")})
    targets = list(next(iter(summary.values())))
    fig, axes = plt.subplots(len(settings), 1, figsize=(13, 4.2 * len(settings)), squeeze=False)
    for ax, setting in zip(axes[:, 0], settings, strict=True):
        models = [k for k in summary if k.startswith(setting + " / ")]
        width = 0.8 / len(models)
        x = np.arange(len(targets))
        for i, key in enumerate(models):
            means = [summary[key][t][0] for t in targets]
            halves = [np.nan_to_num(summary[key][t][1]) for t in targets]
            ax.bar(
                x + i * width, means, width, yerr=halves, capsize=2, label=key.split(" / ", 1)[1]
            )
        ax.set_xticks(x + 0.4 - width / 2, targets, rotation=20, ha="right")
        ax.set_ylim(max(-0.2, ax.get_ylim()[0]), 1.0)
        ax.set_ylabel("R2 (mean, 95% CI)")
        ax.set_title(setting)
        ax.legend(fontsize=7, ncol=2, loc="lower left")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", type=Path, default=Path("bench-out"))
    parser.add_argument(
        "--n-samples",
        type=int,
        default=None,
        help="generate this many samples instead of the embedded 500",
    )
    parser.add_argument("--splits", type=int, default=None)
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--max-evals", type=int, default=None, help="hyperopt trials per target")
    parser.add_argument(
        "--replot", action="store_true", help="only redraw the figure from --out's JSON"
    )
    args = parser.parse_args(argv)
    if args.replot:
        summary = json.loads((args.out / "dmtlr_table1.json").read_text())
        plot_table(summary, args.out / "dmtlr_table1.png")
        return
    n_splits = args.splits or (2 if args.quick else 5)
    epochs = args.epochs or (20 if args.quick else 40)
    max_evals = args.max_evals or (4 if args.quick else 15)

    data = (
        load_spinodal() if args.n_samples is None else make_spinodal(args.n_samples, random_state=0)
    )
    images = np.asarray(data.images, dtype=np.float32)
    D = np.asarray(data.descriptors, dtype=np.float64)
    Y = np.asarray(data.targets, dtype=np.float64)
    names = list(data.target_names)
    lo, hi = float(images.min()), float(images.max())
    X = multimodal_input(images, D)
    splits = list(ShuffleSplit(n_splits, test_size=1 / 3, random_state=0).split(images))
    print(
        f"{len(images)} samples, {D.shape[1]} descriptors, {len(names)} targets, "
        f"{n_splits} splits, {epochs} epochs"
    )

    backbones = dict(list(BACKBONES.items())[:1]) if args.quick else BACKBONES
    rows = {}  # (setting, model) -> scores (splits x targets)
    jobs = []
    for setting, single in (("single-target", True), ("multi-target", False)):
        jobs.append(
            (
                setting,
                "descriptor-only",
                lambda s: DescriptorRegressor(max_epochs=epochs, weight_decay=1e-3, random_state=s),
                single,
                True,
            )
        )
        for bname, bkw in backbones.items():
            common = dict(**bkw, intensity_range=(lo, hi), max_epochs=epochs, weight_decay=1e-3)
            jobs.append(
                (
                    setting,
                    f"image-only [{bname}]",
                    lambda s, c=common: ImageRegressor(**c, random_state=s),
                    single,
                    False,
                )
            )
            jobs.append(
                (
                    setting,
                    f"multimodal [{bname}]",
                    lambda s, c=common: MultimodalRegressor(**c, random_state=s),
                    single,
                    False,
                )
            )
    jobs.append(("reference", "DummyRegressor (mean)", lambda s: DummyRegressor(), False, True))
    jobs.append(
        (
            "reference",
            f"hyperopt-sklearn on descriptors ({max_evals} evals)",
            lambda s: HyperoptRegressor(
                max_evals=max_evals, cv=3, trial_timeout=60, random_state=s
            ),
            False,
            True,
        )
    )
    for setting, model, factory, single, desc_only in tqdm(jobs, desc="models"):
        t0 = time.perf_counter()
        rows[(setting, model)] = evaluate(factory, X, Y, splits, single, desc_only)
        tqdm.write(
            f"{setting:13s} {model:55s} mean R2 {rows[(setting, model)].mean():.3f} "
            f"({time.perf_counter() - t0:.0f} s)"
        )

    lines = [
        "| setting | model | " + " | ".join(names) + " | mean |",
        "|---|---|" + "---|" * (len(names) + 1),
    ]
    summary = {}
    for (setting, model), sc in rows.items():
        cells = [ci95(sc[:, j]) for j in range(len(names))]
        summary[f"{setting} / {model}"] = {n: c for n, c in zip(names, cells, strict=True)}
        lines.append(
            f"| {setting} | {model} | "
            + " | ".join(f"{m:.3f} ± {h:.3f}" for m, h in cells)
            + f" | {sc.mean():.3f} |"
        )
    table = "\n".join(lines)

    # multimodal >= both baselines on every target (means), and CI-separated where possible
    verdict = []
    for setting in ("single-target", "multi-target"):
        desc = rows[(setting, "descriptor-only")]
        for bname in backbones:
            mm, im = (
                rows[(setting, f"multimodal [{bname}]")],
                rows[(setting, f"image-only [{bname}]")],
            )
            wins = [
                (mm[:, j].mean() >= max(desc[:, j].mean(), im[:, j].mean()))
                for j in range(len(names))
            ]
            sep = []
            for j in range(len(names)):
                m, h = ci95(mm[:, j])
                best = max((ci95(desc[:, j]), ci95(im[:, j])), key=lambda c: c[0])
                sep.append(m - h > best[0] + best[1])
            verdict.append(
                f"- {setting}, {bname}: multimodal >= both baselines on "
                f"{sum(wins)}/{len(names)} targets; CI-separated on {sum(sep)}/{len(names)}"
            )

    n_speed = 150 if args.quick else len(Y)
    t_plain, t_cached = cache_speedup(
        X[:n_speed],
        Y[:n_speed],
        dict(
            backbone="vgg19",
            layer="pool5",
            weights="vgg19_normalised",
            intensity_range=(lo, hi),
            input_size=128,
        ),
        epochs=5 if args.quick else 20,
    )
    speed = (
        f"3-fold x 4-config grid on {n_speed} samples (VGG19 pool5 at 128 px): "
        f"{t_plain:.1f} s without cache, {t_cached:.1f} s with cache, "
        f"speed-up {t_plain / t_cached:.1f}x"
    )

    report = "\n".join([table, "", *verdict, "", speed])
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "dmtlr_table1.md").write_text(report + "\n")
    (args.out / "dmtlr_table1.json").write_text(json.dumps(summary, indent=1))
    plot_table(summary, args.out / "dmtlr_table1.png")
    print(report)


if __name__ == "__main__":
    main()
