"""TL+RL in one estimator: layer-k activations of a source network feed a network initialised
from the same source, whose new first layer is bridged by least squares."""

from __future__ import annotations

import copy

import numpy as np
import scipy.linalg
import torch
from sklearn.base import BaseEstimator, RegressorMixin, _fit_context, clone
from sklearn.utils.validation import check_is_fitted, validate_data
from torch import nn

from .._nn._skorch import check_targets
from ..persistence._portable import PortableStateMixin
from ..utils._atomic import atomic_fit
from ..utils._docstrings import fill_doc
from ..utils._validation import require_y, warn_inactive
from ..utils._vocabulary import vocabulary
from ._activations import LayerActivationTransformer
from ._architecture import dense_layers, parse_architecture
from ._deep_mlp import DeepMLPRegressor, clone_sharing


def _replace(root: nn.Module, name: str, new: nn.Module) -> None:
    """Put ``new`` in place of the submodule called ``name`` (a qualified name) in ``root``."""
    parent, _, leaf = name.rpartition(".")
    setattr(root.get_submodule(parent) if parent else root, leaf, new)


def least_squares_bridge(A: np.ndarray, Z: np.ndarray, alpha: float):
    """Ridge map ``A -> Z``: weight (n_out, n_in), bias (n_out,) and its R2 on (A, Z).

    The columns of ``A`` are standardised for the penalty, ``alpha * n_samples`` on the
    standardised weights, so it does not depend on the scale of any activation.
    """
    A = np.asarray(A, dtype=np.float64)
    Z = np.asarray(Z, dtype=np.float64)
    a_mean, z_mean = A.mean(axis=0), Z.mean(axis=0)
    scale = A.std(axis=0)
    scale[scale == 0] = 1.0  # constant columns (dead units) are all zeros once centred
    As, Zc = (A - a_mean) / scale, Z - z_mean
    G = As.T @ As
    G[np.diag_indices_from(G)] += alpha * len(A)
    W = scipy.linalg.solve(G, As.T @ Zc, assume_a="pos") / scale[:, None]
    residual = Zc - (A - a_mean) @ W
    total = float((Zc**2).sum())
    r2 = 1.0 - float((residual**2).sum()) / total if total > 0 else 1.0
    return W.T, z_mean - a_mean @ W, r2


