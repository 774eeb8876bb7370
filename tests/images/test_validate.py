"""validate_images: the one image validation of every image estimator (validate_data's twin)."""

from __future__ import annotations

import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.base import BaseEstimator

import sktl
from sktl.images import (
    ImageFiles,
    LazyImages,
    check_images,
    normalize_image_shape,
    resolve_image_shape,
    validate_images,
)


class Est(BaseEstimator):
    """A bare estimator to record on."""


@pytest.fixture
def gray(rng):
    return rng.random((4, 6, 5))


def test_reset_records_shape_and_n_features(gray):
    est = Est()
    images = validate_images(est, gray, reset=True)
    assert images.shape == (4, 6, 5, 1)
    assert est.image_shape_ == (6, 5, 1) and est.n_features_in_ == 30
    assert not hasattr(est, "feature_names_in_")
    # reset=False checks, records nothing new
    validate_images(est, gray[:2], reset=False)
    assert est.image_shape_ == (6, 5, 1)


def test_lists_and_rgb(rng):
    est = Est()
    rgb = rng.random((3, 4, 4, 3))
    out = validate_images(est, list(rgb), reset=True)
    np.testing.assert_array_equal(out, rgb)
    assert est.image_shape_ == (4, 4, 3) and est.n_features_in_ == 48


def test_shape_mismatch_says_what_to_do(gray):
    est = Est()
    validate_images(est, gray, reset=True)
    with pytest.raises(ValueError, match=r"fitted on images of shape \(6, 5, 1\).*resize or crop"):
        validate_images(est, gray[:, :4], reset=False)
    with pytest.raises(ValueError, match="convert them to grayscale"):
        validate_images(est, np.repeat(gray[..., None], 3, axis=-1), reset=False)
    with pytest.raises(ValueError, match="refit Est"):
        validate_images(est, gray[:, :, :4], reset=False)


def test_unfitted_reset_false_only_validates(gray):
    est = Est()
    assert validate_images(est, gray, reset=False).shape == (4, 6, 5, 1)
    assert not hasattr(est, "image_shape_")


def test_packed_form_goes_through_validate_data(gray):
    est = Est()
    packed = gray.reshape(4, -1)
    out = validate_images(est, packed, reset=True, image_shape=(6, 5))
    np.testing.assert_array_equal(out[..., 0], gray)
    assert est.n_features_in_ == 30 and est.image_shape_ == (6, 5, 1)
    with pytest.raises(ValueError, match="X has 29 features, but Est is expecting 30"):
        validate_images(est, packed[:, :-1], reset=False, image_shape=(6, 5))
    with pytest.raises(ValueError, match="image_shape"):
        validate_images(Est(), packed, reset=True)  # the 2-D form needs image_shape


def test_packed_minus_one_is_inferred(gray):
    packed = gray.reshape(4, -1)
    for spec, expected in [((6, -1), (6, 5, 1)), ((-1, 5), (6, 5, 1)), ((1, -1), (1, 30, 1))]:
        est = Est()
        out = validate_images(est, packed, reset=True, image_shape=spec)
        assert out.shape[1:] == expected == est.image_shape_
    assert resolve_image_shape((2, -1, 3), 24) == (2, 4, 3)
    with pytest.raises(ValueError, match="not a positive multiple of 7"):
        validate_images(Est(), packed, reset=True, image_shape=(7, -1))
    with pytest.raises(ValueError, match="one of H or W"):
        resolve_image_shape((-1, -1), 30)
    with pytest.raises(ValueError, match="-1"):
        normalize_image_shape((4, -1))
    # for the other forms a -1 entry is checked against nothing, the others against the images
    validate_images(Est(), gray, reset=True, image_shape=(6, -1))
    with pytest.raises(ValueError, match="image_shape=\\(7, -1\\)"):
        validate_images(Est(), gray, reset=True, image_shape=(7, -1))


def test_dataframe_sets_feature_names_and_a_later_array_fit_deletes_them(gray):
    df = pd.DataFrame(gray.reshape(4, -1), columns=[f"px{i}" for i in range(30)])
    est = Est()
    validate_images(est, df, reset=True, image_shape=(6, 5))
    assert list(est.feature_names_in_) == list(df.columns) and est.n_features_in_ == 30
    with pytest.raises(ValueError, match="feature names"):
        validate_images(est, df[df.columns[::-1]], reset=False, image_shape=(6, 5))
    validate_images(est, gray, reset=True)  # image form: no column names to keep
    assert not hasattr(est, "feature_names_in_")
    validate_images(est, df, reset=True, image_shape=(6, 5))
    validate_images(est, gray.reshape(4, -1), reset=True, image_shape=(6, 5))
    assert not hasattr(est, "feature_names_in_")


def test_sparse_and_object_input_get_scikit_learn_errors(gray):
    with pytest.raises(TypeError, match="[Ss]parse"):
        validate_images(Est(), sp.csr_matrix(gray.reshape(4, -1)), reset=True, image_shape=(6, 5))
    # a 2-D object array of numbers is a table: converted like scikit-learn does
    out = validate_images(Est(), gray.reshape(4, -1).astype(object), reset=True, image_shape=(6, 5))
    assert out.dtype == np.float64
    with pytest.raises(ValueError, match="dtype object"):
        validate_images(Est(), gray.astype(object), reset=True)


