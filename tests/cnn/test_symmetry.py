"""Symmetry-aware training: the D4 group, its action on tensor targets, augmentation and
test-time averaging in CNNRegressor and TransferCNNRegressor."""

from __future__ import annotations

import itertools
import pickle

import numpy as np
import pytest
import torch
from sklearn.preprocessing import StandardScaler
from skorch.dataset import Dataset

from sktl.cnn import CNNRegressor, TransferCNNRegressor
from sktl.cnn._augment import SymmetryPlan
from sktl.images._symmetry import (
    D4,
    D4_NAMES,
    RANK2,
    VOIGT,
    TargetAction,
    compose,
    element_index,
    inverse,
    transform_images,
)

K = ["xx", "yy", "xy"]
STIFFNESS = ["11", "22", "12", "16", "26", "66"]  # make_stiffness's order
_TINY = dict(n_blocks=1, filters=4, head_units=(8,), max_epochs=2, random_state=0)
_TINY_TRANSFER = dict(
    weights=None, layer="pool1", pooling="avg", head_units=(8,), max_epochs=2, random_state=0
)


# -- a periodic finite-volume conductivity solver: the physics the axis convention follows ---


def conductivity(image, k=(1.0, 10.0)) -> np.ndarray:
    """Effective (k_xx, k_yy, k_xy) of a periodic two-phase image; x = axis 0, y = axis 1.

    Cells conduct with k[phase], faces with the harmonic mean of their two cells; the
    fluctuation of the temperature under a unit macroscopic gradient along x, then y, solves
    the discrete flux balance, and the mean fluxes are the columns of the tensor.
    """
    kc = np.asarray(k)[np.asarray(image, dtype=int)]
    n = kc.size
    idx = np.arange(n).reshape(kc.shape)
    faces = []  # (cells, neighbours, face conductivities) along x, then y
    for axis in (0, 1):
        nb = np.roll(kc, -1, axis=axis)
        faces.append(
            (idx.ravel(), np.roll(idx, -1, axis=axis).ravel(), (2 * kc * nb / (kc + nb)).ravel())
        )
    A = np.zeros((n, n))
    for c, m, w in faces:
        np.add.at(A, (c, c), w)
        np.add.at(A, (m, m), w)
        np.add.at(A, (c, m), -w)
        np.add.at(A, (m, c), -w)
    A += 1.0 / n  # pins the mean of the fluctuation (the constant is A's null space)
    K = np.empty((2, 2))
    for a in (0, 1):
        b = np.zeros(n)
        c, m, w = faces[a]
        np.add.at(b, c, w)
        np.add.at(b, m, -w)
        u = np.linalg.solve(A, b)
        for f, (c, m, w) in enumerate(faces):
            K[f, a] = np.mean(w * (float(f == a) + u[m] - u[c]))
    return np.array([K[0, 0], K[1, 1], 0.5 * (K[0, 1] + K[1, 0])])


@pytest.fixture(scope="module")
def laminates():
    """Two-phase 16 px images (random blobs, layers, diagonal stripes) and their k tensors."""
    rng = np.random.default_rng(0)
    images = []
    for s in range(24):
        kind = s % 3
        if kind == 0:
            img = rng.random((16, 16)) < rng.uniform(0.3, 0.7)
        elif kind == 1:
            img = np.broadcast_to(np.arange(16) % rng.integers(2, 9) < 2, (16, 16))
            img = img if s % 2 else img.T
        else:
            i, j = np.indices((16, 16))
            img = (i - j if s % 2 else i + j) % 8 < rng.integers(2, 6)
        images.append(img)
    X = np.array(images, dtype=np.float32)
    return X, np.array([conductivity(x) for x in X])


# -- the group --------------------------------------------------------------------------------


def test_d4_is_a_group_of_eight_signed_permutations():
    assert len({tuple(R.ravel()) for R in D4}) == 8 == len(D4_NAMES)
    assert np.array_equal(D4[0], np.eye(2))
    for g, h in itertools.product(range(8), repeat=2):
        assert np.array_equal(D4[compose(g, h)], D4[g] @ D4[h])  # closure
    for g in range(8):
        assert compose(g, inverse(g)) == compose(inverse(g), g) == 0
    with pytest.raises(ValueError, match="not a signed permutation"):
        element_index(np.array([[1, 1], [0, 1]]))


