"""skorch plumbing shared by every trainable sktl estimator.

One place builds the skorch net from explicit hyperparameters, seeds it, validates targets and
keeps a plain-python loss history, so the estimator families (multimodal, CNN, deep MLP) do not
each copy it.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from contextlib import contextmanager

import numpy as np
import torch
from sklearn.base import BaseEstimator, RegressorMixin, _fit_context
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted
from skorch import NeuralNetRegressor
from skorch.callbacks import EarlyStopping, LRScheduler
from skorch.dataset import ValidSplit

from ..persistence._portable import PortableStateMixin
from ..utils._atomic import atomic_fit
from ..utils._validation import (
    check_finite_output,
    check_float32_range,
    require_y,
    warn_inactive,
)
from ._batches import BatchIterator
from ._torch import resolve_device, seed_from_random_state
from .callbacks import EpochSnapshot, KerasDecay, OneCycle


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
    if y.ndim not in (1, 2) or (y.ndim == 2 and y.shape[1] == 0):
        raise ValueError(f"y must be 1-D or 2-D (n_samples, n_targets); got shape {y.shape}.")
    if len(y) != n_samples:
        raise ValueError(f"X has {n_samples} samples but y has {len(y)}: they must match.")
    if not np.isfinite(y).all():
        raise ValueError("Input y contains NaN or infinity; drop or impute those samples first.")
    return y.reshape(len(y), -1).astype(np.float64)


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
    onecycle_steps: int = 0,
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
    schedule = (
        ("lr_schedule", OneCycle(onecycle_steps))
        if onecycle_steps > 0
        else ("lr_decay", KerasDecay(lr_decay))
        if lr_decay > 0
        else None
    )
    if schedule is not None:
        name, factor = schedule
        cbs.append(
            (
                name,
                LRScheduler(
                    torch.optim.lr_scheduler.LambdaLR, lr_lambda=factor, step_every="batch"
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
        iterator_train=BatchIterator,
        iterator_valid=BatchIterator,
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
    reproducible without disturbing the caller's RNG state. That RNG is process-wide: fits
    running in several threads of one process draw from it in turn and are not reproducible
    (sktl's fits are not thread-safe; run them in processes, as joblib's default does).
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


class SkorchRegressorBase(PortableStateMixin, RegressorMixin, BaseEstimator):
    """The one fit/predict skeleton of sktl's skorch regressors (multimodal, CNN, deep MLP).

    ``fit`` checks ``y``, validates ``X`` (:meth:`_validate_X`), scales the targets when
    ``standardize_y``, seeds from ``random_state`` and hands the scaled problem to
    :meth:`_fit_scaled`, which trains one or more skorch nets with :meth:`_train_net`;
    ``predict`` maps :meth:`_predict_scaled` back to the targets' units. Subclasses provide
    those three pieces and nothing of the skeleton.
    """

    #: the training loss of :meth:`_train_net`
    _criterion = torch.nn.MSELoss

    # -- pieces the subclasses provide ------------------------------------------------------
    def _validate_X(self, X, reset: bool):
        """Validated inputs (any object :meth:`_n_samples` can count)."""
        raise NotImplementedError

    def _n_samples(self, inputs) -> int:
        return len(inputs)

    def _fit_scaled(self, inputs, Yt: np.ndarray, seed: int) -> None:
        raise NotImplementedError

    def _predict_scaled(self, inputs) -> np.ndarray:
        return quiet_predict(self.net_, inputs)

    # -- training -------------------------------------------------------------------------
    def _onecycle_steps(self, inputs, max_epochs) -> int:
        """Batches in the whole fit under ``lr_schedule="onecycle"`` (0 for other schedules)."""
        if getattr(self, "lr_schedule", "decay") != "onecycle":
            return 0
        n = self._n_samples(inputs)
        if self.early_stopping:
            n -= int(round(n * self.validation_fraction))
        epochs = self.max_epochs if max_epochs is None else max_epochs
        return epochs * max(math.ceil(n / self.batch_size), 1)

    def _train_net(self, module, inputs, Yt, seed, *, lr=None, max_epochs=None, phase=None,
                   **net_kwargs):
        """Train one skorch net with this estimator's training settings; keep its history.

        ``lr`` and ``max_epochs`` default to the estimator's; ``phase`` labels the history
        records of a multi-phase fit. Call it inside ``seeded(seed)``, the context that also
        seeded the module's initialisation.
        """
        net = build_regressor_net(
            module,
            seed=seed,
            lr=self.lr if lr is None else lr,
            batch_size=self.batch_size,
            max_epochs=self.max_epochs if max_epochs is None else max_epochs,
            criterion=self._criterion,
            weight_decay=self.weight_decay,
            lr_decay=getattr(self, "lr_decay", 0.0),
            onecycle_steps=self._onecycle_steps(inputs, max_epochs),
            early_stopping=self.early_stopping,
            patience=self.patience,
            validation_fraction=self.validation_fraction,
            device=self.device,
            verbose=self.verbose,
            **net_kwargs,
        )
        net.fit(inputs, Yt)  # inside the caller's seeded(seed), which also seeded the module
        records = history_records(net)
        offset = len(self.history_)
        for r in records:
            r["epoch"] = r.get("epoch", 0) + offset
            if phase is not None:
                r["phase"] = phase
        self.history_.extend(records)
        self.interrupted_ = self.interrupted_ or was_interrupted(net)
        return net

    # -- estimator API --------------------------------------------------------------------
    @atomic_fit
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Fit the network.

        Parameters
        ----------
        X : array-like or dict
            The estimator's input (see the class docstring).
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Targets.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        require_y(self, y)
        if not self.early_stopping:
            warn_inactive(
                self,
                ["patience", "validation_fraction"],
                "with early_stopping=False",
                "Set early_stopping=True for early stopping, or leave the defaults",
            )
        inputs = self._validate_X(X, reset=True)
        n = self._n_samples(inputs)
        Y = check_targets(y, n)
        check_float32_range(Y, "Targets")
        if n < 2:
            raise ValueError(f"At least 2 samples are needed to fit, got n_samples={n}.")
        self.y_ndim_ = np.asarray(y).ndim
        self.n_outputs_ = Y.shape[1]
        self.y_scaler_ = StandardScaler().fit(Y) if self.standardize_y else None
        Yt = (Y if self.y_scaler_ is None else self.y_scaler_.transform(Y)).astype(np.float32)
        self.history_ = []
        self.interrupted_ = False
        self._fit_scaled(inputs, Yt, seed_from_random_state(self.random_state))
        if self.interrupted_:
            warnings.warn(
                f"{type(self).__name__}.fit was interrupted; the model is kept as it was at the "
                f"end of epoch {len(self.history_)}.",
                UserWarning,
                stacklevel=3,
            )
        return self

    def predict(self, X):
        """Predict targets in their original units.

        Parameters
        ----------
        X : array-like or dict
            Input of the form seen in ``fit``.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_targets)
            Predictions, 1-D for a 1-D ``y``.
        """
        check_is_fitted(self, "net_")
        inputs = self._validate_X(X, reset=False)
        return to_original_units(self._predict_scaled(inputs), self.y_scaler_, self.y_ndim_)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.input_tags.allow_nan = False
        return tags
