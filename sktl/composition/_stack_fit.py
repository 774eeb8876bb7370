"""The members of :class:`CompositionRegressor` in the shared out-of-fold loop.

The loop itself (members x folds, the time budget, the interrupt rule, progress) is
:func:`sktl.utils._stack_fit.fit_out_of_fold`; this module says what a composition member is:
a catalogue member reads its feature blocks (a network member at most ``max_deep_rows`` rows
of each fold) and a user's member the rows of ``X`` as passed.
"""

from __future__ import annotations

import warnings

import numpy as np

from ..utils._stack_fit import StackRun, clone_member, fit_member, fit_out_of_fold, predict_member
from ..utils._stack_fit import take_rows as _rows
from ._members import CATALOGUE
from ._regressor_input import columns

__all__ = ["StackRun", "fit_members", "member_input", "predict_member"]


def member_input(member, blocks, rows=None):
    """The columns a member reads, optionally for some rows only."""
    X = columns(blocks, member.blocks)
    return X if rows is None else X[rows]


def _fit_one(member, model, X, y):
    """Fit a catalogue member (``member``) or a user's one (None); an interrupt raises."""
    if member is None or not member.network:
        y_fit = y[:, 0] if y.shape[1] == 1 else y
        model.fit(X, y_fit)  # a user's fit may return None: keep the model itself
        return model
    with warnings.catch_warnings():
        from ..transfer._deep_mlp import SmallDataWarning

        warnings.simplefilter("ignore", SmallDataWarning)  # the blend weighs it instead
        fit_member(model, X, y)
    inner = getattr(model, "regressor_", None)  # TLRLRegressor's network
    if getattr(inner, "interrupted_", False):
        raise KeyboardInterrupt
    return model


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

    def build(name, member_seed):
        member = CATALOGUE.get(name)
        if member is None:
            return clone_member(custom[name], member_seed)
        return member.build(
            random_state=member_seed, weights=weights, device=device, n_targets=Y.shape[1]
        )

    def inputs(name, rows):
        member = CATALOGUE.get(name)
        return _rows(raw_X, rows) if member is None else member_input(member, blocks, rows)

    def train_rows(name, train, member_seed):
        member = CATALOGUE.get(name)
        if member is None or not member.network:
            return train
        if max_deep_rows is None or len(train) <= max_deep_rows:
            return train
        keep = np.random.default_rng(member_seed).choice(len(train), max_deep_rows, replace=False)
        keep.sort()
        return train[keep]

    return fit_out_of_fold(
        names,
        Y,
        folds,
        build=build,
        inputs=inputs,
        fit=lambda name, model, X, y: _fit_one(CATALOGUE.get(name), model, X, y),
        train_rows=train_rows,
        seed=seed,
        time_budget=time_budget,
        verbose=verbose,
        owner="CompositionRegressor",
    )
