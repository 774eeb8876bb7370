"""Representation learning: a fitted network's layer activations as features."""

from __future__ import annotations

import copy

import numpy as np
import torch
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils.validation import check_is_fitted, validate_data
from torch import nn

from .._nn._skorch import seeded
from .._nn._torch import as_float32, resolve_device
from ..persistence._portable import PortableStateMixin
from ..utils._atomic import atomic_fit
from ..utils._docstrings import fill_doc
from ..utils._validation import check_finite_output, check_float32_range
from ..utils._vocabulary import vocabulary
from ._architecture import as_module, dense_layers
from ._deep_mlp import clone_sharing


class _Stop(Exception):
    """Raised by the forward hook once the tapped layer has run (skips the rest)."""


def _describe(names: list[str]) -> str:
    return ", ".join(f"{k} ({name!r})" for k, name in enumerate(names, start=1))


def resolve_layer(names: list[str], layer) -> int:
    """0-based index of ``layer`` (1-based int, name, or None = last hidden) among ``names``."""
    if layer is None:
        if len(names) < 2:
            raise ValueError(
                f"the source has {len(names)} dense layer(s) and no hidden one; give layer "
                f"explicitly. Valid layers: {_describe(names)}."
            )
        return len(names) - 2
    if isinstance(layer, bool):
        raise ValueError(f"layer={layer} is not a layer; valid layers: {_describe(names)}.")
    if isinstance(layer, str):
        if layer in names:
            return names.index(layer)
        raise ValueError(
            f"layer {layer!r} is not a dense layer of the source. Valid layers (1-based index "
            f"and name): {_describe(names)}."
        )
    if not 1 <= layer <= len(names):
        raise ValueError(
            f"layer={layer} is out of range: the source has {len(names)} dense layers, "
            f"numbered from 1. Valid layers (1-based index and name): {_describe(names)}."
        )
    return layer - 1


