"""hyperopt-sklearn as a well-behaved scikit-learn regressor."""

from __future__ import annotations

import contextlib
import multiprocessing
import numbers
import os
import warnings

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin, _fit_context
from sklearn.linear_model import RidgeCV
from sklearn.pipeline import make_pipeline
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from .._atomic import atomic_fit
from .._torch import seed_from_random_state


@contextlib.contextmanager
def _fmin_seed(seed: int):
    # hpsklearn 1.1.1 never passes its seed to hyperopt.fmin (its rstate workaround is
    # inverted), so fmin falls back to $HYPEROPT_FMIN_SEED: set it for the duration of the fit.
    old = os.environ.get("HYPEROPT_FMIN_SEED")
    os.environ["HYPEROPT_FMIN_SEED"] = str(seed)
    try:
        yield
    finally:
        if old is None:
            del os.environ["HYPEROPT_FMIN_SEED"]
        else:
            os.environ["HYPEROPT_FMIN_SEED"] = old


def _use_standard_processes() -> None:
    """Let hyperopt-sklearn start its per-trial processes inside joblib's loky workers.

    hpsklearn runs every trial in a ``multiprocessing.Process``. In a loky worker (e.g.
    ``cross_val_score(..., n_jobs=2)``) the default start method is "loky", whose process
    launcher needs attributes that a plain ``Process`` lacks ("'Process' object has no
    attribute 'env'"), so every trial failed. There hpsklearn's module gets the platform's
    standard start method instead; elsewhere nothing changes.
    """
    standard = multiprocessing.get_all_start_methods()
    if multiprocessing.get_start_method(allow_none=True) in (None, *standard):
        return
    import hpsklearn.estimator.estimator as hp_estimator

    context = multiprocessing.get_context(standard[0])
    hp_estimator.Process, hp_estimator.Pipe = context.Process, context.Pipe


def _component(kind: str, name: str):
    import hpsklearn

    if kind == "regressor":
        if name == "any":
            return hpsklearn.any_regressor("reg")
        factory = getattr(hpsklearn, name, None)
    else:
        if name == "any":
            return hpsklearn.any_preprocessing("pre")
        if name == "none":
            return []
        factory = getattr(hpsklearn, name, None)
    if factory is None or not callable(factory):
        raise ValueError(
            f"{kind}={name!r} is not an hpsklearn component; use 'any' or a name such as "
            f"'{'random_forest_regressor' if kind == 'regressor' else 'standard_scaler'}'."
        )
    comp = factory(name)
    return comp if kind == "regressor" else [comp]


