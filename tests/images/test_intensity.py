"""Honest intensities: every dtype is read on its own scale, or refused with the fix."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

from sktl import CNNRegressor, PretrainedCNNFeaturizer, TransferCNNRegressor
from sktl.images import check_images, check_intensity, resolve_intensity_range, to_unit_tensor


@pytest.fixture
def picture():
    """One set of RGB pictures as uint8."""
    return np.random.default_rng(0).integers(0, 256, (3, 16, 16, 3), dtype=np.uint8)


def _same_picture(x8):
    """The uint8 picture in every dtype "auto" reads, all meaning the same intensities."""
    return {
        "uint16": x8.astype(np.uint16) * 257,
        "float64": x8 / 255.0,
        "float32": x8.astype(np.float32) / 255,
        "int16": (x8.astype(np.int32) * 257 - 32768).astype(np.int16),
        "int8": (x8.astype(np.int16) - 128).astype(np.int8),
    }


def _featurizer(layer="layer1", **kw):
    return PretrainedCNNFeaturizer(
        backbone="resnet18", layer=layer, weights=None, random_state=0, **kw
    )


@pytest.mark.parametrize(
    ("dtype", "expected"),
    [
        (np.bool_, (0, 1)),
        (np.uint8, (0, 255)),
        (np.uint16, (0, 65535)),
        (np.int8, (-128, 127)),
        (np.int16, (-32768, 32767)),
        (np.float16, (0, 1)),
        (np.float32, (0, 1)),
        (np.float64, (0, 1)),
    ],
)
def test_auto_reads_each_dtype_on_its_own_scale(dtype, expected):
    low_high = resolve_intensity_range("auto", dtype)
    assert low_high == expected and low_high.auto


@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.uint32, np.uint64])
def test_auto_refuses_integers_too_wide_for_float32(dtype):
    with pytest.raises(ValueError, match=r"intensity_range=\(low, high\).*\(0, 255\)"):
        resolve_intensity_range("auto", dtype)
    labels = np.arange(3, dtype=dtype).reshape(1, 3, 1, 1)
    with pytest.raises(ValueError, match="these images span 0..2"):
        check_intensity(labels, "auto")
    assert check_intensity(labels, (0, 2)) == (0.0, 2.0)


def test_explicit_range_is_a_line_not_a_clip():
    low_high = resolve_intensity_range((0, 255), np.float64)
    assert low_high == (0.0, 255.0) and not low_high.auto
    x = np.array([-255.0, 0.0, 255.0, 510.0]).reshape(1, 1, 4, 1)
    t = to_unit_tensor(x, low_high, channels=1)
    torch.testing.assert_close(t.flatten(), torch.tensor([-1.0, 0.0, 1.0, 2.0]))
    # (0, 1) passes any real values through unchanged (how the common checks feed tables)
    t = to_unit_tensor(x, resolve_intensity_range((0, 1), x.dtype), channels=1)
    torch.testing.assert_close(t.flatten(), torch.from_numpy(x.ravel()).float())


def test_float_outside_unit_range_is_refused_naming_intensity_range(picture):
    x = picture.astype(np.float64)  # 0..255 floats: the classic silent mistake
    with pytest.raises(ValueError, match=r"intensity_range=\(0, 255\)") as info:
        check_intensity(x, "auto")
    assert "intensity_range='auto'" in str(info.value)
    with pytest.raises(ValueError, match=r"intensity_range=\(-0.5, 0.5\)"):
        check_intensity(np.array([-0.5, 0.5]).reshape(1, 1, 2, 1), "auto")
    # the batch path refuses them too (streamed sets, and estimators that scale directly)
    with pytest.raises(ValueError, match="intensity_range"):
        to_unit_tensor(x, resolve_intensity_range("auto", x.dtype))
    with pytest.raises(ValueError, match="intensity_range"):
        _featurizer().fit(x)
    fitted = _featurizer().fit(picture)
    with pytest.raises(ValueError, match="intensity_range"):
        fitted.transform(x)
    # an explicit range is the fix, and gives the uint8 features
    np.testing.assert_allclose(
        _featurizer(intensity_range=(0, 255)).fit_transform(x),
        fitted.transform(picture),
        rtol=1e-5,
        atol=1e-6,
    )


def test_featurizer_gives_the_same_features_for_every_dtype(picture):
    expected = _featurizer().fit_transform(picture)
    for name, x in _same_picture(picture).items():
        np.testing.assert_allclose(
            _featurizer().fit_transform(x), expected, rtol=1e-5, atol=1e-6, err_msg=name
        )
    # a model fitted on one dtype transforms another consistently
    fitted = _featurizer(layer="conv1").fit(picture)
    np.testing.assert_allclose(
        fitted.transform(_same_picture(picture)["uint16"]),
        fitted.transform(picture),
        rtol=1e-5,
        atol=1e-6,
    )


def test_bool_reads_as_zero_one():
    mask = np.random.default_rng(1).random((2, 16, 16)) > 0.5
    np.testing.assert_allclose(
        _featurizer(layer="conv1").fit_transform(mask),
        _featurizer(layer="conv1").fit_transform(mask.astype(np.uint8) * 255),
        rtol=1e-5,
        atol=1e-6,
    )


def test_cnn_regressors_predict_the_same_for_every_dtype(picture):
    y = picture.mean(axis=(1, 2, 3)) / 255
    variants = {"uint8": picture, **_same_picture(picture)}
    for model in (
        CNNRegressor(n_blocks=1, filters=4, head_units=(8,), max_epochs=2, random_state=0),
        TransferCNNRegressor(
            backbone="resnet18",
            weights=None,
            layer="conv1",
            head_units=(8,),
            max_epochs=2,
            random_state=0,
        ),
    ):
        expected = model.fit(picture, y).predict(picture)
        for name in ("uint16", "float64", "int16"):
            x = variants[name]
            np.testing.assert_allclose(
                model.fit(x, y).predict(x), expected, rtol=1e-4, atol=1e-5, err_msg=name
            )
        with pytest.raises(ValueError, match="intensity_range"):
            model.fit(picture.astype(np.float32), y)


def test_rgba_with_opaque_alpha_warns_and_equals_rgb(picture):
    rgba = np.concatenate([picture, np.full((*picture.shape[:3], 1), 255, np.uint8)], axis=-1)
    with pytest.warns(UserWarning, match="Dropped the alpha channel") as caught:
        out = check_images(rgba)
    assert caught[0].filename == __file__  # points at the caller, not at sktl
    np.testing.assert_array_equal(out, picture)
    with pytest.warns(UserWarning, match="alpha"):
        features = _featurizer().fit_transform(rgba)
    np.testing.assert_allclose(features, _featurizer().fit_transform(picture), rtol=1e-6)
    # packed RGBA through image_shape=(H, W, 4)
    with pytest.warns(UserWarning, match="alpha"):
        packed = _featurizer(image_shape=(16, 16, 4)).fit_transform(rgba.reshape(3, -1))
    np.testing.assert_allclose(packed, features, rtol=1e-6)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_images(rgba[..., :3])  # the fix the warning names


def test_rgba_with_real_transparency_is_refused(picture):
    rgba = np.concatenate([picture, np.full((*picture.shape[:3], 1), 255, np.uint8)], axis=-1)
    rgba[0, :4, :4, 3] = 0
    with pytest.raises(ValueError, match="varying alpha.*Composite them onto a background"):
        check_images(rgba)


@pytest.mark.parametrize("channels", [2, 5, 6])
def test_other_channel_counts_say_what_is_accepted(channels):
    with pytest.raises(ValueError, match=r"accepted are 1 \(grayscale\), 3 \(RGB\) or 4 \(RGBA"):
        check_images(np.zeros((1, 4, 4, channels)))
    with pytest.raises(ValueError, match="accepted are"):
        check_images(np.zeros((1, 4 * 4 * channels)), image_shape=(4, 4, channels))
