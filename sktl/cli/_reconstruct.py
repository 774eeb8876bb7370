"""``sktl reconstruct``: Li et al. (2018) reconstructions of a labelled microstructure image.

Writes the samples (NPY and PNG), a side-by-side panel, S2 and lineal-path curve plots and a
report (JSON and text) of the error rates against the input.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from ..reconstruction import PRESETS
from ._label_images import as_grey_levels, read_label_image
from ._numeric_flags import (
    SEED_RANGE,
    comma_ints,
    int_in,
    reconstructor_number,
    sample_shape,
)


def _number(parser, flag: str, name: str, help: str, default=None) -> None:
    """A numeric flag checked at parse time against the reconstructor's ``name`` constraint."""
    parser.add_argument(flag, type=reconstructor_number(name), default=default, help=help)


def _n_slices(value: str):
    """``--n-slices``: a positive int, one int >= 0 per level ("8,8,2"; the estimator checks
    the list at fit), or "all" (every slice: ``n_slices=None``)."""
    if value == "all":
        return "all"
    if "," not in value:
        return reconstructor_number("n_slices")(value)
    counts = comma_ints(value, "'all', an integer or integers joined by commas")
    if min(counts) < 0:
        raise argparse.ArgumentTypeError(f"expected counts >= 0, got {value!r}")
    return counts


def _max_iter(value: str):
    """``--max-iter``: iterations of every level, or one count per level ("60,60,30")."""
    counts = [reconstructor_number("max_iter")(v.strip()) for v in value.split(",")]
    return counts[0] if len(counts) == 1 else tuple(counts)


