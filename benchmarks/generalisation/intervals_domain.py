"""Intervals and the domain score of the two stacks, in distribution and on a held-out region.

For each set, n in ``--n-train`` and split seed s, one region of the set is held out of
training, in the standardised element-property statistics (composition sets) or the
standardised descriptors (multimodal sets): with ``--region cluster`` (the default) the rows
of one k-means cluster (k = 6, seeded by s; the cluster whose share of the rows is closest to
15 %), a region inside the data's range; with ``--region extreme`` the top 15 % of one
variable drawn by s, a region beyond the training range of that variable. The stack is fitted once on n rows
drawn outside the region and scored on two test parts:

- in distribution: the set's test rows outside the region (composition: the published test
  split, or the validation part of a design set; multimodal: 200 rows drawn like the
  benchmark's test set);
- shifted: the region's rows (at most 500).

Per cell it records, per target: the CV+ coverage and mean half-width of ``predict_interval``
at 80 and 90 % beside the RMSE; the same for the "naive" scheme (the prediction plus or minus
the level's quantile of the absolute out-of-fold residuals), computed from the same fit; the
ROC AUC of ``domain_score`` separating the shifted from the in-distribution rows, and the
share of each part beyond domain thresholds 1, 1.5, 2 and 3. Design and report sets are
tabled apart.

Results go to ``OUT/results.jsonl`` as cells finish (a rerun resumes); ``--table`` writes
``OUT/summary.md`` and ``OUT/coverage.png``.

    python -m benchmarks.generalisation.intervals_domain --part composition --sets all
    python -m benchmarks.generalisation.intervals_domain --part multimodal --sets all
    python -m benchmarks.generalisation.intervals_domain --table
    python -m benchmarks.generalisation.intervals_domain --smoke    # seconds, meaningless
"""

from __future__ import annotations

import json
import time
import warnings

import numpy as np

from benchmarks import common

LEVELS = (0.8, 0.9)
THRESHOLDS = (1.0, 1.5, 2.0, 3.0)
N_CLUSTERS = 6
REGION_SHARE = 0.15
MAX_SHIFTED = 500


def _parser():
    p = common.parser(__doc__.splitlines()[0], out="bench-out/intervals_domain")
    p.add_argument("--part", choices=("composition", "multimodal"), default=None)
    p.add_argument("--sets", default=None, help="design, report, all or a comma list")
    p.add_argument("--n-train", default=None, help="comma list of n")
    p.add_argument("--splits", type=int, default=None)
    p.add_argument(
        "--region",
        choices=("cluster", "extreme"),
        default="cluster",
        help="the held-out region: a k-means cluster, or the top 15 %% of one variable",
    )
    p.add_argument("--table", action="store_true", help="write the tables and stop")
    return p


DEFAULTS = {"n_train": ("100,300", "100", "20"), "splits": (5, 2, 1)}


def held_out_region(Z: np.ndarray, seed: int, kind: str = "cluster") -> np.ndarray:
    """Boolean mask of the region: one k-means cluster of the standardised rows
    (``"cluster"``), or the rows in the top 15 % of one column drawn by ``seed`` among the
    columns that vary (``"extreme"``: beyond the training range of one variable)."""
    from sklearn.cluster import KMeans
    from sklearn.preprocessing import StandardScaler

    if kind == "extreme":
        # columns whose top 15 % is a region (discrete columns can have a tied top)
        above = Z > np.quantile(Z, 1 - REGION_SHARE, axis=0)
        usable = np.flatnonzero(above.mean(axis=0) >= REGION_SHARE / 2)
        if len(usable) == 0:  # every column has a tied top: the one with the largest region
            usable = [int(np.argmax(above.mean(axis=0)))]
        return above[:, np.random.default_rng(seed).choice(usable)]
    Zs = StandardScaler().fit_transform(Z)
    labels = KMeans(N_CLUSTERS, n_init=4, random_state=seed).fit_predict(Zs)
    shares = np.bincount(labels, minlength=N_CLUSTERS) / len(labels)
    return labels == int(np.argmin(np.abs(shares - REGION_SHARE)))


def _auc(in_scores, shifted_scores) -> float:
    from sklearn.metrics import roc_auc_score

    if len(in_scores) == 0 or len(shifted_scores) == 0:
        return float("nan")
    y = np.r_[np.zeros(len(in_scores)), np.ones(len(shifted_scores))]
    return float(roc_auc_score(y, np.r_[in_scores, shifted_scores]))


