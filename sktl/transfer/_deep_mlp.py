"""ElemNet-style deep MLP regressor (skorch), optionally initialised from a source network."""

from __future__ import annotations

import numbers
import warnings

import numpy as np
import torch
from sklearn.base import BaseEstimator, RegressorMixin, _fit_context, clone
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data
from skorch.callbacks import Callback

from .._atomic import atomic_fit
from .._persistence import PortableStateMixin
from .._skorch import (
    TRAINING_CONSTRAINTS,
    build_regressor_net,
    check_targets,
    history_records,
    quiet_predict,
    seeded,
    to_original_units,
    was_interrupted,
)
from .._torch import as_float32, seed_from_random_state
from .._validation import check_float32_range, require_y
from ._architecture import as_module, build_mlp, copy_matching, dense_layers, parse_architecture

ELEMNET_ARCHITECTURE = "1024x4D-512x3D-256x3D-128x3D-64x2-32x1-1"


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


def clone_sharing(estimator, shared: str):
    """``sklearn.clone`` of ``estimator`` that keeps parameter ``shared`` by reference.

    A fitted source model passed as a parameter must stay fitted in the clones that
    GridSearchCV and cross_val_score make; the default clone would unfit it (or deep-copy a
    module). The source is only ever read.
    """
    params = estimator.get_params(deep=False)
    kept = params.pop(shared)
    params = {k: clone(v, safe=False) for k, v in params.items()}
    return type(estimator)(**params, **{shared: kept})


