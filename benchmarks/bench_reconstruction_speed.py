"""Seconds per reconstruction sample and peak memory, as ratios against baselines run in the
same process.

At ``--size`` px (128 by default) on the carbonate exemplar (a crop of Li et al.'s image),
one torch/BLAS thread: the sktl preset against the single-scale recipe documented before
presets ("recipe-1.0": taps to pool2, S2 x 1000, lineal path x 30, 450 iterations), the
paper's method (preset li2018) and the naive tutorial loop of
``reconstruction_li2018.naive_gatys`` (torch.optim.LBFGS, 200 evaluations, all threads).
Reports s/sample, the S2 and lineal-path error rates (phase 1, non-periodic and periodic S2),
the speed-up of the sktl preset over each and the process's peak RSS. Run alone on an idle machine: timings of processes sharing cores
are not comparable.

    python benchmarks/bench_reconstruction_speed.py --out bench-out/speed
    python benchmarks/bench_reconstruction_speed.py --size 512 --only sktl --n-samples 1 \\
        --out bench-out/speed512          # memory and time of one 512 px sample
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _materials import material  # noqa: E402


def errors(img, samples):
    from sktl.descriptors import phase_error_rates

    out = {}
    for key, desc, periodic in (("s2", "s2", False), ("s2_periodic", "s2", True),
                                ("lineal_path", "lineal_path", False)):
        e = phase_error_rates(img, samples, desc, [1], periodic=periodic)[1]
        out[f"{key}_error"] = float(e.mean())
    return out


RUNS = {
    "sktl": ("sktl", {}),
    "recipe-1.0": (
        "sktl",
        {"padding": "zeros", "vgg_pooling": "max", "n_levels": 1, "max_iter": 450,
         "match_volume_fraction": False},
    ),
    "li2018": ("li2018", {}),
    "naive": None,
}


def exemplar(size):
    img = material("carbonate")
    if size <= img.shape[0]:
        return img[:size, :size]
    return np.tile(img, (size // img.shape[0] + 1,) * 2)[:size, :size]  # periodic-ish tiling


def main(argv=None):
    from sktl.reconstruction import PRESETS, MicrostructureReconstructor

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", type=Path, default=Path("bench-out/reconstruction_speed"))
    p.add_argument("--size", type=int, default=128)
    p.add_argument("--n-samples", type=int, default=2)
    p.add_argument("--only", nargs="*", default=list(RUNS), choices=list(RUNS))
    p.add_argument("--max-iter", type=int, default=None, help="override (smoke tests only)")
    args = p.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    img = exemplar(args.size)
    results = {}
    for name in args.only:
        if name == "naive":
            from reconstruction_li2018 import naive_gatys

            layers = ["conv1_1", "pool1", "pool2", "pool3", "pool4"]
            runs = [naive_gatys(img, layers, 200, seed) for seed in range(args.n_samples)]
            samples = np.stack([r[0] for r in runs])
            seconds = float(np.mean([r[1] for r in runs]))
            settings = {"layers": layers, "evaluations": 200}
        else:
            preset, settings = RUNS[name]
            if args.max_iter:
                settings = {**settings, "max_iter": args.max_iter}
            m = MicrostructureReconstructor(
                **{**PRESETS[preset], **settings}, random_state=0, n_threads=1, verbose=1
            )
            m.fit(img)
            t0 = time.perf_counter()
            samples = m.sample(args.n_samples, random_state=0)
            seconds = (time.perf_counter() - t0) / args.n_samples
            settings = {k: list(v) if isinstance(v, tuple) else v for k, v in m.settings_.items()}
        results[name] = {"seconds_per_sample": seconds, "settings": settings, **errors(img, samples)}
        print(name, f"{seconds:.1f} s/sample", flush=True)
    if "sktl" in results:
        for base in ("recipe-1.0", "li2018", "naive"):
            if base in results:
                results[f"speed-up vs {base}"] = (
                    results[base]["seconds_per_sample"] / results["sktl"]["seconds_per_sample"]
                )
    results["size"] = args.size
    results["peak_rss_gb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6
    (args.out / f"speed_{args.size}.json").write_text(json.dumps(results, indent=1))
    print(json.dumps({k: v for k, v in results.items() if not isinstance(v, dict)}, indent=1))


if __name__ == "__main__":
    main()