def test_image_transforms_compose_and_invert_exactly():
    A = np.random.default_rng(0).random((2, 6, 6, 3))
    for g, h in itertools.product(range(8), repeat=2):
        twice = transform_images(transform_images(A, h), g)
        np.testing.assert_array_equal(twice, transform_images(A, compose(g, h)))
    for g in range(8):
        np.testing.assert_array_equal(transform_images(transform_images(A, g), inverse(g)), A)
    a = A[0, :, :, 0]
    named = [
        a,
        np.rot90(a),
        np.rot90(a, 2),
        np.rot90(a, 3),
        a[:, ::-1],
        a.T,
        a[::-1],
        np.rot90(a, 2).T,
    ]
    for g in range(8):
        np.testing.assert_array_equal(transform_images(A, g)[0, :, :, 0], named[g], D4_NAMES[g])
        # torch tensors, channels first, give the same pixels
        t = transform_images(torch.from_numpy(A).permute(0, 3, 1, 2), g, axes=(2, 3))
        np.testing.assert_array_equal(t.permute(0, 2, 3, 1).numpy(), transform_images(A, g))


def _full_rank2(v, labels):
    T = np.zeros((2, 2))
    for value, label in zip(v, labels, strict=True):
        i, j = RANK2[label]
        T[i, j] = T[j, i] = value
    return T


def _full_voigt(v, labels):
    C = np.zeros((2, 2, 2, 2))
    for value, label in zip(v, labels, strict=True):
        i, j, k, m = VOIGT[label]
        for a, b, c, d in {(i, j, k, m), (j, i, k, m), (i, j, m, k), (j, i, m, k)}:
            C[a, b, c, d] = C[c, d, a, b] = value  # minor and major symmetries
    return C


def test_target_action_equals_the_rotation_of_the_tensors():
    rng = np.random.default_rng(0)
    rank2 = ["xy", "xx", "yy"]  # any order
    voigt = ["66", "12", "26", "22", "16", "11"]
    labels = ["scalar", *rank2, *(f"C:{c}" for c in voigt), "e:xx", "e:xy", "e:yy"]
    action = TargetAction(labels, len(labels))
    Y = rng.normal(size=(5, len(labels)))
    for g, R in enumerate(D4):
        out = action.apply(Y, g)
        assert out.shape == Y.shape
        np.testing.assert_array_equal(out[:, 0], Y[:, 0])  # the scalar
        for row, new in zip(Y, out, strict=True):
            T = np.einsum("ai,bj,ij->ab", R, R, _full_rank2(row[1:4], rank2))  # R T R^T
            np.testing.assert_allclose(_full_rank2(new[1:4], rank2), T, atol=1e-12)
            C = np.einsum("ai,bj,ck,dl,ijkl->abcd", R, R, R, R, _full_voigt(row[4:10], voigt))
            np.testing.assert_allclose(_full_voigt(new[4:10], voigt), C, atol=1e-12)
            T = np.einsum("ai,bj,ij->ab", R, R, _full_rank2(row[10:], ["xx", "xy", "yy"]))
            np.testing.assert_allclose(_full_rank2(new[10:], ["xx", "xy", "yy"]), T, atol=1e-12)
    for g, h in itertools.product(range(8), repeat=2):  # an action of the group
        np.testing.assert_allclose(
            action.apply(action.apply(Y, h), g), action.apply(Y, compose(g, h)), atol=1e-12
        )


def test_target_action_in_standardised_units():
    rng = np.random.default_rng(1)
    Y = rng.normal([3.0, 1.0, 0.2], [1.0, 0.5, 0.1], size=(20, 3))
    scaler = StandardScaler().fit(Y)
    action = TargetAction(K, 3)
    perm, factor, offset = action.affine(scaler.mean_, scaler.scale_)
    Yt = scaler.transform(Y)
    for g in range(8):
        mapped = scaler.inverse_transform(Yt[:, perm[g]] * factor[g] + offset[g])
        np.testing.assert_allclose(mapped, action.apply(Y, g), atol=1e-12)


# -- the physics of the axis convention -----------------------------------------------------