def test_intensity_range_is_checked_only_when_given(gray):
    validate_images(Est(), gray * 3, reset=True)  # None: raw values (e.g. thresholds)
    with pytest.raises(ValueError, match=r"intensity_range=\(0.008216, 2.992\)"):
        validate_images(Est(), gray * 3, reset=True, intensity_range="auto")
    validate_images(Est(), gray * 3, reset=True, intensity_range=(0, 3))


def test_lazy_input_stays_streamed(tmp_path):
    images = np.random.default_rng(0).integers(0, 256, (6, 8, 8), dtype=np.uint8)
    np.save(tmp_path / "x.npy", images)
    memmap = np.load(tmp_path / "x.npy", mmap_mode="r")
    from PIL import Image

    paths = []
    for i, im in enumerate(images):
        paths.append(tmp_path / f"{i}.png")
        Image.fromarray(im).save(paths[-1])
    for source in (memmap, ImageFiles(paths)):
        est = Est()
        view = validate_images(est, source, reset=True, intensity_range="auto")
        assert isinstance(view, LazyImages)
        assert est.image_shape_ == (8, 8, 1) and est.n_features_in_ == 64
        again = validate_images(est, view[2:4], reset=False)
        assert isinstance(again, LazyImages)
        np.testing.assert_array_equal(np.asarray(again)[..., 0], images[2:4])
        with pytest.raises(ValueError, match="fitted on images of shape"):
            validate_images(est, np.zeros((2, 4, 4), np.uint8), reset=False)


def test_lazy_validation_reads_only_the_probe(rng):
    class Counting:
        def __init__(self, array):
            self.array, self.dtype, self.shape, self.read = array, array.dtype, array.shape, 0

        def __len__(self):
            return len(self.array)

        def __getitem__(self, index):
            out = self.array[index]
            self.read += 1 if out.ndim == self.array.ndim - 1 else len(out)
            return out

    source = Counting(rng.random((20, 8, 8)))
    view = LazyImages(source)
    validate_images(Est(), view, reset=True, intensity_range="auto")
    assert source.read == 1


def test_lazy_float_pixels_out_of_range_fail_when_their_batch_is_scaled(tmp_path):
    from sktl import PretrainedCNNFeaturizer

    x = np.random.default_rng(0).random((6, 16, 16)).astype(np.float32)
    x[4, 0, 0] = 2.0
    np.save(tmp_path / "x.npy", x)
    memmap = np.load(tmp_path / "x.npy", mmap_mode="r")
    feat = PretrainedCNNFeaturizer(
        backbone="resnet18", layer="conv1", weights=None, batch_size=2, random_state=0
    )
    feat.fit(memmap[:2])
    assert feat.transform(memmap[:4]).shape == (4, 64)
    with pytest.raises(ValueError, match="intensity_range"):
        feat.transform(memmap)


def test_rgba_lazy_warns_once_and_reads_rgb(tmp_path):
    rgba = np.random.default_rng(0).integers(0, 256, (4, 8, 8, 4), dtype=np.uint8)
    rgba[..., 3] = 255
    np.save(tmp_path / "x.npy", rgba)
    memmap = np.load(tmp_path / "x.npy", mmap_mode="r")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est = Est()
        view = validate_images(est, memmap, reset=True)
        np.testing.assert_array_equal(np.asarray(view), rgba[..., :3])
        validate_images(est, view[:2], reset=False)  # validated before: no second warning
    assert [str(w.message) for w in caught if "alpha" in str(w.message)] != []
    assert len(caught) == 1 and est.image_shape_ == (8, 8, 3)


def test_images_package_does_not_import_torch():
    """sktl.descriptors (numpy/scipy only) validates images through sktl.images."""
    code = (
        "import sys, types\n"
        f"pkg = types.ModuleType('sktl'); pkg.__path__ = [{sktl.__path__[0]!r}]\n"
        "sys.modules['sktl'] = pkg\n"
        "import numpy as np\n"
        "from sktl.descriptors import TwoPointStatsTransformer\n"
        "X = np.random.default_rng(0).random((3, 8, 8)) > 0.5\n"
        "assert TwoPointStatsTransformer(cutoff=2).fit_transform(X).shape == (3, 25)\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_check_images_keeps_bool(rng):
    x = rng.random((2, 4, 4)) > 0.5
    assert check_images(x).dtype == bool


def test_packed_multimodal_split_uses_the_image_contract(rng):
    from sktl.multimodal._input import split_multimodal

    X = np.hstack([rng.random((3, 12)), rng.normal(size=(3, 2))])
    images, feats = split_multimodal(X, (2, 2, 3))
    assert images.shape == (3, 2, 2, 3) and feats.shape == (3, 2)
    with pytest.raises(ValueError, match="cannot infer"):
        split_multimodal(X, (2, -1))
    with pytest.raises(ValueError, match="accepted are"):
        split_multimodal(X, (2, 2, 2))
    with pytest.raises(ValueError, match="n_features=14"):
        split_multimodal(X, (2, 7))
