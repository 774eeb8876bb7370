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
from skorch.callbacks import Callback, EarlyStopping, LRScheduler
from skorch.dataset import ValidSplit

from ._torch import resolve_device
from ._validation import check_finite_output

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


class EpochSnapshot(Callback):
    """Keep the module as it was at the end of the last finished epoch.

    skorch swallows a KeyboardInterrupt inside ``fit`` and returns a net whose weights are
    half-way through an epoch. With this callback an interrupted fit ends with the weights of
    the last finished epoch (and the partial history row removed); if no epoch finished, the
    KeyboardInterrupt is raised again so the estimator stays as it was before ``fit``.
    """

    def on_train_begin(self, net, **kwargs):
        self.snapshot_, self.in_epoch_, self.interrupted_ = None, False, False

    def on_epoch_begin(self, net, **kwargs):
        self.in_epoch_ = True

    def on_epoch_end(self, net, **kwargs):
        self.in_epoch_ = False
        self.snapshot_ = {k: v.detach().clone() for k, v in net.module_.state_dict().items()}

    def on_train_end(self, net, **kwargs):
        if not self.in_epoch_:
            return
        self.interrupted_ = True
        if self.snapshot_ is None:
            raise KeyboardInterrupt("fit was interrupted before the first epoch finished")
        net.module_.load_state_dict(self.snapshot_)
        del net.history[-1]


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
    # first, so that EarlyStopping(load_best=True) still has the last word
    cbs = [("epoch_snapshot", EpochSnapshot()), *callbacks]
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


def was_interrupted(net) -> bool:
    """True when the last fit of ``net`` was stopped by a KeyboardInterrupt mid-epoch."""
    return bool(getattr(dict(net.callbacks_).get("epoch_snapshot"), "interrupted_", False))


def quiet_predict(net, X) -> np.ndarray:
    """``net.predict(X)`` that leaves the caller's torch RNG where it was.

    skorch's DataLoader draws a seed from the global torch RNG even without shuffling, so a
    bare ``predict`` changed the random state of the user's process.
    """
    with torch.random.fork_rng(devices=[]):
        return net.predict(X)


def to_original_units(pred, y_scaler, y_ndim: int) -> np.ndarray:
    """Scaled network output -> predictions in the targets' units, 1-D for 1-D targets."""
    pred = np.asarray(pred, dtype=np.float64).reshape(len(pred), -1)
    if y_scaler is not None:
        pred = y_scaler.inverse_transform(pred)
    check_finite_output(pred, "Predictions")
    return pred[:, 0] if y_ndim == 1 else pred


def history_records(net) -> list[dict]:
    """The net's history as plain dicts (epoch, losses, dur): picklable, plottable.

    ``valid_loss_dropout_off`` is there when ``MCDropoutValidLoss`` re-scored ``valid_loss``.
    """
    keys = ("epoch", "train_loss", "valid_loss", "valid_loss_dropout_off", "dur")
    return [{k: epoch[k] for k in keys if k in epoch} for epoch in net.history]
