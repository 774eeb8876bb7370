import numpy as np
import pytest
import torch

from sktl.images import check_images, resolve_intensity_range, resolve_size, to_unit_tensor


def test_accepted_forms_all_become_nhwc(rng):
    gray = rng.random((5, 8, 9))
    assert check_images(gray).shape == (5, 8, 9, 1)
    rgb = rng.random((5, 8, 9, 3))
    assert check_images(rgb) is rgb
    packed = rgb.reshape(5, -1)
    np.testing.assert_array_equal(check_images(packed, image_shape=(8, 9, 3)), rgb)
    np.testing.assert_array_equal(
        check_images(gray.reshape(5, -1), image_shape=(8, 9))[..., 0], gray
    )
    listed = check_images([g for g in gray])
    np.testing.assert_array_equal(listed[..., 0], gray)


def test_uint8_dtype_is_kept(rng):
    x = rng.integers(0, 255, (2, 4, 4), dtype=np.uint8)
    assert check_images(x).dtype == np.uint8


@pytest.mark.parametrize(
    ("X", "kwargs", "match"),
    [
        (np.full((2, 4, 4), np.nan), {}, "NaN"),
        (np.full((2, 4, 4), np.inf), {}, "inf"),
        (np.zeros((2, 4, 4, 2)), {}, "2 channels"),
        (np.zeros((2, 3, 8, 8)), {}, "Channels-first"),
        (np.zeros((2, 4, 4, 5)), {}, "accepted are 1 \\(grayscale\\), 3 \\(RGB\\) or 4"),
        (np.zeros(5), {}, "Reshape your data"),
        (np.zeros((1, 2, 3, 4, 3)), {}, "ndim=5"),
        (np.zeros((2, 16)), {}, "image_shape"),
        (np.zeros((2, 15)), {"image_shape": (4, 4)}, "needs H\\*W\\*C = 16"),
        (np.zeros((0, 4, 4)), {}, "0 images"),
        (np.array(["a", "b"], dtype=object).reshape(1, 2, 1), {}, "object"),
        (np.zeros((2, 4, 4)), {"image_shape": (5, 5)}, "image_shape"),
        (np.zeros((2, 4, 4)), {"image_shape": (4, 4, 2)}, "channels"),
    ],
)
def test_bad_input_is_rejected_with_a_clear_message(X, kwargs, match):
    with pytest.raises(ValueError, match=match):
        check_images(X, **kwargs)


def test_images_of_different_sizes_are_not_silently_reshaped():
    with pytest.raises(ValueError, match="different sizes"):
        check_images([np.zeros((4, 4)), np.zeros((5, 4))])


def test_intensity_range():
    assert resolve_intensity_range("auto", np.uint8) == (0.0, 255.0)
    assert resolve_intensity_range("auto", np.float64) == (0.0, 1.0)
    assert resolve_intensity_range((0, 2), np.int64) == (0.0, 2.0)
    with pytest.raises(ValueError, match="low < high"):
        resolve_intensity_range((1, 1), np.float32)
    with pytest.raises(ValueError, match="'auto'"):
        resolve_intensity_range("minmax", np.float32)


def test_to_unit_tensor_scales_repeats_gray_and_resizes():
    x = np.full((2, 4, 6, 1), 255, dtype=np.uint8)
    t = to_unit_tensor(x, (0.0, 255.0), channels=3)
    assert t.shape == (2, 3, 4, 6) and t.dtype == torch.float32
    assert torch.allclose(t, torch.ones_like(t))
    t2 = to_unit_tensor(x, (0.0, 255.0), size=(8, 8))
    assert t2.shape == (2, 3, 8, 8)
    assert torch.allclose(t2, torch.ones_like(t2), atol=1e-5)


def test_resolve_size():
    assert resolve_size(None) is None
    assert resolve_size(32) == (32, 32)
    assert resolve_size((16, 8)) == (16, 8)
    with pytest.raises(ValueError, match="positive"):
        resolve_size(0)