@fill_doc()
@vocabulary
class TLRLRegressor(PortableStateMixin, RegressorMixin, BaseEstimator):
    """TL+RL (Gupta et al. 2021): a source network's layer-k activations as the input of a
    network that starts from the same source's weights.

    ``fit(X, y)`` takes the source's own input (e.g. 86 element fractions). The rows go through
    the frozen source ``weights`` up to its dense layer ``layer`` (as in
    :class:`LayerActivationTransformer`), and a :class:`DeepMLPRegressor` (``regressor``) is
    trained on these activations with every dense layer copied from ``weights`` where the
    shapes match: all but the first, whose input width is now the width of layer k.

    In the paper that first layer starts from random weights, so the copied layers 2..L first
    see inputs unlike anything they were trained on. ``bridge="least_squares"`` (the default)
    starts it instead from the ridge regression of the source's own first-layer outputs
    (before the ReLU) on the layer-k activations, fitted on the training rows: the target
    network then starts close to the source's function and training adapts it (the benchmark
    notes give the OQMD -> JARVIS figures). The bridge is exact for the first layer before its
    ReLU and loses accuracy with depth (``bridge_score_``). ``bridge="random"`` is the
    paper's initialisation.

    Parameters
    ----------
    weights : DeepMLPRegressor, skorch net, torch module, str or path, default=None
        The fitted source network (anything :class:`LayerActivationTransformer` takes). Kept by
        reference by ``clone``; never modified.
    layer : int, str or None, default=None
        The tapped dense layer (1-based index or name; None = the last hidden layer).
    activation : {"dense", "relu"}, default="dense"
        Layer-k output before ("dense", the paper's best) or after ("relu") its ReLU.
    regressor : DeepMLPRegressor or None, default=None
        The target network's settings (architecture, lr, epochs, dropout, ``mc_dropout``...);
        None means ``DeepMLPRegressor()``. It is cloned; its ``weights`` must be None
        (set here). Tune it as ``regressor__lr`` in a grid search.
    bridge : {"least_squares", "random"}, default="least_squares"
        Initialisation of the target's first layer (see above).
    bridge_alpha : float, default=1e-3
        Ridge penalty of the bridge, per sample, on standardised activations (used with
        ``bridge="least_squares"``).
    batch_size : int, default=4096
        Rows per forward pass through the source.
    device : str, default="cpu"
        Where the source runs (the regressor has its own ``device``).

    Attributes
    ----------
    activations_ : LayerActivationTransformer
        The fitted feature extractor (a copy of the source up to layer k).
    regressor_ : DeepMLPRegressor
        The trained target network (its ``weights`` are this estimator's ``weights``; with the bridge its first
        layer started from the least-squares weights instead).
    bridge_score_ : float or None
        R2 of the bridge on the training rows (None for ``bridge="random"``).
    n_features_in_ : int
        Number of input features (the source's input width).
    %(feature_names_in_)s

    Examples
    --------
    A small source network stands in for ElemNet; the target network repeats its shape:

    >>> import numpy as np
    >>> from sktl.transfer import DeepMLPRegressor, TLRLRegressor
    >>> rng = np.random.default_rng(0)
    >>> X_source, X = rng.random((200, 8)), rng.random((30, 8))
    >>> y_source, y = X_source.sum(axis=1), X.sum(axis=1) ** 2
    >>> source = DeepMLPRegressor(architecture="32x2-16-1", max_epochs=5, random_state=0)
    >>> source = source.fit(X_source, y_source)
    >>> reg = TLRLRegressor(weights=source, layer=2, regressor=DeepMLPRegressor(
    ...     architecture="32x2-16-1", max_epochs=5, random_state=0)).fit(X, y)
    >>> reg.predict(X).shape
    (30,)
    >>> reg.bridge_score_ > 0.9
    True
    """

    def __init__(
        self,
        *,
        weights=None,
        layer=None,
        activation="dense",
        regressor=None,
        bridge="least_squares",
        bridge_alpha=1e-3,
        batch_size=4096,
        device="cpu",
    ):
        self.weights = weights
        self.layer = layer
        self.activation = activation
        self.regressor = regressor
        self.bridge = bridge
        self.bridge_alpha = bridge_alpha
        self.batch_size = batch_size
        self.device = device

    def __sklearn_clone__(self):
        return clone_sharing(self, "weights")

    def _template(self) -> DeepMLPRegressor:
        reg = DeepMLPRegressor() if self.regressor is None else clone(self.regressor)
        if not isinstance(reg, DeepMLPRegressor):
            raise TypeError(
                f"regressor must be a DeepMLPRegressor (or None), got {type(reg).__name__}."
            )
        if reg.weights is not None:
            raise ValueError(
                "regressor.weights must be None: TLRLRegressor initialises the regressor "
                "from weights itself. Pass the source model as TLRLRegressor(weights=...)."
            )
        return reg

    def _bridged_source(self, X, A, reg):
        """The source's module with its first dense layer replaced by the bridge."""
        module = self.activations_.module_
        dense = dense_layers(module)
        first_name, first = dense[0]
        blocks, _ = parse_architecture(reg.architecture)
        if blocks[0].units != first.out_features:
            raise ValueError(
                f"bridge='least_squares' maps the activations onto the source's first layer "
                f"({first.out_features} units), but regressor.architecture starts with "
                f"{blocks[0].units} units: use the source's architecture or bridge='random'."
            )
        z1 = LayerActivationTransformer(
            weights=module,
            layer=1,
            activation="dense",
            batch_size=self.batch_size,
            device=self.device,
        ).fit(X)
        W, b, self.bridge_score_ = least_squares_bridge(A, z1.transform(X), self.bridge_alpha)
        bridge = nn.Linear(W.shape[1], W.shape[0])
        with torch.no_grad():
            bridge.weight.copy_(torch.from_numpy(W))
            bridge.bias.copy_(torch.from_numpy(b))
        bridged = copy.deepcopy(module)
        _replace(bridged, first_name, bridge)
        return bridged

    @atomic_fit
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Extract the layer-k activations, bridge the first layer, train the regressor.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The source's input (e.g. element fractions).
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Targets.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        require_y(self, y)
        if self.bridge == "random":
            warn_inactive(self, ["bridge_alpha"], "with bridge='random', which fits no bridge")
        X = validate_data(self, X, reset=True, dtype="numeric", ensure_all_finite=True)
        check_targets(y, len(X))
        reg = self._template()
        self.activations_ = LayerActivationTransformer(
            weights=self.weights,
            layer=self.layer,
            activation=self.activation,
            batch_size=self.batch_size,
            device=self.device,
        ).fit(X)
        A = self.activations_.transform(X)
        self.bridge_score_ = None
        if self.bridge == "least_squares":
            reg.set_params(weights=self._bridged_source(X, A, reg))
        else:
            reg.set_params(weights=self.activations_.module_)
        reg.fit(A, y)
        # the bridged module is only a starting point: keep a reference to the source instead
        reg.weights = self.weights
        self.regressor_ = reg
        return self

    def predict(self, X):
        """Predict from the source's input.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The source's input, as in ``fit``.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_targets)
            Predictions, 1-D for a 1-D ``y``.
        """
        check_is_fitted(self, "regressor_")
        X = validate_data(self, X, reset=False, dtype="numeric", ensure_all_finite=True)
        return self.regressor_.predict(self.activations_.transform(X))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.input_tags.allow_nan = False
        return tags
