"""Keeping the process-wide state that a hyperopt-sklearn search touches as it was.

hyperopt-sklearn, and what it imports, touch state that belongs to the whole process: the
legacy global RNGs (hpsklearn's logistic_regression draws its solver from np.random; learners
refitted with random_state=None draw from it; importing it moves Python's `random`),
$HYPEROPT_FMIN_SEED (see :func:`fmin_seed`), warnings (its components warn about optional
xgboost and lightgbm; failing trials warn) and logging (importing hyperopt gives two of its
loggers a level and a stderr handler). A search runs inside :func:`process_state_kept`, which
restores all of it. One search at a time per process: the state is global, so concurrent
searches in threads would restore each other's state.
"""

from __future__ import annotations

import contextlib
import logging
import os
import random
import threading
import warnings

import numpy as np

_PROCESS_STATE_LOCK = threading.RLock()
_FMIN_SEED = "HYPEROPT_FMIN_SEED"


@contextlib.contextmanager
def _environment_variable_kept(name: str):
    old = os.environ.get(name)
    try:
        yield
    finally:
        if old is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = old


@contextlib.contextmanager
def _global_rngs_kept(seed: int | None):
    """The legacy numpy and Python RNGs, seeded with ``seed`` inside, restored on exit."""
    np_state = np.random.get_state()  # noqa: NPY002 - saving the legacy global RNG
    py_state = random.getstate()
    try:
        if seed is not None:
            np.random.seed(seed)  # noqa: NPY002 - what hyperopt-sklearn draws from
            random.seed(seed)
        yield
    finally:
        np.random.set_state(np_state)  # noqa: NPY002
        random.setstate(py_state)


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
def _logging_kept():
    state = _logging_state()
    try:
        yield
    finally:
        _restore_logging(state)


@contextlib.contextmanager
def process_state_kept(seed: int | None = None):
    """Run the body with the process's global state restored afterwards.

    The legacy numpy and Python RNGs are seeded with ``seed`` inside (what hyperopt-sklearn
    draws from them is then reproducible from ``random_state``) and restored on exit, as are
    ``$HYPEROPT_FMIN_SEED``, the warnings filters and the logging configuration.
    """
    with (
        _PROCESS_STATE_LOCK,
        warnings.catch_warnings(),
        _environment_variable_kept(_FMIN_SEED),
        _logging_kept(),
        _global_rngs_kept(seed),
    ):
        warnings.simplefilter("ignore")
        yield


@contextlib.contextmanager
def fmin_seed(seed: int):
    """``$HYPEROPT_FMIN_SEED`` set to ``seed`` inside, as it was on exit.

    hpsklearn 1.1.1 never passes its seed to hyperopt.fmin (its rstate workaround is
    inverted), so fmin falls back to $HYPEROPT_FMIN_SEED: set it for the duration of the fit.
    """
    with _environment_variable_kept(_FMIN_SEED):
        os.environ[_FMIN_SEED] = str(seed)
        yield
