"""StructurePropertyRegressor: images -> properties, with the model chosen from the data."""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin, _fit_context
from sklearn.metrics import r2_score
from sklearn.preprocessing import StandardScaler
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from .._nn._skorch import check_targets
from ..images import validate_images
from ..persistence._portable import default_missing_params
from ..utils._atomic import atomic_fit
from ..utils._conformal import StackIntervalMixin
from ..utils._docstrings import fill_doc
from ..utils._stack_fit import (
    fit_out_of_fold,
    predict_member,
    split_folds,
    take_rows,
    warn_unfinished,
)
from ..utils._stacking import blend_predict, nonnegative_blend
from ..utils._validation import _caller_stacklevel, require_y, warn_inactive
from ..utils._vocabulary import vocabulary
from ._stack_members import DefaultMembers, member_builder, resolve_members, two_point_threshold

_OWNER = "StructurePropertyRegressor"
_NETWORK_MEMBERS = ("transfer", "cnn")

_TEXTS = {
    "members": (
        "list of str and (str, estimator) pairs, or None",
        'The members, in the order they are fitted. None: ``["two_point", "transfer", "cnn"]`` '
        "(see above). A name picks a built-in member; a (name, estimator) pair is your own "
        "model, under a name of its own: it is cloned per fold (its ``random_state``, if any, "
        "set to a per-fold seed) and gets the images as an array of shape (n, H, W, C) (a lazy "
        "view of them for streamed images).",
    ),
    "stack_folds": (
        "int",
        "Folds of the out-of-fold predictions (>= 2; every fold needs 2 images or more).",
    ),
    "cache": (
        "FeatureCache or None",
        'A :class:`~sktl.FeatureCache` for the frozen features of the ``"transfer"`` member: '
        "its fold models, and the members of other models given the same cache, then "
        "compute each image's features once. None computes them in each fold's fit and each "
        "fold model's predict.",
    ),
    "device": ("str", 'Where the network members run: "cpu", "cuda", "cuda:N" or "auto".'),
    "verbose": ("int", "0: quiet; >= 1: one line per finished fit, with the time left."),
    "random_state": (
        "int, RandomState instance or None",
        "Seeds the folds and, through a seed per member and fold, every member's fit.",
    ),
}