def test_laminate_along_x_conducts_in_parallel_along_x():
    layers = np.broadcast_to(np.arange(16) % 4 < 2, (16, 16))  # image[i, j] = f(j): along x
    kxx, kyy, kxy = conductivity(layers, (1.0, 10.0))
    assert kxx == pytest.approx(5.5) and kyy == pytest.approx(2 / (1 + 1 / 10))
    assert kxx > kyy and kxy == pytest.approx(0.0, abs=1e-12)
    rotated = transform_images(layers[None], D4_NAMES.index("rot90"))[0]
    np.testing.assert_allclose(conductivity(rotated), [kyy, kxx, 0.0], atol=1e-12)
    i, j = np.indices((16, 16))
    assert conductivity((i - j) % 8 < 4)[2] > 0.1  # stripes along (1, 1) couple x and y


def test_the_target_action_follows_the_physics(laminates):
    X, k = laminates
    action = TargetAction(K, 3)
    for g in range(8):
        for x, kx in zip(X[:3], k[:3], strict=True):  # a random image, layers, stripes
            got = conductivity(transform_images(x[None], g)[0])
            np.testing.assert_allclose(got, action.apply(kx[None], g)[0], atol=1e-10)


def test_the_voigt_action_follows_the_stiffness_solver():
    """make_stiffness's solver (x1 = image axis 0) against the Voigt action, at 16 px."""
    pytest.importorskip("muSpectre")
    from sktl.datasets._fft_homogenisation import homogenise, voigt_to_components
    from sktl.datasets._stiffness import blobs

    image = blobs(16, 0.4, np.random.default_rng(3))  # anisotropic: C16, C26 != 0
    action = TargetAction(STIFFNESS, 6)
    C = voigt_to_components(homogenise(image))[None]
    for g, name in enumerate(D4_NAMES):
        got = voigt_to_components(homogenise(transform_images(image[None], g)[0]))
        expected = action.apply(C, g)[0]
        if name in ("identity", "rot180", "transpose", "antitranspose"):
            np.testing.assert_allclose(got, expected, atol=1e-8)
        else:  # its two triangles per pixel break these at the pixel scale; signs agree
            assert np.array_equal(np.sign(got), np.sign(expected)), name


# -- the estimators ---------------------------------------------------------------------------


def test_test_time_augmentation_makes_predictions_equivariant(laminates):
    X, k = laminates
    reg = CNNRegressor(
        augmentation="d4", target_symmetry=K, test_time_augmentation=True, **_TINY
    ).fit(X, k)
    action = TargetAction(K, 3)
    pred = reg.predict(X[:6])
    for g in range(8):
        rotated = reg.predict(transform_images(X[:6], g))
        np.testing.assert_allclose(rotated, action.apply(pred, g), rtol=1e-5, atol=1e-5)
    # without test-time averaging the network alone is not equivariant
    plain = reg.set_params(test_time_augmentation=False)
    assert not np.allclose(
        plain.predict(transform_images(X[:6], 1)), action.apply(plain.predict(X[:6]), 1), atol=1e-5
    )


def test_transfer_head_only_augments_from_eight_featurisations(laminates):
    from sktl import FeatureCache

    X, k = laminates
    cache = FeatureCache()
    reg = TransferCNNRegressor(
        augmentation="d4", target_symmetry=K, test_time_augmentation=True, cache=cache,
        **_TINY_TRANSFER,
    ).fit(X, k)  # fmt: skip
    assert cache.hits + cache.misses == 8 * len(X)  # each image featurised 8 times
    action = TargetAction(K, 3)
    pred = reg.predict(X[:4])
    for g in range(8):
        np.testing.assert_allclose(
            reg.predict(transform_images(X[:4], g)), action.apply(pred, g), rtol=1e-5, atol=1e-5
        )


@pytest.mark.parametrize(
    "aug, freeze, head_epochs",
    [
        ("d4+shifts", "none", 1),
        ("d4", 1, 0),
        # shifts only: the head-only phase on features draws no augmentation (it crashed,
        # taking the (n, F) features for (n, C, H, W) pixels to shift)
        ("shifts", "none", 1),
    ],
)
def test_transfer_trainable_backbones_augment(laminates, aug, freeze, head_epochs):
    X, k = laminates
    kw = dict(
        freeze=freeze, head_epochs=head_epochs, target_symmetry=K, test_time_augmentation=True,
        **_TINY_TRANSFER,
    )  # fmt: skip
    reg = TransferCNNRegressor(augmentation=aug, **kw).fit(X, k)
    a = reg.predict(X)
    b = TransferCNNRegressor(augmentation=aug, **kw).fit(X, k).predict(X)
    c = TransferCNNRegressor(**kw).fit(X, k).predict(X)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)  # the augmentation changed the training
    # the targets follow the images: k of a rotated or mirrored image is k rotated or mirrored
    action = TargetAction(K, 3)
    for g in range(8):
        np.testing.assert_allclose(
            reg.predict(transform_images(X[:4], g)), action.apply(a[:4], g), rtol=1e-5, atol=1e-5
        )


