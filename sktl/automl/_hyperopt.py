"""hyperopt-sklearn as a well-behaved scikit-learn regressor.

hyperopt and hyperopt-sklearn (``hpsklearn``) are optional: they are imported when a search
runs, so ``import sktl`` and building the estimator work without them.
"""

from __future__ import annotations

import warnings
from typing import NamedTuple

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin, _fit_context
from sklearn.linear_model import RidgeCV
from sklearn.pipeline import make_pipeline
from sklearn.utils.validation import check_is_fitted, validate_data

from .._nn._torch import seed_from_random_state
from ..utils._atomic import atomic_fit
from ..utils._docstrings import fill_doc
from ..utils._validation import warn_inactive
from ..utils._vocabulary import upgrade_state, vocabulary
from ._hpsklearn_adapter import component, estimator_class, import_hyperopt
from ._process_state import fmin_seed, process_state_kept


class _Target(NamedTuple):
    """The outcome of one target's search."""

    estimator: object  # the hpsklearn search, or the fallback RidgeCV
    best: dict  # the best learner and preprocessing
    model: object  # the best refitted on all rows
    losses: np.ndarray  # validation loss of every finished trial (NaN: failed)
    fallback_used: bool
    stopped_by: str | None  # why the search ended before max_evals ("interrupt"), or None


class _StoppedSearchFailed(Exception):
    """A search stopped early whose finished trials all failed (the fallback applies)."""

    def __init__(self, stopped_by: str, losses: np.ndarray):
        super().__init__(stopped_by)
        self.stopped_by, self.losses = stopped_by, losses


def _finished_losses(search) -> np.ndarray:
    """The validation loss of every finished trial of ``search`` (NaN where one failed); a
    trial that an interrupt cut short is not finished."""
    done = [t for t in search.trials.trials if t["state"] == _JOB_STATE_DONE]
    return np.array([t["result"].get("loss", np.nan) for t in done], dtype=float)


_JOB_STATE_DONE = 2  # hyperopt.base.JOB_STATE_DONE, without importing hyperopt

# Larger magnitudes overflow in the learners' sums of squares (e.g. RidgeCV's Gram matrix).
_MAX_MAGNITUDE = float(np.sqrt(np.finfo(np.float64).max)) * 1e-4  # about 1.3e150


def _check_magnitudes(X, y) -> None:
    for what, a in (("X", X), ("y", y)):
        peak = float(np.max(np.abs(a))) if a.size else 0.0
        if peak > _MAX_MAGNITUDE:
            raise ValueError(
                f"{what} contains values up to {peak:.3g}, too large for the learners' "
                "float64 arithmetic (their squares overflow); rescale it first, e.g. divide "
                "by a constant."
            )


