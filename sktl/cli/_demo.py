"""``sktl demo``: the main job on the embedded spinodal-decomposition sample.

Multimodal (image + process descriptors) against image-only and descriptor-only regressors,
with a pretrained ImageNet backbone that installs offline; prints the R2 table and writes
parity plots, loss curves and the table to an output folder.
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
    from ..plotting import plot_loss_curves, plot_parity

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
    plot_parity(Y[idx_test], predictions, target_names).savefig(out / "parity.png", dpi=110)
    plot_loss_curves(histories).savefig(out / "loss_curves.png", dpi=110)
    print(
        f"\nwrote {out}/r2_table.txt, r2_scores.json, parity.png, loss_curves.png "
        f"({time.perf_counter() - t0:.0f} s in all)"
    )
    return 0