class HyperoptRegressor(RegressorMixin, BaseEstimator):
    """AutoML baseline: hyperopt-sklearn's search over models and preprocessing.

    Wraps :class:`hpsklearn.HyperoptEstimator` so that it behaves like any scikit-learn
    regressor: ``fit`` returns ``self``, the search is validated by k-fold cross-validation
    (hyperopt-sklearn's default is a single 20% holdout), the search is reproducible from
    ``random_state``, and a search in which every trial fails falls back to ``RidgeCV`` with a
    warning instead of leaving an unusable model. Multi-target ``y`` runs one search per target.

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
        Folds of the k-fold cross-validation scoring each trial; None uses a shuffled holdout
        of ``valid_size``.
    valid_size : float, default=0.2
        Holdout fraction when ``cv`` is None.
    algo : {"tpe", "rand"}, default="tpe"
        hyperopt's search algorithm.
    trial_timeout : float or None, default=None
        Seconds after which one trial is abandoned.
    fallback : {"ridge", "raise"}, default="ridge"
        What to do when all trials fail or time out.
    random_state : int, RandomState instance or None, default=None
        Seeds the search and the fold shuffling.

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
        Per target, the validation loss of every trial (NaN where a trial failed).
    fallback_used_ : list of bool
        Whether the ridge fallback replaced a failed search, per target.
    n_outputs_ : int
    """

    _parameter_constraints: dict = {
        "regressor": [str],
        "preprocessing": [str],
        "max_evals": [Interval(numbers.Integral, 1, None, closed="left")],
        "cv": [Interval(numbers.Integral, 2, None, closed="left"), None],
        "valid_size": [Interval(numbers.Real, 0, 1, closed="neither")],
        "algo": [StrOptions({"tpe", "rand"})],
        "trial_timeout": [Interval(numbers.Real, 0, None, closed="neither"), None],
        "fallback": [StrOptions({"ridge", "raise"})],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        regressor="any",
        preprocessing="any",
        max_evals=20,
        cv=5,
        valid_size=0.2,
        algo="tpe",
        trial_timeout=None,
        fallback="ridge",
        random_state=None,
    ):
        self.regressor = regressor
        self.preprocessing = preprocessing
        self.max_evals = max_evals
        self.cv = cv
        self.valid_size = valid_size
        self.algo = algo
        self.trial_timeout = trial_timeout
        self.fallback = fallback
        self.random_state = random_state

    def _search(self, X, y, seed):
        import hyperopt
        from hpsklearn import HyperoptEstimator

        _use_standard_processes()
        search = HyperoptEstimator(
            regressor=_component("regressor", self.regressor),
            preprocessing=_component("preprocessing", self.preprocessing),
            algo=hyperopt.tpe.suggest if self.algo == "tpe" else hyperopt.rand.suggest,
            max_evals=self.max_evals,
            fit_increment=self.max_evals,  # one fmin call, so one seeded random stream
            trial_timeout=self.trial_timeout,
            seed=seed,
            verbose=False,
        )
        n_folds = self.cv if self.cv is not None and self.cv <= len(y) else None
        with _fmin_seed(seed):
            search.fit(
                X,
                y,
                n_folds=n_folds,
                valid_size=self.valid_size,
                cv_shuffle=True,
                random_state=np.random.default_rng(seed),
            )
        return search

    @atomic_fit
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Run one hyperopt search per target and refit the best model on all of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_targets)

        Returns
        -------
        self : HyperoptRegressor
        """
        X, y = validate_data(self, X, y, multi_output=True, y_numeric=True, dtype=np.float64)
        if X.shape[0] < 2:
            raise ValueError(
                f"HyperoptRegressor needs at least 2 samples, got n_samples={X.shape[0]}."
            )
        Y = y.reshape(len(y), -1)
        self.y_ndim_ = y.ndim
        self.n_outputs_ = Y.shape[1]
        # resolve the component names first: a typo must not be hidden by the fallback
        _component("regressor", self.regressor)
        _component("preprocessing", self.preprocessing)
        seed = seed_from_random_state(self.random_state)
        self.estimators_, self.best_models_, self.fallback_used_ = [], [], []
        self.models_, self.trial_losses_ = [], []
        for j in range(Y.shape[1]):
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    search = self._search(X, Y[:, j], seed + j)
                self.estimators_.append(search)
                best = search.best_model()
                self.best_models_.append(best)
                steps = [*best["preprocs"], best["learner"]]
                self.models_.append(make_pipeline(*steps) if len(steps) > 1 else steps[0])
                self.trial_losses_.append(
                    np.array(
                        [t["result"].get("loss", np.nan) for t in search.trials.trials],
                        dtype=float,
                    )
                )
                self.fallback_used_.append(False)
            except Exception as exc:  # hyperopt.exceptions.AllTrialsFailed, RuntimeError, ...
                if self.fallback == "raise":
                    raise RuntimeError(
                        f"hyperopt-sklearn search failed for target {j}: {exc}"
                    ) from exc
                warnings.warn(
                    f"hyperopt-sklearn search failed for target {j} ({type(exc).__name__}: "
                    f"{exc}); falling back to RidgeCV.",
                    RuntimeWarning,
                    stacklevel=2,
                )
                ridge = RidgeCV(alphas=np.logspace(-4, 4, 17)).fit(X, Y[:, j])
                self.estimators_.append(ridge)
                self.best_models_.append({"learner": ridge, "preprocs": (), "ex_preprocs": ()})
                self.models_.append(ridge)
                self.trial_losses_.append(np.full(self.max_evals, np.nan))
                self.fallback_used_.append(True)
        return self

    def predict(self, X):
        """Predict with the best model of each target.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_targets)
        """
        check_is_fitted(self, "models_")
        X = validate_data(self, X, reset=False, dtype=np.float64)
        preds = np.column_stack([np.asarray(m.predict(X), dtype=float) for m in self.models_])
        return preds[:, 0] if self.y_ndim_ == 1 else preds

    def __getstate__(self):
        state = dict(super().__getstate__())  # a copy: object.__getstate__ returns __dict__
        state.pop("estimators_", None)  # hyperopt objects: functions, not data (see models_)
        return state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
