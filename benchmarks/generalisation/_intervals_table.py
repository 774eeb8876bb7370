"""Tables and figure of ``intervals_domain.py`` from its ``results.jsonl``."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import numpy as np

from benchmarks import common

LEVELS = (80, 90)
THRESHOLDS = (1.0, 1.5, 2.0, 3.0)


def _role(part: str, name: str) -> str:
    if part == "composition":
        from benchmarks.composition_sets import DESIGN
    else:
        from benchmarks.multimodal_sets import DESIGN
    return "design" if name in DESIGN else "report"


def _records(path: Path) -> list[dict]:
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def coverage_cells(records, where="in", scheme=""):
    """{(part, role, set, n, target, region): {level: [hits, trials, half-widths, RMSEs,
    coverage per draw]}}: hits pooled over the draws, the rest one value per draw."""
    cells = defaultdict(lambda: defaultdict(lambda: [0, 0, [], [], []]))
    for r in records:
        if f"{where}_rows" not in r:
            continue
        role = _role(r["part"], r["set"])
        for t, target in enumerate(r["targets"]):
            key = (r["part"], role, r["set"], r["n"], target, r.get("region", "cluster"))
            for level in LEVELS:
                tag = f"{where}_{level}{'_' + scheme if scheme else ''}"
                c = cells[key][level]
                c[0] += r[f"{tag}_hits"][t]
                c[1] += r[f"{where}_rows"]
                c[2].append(r[f"{tag}_half_width"][t])
                c[3].append(r[f"{where}_rmse"][t])
                c[4].append(r[f"{tag}_hits"][t] / r[f"{where}_rows"])
    return cells


def _contains(per_draw, nominal) -> bool:
    """The 95 % t-interval of the coverage over the draws holds the level. Over draws, not
    rows: the test rows repeat across draws and the coverage varies with the training set, so
    pooled rows are not independent trials."""
    m, h = common.ci95(per_draw)
    return m - h <= nominal <= m + h


def _below(per_draw, nominal) -> bool:
    m, h = common.ci95(per_draw)
    return m + h < nominal


def summary_rows(records, where="in"):
    """Per part and role, per scheme and level: mean coverage over the cells, their range,
    the share of cells whose binomial 95 % interval holds the nominal level, half-width/RMSE."""
    rows = []
    for scheme, label in (
        ("", "CV+ (predict_interval)"),
        ("naive", "naive (+- residual quantile)"),
    ):
        cells = coverage_cells(records, where, scheme)
        groups = defaultdict(list)
        for key, by_level in cells.items():
            groups[key[:2]].append(by_level)
        for (part, role), members in sorted(groups.items()):
            for level in LEVELS:
                cov = [m[level][0] / m[level][1] for m in members]
                ok = [_contains(m[level][4], level / 100) for m in members]
                low = [_below(m[level][4], level / 100) for m in members]
                ratio = [np.mean(m[level][2]) / np.mean(m[level][3]) for m in members]
                rows.append(
                    [
                        part,
                        role,
                        label,
                        f"{level} %",
                        len(members),
                        f"{np.mean(cov):.3f}",
                        f"{min(cov):.3f}-{max(cov):.3f}",
                        f"{np.mean(ok):.0%}",
                        f"{np.mean(low):.0%}",
                        f"{np.mean(ratio):.2f}",
                    ]
                )
    return rows


def cell_rows(records, where="in"):
    """Per set and n (mean over targets): CV+ coverage and half-width/RMSE at both levels,
    and the naive scheme's coverage and its half-width relative to CV+."""
    cv, naive = coverage_cells(records, where), coverage_cells(records, where, "naive")
    by_set = defaultdict(list)
    for key in cv:
        by_set[key[:4]].append(key)
    rows = []
    for (part, role, name, n), keys in sorted(by_set.items()):
        row = [part, role, name, n, len(keys)]
        for level in LEVELS:
            c = np.mean([cv[k][level][0] / cv[k][level][1] for k in keys])
            w = np.mean([np.mean(cv[k][level][2]) / np.mean(cv[k][level][3]) for k in keys])
            c_n = np.mean([naive[k][level][0] / naive[k][level][1] for k in keys])
            w_n = np.mean([np.mean(naive[k][level][2]) / np.mean(cv[k][level][2]) for k in keys])
            row += [f"{c:.3f}", f"{w:.2f}", f"{c_n:.3f}", f"{w_n:.2f}"]
        rows.append(row)
    return rows