def test_the_fitted_model_keeps_no_augmentation_hook(laminates, monkeypatch):
    """The training hook and its 8x feature bank are dropped from net_ after the fit."""
    import gc
    import types

    from sktl.cnn import _transfer
    from sktl.cnn._augment import BatchAugmenter

    X, k = laminates
    banks = []

    def recording(*args, **kwargs):
        banks.append(orbit_features(*args, **kwargs))
        return banks[-1]

    orbit_features = _transfer.orbit_features
    monkeypatch.setattr(_transfer, "orbit_features", recording)
    reg = TransferCNNRegressor(
        freeze="all", augmentation="d4", target_symmetry=K, **_TINY_TRANSFER
    ).fit(X, k)
    assert len(banks) == 1 and banks[0].shape[:2] == (8, len(X))
    skip = (type, types.ModuleType, types.FunctionType, types.BuiltinFunctionType)
    seen, stack = set(), [reg.net_]
    while stack:  # everything the fitted net reaches, short of classes, modules and functions
        obj = stack.pop()
        if id(obj) in seen or isinstance(obj, skip):
            continue
        seen.add(id(obj))
        assert obj is not banks[0] and not isinstance(obj, BatchAugmenter), type(obj)
        stack.extend(gc.get_referents(obj))
    assert reg.net_.iterator_train__augment is None
    # it predicts, and a refit draws from a fresh hook: the same model again
    pred = reg.predict(X)
    np.testing.assert_array_equal(reg.fit(X, k).predict(X), pred)
    assert len(banks) == 2


def test_same_random_state_same_model(laminates):
    X, k = laminates
    kw = dict(augmentation="d4+shifts", target_symmetry=K, **_TINY)
    a = CNNRegressor(**kw).fit(X, k)
    b = CNNRegressor(**kw).fit(X, k)
    np.testing.assert_array_equal(a.predict(X), b.predict(X))
    assert [h["train_loss"] for h in a.history_] == [h["train_loss"] for h in b.history_]
    other = CNNRegressor(**{**kw, "random_state": 1}).fit(X, k)
    plain = CNNRegressor(**_TINY).fit(X, k)
    assert not np.allclose(a.predict(X), other.predict(X))
    assert a.history_[0]["train_loss"] != plain.history_[0]["train_loss"]
    again = pickle.loads(pickle.dumps(a))  # the augmentation hook is not part of the model
    np.testing.assert_array_equal(again.predict(X), a.predict(X))


def test_training_batches_are_transformed_samples_with_their_targets():
    from sktl._nn._batches import BatchIterator

    rng = np.random.default_rng(0)
    X = rng.random((6, 1, 8, 8)).astype(np.float32)
    Y = rng.normal(size=(6, 3))
    scaler = StandardScaler().fit(Y)
    Yt = scaler.transform(Y).astype(np.float32)
    est = CNNRegressor(augmentation="d4+shifts", target_symmetry=K)
    augment = SymmetryPlan(est, (8, 8), 3).augmenter(scaler, seed=0)
    action = TargetAction(K, 3)
    views = {  # every sample under every element and shift
        transform_images(np.roll(X[i], s, axis=(1, 2)), g, axes=(1, 2)).tobytes(): (i, g, s)
        for i, g in itertools.product(range(6), range(8))
        for s in itertools.product(range(8), repeat=2)
    }
    assert len(views) == 6 * 8 * 64  # random images: no two views alike
    found = set()
    for _ in range(3):  # epochs
        for xb, yb in BatchIterator(Dataset(X, Yt), batch_size=4, shuffle=True, augment=augment):
            for x, y in zip(xb.numpy(), yb.numpy(), strict=True):
                i, g, s = views[x.tobytes()]
                np.testing.assert_allclose(
                    scaler.inverse_transform(y[None])[0], action.apply(Y[i][None], g)[0],
                    rtol=1e-5, atol=1e-5,
                )  # fmt: skip
                found.add((g, s != (0, 0)))
    assert len({g for g, _ in found}) > 4 and any(shifted for _, shifted in found)


