"""Symmetry-aware training and prediction of the CNN regressors.

Training-time: :class:`BatchAugmenter` is the ``augment`` hook of
:class:`sktl._nn._batches.BatchIterator` (the training iterator of the skorch skeleton). For
every sample of every batch it draws one element of D4 and/or one periodic shift from its own
generator (seeded from ``random_state``: the same seed gives the same model), transforms the
network input and maps the standardised targets with the matching signed permutation. The
network input is either pixels (transformed in the batch) or frozen features, whose 8
transformed versions are computed once (:func:`orbit_features`) and drawn from per sample.

Predict-time: :func:`average_over_d4` averages the predictions of the 8 transformed images,
each mapped back by the inverse target transform, so that the prediction is exactly
equivariant.
"""

from __future__ import annotations

import numpy as np
import torch

from ..images import is_lazy
from ..images._symmetry import D4, TargetAction, inverse, pixel_sources, transform_images

AUGMENTATIONS = ("d4", "shifts")


def resolve_augmentation(augmentation) -> tuple[bool, bool]:
    """``augmentation`` as (D4 elements, periodic shifts)."""
    if augmentation is None:
        return False, False
    parts = augmentation.split("+") if isinstance(augmentation, str) else list(augmentation)
    unknown = [p for p in parts if p not in AUGMENTATIONS]
    if unknown or not parts:
        raise ValueError(
            f"augmentation={augmentation!r}: use None, 'd4' (the 8 rotations and mirrors of the "
            "square), 'shifts' (periodic shifts), 'd4+shifts' or a tuple of 'd4' and 'shifts'."
        )
    return "d4" in parts, "shifts" in parts


class SymmetryPlan:
    """What an estimator's symmetry settings ask for, checked against the training data."""

    def __init__(self, estimator, image_shape, n_targets: int):
        self.d4, self.shifts = resolve_augmentation(estimator.augmentation)
        self.tta = bool(estimator.test_time_augmentation)
        labels = estimator.target_symmetry
        self.action = TargetAction(labels, n_targets)
        H, W = image_shape
        if (self.d4 or self.tta) and H != W:
            asked = [f"augmentation={estimator.augmentation!r}"] * self.d4 + [
                "test_time_augmentation=True"
            ] * self.tta
            raise ValueError(
                f"{' and '.join(asked)} rotate the images by 90 degrees, which needs square "
                f"images; these are {H}x{W}. Crop them to a square, or use "
                "augmentation='shifts' alone (periodic shifts work on any shape)."
            )

    def augmenter(self, y_scaler, seed, *, features=False, bank=None) -> BatchAugmenter | None:
        """The training hook, or None when nothing is left to augment.

        ``features``: the network input is precomputed features, not pixels. Shifts do not
        apply to them; D4 draws from ``bank``, the features of the 8 transformed images
        (:func:`orbit_features`, required with ``d4``). Pixels take both.
        """
        d4, shifts = self.d4, self.shifts and not features
        if not (d4 or shifts):
            return None
        if features != (bank is not None):  # features take D4 from the bank, pixels none
            raise ValueError("bank: the features of the 8 images with features=True only.")
        mean, scale = (
            (np.zeros(len(self.action.perm[0])), np.ones(len(self.action.perm[0])))
            if y_scaler is None
            else (y_scaler.mean_, y_scaler.scale_)
        )
        return BatchAugmenter(
            self.action.affine(mean, scale),
            d4=d4,
            shifts=shifts,
            seed=seed,
            bank=bank,
        )