def shift_rows(records):
    """Per set and n: AUC of the domain score, coverage on the shifted rows, flag shares."""
    groups = defaultdict(list)
    for r in records:
        key = (r["part"], r.get("region", "cluster"), _role(r["part"], r["set"]), r["set"], r["n"])
        groups[key].append(r)
    rows = []
    for key, rs in sorted(groups.items()):
        auc = [r["auc"] for r in rs if r.get("auc") == r.get("auc")]
        has_shift = [r for r in rs if "shift_rows" in r]
        cov = {
            level: np.mean([np.sum(r[f"shift_{level}_hits"]) / (r["shift_rows"] * len(r["targets"]))
                            for r in has_shift]) if has_shift else float("nan")
            for level in LEVELS
        }  # fmt: skip
        rmse_ratio = (
            np.mean([np.mean(r["shift_rmse"]) / np.mean(r["in_rmse"]) for r in has_shift])
            if has_shift
            else float("nan")
        )
        flags = [
            f"{np.mean([r[f'flag_in_{t}'] for r in rs]):.3f} / "
            f"{np.mean([r[f'flag_shift_{t}'] for r in has_shift]) if has_shift else float('nan'):.2f}"
            for t in (1.5, 2.0)
        ]
        m, h = common.ci95(auc) if auc else (float("nan"), float("nan"))
        rows.append(
            [*key, len(rs), f"{m:.3f} ± {h:.3f}", f"{cov[80]:.3f}", f"{cov[90]:.3f}",
             f"{rmse_ratio:.2f}", *flags]
        )  # fmt: skip
    return rows


def optimism_rows(records):
    """Per part and role: the cross-fitted over the kept mean |out-of-fold residual|."""
    groups = defaultdict(list)
    for r in records:
        if r.get("blend_optimism"):
            groups[(r["part"], _role(r["part"], r["set"]))].extend(r["blend_optimism"])
    rows = []
    for key, ratios in sorted(groups.items()):
        m, h = common.ci95(ratios)
        rows.append(
            [*key, len(ratios), f"{m:.3f} ± {h:.3f}", f"{min(ratios):.3f}-{max(ratios):.3f}"]
        )
    return rows


def plot(records, path: Path) -> None:
    """Coverage of every (set, n, target) cell at both levels, CV+ against naive."""
    from sktl.plotting import new_figure

    parts = sorted({r["part"] for r in records})
    fig = new_figure(figsize=(5.2 * len(parts), 3.8))
    for i, part in enumerate(parts):
        ax = fig.add_subplot(1, len(parts), i + 1)
        part_records = [r for r in records if r["part"] == part]
        for scheme, marker, dx, color in (("", "o", -0.6, "C0"), ("naive", "s", 0.6, "C3")):
            cells = coverage_cells(part_records, "in", scheme)
            for level in LEVELS:
                cov = [100 * c[level][0] / c[level][1] for c in cells.values()]
                x = np.full(len(cov), level + dx) + np.linspace(-0.4, 0.4, len(cov))
                ax.scatter(x, cov, s=10, marker=marker, alpha=0.6, color=color,
                           label=f"{scheme or 'CV+'}" if level == LEVELS[0] else None)  # fmt: skip
        ax.plot([75, 95], [75, 95], "k--", lw=1, label="nominal")
        ax.set_xlabel("nominal coverage (%)")
        ax.set_ylabel("empirical coverage (%)")
        ax.set_title(f"{part}: every set, n and target")
        ax.legend(fontsize=8)
    fig.tight_layout()
    common.save_figure(fig, path)


def write_tables(out: Path) -> None:
    records = _records(out / "results.jsonl")
    if not records:
        return
    head = ["part", "role", "scheme", "level", "cells", "mean coverage", "range",
            "cells whose 95 % t-interval over draws holds the level",
            "cells below it (interval under the level)", "half-width / RMSE"]  # fmt: skip
    per_cell = ["part", "role", "set", "n", "cells (target x region)",
                "80 % CV+", "w/RMSE", "80 % naive", "w naive/CV+",
                "90 % CV+", "w/RMSE", "90 % naive", "w naive/CV+"]  # fmt: skip
    shift = ["part", "region", "role", "set", "n", "splits", "domain-score AUC", "shifted coverage 80 %",
             "shifted coverage 90 %", "RMSE shifted / in", "beyond 1.5 (in / shifted)",
             "beyond 2 (in / shifted)"]  # fmt: skip
    text = "\n\n".join(
        [
            "## Coverage in distribution (a cell: set, n, target and held-out region; test rows "
            "pooled over the draws)",
            common.markdown_table(head, summary_rows(records)),
            "## Per set and n (mean over targets)",
            common.markdown_table(per_cell, cell_rows(records)),
            "## Held-out region: the domain score and the intervals there",
            common.markdown_table(shift, shift_rows(records)),
            "## Optimism of the blend's residuals (cross-fitted / kept mean |residual|)",
            common.markdown_table(
                ["part", "role", "fits x targets", "mean ± 95 %", "range"], optimism_rows(records)
            ),
        ]
    )
    common.write_markdown(out / "summary.md", text)
    plot(records, out / "coverage.png")
