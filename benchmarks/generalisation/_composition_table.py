"""Tables of benchmarks.generalisation.composition_regressor: per set, models x n."""

from __future__ import annotations

import json
from collections import defaultdict

import numpy as np

from benchmarks import common
from benchmarks import composition_sets as sets

DEFAULT = "CompositionRegressor()"
BASELINE = "RF fractions"


def _n_key(n: str):
    return (1, 0) if n == "all" else (0, int(n))


def _paired(a: list[dict], b: list[dict]) -> tuple[float, float]:
    """Mean difference a - b and its 95 % half-width: over splits, or a paired bootstrap of
    the test rows when there is one split (n = all)."""
    if len(a) == 1 and "abs_err" in a[0] and "abs_err" in b[0]:
        da, db = np.asarray(a[0]["abs_err"]), np.asarray(b[0]["abs_err"])
        rng = np.random.default_rng(0)
        idx = rng.integers(0, len(da), (2000, len(da)))
        diffs = da[idx].mean(axis=1) - db[idx].mean(axis=1)
        lo, hi = np.percentile(diffs, [2.5, 97.5])
        return float(da.mean() - db.mean()), float((hi - lo) / 2)
    by_seed = {r["split_seed"]: r["mae"] for r in b}
    d = [r["mae"] - by_seed[r["split_seed"]] for r in a if r["split_seed"] in by_seed]
    return common.ci95(d)


def tables(path, split: str) -> str:
    records = [r for r in map(json.loads, path.read_text().splitlines()) if r["split"] == split]
    cells = defaultdict(list)
    for r in records:
        cells[(r["set"], r["n"], r["model"])].append(r)
    parts = []
    summary = []
    for name in [s for s in sets.DESIGN + sets.REPORT if any(k[0] == s for k in cells)]:
        ns = sorted({k[1] for k in cells if k[0] == name}, key=_n_key)
        models = sorted({k[2] for k in cells if k[0] == name}, key=lambda m: (m != DEFAULT, m))
        rows = []
        for model in models:
            row = [model]
            for n in ns:
                maes = [r["mae"] for r in cells.get((name, n, model), [])]
                if not maes:
                    row.append("-")
                    continue
                mean, half = common.ci95(maes)
                row.append(f"{mean:.4g}" + ("" if np.isnan(half) else f" ± {half:.2g}"))
            rows.append(row)
        times = ["fit time (s)"]
        for n in ns:
            secs = [r.get("fit_seconds", np.nan) for r in cells.get((name, n, DEFAULT), [])]
            times.append(f"{np.nanmean(secs):.0f}" if secs else "-")
        rows.append(times)
        kind = "design" if name in sets.DESIGN else "report"
        head = f"### {name} ({kind}; test MAE in {sets.UNITS[name]}, split={split})"
        parts.append(head + "\n\n" + common.markdown_table(["model", *ns], rows))
        for n in ns:
            default = cells.get((name, n, DEFAULT))
            base = cells.get((name, n, BASELINE))
            if not default:
                continue
            member_means = {
                k[2]: np.mean([r["mae"] for r in v])
                for k, v in cells.items()
                if k[0] == name and k[1] == n and k[2].startswith("member: ")
            }
            best = min(member_means, key=member_means.get) if member_means else "-"
            d_best = _paired(default, cells[(name, n, best)]) if member_means else (np.nan,) * 2
            d_base = _paired(default, base) if base else (np.nan, np.nan)
            summary.append(
                [
                    name,
                    kind,
                    n,
                    f"{np.mean([r['mae'] for r in default]):.4g}",
                    f"{best.removeprefix('member: ')} {member_means.get(best, np.nan):.4g}",
                    f"{d_best[0]:+.3g} ± {d_best[1]:.2g}",
                    f"{d_base[0]:+.3g} ± {d_base[1]:.2g}",
                    _verdict(d_best, d_base),
                ]
            )
    header = [
        "set",
        "kind",
        "n",
        "default",
        "best member afterwards",
        "default - best member",
        "default - RF fractions",
        "goal",
    ]
    parts.insert(0, "## Summary\n\n" + common.markdown_table(header, summary))
    parts.append(_coverage(records))
    return "\n\n".join(parts) + "\n"


def _coverage(records: list[dict]) -> str:
    """CV+ coverage of the default at 80 / 90 %, per set and n, pooled over splits."""
    cells = defaultdict(list)
    for r in records:
        if r["model"] == DEFAULT and "coverage_90" in r:
            cells[(r["set"], r["n"])].append(r)
    rows, all80, all90 = [], [], []
    for (name, n), rs in sorted(cells.items(), key=lambda kv: (kv[0][0], _n_key(kv[0][1]))):
        c80, c90 = np.mean([r["coverage_80"] for r in rs]), np.mean([r["coverage_90"] for r in rs])
        all80.append(c80)
        all90.append(c90)
        rows.append(
            [
                name,
                n,
                len(rs),
                f"{c80:.3f}",
                f"{c90:.3f}",
                f"{np.mean([r['half_width_80'] for r in rs]):.4g}",
                f"{np.mean([r['half_width_90'] for r in rs]):.4g}",
                f"{np.mean([r['rmse'] for r in rs]):.4g}",
            ]
        )
    if not rows:
        return ""
    rows.append(["mean of the cells", "", "", f"{np.mean(all80):.3f}", f"{np.mean(all90):.3f}",
                 "", "", ""])  # fmt: skip
    header = ["set", "n", "splits", "coverage 80 %", "coverage 90 %", "half-width 80 %",
              "half-width 90 %", "RMSE"]  # fmt: skip
    return "## CV+ intervals of the default (test rows)\n\n" + common.markdown_table(header, rows)


def _verdict(d_best, d_base) -> str:
    """Met: not worse than the best member nor RF fractions beyond the 95 % interval."""
    ok = all(
        np.isnan(h) and d <= 0 or (not np.isnan(h) and d - h <= 0) for d, h in (d_best, d_base)
    )
    return "met" if ok else "not met"


def plot(path, split: str, out):
    """Learning curves per set: the default, the best member at each n, RF fractions."""
    from sktl.plotting import new_figure

    records = [r for r in map(json.loads, path.read_text().splitlines()) if r["split"] == split]
    names = [
        s for s in sets.DESIGN + sets.REPORT
        if any(r["set"] == s and r["model"] == DEFAULT for r in records)
    ]  # fmt: skip
    if not names:
        return None
    fig = new_figure((4 * len(names), 3.2))
    for i, name in enumerate(names):
        ax = fig.add_subplot(1, len(names), i + 1)
        rows = [r for r in records if r["set"] == name]
        size = {r["n"]: r["n_rows"] for r in rows}
        for model, style in ((DEFAULT, "o-"), (BASELINE, "s--"), ("best member", "^:")):
            points = []
            for n in sorted(size, key=_n_key):
                if model == "best member":
                    means = [
                        np.mean([r["mae"] for r in rows if r["n"] == n and r["model"] == m])
                        for m in {r["model"] for r in rows if r["model"].startswith("member: ")}
                    ]
                    value = min(means) if means else np.nan
                else:
                    value = np.mean([r["mae"] for r in rows if r["n"] == n and r["model"] == model])
                points.append((size[n], value))
            xs, ys = zip(*points)
            ax.plot(xs, ys, style, label=model)
        ax.set_xscale("log")
        ax.set_title(name, fontsize=9)
        ax.set_xlabel("training rows")
        ax.set_ylabel(f"test MAE ({sets.UNITS[name]})")
    ax.legend(fontsize=7)
    fig.tight_layout()
    return common.save_figure(fig, out / f"learning-curves-{split}.png")
