"""scipy's L-BFGS-B on one box for every variable, without scipy's per-variable set-up.

``scipy.optimize.minimize(method="L-BFGS-B")`` turns the bounds into per-variable Python
objects on every call (scipy issue 19396 on its memory): 2.5-5 s for a 64^3 RGB volume (0.8
million variables) and 18-36 s at 128^3, while an evaluation of the loss takes about a
second. Volumes on slice subsets restart L-BFGS-B every few iterations, so that set-up was a
tenth of their time. :func:`minimize_box` runs scipy's own L-BFGS-B routine (``setulb``) with
the bounds built as arrays, in the loop of ``scipy.optimize._lbfgsb_py``: the same iterates.
``setulb`` is private and its signature changed when scipy 1.15 ported it from Fortran to C,
so both known signatures are driven, once checked against ``minimize`` on a small problem;
any other signature, or a failed check, falls back to ``minimize``.
"""

from __future__ import annotations

import functools

import numpy as np
from scipy.optimize import Bounds, minimize

try:
    from scipy.optimize import _lbfgsb
except ImportError:  # pragma: no cover - a scipy without the module: minimize only
    _lbfgsb = None

_MAXLS = 20  # scipy's default number of line-search steps per iteration


def _signature() -> str:
    """'c' (scipy >= 1.15), 'fortran' (older) or 'unknown' (use ``minimize``)."""
    doc = getattr(getattr(_lbfgsb, "setulb", None), "__doc__", None) or ""
    if "setulb(m,x,l,u,nbd,f,g,factr,pgtol,wa,iwa,task,lsave,isave,dsave,maxls,ln_task)" in doc:
        return "c"
    if "setulb(m,x,l,u,nbd,f,g,factr,pgtol,wa,iwa,task,iprint,csave,lsave,isave,dsave,maxls" in doc:
        return "fortran"
    return "unknown"


SIGNATURE = _signature()


@functools.cache
def _direct_path_works(signature: str) -> bool:
    """Whether driving ``setulb`` gives ``minimize``'s iterates on a small bounded problem
    (checked once per process: a scipy whose routine changed in a way the signature does not
    show, its integer width for one, falls back to ``minimize``)."""
    if signature == "unknown":
        return False
    weights = np.arange(1.0, 8.0)

    def fun(x):
        return float(((x - 0.7) ** 2 * weights).sum()), 2.0 * (x - 0.7) * weights

    x0 = np.linspace(-1.0, 2.0, 7)
    opts = {"maxiter": 4, "maxfun": 8, "ftol": 1e-12, "maxcor": 3}
    try:
        ref = minimize(fun, x0, jac=True, method="L-BFGS-B", bounds=Bounds(np.zeros(7),
                       np.full(7, 0.5)), options={**opts, "gtol": 0.0})
        return bool(np.array_equal(_drive(signature, fun, x0, 0.0, 0.5, None, **opts), ref.x))
    except Exception:  # noqa: BLE001 - any failure of the private routine: use minimize
        return False


def minimize_box(fun, x0, lower, upper, *, maxiter, maxfun, ftol, maxcor, callback=None):
    """Minimise ``fun`` over ``lower <= x <= upper`` (scalars, one box for every variable) with
    L-BFGS-B and no projected-gradient stop (scipy's ``gtol=0``).

    Parameters
    ----------
    fun : callable
        ``fun(x)`` returns the loss and its gradient (float64, shape of ``x``).
    x0 : ndarray of shape (n,)
    lower, upper : float
    maxiter, maxfun : int
        Limits on iterations and on evaluations, as scipy's options of those names.
    ftol : float
        scipy's ``ftol``: stop when the relative reduction of the loss falls below it.
    maxcor : int
        Number of correction pairs kept.
    callback : callable, optional
        Called with the loss after every iteration.

    Returns
    -------
    ndarray of shape (n,)
        The last iterate.
    """
    if not _direct_path_works(SIGNATURE):

        def _cb(intermediate_result):  # scipy passes the result for this parameter name
            if callback is not None:
                callback(float(intermediate_result.fun))

        res = minimize(
            fun, x0, jac=True, method="L-BFGS-B",
            bounds=Bounds(np.full(x0.size, lower), np.full(x0.size, upper)), callback=_cb,
            options={"maxiter": maxiter, "maxfun": maxfun, "ftol": ftol, "gtol": 0.0,
                     "maxcor": maxcor},
        )
        return res.x
    return _drive(SIGNATURE, fun, x0, lower, upper, callback, maxiter=maxiter, maxfun=maxfun,
                  ftol=ftol, maxcor=maxcor)


def _drive(signature, fun, x0, lower, upper, callback, *, maxiter, maxfun, ftol, maxcor):
    """scipy's L-BFGS-B loop (``scipy.optimize._lbfgsb_py``) around ``setulb``, with the bounds
    built as arrays."""
    n, m = x0.size, int(maxcor)
    low = np.full(n, float(lower))
    high = np.full(n, float(upper))
    x = np.clip(np.asarray(x0, np.float64), low, high)  # a copy, which setulb changes
    c_port = signature == "c"
    int_type = np.int32 if c_port else _lbfgsb.types.intvar.dtype
    nbd = np.full(n, 2, int_type)  # both bounds on every variable
    f = np.array(0.0, np.float64)
    g = np.zeros(n, np.float64)
    wa = np.zeros(2 * m * n + 5 * n + 11 * m * m + 8 * m, np.float64)
    iwa = np.zeros(3 * n, int_type)
    lsave, isave, dsave = np.zeros(4, int_type), np.zeros(44, int_type), np.zeros(29)
    factr = ftol / np.finfo(float).eps
    if c_port:
        task, ln_task = np.zeros(2, np.int32), np.zeros(2, np.int32)
    else:
        task, csave = np.zeros(1, "S60"), np.zeros(1, "S60")
        task[:] = "START"
    last = None  # (x, f, g) of the last evaluation, which the routine may ask for again
    n_iter = n_evals = 0
    while True:
        g = g.astype(np.float64)
        if c_port:
            _lbfgsb.setulb(m, x, low, high, nbd, f, g, factr, 0.0, wa, iwa, task, lsave,
                           isave, dsave, _MAXLS, ln_task)
            wants_fg, new_x = task[0] == 3, task[0] == 1
        else:
            _lbfgsb.setulb(m, x, low, high, nbd, f, g, factr, 0.0, wa, iwa, task, -1, csave,
                           lsave, isave, dsave, _MAXLS)
            text = task.tobytes()
            wants_fg, new_x = text.startswith(b"FG"), text.startswith(b"NEW_X")
        if wants_fg:
            if last is None or not np.array_equal(x, last[0]):
                x_now = x.copy()  # setulb changes x in place; fun may keep what it gets
                fx, gx = fun(x_now)
                last = (x_now, float(fx), np.asarray(gx, np.float64))
                n_evals += 1
            f, g = last[1], last[2].copy()
        elif new_x:
            n_iter += 1
            if callback is not None:
                callback(float(f))
            if n_iter >= maxiter or n_evals > maxfun:
                if c_port:
                    task[0], task[1] = 5, 504 if n_iter >= maxiter else 502
                else:
                    task[:] = "STOP: LIMIT"
        else:
            return x
