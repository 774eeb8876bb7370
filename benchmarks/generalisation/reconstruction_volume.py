"""3-D volumes from 2-D examples: per-axis slice error rates against the 2-D reconstruction's,
time and peak memory.

Cases: ``blobs`` (one crop of a 2-D PoreSpy blobs field, isotropic: the example serves every
axis), ``planes`` (the three mid-planes of an anisotropic PoreSpy blobs volume whose features
are several pixels thick along every axis, one example per axis; the volume is the truth for
the S2 along each axis) and any other material of the 2-D benchmark (``benchmarks/materials.py``:
its first quadrant crop, isotropic). The 2-D reconstruction of each example (same settings,
``--n-samples`` samples) sets the reference error. Goals: a per-axis slice error
(non-periodic S2 and lineal path, phase 1) <= 1.5x that reference, 64^3 in <= 2 min and
128^3 in <= 15 min on one core, under 8 GB. ``--baseline`` also samples with every slice
(``n_slices=None``) in the same process, for the time ratio. Writes ``<out>/results.json``
(appended to), ``results.md``, ``volume_<case>.npy`` and ``slices_<case>.png``.

    python -m benchmarks.generalisation.reconstruction_volume            # 64^3, blobs, planes
    python -m benchmarks.generalisation.reconstruction_volume --cases copolymer --side 128
    python -m benchmarks.generalisation.reconstruction_volume --quick    # 32^3, both cases
    python -m benchmarks.generalisation.reconstruction_volume --smoke    # seconds: 16^3 planes,
        # 2 iterations, 1 level; its numbers mean nothing
"""

from __future__ import annotations

import json
import time

import numpy as np

from benchmarks import common
from benchmarks.materials import FIELD, GENERATORS, material, quadrants

SIDE = 64
QUICK_SIDE = 32
GOAL_RATIO = 1.5
SMOKE = dict(
    side=16, cases=["planes"],
    set={"max_iter": 2, "n_levels": 1, "n_slices": 8, "layers": ["conv1_1", "pool1"]},
)


# the planes case: Gaussian smoothing lengths (px) of PoreSpy's blobs along axes 0, 1, 2, so
# that the features are several pixels thick along every axis at any side
PLANE_SIGMAS = (4.0, 2.5, 1.5)