def _interval_stats(reg, X, Y, prefix: str) -> dict:
    """Per target: hits and half-widths of CV+ and of the naive scheme, and the RMSE."""
    Y = Y.reshape(len(Y), -1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # out-of-domain warnings: the point of the shift
        pred, pis = reg.predict_interval(X, confidence_level=list(LEVELS))
    pred = pred.reshape(len(Y), -1)
    pis = pis.reshape(len(Y), 2, len(LEVELS), -1)
    residuals = np.abs(reg.oof_residuals_).reshape(len(reg.oof_residuals_), -1)
    n_train = len(residuals)
    out = {f"{prefix}_rmse": np.sqrt(np.mean((pred - Y) ** 2, axis=0)).tolist()}
    for j, level in enumerate(LEVELS):
        tag = f"{prefix}_{round(level * 100)}"
        low, high = pis[:, 0, j], pis[:, 1, j]
        out[f"{tag}_hits"] = ((low <= Y) & (Y <= high)).sum(axis=0).tolist()
        out[f"{tag}_half_width"] = (np.mean(high - low, axis=0) / 2).tolist()
        rank = int(np.ceil(level * (n_train + 1) - 1e-9))  # CV+'s rank and its slack
        q = np.sort(residuals, axis=0)[rank - 1] if rank <= n_train else np.full(Y.shape[1], np.inf)
        out[f"{tag}_naive_hits"] = (np.abs(Y - pred) <= q).sum(axis=0).tolist()
        out[f"{tag}_naive_half_width"] = q.tolist()
    out[f"{prefix}_rows"] = len(Y)
    return out


def blend_optimism(reg) -> list[float] | None:
    """Per target: mean |out-of-fold residual| with blend weights fitted without the row's
    fold (cross-fitted), over the same with the weights fitted on every row (what the stack
    keeps). Above 1 means the kept residuals are optimistic. None without member predictions."""
    from scipy.optimize import nnls

    oof = getattr(reg, "oof_predictions_", None)
    if oof is None or getattr(reg, "blend", "nnls") != "nnls":
        return None
    oof = oof.reshape(len(oof), oof.shape[1], -1)
    residuals = reg.oof_residuals_.reshape(len(oof), -1)
    Y = residuals + np.einsum("nmt,mt->nt", oof, reg.stack_weights_) + reg.stack_intercept_
    fold = reg.fold_of_sample_
    crossed = np.empty_like(residuals)
    for t in range(Y.shape[1]):
        for k in np.unique(fold):
            A, b = oof[fold != k, :, t], Y[fold != k, t]
            w = nnls(A - A.mean(axis=0), b - b.mean())[0]
            c = b.mean() - A.mean(axis=0) @ w
            crossed[fold == k, t] = Y[fold == k, t] - (oof[fold == k, :, t] @ w + c)
    return (np.abs(crossed).mean(axis=0) / np.abs(residuals).mean(axis=0)).tolist()


def _cell(reg, X_in, Y_in, X_shift, Y_shift) -> dict:
    record = _interval_stats(reg, X_in, Y_in, "in")
    record["blend_optimism"] = blend_optimism(reg)
    s_in = reg.domain_score(X_in)
    if len(Y_shift):
        record.update(_interval_stats(reg, X_shift, Y_shift, "shift"))
        s_shift = reg.domain_score(X_shift)
    else:
        s_shift = np.zeros(0)
    record["auc"] = _auc(s_in, s_shift)
    for t in THRESHOLDS:
        record[f"flag_in_{t}"] = float(np.mean(s_in > t))
        record[f"flag_shift_{t}"] = float(np.mean(s_shift > t)) if len(s_shift) else None
    record["score_in_median"] = float(np.median(s_in))
    record["score_shift_median"] = float(np.median(s_shift)) if len(s_shift) else None
    return record


# -- composition -------------------------------------------------------------------------
def _composition_cells(args):
    import pandas as pd

    from benchmarks import composition_sets as sets
    from sktl import CompositionRegressor
    from sktl.composition import ElementPropertyTransformer

    names = {"design": sets.DESIGN, "report": sets.REPORT, "all": sets.DESIGN + sets.REPORT}
    chosen = names.get(args.sets or "all", tuple((args.sets or "").split(",")))
    if args.smoke:
        chosen = ("shear_modulus",)
    for name in chosen:
        pool, test = sets.load(name)
        if name in sets.DESIGN:
            pool, test = sets.design_split(pool)
        if args.smoke:
            pool, test = pool.iloc[:120], test.iloc[:40]
        rows = pd.concat([pool, test], ignore_index=True)
        props = ElementPropertyTransformer().transform(rows.formula.to_numpy(dtype=object))
        for s in range(args.splits):
            region = held_out_region(props, seed=s, kind=args.region)
            in_pool = pool[~region[: len(pool)]].reset_index(drop=True)
            test_in = test[~region[len(pool) :]].reset_index(drop=True)
            shifted = rows[region]
            shifted = shifted.sample(min(MAX_SHIFTED, len(shifted)), random_state=s)
            for n in args.n_train:
                train = in_pool.sample(min(n, len(in_pool)), random_state=s)
                key = dict(part="composition", set=name, n=n, split=s, region=args.region)
                if args.smoke:
                    reg = CompositionRegressor(
                        members=["forest_fractions", "boosting"], stack_folds=2, random_state=0
                    )
                else:
                    reg = CompositionRegressor(random_state=s)

                def run(reg=reg, train=train, test_in=test_in, shifted=shifted):
                    reg.fit(train.formula.to_numpy(dtype=object), train.target.to_numpy())
                    return _cell(
                        reg,
                        test_in.formula.to_numpy(dtype=object),
                        test_in.target.to_numpy(),
                        shifted.formula.to_numpy(dtype=object),
                        shifted.target.to_numpy(),
                    )

                yield key, ["target"], run


# -- multimodal --------------------------------------------------------------------------
def _multimodal_cells(args):
    from benchmarks import multimodal_sets as msets
    from sktl import FeatureCache, MultimodalRegressor, multimodal_input

    names = {"design": msets.DESIGN, "report": msets.REPORT, "all": msets.DESIGN + msets.REPORT}
    chosen = names.get(args.sets or "all", tuple((args.sets or "").split(",")))
    size = dict(n_samples=40, size=32) if args.smoke else {}
    n_test = 10 if args.smoke else msets.N_TEST
    if args.smoke:
        chosen = ("spinodal",)
    cache = FeatureCache()
    for name in chosen:
        data = msets.load_set(name, **size)
        X = multimodal_input(data.images, data.descriptors)
        Y = np.asarray(data.targets, dtype=np.float64)
        for s in range(args.splits):
            region = held_out_region(data.descriptors, seed=s, kind=args.region)
            outside = np.flatnonzero(~region)
            perm = np.random.default_rng(1000 + s).permutation(outside)
            test_in, rest = perm[:n_test], perm[n_test:]
            shifted = np.flatnonzero(region)
            if len(shifted) > MAX_SHIFTED:
                shifted = np.sort(
                    np.random.default_rng(s).choice(shifted, MAX_SHIFTED, replace=False)
                )
            for n in args.n_train:
                train = rest[:n]
                key = dict(part="multimodal", set=name, n=n, split=s, region=args.region)
                params = dict(
                    backbone="efficientnet_lite0",
                    layer="stage5",
                    intensity_range=data.intensity_range,
                    cache=cache,
                    random_state=s,
                )
                if args.smoke:
                    params.update(max_epochs=1, stack_folds=2)

                def run(params=params, train=train, test_in=test_in, shifted=shifted, X=X, Y=Y):
                    reg = MultimodalRegressor(**params).fit(X[train], Y[train])
                    return _cell(reg, X[test_in], Y[test_in], X[shifted], Y[shifted])

                yield key, list(data.target_names), run


def _done(path) -> set:
    if not path.is_file():
        return set()
    keys = ("part", "set", "n", "split")
    return {
        (*(r[k] for k in keys), r.get("region", "cluster"))
        for r in map(json.loads, path.read_text().splitlines())
    }


def run(args) -> None:
    out = args.out / "results.jsonl"
    done = _done(out)
    cells = _composition_cells(args) if args.part == "composition" else _multimodal_cells(args)
    for key, targets, fit_and_score in cells:
        if tuple(key.values()) in done:
            continue
        t = time.perf_counter()
        record = {**key, "targets": targets, **fit_and_score()}
        record["seconds"] = time.perf_counter() - t
        with out.open("a") as fh:
            fh.write(json.dumps(record) + "\n")
        print(
            f"{key['part']} {key['set']} n={key['n']} split {key['split']}: coverage 90 % "
            f"{np.sum(record['in_90_hits']) / (record['in_rows'] * len(targets)):.3f}, "
            f"AUC {record['auc']:.3f} ({record['seconds']:.0f} s)",
            flush=True,
        )


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    common.fill_defaults(args, DEFAULTS)
    args.n_train = [int(v) for v in str(args.n_train).split(",")]
    args.out.mkdir(parents=True, exist_ok=True)
    if not args.table:
        import torch

        torch.set_num_threads(1)
        parts = [args.part] if args.part else ["composition", "multimodal"]
        for part in parts:
            args.part = part
            run(args)
    from benchmarks.generalisation._intervals_table import write_tables

    write_tables(args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
