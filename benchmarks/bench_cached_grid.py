"""How much faster is a head grid search with the frozen-feature cache, and where does time go?

A 3-fold x 4-point GridSearchCV (``head_dropout`` x ``lr``) of MultimodalRegressor on the
embedded spinodal images resized to ``--input-size``, without a cache and with one fresh
``FeatureCache`` passed to the grid (its clones share it), for each backbone tap and n. Also, in the same process:

* ``featurize``: one pass of the frozen backbone over the n images (what every uncached fit
  repeats);
* ``head fit``: one fit of the model on 2/3 of the rows with the features already cached;
* ``plain loop``: the same network trained by a bare torch loop (Adam, same batches and
  epochs) on the same tensors: the floor of a head fit. ``head fit / plain loop`` is the
  overhead of sktl and skorch.

The model is the concatenation network (``fusion="concat"``) with the default layer sizes;
``--fusion stack`` times the default stack instead (15 networks per fit).

Example
-------
    python benchmarks/bench_cached_grid.py --out bench-out/cached-grid
"""

from __future__ import annotations

import argparse
import copy
import json
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.model_selection import GridSearchCV, KFold

from sktl import FeatureCache, MultimodalRegressor, PretrainedCNNFeaturizer, multimodal_input
from sktl.datasets import load_spinodal

TAPS = {
    "vgg19-pool4": dict(backbone="vgg19", layer="pool4", weights="vgg19_normalised"),
    "lite0-stage5": dict(backbone="efficientnet_lite0", layer="stage5", weights="imagenet"),
}
GRID = {"head_dropout": [0.0, 0.3], "lr": [1e-3, 3e-3]}


def plain_loop(model, X, Y, epochs, batch_size, lr, seed=0) -> float:
    """Seconds to train a fresh copy of the fitted model's network with a bare torch loop."""
    module = copy.deepcopy(model.net_.module_)  # same architecture; the cost does not
    # depend on where the weights start
    inputs = {k: torch.from_numpy(v) for k, v in model._net_inputs(*model._split(X, False)).items()}
    target = torch.from_numpy(model.y_scaler_.transform(Y).astype(np.float32))
    opt = torch.optim.Adam(module.parameters(), lr=lr)
    g = torch.Generator().manual_seed(seed)
    t = time.perf_counter()
    module.train()
    for _ in range(epochs):
        perm = torch.randperm(len(target), generator=g)
        for b in range(0, len(target), batch_size):
            idx = perm[b : b + batch_size]
            opt.zero_grad()
            out = module(**{k: v[idx] for k, v in inputs.items()})
            torch.nn.functional.mse_loss(out, target[idx]).backward()
            opt.step()
    return time.perf_counter() - t


def measure(tap, n, args, images, D, Y):
    lo, hi = float(images.min()), float(images.max())
    X = multimodal_input(images[:n], D[:n])
    Yn = Y[:n]
    common = dict(
        **TAPS[tap],
        input_size=args.input_size,
        intensity_range=(lo, hi),
        max_epochs=args.epochs,
        fusion=args.fusion,
        random_state=0,
    )
    out = {}
    f = PretrainedCNNFeaturizer(
        **TAPS[tap], input_size=args.input_size, intensity_range=(lo, hi)
    )
    t = time.perf_counter()
    f.fit_transform(images[:n])
    out["featurize"] = time.perf_counter() - t
    cache = FeatureCache()  # one store, passed to the grid: its clones share it
    for name, given in (("uncached", None), ("cached", cache)):
        t = time.perf_counter()
        GridSearchCV(
            MultimodalRegressor(**common, cache=given),
            GRID,
            cv=KFold(3, shuffle=True, random_state=0),
        ).fit(X, Yn)
        out[name] = time.perf_counter() - t
    tr = np.arange(n)[: 2 * n // 3]
    model = MultimodalRegressor(**common, cache=cache)
    model.fit(X[tr], Yn[tr])  # features of these rows are cached by the grid above
    t = time.perf_counter()
    model.fit(X[tr], Yn[tr])
    out["head fit"] = time.perf_counter() - t
    if args.fusion == "concat":
        out["plain loop"] = plain_loop(
            model, X[tr], Yn[tr], args.epochs, model.batch_size, model.lr
        )
    out["speed-up"] = out["uncached"] / out["cached"]
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, default=Path("bench-out/cached-grid"))
    p.add_argument("--input-size", type=int, default=224)
    p.add_argument("--epochs", type=int, default=60)
    p.add_argument("--fusion", default="concat", choices=["concat", "stack"])
    p.add_argument("--n", default="150,500")
    p.add_argument("--taps", default=",".join(TAPS))
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    data = load_spinodal()
    images = np.asarray(data.images, dtype=np.float32)
    D, Y = np.asarray(data.descriptors), np.asarray(data.targets)
    args.out.mkdir(parents=True, exist_ok=True)
    rows = {}
    for tap in args.taps.split(","):
        for n in (int(v) for v in args.n.split(",")):
            rows[f"{tap} n={n}"] = r = measure(tap, n, args, images, D, Y)
            print(f"{tap} n={n}: " + ", ".join(f"{k} {v:.2f}" for k, v in r.items()), flush=True)
    cols = ["uncached", "cached", "speed-up", "featurize", "head fit", "plain loop"]
    lines = [
        f"3-fold x 4-point grid, {args.input_size} px, {args.epochs} epochs, fusion={args.fusion} "
        "(seconds; speed-up = uncached / cached)",
        "",
        "| tap, n | " + " | ".join(cols) + " | head fit / plain loop |",
        "|---" * (len(cols) + 2) + "|",
    ]
    for key, r in rows.items():
        ratio = r["head fit"] / r["plain loop"] if "plain loop" in r else float("nan")
        lines.append(
            f"| {key} | "
            + " | ".join(f"{r.get(c, float('nan')):.2f}" for c in cols)
            + f" | {ratio:.2f} |"
        )
    table = "\n".join(lines)
    (args.out / f"cached_grid_{args.fusion}.md").write_text(table + "\n")
    (args.out / f"cached_grid_{args.fusion}.json").write_text(json.dumps(rows, indent=1))
    print(table)


if __name__ == "__main__":
    main()
