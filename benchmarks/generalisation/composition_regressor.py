"""CompositionRegressor against its members, the 1.0 recipe and the forests, with learning curves.

For each set of :mod:`benchmarks.composition_sets` and each n in ``--n-train``, ``--splits``
subsamples of the pool (split s draws its rows with seed s; n = all uses every row, once)
train the models, scored on the set's test split (``--split test``) or, for the design sets,
on a validation part of the pool (``--split val``, the split that chose the defaults).

Rows of one fit of ``CompositionRegressor()`` (no extra fits):

- ``CompositionRegressor()``: the default;
- ``blend=greedy`` / ``blend=nnls``: both blends of the same out-of-fold predictions;
- ``without networks``: the default's blend of the forests and boosting only; ``without
  NAME``: the default's blend without that network member (``refit_blend``: no refit);
- ``member: NAME``: each member alone (the mean of its fold models);
- the best member chosen afterwards on the test split is a table column;
- the default's CV+ intervals (``predict_interval``) at 80 and 90 %: test coverage, mean
  half-width, beside the RMSE.

Separate fits (``--models``): ``rf``, ``RF fractions`` (300 trees on the 86 fractions, all
rows: the baseline the default must never lose to); ``recipe``, the 1.0 recipe (0.7 x the mean
of three fine-tuned source networks + 0.3 x boosting on property statistics); ``hyperopt``,
``HyperoptRegressor`` (50 trials on property statistics).

Results go to ``OUT/results.jsonl`` as they finish (a rerun resumes); ``--table`` writes
``OUT/table-SPLIT.md`` and ``OUT/learning-curves-SPLIT.png``: test MAE per set and n (mean ± 95 % half-width over splits), fit time,
and the paired difference of the default to ``RF fractions``.

    python -m benchmarks.generalisation.composition_regressor --split val --sets design
    python -m benchmarks.generalisation.composition_regressor --split test --sets report
    python -m benchmarks.generalisation.composition_regressor --table --split test
    python -m benchmarks.generalisation.composition_regressor --smoke   # seconds, meaningless
"""

from __future__ import annotations

import copy
import json
import time
import warnings

import numpy as np
import pandas as pd

from benchmarks import common
from benchmarks import composition_sets as sets

NETWORKS = ("finetune", "finetune_frozen", "tlrl")


def _parser():
    p = common.parser(__doc__.splitlines()[0], out="bench-out/composition")
    p.add_argument("--sets", default=None, help="design, report, all or a comma list")
    p.add_argument("--n-train", default=None, help="comma list of n; 'all' = the whole pool")
    p.add_argument("--splits", type=int, default=None, help="subsamples per n < all")
    p.add_argument("--split", choices=("val", "test"), default="test")
    p.add_argument(
        "--weights", default="oqmd", help="source of the network members ('none': no networks)"
    )
    p.add_argument(
        "--models",
        default="stack,rf",
        help="comma list of stack (CompositionRegressor and the rows of its fit), rf "
        "(RF fractions), recipe (the 1.0 recipe), hyperopt (HyperoptRegressor)",
    )
    p.add_argument("--table", action="store_true", help="write the tables and stop")
    return p


# (full, quick, smoke)
DEFAULTS = {
    "sets": ("all", "design", "bulk_modulus"),
    "n_train": ("50,100,300,1000,all", "100,300", "30"),
    "splits": (5, 2, 1),
}


def _subsample(pool: pd.DataFrame, n, split: int) -> pd.DataFrame:
    if n == "all" or int(n) >= len(pool):
        return pool
    return pool.sample(int(n), random_state=split).reset_index(drop=True)


def _regressor(args):
    from sktl import CompositionRegressor

    if args.smoke:  # a tiny network member keeps it to seconds
        return CompositionRegressor(
            members=["forest_fractions", "boosting"], stack_folds=2, random_state=0
        )
    weights = None if args.weights == "none" else args.weights
    return CompositionRegressor(weights=weights, random_state=0)


def _mae(pred, y) -> float:
    return float(np.mean(np.abs(np.asarray(pred).ravel() - y)))


def _reblended(reg, members: np.ndarray, blend: str, keep: list[str]) -> np.ndarray:
    """Test predictions of ``reg``'s members ``keep`` blended by ``blend``, no refit."""
    other = copy.copy(reg).refit_blend(blend=blend, members=keep)  # reg itself is unchanged
    idx = [reg.members_.index(m) for m in keep]
    return members[:, idx] @ other.stack_weights_[:, 0] + other.stack_intercept_[0]


def _stack_rows(reg, test: pd.DataFrame) -> dict[str, np.ndarray]:
    """Test predictions of every row that one fitted CompositionRegressor gives."""
    members = reg.predict_members(test.formula)  # (n, m)
    rows = {"CompositionRegressor()": reg.predict(test.formula)}
    for blend in ("greedy", "nnls"):
        rows[f"blend={blend}"] = _reblended(reg, members, blend, reg.members_)
    plain = [name for name in reg.members_ if name not in NETWORKS]
    if len(plain) < len(reg.members_):
        rows["without networks"] = _reblended(reg, members, reg.blend, plain)
    for drop in NETWORKS:
        if drop in reg.members_:
            keep = [name for name in reg.members_ if name != drop]
            rows[f"without {drop}"] = _reblended(reg, members, reg.blend, keep)
    for m, name in enumerate(reg.members_):
        rows[f"member: {name}"] = members[:, m]
    return rows