@fill_doc(**_TEXTS)
@vocabulary
class StructurePropertyRegressor(RegressorMixin, StackIntervalMixin, BaseEstimator):
    """Microstructure images -> properties, with the model chosen from the data by stacking.

    ``fit`` trains every member on ``stack_folds`` folds and predicts each fold's left-out
    images. Per target, non-negative least squares with an intercept on these out-of-fold
    predictions (in standardised target units) weighs the members, so a member that does not
    help on this dataset gets no weight: whether two-point statistics, a pretrained network or
    a network trained from scratch suits a dataset is measured, not guessed. ``predict``
    averages each member over its fold models and blends them; no model is refitted on all
    images. :meth:`predict_interval` gives cross-conformal (CV+) intervals from the same fold
    models and out-of-fold residuals, with no extra fit.

    The default members, cheapest first (a ``time_budget`` keeps the cheap ones):

    * ``"two_point"``: the PyMKS baseline, periodic two-point statistics
      (:class:`~sktl.descriptors.TwoPointStatsTransformer`, lags up to a quarter of the
      image side), PCA (at most 20 components, fewer on small folds) and ``RidgeCV``. It reads
      ``pixel > two_point_threshold_``: 0.5 for binary (0/1) training images, else the
      midpoint of ``intensity_range`` when it is a pair, else of the training images'
      range. It needs one channel: with colour images it is left out, and
      ``skipped_members_`` says why.
    * ``"transfer"``: :class:`~sktl.cnn.TransferCNNRegressor` with its own defaults.
    * ``"cnn"``: :class:`~sktl.cnn.CNNRegressor` with 32 filters of 5 x 5 pixels and 30
      epochs, the best of a 24-point grid on the design stiffness set of
      ``benchmarks/generalisation/structure_property.py``.

    The two networks get the stack's ``image_shape``, ``intensity_range``,
    ``augmentation``, ``target_symmetry``, ``test_time_augmentation``, ``device`` and (the
    transfer member) ``cache``; your own members are used as you built them. A fit costs
    ``stack_folds`` fits of each member, and a prediction ``stack_folds`` predictions.

    Parameters
    ----------
    %(members)s
    %(stack_folds)s
    %(augmentation)s
    %(target_symmetry)s
    %(test_time_augmentation)s
    %(image_shape)s
    %(intensity_range)s
    %(time_budget)s
    %(cache)s
    %(running)s

    Attributes
    ----------
    stack_members_ : list of str
        The members that finished, in the row order of ``stack_weights_``.
    stack_weights_ : ndarray of shape (n_members, n_outputs)
        Each member's non-negative weight per target.
    stack_intercept_ : ndarray of shape (n_outputs,)
        The blend's intercept per target, in the targets' units: a prediction is
        ``sum_m stack_weights_[m] * member_m + stack_intercept_``.
    models_ : list of dict
        Per fold, the fitted model of each member.
    oof_predictions_ : ndarray of shape (n_samples, n_members, n_outputs)
        Each member's out-of-fold predictions of the training images.
    oof_residuals_ : ndarray of shape (n_samples, n_outputs)
        Targets minus the blended out-of-fold predictions.
    oof_scores_ : dict of str to ndarray of shape (n_outputs,)
        Out-of-fold R2 of each member per target, and of the blend (``"blend"``).
    fold_of_sample_ : ndarray of shape (n_samples,)
        The fold that left out each training image.
    member_seconds_ : dict of str to float
        Time spent on each member's folds.
    skipped_members_ : dict of str to str
        Members left out, and why: ``"time_budget"``, ``"interrupted"``, or what the images
        lack (the two-point member on colour images).
    interrupted_ : bool
        True when a Ctrl-C ended ``fit`` early (the finished members are used).
    two_point_threshold_ : float or None
        Where the two-point member binarises the images (None: no two-point member
        finished).
    %(n_outputs_)s
    %(y_ndim_)s
    %(image_shape_)s
    n_features_in_ : int
        H * W * C.
    %(feature_names_in_)s

    See Also
    --------
    sktl.CompositionRegressor : the same kind of stack for chemical formulas.
    sktl.multimodal.MultimodalRegressor : a stack of networks on images and descriptors.

    Examples
    --------
    >>> import numpy as np
    >>> from sktl.cnn import CNNRegressor, StructurePropertyRegressor
    >>> X = (np.random.default_rng(0).random((16, 8, 8)) > 0.5).astype(np.float32)
    >>> y = X.mean(axis=(1, 2))
    >>> tiny_cnn = CNNRegressor(n_blocks=1, filters=4, head_units=(8,), max_epochs=2)
    >>> reg = StructurePropertyRegressor(members=["two_point", ("tiny_cnn", tiny_cnn)],
    ...                                  stack_folds=2, random_state=0)
    >>> reg.fit(X, y).predict(X[:3]).shape
    (3,)
    >>> reg.stack_members_
    ['two_point', 'tiny_cnn']
    >>> y_pred, y_pis = reg.predict_interval(X[:3], confidence_level=0.8)
    >>> y_pis.shape
    (3, 2, 1)
    """

    def __init__(
        self,
        *,
        members=None,
        stack_folds=5,
        augmentation=None,
        target_symmetry=None,
        test_time_augmentation=False,
        image_shape=None,
        intensity_range="auto",
        time_budget=None,
        cache=None,
        device="cpu",
        verbose=0,
        random_state=None,
    ):
        self.members = members
        self.stack_folds = stack_folds
        self.augmentation = augmentation
        self.target_symmetry = target_symmetry
        self.test_time_augmentation = test_time_augmentation
        self.image_shape = image_shape
        self.intensity_range = intensity_range
        self.time_budget = time_budget
        self.cache = cache
        self.device = device
        self.verbose = verbose
        self.random_state = random_state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.input_tags.allow_nan = False
        return tags

    def __setstate__(self, state):
        super().__setstate__(state)
        default_missing_params(self)  # a model saved before a parameter existed

    # -- fit ---------------------------------------------------------------------------------
    def _images(self, X, reset: bool):
        return validate_images(
            self, X, reset=reset, image_shape=self.image_shape, intensity_range=self.intensity_range
        )

    def _usable(self, names, custom, images) -> tuple[list[str], dict[str, str]]:
        """The members the images allow, and those left out with the reason."""
        skipped = {}
        channels = images.shape[-1]
        if "two_point" in names and "two_point" not in custom and channels != 1:
            skipped["two_point"] = (
                f"two-point statistics need one channel (a phase indicator or grey levels); "
                f"the images have {channels}"
            )
            if self.members is not None:  # asked for by name: say so (the default is quiet)
                warnings.warn(
                    f"{_OWNER}: the member 'two_point' is left out: {skipped['two_point']}.",
                    UserWarning,
                    stacklevel=_caller_stacklevel(),
                )
        kept = [n for n in names if n not in skipped]
        if not kept:
            raise ValueError(
                f"{_OWNER}: no member can use these images ({skipped}); add members that "
                "read colour images, such as 'transfer' or 'cnn'."
            )
        built_in = [n for n in kept if n not in custom]
        if not any(n in _NETWORK_MEMBERS for n in built_in):
            warn_inactive(
                self,
                ["augmentation", "target_symmetry", "test_time_augmentation", "cache"],
                "without the built-in network members 'transfer' and 'cnn', which they configure",
                "Add those members, set these on your own members, or leave the defaults",
            )
        elif "transfer" not in built_in:
            warn_inactive(
                self, ["cache"], "without the built-in member 'transfer', which it serves"
            )
        return kept, skipped

    @atomic_fit
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Fit every member on every fold and blend them per target.

        Parameters
        ----------
        X : array-like
            Images of shape (n, H, W) or (n, H, W, C), a list of them, the packed 2-D form
            with ``image_shape``, or a streamed set (:class:`~sktl.images.ImageFiles`).
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The targets.

        Returns
        -------
        self : object
            The fitted regressor.
        """
        require_y(self, y)
        images = self._images(X, reset=True)
        n = len(images)
        Y = check_targets(y, n)
        seed = int(check_random_state(self.random_state).randint(2**31 - 1))
        folds, fold_of_sample = split_folds(
            n, self.stack_folds, seed, who=_OWNER, unit="images", fix="more images"
        )
        names, custom = resolve_members(self.members)
        names, skipped = self._usable(names, custom, images)
        two_point = "two_point" in names and "two_point" not in custom
        threshold = two_point_threshold(images, self.intensity_range) if two_point else None
        defaults = DefaultMembers(self, images, folds, two_point=two_point, threshold=threshold)
        run = fit_out_of_fold(
            names,
            Y,
            folds,
            build=member_builder(custom, defaults),
            inputs=lambda name, rows: take_rows(images, rows),
            seed=seed,
            time_budget=self.time_budget,
            verbose=self.verbose,
            owner=_OWNER,
        )
        oof = np.stack(run.oof, axis=1)  # (n, members, targets)
        self.n_outputs_ = Y.shape[1]
        self.y_ndim_ = np.asarray(y).ndim
        self.stack_weights_, self.stack_intercept_ = _blend(oof, Y)
        self.stack_members_ = list(run.names)
        self.models_ = run.models
        self.oof_predictions_ = oof
        blended = blend_predict(oof, self.stack_weights_, self.stack_intercept_)
        self.oof_residuals_ = Y - blended
        self.oof_scores_ = {
            name: r2_score(Y, oof[:, m], multioutput="raw_values")
            for m, name in enumerate(run.names)
        }
        self.oof_scores_["blend"] = r2_score(Y, blended, multioutput="raw_values")
        self.fold_of_sample_ = fold_of_sample
        self.member_seconds_ = run.seconds
        self.skipped_members_ = {**skipped, **run.skipped}
        self.interrupted_ = run.interrupted
        self.two_point_threshold_ = threshold if "two_point" in run.names else None
        warn_unfinished(_OWNER, run)
        return self

    # -- predict -------------------------------------------------------------------------------
    def _member_folds(self, images) -> np.ndarray:
        """(n, members, folds, targets): every fold model's predictions."""
        return np.stack(
            [
                np.stack([predict_member(fold[name], images) for fold in self.models_], 1)
                for name in self.stack_members_
            ],
            axis=1,
        )

    def _fold_predictions(self, X) -> np.ndarray:
        """(n, folds, targets): each fold's blend of its member models, in target units."""
        preds = self._member_folds(self._images(X, reset=False))
        return blend_predict(preds, self.stack_weights_, self.stack_intercept_)

    def predict_members(self, X):
        """Each member's prediction: the mean of its fold models.

        Parameters
        ----------
        X : array-like
            Images of the form seen in ``fit``.

        Returns
        -------
        predictions : ndarray of shape (n_samples, n_members) or (n_samples, n_members, n_outputs)
            Columns follow ``stack_members_``; the last axis only for 2-D targets.
        """
        check_is_fitted(self)
        preds = self._member_folds(self._images(X, reset=False)).mean(axis=2)
        return preds[:, :, 0] if self.y_ndim_ == 1 else preds

    def predict(self, X):
        """Blend of the members' fold-averaged predictions.

        Parameters
        ----------
        X : array-like
            Images of the form seen in ``fit``.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Predictions, 1-D when ``y`` was 1-D.
        """
        check_is_fitted(self)
        pred = self._fold_predictions(X).mean(axis=1)
        return pred[:, 0] if self.y_ndim_ == 1 else pred


def _blend(oof: np.ndarray, Y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Non-negative weights (members, targets) and intercepts (targets,) in target units.

    The least squares run in standardised target units (the members' predictions scaled as
    the targets), so that targets of any size are solved to the same precision; the weights
    are the same in both units, and the intercept is converted back.
    """
    scaler = StandardScaler().fit(Y)
    mean, scale = scaler.mean_, scaler.scale_
    weights, intercept = nonnegative_blend((oof - mean) / scale, (Y - mean) / scale)
    return weights, scale * intercept + mean * (1 - weights.sum(axis=0))
