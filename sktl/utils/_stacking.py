"""Blending of out-of-fold predictions: the one implementation under every sktl stack.

A stack fits each member on all folds but one and predicts the left-out fold, which gives
out-of-fold predictions ``oof`` of shape (n_samples, n_members, n_targets). A blend turns them
into per-target member weights and an intercept; :func:`blend_predict` applies them.

* :func:`nonnegative_blend`: non-negative least squares with a free intercept (the
  multimodal stack's blend);
* :func:`greedy_blend`: Caruana et al. (2004) ensemble selection: members are added one at a
  time, with replacement, whichever lowers the mean absolute error most; the weights are the
  selection counts divided by their sum, and there is no intercept.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import nnls

#: Selection rounds of :func:`greedy_blend` (Caruana et al. used 100; the gain levels off
#: well before that with a handful of members).
GREEDY_ROUNDS = 50


def nonnegative_blend(oof: np.ndarray, Y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per target, non-negative weights of the members and an intercept, by least squares.

    ``oof`` is (n, members, targets), ``Y`` (n, targets). Members and targets are centred
    first, so the intercept is not penalised and the weights need not sum to one.
    """
    weights = np.zeros(oof.shape[1:])
    intercept = np.zeros(oof.shape[2])
    for t in range(oof.shape[2]):
        A, b = oof[:, :, t], Y[:, t].astype(np.float64)
        mean_a, mean_b = A.mean(axis=0), b.mean()
        weights[:, t] = nnls(A - mean_a, b - mean_b)[0]
        intercept[t] = mean_b - mean_a @ weights[:, t]
    return weights, intercept


def greedy_blend(
    oof: np.ndarray, Y: np.ndarray, rounds: int = GREEDY_ROUNDS
) -> tuple[np.ndarray, np.ndarray]:
    """Per target, Caruana's greedy ensemble selection with replacement on the MAE.

    Starts from the best single member; each round adds the member (possibly one already in)
    whose addition gives the lowest mean absolute error of the running average. The weights
    (counts over their sum) are those of the best round, so adding rounds never makes the
    out-of-fold error worse. Returns weights (members, targets) and a zero intercept.
    """
    n_members, n_targets = oof.shape[1:]
    weights = np.zeros((n_members, n_targets))
    for t in range(n_targets):
        A, b = oof[:, :, t], Y[:, t].astype(np.float64)
        counts = np.zeros(n_members)
        total = np.zeros(len(b))
        best_counts, best_error = None, np.inf
        for k in range(1, rounds + 1):
            errors = np.abs((total[:, None] + A) / k - b[:, None]).mean(axis=0)
            m = int(np.argmin(errors))  # ties: the first member, so the result is fixed
            counts[m] += 1
            total += A[:, m]
            if errors[m] < best_error - 1e-12:
                best_counts, best_error = counts.copy(), errors[m]
        weights[:, t] = best_counts / best_counts.sum()
    return weights, np.zeros(n_targets)


BLENDS = {"nnls": nonnegative_blend, "greedy": greedy_blend}


def blend_predict(preds: np.ndarray, weights: np.ndarray, intercept: np.ndarray) -> np.ndarray:
    """Blend member predictions (n, members, targets) into (n, targets); with a fold axis,
    (n, members, folds, targets), each fold's blend of its member models: (n, folds, targets)."""
    return np.einsum("nm...t,mt->n...t", preds, weights) + intercept
