"""FeatureCache is explicit state: shared only by the estimators given it, clone-safe."""

import copy
import pickle

import joblib
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.linear_model import Ridge
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import make_pipeline

from sktl import FeatureCache, PretrainedCNNFeaturizer

KW = dict(backbone="resnet18", layer="layer1", weights=None, random_state=0)


@pytest.fixture
def images():
    return np.random.default_rng(0).random((6, 16, 16)).astype(np.float32)


def _counting(featurizer, calls):
    original = featurizer._transform_images
    featurizer._transform_images = lambda imgs: calls.append(len(imgs)) or original(imgs)
    return featurizer


def test_deepcopy_and_clone_share_the_store():
    cache = FeatureCache(max_bytes=1024, directory="somewhere")
    assert copy.deepcopy(cache) is cache and copy.copy(cache) is cache
    est = PretrainedCNNFeaturizer(cache=cache)
    assert clone(est).cache is cache
    assert clone(est).get_params()["cache"] is cache
    assert repr(cache) == "FeatureCache(max_bytes=1024, directory='somewhere')"


def test_pickle_keeps_settings_not_rows(images, tmp_path):
    cache = FeatureCache(directory=tmp_path)
    f = PretrainedCNNFeaturizer(**KW, cache=cache).fit(images)
    expected = f.transform(images)
    assert cache.n_rows == len(images) and cache.nbytes > 0
    loaded = pickle.loads(pickle.dumps(f))
    assert loaded.cache is not cache and loaded.cache.n_rows == 0
    assert loaded.cache.directory == cache.directory and loaded.cache.max_bytes == cache.max_bytes
    joblib.dump(f, tmp_path / "f.joblib")
    np.testing.assert_array_equal(joblib.load(tmp_path / "f.joblib").transform(images), expected)


def test_estimators_see_each_others_rows_only_through_one_cache(images):
    shared, other = FeatureCache(), FeatureCache()
    a = PretrainedCNNFeaturizer(**KW, cache=shared).fit(images)
    a.transform(images)
    calls = []
    b = _counting(PretrainedCNNFeaturizer(**KW, cache=shared).fit(images), calls)
    b.transform(images)
    assert calls == []  # all rows came from a's work
    c = _counting(PretrainedCNNFeaturizer(**KW, cache=other).fit(images), calls)
    c.transform(images)
    assert calls == [len(images)] and other.misses == len(images) and shared.misses == 6
    d = _counting(PretrainedCNNFeaturizer(**KW).fit(images), calls)  # no cache: nothing kept
    d.transform(images)
    d.transform(images)
    assert calls == [len(images)] * 3


def test_grid_search_over_a_passed_cache_featurises_each_image_once(images):
    y = images.mean(axis=(1, 2))
    cache = FeatureCache()
    pipe = make_pipeline(PretrainedCNNFeaturizer(**KW, cache=cache), Ridge())
    GridSearchCV(pipe, {"ridge__alpha": [0.1, 1.0]}, cv=KFold(3)).fit(images, y)
    assert cache.misses == len(images) and cache.hits > 0


def test_memory_budget_and_clear(images):
    f = PretrainedCNNFeaturizer(**KW).fit(images)
    row_bytes = f.transform(images[:1]).nbytes
    cache = FeatureCache(max_bytes=2 * row_bytes)
    f.set_params(cache=cache).fit(images).transform(images)
    assert cache.n_rows == 2 and cache.nbytes == 2 * row_bytes
    cache.clear()
    assert cache.n_rows == 0 and cache.hits == cache.misses == 0


@pytest.mark.parametrize(
    "kwargs, error",
    [({"max_bytes": -1}, ValueError), ({"max_bytes": 1.5}, ValueError), ({"directory": 3}, TypeError)],
)
def test_bad_settings_are_refused(kwargs, error):
    with pytest.raises(error):
        FeatureCache(**kwargs)


def test_a_cache_param_must_be_a_feature_cache(images):
    with pytest.raises(ValueError, match="FeatureCache"):
        PretrainedCNNFeaturizer(**KW, cache=True).fit(images)
