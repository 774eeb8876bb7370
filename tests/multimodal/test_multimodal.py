import joblib
import numpy as np
import pytest
import torch
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score
from sklearn.pipeline import Pipeline

from sktl import (
    DescriptorRegressor,
    FeatureCache,
    ImageRegressor,
    MultimodalRegressor,
    multimodal_input,
)

TINY = dict(backbone="resnet18", layer="layer2", weights=None, random_state=0, max_epochs=15)
# the concatenation network: these tests look inside net_ (test_fusion.py tests the stack)
CONCAT = dict(fusion="concat")


def tiny(**kw):
    return {**TINY, **kw}


def test_packed_and_dict_forms_agree(data):
    X, y = data
    packed = np.hstack([X["image"].reshape(len(y), -1), X["features"]])
    a = MultimodalRegressor(**TINY, **CONCAT).fit(X, y[:, 0]).predict(X)
    b = (
        MultimodalRegressor(**CONCAT, **tiny(image_shape=(16, 16)))
        .fit(packed, y[:, 0])
        .predict(packed)
    )
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


def test_single_and_multi_target_shapes_and_learning(data):
    X, y = data
    single = MultimodalRegressor(**TINY, **CONCAT).fit(X, y[:, 0])
    assert single.predict(X).shape == (90,)
    multi = MultimodalRegressor(**TINY, **CONCAT).fit(X, y)
    assert multi.predict(X).shape == (90, 2) and multi.n_outputs_ == 2
    # standardised training loss falls well below the variance (no (n, n) broadcasting)
    assert multi.history_[-1]["train_loss"] < 0.5 * multi.history_[0]["train_loss"]
    assert multi.score(X, y) > 0.6


def test_predictions_are_in_original_units(data):
    X, y = data
    big = y[:, 0] * 1e4 + 3e5
    pred = MultimodalRegressor(**TINY, **CONCAT).fit(X, big).predict(X)
    assert abs(pred.mean() - big.mean()) < 0.2 * big.std()


def test_determinism(data):
    X, y = data
    a = MultimodalRegressor(**TINY, **CONCAT).fit(X, y).predict(X)
    b = MultimodalRegressor(**TINY, **CONCAT).fit(X, y).predict(X)
    np.testing.assert_array_equal(a, b)
    state = torch.random.get_rng_state()
    MultimodalRegressor(**TINY, **CONCAT).fit(X, y)
    assert torch.equal(state, torch.random.get_rng_state()), "global torch RNG must be untouched"


def test_grid_search_switches_between_the_three_models_and_round_trips(data, tmp_path):
    X, y = data
    pipe = Pipeline([("model", MultimodalRegressor(**TINY, **CONCAT))])
    grid = {
        "model": [
            MultimodalRegressor(**CONCAT, **tiny(max_epochs=30)),
            ImageRegressor(**tiny(max_epochs=30)),
            DescriptorRegressor(random_state=0, max_epochs=30),
        ]
    }
    search = GridSearchCV(pipe, grid, cv=KFold(3, shuffle=True, random_state=0)).fit(X, y[:, 0])
    scores = dict(
        zip(["multi", "image", "desc"], search.cv_results_["mean_test_score"], strict=True)
    )
    assert scores["multi"] > max(scores["image"], scores["desc"]), scores
    path = tmp_path / "m.joblib"
    joblib.dump(search.best_estimator_, path)
    np.testing.assert_array_equal(joblib.load(path).predict(X), search.predict(X))


def test_frozen_features_are_computed_once_per_image_across_folds_and_grid(data):
    X, y = data
    cache = FeatureCache()
    grid = {"head_dropout": [0.0, 0.3], "lr": [1e-3, 3e-3]}
    model = MultimodalRegressor(**CONCAT, **tiny(max_epochs=2), cache=cache)
    GridSearchCV(model, grid, cv=3).fit(X, y)
    assert cache.misses == len(y)  # 3 folds x 4 configs + refit, one featurisation
    assert cache.hits > 0


def test_stack_featurises_once_per_fit_and_keeps_nothing_without_a_cache(data, monkeypatch):
    """Without a cache, one stack fit (5 folds x 3 networks) featurises each image once, and
    no FeatureCache exists afterwards: nothing outlives the estimator."""
    import gc

    from sktl import PretrainedCNNFeaturizer

    X, y = data
    seen = []
    original = PretrainedCNNFeaturizer._transform_images
    monkeypatch.setattr(
        PretrainedCNNFeaturizer,
        "_transform_images",
        lambda self, imgs: seen.append(len(imgs)) or original(self, imgs),
    )

    def caches():
        gc.collect()
        return {id(o) for o in gc.get_objects() if type(o) is FeatureCache}

    before = caches()
    model = MultimodalRegressor(**tiny(max_epochs=2)).fit(X, y)
    assert sum(seen) == len(y)
    assert model.get_params()["cache"] is None
    assert caches() <= before