@fill_doc(
    validation_fraction="Holdout fraction when ``cv`` is None (with k-fold ``cv`` it has no "
    "effect: a value other than the default then warns).",
    random_state="Seeds the search and the fold shuffling.",
)
@vocabulary
class HyperoptRegressor(RegressorMixin, BaseEstimator):
    """AutoML baseline: hyperopt-sklearn's search over models and preprocessing.

    Wraps :class:`hpsklearn.HyperoptEstimator` so that it behaves like any scikit-learn
    regressor: ``fit`` returns ``self``, the search is validated by k-fold cross-validation
    (hyperopt-sklearn's default is a single 20% holdout), the search is reproducible from
    ``random_state``, and a search in which every trial fails falls back to ``RidgeCV`` with a
    warning instead of leaving an unusable model. Multi-target ``y`` runs one search per target.

    hyperopt and hyperopt-sklearn are optional and imported by ``fit`` (building, cloning and
    ``predict`` of a fitted model do not need them). Install them with
    ``pip install "sktl[automl]"`` and then ``pip install --no-deps hyperopt-sklearn==1.1.1``:
    without ``--no-deps`` its stale caps (scikit-learn<=1.7, numpy<=2.3.0, ...) would downgrade
    the current stack, on which it runs. A fit leaves no global trace (RNGs, environment,
    warnings filters, logging, hyperopt-sklearn's module attributes are as before).

    A KeyboardInterrupt (Ctrl-C) ends the search, as for every sktl search (the rules are in
    :mod:`sktl.base`): the trials that finished are kept, the best of them is refitted and
    used, ``interrupted_`` is True and a warning says how many trials finished. With several
    targets, each needs a finished trial: an interrupt before one, or during the search of
    any target but the last, is raised again and leaves the estimator as it was before ``fit``.

    Parameters
    ----------
    regressor : str, default="any"
        "any" (hpsklearn's ``any_regressor``: SVR, kNN, random forest, extra trees, AdaBoost,
        gradient boosting, SGD) or the name of one hpsklearn regressor component, e.g.
        "random_forest_regressor" or "ridge".
    preprocessing : str, default="any"
        "any" (PCA, standard, min-max scaling or normaliser), "none", or one hpsklearn
        preprocessing component name such as "standard_scaler".
    max_evals : int, default=20
        Number of configurations tried.
    cv : int or None, default=5
        Folds of the k-fold cross-validation scoring each trial; None (or more folds than
        samples) uses a shuffled holdout of ``validation_fraction``.
    %(validation_fraction)s
    algo : {"tpe", "rand"}, default="tpe"
        hyperopt's search algorithm. TPE draws its first 20 trials at random, as "rand" does:
        it differs from a random search only with ``max_evals > 20``.
    trial_timeout : float or None, default=None
        Seconds after which one trial is abandoned.
    fallback : {"ridge", "raise"}, default="ridge"
        What to do when all trials fail or time out.
    %(random_state)s

    Attributes
    ----------
    estimators_ : list of hpsklearn.HyperoptEstimator or RidgeCV
        One fitted search per target column. Not saved with the model: hyperopt's search objects
        hold functions that a secure format must not load (see ``models_``).
    models_ : list of estimator
        Per target, the best model refitted on all of ``X``: its preprocessing and learner as a
        :class:`~sklearn.pipeline.Pipeline` (or the learner alone). ``predict`` uses these.
    best_models_ : list of dict
        The best learner and preprocessing found per target.
    trial_losses_ : list of ndarray
        Per target, the validation loss of every finished trial (NaN where a trial failed).
    fallback_used_ : list of bool
        Whether the ridge fallback replaced a failed search, per target.
    interrupted_ : bool
        True when a KeyboardInterrupt ended the search early; the models are then the best of
        the trials that had finished (``trial_losses_`` holds only those).
    y_ndim_ : int
        Dimensions of ``y`` in ``fit`` (1 or 2): ``predict`` returns 1-D predictions for a
        1-D ``y``.
    n_outputs_ : int
        Number of targets (one search each).
    n_features_in_ : int
        Number of features of ``X``.
    feature_names_in_ : ndarray of str of shape (``n_features_in_``,)
        Column names of ``X``, when ``fit`` is given a DataFrame whose column names are all
        strings.

    Examples
    --------
    >>> import numpy as np
    >>> from sktl.automl import HyperoptRegressor
    >>> X = np.random.default_rng(0).random((40, 3))
    >>> y = X @ np.array([1.0, 2.0, 3.0])
    >>> reg = HyperoptRegressor(regressor="ridge", preprocessing="none", max_evals=2, cv=None,
    ...                         random_state=0).fit(X, y)
    >>> round(reg.score(X, y), 2)
    1.0
    """

    def __init__(
        self,
        *,
        regressor="any",
        preprocessing="any",
        max_evals=20,
        cv=5,
        validation_fraction=0.2,
        algo="tpe",
        trial_timeout=None,
        fallback="ridge",
        random_state=None,
    ):
        self.regressor = regressor
        self.preprocessing = preprocessing
        self.max_evals = max_evals
        self.cv = cv
        self.validation_fraction = validation_fraction
        self.algo = algo
        self.trial_timeout = trial_timeout
        self.fallback = fallback
        self.random_state = random_state

    def _search(self, X, y, seed):
        """One hyperopt-sklearn search; run inside ``process_state_kept``."""
        hyperopt, hpsklearn = import_hyperopt()
        search = estimator_class(hpsklearn)(
            regressor=component(hpsklearn, "regressor", self.regressor),
            preprocessing=component(hpsklearn, "preprocessing", self.preprocessing),
            algo=hyperopt.tpe.suggest if self.algo == "tpe" else hyperopt.rand.suggest,
            max_evals=self.max_evals,
            fit_increment=self.max_evals,  # one fmin call, so one seeded random stream
            trial_timeout=self.trial_timeout,
            seed=seed,
            verbose=False,
        )
        n_folds = self._n_folds(len(y))
        try:
            with fmin_seed(seed):
                search.fit(
                    X,
                    y,
                    n_folds=n_folds,
                    valid_size=self.validation_fraction,
                    cv_shuffle=True,
                    random_state=np.random.default_rng(seed),
                )
        except Exception as exc:  # hpsklearn's "All trials failed or timed out", or any
            # error of its own while it handles an interrupt (an IndexError with no trial)
            stopped_by = getattr(search, "sktl_stopped_by", None)
            if stopped_by is None:
                raise
            losses = _finished_losses(search)
            if not len(losses):
                raise KeyboardInterrupt(
                    "HyperoptRegressor.fit was interrupted before any trial finished; the "
                    "estimator is left as it was before fit"
                ) from None
            raise _StoppedSearchFailed(stopped_by, losses) from exc
        return search

    def _n_folds(self, n_samples):
        """The k of the k-fold CV scoring each trial; None for the holdout."""
        return self.cv if self.cv is not None and self.cv <= n_samples else None

    def _fit_target(self, X, y, seed, j) -> _Target:
        """Target ``j``'s search, or a RidgeCV where the search failed and ``fallback="ridge"``.

        A search stopped early (``stopped_by``) keeps its finished trials; one stopped before
        any trial finished raises KeyboardInterrupt.
        """
        stopped_by, losses = None, np.full(self.max_evals, np.nan)
        try:
            with process_state_kept(seed):
                search = self._search(X, y, seed)
            best = search.best_model()
            steps = [*best["preprocs"], best["learner"]]
            model = make_pipeline(*steps) if len(steps) > 1 else steps[0]
            stopped_by = getattr(search, "sktl_stopped_by", None)
            return _Target(search, best, model, _finished_losses(search), False, stopped_by)
        except _StoppedSearchFailed as exc:  # every finished trial of a stopped search failed
            stopped_by, losses = exc.stopped_by, exc.losses
            failure = exc.__cause__
        except Exception as exc:  # hyperopt.exceptions.AllTrialsFailed, RuntimeError, ...
            failure = exc
        if self.fallback == "raise":
            raise RuntimeError(
                f"hyperopt-sklearn search failed for target {j}: {failure}"
            ) from failure
        warnings.warn(
            f"hyperopt-sklearn search failed for target {j} ({type(failure).__name__}: "
            f"{failure}); falling back to RidgeCV.",
            RuntimeWarning,
            stacklevel=3,
        )
        ridge = RidgeCV(alphas=np.logspace(-4, 4, 17)).fit(X, y)
        best = {"learner": ridge, "preprocs": (), "ex_preprocs": ()}
        return _Target(ridge, best, ridge, losses, True, stopped_by)

    @atomic_fit
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Run one hyperopt search per target and refit the best model on all of ``X``.

        The process's global state is as it was afterwards: the legacy numpy and Python RNGs,
        ``$HYPEROPT_FMIN_SEED``, warnings filters, logging configuration and hyperopt-sklearn's
        module attributes. (With ``random_state=None`` the search seed is drawn from numpy's
        global RNG, as scikit-learn estimators do.) Searches in threads of one process run one
        at a time.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training features.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Targets.

        Returns
        -------
        self : object
            The fitted estimator.

        Raises
        ------
        ImportError
            If hyperopt or hyperopt-sklearn is missing; the message says how to install them.
        """
        with process_state_kept():  # importing them moves global state too
            _, hpsklearn = import_hyperopt()
            # resolve the component names first: a typo must not be hidden by the fallback
            component(hpsklearn, "regressor", self.regressor)
            component(hpsklearn, "preprocessing", self.preprocessing)
        X, y = validate_data(self, X, y, multi_output=True, y_numeric=True, dtype=np.float64)
        if X.shape[0] < 2:
            raise ValueError(
                f"HyperoptRegressor needs at least 2 samples, got n_samples={X.shape[0]}."
            )
        _check_magnitudes(X, y)
        Y = y.reshape(len(y), -1)
        self.y_ndim_ = y.ndim
        self.n_outputs_ = Y.shape[1]
        if self._n_folds(len(y)) is not None:
            warn_inactive(
                self,
                ["validation_fraction"],
                f"with cv={self.cv}, which scores every trial by {self.cv}-fold cross-validation",
                "Set cv=None to score trials on a holdout of validation_fraction",
            )
        seed = seed_from_random_state(self.random_state)
        targets = []
        for j in range(Y.shape[1]):  # a loop, not a comprehension: the warning's stacklevel
            targets.append(self._fit_target(X, Y[:, j], seed + j, j))
            if targets[-1].stopped_by is not None:
                break
        stopped = targets[-1].stopped_by is not None
        if stopped and len(targets) < Y.shape[1]:
            raise KeyboardInterrupt(
                f"HyperoptRegressor.fit was interrupted during the search of target "
                f"{len(targets) - 1} of {Y.shape[1]}; the later targets have no finished trial, "
                "so the estimator is left as it was before fit"
            )
        (
            self.estimators_,
            self.best_models_,
            self.models_,
            self.trial_losses_,
            self.fallback_used_,
            _,
        ) = (list(column) for column in zip(*targets))
        self.interrupted_ = stopped
        if stopped:
            n_done = len(self.trial_losses_[-1])
            which = f" of target {len(targets) - 1}" if Y.shape[1] > 1 else ""
            used = "they all failed: RidgeCV" if self.fallback_used_[-1] else "the best of them"
            warnings.warn(
                f"HyperoptRegressor.fit was interrupted: the search{which} ended with {n_done} "
                f"of max_evals={self.max_evals} trials finished; {used} is used.",
                UserWarning,
                stacklevel=4,  # fit, scikit-learn's and sktl's fit wrappers
            )
        return self

    def predict(self, X):
        """Predict with the best model of each target.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Features, as in ``fit``.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_targets)
            Predictions, 1-D for a 1-D ``y``.
        """
        check_is_fitted(self, "models_")
        X = validate_data(self, X, reset=False, dtype=np.float64)
        preds = np.column_stack([np.asarray(m.predict(X), dtype=float) for m in self.models_])
        return preds[:, 0] if self.y_ndim_ == 1 else preds

    def __getstate__(self):
        state = dict(super().__getstate__())  # a copy: object.__getstate__ returns __dict__
        state.pop("estimators_", None)  # hyperopt objects: functions, not data (see models_)
        return state

    def __setstate__(self, state):
        super().__setstate__(upgrade_state(type(self).__name__, state))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
