"""The out-of-fold loop of :class:`CompositionRegressor`: members x folds, with a clock.

Members run in the order given (the cheap forests first by default). A member counts only
when all its folds finished; a time budget or a Ctrl-C ends the loop between fits and keeps
the members that finished (the first member always finishes: without it there is no model).
"""

from __future__ import annotations

import sys
import time
import warnings

import numpy as np
from sklearn.base import clone

from ._members import CATALOGUE
from ._regressor_input import columns


class StackRun:
    """The result of :func:`fit_members`: what finished, what was cut, and what it cost."""

    def __init__(self, n_folds: int):
        self.names: list[str] = []
        self.oof: list[np.ndarray] = []  # one (n, targets) array per finished member
        self.models: list[dict] = [{} for _ in range(n_folds)]
        self.seconds: dict[str, float] = {}
        self.skipped: dict[str, str] = {}
        self.interrupted = False


def member_input(member, blocks, rows=None):
    """The columns a member reads, optionally for some rows only."""
    X = columns(blocks, member.blocks)
    return X if rows is None else X[rows]


def _fit_one(member, model, X, y):
    """Fit a catalogue member (``member``) or a user's one (None); an interrupt raises."""
    y_fit = y[:, 0] if y.shape[1] == 1 else y
    if member is None or not member.network:
        model.fit(X, y_fit)  # a user's fit may return None: keep the model itself
        return model
    with warnings.catch_warnings():
        from ..transfer._deep_mlp import SmallDataWarning

        warnings.simplefilter("ignore", SmallDataWarning)  # the blend weighs it instead
        model.fit(X, y_fit)
    inner = getattr(model, "regressor_", None)  # TLRLRegressor's network
    if getattr(model, "interrupted_", False) or getattr(inner, "interrupted_", False):
        raise KeyboardInterrupt
    return model


def predict_member(model, X) -> np.ndarray:
    """(n, targets) predictions of one fitted member."""
    return np.asarray(model.predict(X), dtype=np.float64).reshape(len(X), -1)


def fit_members(
    names,
    custom,
    blocks,
    raw_X,
    Y,
    folds,
    *,
    seed,
    weights,
    device,
    max_deep_rows,
    time_budget,
    verbose,
):
    """Fit every member on every fold; collect out-of-fold predictions.

    ``custom`` maps a user member's name to its (unfitted) estimator, which sees the raw
    ``X`` rows; catalogue members see their feature blocks.
    """
    run = StackRun(len(folds))
    start = time.perf_counter()
    total = len(names) * len(folds)
    done = 0
    for m, name in enumerate(names):
        member = CATALOGUE.get(name)
        oof = np.zeros(Y.shape)
        t0 = time.perf_counter()
        fold_models = []
        try:
            for f, (train, valid) in enumerate(folds):
                if m > 0 and time_budget is not None:
                    if time.perf_counter() - start > time_budget:
                        run.skipped.update(
                            {n: "time_budget" for n in names[m:] if n not in run.skipped}
                        )
                        return run
                member_seed = int((seed + 7919 * (m * len(folds) + f + 1)) % 2**32)
                if member is None:
                    model = clone(custom[name])
                    if "random_state" in model.get_params(deep=False):
                        model.set_params(random_state=member_seed)
                    Xtr, Xva = _rows(raw_X, train), _rows(raw_X, valid)
                else:
                    model = member.build(
                        random_state=member_seed,
                        weights=weights,
                        device=device,
                        n_targets=Y.shape[1],
                    )
                    Xtr, Xva = (
                        member_input(member, blocks, train),
                        member_input(member, blocks, valid),
                    )
                    if member.network and max_deep_rows is not None and len(train) > max_deep_rows:
                        keep = np.random.default_rng(member_seed).choice(
                            len(train), max_deep_rows, replace=False
                        )
                        keep.sort()
                        train = train[keep]
                        Xtr = Xtr[keep]
                fitted = _fit_one(member, model, Xtr, Y[train])
                oof[valid] = predict_member(fitted, Xva)
                fold_models.append(fitted)
                done += 1
                if verbose:
                    _progress(name, f, len(folds), done, total, start)
        except KeyboardInterrupt:
            if m == 0:
                raise
            run.interrupted = True
            run.skipped.update({n: "interrupted" for n in names[m:]})
            return run
        run.names.append(name)
        run.oof.append(oof)
        run.seconds[name] = time.perf_counter() - t0
        for f, fitted in enumerate(fold_models):
            run.models[f][name] = fitted
    return run


def _rows(X, rows):
    return X.iloc[rows] if hasattr(X, "iloc") else np.asarray(X, dtype=object)[rows]


def _progress(name, fold, n_folds, done, total, start):
    elapsed = time.perf_counter() - start
    eta = elapsed / done * (total - done)
    print(
        f"[CompositionRegressor] {name}: fold {fold + 1}/{n_folds} done; "
        f"{done}/{total} fits in {elapsed:.0f} s, about {eta:.0f} s left",
        file=sys.stderr,
        flush=True,
    )