def add_parser(sub) -> None:
    p = sub.add_parser(
        "reconstruct",
        help="reconstruct statistically equivalent microstructures, 2-D or 3-D (Li et al. 2018)",
    )
    p.add_argument(
        "input",
        type=Path,
        nargs="+",
        help="labelled image: .npy, .png or .tif; for a volume, one image (isotropic) or the "
        "three orthogonal planes (normal to axes 0, 1, 2)",
    )
    _number(p, "--n", "n_samples", "number of samples (default: 4)", default=4)
    _number(p, "--size", "size", "side of square samples (default: input's)")
    p.add_argument(
        "--shape",
        type=sample_shape,
        default=None,
        help="sample shape H,W or a volume D,H,W (e.g. 64,64,64); overrides --size",
    )
    p.add_argument("--out", type=Path, default=Path("out/reconstruct"), help="output folder")
    p.add_argument(
        "--preset",
        default=None,
        choices=sorted(PRESETS),
        help="parameter set (default: sktl, the best method, or sktl_volume for a 3-D "
        "--shape; li2018: the paper's)",
    )
    p.add_argument(
        "--max-iter",
        type=_max_iter,
        default=None,
        help="iterations per level, or one count per level, coarsest first (e.g. 60,60,30)",
    )
    p.add_argument(
        "--layers",
        default="auto",
        help="comma-separated VGG19 taps; 'auto' (default) keeps the preset's taps whose "
        "receptive field fits the input and the samples",
    )
    p.add_argument("--vgg-pooling", choices=["max", "avg"], default=None, help="VGG19 pooling")
    p.add_argument("--padding", choices=["zeros", "circular"], default=None, help="conv padding")
    _number(
        p,
        "--n-levels",
        "n_levels",
        "coarse-to-fine levels (without --n-slices, a preset's slice counts follow: its "
        "coarsest count at every level but the finest)",
    )
    _number(
        p,
        "--n-phases",
        "n_phases",
        "number of phases; grey images with more grey levels are quantised into N phases",
    )
    p.add_argument(
        "--directional-s2",
        choices=["auto", "on", "off"],
        default=None,
        help="match S2 at every lag, direction included: auto (sktl) weighs the directions by "
        "how well they hold from one quadrant of the input to another; off: averaged",
    )
    p.add_argument(
        "--n-slices",
        type=_n_slices,
        default=None,
        help="slices per axis of a volume the Gram loss scores per evaluation, or one count "
        "per level, coarsest first, 0: no Gram loss at that level (sktl_volume: 8,8,2); "
        "'all': every slice",
    )
    _number(p, "--s2-weight", "s2_weight", "weight of the S2 loss term")
    _number(p, "--lineal-path-weight", "lineal_path_weight", "weight of the lineal-path term")
    p.add_argument(
        "--anneal",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="anneal the samples to the input's volume fractions (default: the preset's)",
    )
    p.add_argument("--vtk", action="store_true", help="also write volumes as .vtk (3-D only)")
    p.add_argument("--tiff", action="store_true", help="also write volumes as TIFF stacks (3-D)")
    _number(
        p,
        "--time-budget",
        "time_budget",
        "seconds the sampling may take; when they run out, every sample is returned as far as "
        "it got (report.json says which are unfinished)",
    )
    p.add_argument("--seed", type=int_in(*SEED_RANGE), default=0, help="random seed (default: 0)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=run)


def _auto_layers(preset: str, n_levels, side: int) -> tuple:
    """The preset's taps whose receptive field, at the coarsest level, fits ``side``."""
    from ..backbones import receptive_field

    settings = PRESETS[preset]
    levels = settings["n_levels"] if n_levels is None else n_levels
    coarse = side >> (levels - 1)
    layers = tuple(t for t in settings["layers"] if receptive_field("vgg19", t) <= coarse)
    if not layers:
        raise ValueError(
            f"images of {side} px are too small for any VGG19 tap at {levels} level(s); "
            "use --n-levels 1 or a larger image"
        )
    return layers


def _parse_shape(args, img):
    if args.shape:
        return args.shape
    return (args.size, args.size) if args.size else tuple(img.shape)


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


def _write_volume(out: Path, name: str, vol: np.ndarray, args) -> None:
    """A volume as .npy, optionally as legacy VTK (structured points) and a TIFF stack."""
    np.save(out / f"{name}.npy", vol)
    if args.vtk:
        d, h, w = vol.shape
        header = (
            "# vtk DataFile Version 3.0\nsktl reconstruct\nBINARY\nDATASET STRUCTURED_POINTS\n"
            f"DIMENSIONS {w} {h} {d}\nORIGIN 0 0 0\nSPACING 1 1 1\nPOINT_DATA {vol.size}\n"
            "SCALARS phase int 1\nLOOKUP_TABLE default\n"
        )
        with open(out / f"{name}.vtk", "wb") as f:  # VTK legacy binary is big-endian, x fastest
            f.write(header.encode("ascii"))
            f.write(np.ascontiguousarray(vol, dtype=">i4").tobytes())
            f.write(b"\n")
    if args.tiff:
        try:
            import tifffile
        except ImportError:
            raise ValueError("--tiff needs tifffile: pip install tifffile") from None
        tifffile.imwrite(out / f"{name}.tif", vol.astype(np.uint8 if vol.max() < 256 else np.int32))


def _volume_report(model, samples, exemplars):
    """Per-axis error rates of each volume's slices against the exemplar(s) of that axis."""
    from ..descriptors import slice_error_rates

    per_axis = exemplars if len(exemplars) == 3 else exemplars[:1]
    shown = model.phases_[-1:] if len(model.phases_) == 2 else model.phases_
    errs = {}
    for desc in ("s2", "lineal_path"):
        rates = {
            int(p): np.array([
                slice_error_rates(v, per_axis, desc, p, periodic=False) for v in samples
            ])
            for p in shown
        }  # phase -> (n_samples, 3)
        errs[desc] = {
            str(axis): {str(p): r[:, axis].tolist() for p, r in rates.items()}
            for axis in range(3)
        }
    return errs


def _slice_panel(out, vol, phases):
    from ..plotting import new_figure

    fig = new_figure((7.5, 7.5))
    axes = fig.subplots(3, 3)
    for axis in range(3):
        n = vol.shape[axis]
        for j, k in enumerate((n // 4, n // 2, 3 * n // 4)):
            im = np.take(vol, k, axis=axis)
            ax = axes[axis, j]
            ax.imshow(np.searchsorted(phases, im), cmap="viridis", vmin=0,
                      vmax=len(phases) - 1, interpolation="none")
            ax.set_title(f"axis {axis}, slice {k}", fontsize=8)
            ax.axis("off")
    fig.tight_layout()
    fig.savefig(out / "slices.png", dpi=110)


def run(args) -> int:
    from PIL import Image

    from ..descriptors import phase_error_rates
    from ..reconstruction import MicrostructureReconstructor

    if len(args.input) not in (1, 3):
        raise ValueError(f"give one input image or three (orthogonal planes), got {len(args.input)}")
    images = [read_label_image(path) for path in args.input]
    images = as_grey_levels(images, args.input, args.n_phases)
    shape = _parse_shape(args, images[0])
    if args.preset is None:
        args.preset = "sktl_volume" if len(shape) == 3 else "sktl"
    if (args.vtk or args.tiff) and len(shape) != 3:
        raise ValueError("--vtk and --tiff write volumes: give --shape D,H,W")
    if args.layers == "auto":
        side = min(min(shape), *(min(im.shape) for im in images))
        layers = _auto_layers(args.preset, args.n_levels, side)
    else:
        layers = tuple(t.strip() for t in args.layers.split(",") if t.strip())
    flags = dict(
        layers=layers,
        max_iter=args.max_iter,
        vgg_pooling=args.vgg_pooling,
        padding=args.padding,
        n_levels=args.n_levels,
        n_slices=args.n_slices,  # "all": every slice, None below
        s2_weight=args.s2_weight,
        lineal_path_weight=args.lineal_path_weight,
        directional_s2={"auto": "auto", "on": True, "off": False}.get(args.directional_s2),
        match_volume_fraction=args.anneal,
    )  # unset flags (None) keep the preset's settings
    flags = {k: v for k, v in flags.items() if v is not None}  # unset: the preset's
    if flags.get("n_slices") == "all":
        flags["n_slices"] = None
    preset_slices = PRESETS[args.preset]["n_slices"]
    if "n_levels" in flags and "n_slices" not in flags and isinstance(preset_slices, tuple):
        # the preset's counts per level, for another number of levels: its coarsest count
        # at every level but the finest, which keeps the preset's finest count
        n, coarse, finest = flags["n_levels"], preset_slices[0], preset_slices[-1]
        flags["n_slices"] = (coarse,) * (n - 1) + ((finest,) if n > 1 else (coarse,))
    model = MicrostructureReconstructor(
        **{**PRESETS[args.preset], **flags},
        n_phases=args.n_phases,
        random_state=args.seed,
        n_threads=1,  # the command owns its process; one thread is the fastest per sample
        verbose=0 if args.quiet else 1,
        time_budget=args.time_budget,
    )
    t0 = time.perf_counter()
    model.fit(images if len(images) == 3 else images[0])
    samples = model.sample(args.n, shape=shape, random_state=args.seed)
    exemplars = model.exemplar_labels_  # grey images quantised exactly as fit did
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    settings = {k: list(v) if isinstance(v, tuple) else v for k, v in model.settings_.items()}
    report = {
        "input": [str(p) for p in args.input],
        "input_shape": [list(im.shape) for im in images],
        "sample_shape": list(shape),
        "n_samples": args.n,
        "preset": args.preset,
        "settings": settings,
        "layers": list(model.layers_),
        "s2_weight": settings["s2_weight"],
        "lineal_path_weight": settings["lineal_path_weight"],
        "annealed": settings["match_volume_fraction"],
        "phases": model.phases_.tolist(),
        "volume_fractions_input": model.volume_fractions_.tolist(),
        "volume_fractions_samples": [
            [float(np.mean(s == p)) for p in model.phases_] for s in samples
        ],
        "seconds_per_sample": model.sample_times_,
        "loss_reduction": [
            float(h[0] / max(h[-1], 1e-30)) if len(h) else None for h in model.loss_history_
        ],  # None: a sample the time budget never started
        "time_budget": args.time_budget,
        "time_budget_exhausted": model.time_budget_exhausted_,
        "unfinished_samples": {str(i): at for i, at in model.unfinished_samples_.items()},
        "error_rate_percent": {},
    }
    kind = "volumes" if len(shape) == 3 else "samples"
    lines = [
        f"sktl reconstruct {' '.join(map(str, args.input))}: {args.n} {kind} of "
        f"{' x '.join(map(str, shape))} px, preset {args.preset}, layers {', '.join(model.layers_)}",
        "",
    ]
    if len(shape) == 3:
        for i, vol in enumerate(samples):
            _write_volume(out, f"volume_{i + 1}", vol, args)
            for axis in range(3):
                for k in (vol.shape[axis] // 4, vol.shape[axis] // 2, 3 * vol.shape[axis] // 4):
                    im = np.take(vol, k, axis=axis)
                    Image.fromarray(_to_png(im, model.phases_)).save(
                        out / f"volume_{i + 1}_axis{axis}_slice{k}.png"
                    )
        np.save(out / "samples.npy", samples)
        report["error_rate_percent"] = _volume_report(model, samples, exemplars)
        for desc, per_axis in report["error_rate_percent"].items():
            for axis, per_phase in per_axis.items():
                for p, e in per_phase.items():
                    lines.append(
                        f"{desc:12s} axis {axis} slices, phase {p}: error {np.mean(e):6.2f} % "
                        f"+- {np.std(e):5.2f} %"
                    )
        _slice_panel(out, samples[0], model.phases_)
        wrote = "volume_<i>.npy" + (", .vtk" if args.vtk else "") + (", .tif" if args.tiff else "")
        wrote += ", slice PNGs, slices.png"
    else:
        for i, s in enumerate(samples):
            np.save(out / f"sample_{i + 1}.npy", s)
            Image.fromarray(_to_png(s, model.phases_)).save(out / f"sample_{i + 1}.png")
        np.save(out / "samples.npy", samples)
        for desc in ("s2", "lineal_path"):
            errs = phase_error_rates(exemplars[0], samples, desc, model.phases_, periodic=False)
            report["error_rate_percent"][desc] = {str(p): e.tolist() for p, e in errs.items()}
            for p, e in errs.items():
                lines.append(f"{desc:12s} phase {p}: error {e.mean():6.2f} % +- {e.std():5.2f} %")
        _plots(out, exemplars[0], samples, model.phases_)
        wrote = "samples, panel.png, s2.png, lineal_path.png"
    if model.time_budget_exhausted_:
        lines.append(
            f"\ntime budget of {args.time_budget:g} s ran out: unfinished samples (from 0) "
            + ", ".join(f"{i} ({at})" for i, at in model.unfinished_samples_.items())
        )
    lines.append(f"\n{time.perf_counter() - t0:.0f} s in all")
    text = "\n".join(lines)
    (out / "report.json").write_text(json.dumps(report, indent=2))
    (out / "report.txt").write_text(text + "\n")
    print(text)
    print(f"wrote {wrote} and report.json/.txt to {out}")
    return 0
