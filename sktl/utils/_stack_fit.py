"""The out-of-fold loop of sktl's stacks of estimators: members x folds, with a clock.

:func:`fit_out_of_fold` fits every member on every fold but one and predicts the left-out
rows. Members run in the order given (put the cheap ones first). A member counts only when
all its folds finished; a time budget or a Ctrl-C ends the loop between fits and keeps the
members that finished (the first member always finishes: without it there is no model).

What a member is and which input it reads is the owner's business, passed in as callables:
:class:`~sktl.CompositionRegressor` (``sktl/composition/_stack_fit.py``: catalogue members
on feature blocks) and :class:`~sktl.cnn.StructurePropertyRegressor` (images) share this loop.
"""

from __future__ import annotations

import sys
import time
import warnings

import numpy as np
from sklearn.base import clone
from sklearn.model_selection import KFold

from ._validation import _caller_stacklevel


def split_folds(n: int, stack_folds: int, seed: int, *, who: str, unit: str, fix: str):
    """A stack's folds of ``n`` rows: ``stack_folds`` shuffled KFold splits seeded by
    ``seed``, as a list of (train, valid), and each row's fold (what CV+ intervals need).

    Raises when a fold would get fewer than 2 rows: "``who`` with stack_folds=... needs at
    least ... ``unit`` ...; Use fewer stack_folds or ``fix``."
    """
    if n < 2 * stack_folds:
        raise ValueError(
            f"{who} with stack_folds={stack_folds} needs at least {2 * stack_folds} {unit} "
            f"(2 per fold); got n_samples={n}. Use fewer stack_folds or {fix}."
        )
    folds = list(KFold(stack_folds, shuffle=True, random_state=seed % 2**32).split(np.zeros(n)))
    fold_of_sample = np.empty(n, dtype=np.int64)
    for f, (_, valid) in enumerate(folds):
        fold_of_sample[valid] = f
    return folds, fold_of_sample


class StackRun:
    """The result of :func:`fit_out_of_fold`: what finished, what was cut, and what it cost."""

    def __init__(self, n_folds: int):
        self.names: list[str] = []
        self.oof: list[np.ndarray] = []  # one (n, targets) array per finished member
        self.models: list[dict] = [{} for _ in range(n_folds)]
        self.seconds: dict[str, float] = {}
        self.skipped: dict[str, str] = {}
        self.interrupted = False


def resolve_members(members, *, built_in, defaults) -> tuple[list[str], dict]:
    """(names, {name: estimator} of the user's pairs) of a stack's ``members``.

    None gives ``defaults``; a name picks one of ``built_in``; a (name, estimator) pair is the
    user's model, and may not take a built-in name. Errors say what to do.
    """
    if members is None:
        return list(defaults), {}
    if (
        isinstance(members, tuple)
        and len(members) == 2
        and isinstance(members[0], str)
        and hasattr(members[1], "fit")
    ):
        raise ValueError(
            f"members is one (name, estimator) pair; pass a list of them: "
            f"members=[({members[0]!r}, ...)]."
        )
    names, custom = [], {}
    for entry in members:
        if isinstance(entry, str):
            if entry not in built_in:
                raise ValueError(
                    f"Unknown member {entry!r}; choose from {sorted(built_in)} or pass a "
                    "(name, estimator) pair."
                )
            name = entry
        elif isinstance(entry, (tuple, list)) and len(entry) == 2 and isinstance(entry[0], str):
            name, estimator = entry
            if not (hasattr(estimator, "fit") and hasattr(estimator, "predict")):
                raise ValueError(
                    f"members entry {name!r}: {estimator!r} has no fit and predict; pass an "
                    "estimator."
                )
            if name in built_in:
                raise ValueError(f"Your member {name!r} has the name of a built-in one; rename it.")
            custom[name] = estimator
        else:
            raise ValueError(
                f"members entry {entry!r} is neither a member name ({sorted(built_in)}) nor a "
                "(name, estimator) pair."
            )
        if name in names:
            raise ValueError(f"members names {name!r} twice; give each member its own name.")
        names.append(name)
    if not names:
        raise ValueError(
            "members is empty; pass None for the default members, or a list of member names "
            "and (name, estimator) pairs."
        )
    return names, custom


def member_seed(seed: int, member: int, fold: int, n_folds: int) -> int:
    """The seed of member number ``member`` on fold ``fold``, derived from the stack's."""
    return int((seed + 7919 * (member * n_folds + fold + 1)) % 2**32)


def clone_member(estimator, seed: int):
    """An unfitted clone of a user's member, every ``random_state`` in it seeded.

    Its own ``random_state`` gets ``seed``; those nested in it (a pipeline's steps, a
    meta-estimator's estimator) get seeds drawn from ``seed``, in the sorted order of their
    parameter names, so a pipeline member is as reproducible as a plain one.
    """
    model = clone(estimator)
    params = model.get_params(deep=True)
    nested = sorted(k for k in params if k.endswith("__random_state"))
    rng = np.random.RandomState(seed)
    seeds = {k: int(rng.randint(np.iinfo(np.int32).max)) for k in nested}
    if "random_state" in params:
        seeds["random_state"] = seed
    if seeds:
        model.set_params(**seeds)
    return model


