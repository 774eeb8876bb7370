"""skorch plumbing shared by every trainable sktl estimator.

One place builds the skorch net from explicit hyperparameters, seeds it, validates targets and
keeps a plain-python loss history, so the estimator families (multimodal, CNN, deep MLP) do not
each copy it.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from contextlib import contextmanager

import numpy as np
import torch
from sklearn.utils._param_validation import Interval
from skorch import NeuralNetRegressor
from skorch.callbacks import EarlyStopping, LRScheduler
from skorch.dataset import ValidSplit

from ._torch import resolve_device

#: Constraints of the training hyperparameters every skorch-based sktl regressor has.
TRAINING_CONSTRAINTS: dict = {
    "lr": [Interval(numbers.Real, 0, None, closed="neither")],
    "lr_decay": [Interval(numbers.Real, 0, None, closed="left")],
    "weight_decay": [Interval(numbers.Real, 0, None, closed="left")],
    "batch_size": [Interval(numbers.Integral, 1, None, closed="left")],
    "max_epochs": [Interval(numbers.Integral, 1, None, closed="left")],
    "early_stopping": ["boolean"],
    "patience": [Interval(numbers.Integral, 1, None, closed="left")],
    "validation_fraction": [Interval(numbers.Real, 0, 1, closed="neither")],
    "device": [str],
    "verbose": ["verbose"],
    "random_state": ["random_state"],
}


def check_targets(y, n_samples: int) -> np.ndarray:
    """Validate regression targets and return them as float64 (n, n_targets).

    The caller keeps ``np.asarray(y).ndim`` to give 1-D predictions for 1-D targets; inside,
    targets are always 2-D so an (n,) target never broadcasts against an (n, 1) output.
    """
    y = np.asarray(y.to_numpy() if hasattr(y, "to_numpy") else y)
    if y.dtype == object or not np.issubdtype(y.dtype, np.number):
        try:
            y = y.astype(np.float64)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"Targets must be numeric; got dtype {y.dtype}.") from exc
    if y.ndim not in (1, 2):
        raise ValueError(f"y must be 1-D or 2-D (n_samples, n_targets); got shape {y.shape}.")
    if len(y) != n_samples:
        raise ValueError(f"X has {n_samples} samples but y has {len(y)}: they must match.")
    if not np.isfinite(y).all():
        raise ValueError("Input y contains NaN or infinity; drop or impute those samples first.")
    return y.reshape(len(y), -1).astype(np.float64)


class KerasDecay:
    """Keras' time-based decay, ``lr_t = lr / (1 + decay * t)`` with t counted in batches."""

    def __init__(self, decay: float):
        self.decay = decay

    def __call__(self, step: int) -> float:
        return 1.0 / (1.0 + self.decay * step)


def build_regressor_net(
    module: torch.nn.Module,
    *,
    seed: int,
    lr: float,
    batch_size: int,
    max_epochs: int,
    criterion=torch.nn.MSELoss,
    optimizer=torch.optim.Adam,
    weight_decay: float = 0.0,
    lr_decay: float = 0.0,
    early_stopping: bool = False,
    patience: int = 10,
    validation_fraction: float = 0.1,
    device: str = "cpu",
    verbose: int = 0,
    callbacks: Sequence = (),
    **net_kwargs,
) -> NeuralNetRegressor:
    """A NeuralNetRegressor from explicit hyperparameters.

    Without early stopping the net trains on all the data it is given (``train_split=None``):
    skorch's default would silently hold out 20% inside every CV fold. With early stopping the
    validation split is seeded, so the same ``seed`` gives the same split.
    """
    cbs = list(callbacks)
    if lr_decay > 0:
        cbs.append(
            (
                "lr_decay",
                LRScheduler(
                    torch.optim.lr_scheduler.LambdaLR,
                    lr_lambda=KerasDecay(lr_decay),
                    step_every="batch",
                ),
            )
        )
    if early_stopping:
        cbs.append(("early_stopping", EarlyStopping(patience=patience, load_best=True)))
    return NeuralNetRegressor(
        module=module,
        criterion=criterion,
        optimizer=optimizer,
        optimizer__weight_decay=weight_decay,
        lr=lr,
        batch_size=batch_size,
        max_epochs=max_epochs,
        train_split=ValidSplit(validation_fraction, random_state=seed) if early_stopping else None,
        iterator_train__shuffle=True,
        callbacks=cbs,
        device=str(resolve_device(device)),
        verbose=verbose,
        **net_kwargs,
    )


@contextmanager
def seeded(seed: int):
    """Context manager: torch's global RNG seeded with ``seed`` and restored afterwards.

    Module initialisation, dropout masks and batch shuffling inside draw from it, so a fit is
    reproducible without disturbing the caller's RNG state.
    """
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield


def history_records(net) -> list[dict]:
    """The net's history as plain dicts (epoch, train_loss, valid_loss, dur): picklable, plottable."""
    keys = ("epoch", "train_loss", "valid_loss", "dur")
    return [{k: epoch[k] for k in keys if k in epoch} for epoch in net.history]