class BatchAugmenter:
    """Per sample and batch: a random D4 element and/or periodic shift, targets to match.

    Parameters
    ----------
    target_affine : (perm, factor, offset)
        :meth:`TargetAction.affine` for the standardised targets.
    d4, shifts : bool
        Draw an element of D4 (else the identity) / a periodic shift (else none).
    seed : int
        Seeds the generator of the draws (kept across epochs).
    bank : ndarray of shape (8, n, ...) or None
        Frozen features of the 8 transformed training images: the network input of sample
        ``i`` under element ``g`` is ``bank[g, i]``. None: the input is pixels (B, C, H, W).
    """

    def __init__(self, target_affine, *, d4: bool, shifts: bool, seed: int, bank=None):
        self.perm, self.factor, self.offset = (np.asarray(a) for a in target_affine)
        self.d4, self.shifts, self.bank = d4, shifts, bank
        self.rng = np.random.default_rng(seed)
        self._sources: dict[tuple[int, int], np.ndarray] = {}

    def _maps(self, shape) -> np.ndarray:
        """(8 or 1, 2, H, W): the pixel sources of each element."""
        if shape not in self._sources:
            elements = range(len(D4)) if self.d4 else [0]
            self._sources[shape] = np.stack([np.stack(pixel_sources(g, shape)) for g in elements])
        return self._sources[shape]

    def __call__(self, X, y, rows):
        n = len(rows)
        g = self.rng.integers(len(D4), size=n) if self.d4 else np.zeros(n, dtype=int)
        if self.bank is not None:
            X = torch.from_numpy(np.ascontiguousarray(self.bank[g, rows]))
        else:
            X = self._pixels(X, g)
        perm = torch.from_numpy(self.perm[g])
        factor = torch.as_tensor(self.factor[g], dtype=y.dtype)
        offset = torch.as_tensor(self.offset[g], dtype=y.dtype)
        return X, torch.gather(y, 1, perm) * factor + offset

    def _pixels(self, X, g):
        B, C, H, W = X.shape
        src = self._maps((H, W))[g]  # (B, 2, H, W)
        if self.shifts:
            shift = self.rng.integers(0, (H, W), size=(B, 2))
            src = (src - shift[:, :, None, None]) % np.array([H, W])[None, :, None, None]
        flat = torch.from_numpy(src[:, 0] * W + src[:, 1]).reshape(B, 1, H * W)
        out = torch.gather(X.reshape(B, C, H * W), 2, flat.expand(B, C, H * W))
        return out.reshape(B, C, H, W)


def transformed(images, g: int):
    """``images`` (n, H, W, C) transformed by element ``g``; a streamed set is read first."""
    if g == 0:
        return images
    return transform_images(np.asarray(images) if is_lazy(images) else images, g)


def orbit_features(featurizer, images, *, identity=None, chunk: int = 256) -> np.ndarray:
    """(8, n, ...) float32: ``featurizer``'s features of the images under each D4 element.

    8x the featurisation of the images (a :class:`~sktl.FeatureCache` keeps each transformed
    image's features like any other's); ``identity``: the features of the images themselves,
    if already computed. Streamed sets are read ``chunk`` images at a time.
    """
    n = len(images)
    bank = None
    for start in range(0, n, chunk):
        block = images[start : start + chunk]
        for g in range(len(D4)):
            if g == 0 and identity is not None:
                F = identity[start : start + chunk]
            else:
                F = featurizer.transform(transformed(block, g))
            F = np.asarray(F, dtype=np.float32)
            if bank is None:
                bank = np.empty((len(D4), n, *F.shape[1:]), dtype=np.float32)
            bank[g, start : start + len(F)] = F
    return bank


def average_over_d4(predict, action: TargetAction, y_scaler) -> np.ndarray:
    """Mean over g of ``g^-1`` applied to ``predict(g)``, in standardised units.

    ``predict(g)`` returns the standardised predictions for the images transformed by ``g``;
    each is mapped back to the original images' frame in the targets' units.
    """

    def unscale(P):
        return P if y_scaler is None else y_scaler.inverse_transform(P)

    total = 0.0
    for g in range(len(D4)):
        P = np.asarray(predict(g), dtype=np.float64)
        total = total + action.apply(unscale(P.reshape(len(P), -1)), inverse(g))
    mean = total / len(D4)
    return mean if y_scaler is None else y_scaler.transform(mean)