def case_examples(case, seed=0, side=SIDE):
    """(examples, truth volume or None)."""
    import porespy as ps

    if case == "blobs":
        field = ps.generators.blobs([FIELD, FIELD], porosity=0.6, blobiness=2, seed=seed)
        return [(~field[:side, :side]).astype(np.int64)], None
    if case != "planes":  # a material of the 2-D benchmark: its first quadrant crop
        if side > FIELD // 2:
            raise ValueError(f"a material's quadrant crop is at most {FIELD // 2} px; got {side}")
        return [quadrants(material(case, seed), side)[0]], None
    blobiness = [side / (40.0 * s) for s in PLANE_SIGMAS]  # PoreSpy: sigma = side / (40 b)
    vol = ~ps.generators.blobs([side] * 3, porosity=0.6, blobiness=blobiness, seed=seed,
                               periodic=False)
    vol = vol.astype(np.int64)
    planes = [np.take(vol, side // 2, axis=a) for a in range(3)]
    return planes, vol


def slice_errors(vol, examples):
    from sktl.descriptors import slice_error_rates

    return {desc: slice_error_rates(vol, examples, desc, 1, periodic=False).tolist()
            for desc in ("s2", "lineal_path")}


def run_case(case, preset, settings, n_samples, seed, side=SIDE, baseline=False):
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
    with common.PeakRSS() as peak:
        vols = model.sample(n_samples, shape=(side, side, side), random_state=seed)
    elapsed = (time.perf_counter() - t0) / n_samples
    resolved = {k: list(v) if isinstance(v, tuple) else v for k, v in model.settings_.items()}
    every = None
    if baseline:  # the same settings on every slice, in this process: the time ratio
        model.set_params(n_slices=None).fit(examples if len(examples) == 3 else examples[0])
        t0 = time.perf_counter()
        with common.PeakRSS() as base_peak:
            base = model.sample(n_samples, shape=(side, side, side), random_state=seed)
        every = {
            "seconds_per_volume": (time.perf_counter() - t0) / n_samples,
            "peak_rss_gb": base_peak.gb,
            "slice_error": {
                d: np.mean([slice_errors(v, examples)[d] for v in base], axis=0).tolist()
                for d in ref
            },
        }
    errs = [slice_errors(v, examples) for v in vols]
    mean = {d: np.mean([e[d] for e in errs], axis=0).tolist() for d in ref}
    ref_axis = {d: (v if len(v) == 3 else v * 3) for d, v in ref.items()}
    result = {
        "case": case,
        "side": side,
        "preset": preset,
        "settings": settings,
        "resolved": resolved,
        "n_samples": n_samples,
        "slice_error": mean,
        "reference_2d_error": ref_axis,
        "ratio": {d: [m / max(r, 1e-9) for m, r in zip(mean[d], ref_axis[d], strict=True)]
                  for d in ref},
        "seconds_per_volume": elapsed,
        "seconds_per_2d_sample": float(np.mean(ref_times)),
        "peak_rss_gb": peak.gb,  # of the process while it sampled the volumes
        "every_slice": every,
        "vf_example": float(np.mean([ex.mean() for ex in examples])),
        "vf_volumes": [float(v.mean()) for v in vols],
    }
    if truth is not None:
        # the floor: the true volume's own slices against its mid-planes (one plane of a
        # volume with coarse features is a noisy sample of its slices' statistics)
        result["truth_slice_error"] = slice_errors(truth, examples)
        # S2 along each axis against the true volume's
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
        "| case | side | settings | statistic | slice error per axis 0 / 1 / 2 (%) | "
        "2-D reference (%) | ratio (goal <= 1.5) | s/volume | peak GB | every slice: error, "
        "s/volume |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        extra = ", ".join(f"{k}={v}" for k, v in sorted(r["settings"].items()))
        side = r.get("side", SIDE)
        every = r.get("every_slice")
        for d in ("s2", "lineal_path"):
            base = (
                " / ".join(f"{v:.2f}" for v in every["slice_error"][d])
                + (f", {every['seconds_per_volume']:.0f}" if d == "s2" else "")
                if every else "-"
            )
            lines.append(
                f"| {r['case']} | {side} | {r['preset']} ({extra}) | {d} | "
                + " / ".join(f"{v:.2f}" for v in r["slice_error"][d]) + " | "
                + " / ".join(f"{v:.2f}" for v in r["reference_2d_error"][d]) + " | "
                + " / ".join(("**%.2f**" if v <= GOAL_RATIO else "%.2f") % v
                             for v in r["ratio"][d])
                + (f" | {r['seconds_per_volume']:.0f} | {r['peak_rss_gb']:.1f}" if d == "s2"
                   else " | | ")
                + f" | {base} |"
            )
        for d, errs in r.get("truth_slice_error", {}).items():  # older results lack it
            lines.append(
                f"| {r['case']} | {side} | the true volume against its mid-planes (floor) | {d} | "
                + " / ".join(f"{v:.2f}" for v in errs) + " | | | | | |"
            )
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    p = common.parser(__doc__.splitlines()[0], out="bench-out/reconstruction_volume")
    p.add_argument("--cases", nargs="+", default=None, choices=["planes", *GENERATORS],
                   help="default: blobs and planes (smoke: planes); a material of the 2-D "
                   "benchmark is its first quadrant crop, serving every axis")
    p.add_argument("--preset", default="sktl_volume")
    p.add_argument("--set", default=None, help="JSON of parameters over the preset")
    p.add_argument("--n-samples", type=int, default=1)
    p.add_argument("--baseline", action="store_true",
                   help="also sample with n_slices=None (every slice) in the same process")
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
        r, vol, examples = run_case(case, args.preset, settings, args.n_samples, args.seed, side,
                                    args.baseline)
        results.append(r)
        common.write_json(path, results)
        np.save(args.out / f"volume_{case}.npy", vol)
        plot(args.out, case, vol, examples)
        print(markdown([r]), flush=True)
    common.write_markdown(args.out / "results.md", markdown(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
