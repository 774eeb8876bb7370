"""Plots people would rather see than tables (matplotlib, imported lazily)."""

from ._regression import plot_loss_curves, plot_parity

__all__ = ["plot_loss_curves", "plot_parity"]