def take_rows(X, rows):
    """Rows ``rows`` of ``X`` as a member sees them.

    pandas objects by position; arrays of numbers (images included) and lazy image sets by
    indexing them, so an image array keeps its shape and dtype; anything else (formulas in a
    list or an array of strings) as an object array, one object per row.
    """
    if hasattr(X, "iloc"):
        return X.iloc[rows]
    dtype = getattr(X, "dtype", None)
    if hasattr(X, "shape") and dtype is not None and np.dtype(dtype).kind not in "USO":
        return X[rows]
    return np.asarray(X, dtype=object)[rows]


def fit_member(model, X, Y):
    """Fit ``model`` on ``X`` and the (n, targets) ``Y``, 1-D for one target.

    A fit that reports an interrupt (``interrupted_``, as sktl's networks do after a Ctrl-C)
    raises KeyboardInterrupt, so the loop treats it as one.
    """
    model.fit(X, Y[:, 0] if Y.shape[1] == 1 else Y)  # a user's fit may return None
    if getattr(model, "interrupted_", False):
        raise KeyboardInterrupt
    return model


def predict_member(model, X, n_targets: int | None = None, name: str = "") -> np.ndarray:
    """(n, targets) predictions of one fitted member; with ``n_targets``, a member that
    predicts another number of columns is an error naming it (never broadcast)."""
    pred = np.asarray(model.predict(X), dtype=np.float64).reshape(len(X), -1)
    if n_targets is not None and pred.shape[1] != n_targets:
        raise ValueError(
            f"Member {name!r} predicts {pred.shape[1]} column(s) for {n_targets} target(s); "
            "give the stack a member that predicts every target (wrap a single-output model "
            "in sklearn.multioutput.MultiOutputRegressor)."
        )
    return pred


def _all_rows(name, train, seed):
    return train


def fit_out_of_fold(
    names,
    Y,
    folds,
    *,
    build,
    inputs,
    seed,
    time_budget=None,
    verbose=0,
    owner="stack",
    fit=None,
    train_rows=None,
):
    """Fit every member on every fold; collect out-of-fold predictions.

    Parameters
    ----------
    names : list of str
        The members, in the order they run.
    Y : ndarray of shape (n_samples, n_targets)
        The targets.
    folds : list of (train, valid) index arrays
        The folds.
    build : callable
        ``build(name, seed)``: the member's unfitted model for one fold.
    inputs : callable
        ``inputs(name, rows)``: what the member reads for the rows ``rows``.
    seed : int
        The stack's seed; each (member, fold) gets :func:`member_seed`.
    time_budget : float or None, default=None
        Seconds; checked before each fit of the second and later members.
    verbose : int, default=0
        >= 1: one line per finished fit on stderr, with an estimate of the time left.
    owner : str, default="stack"
        The name progress lines start with (the owner's class).
    fit : callable or None, default=None
        ``fit(name, model, X, Y)`` -> the fitted model; raises KeyboardInterrupt for an
        interrupted fit. None: :func:`fit_member`.
    train_rows : callable or None, default=None
        ``train_rows(name, train, seed)``: the training rows the member uses (a subsample,
        for example). None: all of them.

    Returns
    -------
    run : StackRun
        The finished members' out-of-fold predictions and fold models, the members left out
        and why (``"time_budget"`` or ``"interrupted"``), and each member's seconds.
    """
    fit = (lambda name, model, X, Y: fit_member(model, X, Y)) if fit is None else fit
    train_rows = _all_rows if train_rows is None else train_rows
    run = StackRun(len(folds))
    start = time.perf_counter()
    total = len(names) * len(folds)
    done = 0
    for m, name in enumerate(names):
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
                s = member_seed(seed, m, f, len(folds))
                model = build(name, s)
                train = train_rows(name, train, s)
                fitted = fit(name, model, inputs(name, train), Y[train])
                oof[valid] = predict_member(fitted, inputs(name, valid), Y.shape[1], name)
                fold_models.append(fitted)
                done += 1
                if verbose:
                    _progress(owner, name, f, len(folds), done, total, start)
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


def warn_unfinished(owner: str, run: StackRun) -> None:
    """Warn that a time budget or a Ctrl-C left members out, naming them."""
    if not run.skipped:
        return
    why = "was interrupted" if run.interrupted else "ran out of time_budget"
    warnings.warn(
        f"{owner}.fit {why}: members {sorted(run.skipped)} did not finish and are left out; "
        f"the blend uses {run.names}.",
        UserWarning,
        stacklevel=_caller_stacklevel(),
    )


def _progress(owner, name, fold, n_folds, done, total, start):
    elapsed = time.perf_counter() - start
    eta = elapsed / done * (total - done)
    print(
        f"[{owner}] {name}: fold {fold + 1}/{n_folds} done; "
        f"{done}/{total} fits in {elapsed:.0f} s, about {eta:.0f} s left",
        file=sys.stderr,
        flush=True,
    )
