"""CompositionRegressor: formulas -> property, with the model chosen from the data."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin, _fit_context
from sklearn.utils import check_random_state
from sklearn.utils.validation import _check_feature_names, check_is_fitted

from .._nn._skorch import check_targets
from ..persistence._portable import default_missing_params
from ..utils._atomic import atomic_fit
from ..utils._conformal import StackIntervalMixin
from ..utils._docstrings import fill_doc
from ..utils._domain import DomainScoreMixin, check_domain_threshold, fit_domain
from ..utils._stack_fit import split_folds, warn_unfinished
from ..utils._stacking import BLENDS, blend_predict
from ..utils._vocabulary import vocabulary
from ._members import CATALOGUE, resolve_members
from ._regressor_input import domain_blocks, feature_blocks, split_input
from ._stack_fit import fit_members, member_input, predict_member

_TEXTS = {
    "members": (
        "list of str or (str, estimator) pairs, or None",
        "The candidates. None: the forests and the boosting model, plus the fine-tuned "
        "source network when ``weights`` is a source. Names come from :data:`MEMBERS` "
        "(``'forest_fractions'``, ``'forest_properties'``, ``'forest_both'``, ``'boosting'``, "
        "``'finetune'``, ``'finetune_frozen'``, ``'tlrl'``); a (name, estimator) pair adds "
        "your own model, which is cloned per fold and gets the rows of ``X`` as passed.",
    ),
    "weights": (
        "str, path, fitted source network or None",
        "The pretrained composition source of the network members: ``'oqmd'`` (ships with "
        "sktl), a source file, or a fitted source (see :func:`sktl.transfer.pretrain_source`). "
        "None leaves the networks out of the default members (named ones train from scratch).",
    ),
    "verbose": ("int", "0: quiet; >= 1: one line per finished fit, with the time left."),
}


#: The catalogue of named members: name -> what it is.
MEMBERS = {name: member.description for name, member in CATALOGUE.items()}


@fill_doc(**_TEXTS)
@vocabulary
class CompositionRegressor(DomainScoreMixin, StackIntervalMixin, RegressorMixin, BaseEstimator):
    """Chemical formulas -> a property, with the model chosen from the data by cross-validation.

    ``fit`` trains every candidate member on ``stack_folds`` folds and predicts each fold's
    left-out rows. From these out-of-fold predictions it blends the members per target
    (``blend``), so a member that does not help on this dataset gets no weight: which model
    suits a dataset (forests on element fractions for alloys that differ in small fractions of
    a few elements; property statistics for diverse compositions; a fine-tuned pretrained
    network with more rows) is measured, not looked up in a table. ``predict`` averages each
    member's fold models and blends them; no model is refitted on all rows.

    The default members: random forests on the element fractions, on the element-property
    statistics and on both, histogram gradient boosting on the statistics, and, with a source
    (``weights="oqmd"`` by default, shipped with sktl), the source network fine-tuned with all
    layers free; it trains on at most ``max_deep_rows`` rows of each fold. These defaults (the
    members and the blend) were chosen on two design sets of
    ``benchmarks/generalisation/composition_regressor.py`` and reported on five others.

    Parameters
    ----------
    %(members)s
    blend : {"nnls", "greedy"}, default="nnls"
        How the out-of-fold predictions become member weights, per target: ``"nnls"``
        (non-negative least squares with an intercept, the multimodal stack's blend) or
        ``"greedy"`` (Caruana et al. 2004: members added one at a time with replacement while
        the out-of-fold MAE falls; weights sum to one).
    stack_folds : int, default=5
        Folds of the out-of-fold predictions (>= 2; every fold needs 2 rows or more).
    %(weights)s
    formula_column : str, default="formula"
        The column of formulas when ``X`` is a DataFrame; its other columns must be numeric
        and go to the forests and the boosting model as extra features.
    max_deep_rows : int or None, default=5000
        The most training rows a network member sees per fold (a seeded subsample beyond
        it); None: all rows.
    %(time_budget)s
    %(domain_threshold)s
    %(running)s

    Attributes
    ----------
    members_ : list of str
        The members that finished, in the row order of ``stack_weights_``.
    stack_weights_ : ndarray of shape (n_members, n_outputs)
        Each member's weight per target.
    stack_intercept_ : ndarray of shape (n_outputs,)
        The blend's intercept per target (zero with ``blend="greedy"``).
    estimators_ : list of dict
        Per fold, the fitted model of each member.
    oof_predictions_ : ndarray of shape (n_samples, n_members, n_outputs)
        Each member's out-of-fold predictions of the training rows.
    oof_residuals_ : ndarray of shape (n_samples, n_outputs)
        Targets minus the blended out-of-fold predictions.
    fold_of_sample_ : ndarray of shape (n_samples,)
        The fold that left out each training row.
    member_scores_ : dict of str to ndarray of shape (n_outputs,)
        Out-of-fold mean absolute error of each member, and of the blend (``"blend"``).
    fit_seconds_ : dict of str to float
        Time spent on each member's folds.
    skipped_members_ : dict of str to str
        Members left out, and why (``"time_budget"`` or ``"interrupted"``).
    interrupted_ : bool
        True when a Ctrl-C ended ``fit`` early (the finished members are used).
    %(n_outputs_)s
    %(y_ndim_)s
    %(domain_)s
    n_extras_ : int
        Numeric columns of ``X`` besides the formulas.
    n_features_in_ : int
        Columns of ``X``: 1 for a sequence of formulas.
    feature_names_in_ : ndarray of str
        The columns of ``X`` when it is a DataFrame.

    See Also
    --------
    sktl.transfer.DeepMLPRegressor : one composition network, fine-tuned from a source.
    sktl.multimodal.MultimodalRegressor : the same kind of stack for images and descriptors.

    Examples
    --------
    >>> from sktl import CompositionRegressor
    >>> formulas = ["NaCl", "KCl", "LiF", "MgO", "CaO", "Al2O3", "Fe2O3", "SiO2"] * 3
    >>> y = [801, 770, 845, 2852, 2613, 2072, 1565, 1710] * 3
    >>> reg = CompositionRegressor(weights=None, stack_folds=3, random_state=0)
    >>> reg.fit(formulas, y).predict(["NaCl"]).shape
    (1,)
    >>> reg.members_
    ['forest_fractions', 'forest_properties', 'forest_both', 'boosting']
    """

    def __init__(
        self,
        *,
        members=None,
        blend="nnls",
        stack_folds=5,
        weights="oqmd",
        formula_column="formula",
        max_deep_rows=5000,
        time_budget=None,
        domain_threshold=1.5,
        device="cpu",
        verbose=0,
        random_state=None,
    ):
        self.members = members
        self.blend = blend
        self.stack_folds = stack_folds
        self.weights = weights
        self.formula_column = formula_column
        self.max_deep_rows = max_deep_rows
        self.time_budget = time_budget
        self.domain_threshold = domain_threshold
        self.device = device
        self.verbose = verbose
        self.random_state = random_state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        tags.target_tags.multi_output = True
        return tags

    def __setstate__(self, state):
        super().__setstate__(state)
        default_missing_params(self)  # a model saved before a parameter existed

    def __sklearn_clone__(self):
        from ..transfer._deep_mlp import clone_sharing

        return clone_sharing(self, "weights")  # a fitted source stays fitted in clones

    # -- fit / predict ----------------------------------------------------------------------
    def _blocks(self, X, reset: bool):
        formulas, extras, names = split_input(X, self.formula_column)
        _check_feature_names(self, X, reset=reset)
        if reset:
            self.n_features_in_ = X.shape[1] if hasattr(X, "columns") else 1
        if not reset and hasattr(self, "n_extras_") and len(names) != self.n_extras_:
            raise ValueError(
                f"X has {len(names)} numeric columns besides the formulas, but "
                f"CompositionRegressor was fitted with {self.n_extras_}."
            )
        return feature_blocks(formulas, extras), names

    @atomic_fit
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Fit every member on every fold and blend them per target.

        Parameters
        ----------
        X : array-like of str of shape (n_samples,), or DataFrame
            Chemical formulas, or a DataFrame with the formula column ``formula_column`` and
            numeric columns.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The targets.

        Returns
        -------
        self : object
            The fitted regressor.
        """
        check_domain_threshold(self.domain_threshold)
        names, custom = resolve_members(self.members, self.weights)
        blocks, extra_names = self._blocks(X, reset=True)
        Y = check_targets(y, len(blocks["fractions"]))
        seed = int(check_random_state(self.random_state).randint(2**31 - 1))
        folds, fold_of_sample = split_folds(
            len(Y), self.stack_folds, seed, who="CompositionRegressor", unit="rows",
            fix="more rows",
        )
        run = fit_members(
            names,
            custom,
            blocks,
            X,
            Y,
            folds,
            seed=seed,
            weights=self.weights,
            device=self.device,
            max_deep_rows=self.max_deep_rows,
            time_budget=self.time_budget,
            verbose=self.verbose,
        )
        oof = np.stack(run.oof, axis=1)  # (n, members, targets)
        self.n_extras_ = len(extra_names)
        self.n_outputs_ = Y.shape[1]
        self.y_ndim_ = np.ndim(y)
        self._custom_ = custom
        self.estimators_ = run.models
        self._set_blend(oof, Y, run.names, self.blend)
        self.fold_of_sample_ = fold_of_sample
        self.domain_ = fit_domain(domain_blocks(blocks), seed)
        self.fit_seconds_ = run.seconds
        self.skipped_members_ = run.skipped
        self.interrupted_ = run.interrupted
        warn_unfinished("CompositionRegressor", run)
        return self

    def refit_blend(self, *, blend=None, members=None):
        """Blend the fitted members again, without refitting any of them.

        Try the other blend, or keep a subset of the members (for example, leave out the
        networks for a smaller saved model), from the out-of-fold predictions ``fit`` kept.
        ``blend`` and ``members`` are set to what was used, so ``get_params`` describes the
        model; a fit with those parameters would draw other fold seeds.

        Parameters
        ----------
        blend : {"nnls", "greedy"} or None, default=None
            The blend; None keeps ``self.blend``.
        members : list of str or None, default=None
            Names from ``members_`` to keep, in any order; None keeps them all.

        Returns
        -------
        self : object
            The re-blended regressor.
        """
        check_is_fitted(self)
        blend = self.blend if blend is None else blend
        if blend not in BLENDS:
            raise ValueError(f"blend must be one of {sorted(BLENDS)}; got {blend!r}.")
        keep = list(self.members_) if members is None else list(members)
        unknown = [m for m in keep if m not in self.members_]
        if unknown or not keep or len(set(keep)) != len(keep):
            raise ValueError(
                f"members must name fitted members once each, from {self.members_}; got {keep}."
            )
        Y = self.oof_residuals_ + blend_predict(
            self.oof_predictions_, self.stack_weights_, self.stack_intercept_
        )
        idx = [self.members_.index(m) for m in keep]
        custom = getattr(self, "_custom_", {})
        self._set_blend(self.oof_predictions_[:, idx], Y, keep, blend)  # computes, then sets
        self.blend = blend
        self.members = [(m, custom[m]) if m in custom else m for m in keep]
        self.estimators_ = [{m: fold[m] for m in keep} for fold in self.estimators_]
        self.fit_seconds_ = {m: t for m, t in self.fit_seconds_.items() if m in keep}
        return self

    def _set_blend(self, oof, Y, names, blend):
        """Weights, residuals and scores of the ``blend`` of ``names`` (their oof columns)."""
        weights, intercept = BLENDS[blend](oof, Y)
        self.members_ = list(names)
        self.stack_weights_, self.stack_intercept_ = weights, intercept
        self.oof_predictions_ = oof
        self.oof_residuals_ = Y - blend_predict(oof, weights, intercept)
        self.member_scores_ = {
            name: np.abs(oof[:, m] - Y).mean(axis=0) for m, name in enumerate(names)
        }
        self.member_scores_["blend"] = np.abs(self.oof_residuals_).mean(axis=0)

    def predict_members(self, X):
        """Each member's prediction: the mean of its fold models.

        Parameters
        ----------
        X : array-like of str of shape (n_samples,), or DataFrame
            As in :meth:`fit`.

        Returns
        -------
        predictions : ndarray of shape (n_samples, n_members) or (n_samples, n_members, n_outputs)
            Columns follow ``members_``; the last axis only for 2-D targets.
        """
        check_is_fitted(self)
        blocks, _ = self._blocks(X, reset=False)
        return self._members_of(blocks, X)

    def _members_of(self, blocks, X):
        preds = np.stack([self._member_mean(name, blocks, X) for name in self.members_], axis=1)
        return preds[:, :, 0] if self.y_ndim_ == 1 else preds

    def _domain_blocks(self, X):
        return domain_blocks(self._blocks(X, reset=False)[0])

    def _member_folds(self, name, blocks, X):
        """(n, folds, targets): the member's fold models' predictions."""
        member = CATALOGUE.get(name)
        Xm = X if member is None else member_input(member, blocks)
        return np.stack([predict_member(fold[name], Xm) for fold in self.estimators_], 1)

    def _member_mean(self, name, blocks, X):
        return self._member_folds(name, blocks, X).mean(axis=1)

    def _fold_predictions(self, X):
        """(n, folds, targets): each fold's blend of its member models."""
        blocks, _ = self._blocks(X, reset=False)
        self._warn_out_of_domain(domain_blocks(blocks))
        folds = np.stack([self._member_folds(m, blocks, X) for m in self.members_], 1)
        return blend_predict(folds, self.stack_weights_, self.stack_intercept_)

    def predict(self, X):
        """Blend of the members' fold-averaged predictions.

        Parameters
        ----------
        X : array-like of str of shape (n_samples,), or DataFrame
            As in :meth:`fit`.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Predictions, 1-D when ``y`` was 1-D.
        """
        check_is_fitted(self)
        blocks, _ = self._blocks(X, reset=False)
        self._warn_out_of_domain(domain_blocks(blocks))
        preds = self._members_of(blocks, X)
        if self.y_ndim_ == 1:
            preds = preds[:, :, None]
        pred = blend_predict(preds, self.stack_weights_, self.stack_intercept_)
        return pred[:, 0] if self.y_ndim_ == 1 else pred
