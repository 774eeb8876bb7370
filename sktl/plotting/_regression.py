"""Parity plots (with interval bars) and loss curves of regression results.

The figures are made with matplotlib's object-oriented API: a :class:`matplotlib.figure.Figure`
with its own Agg canvas. Nothing global changes: not the backend (``matplotlib.use`` is never
called, pyplot is not imported), not pyplot's figure registry (nothing to close; a figure is
freed with its last reference), not ``rcParams``. Save a figure with ``fig.savefig(path)``; in
Jupyter, a returned figure displays as the cell's value.
"""

from __future__ import annotations

import numpy as np

from ._bounds import check_bounds, check_predictions, check_target_names, check_targets, coverage


def new_figure(figsize):
    """A Figure on its own Agg canvas: saveable, outside pyplot.

    Parameters
    ----------
    figsize : (float, float)
        Width and height in inches.

    Returns
    -------
    fig : matplotlib.figure.Figure
        Not registered with pyplot; ``fig.savefig(path)`` writes it.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize)
    FigureCanvasAgg(fig)
    return fig


def plot_parity(y_true, predictions: dict, target_names=None, *, ncols: int = 3, intervals=None):
    """Predicted against true values, one panel per target, one colour per model.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_targets)
        The true values.
    predictions : dict of str -> array-like
        Model name -> predictions of the same shape as ``y_true``.
    target_names : list of str, optional
        One name per target (default ``y0``, ``y1``, ...).
    ncols : int, default=3
        Panels per row.
    intervals : dict of str -> array-like, optional
        Model name (a key of ``predictions``) -> its prediction intervals at one confidence
        level, drawn as vertical bars from the lower to the upper bound at each sample, in the
        model's colour: shape (n_samples, 2) or (n_samples, 2, n_targets), lower bounds at
        index 0 of axis 1. From ``y_pred, y_pis = model.predict_interval(X)``, the k-th
        level is ``y_pis[:, :, k]``. The legend gives each model's coverage.

    Returns
    -------
    fig : matplotlib.figure.Figure
        Not registered with pyplot; save it with ``fig.savefig(path)``.

    Raises
    ------
    ValueError
        When predictions, target names or intervals disagree with ``y_true``, or an
        interval names a model that ``predictions`` lacks.
    """
    from sklearn.metrics import r2_score

    y_true = check_targets(y_true)
    n, n_targets = y_true.shape
    names = check_target_names(target_names, n_targets)
    predictions = check_predictions(predictions, n, n_targets)
    bounds = {}
    for model, pis in (intervals or {}).items():
        if model not in predictions:
            raise ValueError(
                f"intervals[{model!r}] names no model of predictions ({list(predictions)})."
            )
        bounds[model] = check_bounds(pis, n, n_targets, what=f"intervals[{model!r}]", finite=True)
    covered = {model: coverage(y_true, b) for model, b in bounds.items()}
    ncols = min(ncols, n_targets)
    nrows = int(np.ceil(n_targets / ncols))
    fig = new_figure((3.6 * ncols, 3.4 * nrows))
    axes = fig.subplots(nrows, ncols, squeeze=False)
    for j in range(n_targets):
        ax = axes.flat[j]
        lo, hi = y_true[:, j].min(), y_true[:, j].max()
        for model, pred in predictions.items():
            p = pred[:, j]
            points = ax.scatter(
                y_true[:, j],
                p,
                s=8,
                alpha=0.6,
                label=f"{model} (R2 {r2_score(y_true[:, j], p):.2f})",
            )
            if model in bounds:
                ax.vlines(
                    y_true[:, j],
                    bounds[model][:, 0, j],
                    bounds[model][:, 1, j],
                    colors=points.get_facecolor()[:1],
                    alpha=0.35,
                    lw=0.8,
                    zorder=points.get_zorder() - 0.5,
                    label=f"{model} interval (covers {covered[model][j]:.0%})",
                )
        ax.plot([lo, hi], [lo, hi], "k--", lw=1)
        ax.set(title=names[j], xlabel="true", ylabel="predicted")
        ax.legend(fontsize=7, loc="upper left")
    for ax in list(axes.flat)[n_targets:]:
        ax.axis("off")
    fig.tight_layout()
    return fig


def plot_loss_curves(histories: dict):
    """Training (and validation) loss per epoch, one line per model.

    Parameters
    ----------
    histories : dict of str -> list of dict
        Model name -> an estimator's ``history_`` (dicts with "train_loss" and maybe
        "valid_loss").

    Returns
    -------
    fig : matplotlib.figure.Figure
        Not registered with pyplot; save it with ``fig.savefig(path)``.
    """
    fig = new_figure((5, 3.5))
    ax = fig.subplots()
    for name, history in histories.items():
        epochs = np.arange(1, len(history) + 1)
        (line,) = ax.plot(epochs, [h["train_loss"] for h in history], label=f"{name} train")
        if history and "valid_loss" in history[0]:
            ax.plot(
                epochs,
                [h["valid_loss"] for h in history],
                "--",
                color=line.get_color(),
                label=f"{name} valid",
            )
    ax.set(xlabel="epoch", ylabel="loss (standardised MSE)", yscale="log")
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig
