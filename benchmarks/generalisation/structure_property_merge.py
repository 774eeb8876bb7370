"""Merge runs of structure_property.py into one table, a plot and paired comparisons.

The full benchmark takes hours on a CPU, so it is usually split by model across processes or
machines (``--models``). Runs with the same data settings (size, test set, epochs, split seeds)
use identical training sets per (n_train, split), so their models can be compared split by
split: the paired difference of mean R2 and its 95% t-interval say whether a gap is real.
Writes ``<out>/table.md`` and ``r2_vs_n.png``. Merging fits nothing: ``--quick`` is the same
as a full run.

    python -m benchmarks.generalisation.structure_property_merge bench-out/sp_cnn \\
        bench-out/sp_transfer --out bench-out/sp_merged \\
        --compare "VGG19 pool3 gap two-phase" "CNN (grid)"
    python -m benchmarks.generalisation.structure_property_merge --smoke   # seconds: two
        # ``structure_property --smoke`` runs (2 splits), split by model, merged and compared;
        # its numbers mean nothing
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np

from benchmarks import common
from benchmarks.common import ci95

_SAME = ("size", "n_test", "epochs")  # settings every merged run must share
_LOG_LINE = re.compile(r"n=(\d+) split=(\d+) (.+): mean R2 (-?[\d.]+) rel MAE")


def per_split_mean_r2(folder: Path, result: dict) -> dict:
    """{model: {n: {split: mean R2}}} from results.json's runs, else from the run's log."""
    out: dict = {}
    if "runs" in result:
        for name, by_n in result["runs"].items():
            for n, runs in by_n.items():
                out.setdefault(name, {})[int(n)] = {
                    i: float(np.mean(r["r2"])) for i, r in enumerate(runs)
                }
        return out
    logs = [folder.with_suffix(".log"), folder.parent / f"{folder.name.split('_')[0]}.log"]
    for log in logs:
        if log.is_file():
            for n, split, name, r2 in _LOG_LINE.findall(log.read_text()):
                out.setdefault(name, {}).setdefault(int(n), {})[int(split)] = float(r2)
            break
    return out


def load_runs(folders):
    summary, splits, args0, best_cnn = {}, {}, None, {}
    for folder in folders:
        result = json.loads((folder / "results.json").read_text())
        args = result["args"]
        if args0 is None:
            args0 = args
        else:
            differ = [k for k in _SAME if args.get(k) != args0.get(k)]
            if differ:
                raise SystemExit(f"{folder}: settings {differ} differ from the first run's")
        for name, by_n in result["summary"].items():
            summary.setdefault(name, {}).update({int(n): v for n, v in by_n.items()})
        for name, by_n in per_split_mean_r2(folder, result).items():
            splits.setdefault(name, {}).update(by_n)
        best_cnn.update(result.get("best_cnn", {}))
    return args0, summary, splits, best_cnn


def paired(splits, a, b, n):
    """Mean and 95% CI of (a - b) over the splits both ran at n_train = n."""
    sa, sb = splits.get(a, {}).get(n, {}), splits.get(b, {}).get(n, {})
    common = sorted(set(sa) & set(sb))
    if len(common) < 2:
        return None
    diff = [sa[i] - sb[i] for i in common]
    m, h = ci95(diff)
    return m, h, len(common)


SMOKE_RUNS = {"smoke_baselines": ["Dummy", "2-point"], "smoke_cnn": ["CNN"]}
SMOKE_COMPARE = ["2-point + PCA + poly", "CNN (grid)"]


def smoke_runs(out: Path, seed: int) -> list:
    """Two tiny structure_property runs split by model (2 splits, to compare)."""
    from benchmarks.generalisation import structure_property

    folders = []
    for name, models in SMOKE_RUNS.items():
        folder = out / name
        argv = ["--smoke", "--splits", "2", "--seed", str(seed), "--out", str(folder)]
        structure_property.main([*argv, "--models", *models])
        folders.append(folder)
    return folders


def main(argv=None) -> int:
    p = common.parser(__doc__.splitlines()[0], out="bench-out/structure_property_merge")
    p.add_argument("folders", nargs="*", type=Path,
                   help="structure_property output folders (--smoke: made when none is given)")
    p.add_argument("--compare", nargs=2, action="append", default=[], metavar=("A", "B"))
    args = p.parse_args(argv)
    if not args.folders:
        if not args.smoke:
            p.error("give the folders of structure_property runs to merge")
        args.folders = smoke_runs(args.out, args.seed)
        args.compare = args.compare or [SMOKE_COMPARE]
    run_args, summary, splits, best_cnn = load_runs(args.folders)
    ns = sorted({n for by_n in summary.values() for n in by_n})
    comps = list(next(iter(summary.values()))[ns[0]]["r2"]) if summary else []
    lines = [
        f"# Structure -> stiffness, merged ({run_args['size']}px, test n={run_args['n_test']}, "
        f"{run_args['epochs']} epochs; runs: {', '.join(str(f) for f in args.folders)})",
        "",
    ]
    n_pool = run_args.get("n_pool") or max(500, *ns)
    for n in ns:
        lines += [
            f"## n_train = {n}",
            "",
            *(
                [
                    f"All splits train on the whole {n}-sample pool: intervals are over seeds.",
                    "",
                ]
                if n >= n_pool
                else []
            ),
            "| model | splits | mean R2 | mean rel. MAE | "
            + " | ".join(f"R2 {c}" for c in comps)
            + " |",
            "|---" * (len(comps) + 4) + "|",
        ]
        rows = [
            (by_n[n]["mean_r2"][0], name, by_n[n]) for name, by_n in summary.items() if n in by_n
        ]
        for _, name, s in sorted(rows, reverse=True):
            k = len(splits.get(name, {}).get(n, {})) or "?"
            cells = " | ".join(f"{s['r2'][c][0]:.3f} ± {s['r2'][c][1]:.3f}" for c in comps)
            lines.append(
                f"| {name} | {k} | {s['mean_r2'][0]:.3f} ± {s['mean_r2'][1]:.3f} | "
                f"{s['mean_rel_mae'][0]:.3f} ± {s['mean_rel_mae'][1]:.3f} | {cells} |"
            )
        lines.append("")
    if args.compare:
        lines += ["## Paired differences of mean R2 (same training sets)", ""]
        lines += [
            "| A - B | n_train | splits | difference (95% CI) | verdict |",
            "|---|---|---|---|---|",
        ]
        for a, b in args.compare:
            for n in ns:
                r = paired(splits, a, b, n)
                if r is None:
                    continue
                m, h, k = r
                verdict = (
                    "A better"
                    if m - h > 0
                    else ("B better" if m + h < 0 else "no clear difference")
                )
                lines.append(f"| {a} - {b} | {n} | {k} | {m:+.3f} ± {h:.3f} | {verdict} |")
        lines.append("")
    if best_cnn:
        lines.append("CNN settings: " + "; ".join(f"n={k}: {v}" for k, v in best_cnn.items()))
    text = "\n".join(lines) + "\n"
    common.write_markdown(args.out / "table.md", text)
    print(text)
    _plot(summary, ns, args.out / "r2_vs_n.png")
    return 0


def _plot(summary, ns, path):
    from matplotlib.ticker import NullFormatter

    from sktl.plotting import new_figure  # no pyplot: the process's backend and figures stay

    fig = new_figure((7, 4.5))
    ax = fig.subplots()
    for name, by_n in sorted(summary.items()):
        xs = [n for n in ns if n in by_n]
        if len(xs) < 1 or name.startswith("Dummy"):
            continue
        ys = [by_n[n]["mean_r2"][0] for n in xs]
        es = [0 if np.isnan(by_n[n]["mean_r2"][1]) else by_n[n]["mean_r2"][1] for n in xs]
        ax.errorbar(xs, ys, yerr=es, marker="o", capsize=3, label=name)
    ax.set_xscale("log")
    ax.set_xticks(ns, [str(n) for n in ns])
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("training samples")
    ax.set_ylabel("mean R2 over C11..C66 (95% CI)")
    ax.set_title("Structure -> stiffness, test n fixed")
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    common.save_figure(fig, path, dpi=120)


if __name__ == "__main__":
    raise SystemExit(main())
