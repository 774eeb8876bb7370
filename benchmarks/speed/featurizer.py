"""Throughput of PretrainedCNNFeaturizer against a hand-written torchvision loop.

Both run in this process on the same images, backbone, tap, batch size and thread count;
the table reports images/s of each and their ratio (target >= 0.95), plus the achieved
GFLOP/s against the machine's peak measured by a float32 matmul. Random weights (the speed
does not depend on them). Writes ``<out>/bench_featurizer.md`` and ``.json``.

    python -m benchmarks.speed.featurizer            # full: 64 images, 64/128/224 px, best of 3
    python -m benchmarks.speed.featurizer --quick    # a minute or so: 16 images, best of 2
    python -m benchmarks.speed.featurizer --smoke    # seconds: 2 images, 32 px; numbers mean nothing
"""

from __future__ import annotations

import time

import numpy as np
import torch
import torchvision
from torch.utils.flop_counter import FlopCounterMode

from benchmarks import common
from benchmarks.common import markdown_table, parser, write_json, write_markdown
from sktl import PretrainedCNNFeaturizer

MEAN = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
STD = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)

# (backbone, sktl tap, the same network written by hand with torchvision)
CASES = {
    "vgg19": ("pool5", lambda: torchvision.models.vgg19(weights=None).features),
    "resnet50": (
        "avgpool",
        lambda: torch.nn.Sequential(
            *list(torchvision.models.resnet50(weights=None).children())[:-1]
        ),
    ),
}


def hand_loop(model, images: np.ndarray, batch_size: int) -> np.ndarray:
    """What a user writes without sktl: uint8 NHWC -> normalised NCHW -> model -> pooled rows."""
    rows = []
    with torch.inference_mode():
        for start in range(0, len(images), batch_size):
            x = (
                torch.from_numpy(images[start : start + batch_size]).permute(0, 3, 1, 2).float()
                / 255
            )
            out = model((x - MEAN) / STD)
            rows.append(out.mean(dim=(2, 3)).numpy())
    return np.concatenate(rows)


def best_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def matmul_peak_gflops(n: int = 2048, repeats: int = 5) -> float:
    a, b = torch.rand(n, n), torch.rand(n, n)
    a @ b
    return 2 * n**3 / best_time(lambda: a @ b, repeats) / 1e9


def flops_per_image(model, size: int) -> float:
    counter = FlopCounterMode(display=False)
    with counter, torch.inference_mode():
        model(torch.rand(1, 3, size, size))
    return counter.get_total_flops()


def run(sizes, n_images, batch_size, repeats, seed=0):
    rng = np.random.default_rng(seed)
    rows = []
    for name, (tap, make_ref) in CASES.items():
        for size in sizes:
            images = rng.integers(0, 256, (n_images, size, size, 3), dtype=np.uint8)
            feat = PretrainedCNNFeaturizer(
                backbone=name,
                layer=tap,
                weights=None,
                batch_size=batch_size,
                verbose=0,
                random_state=0,
            ).fit(images[:1])
            ref = make_ref().eval()
            feat.transform(images[:batch_size])  # warm-up both
            hand_loop(ref, images[:batch_size], batch_size)
            t_sktl = best_time(lambda feat=feat, images=images: feat.transform(images), repeats)
            t_hand = best_time(
                lambda ref=ref, images=images: hand_loop(ref, images, batch_size), repeats
            )
            gflop = flops_per_image(ref, size) / 1e9
            rows.append(
                {
                    "backbone": name,
                    "tap": tap,
                    "px": size,
                    "images": n_images,
                    "sktl img/s": n_images / t_sktl,
                    "hand img/s": n_images / t_hand,
                    "ratio": t_hand / t_sktl,
                    "GFLOP/img": gflop,
                    "sktl GFLOP/s": gflop * n_images / t_sktl,
                }
            )
            print(
                f"{name:9s} {tap:8s} {size:4d}px  sktl {rows[-1]['sktl img/s']:8.2f} img/s  "
                f"hand {rows[-1]['hand img/s']:8.2f} img/s  ratio {rows[-1]['ratio']:.3f}",
                flush=True,
            )
    return rows


HEAD = ["backbone", "tap", "px", "images", "sktl img/s", "hand img/s", "ratio", "GFLOP/img",
        "sktl GFLOP/s"]

# (sizes, images, repeats, matmul size) of each mode
MODES = {
    "full": ((64, 128, 224), 64, 3, 2048),
    "quick": ((64, 128, 224), 16, 2, 2048),
    "smoke": ((32,), 2, 1, 256),
}


def to_markdown(rows, peak) -> str:
    return markdown_table(
        HEAD + ["% of matmul peak"],
        [[r[h] for h in HEAD] + [f"{100 * r['sktl GFLOP/s'] / peak:.0f}%"] for r in rows],
    )


def main(argv=None) -> int:
    p = parser(__doc__.splitlines()[0], out="bench-out/featurizer")
    p.add_argument("--batch-size", type=int, default=16)
    args = p.parse_args(argv)
    sizes, n_images, repeats, n_matmul = MODES[common.mode(args)]
    peak = matmul_peak_gflops(n_matmul, repeats=1 if args.smoke else 5)
    threads = torch.get_num_threads()
    print(f"torch {torch.__version__}, {threads} threads, float32 matmul peak {peak:.1f} GFLOP/s")
    rows = run(sizes, n_images, args.batch_size, repeats, args.seed)
    table = to_markdown(rows, peak)
    write_markdown(
        args.out / "bench_featurizer.md",
        f"float32 matmul peak: {peak:.1f} GFLOP/s, threads: {threads}\n\n{table}",
    )
    write_json(
        args.out / "bench_featurizer.json",
        {"matmul_peak_gflops": peak, "threads": threads, "rows": rows},
    )
    print(table)
    worst = min(r["ratio"] for r in rows)
    print(f"worst ratio sktl/hand: {worst:.3f} (target >= 0.95)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
