"""Plots people would rather see than tables (matplotlib, imported lazily)."""

from ._calibration import plot_calibration
from ._regression import new_figure, plot_loss_curves, plot_parity

__all__ = ["new_figure", "plot_calibration", "plot_loss_curves", "plot_parity"]
