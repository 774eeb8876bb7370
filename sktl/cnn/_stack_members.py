"""The members of :class:`StructurePropertyRegressor`: the named defaults and a user's pairs."""

from __future__ import annotations

import numpy as np
from sklearn.decomposition import PCA
from sklearn.linear_model import RidgeCV
from sklearn.pipeline import make_pipeline

from ..descriptors import TwoPointStatsTransformer
from ..utils._stack_fit import clone_member
from ..utils._stack_fit import resolve_members as resolve_stack_members
from ._cnn import CNNRegressor
from ._transfer import TransferCNNRegressor

#: The named members, cheapest first: the default order, so that a time budget keeps the
#: cheap ones.
DEFAULT_MEMBERS = ("two_point", "transfer", "cnn")

#: The most principal components of the two-point member.
TWO_POINT_COMPONENTS = 20

#: The two-point member's RidgeCV penalties.
TWO_POINT_ALPHAS = tuple(np.logspace(-4, 4, 17))


def resolve_members(members) -> tuple[list[str], dict]:
    """(names, {name: estimator} of the user's pairs) of ``members``; errors say what to do."""
    return resolve_stack_members(members, built_in=DEFAULT_MEMBERS, defaults=DEFAULT_MEMBERS)


def _batches(images):
    """The images in batches of arrays (a streamed set is read once, batch by batch)."""
    if hasattr(images, "batches"):
        yield from images.batches(256)
    else:
        yield np.asarray(images)


def two_point_threshold(images, intensity_range) -> float | None:
    """Where the two-point member binarises: 0.5 for binary (0/1) images, else the midpoint
    of ``intensity_range`` when it is a pair, else of the training images' range."""
    low, high, binary = np.inf, -np.inf, True
    for batch in _batches(images):
        binary = binary and bool(np.isin(batch, (0, 1)).all())
        low, high = min(low, float(batch.min())), max(high, float(batch.max()))
    if binary:
        return 0.5  # the same reading of 0/1 images, and a defined one for grey images at predict
    if not isinstance(intensity_range, str):
        low, high = (float(v) for v in intensity_range)
    return (low + high) / 2


class DefaultMembers:
    """Builds the named members for one fit: their settings come from the stack's parameters
    and from the training images (the two-point member's threshold, window and PCA size)."""

    def __init__(self, stack, images, folds, *, two_point: bool, threshold=None):
        self.stack = stack
        self.threshold = threshold
        h, w = images.shape[1:3]
        # a quarter of the image side, as in the two-point baseline of
        # benchmarks/generalisation/structure_property.py
        self.cutoff = max(1, min(h, w) // 4)
        self.n_features = (
            TwoPointStatsTransformer(cutoff=self.cutoff, threshold=threshold)
            .fit(images[:1])
            .n_features_out_
            if two_point
            else None
        )
        self.n_train = min(len(train) for train, _ in folds)

    def _shared(self, seed) -> dict:
        s = self.stack
        return dict(
            image_shape=s.image_shape,
            intensity_range=s.intensity_range,
            augmentation=s.augmentation,
            target_symmetry=s.target_symmetry,
            test_time_augmentation=s.test_time_augmentation,
            device=s.device,
            verbose=0,
            random_state=seed,
        )

    def build(self, name, seed):
        if name == "two_point":
            # n centred rows span at most n - 1 directions, so PCA keeps fewer components on
            # a small fold (and never more than the S2 vectors); 20 hold most of the variance
            # of the smooth S2 maps, and RidgeCV shrinks what the rest leaves
            components = min(TWO_POINT_COMPONENTS, self.n_train - 1, self.n_features)
            return make_pipeline(
                TwoPointStatsTransformer(cutoff=self.cutoff, threshold=self.threshold),
                PCA(n_components=components, random_state=seed),
                RidgeCV(alphas=TWO_POINT_ALPHAS),
            )
        if name == "transfer":  # its own defaults (layer, pooling, head), the stack's settings
            return TransferCNNRegressor(cache=self.stack.cache, **self._shared(seed))
        if name == "cnn":  # the winner of the 24-point grid on the design stiffness set
            return CNNRegressor(filters=32, kernel_size=5, max_epochs=30, **self._shared(seed))
        raise KeyError(name)  # pragma: no cover - resolve_members admits the named ones only


def member_builder(custom: dict, defaults: DefaultMembers):
    """``build(name, seed)`` of the out-of-fold loop: a user's pair cloned and seeded, or a
    named member built for this fit."""

    def build(name, seed):
        if name in custom:
            return clone_member(custom[name], seed)
        return defaults.build(name, seed)

    return build