class DeepMLPRegressor(PortableStateMixin, RegressorMixin, BaseEstimator):
    """ElemNet's deep fully connected regressor (NN-17 by default), trained with skorch.

    The default architecture ``"1024x4D-512x3D-256x3D-128x3D-64x2-32x1-1"`` is ElemNet's
    (Jha et al. 2018), the source network of Gupta et al. (2021): 16 hidden dense layers with
    ReLU, dropout after the blocks marked "D", and a linear output layer; Adam (lr 1e-4), L1
    (mean absolute error) loss, batch 32, early stopping on a held-out validation split.

    Dropout: inverted dropout (``torch.nn.Dropout``) with rate ``dropout`` while training and,
    by default, none at prediction, so ``predict`` needs no rescaling. ElemNet's TensorFlow
    code multiplies by a keep-probability of 0.8 during training (rate 0.2); the
    implementations that leave dropout on at evaluation give noisy predictions, and the ones
    that scale at test time are equivalent to inverted dropout in expectation. In a deep ReLU
    stack that expectation argument fails: switching dropout off shifts the distribution of
    every later layer's input ("variance shift"). On OQMD the NN-17 predicted with an MAE of
    0.136 eV/atom with dropout off, 0.104 with dropout on (one pass) and 0.099 as the mean of
    8 dropout passes. ``mc_dropout=n`` predicts that mean of ``n`` seeded passes.

    Inputs are not standardised (element fractions already lie in [0, 1], as in ElemNet).
    Hidden layers start from He (Kaiming normal) weights: with torch's default initialisation
    the signal shrinks about sixfold per ReLU layer, and a 16-layer stack starts (and, at
    lr 1e-4, long stays) a constant function.

    Parameters
    ----------
    architecture : str, default="1024x4D-512x3D-256x3D-128x3D-64x2-32x1-1"
        ElemNet notation: "-"-separated blocks ``NxK`` (K dense layers of N units with ReLU,
        ``N`` alone = ``Nx1``), ``D`` = dropout after the block; the last block is the output
        width: "1" follows the number of targets (any other value must equal it).
    dropout : float, default=0.2
        Dropout rate of the "D" blocks (ElemNet's keep-probability 0.8).
    init_from : estimator, skorch net, torch module, path or None, default=None
        Transfer initialisation: a fitted source model (a DeepMLPRegressor, a skorch net, a
        torch module, or a joblib or ``.skops`` file of one). The k-th dense layer of the source is copied
        into the k-th dense layer of this network wherever their shapes match; the others (the
        first layer when the input width differs, e.g. on layer activations) keep a fresh
        initialisation. Kept by reference by ``clone`` (see :func:`clone_sharing`).
    freeze : "none", "copied" or int, default="none"
        "none" fine-tunes every layer (TL: Fine-tune); "copied" freezes every copied hidden
        layer and trains the rest; an int k freezes the first k dense layers, which must all
        have been copied (RL: Freezing). The output layer always trains.
    standardize_y : bool, default=False
        Train on standardised targets (predictions come back in the original units). ElemNet
        trains on raw eV/atom; standardising helps when targets are far from unit scale. The
        L1 loss and ``history_`` are then in standard deviations.
    lr : float, default=1e-4
        Adam's learning rate.
    lr_decay : float, default=0.0
        Keras-style time decay per batch, ``lr / (1 + lr_decay * t)``.
    weight_decay : float, default=0.0
    batch_size : int, default=32
    max_epochs : int, default=100
    early_stopping : bool, default=True
        Hold out ``validation_fraction`` of the rows (a split seeded by ``random_state``) and
        stop once the validation loss has not improved for ``patience`` epochs, restoring the
        best weights.
    patience : int, default=10
    validation_fraction : float, default=0.1
    mc_dropout : int, default=0
        Number of forward passes with dropout on whose mean ``predict`` returns (Monte Carlo
        dropout); 0 predicts once with dropout off. The passes are seeded by
        ``random_state``, so predictions are reproducible for the same ``X``, but a row's
        prediction depends slightly on its position in ``X`` (its dropout masks do), and
        ``predict`` costs ``mc_dropout`` forward passes. Early stopping scores the validation
        rows the same way (``history_`` keeps ``valid_loss`` in that mode). No effect without
        dropout layers.
    device : str, default="cpu"
    verbose : int, default=0
    random_state : int, RandomState instance or None, default=None
        Seeds initialisation, shuffling, dropout and the validation split without touching the
        global torch random state.

    Attributes
    ----------
    net_ : skorch.NeuralNetRegressor
        The trained network; ``net_.module_`` is a flat ``nn.Sequential`` with layers
        ``dense_1``, ``relu_1``, ..., ``dropout_k``, ..., ``dense_{L+1}`` (output).
    history_ : list of dict
        Per-epoch ``train_loss`` / ``valid_loss`` (L1) and duration.
    interrupted_ : bool
        True when a KeyboardInterrupt stopped training; the network is then the one of the
        last finished epoch.
    copied_layers_ : list of str
        Dense layers initialised from ``init_from``.
    frozen_layers_ : list of str
    n_outputs_ : int
    n_features_in_ : int

    Examples
    --------
    >>> from sktl.transfer import DeepMLPRegressor
    >>> source = DeepMLPRegressor(random_state=0).fit(X_source, y_source)  # doctest: +SKIP
    >>> DeepMLPRegressor(init_from=source).fit(X, y)  # TL: fine-tune   # doctest: +SKIP
    """

    _parameter_constraints: dict = {
        **TRAINING_CONSTRAINTS,
        "architecture": [str],
        "dropout": [Interval(numbers.Real, 0, 1, closed="left")],
        "init_from": "no_validation",
        "freeze": [
            StrOptions({"none", "copied"}),
            Interval(numbers.Integral, 0, None, closed="left"),
        ],
        "standardize_y": ["boolean"],
        "mc_dropout": [Interval(numbers.Integral, 0, None, closed="left")],
    }

    def __init__(
        self,
        architecture=ELEMNET_ARCHITECTURE,
        dropout=0.2,
        init_from=None,
        freeze="none",
        standardize_y=False,
        lr=1e-4,
        lr_decay=0.0,
        weight_decay=0.0,
        batch_size=32,
        max_epochs=100,
        early_stopping=True,
        patience=10,
        validation_fraction=0.1,
        mc_dropout=0,
        device="cpu",
        verbose=0,
        random_state=None,
    ):
        self.architecture = architecture
        self.dropout = dropout
        self.init_from = init_from
        self.freeze = freeze
        self.standardize_y = standardize_y
        self.lr = lr
        self.lr_decay = lr_decay
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.early_stopping = early_stopping
        self.patience = patience
        self.validation_fraction = validation_fraction
        self.mc_dropout = mc_dropout
        self.device = device
        self.verbose = verbose
        self.random_state = random_state

    def __sklearn_clone__(self):
        return clone_sharing(self, "init_from")

    def _initialise(self, module) -> None:
        if isinstance(self.freeze, bool):
            raise ValueError(
                f"freeze={self.freeze} is ambiguous: use 'copied', 'none' or a number of layers."
            )
        dense = dense_layers(module)
        names = [name for name, _ in dense]
        copied = []
        if self.init_from is not None:
            copied = copy_matching(as_module(self.init_from, "init_from"), module)
            if not copied:
                warnings.warn(
                    "init_from shares no dense layer shape with this network: nothing was "
                    "copied, the network starts from scratch.",
                    UserWarning,
                    stacklevel=3,
                )
        n_hidden = len(dense) - 1
        if self.freeze == "none":
            frozen = []
        elif self.freeze == "copied":
            frozen = [k for k in copied if k < n_hidden]
        else:
            if self.freeze > n_hidden:
                raise ValueError(
                    f"freeze={self.freeze} but the network has {n_hidden} hidden dense layers; "
                    "the output layer always trains."
                )
            frozen = list(range(self.freeze))
            missing = [names[k] for k in frozen if k not in copied]
            if missing:
                raise ValueError(
                    f"freeze={self.freeze} would freeze layers that were not copied from "
                    f"init_from (shape mismatch or init_from=None): {missing}; copied: "
                    f"{[names[k] for k in copied]}."
                )
        for k in frozen:
            for p in dense[k][1].parameters():
                p.requires_grad_(False)
        self.copied_layers_ = [names[k] for k in copied]
        self.frozen_layers_ = [names[k] for k in frozen]

    @atomic_fit
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Train the network.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            E.g. element fractions or layer activations.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)

        Returns
        -------
        self
        """
        require_y(self, y)
        X = validate_data(self, X, reset=True, dtype="numeric", ensure_all_finite=True)
        Y = check_targets(y, len(X))
        check_float32_range(X, "X")
        check_float32_range(Y, "Targets")
        if len(X) < 2:
            raise ValueError(f"At least 2 samples are needed to fit, got n_samples={len(X)}.")
        parse_architecture(self.architecture)
        self.y_ndim_ = np.asarray(y).ndim
        self.n_outputs_ = Y.shape[1]
        self.y_scaler_ = StandardScaler().fit(Y) if self.standardize_y else None
        Yt = as_float32(Y if self.y_scaler_ is None else self.y_scaler_.transform(Y))
        seed = seed_from_random_state(self.random_state)

        with seeded(seed):
            module = build_mlp(self.architecture, X.shape[1], self.n_outputs_, self.dropout)
            self._initialise(module)
            net = build_regressor_net(
                module,
                seed=seed,
                lr=self.lr,
                batch_size=self.batch_size,
                max_epochs=self.max_epochs,
                criterion=torch.nn.L1Loss,
                weight_decay=self.weight_decay,
                lr_decay=self.lr_decay,
                early_stopping=self.early_stopping,
                patience=self.patience,
                validation_fraction=self.validation_fraction,
                device=self.device,
                verbose=self.verbose,
                callbacks=(
                    [("mc_valid_loss", MCDropoutValidLoss(self.mc_dropout, seed))]
                    if self.mc_dropout
                    else []
                ),
            )
            net.fit(as_float32(X), Yt)
        self.net_ = net
        self._predict_seed = seed
        self.history_ = history_records(net)
        self.interrupted_ = was_interrupted(net)
        return self

    def predict(self, X):
        """Predict (dropout off, or the mean of ``mc_dropout`` seeded dropout passes).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_targets)
            In the units of ``y`` (1-D for a 1-D ``y``).
        """
        check_is_fitted(self, "net_")
        X = validate_data(self, X, reset=False, dtype="numeric", ensure_all_finite=True)
        check_float32_range(X, "X")
        X = as_float32(X)
        pred = None
        if self.mc_dropout:  # None when the network has no dropout layer
            seed = getattr(self, "_predict_seed", 0)  # files from before mc_dropout
            pred = mc_dropout_forward(self.net_.module_, X, self.mc_dropout, seed)
        if pred is None:
            pred = quiet_predict(self.net_, X)
        return to_original_units(pred, self.y_scaler_, self.y_ndim_)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.input_tags.allow_nan = False
        return tags
