"""3-D volumes from 2-D examples: per-axis slice error rates against the 2-D reconstruction's,
time and peak memory.

Cases: ``blobs`` (one 64 px crop of a 2-D PoreSpy blobs field, isotropic: the example serves
every axis) and ``planes`` (the three mid-planes of a 64^3 anisotropic PoreSpy blobs volume,
blobiness 1 / 2 / 4 along the axes, one example per axis; the volume is the truth for the S2
along each axis). The 2-D reconstruction of each example (same settings, ``--n-samples``
samples) sets the reference error; the goal is a per-axis slice error (non-periodic S2 and
lineal path, phase 1) <= 1.5x that reference, and a 64^3 volume in <= 10 min on one core.
Writes ``<out>/results.json`` (appended to), ``results.md``, ``volume_<case>.npy`` and
``slices_<case>.png``.

    python -m benchmarks.generalisation.reconstruction_volume            # 64^3, both cases
    python -m benchmarks.generalisation.reconstruction_volume --quick    # 32^3, both cases
    python -m benchmarks.generalisation.reconstruction_volume --smoke    # seconds: 16^3 planes,
        # 2 iterations, 1 level; its numbers mean nothing
"""

from __future__ import annotations

import json
import resource
import time

import numpy as np

from benchmarks import common
from benchmarks.materials import FIELD

SIDE = 64
QUICK_SIDE = 32
GOAL_RATIO = 1.5
SMOKE = dict(
    side=16, cases=["planes"], set={"max_iter": 2, "n_levels": 1, "layers": ["conv1_1", "pool1"]}
)


