"""How far a sample lies from the training data: a calibrated nearest-neighbour distance.

The score of a sample x is

    score(x) = (mean distance from x to its k nearest reference rows) / cutoff

in a standardised feature space that each estimator defines (blocks of columns, each block
weighted equally whatever its width). The reference is the distinct training rows (repeated
rows would make every neighbour distance of the calibration zero), or a seeded subsample of
``MAX_REFERENCE`` of them so that saved models stay small (beyond it, a region that few
training rows cover can score as remote). ``cutoff`` is the
``CALIBRATION_QUANTILE`` quantile of the same distance for the reference rows themselves, each
measured against the reference rows of the other ``CALIBRATION_FOLDS`` folds (out of fold, so
that a row is never its own neighbour, and against 4/5 of the rows, as a new sample is
against a training set a little smaller than the one it was fitted on). A score of 1 is as
remote as the 5 % most remote training rows are from the other folds; new rows like the
training rows score mostly below 1 (3-5 % above it on average in the benchmarks), and a sample
from a region the training data never reached scores above it.

The state is a dict of plain arrays and numbers, so that persistence needs no new type.
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ._validation import _caller_stacklevel

#: Neighbours whose mean distance is the score's numerator.
N_NEIGHBORS = 5
#: The calibration quantile that scores 1.
CALIBRATION_QUANTILE = 0.95
#: Most reference rows kept (a seeded subsample beyond it): 4 MB at 100 float32 columns.
MAX_REFERENCE = 10_000
#: Most reference rows whose distances calibrate the cutoff (a seeded subsample beyond it).
MAX_CALIBRATION = 2000
CALIBRATION_FOLDS = 5
#: Test rows per block of the distance computation.
_BLOCK = 512


class OutOfDomainWarning(UserWarning):
    """Some samples lie beyond ``domain_threshold`` of the training data.

    Their predictions and intervals are extrapolations; ``domain_score(X)`` says which.
    """


def _standardise(blocks: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Centre and scale of the concatenated blocks: unit variance per column, then each block
    divided by the square root of its width, so that every block weighs the same."""
    centers, scales = [], []
    for block in blocks:
        block = np.asarray(block, dtype=np.float64)
        std = block.std(axis=0)
        # a column constant in training: deviations count in its own units (a limitation:
        # the score then depends on those units)
        std[std < 1e-12] = 1.0
        centers.append(block.mean(axis=0))
        scales.append(std * np.sqrt(block.shape[1]))
    return np.concatenate(centers), np.concatenate(scales)


def _stack(blocks: list[np.ndarray], state: dict) -> np.ndarray:
    Z = np.hstack([np.asarray(b, dtype=np.float64) for b in blocks])
    if Z.shape[1] != len(state["center"]):
        raise ValueError(
            f"the domain features have {Z.shape[1]} columns, the fitted reference "
            f"{len(state['center'])}."
        )
    return (Z - state["center"]) / state["scale"]


def _knn_mean_distance(Z: np.ndarray, reference: np.ndarray, k: int) -> np.ndarray:
    """Mean Euclidean distance from each row of Z to its k nearest rows of ``reference``."""
    Z, ref = np.asarray(Z, dtype=np.float64), np.asarray(reference, dtype=np.float64)
    out = np.empty(len(Z))
    with np.errstate(over="ignore", invalid="ignore"):  # huge inputs score inf, not warnings
        ref_sq = (ref**2).sum(axis=1)
        for start in range(0, len(Z), _BLOCK):
            z = Z[start : start + _BLOCK]
            d2 = (z**2).sum(axis=1)[:, None] + ref_sq[None, :] - 2.0 * z @ ref.T
            d2[np.isnan(d2)] = np.inf
            np.maximum(d2, 0.0, out=d2)
            nearest = np.partition(d2, k - 1, axis=1)[:, :k] if k < d2.shape[1] else d2
            out[start : start + _BLOCK] = np.sqrt(nearest).mean(axis=1)
    return out