def test_images_go_through_the_image_contract(data):
    """validate_images records image_shape_; other-shaped images and unreadable intensities
    get the contract's errors."""
    X, y = data
    model = MultimodalRegressor(**CONCAT, **tiny(max_epochs=1)).fit(X, y)
    assert model.image_shape_ == (16, 16, 1) and model.n_features_in_ == X["features"].shape[1]
    small = multimodal_input(X["image"][:, :12, :12], X["features"])
    with pytest.raises(ValueError, match="fitted on images of shape"):
        model.predict(small)
    bright = multimodal_input(X["image"] * 300.0, X["features"])
    with pytest.raises(ValueError, match="intensity_range"):
        MultimodalRegressor(**CONCAT, **tiny(max_epochs=1)).fit(bright, y)


def test_cross_val_score_runs(data):
    X, y = data
    scores = cross_val_score(DescriptorRegressor(random_state=0, max_epochs=10), X, y[:, 1], cv=3)
    assert scores.shape == (3,)


def test_freeze_options(data):
    X, y = data
    none = MultimodalRegressor(**CONCAT, **tiny(layer="layer1", freeze="none", max_epochs=2)).fit(
        X, y
    )
    fresh = none.net_.module_.image_encoder[0].body.conv1[0].weight
    ref = MultimodalRegressor(**CONCAT, **tiny(layer="layer1", max_epochs=1)).fit(X, y)
    frozen = ref.featurizer_.backbone_.body.conv1[0].weight
    assert not torch.allclose(fresh, frozen), "freeze='none' must train the backbone"
    # the first three taps of resnet18 (conv1, maxpool, layer1) frozen and cached, layer2 trains
    part = MultimodalRegressor(**CONCAT, **tiny(freeze=3, max_epochs=2)).fit(X, y)
    assert part.featurizer_.layer_ == "layer1"
    trainable = {n for n, p in part.net_.module_.named_parameters() if p.requires_grad}
    assert any(n.startswith("image_encoder") for n in trainable)
    with pytest.raises(ValueError, match="freeze=9 asks to freeze more than the .* taps"):
        MultimodalRegressor(**CONCAT, **tiny(freeze=9)).fit(X, y)


def test_real_offline_imagenet_backbone(data):
    X, y = data
    model = MultimodalRegressor(
        backbone="efficientnet_lite0", weights="imagenet", max_epochs=3, random_state=0
    ).fit(X, y)
    assert model.featurizer_.backbone_.weights == "imagenet"
    assert np.isfinite(model.predict(X)).all()


def test_bad_input(data, rng):
    X, y = data
    with pytest.raises(ValueError, match="90 images but 80 descriptor rows"):
        multimodal_input(X["image"], X["features"][:80])
    with pytest.raises(ValueError, match="missing key"):
        MultimodalRegressor(**TINY, **CONCAT).fit({"image": X["image"]}, y)
    with pytest.raises(ValueError, match="Unknown multimodal input key"):
        MultimodalRegressor(**TINY, **CONCAT).fit({**X, "extra": X["features"]}, y)
    bad = X["features"].copy()
    bad[3, 1] = np.nan
    with pytest.raises(ValueError, match="NaN or infinite values in 1 row"):
        MultimodalRegressor(**TINY, **CONCAT).fit({"image": X["image"], "features": bad}, y)
    y_nan = y.copy()
    y_nan[0, 0] = np.nan
    with pytest.raises(ValueError, match="y contains NaN"):
        MultimodalRegressor(**TINY, **CONCAT).fit(X, y_nan)
    with pytest.raises(ValueError, match="n_samples=1"):
        MultimodalRegressor(**TINY, **CONCAT).fit(X[:1], y[:1])
    with pytest.raises(ValueError, match="must match"):
        MultimodalRegressor(**TINY, **CONCAT).fit(X, y[:10])
    model = MultimodalRegressor(**CONCAT, **tiny(max_epochs=1)).fit(X, y)
    with pytest.raises(ValueError, match="fitted on"):
        model.predict(multimodal_input(rng.random((5, 17, 16)), X["features"][:5]))
    with pytest.raises(ValueError, match="4 descriptors|fitted with 4"):
        model.predict(multimodal_input(X["image"][:5], X["features"][:5, :3]))
    with pytest.raises(ValueError, match="image_shape"):
        MultimodalRegressor(**TINY, **CONCAT).fit(np.zeros((5, 20)), np.zeros(5))
