"""Calibration plots of prediction intervals: nominal level against empirical coverage."""

from __future__ import annotations

import numpy as np

from ..utils._conformal import confidence_levels
from ._bounds import check_bounds, check_target_names, check_targets, coverage
from ._regression import new_figure


def plot_calibration(y_true, y_pis, confidence_level, *, target_names=None, ncols: int = 3):
    """Empirical coverage of prediction intervals against their nominal level.

    One line per target: at each confidence level, the fraction of samples whose true value
    lies inside its interval (bounds included). Points on the dashed diagonal are calibrated;
    above it the intervals are conservative, below it too narrow.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_targets)
        The true values of the samples the intervals were predicted for.
    y_pis : array-like or dict of str -> array-like
        The intervals as ``predict_interval`` returns them: shape (n_samples, 2, n_levels),
        or (n_samples, 2, n_levels, n_targets) for 2-D ``y_true``; lower bounds at index 0
        of axis 1. A dict {model name: y_pis} draws one panel per model.
    confidence_level : float or list of float
        The levels of axis 2 of ``y_pis``, in its order, each in (0, 1).
    target_names : list of str, optional
        One name per target (default ``y0``, ``y1``, ...).
    ncols : int, default=3
        Panels per row when ``y_pis`` is a dict of several models.

    Returns
    -------
    fig : matplotlib.figure.Figure
        Not registered with pyplot; save it with ``fig.savefig(path)``.

    Raises
    ------
    ValueError
        When ``y_pis`` disagrees with ``y_true`` (samples, targets) or with
        ``confidence_level`` (number of levels), or a level lies outside (0, 1).

    Examples
    --------
    >>> import numpy as np
    >>> from sktl.plotting import plot_calibration
    >>> y = np.array([0.0, 1.0, 2.0, 3.0])
    >>> low = np.stack([y - 0.5, y - 0.2], axis=-1)  # (n_samples, n_levels)
    >>> high = np.stack([y + 0.5, y - 0.1], axis=-1)
    >>> y_pis = np.stack([low, high], axis=1)  # (n_samples, 2, n_levels)
    >>> fig = plot_calibration(y, y_pis, [0.9, 0.5])
    >>> fig.axes[0].get_lines()[1].get_ydata().tolist()  # coverage at 0.5, then 0.9
    [0.0, 1.0]
    """
    levels = confidence_levels(confidence_level)
    y = check_targets(y_true)
    n, n_targets = y.shape
    names = check_target_names(target_names, n_targets)
    models = y_pis if isinstance(y_pis, dict) else {None: y_pis}
    if not models:
        raise ValueError("y_pis is an empty dict: give at least one model's intervals.")
    covered = {
        model: coverage(
            y,
            check_bounds(
                pis,
                n,
                n_targets,
                n_levels=len(levels),
                what="y_pis" if model is None else f"y_pis[{model!r}]",
            ),
        )  # (n_levels, n_targets)
        for model, pis in models.items()
    }
    order = np.argsort(levels, kind="stable")
    low = max(0.0, min(levels.min(), *(c.min() for c in covered.values())) - 0.05)
    ncols = max(1, min(ncols, len(models)))
    nrows = int(np.ceil(len(models) / ncols))
    fig = new_figure((4.2 * ncols, 4.0 * nrows))
    axes = fig.subplots(nrows, ncols, squeeze=False)
    for ax, (model, cov) in zip(axes.flat, covered.items()):
        ax.plot([0, 1], [0, 1], "k--", lw=1, label="nominal")
        for j, name in enumerate(names):
            ax.plot(levels[order], cov[order, j], "o-", ms=3, lw=1, label=name)
        ax.set(
            xlim=(low, 1.02),
            ylim=(low, 1.02),
            xlabel="nominal confidence level",
            ylabel="empirical coverage",
        )
        ax.set_aspect("equal", adjustable="box")
        if model is not None:
            ax.set_title(str(model))
        ax.legend(fontsize=7, loc="lower right")  # the corner of badly too narrow intervals
    for ax in list(axes.flat)[len(models) :]:
        ax.axis("off")
    fig.tight_layout()
    return fig
