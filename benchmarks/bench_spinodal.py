"""The spinodal dataset: generation speed and how predictable each target is from each modality.

    python benchmarks/bench_spinodal.py                 # R^2 table on the embedded 500 samples
    python benchmarks/bench_spinodal.py --generate 64   # also time a fresh generation

The R^2 table is the 5-fold cross-validated R^2 (shuffled KFold, seed 0) of a random forest per
target, from (1) the descriptors alone, (2) generic statistics of the image alone (composition
quantiles, radially averaged structure factor, gradient statistics; nothing that uses the
descriptors) and (3) both. It is the table quoted in ``make_spinodal().DESCR``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from sklearn.ensemble import RandomForestRegressor
from sklearn.metrics import r2_score
from sklearn.model_selection import KFold, cross_val_predict

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


def r2_table(data, n_estimators: int = 200, seed: int = 0) -> dict[str, dict[str, float]]:
    """5-fold R^2 per target for descriptors, image statistics and both."""
    descriptors = np.asarray(data.descriptors, dtype=np.float64)
    stats = image_statistics(np.asarray(data.images))
    inputs = {
        "descriptors": descriptors,
        "image": stats,
        "both": np.column_stack([descriptors, stats]),
    }
    targets = np.asarray(data.targets, dtype=np.float64)
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


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--generate", type=int, default=0, help="time a fresh set of this size")
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--trees", type=int, default=200)
    args = parser.parse_args(argv)
    if args.generate:
        start = time.perf_counter()
        make_spinodal(args.generate, args.size, random_state=1, verbose=1)
        elapsed = time.perf_counter() - start
        print(
            f"make_spinodal({args.generate}, {args.size}): {elapsed:.1f} s, "
            f"{1e3 * elapsed / args.generate:.0f} ms/sample"
        )
    start = time.perf_counter()
    table = r2_table(load_spinodal(), n_estimators=args.trees)
    print(format_table(table))
    print(f"(random forests fitted in {time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