def _coverage(reg, test, y_test) -> dict:
    """CV+ coverage and mean half-width at 80 and 90 % on the test rows, and the RMSE."""
    pred, pis = reg.predict_interval(test.formula, confidence_level=[0.8, 0.9])
    out = {"rmse": float(np.sqrt(np.mean((pred - y_test) ** 2)))}
    for j, level in enumerate((80, 90)):
        low, high = pis[:, 0, j], pis[:, 1, j]
        out[f"coverage_{level}"] = float(np.mean((low <= y_test) & (y_test <= high)))
        out[f"half_width_{level}"] = float(np.mean(high - low) / 2)
    return out


def _rf_fractions(seed):
    from sklearn.ensemble import RandomForestRegressor
    from sklearn.pipeline import make_pipeline

    from sktl.composition import ElementFractionTransformer

    return make_pipeline(
        ElementFractionTransformer(), RandomForestRegressor(300, n_jobs=1, random_state=seed)
    )


def _recipe(weights, seed):
    from sklearn.ensemble import HistGradientBoostingRegressor, VotingRegressor
    from sklearn.pipeline import make_pipeline

    from sktl.composition import FINE_TUNE, ElementPropertyTransformer
    from sktl.transfer import SOURCE_ARCHITECTURE, DeepMLPRegressor, source_features

    nets = [
        (
            f"tl{s}",
            make_pipeline(
                source_features(),
                DeepMLPRegressor(
                    architecture=SOURCE_ARCHITECTURE,
                    weights=weights,
                    random_state=seed + s,
                    **FINE_TUNE,
                ),
            ),
        )
        for s in range(3)
    ]
    forest = make_pipeline(
        ElementPropertyTransformer(),
        HistGradientBoostingRegressor(max_iter=1000, learning_rate=0.05, random_state=seed),
    )
    return VotingRegressor([*nets, ("forest", forest)], weights=[0.7 / 3] * 3 + [0.3])


def _hyperopt(seed):
    from sklearn.pipeline import make_pipeline

    from sktl import HyperoptRegressor
    from sktl.composition import ElementPropertyTransformer

    return make_pipeline(
        ElementPropertyTransformer(), HyperoptRegressor(max_evals=50, random_state=seed)
    )


def _done(path) -> set:
    if not path.is_file():
        return set()
    return {
        (r["set"], str(r["n"]), r["split_seed"], r["split"], r["model"])
        for r in map(json.loads, path.read_text().splitlines())
    }


def _append(path, record):
    with path.open("a") as fh:
        fh.write(json.dumps(record) + "\n")


def run(args) -> None:
    out = args.out / "results.jsonl"
    out.parent.mkdir(parents=True, exist_ok=True)
    done = _done(out)
    for name in _names(args.sets):
        pool, test = sets.load(name)
        if args.split == "val":
            if name not in sets.DESIGN:
                raise SystemExit(f"--split val is for the design sets only, not {name}")
            pool, test = sets.design_split(pool)
        if args.smoke:
            pool, test = pool.iloc[:60], test.iloc[:40]
        y_test = test.target.to_numpy(dtype=float)
        for n in args.n_train.split(","):
            if n == "all" and name in sets.NO_ALL:
                continue
            for split in range(1 if n == "all" else args.splits):
                key = (name, n, split, args.split)
                train = _subsample(pool, n, split)
                y = train.target.to_numpy(dtype=float)
                base = {"set": name, "n": n, "split_seed": split, "split": args.split,
                        "n_rows": len(train)}  # fmt: skip
                keep_preds = n == "all"
                models = args.models.split(",")
                if "stack" in models and (*key, "CompositionRegressor()") not in done:
                    t0 = time.perf_counter()
                    reg = _regressor(args).fit(train.formula, y)
                    seconds = time.perf_counter() - t0
                    for model, pred in _stack_rows(reg, test).items():
                        rec = {**base, "model": model, "mae": _mae(pred, y_test)}
                        if model == "CompositionRegressor()":
                            rec.update(_coverage(reg, test, y_test))
                            rec["fit_seconds"] = seconds
                            rec["member_seconds"] = reg.fit_seconds_
                            rec["weights"] = dict(zip(reg.members_, reg.stack_weights_[:, 0]))
                        if keep_preds:
                            rec["abs_err"] = np.abs(np.asarray(pred).ravel() - y_test).tolist()
                        _append(out, rec)
                extra = {}
                if "rf" in models:
                    extra["RF fractions"] = _rf_fractions
                if "recipe" in models:
                    extra["1.0 recipe"] = lambda s: _recipe(args.weights, s)
                if "hyperopt" in models:
                    extra["HyperoptRegressor"] = _hyperopt
                for model, make in extra.items():
                    if (*key, model) in done:
                        continue
                    t0 = time.perf_counter()
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        pred = make(split).fit(train.formula, y).predict(test.formula)
                    rec = {**base, "model": model, "mae": _mae(pred, y_test),
                           "fit_seconds": time.perf_counter() - t0}  # fmt: skip
                    if keep_preds:
                        rec["abs_err"] = np.abs(np.asarray(pred).ravel() - y_test).tolist()
                    _append(out, rec)
                print(f"{name} n={n} split {split}: done", flush=True)


def _names(spec: str) -> tuple[str, ...]:
    if spec == "all":
        return sets.DESIGN + sets.REPORT
    if spec in ("design", "report"):
        return getattr(sets, spec.upper())
    return tuple(spec.split(","))


def table(args) -> str:
    from benchmarks.generalisation._composition_table import plot, tables

    text = tables(args.out / "results.jsonl", args.split)
    common.write_markdown(args.out / f"table-{args.split}.md", text)
    print(text)
    figure = plot(args.out / "results.jsonl", args.split, args.out)
    if figure is not None:
        print(f"wrote {figure}")
    return text


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    common.fill_defaults(args, DEFAULTS)
    if args.table:
        table(args)
        return 0
    run(args)
    table(args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
