"""Seconds per reconstruction sample and peak memory, as ratios against baselines in-process.

At ``--size`` px (128 by default) on the carbonate exemplar (a crop of Li et al.'s image, from
the reference data), one torch/BLAS thread: the sktl preset against the single-scale recipe
documented before presets ("recipe-1.0": taps to pool2, S2 x 1000, lineal path x 30,
450 iterations), the paper's method (preset li2018) and the naive tutorial loop of
``benchmarks.paper.reconstruction_li2018.naive_gatys`` (torch.optim.LBFGS, 200 evaluations,
all threads). Reports s/sample, the S2 and lineal-path error rates (phase 1, non-periodic and
periodic S2), the speed-up of the sktl preset over each and the process's peak RSS, in
``<out>/speed_<size>.json``. Run alone on an idle machine: timings of processes sharing cores
are not comparable.

    python -m benchmarks.speed.reconstruction_speed                # full: 4 methods, 2 samples
    python -m benchmarks.speed.reconstruction_speed --quick        # sktl vs recipe-1.0, 1 sample
    python -m benchmarks.speed.reconstruction_speed --smoke        # seconds; numbers mean nothing
    python -m benchmarks.speed.reconstruction_speed --size 512 --only sktl --n-samples 1
"""

from __future__ import annotations

import resource
import time

import numpy as np

from benchmarks import common
from benchmarks.common import parser, write_json
from benchmarks.materials import material


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

# (size, n_samples, max_iter, runs) of each mode; explicit flags override them
MODES = {
    "full": (128, 2, None, list(RUNS)),
    "quick": (128, 1, None, ["sktl", "recipe-1.0"]),
    "smoke": (32, 1, 2, ["sktl", "recipe-1.0"]),
}


def exemplar(size):
    img = material("carbonate")
    if size <= img.shape[0]:
        return img[:size, :size]
    return np.tile(img, (size // img.shape[0] + 1,) * 2)[:size, :size]  # periodic-ish tiling


def main(argv=None) -> int:
    from sktl.reconstruction import PRESETS, MicrostructureReconstructor

    p = parser(__doc__.splitlines()[0], out="bench-out/reconstruction_speed")
    p.add_argument("--size", type=int, default=None, help="exemplar px (128; smoke: 32)")
    p.add_argument("--n-samples", type=int, default=None, help="samples per method (2; quick: 1)")
    p.add_argument("--only", nargs="*", default=None, choices=list(RUNS),
                   help="methods (all; quick and smoke: sktl recipe-1.0)")
    p.add_argument("--max-iter", type=int, default=None, help="override (smoke: 2)")
    args = p.parse_args(argv)
    size, n_samples, max_iter, only = MODES[common.mode(args)]
    size = args.size or size
    n_samples = args.n_samples or n_samples
    max_iter = args.max_iter or max_iter
    only = args.only if args.only is not None else only

    img = exemplar(size)
    results = {}
    for name in only:
        if name == "naive":
            from benchmarks.paper.reconstruction_li2018 import naive_gatys

            layers = ["conv1_1", "pool1", "pool2", "pool3", "pool4"]
            evaluations = max_iter or 200
            runs = [naive_gatys(img, layers, evaluations, args.seed + i) for i in range(n_samples)]
            samples = np.stack([r[0] for r in runs])
            seconds = float(np.mean([r[1] for r in runs]))
            settings = {"layers": layers, "evaluations": evaluations}
        else:
            preset, settings = RUNS[name]
            if max_iter:
                settings = {**settings, "max_iter": max_iter}
            m = MicrostructureReconstructor(
                **{**PRESETS[preset], **settings}, random_state=args.seed, n_threads=1, verbose=1
            )
            m.fit(img)
            t0 = time.perf_counter()
            samples = m.sample(n_samples, random_state=args.seed)
            seconds = (time.perf_counter() - t0) / n_samples
            settings = {k: list(v) if isinstance(v, tuple) else v for k, v in m.settings_.items()}
        results[name] = {"seconds_per_sample": seconds, "settings": settings, **errors(img, samples)}
        print(name, f"{seconds:.1f} s/sample", flush=True)
    if "sktl" in results:
        for base in ("recipe-1.0", "li2018", "naive"):
            if base in results:
                results[f"speed-up vs {base}"] = (
                    results[base]["seconds_per_sample"] / results["sktl"]["seconds_per_sample"]
                )
    results["size"] = size
    results["peak_rss_gb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6
    write_json(args.out / f"speed_{size}.json", results)
    print({k: v for k, v in results.items() if not isinstance(v, dict)})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
