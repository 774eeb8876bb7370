"""Reconstruction on materials nobody tuned on: error rates against each material's own
crop-to-crop floor and against Li et al. (2018), per preset and settings.

Each material is a 256 px field (``benchmarks.materials``); its first quadrant crop (``--size``
px) is the exemplar, and the floor of a statistic is the mean error between the exemplar and
the three other, disjoint quadrant crops. A reconstruction meets the goal on a statistic when
its mean error over ``--n-samples`` samples is <= the floor and, where the paper has a number,
<= the paper's; volume fractions must be within 0.5 percentage points. Statistics: non-periodic
and periodic S2 and the non-periodic lineal path, one-vs-rest per phase (phase 1 of two-phase
materials, every phase of three-phase ones). Settings are chosen on the ``design`` materials
and reported on the ``report`` ones. Runs are appended to ``<out>/results.jsonl`` (runs already
there are skipped) and tabulated in ``results.md``; ``--table`` only tabulates.

    python -m benchmarks.generalisation.reconstruction_generalisation --split design --preset sktl
    python -m benchmarks.generalisation.reconstruction_generalisation --split report --preset li2018
    python -m benchmarks.generalisation.reconstruction_generalisation --table --compare sktl li2018
    python -m benchmarks.generalisation.reconstruction_generalisation --quick   # minutes: 64 px
        # crops, 1 sample per material
    python -m benchmarks.generalisation.reconstruction_generalisation --smoke   # seconds: carbonate
        # and three_phase, 32 px, 1 sample, 2 iterations; its numbers mean nothing

Li et al.'s materials (carbonate, copolymer, composite) and PyMKS's need ../shared/data
(``SKTL_DATA``); the generated ones need PoreSpy.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from benchmarks import common
from benchmarks.materials import DESIGN, GRAINS_REPORT, PAPER, REPORT, material, quadrants

STATS = {
    "s2": ("s2", {"periodic": False}),
    "s2_periodic": ("s2", {"periodic": True}),
    "lineal_path": ("lineal_path", {"periodic": False}),
}
ORDER = DESIGN + REPORT + GRAINS_REPORT  # of tables and plots
VF_TOLERANCE_PP = 0.5
SIZE, QUICK_SIZE = 128, 64
SMOKE = dict(materials=["carbonate", "three_phase"], size=32, n_samples=1,
             set={"max_iter": 2, "n_levels": 1, "layers": ["conv1_1"]})


def scored_phases(img):
    phases = np.unique(img)
    return [int(phases[1])] if len(phases) == 2 else [int(p) for p in phases]


def errors(reference, images, phases):
    """{stat: {phase: [error of each image]}} against ``reference``."""
    from sktl.descriptors import phase_error_rates

    out = {}
    for stat, (desc, kw) in STATS.items():
        errs = phase_error_rates(reference, np.asarray(images), desc, phases, **kw)
        out[stat] = {str(p): [float(v) for v in e] for p, e in errs.items()}
    return out


def crop_floor(crops, phases):
    """Mean error of the other crops against the first: {stat: {phase: value}}."""
    errs = errors(crops[0], crops[1:], phases)
    return {s: {p: float(np.mean(v)) for p, v in d.items()} for s, d in errs.items()}


def run_one(name, split, preset, settings, size, n_samples, seed, n_threads, save_dir=None):
    from sktl.reconstruction import PRESETS, MicrostructureReconstructor

    field = material(name, seed=0)
    # at the field's size the whole field is the exemplar (as the paper used its images) and
    # there are no disjoint crops to give a floor
    crops = [field] if size >= field.shape[0] else quadrants(field, size)
    exemplar = crops[0]
    phases = scored_phases(exemplar)
    model = MicrostructureReconstructor(
        **{**PRESETS[preset], **settings}, random_state=seed, n_threads=n_threads
    )
    t0 = time.perf_counter()
    model.fit(exemplar)
    samples = model.sample(n_samples, shape=exemplar.shape, random_state=seed)
    elapsed = time.perf_counter() - t0
    if save_dir is not None:
        save_dir.mkdir(parents=True, exist_ok=True)
        tag = "_".join([name, preset, *(f"{k}-{v}" for k, v in sorted(settings.items()))])
        np.save(save_dir / f"{tag.replace(' ', '')}.npy", np.concatenate([exemplar[None], samples]))
    labels = np.unique(exemplar)
    vf = np.array([[np.mean(s == p) for p in labels] for s in samples])
    vf0 = np.array([np.mean(exemplar == p) for p in labels])
    return {
        "material": name,
        "split": split,
        "preset": preset,
        "settings": settings,
        "resolved": _plain(model.settings_),
        "s2_term": "both",  # S2 term by both estimators (rows without it: non-periodic only)
        "size": size,
        "n_samples": n_samples,
        "seed": seed,
        "errors": errors(exemplar, samples, phases),
        "floor": crop_floor(crops, phases) if len(crops) > 1 else None,
        "paper": {str(p): PAPER.get((name, p), {}) for p in phases},
        "vf_error_pp": float(100 * np.abs(vf - vf0).max()),
        "seconds_per_sample": [float(t) for t in model.sample_times_],
        "seconds_total": elapsed,
    }


def _plain(settings):
    return {k: list(v) if isinstance(v, tuple) else v for k, v in settings.items()}


def run_key(material, resolved, size, n_samples, seed):
    """A run is its material, its resolved settings, size, samples and seed (not the preset's
    name: a preset's values may change, the settings a run used do not)."""
    return (material, json.dumps(_plain(resolved), sort_keys=True), size, n_samples, seed)


def label(r):
    """The preset's name and the settings in which the run differs from that preset today."""
    from sktl.reconstruction import PRESETS

    base = _plain(PRESETS[r["preset"]])
    diff = {k: v for k, v in r["resolved"].items() if base.get(k) != v}
    if r.get("s2_term") != "both" and r["resolved"]["s2_weight"] > 0:
        diff["S2 term"] = "non-periodic only"  # runs made before the periodic half was added
    extra = ", ".join(f"{k}={v}" for k, v in sorted(diff.items()))
    size = f" @ {r['size']} px" if r["size"] != 128 else ""
    return r["preset"] + (f" ({extra})" if extra else "") + size


def verdicts(r):
    """[(stat, phase, mean error, floor, paper or None, met)] of one run."""
    out = []
    for stat in STATS:
        for p, errs in r["errors"][stat].items():
            mean = float(np.mean(errs))
            floor = r["floor"][stat][p] if r["floor"] else float("inf")
            # the paper's S2 numbers serve both S2 estimators
            paper = r["paper"].get(p, {}).get("s2" if stat.startswith("s2") else stat)
            met = mean <= floor and (paper is None or mean <= paper)
            out.append((stat, p, mean, floor, paper, met))
    return out


def markdown(results):
    lines = ["# Reconstruction generalisation benchmark", ""]
    for split in ("design", "report"):
        rows = [r for r in results if r["split"] == split]
        if not rows:
            continue
        lines += [
            f"## {split} materials",
            "",
            "Mean error rate in % over the samples; floor = mean error between the exemplar and "
            "3 disjoint crops; paper = Li et al. (2018); goal: <= floor and <= paper, |VF| <= "
            f"{VF_TOLERANCE_PP} pp. Bold: goal met.",
            "",
            "| material | settings | phase | S2 (floor, paper) | periodic S2 (floor, paper) | "
            "lineal path (floor, paper) | VF err pp | s/sample |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for r in sorted(rows, key=lambda r: (r["material"], label(r))):
            v = {(s, p): (m, f, pa, ok) for s, p, m, f, pa, ok in verdicts(r)}
            for p in r["errors"]["s2"]:
                cells = []
                for stat in STATS:
                    m, f, pa, ok = v[(stat, p)]
                    ref = (f"{f:.2f}" if np.isfinite(f) else "-") + (
                        f", {pa:g}" if pa is not None else "")
                    val = f"**{m:.2f}**" if ok else f"{m:.2f}"
                    cells.append(f"{val} ({ref})")
                vf = r["vf_error_pp"]
                vf_cell = f"**{vf:.2f}**" if vf <= VF_TOLERANCE_PP else f"{vf:.2f}"
                lines.append(
                    f"| {r['material']} | {label(r)} | {p} | " + " | ".join(cells)
                    + f" | {vf_cell} | {np.mean(r['seconds_per_sample']):.1f} |"
                )
        lines.append("")
        lines += summary(rows)
    return "\n".join(lines) + "\n"


def summary(rows):
    """Goals met per settings: statistics at or below floor (and paper), VF within tolerance."""
    by = {}
    for r in rows:
        by.setdefault(label(r), []).append(r)
    lines = [
        "| settings | materials | statistics meeting the goal | VF within 0.5 pp | "
        "mean ratio to floor | s/sample |",
        "|---|---|---|---|---|---|",
    ]
    for name, rs in sorted(by.items()):
        vs = [v for r in rs for v in verdicts(r)]
        met = sum(v[5] for v in vs)
        ratio = np.mean([v[2] / max(v[3], 1e-9) for v in vs])
        vf_ok = sum(r["vf_error_pp"] <= VF_TOLERANCE_PP for r in rs)
        secs = np.mean([t for r in rs for t in r["seconds_per_sample"]])
        lines.append(
            f"| {name} | {len(rs)} | {met}/{len(vs)} | {vf_ok}/{len(rs)} | {ratio:.2f} | "
            f"{secs:.1f} |"
        )
    return lines + [""]


def compare(results, labels):
    """One table per split: the latest run of each settings label side by side, per phase."""
    lines = []
    for split in ("design", "report"):
        rows = {}
        for r in results:
            if r["split"] == split and label(r) in labels:
                rows[(r["material"], label(r))] = r
        mats = sorted({m for m, _ in rows}, key=lambda m: ORDER.index(m))
        if not mats:
            continue
        head = " | ".join(f"{lab}: S2 / periodic S2 / L" for lab in labels)
        lines += [
            f"**{split} materials** (error rates in %, mean of the samples; bold: <= the floor "
            "and <= the paper)",
            "",
            f"| material | phase | {head} | floor: S2 / periodic S2 / L | paper: S2 / L | "
            + " | ".join(f"{lab}: VF error pp, s/sample" for lab in labels) + " |",
            "|---|---|" + "---|" * (2 * len(labels) + 2),
        ]
        for m in mats:
            runs = [rows.get((m, lab)) for lab in labels]
            ref = next(r for r in runs if r is not None)
            for p in ref["errors"]["s2"]:
                cells = []
                for r in runs:
                    if r is None:
                        cells.append("-")
                        continue
                    v = {(st, ph): (mean, ok) for st, ph, mean, _, _, ok in verdicts(r)}
                    cells.append(" / ".join(
                        (f"**{v[(st, p)][0]:.2f}**" if v[(st, p)][1] else f"{v[(st, p)][0]:.2f}")
                        for st in STATS))
                floor = (" / ".join(f"{ref['floor'][st][p]:.0f}" for st in STATS)
                         if ref["floor"] else "-")
                paper = ref["paper"].get(p, {})
                pcell = " / ".join(f"{paper[k]:g}" if k in paper else "-"
                                   for k in ("s2", "lineal_path"))
                tail = " | ".join(
                    "-" if r is None else
                    f"{r['vf_error_pp']:.2f}, {np.mean(r['seconds_per_sample']):.0f}"
                    for r in runs)
                lines.append(f"| {m} | {p} | " + " | ".join(cells) + f" | {floor} | {pcell} | "
                             + tail + " |")
        lines.append("")
    return "\n".join(lines) + "\n"


def plot(out, results, lab, path):
    """Each material's exemplar above a sample of the runs labelled ``lab``."""
    from sktl.plotting import new_figure

    runs = {r["material"]: r for r in results if label(r) == lab}
    mats = [m for m in ORDER if m in runs]
    fig = new_figure((1.6 * len(mats), 3.6))
    axes = fig.subplots(2, len(mats), squeeze=False)
    for j, m in enumerate(mats):
        r = runs[m]
        tag = "_".join([m, r["preset"], *(f"{k}-{v}" for k, v in sorted(r["settings"].items()))])
        stack = np.load(out / "samples" / f"{tag.replace(' ', '')}.npy")
        split = "design" if m in DESIGN else "report"
        for i, (img, title) in enumerate(((stack[0], f"{m}\n({split})"), (stack[1], "sample"))):
            axes[i, j].imshow(img, cmap="viridis", interpolation="none")
            axes[i, j].set_title(title, fontsize=7)
            axes[i, j].axis("off")
    fig.tight_layout()
    common.save_figure(fig, path)


def load(path):
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def main(argv=None) -> int:
    p = common.parser(__doc__.splitlines()[0], out="bench-out/reconstruction_generalisation")
    p.add_argument("--split", choices=["design", "report", "all", "grains"], default="design",
                   help="grains: the design grains (voronoi) and the grain-like report materials")
    p.add_argument("--materials", nargs="*", default=None, help="subset of the split's materials")
    p.add_argument("--preset", default="sktl")
    p.add_argument("--set", default=None, help='JSON of parameters over the preset, e.g. '
                   '\'{"n_levels": 2, "max_iter": 200}\'')
    p.add_argument("--size", type=int, default=None,
                   help=f"exemplar crop (px; default {SIZE}, quick {QUICK_SIZE}); 256, the "
                   "field's size, scores the whole field")
    p.add_argument("--n-samples", type=int, default=None, help="default 3, quick 1")
    p.add_argument("--n-threads", type=int, default=1)
    p.add_argument("--table", action="store_true", help="only write results.md from the results")
    p.add_argument("--plot", type=Path, default=None, metavar="PNG",
                   help="with --table: exemplars and samples of the first --compare label")
    p.add_argument("--compare", nargs="+", default=None, metavar="LABEL",
                   help="with --table: print these settings labels side by side (e.g. sktl li2018)")
    args = p.parse_args(argv)
    smoke = SMOKE if args.smoke else {}
    args.materials = args.materials or smoke.get("materials")
    args.size = args.size or smoke.get("size", QUICK_SIZE if args.quick else SIZE)
    args.n_samples = args.n_samples or smoke.get("n_samples", 1 if args.quick else 3)
    args.set = json.dumps({**smoke.get("set", {}), **json.loads(args.set or "{}")})
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "results.jsonl"
    if not args.table:
        settings = json.loads(args.set)
        splits = {"design": DESIGN, "report": REPORT, "all": DESIGN + REPORT,
                  "grains": ("voronoi",) + GRAINS_REPORT}[args.split]
        names = args.materials or list(splits)
        from sktl.reconstruction import PRESETS

        done = {
            run_key(r["material"], r["resolved"], r["size"], r["n_samples"], r["seed"])
            for r in load(path)
        }
        if args.preset not in PRESETS:
            raise SystemExit(f"unknown preset {args.preset!r}; choose among {sorted(PRESETS)}")
        resolved = {**PRESETS[args.preset], **settings}
        for name in names:
            split = "design" if name in DESIGN else "report"
            if run_key(name, resolved, args.size, args.n_samples, args.seed) in done:
                continue
            r = run_one(name, split, args.preset, settings, args.size, args.n_samples,
                        args.seed, args.n_threads, args.out / "samples")
            with path.open("a") as f:
                f.write(json.dumps(r) + "\n")
            worst = [f"{s}/{ph} {m:.2f} (floor {fl:.2f})" for s, ph, m, fl, _, _ in verdicts(r)]
            print(f"{name} [{label(r)}] {np.mean(r['seconds_per_sample']):.1f} s/sample, VF "
                  f"{r['vf_error_pp']:.2f} pp: " + "; ".join(worst), flush=True)
    text = markdown(load(path))
    common.write_markdown(args.out / "results.md", text)
    if args.table:
        print(compare(load(path), args.compare) if args.compare else text)
        if args.plot is not None:
            plot(args.out, load(path), (args.compare or ["sktl"])[0], args.plot)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
