"""Shape measures of default reconstructions against each material's crop-to-crop floor.

S2 and the lineal path along x and y hardly see shape failures (fibres reconstructed as
short, bent segments, lamellae losing their orientation). This benchmark scores today's
default ``MicrostructureReconstructor`` with the shape measures of ``sktl.descriptors``:
chord-length error rates along x (image axis 0, direction (1, 0)), y (axis 1, (0, 1)) and
the two diagonals ((1, 1), (1, -1)), orientation (angle and coherence) and connectivity
(largest-cluster share, percolation), with S2 and the lineal path beside them. Each material
is a 256 px field; its first quadrant crop (``--size`` px) is the exemplar, and the floor of
a measure is its mean error between the exemplar and the three other, disjoint quadrant
crops of the same field. ``k = default error / floor``: k <= 1 is as close as another crop
of the same material, k >> 1 a failure the measure sees. Phase 1 (the fibres, the lamellae)
is scored, non-periodic throughout.

Materials: ``fibres`` (straight fibres, PoreSpy's ``cylinders``, as in
``benchmarks.materials``), ``lamellae`` (lamellae at 30 degrees, period 12 px, gently bent;
numpy), ``copolymer`` (Li et al.'s fingerprint lamellae; needs ../shared/data, skipped
without it). Writes ``<out>/results.json`` and ``results.md``.

    python -m benchmarks.generalisation.reconstruction_shape           # 128 px, 3 samples
    python -m benchmarks.generalisation.reconstruction_shape --quick   # 128 px, 1 sample
    python -m benchmarks.generalisation.reconstruction_shape --set '{"n_levels": 3}'  # over sktl
    python -m benchmarks.generalisation.reconstruction_shape --plot before=DIR after=DIR
    python -m benchmarks.generalisation.reconstruction_shape --smoke   # seconds: lamellae,
        # 32 px crops, 2 iterations, 1 level; its numbers mean nothing
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from benchmarks import common
from benchmarks.materials import FIELD, material, quadrants

PHASE = 1
DIRECTIONS = {"x": (1, 0), "y": (0, 1), "diag": (1, 1), "anti": (1, -1)}  # x = image axis 0
SMOKE_SET = {"max_iter": 2, "n_levels": 1, "layers": ["conv1_1"]}


def lamellae(seed=0, n=FIELD, angle=30.0, period=12.0, bend=1.2):
    """Lamellae at ``angle`` degrees, ``period`` px, their phase bent by a smooth random field
    (``bend`` radians, 24 px correlation). The angle is :func:`sktl.descriptors.orientation`'s:
    the lamellae run along (-sin a, cos a) in (axis 0, axis 1), i.e. from y (axis 1) towards
    -x, counter-clockwise from the horizontal as displayed."""
    from scipy import ndimage

    rng = np.random.default_rng(seed)
    t = np.radians(angle)
    row, col = np.mgrid[:n, :n]
    noise = ndimage.gaussian_filter(rng.standard_normal((n, n)), 24, mode="wrap")
    phase = 2 * np.pi * (-col * np.sin(t) - row * np.cos(t)) / period
    return (np.cos(phase + bend * noise / noise.std()) > 0).astype(np.int64)


def field(name, seed=0):
    if name == "lamellae":
        return lamellae(seed)
    return material(name, seed=seed)


def measures(reference, images):
    """{measure: [error of each image against ``reference``]}."""
    from sktl.descriptors import (
        chord_length_error_rates,
        connectivity_errors,
        orientation_errors,
        phase_error_rates,
    )

    images = np.asarray(images)
    out = {}
    for desc in ("s2", "lineal_path"):
        out[desc] = phase_error_rates(reference, images, desc, [PHASE], periodic=False)[PHASE]
    chords = chord_length_error_rates(reference, images, PHASE, directions=DIRECTIONS.values())
    for name, d in DIRECTIONS.items():
        out[f"chord_{name}"] = chords[d]
    out["chord_mean"] = np.mean([chords[d] for d in DIRECTIONS.values()], axis=0)
    orient = orientation_errors(reference, images, PHASE)
    out["angle"], out["coherence"] = orient["angle"], orient["coherence"]
    conn = connectivity_errors(reference, images, PHASE)
    out["largest_cluster"] = conn["largest_cluster_fraction"]
    out["percolation"] = conn["percolation"]
    return {k: [float(v) for v in np.atleast_1d(vals)] for k, vals in out.items()}


def run_material(name, size, n_samples, seed, settings, save_dir=None):
    from sktl.descriptors import connectivity, orientation
    from sktl.reconstruction import MicrostructureReconstructor

    crops = quadrants(field(name), size)
    exemplar = crops[0]
    floor = {k: nanmean(v) for k, v in measures(exemplar, crops[1:]).items()}
    model = MicrostructureReconstructor(**settings, random_state=seed, n_threads=1)
    t0 = time.perf_counter()
    samples = model.fit(exemplar).sample(n_samples, shape=exemplar.shape, random_state=seed)
    seconds = time.perf_counter() - t0
    if save_dir is not None:  # the exemplar, then the samples
        save_dir.mkdir(parents=True, exist_ok=True)
        np.save(save_dir / f"{name}.npy", np.concatenate([exemplar[None], samples]))
    errors = measures(exemplar, samples)
    default = {k: nanmean(v) for k, v in errors.items()}
    angle, coherence = orientation(exemplar, PHASE)
    return {
        "material": name,
        "size": size,
        "n_samples": n_samples,
        "seed": seed,
        "settings": {k: list(v) if isinstance(v, tuple) else v for k, v in settings.items()},
        "exemplar": {"angle": angle, "coherence": coherence, **connectivity(exemplar, PHASE)},
        "samples": [
            {"angle": a, "coherence": c} for a, c in (orientation(s, PHASE) for s in samples)
        ],
        "floor": floor,
        "default": default,
        "errors": errors,
        "k": {m: ratio(default[m], floor[m]) for m in floor},
        "seconds": seconds,
        "resolved": {"directional_s2": bool(model.directional_s2_)},
    }


def plot(runs, path):
    """Each material's exemplar above the first sample of each run: ``runs`` is a list of
    (title, output folder of a run)."""
    from sktl.plotting import new_figure

    names = [p.stem for p in sorted((runs[0][1] / "samples").glob("*.npy"))]
    if not names:
        raise SystemExit(f"no samples in {runs[0][1] / 'samples'}: run the benchmark there first")
    fig = new_figure((1.7 * len(names), 1.8 * (len(runs) + 1)))
    axes = fig.subplots(len(runs) + 1, len(names), squeeze=False)
    for j, name in enumerate(names):
        rows = [(name, np.load(runs[0][1] / "samples" / f"{name}.npy")[0])]
        rows += [(t, np.load(out / "samples" / f"{name}.npy")[1]) for t, out in runs]
        for i, (title, img) in enumerate(rows):
            axes[i, j].imshow(img, cmap="viridis", interpolation="none")
            axes[i, j].set_title(title, fontsize=7)
            axes[i, j].axis("off")
    fig.tight_layout()
    common.save_figure(fig, path)


def nanmean(values):
    """Mean of the defined values (a crop without the phase's chords along a direction, or
    without interfaces, has none); NaN where none is defined."""
    values = np.asarray(values, dtype=float)
    return float(values[~np.isnan(values)].mean()) if (~np.isnan(values)).any() else np.nan


def ratio(error, floor):
    if np.isnan(error) or np.isnan(floor):
        return np.nan
    if floor > 0:
        return error / floor
    return 1.0 if error == 0 else float("inf")


UNITS = {
    "s2": "%",
    "lineal_path": "%",
    "chord_x": "%",
    "chord_y": "%",
    "chord_diag": "%",
    "chord_anti": "%",
    "chord_mean": "%",
    "angle": "deg",
    "coherence": "0-1",
    "largest_cluster": "0-1",
    "percolation": "axes",
}


def markdown(results):
    lines = [
        "# Shape measures of default reconstructions",
        "",
        "Mean error of the default reconstructions against the exemplar, the floor (mean error "
        "of the 3 other quadrant crops against it) and k = error / floor. Phase 1, "
        "non-periodic; chord errors: error rate of the chord-length survival functions "
        "(100 x Wasserstein-1 / mean chord) along x (image axis 0), y (axis 1), the diagonals.",
        "",
    ]
    for r in results:
        ex = r["exemplar"]
        lines += [
            f"## {r['material']} ({r['size']} px, {r['n_samples']} samples, {r['seconds']:.0f} s)",
            "",
            f"Exemplar: orientation {ex['angle']:.1f} deg, coherence {ex['coherence']:.2f}, "
            f"largest cluster {ex['largest_cluster_fraction']:.2f}, percolates "
            f"{ex['percolates']}; samples: "
            + ", ".join(f"{s['angle']:.1f} deg / {s['coherence']:.2f}" for s in r["samples"]),
            "",
            common.markdown_table(
                ["measure", "unit", "default error", "floor", "k"],
                [[m, UNITS[m], r["default"][m], r["floor"][m], r["k"][m]] for m in UNITS],
            ),
            "",
        ]
    return "\n".join(lines)


def main(argv=None) -> int:
    p = common.parser(__doc__.splitlines()[0], out="bench-out/reconstruction_shape")
    p.add_argument(
        "--materials",
        nargs="*",
        default=None,
        help="fibres, lamellae, copolymer (default: all; copolymer needs the data)",
    )
    p.add_argument("--size", type=int, default=None, help="exemplar crop (px); default 128")
    p.add_argument("--n-samples", type=int, default=None, help="default 3, quick 1")
    p.add_argument("--set", default=None, help="JSON of parameters over the sktl preset, e.g. "
                   "'{\"directional_s2\": true}'")
    p.add_argument("--plot", nargs="+", default=None, metavar="TITLE=DIR",
                   help="only plot: each material's exemplar and a sample of each earlier run "
                   "(e.g. averaged=bench-out/a auto=bench-out/b); the figure is --out/shape.png")
    args = p.parse_args(argv)
    if args.plot:
        runs = [(t, Path(d)) for t, d in (item.split("=", 1) for item in args.plot)]
        plot(runs, args.out / "shape.png")
        return 0
    common.fill_defaults(
        args,
        {
            "size": (128, 128, 32),
            "n_samples": (3, 1, 1),
            "materials": (["fibres", "lamellae", "copolymer"],) * 2 + (["lamellae"],),
        },
    )
    from sktl.reconstruction import PRESETS

    settings = {
        **PRESETS["sktl"],
        **(SMOKE_SET if args.smoke else {}),
        **json.loads(args.set or "{}"),
    }
    if "copolymer" in args.materials and common.data_home() is None:
        print("copolymer skipped: ../shared/data not found (set SKTL_DATA)")
        args.materials = [m for m in args.materials if m != "copolymer"]
    results = []
    for name in args.materials:
        r = run_material(
            name, args.size, args.n_samples, args.seed, settings, args.out / "samples"
        )
        results.append(r)
        print(
            f"{name}: {r['seconds']:.0f} s; k = "
            + ", ".join(f"{m} {r['k'][m]:.2f}" for m in UNITS),
            flush=True,
        )
    common.write_json(args.out / "results.json", results)
    text = markdown(results)
    common.write_markdown(args.out / "results.md", text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
