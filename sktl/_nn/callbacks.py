"""The skorch callbacks and learning-rate schedules of sktl's networks, in one place."""

from __future__ import annotations

import math

import numpy as np
import torch
from skorch.callbacks import Callback


class KerasDecay:
    """Keras' time-based decay, ``lr_t = lr / (1 + decay * t)`` with t counted in batches."""

    def __init__(self, decay: float):
        self.decay = decay

    def __call__(self, step: int) -> float:
        return 1.0 / (1.0 + self.decay * step)


class OneCycle:
    """One-cycle factor of the learning rate over ``total_steps`` batches (Smith 2018).

    A cosine warm-up from lr / 25 to lr over the first 10 % of the steps, then a cosine
    annealing down to lr / 250,000 (the shape of ``torch.optim.lr_scheduler.OneCycleLR``).
    """

    def __init__(self, total_steps: int, warmup: float = 0.1):
        self.total_steps = max(int(total_steps), 2)
        self.warmup = warmup

    def __call__(self, step: int) -> float:
        start, end = 1 / 25, 1 / 25 / 1e4
        warm = max(int(self.warmup * self.total_steps), 1)
        t = min(step, self.total_steps)
        if t < warm:
            return start + (1 - start) * (1 - math.cos(math.pi * t / warm)) / 2
        progress = (t - warm) / max(self.total_steps - warm, 1)
        return end + (1 - end) * (1 + math.cos(math.pi * progress)) / 2


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


def mc_dropout_forward(module, X, passes: int, seed: int, chunk: int = 4096):
    """Mean output of ``passes`` forward passes with only the dropout layers on (None if none).

    Seeded with ``seed`` inside a forked RNG; the module is left in eval mode.
    """
    drops = [m for m in module.modules() if isinstance(m, torch.nn.Dropout) and m.p > 0]
    if not drops:
        return None
    device = next(module.parameters()).device
    X = torch.as_tensor(np.asarray(X, dtype=np.float32))
    total = 0.0
    with torch.random.fork_rng(devices=[]), torch.no_grad():
        torch.manual_seed(seed)
        module.eval()
        for d in drops:
            d.train()
        try:
            for _ in range(passes):
                total = total + np.concatenate(
                    [
                        module(X[i : i + chunk].to(device)).cpu().numpy()
                        for i in range(0, len(X), chunk)
                    ]
                )
        finally:
            module.eval()
    return total / passes


class MCDropoutValidLoss(Callback):
    """Re-score the validation rows with the mean of seeded dropout passes each epoch.

    Placed before EarlyStopping, it replaces ``valid_loss`` (the dropout-off score is kept as
    ``valid_loss_dropout_off``), so early stopping and the restored weights follow the
    prediction mode that ``predict`` uses.
    """

    def __init__(self, passes: int, seed: int):
        self.passes = passes
        self.seed = seed

    def on_epoch_end(self, net, dataset_valid=None, **kwargs):
        if dataset_valid is None:
            return
        ds, idx = dataset_valid, slice(None)
        if isinstance(ds, torch.utils.data.Subset):
            ds, idx = ds.dataset, np.asarray(ds.indices)
        pred = mc_dropout_forward(net.module_, ds.X[idx], self.passes, self.seed)
        if pred is None:
            return
        y = torch.as_tensor(np.asarray(ds.y[idx], dtype=np.float32))
        with torch.no_grad():
            loss = float(net.criterion_(torch.from_numpy(pred).to(y.dtype), y))
        net.history.record("valid_loss_dropout_off", net.history[-1, "valid_loss"])
        net.history.record("valid_loss", loss)