@pytest.mark.parametrize("dtype", [torch.uint8, torch.float16, torch.bfloat16])
def test_tensor_transforms_index_in_int64_whatever_the_dtype(dtype):
    """uint8 indices wrapped past 255 and half-float ones rounded: wrong pixels, silently."""
    size = 2051 if dtype == torch.float16 else 300  # float16 holds integers up to 2048
    rng = np.random.default_rng(0)
    A = rng.integers(0, 256, size=(1, size, size, 1)).astype(np.uint8)
    t = torch.from_numpy(A).to(dtype)
    for g in range(8) if size == 300 else (1, 5):  # rot90, transpose
        got = transform_images(t, g)
        assert got.dtype == dtype
        np.testing.assert_array_equal(got.to(torch.uint8).numpy(), transform_images(A, g))


def test_batch_augmentation_needs_in_memory_arrays():
    from torch.utils.data import TensorDataset

    from sktl._nn._batches import BatchIterator

    ds = TensorDataset(torch.zeros(4, 2), torch.zeros(4, 1))
    with pytest.raises(TypeError, match="in-memory arrays"):
        BatchIterator(ds, batch_size=2, augment=lambda x, y, rows: (x, y))


# -- errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "labels, y_cols, message",
    [
        (["xx", "xy"], 2, r"'xx' becomes 'yy' under rot90.*\['yy'\].*'xx' needs 'yy'"),
        (["11", "22", "16", "66"], 4, r"\['26'\]"),
        (["k:xx", "yy", "k:xy"], 3, r"no column is labelled \['k:yy', 'xx'\]"),  # names differ
        (["xx", "yy"], 3, "2 labels but y has 3 column"),
        (
            ["xx", "yy", "zz"],
            3,
            r"'zz' is not a known label. Known: 'scalar'.*'xx', 'yy', 'xy'.*'66'",
        ),
        (["xx", "yy", "xx"], 3, "labels 'xx' twice.*'k:xx' and 'e:xx'"),
        (["xx", "yy", 3], 3, r"target_symmetry\[2\] is 3"),
    ],
)
def test_bad_target_symmetry(labels, y_cols, message):
    X = np.random.default_rng(0).random((4, 8, 8))
    reg = CNNRegressor(augmentation="d4", target_symmetry=labels, **_TINY)
    with pytest.raises(ValueError, match=message):
        reg.fit(X, np.ones((4, y_cols)))


def test_rotations_need_square_images_shifts_do_not():
    X = np.random.default_rng(0).random((6, 8, 16))
    y = X.mean(axis=(1, 2))
    for kw in (dict(augmentation="d4"), dict(test_time_augmentation=True)):
        with pytest.raises(ValueError, match="needs square images; these are 8x16. Crop.*'shifts'"):
            CNNRegressor(**kw, **_TINY).fit(X, y)
    assert CNNRegressor(augmentation="shifts", **_TINY).fit(X, y).predict(X).shape == (6,)


def test_bad_augmentation_and_frozen_shifts():
    X = np.random.default_rng(0).random((6, 16, 16))
    y = X.mean(axis=(1, 2))
    with pytest.raises(ValueError, match="augmentation=\\('d4', 'flips'\\): use None, 'd4'"):
        CNNRegressor(augmentation=("d4", "flips"), **_TINY).fit(X, y)
    with pytest.raises(ValueError, match="augmentation"):  # the parameter constraint
        CNNRegressor(augmentation="rotations", **_TINY).fit(X, y)
    for freeze in ("all", 1):
        reg = TransferCNNRegressor(augmentation="d4+shifts", freeze=freeze, **_TINY_TRANSFER)
        with pytest.raises(ValueError, match="cannot follow. Use augmentation='d4'.*freeze='none'"):
            reg.fit(X, y)


def test_target_symmetry_without_rotations_warns():
    X = np.random.default_rng(0).random((6, 16, 16))
    y = np.c_[X.mean(axis=(1, 2)), X.mean(axis=(1, 2)), X.std(axis=(1, 2))]
    with pytest.warns(UserWarning, match="target_symmetry=.*has no effect without rotations"):
        CNNRegressor(augmentation="shifts", target_symmetry=K, **_TINY).fit(X, y)
