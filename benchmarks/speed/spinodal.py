"""The spinodal dataset: generation speed and how predictable each target is from each modality.

    python -m benchmarks.speed.spinodal                 # R^2 table on the embedded 500 samples
    python -m benchmarks.speed.spinodal --generate 64   # also time a fresh generation
    python -m benchmarks.speed.spinodal --quick         # 50 trees instead of 200
    python -m benchmarks.speed.spinodal --smoke         # seconds: 50 samples, 2 trees, a 2-sample
                                                        # 16 px generation; numbers mean nothing

The R^2 table is the 5-fold cross-validated R^2 (shuffled KFold, seed 0) of a random forest per
target, from (1) the descriptors alone, (2) generic statistics of the image alone (composition
quantiles, radially averaged structure factor, gradient statistics; nothing that uses the
descriptors) and (3) both. It is the table quoted in ``make_spinodal().DESCR``. Writes
``<out>/spinodal_r2.md`` and ``<out>/spinodal.json``.
"""

from __future__ import annotations

import time

import numpy as np
from sklearn.ensemble import RandomForestRegressor
from sklearn.metrics import r2_score
from sklearn.model_selection import KFold, cross_val_predict

from benchmarks.common import markdown_table, parser, write_json, write_markdown
from sktl.datasets import load_spinodal, make_spinodal


def image_statistics(images: np.ndarray, n_bins: int = 12) -> np.ndarray:
    """Generic per-image features: quantiles, radial structure factor, gradient statistics."""
    x = images.astype(np.float64)
    n, size = x.shape[0], x.shape[-1]
    flat = x.reshape(n, -1)
    quantiles = np.quantile(
        flat, [0.0, 0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 1.0], axis=1
    ).T
    moments = np.column_stack([flat.mean(axis=1), flat.std(axis=1)])
    power = np.abs(np.fft.fft2(x - x.mean(axis=(1, 2), keepdims=True))) ** 2
    k = np.hypot(*np.meshgrid(np.fft.fftfreq(size), np.fft.fftfreq(size), indexing="ij"))
    edges = np.linspace(0, 0.5, n_bins + 1)
    which = np.digitize(k.ravel(), edges[1:-1])
    radial = np.stack(
        [power.reshape(n, -1)[:, which == b].mean(axis=1) for b in range(n_bins)], axis=1
    )
    radial /= radial.sum(axis=1, keepdims=True) + 1e-300
    gx = np.roll(x, -1, axis=1) - x
    gy = np.roll(x, -1, axis=2) - x
    g = np.hypot(gx, gy).reshape(n, -1)
    gradient = np.column_stack([g.mean(axis=1), g.std(axis=1), np.quantile(g, 0.9, axis=1)])
    return np.column_stack([quantiles, moments, radial, gradient])


def r2_table(
    data, n_estimators: int = 200, seed: int = 0, n_samples: int | None = None
) -> dict[str, dict[str, float]]:
    """5-fold R^2 per target for descriptors, image statistics and both (first ``n_samples``)."""
    rows = slice(n_samples)
    descriptors = np.asarray(data.descriptors, dtype=np.float64)[rows]
    stats = image_statistics(np.asarray(data.images)[rows])
    inputs = {
        "descriptors": descriptors,
        "image": stats,
        "both": np.column_stack([descriptors, stats]),
    }
    targets = np.asarray(data.targets, dtype=np.float64)[rows]
    cv = KFold(5, shuffle=True, random_state=seed)
    table: dict[str, dict[str, float]] = {}
    for j, name in enumerate(data.target_names):
        table[name] = {}
        for label, X in inputs.items():
            model = RandomForestRegressor(n_estimators=n_estimators, random_state=seed, n_jobs=1)
            pred = cross_val_predict(model, X, targets[:, j], cv=cv)
            table[name][label] = r2_score(targets[:, j], pred)
    return table


def format_table(table) -> str:
    lines = [
        f"    {'target':<22} {'descriptors':>11} {'image':>7} {'both':>6}",
        f"    {'-' * 22} {'-' * 11} {'-' * 7} {'-' * 6}",
    ]
    for name, row in table.items():
        lines.append(
            f"    {name:<22} {row['descriptors']:>11.2f} {row['image']:>7.2f} {row['both']:>6.2f}"
        )
    return "\n".join(lines)


def main(argv=None) -> int:
    p = parser(__doc__.splitlines()[0], out="bench-out/spinodal")
    p.add_argument("--generate", type=int, default=None,
                   help="time a fresh set of this size (0: none; smoke: 2)")
    p.add_argument("--size", type=int, default=None, help="px of --generate (64; smoke: 16)")
    p.add_argument("--trees", type=int, default=None, help="200 (quick: 50; smoke: 2)")
    args = p.parse_args(argv)
    generate = args.generate if args.generate is not None else (2 if args.smoke else 0)
    size = args.size or (16 if args.smoke else 64)
    trees = args.trees or (2 if args.smoke else 50 if args.quick else 200)
    result = {"trees": trees, "seed": args.seed}
    if generate:
        start = time.perf_counter()
        make_spinodal(generate, size, random_state=1, verbose=1)
        elapsed = time.perf_counter() - start
        print(
            f"make_spinodal({generate}, {size}): {elapsed:.1f} s, "
            f"{1e3 * elapsed / generate:.0f} ms/sample"
        )
        result["generate"] = {"n": generate, "size": size, "seconds": elapsed,
                              "seconds_per_sample": elapsed / generate}
    start = time.perf_counter()
    data = load_spinodal()
    n_samples = 50 if args.smoke else None
    table = r2_table(data, n_estimators=trees, seed=args.seed, n_samples=n_samples)
    result["forest_seconds"] = time.perf_counter() - start
    result["samples"] = n_samples or len(data.targets)
    result["r2"] = table
    print(format_table(table))
    print(f"(random forests fitted in {result['forest_seconds']:.0f} s)")
    cols = ["descriptors", "image", "both"]
    write_markdown(
        args.out / "spinodal_r2.md",
        f"5-fold R^2, {result['samples']} samples, {trees} trees\n\n"
        + markdown_table(["target"] + cols, [[t] + [r[c] for c in cols] for t, r in table.items()]),
    )
    write_json(args.out / "spinodal.json", result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
