"""``sktl reconstruct``: Li et al. (2018) reconstructions of a labelled microstructure image.

Writes the samples (NPY and PNG), a side-by-side panel, S2 and lineal-path curve plots and a
report (JSON and text) of the error rates against the input.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np


def add_parser(sub) -> None:
    p = sub.add_parser(
        "reconstruct",
        help="reconstruct statistically equivalent microstructures (Li et al. 2018)",
    )
    p.add_argument("input", type=Path, help="labelled image: .npy, .png or .tif")
    p.add_argument("--n", type=int, default=4, help="number of samples (default: 4)")
    p.add_argument("--size", type=int, default=None, help="side of the samples (default: input's)")
    p.add_argument("--out", type=Path, default=Path("out/reconstruct"), help="output folder")
    p.add_argument("--max-iter", type=int, default=300, help="L-BFGS-B iterations per sample")
    p.add_argument(
        "--layers",
        default="auto",
        help="comma-separated VGG19 taps; 'auto' (default) keeps those of conv1_1, pool1..pool4 "
        "whose receptive field fits the input and the samples",
    )
    p.add_argument("--n-phases", type=int, default=None, help="quantise grey images into N phases")
    p.add_argument(
        "--s2-weight", type=float, default=0.0, help="S2 term of the loss (default 0: the paper's)"
    )
    p.add_argument(
        "--lineal-path-weight", type=float, default=0.0, help="lineal-path term of the loss"
    )
    p.add_argument(
        "--no-anneal",
        action="store_true",
        help="keep the decoded volume fractions (no annealing to the input's)",
    )
    p.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=run)


def read_image(path: Path) -> np.ndarray:
    """A 2-D array from .npy, or from an image file (colour images are converted to grey)."""
    path = Path(path)
    if not path.is_file():
        raise OSError(f"input file {path} does not exist")
    try:
        if path.suffix.lower() == ".npy":
            img = np.load(path, allow_pickle=False)
        else:
            from PIL import Image

            with Image.open(path) as im:
                img = np.asarray(im.convert("L") if im.mode in ("RGB", "RGBA", "P") else im)
    except Exception as exc:  # noqa: BLE001 - any reader failure becomes one clear message
        raise ValueError(f"cannot read {path}: {exc}") from None
    img = np.squeeze(img)
    if img.ndim != 2:
        raise ValueError(f"{path} holds an array of shape {img.shape}; a 2-D image is needed")
    return img


def _auto_layers(side: int) -> tuple:
    from ..backbones import receptive_field
    from ..reconstruction import DEFAULT_LAYERS

    layers = tuple(t for t in DEFAULT_LAYERS if receptive_field("vgg19", t) <= side)
    if not layers:
        raise ValueError(f"images of {side} px are too small for any VGG19 tap")
    return layers


def _to_png(labels: np.ndarray, phases: np.ndarray) -> np.ndarray:
    """Phase indices spread over 0..255 so the PNG is viewable."""
    idx = np.searchsorted(phases, labels)
    return (idx * (255 // max(len(phases) - 1, 1))).astype(np.uint8)


def _plots(out, img, samples, phases):
    from ..descriptors import phase_curves
    from ..plotting import new_figure  # no pyplot: the process's backend stays untouched

    n = len(samples) + 1
    fig = new_figure((2.4 * n, 2.6))
    axes = fig.subplots(1, n, squeeze=False)
    titles = ["input"] + [f"sample {i + 1}" for i in range(n - 1)]
    for ax, im, title in zip(axes[0], [img, *samples], titles, strict=True):
        ax.imshow(
            np.searchsorted(phases, im),
            cmap="viridis",
            vmin=0,
            vmax=len(phases) - 1,
            interpolation="none",
        )
        ax.set_title(title, fontsize=9)
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(out / "panel.png", dpi=110)
    shown = phases[-1:] if len(phases) == 2 else phases
    for desc, ylabel in (("s2", "S2(r)"), ("lineal_path", "L(r)")):
        fig = new_figure((4.5, 3.2))
        ax = fig.subplots()
        ref = phase_curves(img, desc, shown, periodic=False)
        for k, p in enumerate(shown):
            ax.plot(ref[int(p)], color=f"C{k}", lw=2, label=f"input, phase {p}")
            for j, s in enumerate(samples):
                cur = phase_curves(s, desc, [p], periodic=False)[int(p)]
                ax.plot(
                    cur,
                    color=f"C{k}",
                    lw=0.8,
                    ls="--",
                    label="samples" if j == 0 and k == 0 else None,
                )
        ax.set_xlabel("r (px)")
        ax.set_ylabel(ylabel)
        ax.legend(fontsize=7)
        fig.tight_layout()
        fig.savefig(out / f"{desc}.png", dpi=110)


def run(args) -> int:
    from PIL import Image

    from ..descriptors import phase_error_rates
    from ..reconstruction import MicrostructureReconstructor

    if args.n < 1:
        raise ValueError(f"--n must be >= 1, got {args.n}")
    img = read_image(args.input)
    size = args.size or min(img.shape)
    if args.layers == "auto":
        layers = _auto_layers(min(size, *img.shape))
    else:
        layers = tuple(t.strip() for t in args.layers.split(",") if t.strip())
    model = MicrostructureReconstructor(
        layers=layers,
        max_iter=args.max_iter,
        n_phases=args.n_phases,
        s2_weight=args.s2_weight,
        lineal_path_weight=args.lineal_path_weight,
        match_volume_fraction=not args.no_anneal,
        random_state=args.seed,
        verbose=0 if args.quiet else 1,
    )
    t0 = time.perf_counter()
    model.fit(img)
    shape = (size, size) if args.size else model.image_shape_
    samples = model.sample(args.n, shape=shape)
    labels = model.exemplar_labels_[0]  # grey images quantised exactly as fit did
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for i, s in enumerate(samples):
        np.save(out / f"sample_{i + 1}.npy", s)
        Image.fromarray(_to_png(s, model.phases_)).save(out / f"sample_{i + 1}.png")
    np.save(out / "samples.npy", samples)
    report = {
        "input": str(args.input),
        "input_shape": list(img.shape),
        "sample_shape": list(shape),
        "n_samples": args.n,
        "layers": list(layers),
        "s2_weight": args.s2_weight,
        "lineal_path_weight": args.lineal_path_weight,
        "annealed": not args.no_anneal,
        "phases": model.phases_.tolist(),
        "volume_fractions_input": model.volume_fractions_.tolist(),
        "volume_fractions_samples": [
            [float(np.mean(s == p)) for p in model.phases_] for s in samples
        ],
        "seconds_per_sample": model.sample_times_,
        "loss_reduction": [float(h[0] / max(h[-1], 1e-30)) for h in model.loss_history_],
        "error_rate_percent": {},
    }
    lines = [
        f"sktl reconstruct {args.input}: {args.n} samples of {shape[0]} x {shape[1]} px, "
        f"layers {', '.join(layers)}",
        "",
    ]
    for desc in ("s2", "lineal_path"):
        errs = phase_error_rates(labels, samples, desc, model.phases_, periodic=False)
        report["error_rate_percent"][desc] = {str(p): e.tolist() for p, e in errs.items()}
        for p, e in errs.items():
            lines.append(f"{desc:12s} phase {p}: error {e.mean():6.2f} % +- {e.std():5.2f} %")
    lines.append(f"\n{time.perf_counter() - t0:.0f} s in all")
    text = "\n".join(lines)
    (out / "report.json").write_text(json.dumps(report, indent=2))
    (out / "report.txt").write_text(text + "\n")
    _plots(out, labels, samples, model.phases_)
    print(text)
    print(f"wrote samples, panel.png, s2.png, lineal_path.png and report.json/.txt to {out}")
    return 0
