"""hyperopt-sklearn as a well-behaved scikit-learn regressor.

hyperopt and hyperopt-sklearn (``hpsklearn``) are optional: they are imported when a search
runs, so ``import sktl`` and building the estimator work without them.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import multiprocessing
import os
import random
import threading
import types
import warnings

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin, _fit_context
from sklearn.linear_model import RidgeCV
from sklearn.pipeline import make_pipeline
from sklearn.utils.validation import check_is_fitted, validate_data

from .._nn._torch import seed_from_random_state
from ..utils._atomic import atomic_fit
from ..utils._vocabulary import upgrade_state, vocabulary

_INSTALL_HINT = (
    "HyperoptRegressor needs hyperopt and hyperopt-sklearn, and {missing}. Install them with\n"
    '    pip install "sktl[automl]"\n'
    "    pip install --no-deps hyperopt-sklearn==1.1.1\n"
    "--no-deps because hyperopt-sklearn 1.1.1 declares stale caps (scikit-learn<=1.7, "
    "numpy<=2.3.0, scipy<=1.15.3, pandas<=2.3.0, hyperopt==0.2.7) that would downgrade the "
    "current stack it runs on; what it imports comes with the automl extra."
)


def _import_hyperopt():
    """``(hyperopt, hpsklearn)``, or an ImportError that says how to install them."""
    try:
        import hyperopt
    except ImportError as exc:
        raise ImportError(
            _INSTALL_HINT.format(missing=f"hyperopt cannot be imported ({exc})")
        ) from exc
    try:
        import hpsklearn
    except ImportError as exc:
        raise ImportError(
            _INSTALL_HINT.format(missing=f"hyperopt-sklearn (hpsklearn) cannot be imported ({exc})")
        ) from exc
    return hyperopt, hpsklearn


# -- process-wide state --------------------------------------------------------------------------
# hyperopt-sklearn, and what it imports, touch state that belongs to the whole process: the
# legacy global RNGs (hpsklearn's logistic_regression draws its solver from np.random; learners
# refitted with random_state=None draw from it; importing it moves Python's `random`),
# $HYPEROPT_FMIN_SEED (see _search), warnings (its components warn about optional xgboost and
# lightgbm; failing trials warn) and logging (importing hyperopt gives two of its loggers a level
# and a stderr handler). A search runs inside _process_state_kept, which restores all of it.
# One search at a time per process: the state is global, so concurrent searches in threads
# would restore each other's state.
_PROCESS_STATE_LOCK = threading.RLock()


def _logging_state():
    manager = logging.root.manager
    loggers = {
        name: (lg.level, list(lg.handlers), lg.propagate, lg.disabled)
        for name, lg in list(manager.loggerDict.items())
        if isinstance(lg, logging.Logger)
    }
    return manager.disable, (logging.root.level, list(logging.root.handlers)), loggers


def _restore_logging(state) -> None:
    disable, (root_level, root_handlers), loggers = state
    manager = logging.root.manager
    logging.disable(disable)
    logging.root.setLevel(root_level)
    logging.root.handlers[:] = root_handlers
    for name, lg in list(manager.loggerDict.items()):
        if not isinstance(lg, logging.Logger):
            continue
        if name in loggers:
            lg.level, handlers, lg.propagate, lg.disabled = loggers[name]
            lg.handlers[:] = handlers
        elif name.startswith("hyperopt"):
            # made by importing hyperopt, which gives its loggers a level and a stderr handler
            # when the root logger has none: unconfigured, as they behaved before the import
            lg.setLevel(logging.NOTSET)
            lg.handlers[:] = [h for h in lg.handlers if isinstance(h, logging.NullHandler)]
    manager._clear_cache()


@contextlib.contextmanager
def _process_state_kept(seed: int | None = None):
    """Run the body with the process's global state restored afterwards.

    The legacy numpy and Python RNGs are seeded with ``seed`` inside (what hyperopt-sklearn
    draws from them is then reproducible from ``random_state``) and restored on exit, as are
    ``$HYPEROPT_FMIN_SEED``, the warnings filters and the logging configuration.
    """
    with _PROCESS_STATE_LOCK, warnings.catch_warnings():
        np_state = np.random.get_state()  # noqa: NPY002 - saving the legacy global RNG
        py_state = random.getstate()
        env = os.environ.get("HYPEROPT_FMIN_SEED")
        log_state = _logging_state()
        try:
            warnings.simplefilter("ignore")
            if seed is not None:
                np.random.seed(seed)  # noqa: NPY002 - what hyperopt-sklearn draws from
                random.seed(seed)
            yield
        finally:
            np.random.set_state(np_state)  # noqa: NPY002
            random.setstate(py_state)
            if env is None:
                os.environ.pop("HYPEROPT_FMIN_SEED", None)
            else:
                os.environ["HYPEROPT_FMIN_SEED"] = env
            _restore_logging(log_state)


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


# -- per-trial processes -------------------------------------------------------------------------
def _estimator_class(hpsklearn):
    """hpsklearn's HyperoptEstimator, quiet and able to start its per-trial processes anywhere.

    * hpsklearn calls ``hyperopt.fmin`` without ``show_progressbar``, so every fit printed a
      progress bar to stdout; here its ``fit_iter`` sees a ``hyperopt`` whose ``fmin`` has the
      bar off.
    * hpsklearn runs every trial in a ``multiprocessing.Process``. In a loky worker (e.g.
      ``cross_val_score(..., n_jobs=2)``) the default start method is "loky", whose process
      launcher needs attributes that a plain ``Process`` lacks ("'Process' object has no
      attribute 'env'"), so every trial failed. There ``fit_iter`` also sees the platform's
      standard ``Process`` and ``Pipe``.

    Both are done in a subclass whose ``fit_iter`` is hpsklearn's own code with other globals:
    hpsklearn's and hyperopt's modules are not patched.
    """
    standard = multiprocessing.get_all_start_methods()
    current = multiprocessing.get_start_method(allow_none=True)
    method = None if current in (None, *standard) else standard[0]
    return _quiet_class(hpsklearn.HyperoptEstimator, method)


def _global_names(code: types.CodeType) -> set:
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _global_names(const)
    return names


@functools.cache
def _quiet_class(base: type, method: str | None) -> type:
    fit_iter = base.fit_iter
    names = _global_names(fit_iter.__code__)
    namespace = dict(fit_iter.__globals__)
    hyperopt = namespace.get("hyperopt")
    if "hyperopt" in names and hyperopt is not None:
        quiet = types.SimpleNamespace(**vars(hyperopt))
        # a partial keeps fmin's signature, which hpsklearn inspects
        quiet.fmin = functools.partial(hyperopt.fmin, show_progressbar=False)
        namespace["hyperopt"] = quiet
    if method is not None and {"Process", "Pipe"} <= names:
        context = multiprocessing.get_context(method)
        namespace.update(Process=context.Process, Pipe=context.Pipe)
    patched = types.FunctionType(
        fit_iter.__code__, namespace, fit_iter.__name__, fit_iter.__defaults__, fit_iter.__closure__
    )
    patched.__kwdefaults__ = fit_iter.__kwdefaults__
    patched.__qualname__ = fit_iter.__qualname__
    patched.__doc__ = fit_iter.__doc__
    return type(
        base.__name__,
        (base,),
        {"fit_iter": patched, "__module__": __name__, "__doc__": base.__doc__},
    )


# Larger magnitudes overflow in the learners' sums of squares (e.g. RidgeCV's Gram matrix).
_MAX_MAGNITUDE = float(np.sqrt(np.finfo(np.float64).max)) * 1e-4  # about 1.3e150


def _component(hpsklearn, kind: str, name: str):
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
        of ``validation_fraction``.
    validation_fraction : float, default=0.2
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
        """One hyperopt-sklearn search; run inside ``_process_state_kept``."""
        hyperopt, hpsklearn = _import_hyperopt()
        search = _estimator_class(hpsklearn)(
            regressor=_component(hpsklearn, "regressor", self.regressor),
            preprocessing=_component(hpsklearn, "preprocessing", self.preprocessing),
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
                valid_size=self.validation_fraction,
                cv_shuffle=True,
                random_state=np.random.default_rng(seed),
            )
        return search

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
        with _process_state_kept():  # importing them moves global state too
            _, hpsklearn = _import_hyperopt()
            # resolve the component names first: a typo must not be hidden by the fallback
            _component(hpsklearn, "regressor", self.regressor)
            _component(hpsklearn, "preprocessing", self.preprocessing)
        X, y = validate_data(self, X, y, multi_output=True, y_numeric=True, dtype=np.float64)
        if X.shape[0] < 2:
            raise ValueError(
                f"HyperoptRegressor needs at least 2 samples, got n_samples={X.shape[0]}."
            )
        for what, a in (("X", X), ("y", y)):
            peak = float(np.max(np.abs(a))) if a.size else 0.0
            if peak > _MAX_MAGNITUDE:
                raise ValueError(
                    f"{what} contains values up to {peak:.3g}, too large for the learners' "
                    "float64 arithmetic (their squares overflow); rescale it first, e.g. divide "
                    "by a constant."
                )
        Y = y.reshape(len(y), -1)
        self.y_ndim_ = y.ndim
        self.n_outputs_ = Y.shape[1]
        seed = seed_from_random_state(self.random_state)
        self.estimators_, self.best_models_, self.fallback_used_ = [], [], []
        self.models_, self.trial_losses_ = [], []
        for j in range(Y.shape[1]):
            try:
                with _process_state_kept(seed + j):
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