def fit_domain(blocks: list[np.ndarray], random_state) -> dict:
    """The reference and cutoff of the score, from the training rows' feature blocks.

    Parameters
    ----------
    blocks : list of ndarray of shape (n_samples, n_columns_b)
        The estimator's feature space, block by block.
    random_state : numpy.random.Generator or int
        Seeds the reference subsample and the calibration folds.

    Returns
    -------
    state : dict
        ``center``, ``scale``, ``reference`` (float32), ``cutoff`` and ``n_neighbors``.
    """
    rng = np.random.default_rng(random_state)
    center, scale = _standardise(blocks)
    state = {"center": center, "scale": scale}
    n_rows = len(blocks[0])
    if n_rows > 4 * MAX_REFERENCE:  # candidates first, so that memory follows the reference
        rows = np.sort(rng.choice(n_rows, 4 * MAX_REFERENCE, replace=False))
        blocks = [np.asarray(b)[rows] for b in blocks]
    # the reference as it is stored (float32), distinct rows only
    Z = np.unique(_stack(blocks, state).astype(np.float32), axis=0)
    if len(Z) > MAX_REFERENCE:
        Z = Z[np.sort(rng.choice(len(Z), MAX_REFERENCE, replace=False))]
    n = len(Z)
    if n < 2:  # a single distinct row: nothing to calibrate on, any distance is remote
        state.update(reference=Z, cutoff=float(np.finfo(np.float32).eps), n_neighbors=1)
        return state
    n_folds = min(CALIBRATION_FOLDS, n)
    fold = rng.permutation(n) % n_folds
    # each fold's rows against the other folds' rows; k no more than those rows
    k = max(1, min(N_NEIGHBORS, n - int(np.bincount(fold).max())))
    # the calibration rows: every reference row, or a seeded subsample of them
    query = np.ones(n, dtype=bool)
    if n > MAX_CALIBRATION:
        query[:] = False
        query[rng.choice(n, MAX_CALIBRATION, replace=False)] = True
    calibration = []
    for f in range(n_folds):
        calibration.append(_knn_mean_distance(Z[(fold == f) & query], Z[fold != f], k))
    cutoff = float(np.quantile(np.concatenate(calibration), CALIBRATION_QUANTILE))
    cutoff = max(cutoff, float(np.finfo(np.float32).eps))
    state.update(reference=Z, cutoff=cutoff, n_neighbors=k)
    return state


def domain_scores(state: dict, blocks: list[np.ndarray]) -> np.ndarray:
    """Each sample's score (1 = as remote as the 5 % most remote training rows)."""
    Z = _stack(blocks, state)
    return _knn_mean_distance(Z, state["reference"], int(state["n_neighbors"])) / state["cutoff"]


def check_domain_threshold(threshold) -> None:
    """``domain_threshold`` is a positive number or None; the error says what to pass."""
    if threshold is None:
        return
    if (
        isinstance(threshold, bool)
        or not isinstance(threshold, numbers.Real)
        or not np.isfinite(threshold)
        or threshold <= 0
    ):
        raise ValueError(
            f"domain_threshold must be a positive number (a domain score; 1 is as remote as "
            f"the 5 % most remote training rows) or None to turn the warning off; got "
            f"{threshold!r}."
        )


class DomainScoreMixin:
    """``domain_score`` and the out-of-domain warning of an estimator with a feature space.

    The estimator provides ``_domain_blocks(X)`` (the feature blocks of new input), stores
    ``domain_ = fit_domain(...)`` in ``fit``, calls ``_warn_out_of_domain(blocks)`` from its
    prediction methods and has a ``domain_threshold`` parameter.
    """

    def domain_score(self, X):
        """How far each sample lies from the training data.

        The mean distance to the 5 nearest training rows in the estimator's feature space
        (standardised; see the class docstring), divided by the same distance's 95 % quantile
        over the training rows measured out of fold. Rows like the training rows score
        mostly below 1; a score of 2 is twice as remote as the 5 % most remote training
        rows. Predictions and intervals of samples with high scores are extrapolations.

        Parameters
        ----------
        X : array-like
            Input of the form seen in ``fit``.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            Non-negative scores.
        """
        check_is_fitted(self)
        self._check_domain_available()
        return domain_scores(self.domain_, self._domain_blocks(X))

    def _check_domain_available(self) -> None:
        if getattr(self, "domain_", None) is None:
            raise ValueError(
                f"this {type(self).__name__} was fitted by an sktl version without domain "
                "scores; refit it to get domain_score."
            )

    def _warn_out_of_domain(self, blocks) -> None:
        """One warning when samples score beyond ``domain_threshold`` (None: no check)."""
        threshold = self.domain_threshold
        check_domain_threshold(threshold)
        if threshold is None or getattr(self, "domain_", None) is None:
            return
        scores = domain_scores(self.domain_, blocks)
        beyond = scores > threshold
        if beyond.any():
            first = np.flatnonzero(beyond)[:5].tolist()
            warnings.warn(
                f"{beyond.sum()} of {len(scores)} samples ({beyond.mean():.1%}) lie beyond "
                f"domain_threshold={threshold} of the training data (scores up to "
                f"{scores.max():.2f}; rows {first}{' ...' if beyond.sum() > 5 else ''}): "
                "their predictions and intervals are extrapolations. "
                f"{type(self).__name__}.domain_score(X) gives every sample's score; "
                "domain_threshold=None turns this warning off.",
                OutOfDomainWarning,
                stacklevel=_caller_stacklevel(),
            )
