"""Streaming a large image set through PretrainedCNNFeaturizer: peak memory and throughput.

Writes ``--n`` synthetic 128x128 uint8 microstructures to a ``.npy`` file on disk (in chunks, so
making them never holds the set in memory), opens it as a read-only memmap and featurises it
with EfficientNet-Lite0 (offline ImageNet weights) in batches. Reports the peak resident set
size of the process (target < 2 GB for 20,000 images; the set itself is 330 MB on disk and
1.3 GB as float32) and images/s, as a ratio against featurising an in-memory array of the first
``--n-ref`` images in the same process. ``--files`` streams from one PNG per image instead.
Writes ``<out>/bench_memory_<memmap|files>.json`` and ``.md``.

    python -m benchmarks.speed.memory            # 20,000 images
    python -m benchmarks.speed.memory --quick    # 2,000 images
    python -m benchmarks.speed.memory --smoke    # 8 images, random weights; numbers mean nothing
"""

from __future__ import annotations

import resource
import tempfile
import time
from pathlib import Path

import numpy as np
from scipy import ndimage
from tqdm.auto import tqdm

from benchmarks.common import parser, write_json, write_markdown
from sktl import PretrainedCNNFeaturizer
from sktl.images import ImageFiles

SIZE = 128


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kB


def write_images(path: Path, n: int, chunk: int = 500, seed: int = 0) -> np.memmap:
    """Two-phase random microstructures (thresholded smoothed noise), written chunk by chunk."""
    out = np.lib.format.open_memmap(path, mode="w+", dtype=np.uint8, shape=(n, SIZE, SIZE))
    rng = np.random.default_rng(seed)
    for start in tqdm(range(0, n, chunk), desc="writing images", unit="chunk"):
        stop = min(start + chunk, n)
        noise = rng.normal(size=(stop - start, SIZE, SIZE)).astype(np.float32)
        sigma = rng.uniform(1.5, 5.0)
        field = ndimage.gaussian_filter(noise, sigma=(0, sigma, sigma), mode="wrap")
        out[start:stop] = (field > np.quantile(field, 0.5)).astype(np.uint8) * 255
    out.flush()
    del out
    return np.load(path, mmap_mode="r")


def write_pngs(folder: Path, images: np.memmap) -> ImageFiles:
    from PIL import Image

    paths = []
    for i in tqdm(range(len(images)), desc="writing PNGs", unit="img"):
        p = folder / f"{i:06d}.png"
        Image.fromarray(np.asarray(images[i])).save(p)
        paths.append(p)
    return ImageFiles(paths)


def main(argv=None) -> int:
    p = parser(__doc__.splitlines()[0], out="bench-out/memory")
    p.add_argument("--n", type=int, default=None,
                   help="images to stream (20,000; quick: 2,000; smoke: 8)")
    p.add_argument("--n-ref", type=int, default=None,
                   help="in-memory reference images (500; smoke: 4)")
    p.add_argument("--batch-size", type=int, default=None, help="64 (smoke: 4)")
    p.add_argument("--files", action="store_true", help="stream PNG files, not a memmap")
    args = p.parse_args(argv)
    n = args.n or (8 if args.smoke else 2000 if args.quick else 20000)
    args.n_ref = args.n_ref or (4 if args.smoke else 500)
    args.batch_size = args.batch_size or (4 if args.smoke else 64)
    weights = None if args.smoke else "imagenet"  # smoke: a random network, no weights to load

    with tempfile.TemporaryDirectory() as tmp:
        images = write_images(Path(tmp) / "images.npy", n, seed=args.seed)
        source = write_pngs(Path(tmp), images) if args.files else images
        rss_before = peak_rss_mb()

        feat = PretrainedCNNFeaturizer(
            backbone="efficientnet_lite0",
            weights=weights,
            batch_size=args.batch_size,
            verbose=1,
            random_state=args.seed,
        )
        ref = np.array(images[: args.n_ref])  # in memory: the baseline
        feat.fit(ref)
        feat.transform(ref[: args.batch_size])  # warm-up
        t0 = time.perf_counter()
        ref_out = feat.transform(ref)
        ref_rate = len(ref) / (time.perf_counter() - t0)

        t0 = time.perf_counter()
        out = feat.transform(source)
        stream_rate = n / (time.perf_counter() - t0)
        np.testing.assert_allclose(out[: args.n_ref], ref_out, rtol=1e-5, atol=1e-6)
        peak = peak_rss_mb()

    result = {
        "images": n,
        "image_size": SIZE,
        "source": "png files" if args.files else "npy memmap",
        "on_disk_mb": round(n * SIZE * SIZE / 2**20, 1),
        "as_float32_mb": round(n * SIZE * SIZE * 4 / 2**20, 1),
        "peak_rss_mb": round(peak, 1),
        "peak_rss_before_featurising_mb": round(rss_before, 1),
        "images_per_s_streamed": round(stream_rate, 1),
        "images_per_s_in_memory": round(ref_rate, 1),
        "ratio_streamed_over_in_memory": round(stream_rate / ref_rate, 3),
        "features": int(out.shape[1]),
    }
    report = "\n".join(f"- {k}: {v}" for k, v in result.items())
    tag = "files" if args.files else "memmap"
    write_json(args.out / f"bench_memory_{tag}.json", result)
    write_markdown(args.out / f"bench_memory_{tag}.md", report)
    print(report)
    if peak > 2048:
        print(f"WARNING: peak RSS {peak:.0f} MB is above the 2 GB target")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
