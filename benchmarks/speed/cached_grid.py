"""How much faster is a head grid search with the frozen-feature cache, and where does time go?

A 3-fold x 4-point GridSearchCV (``head_dropout`` x ``lr``) of MultimodalRegressor (concat
fusion; ``--fusion stack``: the 15-network stack) on the embedded spinodal images, without a
cache and with one shared ``FeatureCache``, per backbone tap and n; and, in the same process,
one frozen-backbone pass (``featurize``), one cached ``head fit`` and the same network trained
by a bare torch loop (``plain loop``; ``head fit / plain loop`` is sktl's and skorch's
overhead). Writes ``<out>/cached_grid_<fusion>.md`` and ``.json``.

    python -m benchmarks.speed.cached_grid            # full: 2 taps x n=150,500, 224 px, 60 epochs
    python -m benchmarks.speed.cached_grid --quick    # lite0-stage5, n=150, 20 epochs
    python -m benchmarks.speed.cached_grid --smoke    # seconds, random net; numbers mean nothing
"""

from __future__ import annotations

import copy
import time

import numpy as np
import torch
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.preprocessing import StandardScaler

from benchmarks import common
from benchmarks.common import markdown_table, parser, write_json, write_markdown
from sktl import FeatureCache, MultimodalRegressor, PretrainedCNNFeaturizer, multimodal_input
from sktl.datasets import load_spinodal

TAPS = {
    "vgg19-pool4": dict(backbone="vgg19", layer="pool4", weights="vgg19_normalised"),
    "lite0-stage5": dict(backbone="efficientnet_lite0", layer="stage5", weights="imagenet"),
}
GRID = {"head_dropout": [0.0, 0.3], "lr": [1e-3, 3e-3]}
# defaults of --input-size, --epochs, --n, --taps in each mode; explicit flags override them
MODES = {
    "full": (224, 60, "150,500", ",".join(TAPS)),
    "quick": (224, 20, "150", "lite0-stage5"),
    "smoke": (32, 1, "12", "lite0-stage5"),
}


def plain_loop(model, features, D, Y, epochs, batch_size, lr, seed=0) -> float:
    """Seconds to train a fresh copy of the fitted model's network with a bare torch loop.

    ``features`` are the frozen image features of the same tap (the network's image input);
    both inputs are standardised as the model standardises them, so the loop sees what the
    model's network sees.
    """
    module = copy.deepcopy(model.net_.module_)  # same architecture; the cost does not
    # depend on where the weights start
    inputs = {
        "image": torch.from_numpy(StandardScaler().fit_transform(features).astype(np.float32)),
        "features": torch.from_numpy(StandardScaler().fit_transform(D).astype(np.float32)),
    }
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
    tap_kw = {**TAPS[tap], "weights": None} if args.smoke else TAPS[tap]  # smoke: random net
    lo, hi = float(images.min()), float(images.max())
    X = multimodal_input(images[:n], D[:n])
    Yn = Y[:n]
    common = dict(
        **tap_kw,
        input_size=args.input_size,
        intensity_range=(lo, hi),
        max_epochs=args.epochs,
        fusion=args.fusion,
        random_state=args.seed,
    )
    out = {}
    f = PretrainedCNNFeaturizer(
        **tap_kw, input_size=args.input_size, intensity_range=(lo, hi)
    )
    t = time.perf_counter()
    features = f.fit_transform(images[:n])
    out["featurize"] = time.perf_counter() - t
    cache = FeatureCache()  # one store, passed to the grid: its clones share it
    for name, given in (("uncached", None), ("cached", cache)):
        t = time.perf_counter()
        GridSearchCV(
            MultimodalRegressor(**common, cache=given),
            GRID,
            cv=KFold(3, shuffle=True, random_state=args.seed),
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
            model, features[tr], D[tr], Yn[tr], args.epochs, model.batch_size, model.lr, args.seed
        )
    out["speed-up"] = out["uncached"] / out["cached"]
    return out


def main(argv=None) -> int:
    p = parser(__doc__.splitlines()[0], out="bench-out/cached-grid")
    p.add_argument("--input-size", type=int, default=None, help="px (224; smoke: 32)")
    p.add_argument("--epochs", type=int, default=None, help="60 (quick: 20; smoke: 1)")
    p.add_argument("--fusion", default="concat", choices=["concat", "stack"])
    p.add_argument("--n", default=None, help="comma-separated n (150,500; quick: 150)")
    p.add_argument("--taps", default=None, help=f"comma-separated, of {', '.join(TAPS)}")
    args = p.parse_args(argv)
    mode = MODES[common.mode(args)]
    for key, default in zip(("input_size", "epochs", "n", "taps"), mode):
        if getattr(args, key) is None:
            setattr(args, key, default)
    torch.set_num_threads(1)
    data = load_spinodal()
    images = np.asarray(data.images, dtype=np.float32)
    D, Y = np.asarray(data.descriptors), np.asarray(data.targets)
    rows = {}
    for tap in args.taps.split(","):
        for n in (int(v) for v in args.n.split(",")):
            rows[f"{tap} n={n}"] = r = measure(tap, n, args, images, D, Y)
            print(f"{tap} n={n}: " + ", ".join(f"{k} {v:.2f}" for k, v in r.items()), flush=True)
    cols = ["uncached", "cached", "speed-up", "featurize", "head fit", "plain loop"]
    for r in rows.values():
        if "plain loop" in r:  # concat only
            r["head fit / plain loop"] = r["head fit"] / r["plain loop"]
    cols.append("head fit / plain loop")
    table = (
        f"3-fold x 4-point grid, {args.input_size} px, {args.epochs} epochs, "
        f"fusion={args.fusion} (seconds; speed-up = uncached / cached)\n\n"
        + markdown_table(
            ["tap, n"] + cols, [[key] + [r.get(c, float("nan")) for c in cols]
                                for key, r in rows.items()]
        )
    )
    write_markdown(args.out / f"cached_grid_{args.fusion}.md", table)
    write_json(args.out / f"cached_grid_{args.fusion}.json", rows)
    print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
