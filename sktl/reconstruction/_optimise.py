"""Pixel optimisation of the Gram loss: scipy L-BFGS-B with box bounds, or Adam with clamping."""

from __future__ import annotations

import numpy as np
import torch

from ._lbfgsb import minimize_box

# The Gram loss is tiny (per-pixel gradients ~1e-6), and L-BFGS-B's stopping rules are absolute
# once |f| < 1 (ftol uses max(|f|, 1); gtol compares the raw gradient), so it stops at its first
# line search. The objective is therefore rescaled so that the initial loss equals this value.
INITIAL_LOSS = 1e4
# L-BFGS-B's first step has unit norm in the variables, which spread over all pixels is a
# change of 1/sqrt(n) per pixel: nothing, and the line search then needs many evaluations to
# grow it. The optimiser therefore sees u = x / (FIRST_STEP * sqrt(n)), whose first step moves
# pixels by about FIRST_STEP (rms, in 0-255 units).
FIRST_STEP = 10.0


class _OutOfTime(Exception):
    """Raised by the objective when the caller's time budget has run out (never escapes)."""


class _Objective:
    """Loss and gradient of a flat float64 pixel vector, evaluated by torch in float32.

    With ``out_of_time``, it is asked before every evaluation (raising :class:`_OutOfTime`
    once it says True), and the point of lowest loss evaluated so far is kept (``best``).
    """

    def __init__(self, loss_fn, shape, var_scale=1.0, device="cpu", out_of_time=None):
        self.loss_fn = loss_fn
        self.device = device
        self.shape = shape
        self.scale = 1.0
        self.var_scale = var_scale
        self.n_evals = 0
        self.out_of_time = out_of_time
        self.best, self.best_loss = None, np.inf
        self.start = None  # (flat x0, loss, gradient) of the evaluation before minimize starts

    def raw(self, x: torch.Tensor):
        x = x.detach().requires_grad_(True)
        loss = self.loss_fn(x)
        (grad,) = torch.autograd.grad(loss, x)
        self.n_evals += 1
        return float(loss.detach()), grad

    def __call__(self, flat: np.ndarray):
        if self.start is not None and np.array_equal(flat, self.start[0]):
            # L-BFGS-B's first evaluation is at x0, which raw() has just evaluated
            loss, grad = self.start[1:]
        else:
            if self.out_of_time is not None and self.out_of_time():
                raise _OutOfTime
            x = torch.from_numpy((flat * self.var_scale).astype(np.float32).reshape(self.shape))
            loss, grad = self.raw(x.to(self.device))
        self.start = None
        if self.out_of_time is not None and loss < self.best_loss:
            self.best, self.best_loss = flat.copy(), loss
        grad = grad.cpu().numpy().astype(np.float64).ravel() * (self.scale * self.var_scale)
        return loss * self.scale, grad


def optimise_lbfgs(loss_fn, x0: np.ndarray, max_iter: int, tol: float, callback=None, *,
                   device="cpu", out_of_time=None):
    """Minimise ``loss_fn`` over pixels in [0, 255] with scipy's L-BFGS-B.

    Parameters
    ----------
    loss_fn : callable
        Maps an NCHW float32 tensor to a scalar tensor.
    x0 : ndarray of shape (1, 3, H, W)
        Initial pixels.
    max_iter : int
    tol : float
        Relative reduction of the (rescaled) loss below which L-BFGS-B stops (its ``ftol``).
    callback : callable, optional
        Called with the unscaled loss after every iteration.
    device : torch.device or str, default="cpu"
        Where ``loss_fn`` computes (the optimiser's state stays in numpy).
    out_of_time : callable or None, default=None
        Asked before every evaluation of the loss after the first; once it returns True the
        optimisation stops and returns the pixels of the lowest loss evaluated so far.

    Returns
    -------
    x : ndarray of shape (1, 3, H, W)
    history : ndarray
        Unscaled loss at the start and after each iteration; stopped by ``out_of_time``
        inside a line search that had found a lower loss, then that loss (of ``x``).
    """
    var_scale = FIRST_STEP * np.sqrt(x0.size)
    obj = _Objective(loss_fn, x0.shape, var_scale, device, out_of_time)
    loss0, grad0 = obj.raw(torch.from_numpy(np.ascontiguousarray(x0, np.float32)).to(device))
    obj.scale = INITIAL_LOSS / max(loss0, 1e-30)
    history = [loss0]
    flat0 = x0.astype(np.float64).ravel() / var_scale
    obj.start = (flat0.copy(), loss0, grad0)
    obj.best, obj.best_loss = flat0, loss0  # unscaled

    def _cb(fun):
        history.append(fun / obj.scale)
        if callback is not None:
            callback(history[-1])

    try:
        best = minimize_box(obj, flat0, 0.0, 255.0 / var_scale, maxiter=int(max_iter),
                            maxfun=int(2 * max_iter), ftol=tol, maxcor=20, callback=_cb)
    except _OutOfTime:  # L-BFGS-B only evaluates points inside the bounds
        best = obj.best
        if obj.best_loss < history[-1]:
            history.append(obj.best_loss)
    x = np.clip(best * var_scale, 0.0, 255.0)
    return x.reshape(x0.shape).astype(np.float32), np.asarray(history)


