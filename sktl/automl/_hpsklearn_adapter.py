"""hyperopt-sklearn as HyperoptRegressor uses it: imported on demand, its components by name,
and its estimator class quiet and able to start its per-trial processes anywhere."""

from __future__ import annotations

import functools
import multiprocessing
import types
import weakref

_INSTALL_HINT = (
    "HyperoptRegressor needs hyperopt and hyperopt-sklearn, and {missing}. Install them with\n"
    '    pip install "sktl[automl]"\n'
    "    pip install --no-deps hyperopt-sklearn==1.1.1\n"
    "--no-deps because hyperopt-sklearn 1.1.1 declares stale caps (scikit-learn<=1.7, "
    "numpy<=2.3.0, scipy<=1.15.3, pandas<=2.3.0, hyperopt==0.2.7) that would downgrade the "
    "current stack it runs on; what it imports comes with the automl extra."
)


def import_hyperopt():
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


#: kind -> (hpsklearn's search space over all its components of that kind, its label)
_ANY = {"regressor": ("any_regressor", "reg"), "preprocessing": ("any_preprocessing", "pre")}
_EXAMPLE = {"regressor": "random_forest_regressor", "preprocessing": "standard_scaler"}


def component(hpsklearn, kind: str, name: str):
    """The hpsklearn search space named ``name`` for the ``regressor`` or ``preprocessing``
    argument (``kind``) of HyperoptEstimator; a ValueError for an unknown name."""
    if name == "any":
        factory, label = _ANY[kind]
        return getattr(hpsklearn, factory)(label)
    if kind == "preprocessing" and name == "none":
        return []
    factory = getattr(hpsklearn, name, None)
    if not callable(factory):
        raise ValueError(
            f"{kind}={name!r} is not an hpsklearn component; use 'any' or a name such as "
            f"'{_EXAMPLE[kind]}'."
        )
    comp = factory(name)
    return comp if kind == "regressor" else [comp]


# -- per-trial processes -------------------------------------------------------------------------
def estimator_class(hpsklearn):
    """hpsklearn's HyperoptEstimator, quiet and able to start its per-trial processes anywhere.

    * hpsklearn calls ``hyperopt.fmin`` without ``show_progressbar``, so every fit printed a
      progress bar to stdout; here its ``fit_iter`` sees a ``hyperopt`` whose ``fmin`` has the
      bar off.
    * hpsklearn runs every trial in a ``multiprocessing.Process``. In a loky worker (e.g.
      ``cross_val_score(..., n_jobs=2)``) the default start method is "loky", whose process
      launcher needs attributes that a plain ``Process`` lacks ("'Process' object has no
      attribute 'env'"), so every trial failed. There ``fit_iter`` also sees the platform's
      standard ``Process`` and ``Pipe``.
    * hpsklearn's ``fit`` catches a KeyboardInterrupt, ends the search and returns as if it
      had finished. Here ``fit_iter`` records it first (``sktl_stopped_by = "interrupt"``) and
      ends the trial process that was running, so that the caller can tell an interrupted
      search from a finished one and no trial outlives the search.

    All is done in a subclass whose ``fit_iter`` wraps hpsklearn's own code run with other
    globals: hpsklearn's and hyperopt's modules are not patched.
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
    if {"Process", "Pipe"} <= names:
        if method is not None:
            context = multiprocessing.get_context(method)
            namespace.update(Process=context.Process, Pipe=context.Pipe)
        # a function, not a subclass: the process object stays picklable for "spawn"
        namespace["Process"] = functools.partial(_trial_process, namespace["Process"])
    patched = types.FunctionType(
        fit_iter.__code__, namespace, fit_iter.__name__, fit_iter.__defaults__, fit_iter.__closure__
    )
    patched.__kwdefaults__ = fit_iter.__kwdefaults__

    @functools.wraps(fit_iter)
    def recording_fit_iter(self, *args, **kwargs):
        self.sktl_stopped_by = None
        try:
            return (yield from patched(self, *args, **kwargs))
        except KeyboardInterrupt as stop:
            # hpsklearn's fit swallows it and ends the search: the one way to stop a search
            # early, so a time budget would raise a KeyboardInterrupt subclass naming its
            # ``sktl_reason`` and take this path too
            self.sktl_stopped_by = getattr(stop, "sktl_reason", "interrupt")
            _end_trial_processes()
            raise

    return type(
        base.__name__,
        (base,),
        {"fit_iter": recording_fit_iter, "__module__": __name__, "__doc__": base.__doc__},
    )


#: the trial processes started by searches (one search at a time per process, see
#: ``_process_state``); a KeyboardInterrupt in the search ends those still running
_TRIAL_PROCESSES: weakref.WeakSet = weakref.WeakSet()


def _trial_process(process_class, *args, **kwargs):
    process = process_class(*args, **kwargs)
    _TRIAL_PROCESSES.add(process)
    return process


def _end_trial_processes() -> None:
    """Terminate the trial processes still running.

    A Ctrl-C in a terminal reaches them too, but an interrupt sent to this process alone
    (Jupyter's "interrupt kernel") does not: the trial would run on and then block forever on
    sending a large fitted model through a pipe that no one reads any more.
    """
    for process in multiprocessing.active_children():  # this process's live children
        if process in _TRIAL_PROCESSES:
            process.terminate()
            process.join(5)
