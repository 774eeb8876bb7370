import joblib
import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import clone
from sklearn.linear_model import Ridge
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import Pipeline

from sktl import PretrainedCNNFeaturizer
from sktl.backbones import _vgg


def small(**kw):
    params = dict(backbone="resnet18", layer="layer1", weights=None, random_state=0)
    params.update(kw)
    return PretrainedCNNFeaturizer(**params)


@pytest.mark.parametrize(
    ("pooling", "n_out"),
    [("avg", 64), ("max", 64), ("flatten", 64 * 8 * 8), ("gram", 64 * 65 // 2)],
)
def test_pooling_shapes_and_names(rng, pooling, n_out):
    X = rng.random((3, 32, 32))
    f = small(pooling=pooling).fit(X)
    Z = f.transform(X)
    assert Z.shape == (3, n_out) and Z.dtype == np.float32
    assert len(f.get_feature_names_out()) == n_out == f.n_features_out_


def test_gram_pooling_is_the_upper_triangle_of_the_channel_gram(rng):
    X = rng.random((2, 16, 16, 3))
    f = small(pooling="flatten").fit(X)
    fmap = f.transform(X).reshape(2, *f.feature_shape_)
    c, h, w = f.feature_shape_
    F = fmap.reshape(2, c, h * w)
    G = np.einsum("nci,ndi->ncd", F, F) / (h * w)
    iu = np.triu_indices(c)
    np.testing.assert_allclose(
        small(pooling="gram").fit(X).transform(X), G[:, iu[0], iu[1]], rtol=1e-4, atol=1e-5
    )


def test_packed_2d_form_equals_image_form(rng):
    X = rng.random((3, 16, 16, 3)).astype(np.float32)
    a = small().fit_transform(X)
    b = small(image_shape=(16, 16, 3)).fit_transform(X.reshape(3, -1))
    np.testing.assert_array_equal(a, b)


def test_uint8_and_float_images_give_the_same_features(rng):
    X8 = rng.integers(0, 256, (2, 16, 16), dtype=np.uint8)
    a = small().fit_transform(X8)
    b = small().fit_transform(X8.astype(np.float32) / 255)
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_set_output_pandas(rng):
    X = rng.random((3, 16, 16))
    out = small().set_output(transform="pandas").fit_transform(X)
    assert isinstance(out, pd.DataFrame) and list(out.columns)[:2] == [
        "layer1_avg_c0",
        "layer1_avg_c1",
    ]


def test_native_input_size_resizes(rng):
    f = small(input_size="native").fit(rng.random((1, 20, 20)))
    assert f.input_size_ == (224, 224) and f.feature_shape_ == (64, 56, 56)


def test_vector_taps_pass_through_and_refuse_gram(rng):
    X = rng.random((2, 32, 32))
    assert small(layer="avgpool").fit_transform(X).shape == (2, 512)
    with pytest.raises(ValueError, match="gram.*spatial layer"):
        small(layer="avgpool", pooling="gram").fit(X)


def test_bad_input(rng):
    f = small().fit(rng.random((2, 16, 16)))
    with pytest.raises(ValueError, match="fitted on"):
        f.transform(rng.random((2, 17, 16)))
    with pytest.raises(ValueError, match="NaN"):
        f.transform(np.full((2, 16, 16), np.nan))
    with pytest.raises(ValueError, match="Valid layers"):
        small(layer="pool3").fit(rng.random((2, 16, 16)))
    with pytest.raises(ValueError, match="Valid backbones"):
        small(backbone="alexnet").fit(rng.random((2, 16, 16)))
    with pytest.raises(ValueError, match="too small"):
        small(backbone="vgg19", layer="pool5").fit(rng.random((1, 8, 8)))


def test_determinism_and_clone(rng):
    X = rng.random((2, 16, 16))
    np.testing.assert_array_equal(small().fit_transform(X), clone(small()).fit_transform(X))
    assert not np.allclose(small().fit_transform(X), small(random_state=1).fit_transform(X))


def test_joblib_round_trip_needs_no_weights_source(tmp_path, rng, monkeypatch):
    X = rng.random((2, 32, 32))
    f = PretrainedCNNFeaturizer(backbone="vgg19", layer="pool2", weights="vgg19_normalised").fit(X)
    path = tmp_path / "f.joblib"
    joblib.dump(f, path)

    def no_file():
        raise RuntimeError("weights file must not be read when loading a fitted featurizer")

    monkeypatch.setattr(_vgg, "_normalised_vgg19_path", no_file)
    g = joblib.load(path)
    np.testing.assert_array_equal(f.transform(X), g.transform(X))


def test_progress_bar_is_shown_for_long_runs(rng, capsys):
    X = rng.random((4, 8, 8))
    small(batch_size=1, verbose=1).fit(X).transform(X)
    assert "resnet18:layer1" in capsys.readouterr().err


def _li_tiles(li2018_dir, size=64, stride=32):
    tiles = []
    for name in ("carbonate_resized.npy", "copolymer_resized.npy"):
        img = np.load(li2018_dir / name)
        for i in range(0, img.shape[0] - size + 1, stride):
            for j in range(0, img.shape[1] - size + 1, stride):
                tiles.append(img[i : i + size, j : j + size])
    X = np.stack(tiles)
    return X, X.reshape(len(X), -1).mean(axis=1)


def test_grid_search_over_vgg19_layers_on_li2018_tiles(li2018_dir):
    """The foundation's done-when: VGG19 (offline normalised weights) + Ridge in GridSearchCV."""
    X, y = _li_tiles(li2018_dir)
    assert X.shape == (98, 64, 64) and 0.05 < y.std()
    torch.set_num_threads(2)
    pipe = Pipeline(
        [
            (
                "cnn",
                PretrainedCNNFeaturizer(
                    backbone="vgg19",
                    layer="pool3",
                    weights="vgg19_normalised",
                    intensity_range=(0, 1),
                ),
            ),
            ("ridge", Ridge(alpha=1.0)),
        ]
    )
    search = GridSearchCV(
        pipe,
        {"cnn__layer": ["pool2", "pool3"]},
        cv=KFold(3, shuffle=True, random_state=0),
        scoring="r2",
    )
    search.fit(X, y)
    scores = search.cv_results_["mean_test_score"]
    assert search.best_params_["cnn__layer"] in {"pool2", "pool3"}
    # Averaged conv features carry the phase fraction almost linearly.
    assert scores.max() > 0.8, scores
    assert search.predict(X[:3]).shape == (3,)


def test_cache_reuses_rows_per_image_across_subsets(rng, tmp_path):
    from sktl import FeatureCache

    X = rng.random((6, 16, 16))
    cache = FeatureCache()
    f = small(cache=cache).fit(X)
    full = f.transform(X)
    misses = cache.misses
    calls = []
    original = f._transform_images
    f._transform_images = lambda imgs: calls.append(len(imgs)) or original(imgs)
    np.testing.assert_array_equal(f.transform(X[[4, 1]]), full[[4, 1]])
    assert calls == [] and cache.misses == misses
    # a different network (other seed) never reads these rows
    g = small(cache=cache, random_state=1).fit(X)
    assert g.network_key_ != f.network_key_
    assert not np.allclose(g.transform(X), full)
    # the disk cache serves another process's (here: a fresh cache object's) request
    d = small(cache=FeatureCache(directory=tmp_path)).fit(X)
    d.transform(X)
    d.set_params(cache=FeatureCache(directory=tmp_path))
    d._transform_images = lambda imgs: pytest.fail("disk rows should have been used")
    np.testing.assert_array_equal(d.transform(X), full)


def test_featurizers_given_one_cache_build_the_backbone_once():
    """Refits (CV folds, grid points) given one cache read the weights once; each has a copy."""
    from sktl import FeatureCache

    images = np.random.default_rng(0).random((4, 16, 16)).astype(np.float32)
    kw = dict(backbone="resnet18", layer="layer1", weights=None, random_state=3)
    cache = FeatureCache()
    a = PretrainedCNNFeaturizer(**kw, cache=cache).fit(images)
    b = PretrainedCNNFeaturizer(**kw, cache=cache).fit(images)
    assert len(cache._backbones) == 1 and a.backbone_ is not b.backbone_
    np.testing.assert_array_equal(a.transform(images), b.transform(images))
    with torch.no_grad():  # a change through one featurizer never reaches another
        next(a.backbone_.parameters()).mul_(2.0)
    c = PretrainedCNNFeaturizer(**kw, cache=FeatureCache()).fit(images)
    np.testing.assert_array_equal(c.transform(images), b.transform(images))
    plain = PretrainedCNNFeaturizer(**kw).fit(images)
    assert not hasattr(plain, "network_key_")
    assert not any(p.requires_grad for p in plain.backbone_.parameters())
    assert not plain.backbone_.training
    np.testing.assert_array_equal(plain.transform(images), b.transform(images))