# L-BFGS-B on slice subsets (``n_slices``): iterations on one draw before restarting on a new
# one. The loss must stay fixed while L-BFGS-B builds its curvature pairs.
SLICE_BLOCK = 10


def optimise_lbfgs_blocks(loss_fn, x0, max_iter, tol, callback, draw, *, device="cpu",
                          out_of_time=None):
    """:func:`optimise_lbfgs` on ``draw``'s slice subsets: blocks of ``SLICE_BLOCK``
    iterations, each on a new draw (``draw.redraw()``), up to ``max_iter`` in all. Same
    returns; the history joins the blocks'."""
    x, histories, done = x0, [], 0
    while done < max_iter:
        if done and out_of_time is not None and out_of_time():  # only before a new block:
            break  # a finished level is not cut
        draw.redraw()
        n = min(SLICE_BLOCK, max_iter - done)
        x, history = optimise_lbfgs(loss_fn, x, n, tol, callback, device=device,
                                    out_of_time=out_of_time)
        histories.append(history if not histories else history[1:])
        done += n
    return x, np.concatenate(histories)


def optimise_adam(
    loss_fn, x0: np.ndarray, max_iter: int, tol: float, lr: float = 2.0, callback=None, *,
    device="cpu", out_of_time=None, stochastic=False,
):
    """Minimise ``loss_fn`` with Adam on the pixels, clamping them to [0, 255] after each step.

    Stops early when the loss has fallen by less than ``tol`` (relative) over the last 20
    iterations; with ``stochastic=True`` (a loss on random slices, which goes up and down
    from one evaluation to the next), when the mean loss of the last 20 iterations is less
    than ``tol`` (relative) below that of the 20 before. ``out_of_time`` is asked before every
    evaluation of the loss after the first: once it returns True, the iterate of lowest loss
    so far is returned. Same returns as :func:`optimise_lbfgs`.
    """
    # a plain NCHW-contiguous leaf: torch.optim.LBFGS (and some fused kernels) break on views
    x = torch.tensor(np.ascontiguousarray(x0, np.float32), device=device).contiguous()
    x.requires_grad_(True)
    opt = torch.optim.Adam([x], lr=lr)
    history = []
    best, best_loss = None, np.inf
    for it in range(int(max_iter) + 1):
        if it > 0 and out_of_time is not None and out_of_time():
            if best_loss < history[-1]:  # the history ends with the loss of what is kept
                history.append(best_loss)
            return best.cpu().numpy().copy(), np.asarray(history)
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(x)
        history.append(float(loss.detach()))
        if out_of_time is not None and (best is None or history[-1] < best_loss):
            best, best_loss = x.detach().clone(), history[-1]
        if it > 0 and callback is not None:
            callback(history[-1])
        if it == int(max_iter):
            break
        if _stalled(history, tol, stochastic):
            break
        loss.backward()
        opt.step()
        with torch.no_grad():
            x.clamp_(0.0, 255.0)
    return x.detach().cpu().numpy().copy(), np.asarray(history)


def _stalled(history: list, tol: float, stochastic: bool) -> bool:
    """Whether the loss fell by less than ``tol`` (relative) over the last 20 iterations (a
    stochastic loss: its mean over the last 20 against the 20 before)."""
    if not stochastic:
        return len(history) > 20 and history[-21] - history[-1] <= tol * abs(history[-21])
    if len(history) < 40:
        return False
    before, last = np.mean(history[-40:-20]), np.mean(history[-20:])
    return before - last <= tol * abs(before)
