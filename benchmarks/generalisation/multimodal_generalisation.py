"""Multimodal generalisation benchmark: is image + descriptors ever worse than either alone?

On the six sets of ``benchmarks.multimodal_sets`` (two design sets the fusion design was chosen
on, four report sets read only to report), for n_train in {50, 100, 200, 500} and 5 random
splits with a fixed 200-row test set, every model is fitted once on all targets at once and
scored by R2 per target (``--single-target``: the deep models once per target). Models: deep
image-only, descriptor-only, DMTL-R (paper layers), sktl's default MultimodalRegressor (and any
``--variant``), and Ridge / HGB on [frozen CNN features | descriptors] and on the descriptors.
Every image model uses the same frozen backbone tap (EfficientNet-Lite0 ImageNet, stage5).
Writes ``<out>/scores.json``, ``summary.md`` (95 % t-intervals over splits), ``log.txt`` and,
with ``--plot``, ``mean_r2_vs_n.png``.

    python -m benchmarks.generalisation.multimodal_generalisation --sets design   # hours
    python -m benchmarks.generalisation.multimodal_generalisation --sets report --out bench-out/mm-report
    python -m benchmarks.generalisation.multimodal_generalisation --quick   # minutes: design sets,
        # n_train 50 and 200, 2 splits, 20 epochs
    python -m benchmarks.generalisation.multimodal_generalisation --smoke   # seconds: 30 spinodal
        # samples of 32 px, n_train 20, 1 split, 1 epoch; its numbers mean nothing
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import r2_score

from benchmarks import common
from benchmarks.common import ci95
from benchmarks.multimodal_sets import DESIGN, N_SAMPLES, N_TEST, REPORT, SIZE, load_set, splits

N_TRAIN = (50, 100, 200, 500)
QUICK = dict(sets="design", n_train=[50, 200], splits=2, epochs=20)
# smoke: a tiny spinodal set; the default model gets 1 epoch and 2 stacking folds
SMOKE = dict(sets="spinodal", n_train=[20], splits=1, epochs=1)
SMOKE_DATA = dict(n_samples=30, size=32, n_test=10)
SMOKE_DEFAULT = dict(max_epochs=1, stack_folds=2)


def image_features(images, intensity_range, backbone, layer):
    from sktl import PretrainedCNNFeaturizer

    f = PretrainedCNNFeaturizer(backbone=backbone, layer=layer, intensity_range=intensity_range)
    return f.fit_transform(images)


def model_factories(args, intensity_range):
    """name -> (kind, factory(seed)); kind "deep" takes multimodal X, "features"/"descriptors"
    take [features | descriptors] / descriptors."""
    from sklearn.ensemble import HistGradientBoostingRegressor
    from sklearn.linear_model import RidgeCV
    from sklearn.multioutput import MultiOutputRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from sktl import DMTLR_PAPER, DescriptorRegressor, ImageRegressor, MultimodalRegressor

    image = dict(backbone=args.backbone, layer=args.layer, intensity_range=intensity_range)
    train = dict(max_epochs=args.epochs, weight_decay=1e-3)
    ridge = lambda s: make_pipeline(StandardScaler(), RidgeCV(alphas=np.logspace(-3, 4, 15)))  # noqa: E731
    hgb = lambda s: MultiOutputRegressor(HistGradientBoostingRegressor(random_state=s))  # noqa: E731
    models = {
        "image-only": ("deep", lambda s: ImageRegressor(**image, **train, random_state=s)),
        "descriptor-only": ("deep", lambda s: DescriptorRegressor(**train, random_state=s)),
        "DMTL-R (paper layers)": (
            "deep",
            lambda s: MultimodalRegressor(**{**DMTLR_PAPER, **image, **train}, random_state=s),
        ),
        "multimodal (default)": (
            "deep",
            lambda s: MultimodalRegressor(**image, **args.default_overrides, random_state=s),
        ),
        "Ridge [features|descr]": ("features", ridge),
        "HGB [features|descr]": ("features", hgb),
        "Ridge [descr]": ("descriptors", ridge),
        "HGB [descr]": ("descriptors", hgb),
    }
    for spec in args.variant or ():
        name, params = spec.split("=", 1)
        params = json.loads(params)
        models[name] = (
            "deep",
            lambda s, p=params: MultimodalRegressor(**{**image, **train, **p}, random_state=s),
        )
    if args.models:
        keep = args.models.split(",")
        unknown = sorted(set(keep) - set(models))
        if unknown:
            raise SystemExit(f"unknown models {unknown}; known: {list(models)}")
        models = {k: models[k] for k in keep}
    return models


def run_set(name, args, log):
    from sktl import multimodal_input

    data = load_set(name, n_samples=args.n_samples, size=args.size)
    Z = image_features(data.images, data.intensity_range, args.backbone, args.layer)
    X = multimodal_input(data.images, data.descriptors)
    ZD = np.column_stack([Z, data.descriptors])
    Y = data.targets
    models = model_factories(args, data.intensity_range)
    scores, times = {}, {}
    for n in args.n_train:
        for model, (kind, make) in models.items():
            cell = scores.setdefault(str(n), {}).setdefault(model, [])
            inp = {"deep": X, "features": ZD, "descriptors": data.descriptors}[kind]
            t = time.perf_counter()
            for s, (tr, te) in enumerate(splits(len(Y), n, args.splits, args.n_test)):
                if args.single_target and kind == "deep":  # one model per target
                    pred = np.column_stack(
                        [make(s).fit(inp[tr], Y[tr, j]).predict(inp[te]) for j in range(Y.shape[1])]
                    )
                else:
                    pred = make(s).fit(inp[tr], Y[tr]).predict(inp[te]).reshape(len(te), -1)
                cell.append([float(r2_score(Y[te, j], pred[:, j])) for j in range(Y.shape[1])])
            times.setdefault(str(n), {})[model] = time.perf_counter() - t
            mean = np.mean(cell)
            log(f"  {name} n={n:4d} {model:28s} mean R2 {mean:6.3f}  ({times[str(n)][model]:5.1f} s)")
    return {
        "targets": data.target_names,
        "descriptors": data.descriptor_names,
        "scores": scores,
        "seconds": times,
    }


def summary_table(name, result) -> str:
    targets = result["targets"]
    lines = [f"## {name}"]
    for n, by_model in result["scores"].items():
        k = len(next(iter(by_model.values())))
        lines.append(f"\nn_train = {n} (R2, mean ± 95 % half-width over {k} splits)\n")
        lines.append("| model | " + " | ".join(targets) + " | mean |")
        lines.append("|---" * (len(targets) + 2) + "|")
        for model, cell in by_model.items():
            arr = np.asarray(cell)
            cells = []
            for j in range(arr.shape[1]):
                m, h = ci95(arr[:, j])
                cells.append(f"{m:.3f} ± {h:.3f}")
            m, h = ci95(arr.mean(axis=1))
            lines.append(f"| {model} | " + " | ".join(cells) + f" | **{m:.3f} ± {h:.3f}** |")
    return "\n".join(lines)


SINGLE = ("image-only", "descriptor-only")
DEFAULT = "multimodal (default)"


def goal_table(results, model=DEFAULT) -> str:
    """Per set and n: the model's mean R2 against the better single modality and the best
    classical baseline (paired differences over splits, 95 % t-intervals), and the targets on
    which it is below the better single modality beyond the interval."""
    lines = [
        f"| set | role | n | {model} | better single modality | gain | best classical "
        "| gain | targets below the better single modality (beyond the interval) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, r in sorted(results.items(), key=lambda kv: kv[0] not in DESIGN):
        role = "design" if name in DESIGN else "report"
        for n, by_model in r["scores"].items():
            if model not in by_model or not all(m in by_model for m in SINGLE):
                continue
            arr = {m: np.asarray(v) for m, v in by_model.items()}
            mm = arr[model]
            single = max(SINGLE, key=lambda m: arr[m].mean())
            classical = [m for m in arr if m.startswith(("Ridge", "HGB"))]
            lost = []
            for j, target in enumerate(r["targets"]):
                best = max(SINGLE, key=lambda m: arr[m][:, j].mean())
                d, h = ci95(mm[:, j] - arr[best][:, j])
                if d + h < 0:
                    lost.append(f"{target} ({d:+.3f} ± {h:.3f} vs {best})")
            g, gh = ci95(mm.mean(1) - arr[single].mean(1))
            row = [
                name,
                role,
                n,
                f"{mm.mean():.3f}",
                f"{single} {arr[single].mean():.3f}",
                f"{g:+.3f} ± {gh:.3f}",
            ]
            if classical:
                best_c = max(classical, key=lambda m: arr[m].mean())
                c, ch = ci95(mm.mean(1) - arr[best_c].mean(1))
                row += [f"{best_c} {arr[best_c].mean():.3f}", f"{c:+.3f} ± {ch:.3f}"]
            else:
                row += ["-", "-"]
            row.append(", ".join(lost) or "none")
            lines.append("| " + " | ".join(str(v) for v in row) + " |")
    return "\n".join(lines)


def plot(results, path):
    """Mean R2 over targets against n_train, one panel per set (design sets first)."""
    from sktl.plotting import new_figure

    names = sorted(results, key=lambda k: k not in DESIGN)
    cols = 3
    rows = -(-len(names) // cols)
    fig = new_figure(figsize=(4.6 * cols, 3.6 * rows))
    for i, name in enumerate(names):
        ax = fig.add_subplot(rows, cols, i + 1)
        ns = [int(n) for n in results[name]["scores"]]
        for model in results[name]["scores"][str(ns[0])]:
            ms = [np.mean(results[name]["scores"][str(n)][model]) for n in ns]
            style = dict(lw=2.5, color="k") if model == DEFAULT else dict(lw=1)
            ax.plot(ns, ms, marker="o", label=model, **style)
        ax.set_xscale("log")
        ax.set_xticks(ns, [str(n) for n in ns])
        ax.minorticks_off()
        role = "design" if name in DESIGN else "report"
        ax.set_title(f"{name} ({role})")
        ax.set_xlabel("n_train")
        ax.set_ylabel("mean R2 over targets")
    fig.axes[0].legend(fontsize=7)
    fig.tight_layout()
    common.save_figure(fig, path)


def write_tables(results, out: Path) -> None:
    common.write_json(out / "scores.json", results)
    tables = "\n\n".join(summary_table(k, v) for k, v in results.items())
    goals = goal_table(results)
    common.write_markdown(out / "summary.md", f"{goals}\n\n{tables}")


def main(argv=None) -> int:
    p = common.parser(__doc__.splitlines()[0], out="bench-out/multimodal_generalisation")
    p.add_argument("--sets", default=None, help="design, report, all or comma-separated names")
    p.add_argument("--n-train", type=lambda s: [int(v) for v in s.split(",")], default=None)
    p.add_argument("--splits", type=int, default=None)
    p.add_argument("--epochs", type=int, default=None)
    p.add_argument("--backbone", default="efficientnet_lite0")
    p.add_argument("--layer", default="stage5")
    p.add_argument("--models", default=None, help="comma-separated subset of the model names")
    p.add_argument("--variant", action="append", help='extra design: name={"param": value}')
    p.add_argument(
        "--single-target",
        action="store_true",
        help="fit the deep models once per target instead of once on all targets",
    )
    p.add_argument("--plot", action="store_true")
    p.add_argument(
        "--merge",
        nargs="+",
        type=Path,
        default=None,
        help="no fitting: merge these scores.json files into --out (tables and plot)",
    )
    args = p.parse_args(argv)
    size = {"smoke": SMOKE, "quick": QUICK, "full": {}}[common.mode(args)]
    full = dict(sets="design", n_train=list(N_TRAIN), splits=5, epochs=60)
    for key, value in {**full, **size}.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    data = SMOKE_DATA if args.smoke else dict(n_samples=N_SAMPLES, size=SIZE, n_test=N_TEST)
    vars(args).update(data)
    args.default_overrides = SMOKE_DEFAULT if args.smoke else {}
    if args.smoke:
        args.plot = True
    import torch

    torch.set_num_threads(1)
    sets = {"design": DESIGN, "report": REPORT, "all": DESIGN + REPORT}.get(
        args.sets, tuple(args.sets.split(","))
    )
    args.out.mkdir(parents=True, exist_ok=True)
    with open(args.out / "log.txt", "a") as log_file:

        def log(msg):
            print(msg, flush=True)
            log_file.write(msg + "\n")
            log_file.flush()

        results = {}
        if args.merge:
            for path in args.merge:
                results.update(json.loads(path.read_text()))
            sets = ()
        for name in sets:
            results[name] = run_set(name, args, log)
            write_tables(results, args.out)
    write_tables(results, args.out)
    if args.plot:
        plot(results, args.out / "mean_r2_vs_n.png")
    print(goal_table(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
