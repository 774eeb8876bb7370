"""``sktl demo``: the main job on the embedded spinodal-decomposition sample.

Multimodal (image + process descriptors) against image-only and descriptor-only regressors,
with a pretrained ImageNet backbone that installs offline; prints the R2 table and writes
parity plots, loss curves and the table to an output folder.

The multimodal stack's CV+ prediction intervals on the test third (``predict_interval``, no
extra fit) are printed per target (coverage at 80 % and 90 %, mean half-width at 90 %, beside
the RMSE) and written to ``intervals.json`` (coverage and mean half-width at every level) and
``calibration.png`` (coverage against level); ``parity.png`` draws the 90 % intervals as
error bars on the multimodal model's points.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from ._numeric_flags import SEED_RANGE, int_in


def add_parser(sub) -> None:
    p = sub.add_parser("demo", help="multimodal vs single-modality regressors on the embedded data")
    p.add_argument("--out", type=Path, default=Path("out/demo"), help="output folder")
    p.add_argument(
        "--backbone",
        default="efficientnet_lite0",
        help="pretrained backbone of the image branch (default: efficientnet_lite0)",
    )
    p.add_argument("--weights", default="imagenet", help="weight source (default: imagenet)")
    p.add_argument(
        "--layer",
        default="stage5",
        help="backbone tap feeding the image branch (default: stage5, a mid-level "
        "tap that beats the global pool on these fields)",
    )
    p.add_argument(
        "--max-epochs", type=int_in(1), default=60, help="training epochs, >= 1 (default: 60)"
    )
    p.add_argument(
        "--seed", type=int_in(*SEED_RANGE), default=0, help="random seed of split and models"
    )
    p.set_defaults(func=run)


def _r2_table(y_true, predictions, target_names) -> tuple[str, dict]:
    from sklearn.metrics import r2_score

    scores = {
        model: [float(r2_score(y_true[:, j], pred[:, j])) for j in range(y_true.shape[1])]
        for model, pred in predictions.items()
    }
    width = max(len(t) for t in target_names) + 2
    lines = ["target".ljust(width) + "".join(m.rjust(16) for m in scores)]
    for j, name in enumerate(target_names):
        lines.append(name.ljust(width) + "".join(f"{scores[m][j]:16.3f}" for m in scores))
    lines.append("mean".ljust(width) + "".join(f"{np.mean(scores[m]):16.3f}" for m in scores))
    return "\n".join(lines), scores


#: Confidence levels of the intervals the demo reports; the table shows 80 % and 90 %.
LEVELS = (0.5, 0.6, 0.7, 0.8, 0.9, 0.95)


def _interval_table(y_true, y_pred, y_pis, target_names) -> tuple[str, dict]:
    """Per target: RMSE, coverage at each level, mean half-width at each level."""
    inside = (y_pis[:, 0] <= y_true[:, None]) & (y_true[:, None] <= y_pis[:, 1])  # (n, L, T)
    coverage = inside.mean(axis=0)
    half_width = ((y_pis[:, 1] - y_pis[:, 0]) / 2).mean(axis=0)
    rmse = np.sqrt(((y_true - y_pred) ** 2).mean(axis=0))
    k80, k90 = LEVELS.index(0.8), LEVELS.index(0.9)
    width = max(len(t) for t in target_names) + 2
    header = ["RMSE", "coverage 80%", "coverage 90%", "half-width 90%"]
    lines = ["target".ljust(width) + "".join(h.rjust(16) for h in header)]
    for j, name in enumerate(target_names):
        row = (rmse[j], coverage[k80, j], coverage[k90, j], half_width[k90, j])
        lines.append(name.ljust(width) + "".join(f"{v:16.3f}" for v in row))
    report = {
        name: {
            "rmse": float(rmse[j]),
            "coverage": [float(c) for c in coverage[:, j]],
            "mean_half_width": [float(w) for w in half_width[:, j]],
        }
        for j, name in enumerate(target_names)
    }
    return "\n".join(lines), report


def run(args) -> int:
    from sklearn.model_selection import train_test_split

    from .. import (
        DMTLR_PAPER,
        DescriptorRegressor,
        FeatureCache,
        ImageRegressor,
        MultimodalRegressor,
        multimodal_input,
    )
    from ..datasets import load_spinodal
    from ..plotting import plot_calibration, plot_loss_curves, plot_parity

    t0 = time.perf_counter()
    data = load_spinodal()
    images = np.asarray(data.images, dtype=np.float32)
    D = np.asarray(data.descriptors, dtype=np.float64)
    Y = np.asarray(data.targets, dtype=np.float64)
    target_names = list(data.target_names)
    print(
        f"embedded spinodal sample: {len(images)} images {images.shape[1:]}, "
        f"{D.shape[1]} descriptors, {Y.shape[1]} targets"
    )
    idx_train, idx_test = train_test_split(
        np.arange(len(images)), test_size=1 / 3, random_state=args.seed
    )
    # one fixed pixel scale for every image: the physical composition range of the sample
    lo, hi = float(images.min()), float(images.max())
    X = multimodal_input(images, D)
    image = dict(
        backbone=args.backbone,
        layer=args.layer,
        weights=args.weights,
        intensity_range=(lo, hi),
        random_state=args.seed,
        cache=FeatureCache(),  # the three image models featurise each image once between them
    )
    train = dict(max_epochs=args.max_epochs, weight_decay=1e-3)
    models = {
        "multimodal": MultimodalRegressor(**image, **train),  # the default: the stack
        "DMTL-R (paper)": MultimodalRegressor(**{**DMTLR_PAPER, **image, **train}),
        "image-only": ImageRegressor(**image, **train),
        "descriptor-only": DescriptorRegressor(**train, random_state=args.seed),
    }
    predictions, histories = {}, {}
    for name, model in models.items():
        t = time.perf_counter()
        model.fit(X[idx_train], Y[idx_train])
        predictions[name] = model.predict(X[idx_test])
        # a stack trains 3 networks per fold: draw the first (the joint net of fold 0)
        histories[name] = [
            r for r in model.history_ if r.get("phase", "joint/fold0") == "joint/fold0"
        ]
        print(f"  fitted {name:16s} in {time.perf_counter() - t:6.1f} s")
    table, scores = _r2_table(Y[idx_test], predictions, target_names)
    print(
        f"\nR2 on the held-out third ({len(idx_test)} samples), backbone {args.backbone} "
        f"at {args.layer} ({args.weights}):\n{table}"
    )
    # CV+ intervals of the stack from its fold models (no fit)
    _, y_pis = models["multimodal"].predict_interval(X[idx_test], confidence_level=LEVELS)
    interval_table, interval_report = _interval_table(
        Y[idx_test], predictions["multimodal"], y_pis, target_names
    )
    print(f"\nmultimodal CV+ intervals on the held-out third:\n{interval_table}")

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "r2_table.txt").write_text(table + "\n")
    (out / "r2_scores.json").write_text(
        json.dumps(
            {
                "backbone": args.backbone,
                "weights": args.weights,
                "targets": target_names,
                "r2": scores,
            },
            indent=2,
        )
    )
    (out / "intervals.json").write_text(
        json.dumps(
            {
                "model": "multimodal",
                "method": "CV+ (predict_interval)",
                "n_test": len(idx_test),
                "confidence_levels": list(LEVELS),
                "targets": interval_report,
            },
            indent=2,
        )
    )
    k90 = LEVELS.index(0.9)
    parity = plot_parity(
        Y[idx_test], predictions, target_names, intervals={"multimodal": y_pis[:, :, k90]}
    )
    parity.suptitle("bars: the multimodal model's 90 % CV+ intervals", fontsize=9)
    parity.tight_layout()
    parity.savefig(out / "parity.png", dpi=110)
    plot_calibration(Y[idx_test], y_pis, LEVELS, target_names=target_names).savefig(
        out / "calibration.png", dpi=110
    )
    plot_loss_curves(histories).savefig(out / "loss_curves.png", dpi=110)
    print(
        f"\nwrote {out}/r2_table.txt, r2_scores.json, intervals.json, parity.png, "
        f"calibration.png, loss_curves.png ({time.perf_counter() - t0:.0f} s in all)"
    )
    return 0
