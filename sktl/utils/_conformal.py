"""Cross-conformal (CV+) prediction intervals from a stack's fold models and residuals.

CV+ (Barber, Candès, Ramdas and Tibshirani 2021, "Predictive inference with the jackknife+",
Ann. Statist. 49(1)): with K folds, training row i left out by fold k(i), its out-of-fold
residual R_i = |y_i - mu_{-k(i)}(x_i)|, and mu_{-k}(x) the model fitted without fold k, the
interval at level 1 - alpha for a new x is

    [ the floor(alpha (n + 1))-th smallest of  mu_{-k(i)}(x) - R_i,
      the ceil((1 - alpha)(n + 1))-th smallest of  mu_{-k(i)}(x) + R_i ]

over the n training rows. It needs no refit: the fold models and residuals are what a stack
keeps from ``fit``. This is MAPIE's ``CrossConformalRegressor(method="plus")``; the tests
check the two agree.
"""

from __future__ import annotations

import math
import numbers

import numpy as np
from sklearn.utils.validation import check_is_fitted

#: Test rows per block, so that a block's (rows x training rows) arrays stay small.
_BLOCK = 256
# rounding slack of the quantile ranks (levels are given to far fewer digits)
_EPS = 1e-9


def confidence_levels(confidence_level) -> np.ndarray:
    """The levels as a 1-D array, each in (0, 1); errors say what to pass."""
    levels = np.atleast_1d(np.asarray(confidence_level, dtype=object))
    if levels.ndim != 1 or len(levels) == 0:
        raise ValueError(
            f"confidence_level must be a number in (0, 1) or a list of them; got "
            f"{confidence_level!r}."
        )
    for level in levels:
        if (
            not isinstance(level, numbers.Real)
            or isinstance(level, bool)
            or not 0 < float(level) < 1
        ):
            raise ValueError(
                f"confidence_level must lie in (0, 1), e.g. 0.9 for 90 % intervals; got {level!r}."
            )
    return levels.astype(np.float64)


def check_enough_rows(n_rows: int, levels: np.ndarray, owner: str) -> None:
    """A level whose interval CV+ cannot bound with ``n_rows`` rows is an error."""
    needed = int(math.ceil(1 / (1 - levels.max()) - _EPS)) - 1
    if n_rows < needed:
        raise ValueError(
            f"{owner} was fitted on {n_rows} rows: a {levels.max():.0%} interval needs at "
            f"least {needed} (1 / (1 - confidence_level) - 1). Fit on more rows or ask for a "
            "lower confidence_level."
        )


def cv_plus(fold_predictions: np.ndarray, fold_of_row: np.ndarray, residuals: np.ndarray,
            levels: np.ndarray) -> np.ndarray:  # fmt: skip
    """CV+ bounds for one target.

    Parameters
    ----------
    fold_predictions : ndarray of shape (n_test, n_folds)
        Each fold model's prediction of the test rows.
    fold_of_row : ndarray of int of shape (n_train,)
        The fold that left out each training row.
    residuals : ndarray of shape (n_train,)
        Absolute out-of-fold residuals of the training rows.
    levels : ndarray of shape (n_levels,)
        Confidence levels in (0, 1).

    Returns
    -------
    bounds : ndarray of shape (n_test, 2, n_levels)
        Lower and upper bounds.
    """
    n = len(residuals)
    out = np.empty((len(fold_predictions), 2, len(levels)))
    alphas = 1 - levels
    # 1-based ranks; the tolerance keeps 1 - 0.9 = 0.09999999999999998 from losing a rank
    k_low = np.floor(alphas * (n + 1) + _EPS).astype(int)
    k_high = np.ceil((1 - alphas) * (n + 1) - _EPS).astype(int)
    for start in range(0, len(fold_predictions), _BLOCK):
        mu = fold_predictions[start : start + _BLOCK][:, fold_of_row]  # (block, n)
        low = np.sort(mu - residuals, axis=1)
        high = np.sort(mu + residuals, axis=1)
        for j in range(len(levels)):
            # a rank outside 1..n means an unbounded side (too few rows for the level)
            out[start : start + _BLOCK, 0, j] = low[:, k_low[j] - 1] if k_low[j] >= 1 else -np.inf
            out[start : start + _BLOCK, 1, j] = high[:, k_high[j] - 1] if k_high[j] <= n else np.inf
    return out


class StackIntervalMixin:
    """``predict_interval`` of a stack that keeps its fold models and out-of-fold residuals.

    The estimator provides ``_fold_predictions(X)`` (each fold's blended prediction, shape
    (n, n_folds, n_outputs), in the targets' units), ``fold_of_sample_``, ``oof_residuals_``
    (targets minus the blended out-of-fold predictions), ``y_ndim_`` and ``n_outputs_``, and
    may override ``_check_intervals_available``.
    """

    def _check_intervals_available(self) -> None:
        """Raise when this configuration keeps no fold models (nothing to do by default)."""

    def predict_interval(self, X, *, confidence_level=0.9):
        """Predictions with cross-conformal (CV+) prediction intervals.

        The interval of a new row combines, over the training rows, each fold's blended
        prediction with the out-of-fold residuals of the rows that fold left out (CV+,
        Barber et al. 2021; MAPIE's ``CrossConformalRegressor(method="plus")``). It needs no
        fit beyond those of ``fit``. Its coverage holds on average over rows like the
        training rows, not for rows unlike them.

        Parameters
        ----------
        X : array-like
            Input of the form seen in ``fit``.
        confidence_level : float or list of float, default=0.9
            Coverage of the intervals, each in (0, 1) (MAPIE's name and meaning).

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            As ``predict``.
        y_pis : ndarray of shape (n_samples, 2, n_levels) or (n_samples, 2, n_levels, n_outputs)
            Lower (index 0) and upper (index 1) bounds per confidence level, as MAPIE 1.x
            returns them; a trailing target axis for 2-D ``y``.
        """
        check_is_fitted(self)
        levels = confidence_levels(confidence_level)
        self._check_intervals_available()
        check_enough_rows(len(self.fold_of_sample_), levels, type(self).__name__)
        blended = self._fold_predictions(X)  # (n, folds, targets)
        residuals = np.abs(self.oof_residuals_)
        y_pis = np.stack(
            [
                cv_plus(blended[:, :, t], self.fold_of_sample_, residuals[:, t], levels)
                for t in range(self.n_outputs_)
            ],
            axis=-1,
        )
        y_pred = blended.mean(axis=1)
        if self.y_ndim_ == 1:
            return y_pred[:, 0], y_pis[..., 0]
        return y_pred, y_pis