def case_examples(case, seed=0, side=SIDE):
    """(examples, truth volume or None)."""
    import porespy as ps

    if case == "blobs":
        field = ps.generators.blobs([FIELD, FIELD], porosity=0.6, blobiness=2, seed=seed)
        return [(~field[:side, :side]).astype(np.int64)], None
    vol = ~ps.generators.blobs([side] * 3, porosity=0.6, blobiness=[1, 2, 4], seed=seed,
                               periodic=False)
    vol = vol.astype(np.int64)
    planes = [np.take(vol, side // 2, axis=a) for a in range(3)]
    return planes, vol


def slice_errors(vol, examples):
    from sktl.descriptors import slice_error_rates

    return {desc: slice_error_rates(vol, examples, desc, 1, periodic=False).tolist()
            for desc in ("s2", "lineal_path")}


def run_case(case, preset, settings, n_samples, seed, side=SIDE):
    from sktl.descriptors import axial_two_point_correlation, error_rate, phase_error_rates
    from sktl.reconstruction import PRESETS, MicrostructureReconstructor

    examples, truth = case_examples(case, seed, side)
    ref = {"s2": [], "lineal_path": []}
    ref_times = []
    for ex in examples:
        m2 = MicrostructureReconstructor(
            **{**PRESETS[preset], **settings}, random_state=seed, n_threads=1
        ).fit(ex)
        s = m2.sample(n_samples, shape=ex.shape, random_state=seed)
        ref_times += m2.sample_times_
        for desc in ref:
            ref[desc].append(float(phase_error_rates(ex, s, desc, [1], periodic=False)[1].mean()))
    model = MicrostructureReconstructor(
        **{**PRESETS[preset], **settings}, random_state=seed, n_threads=1, verbose=0
    )
    model.fit(examples if len(examples) == 3 else examples[0])
    t0 = time.perf_counter()
    vols = model.sample(n_samples, shape=(side, side, side), random_state=seed)
    elapsed = (time.perf_counter() - t0) / n_samples
    errs = [slice_errors(v, examples) for v in vols]
    mean = {d: np.mean([e[d] for e in errs], axis=0).tolist() for d in ref}
    ref_axis = {d: (v if len(v) == 3 else v * 3) for d, v in ref.items()}
    result = {
        "case": case,
        "preset": preset,
        "settings": settings,
        "resolved": {k: list(v) if isinstance(v, tuple) else v for k, v in model.settings_.items()},
        "n_samples": n_samples,
        "slice_error": mean,
        "reference_2d_error": ref_axis,
        "ratio": {d: [m / max(r, 1e-9) for m, r in zip(mean[d], ref_axis[d], strict=True)]
                  for d in ref},
        "seconds_per_volume": elapsed,
        "seconds_per_2d_sample": float(np.mean(ref_times)),
        "peak_rss_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6,
        "vf_example": float(np.mean([ex.mean() for ex in examples])),
        "vf_volumes": [float(v.mean()) for v in vols],
    }
    if truth is not None:  # S2 along each axis against the true volume's
        result["axial_s2_error_vs_truth"] = [
            float(np.mean([error_rate(axial_two_point_correlation(truth, 1, axis=a, periodic=False),
                                      axial_two_point_correlation(v, 1, axis=a, periodic=False))
                           for v in vols]))
            for a in range(3)
        ]
    return result, vols[0], examples


def plot(out, case, vol, examples):
    from sktl.plotting import new_figure

    fig = new_figure((8, 5.4))
    axes = fig.subplots(2, 3)
    per_axis = examples if len(examples) == 3 else examples * 3
    for a in range(3):
        axes[0, a].imshow(per_axis[a], cmap="gray", interpolation="none")
        axes[0, a].set_title(f"example, axis {a}", fontsize=8)
        axes[1, a].imshow(np.take(vol, vol.shape[a] // 2, axis=a), cmap="gray", interpolation="none")
        axes[1, a].set_title(f"volume mid-slice normal to axis {a}", fontsize=8)
        for ax in axes[:, a]:
            ax.axis("off")
    fig.tight_layout()
    common.save_figure(fig, out / f"slices_{case}.png", dpi=100)


def markdown(results):
    lines = [
        "| case | settings | statistic | slice error per axis 0 / 1 / 2 (%) | 2-D reference (%) | "
        "ratio (goal <= 1.5) | s/volume |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        extra = ", ".join(f"{k}={v}" for k, v in sorted(r["settings"].items()))
        for d in ("s2", "lineal_path"):
            lines.append(
                f"| {r['case']} | {r['preset']} ({extra}) | {d} | "
                + " / ".join(f"{v:.2f}" for v in r["slice_error"][d]) + " | "
                + " / ".join(f"{v:.2f}" for v in r["reference_2d_error"][d]) + " | "
                + " / ".join(("**%.2f**" if v <= GOAL_RATIO else "%.2f") % v
                             for v in r["ratio"][d])
                + f" | {r['seconds_per_volume']:.0f} |"
            )
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    p = common.parser(__doc__.splitlines()[0], out="bench-out/reconstruction_volume")
    p.add_argument("--cases", nargs="+", default=None, choices=["blobs", "planes"],
                   help="default: both (smoke: planes)")
    p.add_argument("--preset", default="sktl_volume")
    p.add_argument("--set", default=None, help="JSON of parameters over the preset")
    p.add_argument("--n-samples", type=int, default=1)
    p.add_argument("--side", type=int, default=None,
                   help=f"volume and example side (px; default {SIDE}, quick {QUICK_SIDE})")
    args = p.parse_args(argv)
    smoke = SMOKE if args.smoke else {}
    cases = args.cases or smoke.get("cases", ["blobs", "planes"])
    side = args.side or smoke.get("side", QUICK_SIDE if args.quick else SIDE)
    settings = {**smoke.get("set", {}), **json.loads(args.set or "{}")}
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "results.json"
    results = json.loads(path.read_text()) if path.exists() else []
    for case in cases:
        r, vol, examples = run_case(case, args.preset, settings, args.n_samples, args.seed, side)
        results.append(r)
        common.write_json(path, results)
        np.save(args.out / f"volume_{case}.npy", vol)
        plot(args.out, case, vol, examples)
        print(markdown([r]), flush=True)
    common.write_markdown(args.out / "results.md", markdown(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
