"""ElemNet-style deep MLP regressor (skorch), optionally initialised from a source network."""

from __future__ import annotations

import warnings

import numpy as np
import torch
from sklearn.base import clone
from sklearn.utils.validation import validate_data

from .._nn._skorch import (
    SkorchRegressorBase,
    quiet_predict,
    seeded,
)
from .._nn._torch import as_float32
from .._nn.callbacks import MCDropoutValidLoss, mc_dropout_forward
from ..utils._docstrings import fill_doc
from ..utils._freeze import n_frozen
from ..utils._validation import check_float32_range, warn_inactive
from ..utils._vocabulary import vocabulary
from ._architecture import (
    as_module,
    build_mlp,
    copy_matching,
    dense_layers,
    norms_after,
    parse_architecture,
)
from ._sources import SOURCE_INPUT, is_source, load_source

ELEMNET_ARCHITECTURE = "1024x4D-512x3D-256x3D-128x3D-64x2-32x1-1"

#: Below this many training rows, a single deep composition network (from scratch or
#: transferred from the OQMD source) was no better than a forest on element-property features
#: on every cross-property target of sktl's benchmark (bulk and shear modulus, Debye
#: temperature; benchmarks/generalisation/composition_crossprop.py). CompositionRegressor measures
#: it per dataset instead.
SMALL_DATA_ROWS = 1000


class SmallDataWarning(UserWarning):
    """A deep network fitted on fewer rows than it needed to beat a forest on the benchmark."""


def warn_small_data(estimator, n_rows: int) -> None:
    """Warn (once per call site, Python's default) when ``n_rows < SMALL_DATA_ROWS``."""
    if n_rows >= SMALL_DATA_ROWS:
        return
    warnings.warn(
        f"{type(estimator).__name__} is fitted on {n_rows} rows. On sktl's composition "
        f"benchmark, single deep networks (from scratch or transferred) trained on fewer than "
        f"{SMALL_DATA_ROWS} rows of a property other than the source's were often no better "
        "than a forest: sktl.CompositionRegressor() measures on your rows whether the network "
        "helps and blends it with forests (the composition guide). Silence this with "
        "warnings.filterwarnings('ignore', category=sktl.transfer.SmallDataWarning).",
        SmallDataWarning,
        stacklevel=4,
    )


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


