"""Streamed image sets: files on disk and memmaps are read batch by batch, never as a whole."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.model_selection import cross_val_score

from sktl import MultimodalRegressor, PretrainedCNNFeaturizer, multimodal_input
from sktl.images import ImageFiles, LazyImages, check_images


@pytest.fixture
def images():
    return np.random.default_rng(0).integers(0, 256, (12, 16, 16), dtype=np.uint8)


@pytest.fixture
def memmap(images, tmp_path):
    np.save(tmp_path / "images.npy", images)
    return np.load(tmp_path / "images.npy", mmap_mode="r")


@pytest.fixture
def png_files(images, tmp_path):
    from PIL import Image

    paths = []
    for i, im in enumerate(images):
        paths.append(tmp_path / f"{i:03d}.png")
        Image.fromarray(im).save(paths[-1])
    return ImageFiles(paths)


class CountingSource:
    """An array-like that counts the images read from it."""

    def __init__(self, array):
        self.array, self.dtype, self.shape, self.read = array, array.dtype, array.shape, 0

    def __len__(self):
        return len(self.array)

    def __getitem__(self, index):
        out = self.array[index]
        self.read += 1 if out.ndim == self.array.ndim - 1 else len(out)
        return out


def test_check_images_returns_lazy_view(memmap, png_files, images):
    for source in (memmap, png_files):
        view = check_images(source)
        assert isinstance(view, LazyImages)
        assert view.shape == (12, 16, 16, 1) and view.dtype == np.uint8
        np.testing.assert_array_equal(np.asarray(view)[..., 0], images)
        np.testing.assert_array_equal(view[3][..., 0], images[3])
        np.testing.assert_array_equal(np.asarray(view[[5, 1]])[..., 0], images[[5, 1]])


def test_slicing_reads_nothing(images):
    source = CountingSource(images)
    view = LazyImages(source)
    assert source.read == 1  # the probe of the first image's shape
    fold = view[np.arange(2, 10)][::2]
    assert source.read == 1 and len(fold) == 4
    np.testing.assert_array_equal(np.asarray(fold)[..., 0], images[2:10:2])
    assert source.read == 1 + 4


def test_packed_memmap_needs_image_shape(images, tmp_path):
    np.save(tmp_path / "packed.npy", images.reshape(12, -1))
    packed = np.load(tmp_path / "packed.npy", mmap_mode="r")
    with pytest.raises(ValueError, match="image_shape"):
        check_images(packed)
    # a 2-D memmap is a table: validated like an array (scikit-learn's memmap checks use it)
    out = check_images(packed, image_shape=(16, 16))
    assert not isinstance(out, LazyImages)
    np.testing.assert_array_equal(out[..., 0], images)


def test_bad_pixels_and_files_are_named(tmp_path):
    bad = np.zeros((4, 8, 8), dtype=np.float32)
    bad[2, 3, 3] = np.nan
    np.save(tmp_path / "bad.npy", bad)
    view = check_images(np.load(tmp_path / "bad.npy", mmap_mode="r"))
    np.asarray(view[:2])  # the clean batch reads fine
    with pytest.raises(ValueError, match="NaN"):
        np.asarray(view[2:])
    np.save(tmp_path / "a.npy", np.zeros((8, 8)))
    np.save(tmp_path / "b.npy", np.zeros((9, 8)))
    files = ImageFiles([tmp_path / "a.npy", tmp_path / "b.npy"])
    with pytest.raises(ValueError, match="b.npy"):
        np.asarray(check_images(files))
    with pytest.raises(FileNotFoundError, match="missing.png"):
        ImageFiles([tmp_path / "missing.png"])
    with pytest.raises(ValueError, match="empty list"):
        ImageFiles([])
    (tmp_path / "x.txt").write_text("not an image")
    with pytest.raises(ValueError, match="Cannot read"):
        ImageFiles([tmp_path / "x.txt"])


def test_featurizer_streams_the_same_features(images, memmap, png_files):
    feat = PretrainedCNNFeaturizer(
        backbone="resnet18", layer="layer1", weights=None, batch_size=5, random_state=0
    )
    expected = feat.fit(images).transform(images)
    for source in (memmap, png_files):
        np.testing.assert_allclose(feat.fit(source).transform(source), expected, rtol=1e-6)


def test_multimodal_regressor_cross_validates_on_files(png_files):
    rng = np.random.default_rng(1)
    X = multimodal_input(png_files, rng.normal(size=(12, 3)))
    y = rng.normal(size=12)
    model = MultimodalRegressor(
        backbone="resnet18",
        layer="layer1",
        weights=None,
        image_units=(8,),
        descriptor_units=(8,),
        head_units=(8,),
        stack_folds=2,
        max_epochs=2,
        random_state=0,
    )
    scores = cross_val_score(model, X, y, cv=3)
    assert np.isfinite(scores).all()