@fill_doc()
@vocabulary
class LayerActivationTransformer(PortableStateMixin, TransformerMixin, BaseEstimator):
    """Activations of one dense layer of a fitted network, as features (representation learning).

    The input goes through the source network ``weights`` up to its dense (``nn.Linear``) layer ``layer`` and that
    layer's output is returned, either as is (``activation="dense"``, before the ReLU) or after
    a ReLU (``"relu"``). The network runs in evaluation mode (no dropout) and the rest of it is
    skipped. Gupta et al. (2021) feed these activations of an ElemNet trained on OQMD to a
    model of a small target set (RL:DL(Dense) / RL:DL(ReLU)).

    ``fit`` copies the source's network (``module_``): later changes to ``weights`` do not leak
    in, and the fitted transformer pickles on its own. ``sklearn.clone`` (GridSearchCV,
    cross_val_score, Pipeline clones) keeps ``weights`` by reference instead of cloning it, so
    a fitted source stays fitted.

    Parameters
    ----------
    weights : DeepMLPRegressor, skorch net, torch module, str or path, default=None
        A fitted :class:`~sktl.transfer.DeepMLPRegressor` (or another sktl skorch regressor),
        a fitted skorch net, a torch module (e.g. ``nn.Sequential``), a ``FrozenEstimator`` of
        one, or a joblib or ``.skops`` file of one.
    layer : int, str or None, default=None
        The dense layer: a 1-based index over the source's ``nn.Linear`` layers in order (for
        a DeepMLPRegressor, ``k`` is ``dense_k``; NN-17 has 1..17, 17 the output), or its name
        in ``module.named_modules()`` (``"dense_14"``, or ``"2"`` in a plain Sequential).
        None takes the last hidden layer.
    activation : {"dense", "relu"}, default="dense"
        Output of the layer before ("dense") or after ("relu") the ReLU.
    batch_size : int, default=4096
        Rows per forward pass.
    %(device)s

    Attributes
    ----------
    module_ : torch.nn.Module
        The source's network (a copy, in eval mode).
    layer_name_ : str
        Name of the tapped dense layer in ``module_.named_modules()``.
    layer_index_ : int
        1-based index of the tapped dense layer.
    n_features_out_ : int
        Width of the tapped layer: the number of output features.
    n_features_in_ : int
        Number of input features (the source's input width).
    %(feature_names_in_)s

    Examples
    --------
    A small source network stands in for an ElemNet fitted on OQMD (whose layer 14 Gupta et
    al. tap):

    >>> from sklearn.linear_model import Ridge
    >>> from sklearn.pipeline import make_pipeline
    >>> from sktl.composition import ElementFractionTransformer
    >>> from sktl.transfer import DeepMLPRegressor, LayerActivationTransformer
    >>> formulas = ["Fe2O3", "NaCl", "Al2O3", "MgO", "TiO2", "SiO2", "CuO", "ZnS"]
    >>> y = [-1.7, -2.1, -3.4, -3.1, -3.3, -3.0, -0.8, -1.0]
    >>> X = ElementFractionTransformer().fit_transform(formulas)
    >>> source = DeepMLPRegressor(architecture="32x2-16-1", max_epochs=5, early_stopping=False,
    ...                           random_state=0).fit(X, y)
    >>> pipe = make_pipeline(
    ...     ElementFractionTransformer(),
    ...     LayerActivationTransformer(weights=source, layer=2, activation="dense"),
    ...     Ridge(),
    ... )
    >>> pipe.fit(formulas, y).predict(["Fe3O4"]).shape
    (1,)
    """

    def __init__(
        self, *, weights=None, layer=None, activation="dense", batch_size=4096, device="cpu"
    ):
        self.weights = weights
        self.layer = layer
        self.activation = activation
        self.batch_size = batch_size
        self.device = device

    def __sklearn_clone__(self):
        return clone_sharing(self, "weights")

    @atomic_fit
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Copy the source's network and check the layer and the input width.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The source's input features (e.g. element fractions).
        y : None
            Ignored.

        Returns
        -------
        self : object
            The fitted transformer.
        """
        if self.weights is None:
            raise ValueError(
                "weights is None: pass a fitted DeepMLPRegressor, skorch net or torch module."
            )
        X = validate_data(self, X, reset=True, dtype="numeric", ensure_all_finite=True)
        module = (
            copy.deepcopy(as_module(self.weights, "weights")).to(resolve_device(self.device)).eval()
        )
        dense = dense_layers(module)
        if not dense:
            raise ValueError(f"source {type(module).__name__} has no nn.Linear layer to tap.")
        if any(isinstance(p, nn.parameter.UninitializedParameter) for p in module.parameters()):
            # lazy layers (nn.LazyLinear) take their width from X; a fixed seed keeps it stable
            with seeded(0), torch.no_grad():
                module(torch.from_numpy(as_float32(X[:1])).to(resolve_device(self.device)))
            dense = dense_layers(module)
        first = dense[0][1]
        if first.in_features != X.shape[1]:
            raise ValueError(
                f"X has {X.shape[1]} features but the source's first dense layer "
                f"({dense[0][0]!r}) expects {first.in_features}: pass the features the source "
                "was trained on (e.g. the 86 element fractions)."
            )
        names = [name for name, _ in dense]
        k = resolve_layer(names, self.layer)
        for p in module.parameters():
            p.requires_grad_(False)
        self.module_ = module
        self.layer_name_ = names[k]
        self.layer_index_ = k + 1
        self.n_features_out_ = dense[k][1].out_features
        return self

    def transform(self, X):
        """Activations of the layer.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The source's input features, as in ``fit``.

        Returns
        -------
        activations : ndarray of shape (n_samples, ``n_features_out_``)
            Output of the tapped layer, before or after its ReLU (``activation``), float64.
        """
        check_is_fitted(self, "module_")
        X = validate_data(self, X, reset=False, dtype="numeric", ensure_all_finite=True)
        check_float32_range(X, "X")
        X = as_float32(X)
        target = dict(self.module_.named_modules())[self.layer_name_]
        device = resolve_device(self.device)
        captured = []

        def hook(_module, _inputs, output):
            captured.append(output)
            raise _Stop

        handle = target.register_forward_hook(hook)
        try:
            with torch.no_grad():
                for start in range(0, len(X), self.batch_size):
                    try:
                        self.module_(
                            torch.from_numpy(X[start : start + self.batch_size]).to(device)
                        )
                    except _Stop:
                        pass
        finally:
            handle.remove()
        out = torch.cat(captured).cpu()
        if self.activation == "relu":
            out = torch.relu(out)
        return check_finite_output(out.numpy().astype(np.float64), "Activations")

    def get_feature_names_out(self, input_features=None):
        """``"<layer>_<activation><j>"`` for each unit j of the tapped layer.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Ignored: the names depend only on the tapped layer.

        Returns
        -------
        feature_names_out : ndarray of str of shape (``n_features_out_``,)
            One name per unit of the tapped layer.
        """
        check_is_fitted(self, "module_")
        return np.asarray(
            [f"{self.layer_name_}_{self.activation}{j}" for j in range(self.n_features_out_)],
            dtype=object,
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        return tags