@fill_doc()
@vocabulary
class DeepMLPRegressor(SkorchRegressorBase):
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
    weights : str, estimator, skorch net, torch module, path or None, default=None
        Transfer initialisation: ``"oqmd"``, the source network that ships with sktl (trained
        on OQMD formation energies; its input is :func:`~sktl.transfer.source_features`, see
        :func:`~sktl.transfer.available_sources`), a source file of
        :func:`~sktl.transfer.write_source` or ``sktl pretrain`` (``.npz``/``.json``), or a
        fitted source model (a DeepMLPRegressor, a skorch net, a torch module, or a joblib or
        ``.skops`` file of one). The k-th dense layer of the source is copied into the k-th
        dense layer of this network wherever their shapes match; the others (the first layer
        when the input width differs, e.g. on layer activations of a fitted model) keep a
        fresh initialisation. A named source or source file must get its own input features
        (a ValueError says so otherwise). Kept by reference by ``clone`` (see
        :func:`clone_sharing`).
    freeze : "none", "all" or int, default="none"
        "none" fine-tunes every layer (TL: Fine-tune); "all" freezes every copied hidden
        layer and trains the rest; an int k freezes the first k dense layers, which must all
        have been copied (RL: Freezing). The output layer always trains.
    standardize_y : bool, default=False
        Train on standardised targets (predictions come back in the original units). ElemNet
        trains on raw eV/atom; standardising helps when targets are far from unit scale. The
        L1 loss and ``history_`` are then in standard deviations.
    %(lr)s
    lr_decay : float, default=0.0
        Keras-style time decay per batch, ``lr / (1 + lr_decay * t)`` (with
        ``lr_schedule="decay"``).
    lr_schedule : {"decay", "onecycle"}, default="decay"
        "decay": ``lr`` with the time decay ``lr_decay`` (constant when it is 0, ElemNet's
        setting). "onecycle": warm up from ``lr / 25`` to ``lr`` over the first 10 % of the
        batches of ``max_epochs`` epochs, then anneal along a cosine to nearly zero; on OQMD it
        reached a lower error in the same epochs (see the benchmark notes). Early
        stopping can end training before the annealing does.
    %(weight_decay)s
    %(batch_size)s
    %(max_epochs)s
    %(early_stopping)s
    %(patience)s
    %(validation_fraction)s
    mc_dropout : int, default=0
        Number of forward passes with dropout on whose mean ``predict`` returns (Monte Carlo
        dropout); 0 predicts once with dropout off. The passes are seeded by
        ``random_state``, so predictions are reproducible for the same ``X``, but a row's
        prediction depends slightly on its position in ``X`` (its dropout masks do), and
        ``predict`` costs ``mc_dropout`` forward passes. Early stopping scores the validation
        rows the same way (``history_`` keeps ``valid_loss`` in that mode). No effect without
        dropout layers.
    %(running)s

    Attributes
    ----------
    net_ : skorch.NeuralNetRegressor
        The trained network; ``net_.module_`` is a flat ``nn.Sequential`` with layers
        ``dense_1``, ``relu_1``, ..., ``dropout_k``, ..., ``dense_{L+1}`` (output).
    history_ : list of dict
        Per-epoch ``train_loss`` / ``valid_loss`` (L1) and duration.
    %(interrupted_)s
    copied_layers_ : list of str
        Dense layers initialised from ``weights``.
    frozen_layers_ : list of str
        Dense layers whose weights did not train (``freeze``).
    y_scaler_ : sklearn.preprocessing.StandardScaler or None
        The target standardisation (None with ``standardize_y=False``, the default).
    %(y_ndim_)s
    %(n_outputs_)s
    n_features_in_ : int
        Number of input features (e.g. 86 element fractions).
    %(feature_names_in_)s

    Examples
    --------
    A small source network (ElemNet's is ``DeepMLPRegressor()``), then two target networks
    that start from its weights:

    >>> import numpy as np
    >>> from sktl.transfer import DeepMLPRegressor
    >>> rng = np.random.default_rng(0)
    >>> X_source, X = rng.random((200, 8)), rng.random((20, 8))
    >>> y_source, y = X_source.sum(axis=1), X.sum(axis=1) + 0.5
    >>> source = DeepMLPRegressor(architecture="32x2-16-1", max_epochs=5, random_state=0)
    >>> source = source.fit(X_source, y_source)
    >>> tl = DeepMLPRegressor(architecture="32x2-16-1", weights=source, max_epochs=5,
    ...                       random_state=0).fit(X, y)  # TL: fine-tune every layer
    >>> tl.copied_layers_
    ['dense_1', 'dense_2', 'dense_3', 'dense_4']
    >>> rl = DeepMLPRegressor(architecture="32x2-16-1", weights=source, freeze="all",
    ...                       max_epochs=5, random_state=0).fit(X, y)  # hidden layers frozen
    >>> rl.frozen_layers_
    ['dense_1', 'dense_2', 'dense_3']
    """

    _criterion = torch.nn.L1Loss

    def __init__(
        self,
        *,
        architecture=ELEMNET_ARCHITECTURE,
        dropout=0.2,
        weights=None,
        freeze="none",
        standardize_y=False,
        lr=1e-4,
        lr_decay=0.0,
        lr_schedule="decay",
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
        self.weights = weights
        self.freeze = freeze
        self.standardize_y = standardize_y
        self.lr = lr
        self.lr_decay = lr_decay
        self.lr_schedule = lr_schedule
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
        return clone_sharing(self, "weights")

    def _initialise(self, module) -> None:
        if isinstance(self.freeze, bool):
            raise ValueError(
                f"freeze={self.freeze} is ambiguous: use 'all', 'none' or a number of layers."
            )
        dense = dense_layers(module)
        names = [name for name, _ in dense]
        copied = []
        if self.weights is not None:
            copied = copy_matching(self._source_module(dense), module)
            if not copied:
                warnings.warn(
                    "weights shares no dense layer shape with this network: nothing was "
                    "copied, the network starts from scratch.",
                    UserWarning,
                    stacklevel=3,
                )
        n_hidden = len(dense) - 1  # the output layer always trains
        frozen = list(range(n_frozen(self.freeze, n_hidden, "hidden dense layers")))
        if self.freeze == "all":  # every copied hidden layer
            frozen = [k for k in frozen if k in copied]
        else:
            missing = [names[k] for k in frozen if k not in copied]
            if missing:
                raise ValueError(
                    f"freeze={self.freeze} would freeze layers that were not copied from "
                    f"weights (shape mismatch or weights=None): {missing}; copied: "
                    f"{[names[k] for k in copied]}."
                )
        norms = norms_after(module, dense)
        for k in frozen:
            for layer in (dense[k][1], norms[k]):
                if layer is not None:
                    layer.requires_grad_(False)
        self.copied_layers_ = [names[k] for k in copied]
        self.frozen_layers_ = [names[k] for k in frozen]

    def _source_module(self, dense):
        """The module of ``weights``; a named source or source file must match X's width."""
        if not is_source(self.weights):
            return as_module(self.weights, "weights")
        source, meta = load_source(self.weights)
        width = dense[0][1].in_features
        if width != meta["n_features_in"]:
            feed = (
                "sktl.transfer.source_features() (make_pipeline(source_features(), "
                "DeepMLPRegressor(weights=...)))"
                if meta.get("input_features") == SOURCE_INPUT
                else f"its input ({meta.get('input_features', 'not recorded')})"
            )
            raise ValueError(
                f"weights={str(self.weights)!r} takes {meta['n_features_in']} input features "
                f"but X has {width}: feed the source's features, {feed}. To train on the "
                "source's layer activations instead, use TLRLRegressor(weights=...)."
            )
        return source

    def _validate_X(self, X, reset: bool) -> np.ndarray:
        X = validate_data(self, X, reset=reset, dtype="numeric", ensure_all_finite=True)
        check_float32_range(X, "X")
        if reset:
            parse_architecture(self.architecture)
            warn_small_data(self, len(X))
            if self.lr_schedule == "onecycle" and self.lr_decay > 0:
                raise ValueError(
                    f"lr_decay={self.lr_decay} has no effect with lr_schedule='onecycle', which "
                    "sets the learning rate of every batch itself: set lr_decay=0."
                )
        return as_float32(X)

    def _warn_without_dropout(self, module) -> None:
        if any(isinstance(m, torch.nn.Dropout) and m.p > 0 for m in module.modules()):
            return
        if self.dropout > 0:  # then the architecture has no "D" block
            warn_inactive(
                self,
                ["dropout", "mc_dropout"],
                f"with architecture={self.architecture!r}, which has no dropout block",
                "Add 'D' to the blocks that dropout should follow (e.g. '64D-32-1'), or leave "
                "the defaults",
            )
        else:
            warn_inactive(self, ["mc_dropout"], "with dropout=0: there is no dropout to sample")

    def _fit_scaled(self, X, Yt, seed):
        with seeded(seed):
            module = build_mlp(self.architecture, X.shape[1], self.n_outputs_, self.dropout)
            self._initialise(module)
            self._warn_without_dropout(module)
            self.net_ = self._train_net(
                module,
                X,
                Yt,
                seed,
                callbacks=(
                    [("mc_valid_loss", MCDropoutValidLoss(self.mc_dropout, seed))]
                    if self.mc_dropout
                    else []
                ),
            )
        self._predict_seed = seed

    def _predict_scaled(self, X) -> np.ndarray:
        """Dropout off, or the mean of ``mc_dropout`` seeded dropout passes."""
        pred = None
        if self.mc_dropout:  # None when the network has no dropout layer
            seed = getattr(self, "_predict_seed", 0)  # files from before mc_dropout
            pred = mc_dropout_forward(self.net_.module_, X, self.mc_dropout, seed)
        if pred is None:
            pred = quiet_predict(self.net_, X)
        return pred
