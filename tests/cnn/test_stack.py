"""StructurePropertyRegressor: the blend, the default members, budgets, interrupts, bad input."""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, RegressorMixin, clone
from sklearn.dummy import DummyRegressor
from sklearn.linear_model import LinearRegression, Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from sktl.cnn import CNNRegressor, StructurePropertyRegressor, TransferCNNRegressor
from sktl.utils._stack_fit import take_rows


def _flatten(images):
    return np.asarray(images, dtype=np.float64).reshape(len(images), -1)


def _mean_pixel(images):
    return np.asarray(images, dtype=np.float64).reshape(len(images), -1).mean(axis=1)[:, None]


def _ridge():
    return make_pipeline(FunctionTransformer(_flatten), Ridge(alpha=1.0))


def _perfect():
    """Reads the target (the mean pixel) off the image."""
    return make_pipeline(FunctionTransformer(_mean_pixel), LinearRegression())


def _tiny_cnn():
    return CNNRegressor(n_blocks=1, filters=4, head_units=(8,), max_epochs=2)


class _Interrupting(RegressorMixin, BaseEstimator):
    def fit(self, X, y):
        raise KeyboardInterrupt

    def predict(self, X):  # pragma: no cover
        return np.zeros(len(X))


class _Slow(DummyRegressor):
    def fit(self, X, y, sample_weight=None):
        import time

        time.sleep(0.05)
        return super().fit(np.zeros((len(X), 1)), y)


@pytest.fixture
def binary(rng):
    X = (rng.random((24, 8, 8)) < rng.uniform(0.2, 0.8, (24, 1, 1))).astype(np.float32)
    return X, X.mean(axis=(1, 2))


FAST = dict(stack_folds=3, random_state=0)


def test_shapes_1d_2d_and_intervals_contain_the_prediction(binary):
    X, y = binary
    members = [("ridge", _ridge()), ("tiny_cnn", _tiny_cnn())]
    reg = StructurePropertyRegressor(members=members, **FAST).fit(X, y)
    assert reg.predict(X[:5]).shape == (5,) and reg.y_ndim_ == 1 and reg.n_outputs_ == 1
    assert reg.predict_members(X[:5]).shape == (5, 2)
    pred, pis = reg.predict_interval(X[:5], confidence_level=[0.5, 0.8])
    assert pis.shape == (5, 2, 2)
    np.testing.assert_allclose(pred, reg.predict(X[:5]))
    assert (pis[:, 0] <= pred[:, None] + 1e-12).all() and (pis[:, 1] >= pred[:, None] - 1e-12).all()
    assert reg.fold_of_sample_.shape == (24,) and set(reg.fold_of_sample_) == {0, 1, 2}
    assert reg.oof_residuals_.shape == (24, 1) and reg.oof_predictions_.shape == (24, 2, 1)
    assert len(reg.models_) == 3 and all(set(m) == {"ridge", "tiny_cnn"} for m in reg.models_)
    assert isinstance(reg.models_[0]["tiny_cnn"], CNNRegressor) and reg.image_shape_ == (8, 8, 1)

    Y = np.c_[y, 3 * y + 1]
    reg2 = StructurePropertyRegressor(members=members, **FAST).fit(X, Y)
    assert reg2.predict(X[:5]).shape == (5, 2) and reg2.stack_weights_.shape == (2, 2)
    assert reg2.predict_members(X[:5]).shape == (5, 2, 2)
    pred2, pis2 = reg2.predict_interval(X[:5])
    assert pred2.shape == (5, 2) and pis2.shape == (5, 2, 1, 2)
    assert (pis2[:, 0, 0] <= pred2).all() and (pis2[:, 1, 0] >= pred2).all()
    one_column = StructurePropertyRegressor(members=members, **FAST).fit(X, y[:, None])
    assert one_column.predict(X[:2]).shape == (2, 1)


def test_the_blend_gives_a_perfect_member_the_weight_and_never_loses_to_a_member(binary):
    X, y = binary
    members = [("mean", DummyRegressor()), ("ridge", _ridge()), ("perfect", _perfect())]
    reg = StructurePropertyRegressor(members=members, **FAST).fit(X, y)
    assert reg.stack_members_ == ["mean", "ridge", "perfect"]
    assert (reg.stack_weights_ >= 0).all()
    np.testing.assert_allclose(reg.stack_weights_[:, 0], [0, 0, 1], atol=1e-6)
    np.testing.assert_allclose(reg.predict(X), y, atol=1e-6)
    assert reg.oof_scores_["perfect"][0] > 1 - 1e-9 and reg.oof_scores_["blend"][0] > 1 - 1e-9

    # without the perfect member: the blend's out-of-fold error is at most the best member's
    noisy = y + np.random.default_rng(1).normal(0, 0.05, len(y))
    members = [("ridge", _ridge()), ("tiny_cnn", _tiny_cnn()), ("mean", DummyRegressor())]
    reg = StructurePropertyRegressor(members=members, **FAST).fit(X, noisy)
    assert (reg.stack_weights_ >= 0).all()
    member_mse = ((reg.oof_predictions_[:, :, 0] - noisy[:, None]) ** 2).mean(axis=0)
    blend_mse = (reg.oof_residuals_[:, 0] ** 2).mean()
    assert blend_mse <= member_mse.min() + 1e-12
    assert set(reg.oof_scores_) == {"ridge", "tiny_cnn", "mean", "blend"}
    assert reg.oof_scores_["blend"][0] >= max(reg.oof_scores_[m][0] for m in reg.stack_members_)
    # the intercept is in target units: the blend of the out-of-fold predictions
    blended = reg.oof_predictions_[:, :, 0] @ reg.stack_weights_[:, 0] + reg.stack_intercept_[0]
    np.testing.assert_allclose(noisy - blended, reg.oof_residuals_[:, 0])


def test_same_random_state_same_predictions_and_clone_round_trip(binary):
    X, y = binary
    reg = StructurePropertyRegressor(members=["two_point", ("tiny_cnn", _tiny_cnn())], **FAST)
    pred = clone(reg).fit(X, y).predict(X)
    np.testing.assert_array_equal(clone(reg).fit(X, y).predict(X), pred)
    params = reg.get_params()
    again = StructurePropertyRegressor(**params)
    assert again.get_params().keys() == params.keys() and again.stack_folds == 3
    fitted = clone(reg).fit(X, y)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(fitted)).predict(X), pred)
    other = clone(reg).set_params(random_state=1).fit(X, y)
    assert not np.array_equal(other.fold_of_sample_, fitted.fold_of_sample_)
    # each fold of a member gets its own seed
    seeds = {fold["tiny_cnn"].random_state for fold in fitted.models_}
    assert len(seeds) == 3 and reg.members[1][1].random_state is None


def test_time_budget_keeps_the_first_member_and_says_so(binary):
    X, y = binary
    members = [("slow", _Slow()), ("ridge", _ridge()), "two_point"]
    reg = StructurePropertyRegressor(members=members, time_budget=0.01, **FAST)
    with pytest.warns(UserWarning, match="ran out of time_budget"):
        reg.fit(X, y)
    assert reg.stack_members_ == ["slow"]  # the first member always finishes
    assert reg.skipped_members_ == {"ridge": "time_budget", "two_point": "time_budget"}
    assert not reg.interrupted_ and reg.predict(X[:2]).shape == (2,)
    assert reg.two_point_threshold_ is None  # its member was cut
    for bad in (0, -1.0):
        with pytest.raises(ValueError, match=r"time_budget.*range \(0.0, inf\) or None"):
            StructurePropertyRegressor(members=members, time_budget=bad, **FAST).fit(X, y)


def test_an_interrupt_keeps_the_finished_members_or_raises_before_the_first(binary):
    X, y = binary
    reg = StructurePropertyRegressor(
        members=[("ridge", _ridge()), ("stop", _Interrupting())], **FAST
    )
    with pytest.warns(UserWarning, match=r"was interrupted: members \['stop'\]"):
        reg.fit(X, y)
    assert reg.interrupted_ and reg.stack_members_ == ["ridge"]
    assert reg.skipped_members_ == {"stop": "interrupted"}
    first = StructurePropertyRegressor(members=[("stop", _Interrupting())], **FAST)
    with pytest.raises(KeyboardInterrupt):
        first.fit(X, y)
    assert not hasattr(first, "stack_members_") and not hasattr(first, "n_features_in_")


@pytest.mark.parametrize(
    "members, match",
    [
        ([], "members is empty"),
        (["forest"], "Unknown member 'forest'"),
        ([("a", _ridge()), ("a", DummyRegressor())], "names 'a' twice"),
        (["two_point", "two_point"], "names 'two_point' twice"),
        (["cnn", ("cnn", DummyRegressor())], "name of a built-in one; rename it"),
        ([("a", "not an estimator")], "has no fit and predict"),
        ([("a", FunctionTransformer())], "fit and predict"),
        ([(1, DummyRegressor())], "neither a member name"),
    ],
)
def test_bad_members_are_clear_errors(binary, members, match):
    X, y = binary
    with pytest.raises(ValueError, match=match):
        StructurePropertyRegressor(members=members, **FAST).fit(X, y)


def test_bad_input_is_a_clear_error(binary):
    X, y = binary
    reg = StructurePropertyRegressor(members=[("ridge", _ridge())], **FAST)
    bad = X.copy()
    bad[3, 2, 2] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        reg.fit(bad, y)
    with pytest.raises(ValueError, match="X has 24 samples but y has 23"):
        reg.fit(X, y[:-1])
    with pytest.raises(ValueError, match=r"needs at least 6 images .*n_samples=5"):
        reg.fit(X[:5], y[:5])
    with pytest.raises(ValueError, match="requires y"):
        reg.fit(X, None)
    with pytest.raises(ValueError, match="stack_folds"):
        StructurePropertyRegressor(stack_folds=1).fit(X, y)
    reg.fit(X, y)
    with pytest.raises(ValueError, match="shape"):
        reg.predict(np.zeros((2, 9, 9), dtype=np.float32))


def test_two_point_threshold_follows_the_images(binary, rng):
    X, y = binary
    members = ["two_point", ("mean", DummyRegressor())]
    reg = StructurePropertyRegressor(members=members, **FAST).fit(X, y)
    assert reg.two_point_threshold_ == 0.5  # binary images: as they are, and grey ones too
    assert np.isfinite(reg.predict(rng.uniform(0.2, 0.6, X.shape))).all()
    grey = rng.uniform(0.2, 0.6, X.shape)
    reg.fit(grey, y)
    assert reg.two_point_threshold_ == pytest.approx((grey.min() + grey.max()) / 2)
    pipe = reg.models_[0]["two_point"]
    assert pipe[0].threshold == reg.two_point_threshold_ and pipe[0].cutoff == 2  # 8 px / 4
    labels = (rng.random(X.shape) * 3).astype(np.uint8)  # phases 0, 1, 2
    reg.set_params(intensity_range=(0, 2)).fit(labels, y)
    assert reg.two_point_threshold_ == 1.0
    assert np.isfinite(reg.predict(labels)).all()
    only_ridge = StructurePropertyRegressor(members=[("ridge", _ridge())], **FAST).fit(grey, y)
    assert only_ridge.two_point_threshold_ is None


def test_a_pair_may_not_take_a_built_in_members_name(binary):
    X, y = binary  # one rule for every sktl stack: CompositionRegressor refuses the same
    with pytest.raises(ValueError, match="'two_point' has the name of a built-in one"):
        StructurePropertyRegressor(members=[("two_point", _ridge())], **FAST).fit(X, y)


def test_two_point_pca_fits_small_folds(rng):
    X = (rng.random((8, 16, 16)) > 0.5).astype(np.float32)
    reg = StructurePropertyRegressor(members=["two_point"], stack_folds=4, random_state=0)
    reg.fit(X, X.mean(axis=(1, 2)))
    assert reg.models_[0]["two_point"][1].n_components_ == 5  # 6 training images - 1


def test_colour_images_drop_the_two_point_member_with_the_reason(rng):
    X = rng.random((12, 8, 8, 3)).astype(np.float32)
    y = X.mean(axis=(1, 2, 3))
    members = ["two_point", ("ridge", _ridge())]
    reg = StructurePropertyRegressor(members=members, **FAST)
    with pytest.warns(UserWarning, match="'two_point' is left out: .*one channel"):
        reg.fit(X, y)
    assert reg.stack_members_ == ["ridge"]
    assert "3" in reg.skipped_members_["two_point"] and reg.two_point_threshold_ is None
    with (
        pytest.raises(ValueError, match="no member can use these images"),
        pytest.warns(UserWarning),
    ):
        StructurePropertyRegressor(members=["two_point"], **FAST).fit(X, y)


def test_the_default_members(rng):
    """The three named members, in their order, on tiny images: the networks' own defaults
    (weights load offline) plus the stack's shared settings."""
    X = (rng.random((12, 16, 16)) < rng.uniform(0.2, 0.8, (12, 1, 1))).astype(np.float32)
    y = X.mean(axis=(1, 2))
    reg = StructurePropertyRegressor(stack_folds=2, intensity_range=(0, 1), random_state=0)
    reg.fit(X, y)
    assert reg.stack_members_ == ["two_point", "transfer", "cnn"] and not reg.skipped_members_
    assert reg.stack_weights_.shape == (3, 1) and np.isfinite(reg.predict(X)).all()
    transfer, own = reg.models_[0]["transfer"].get_params(), TransferCNNRegressor().get_params()
    shared = {"intensity_range", "random_state"}
    assert {k: v for k, v in transfer.items() if k not in shared} == {
        k: v for k, v in own.items() if k not in shared
    }
    assert transfer["intensity_range"] == (0, 1)
    cnn = reg.models_[1]["cnn"]
    assert (cnn.filters, cnn.kernel_size, cnn.max_epochs) == (32, 5, 30)
    assert cnn.intensity_range == (0, 1) and cnn.random_state != transfer["random_state"]
    assert set(reg.member_seconds_) == {"two_point", "transfer", "cnn"}

    # colour images, one second: the two-point member drops out quietly (the default set),
    # the budget keeps the first network
    colour = np.repeat(X[..., None], 3, axis=-1)
    reg = StructurePropertyRegressor(stack_folds=2, time_budget=1e-3, random_state=0)
    with pytest.warns(UserWarning, match="ran out of time_budget") as record:
        reg.fit(colour, y)
    assert len(record) == 1
    assert reg.stack_members_ == ["transfer"]
    assert set(reg.skipped_members_) == {"two_point", "cnn"}
    assert reg.skipped_members_["cnn"] == "time_budget"


def test_settings_for_absent_members_warn(binary):
    X, y = binary
    reg = StructurePropertyRegressor(members=[("ridge", _ridge())], augmentation="d4", **FAST)
    with pytest.warns(UserWarning, match="augmentation='d4' has no effect without the built-in"):
        reg.fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        reg.set_params(augmentation=None).fit(X, y)


def test_packed_rows_and_progress(binary, capsys):
    X, y = binary
    table = pd.DataFrame(X.reshape(len(X), -1), columns=[f"p{i}" for i in range(64)])
    reg = StructurePropertyRegressor(
        members=[("ridge", _ridge())], image_shape=(8, 8), verbose=1, **FAST
    ).fit(table, y)
    assert list(reg.feature_names_in_) == list(table.columns) and reg.n_features_in_ == 64
    np.testing.assert_allclose(reg.predict(table), reg.predict(X))  # the same images
    assert "[StructurePropertyRegressor] ridge: fold 3/3 done; 3/3 fits" in capsys.readouterr().err


def test_rows_of_images_are_indexed_directly():
    images = np.arange(4 * 2 * 2, dtype=np.float32).reshape(4, 2, 2, 1)
    rows = np.array([2, 0])
    out = take_rows(images, rows)
    assert out.dtype == np.float32 and out.shape == (2, 2, 2, 1)
    np.testing.assert_array_equal(out, images[rows])
    formulas = take_rows(np.array(["NaCl", "KCl", "MgO"]), rows)
    assert formulas.dtype == object and list(formulas) == ["MgO", "NaCl"]
    assert list(take_rows(["NaCl", "KCl", "MgO"], rows)) == ["MgO", "NaCl"]
    assert list(take_rows(pd.Series(["NaCl", "KCl", "MgO"], index=[5, 6, 7]), rows)) == [
        "MgO",
        "NaCl",
    ]


def test_pipeline_members_are_seeded_throughout(binary):
    from sklearn.ensemble import RandomForestRegressor

    X, y = binary
    forest = make_pipeline(FunctionTransformer(_flatten), RandomForestRegressor(n_estimators=5))
    a = StructurePropertyRegressor(members=[("rf", forest)], **FAST).fit(X, y).predict(X)
    b = StructurePropertyRegressor(members=[("rf", forest)], **FAST).fit(X, y).predict(X)
    np.testing.assert_array_equal(a, b)  # the forest inside the pipeline got a seed too
    assert forest.get_params()["randomforestregressor__random_state"] is None  # a clone's


def test_a_member_that_predicts_too_few_targets_is_an_error(binary):
    X, y = binary
    Y = np.c_[y, 100 * y]
    first_only = _FirstTarget()
    with pytest.raises(ValueError, match="Member 'first' predicts 1 column.* for 2 target"):
        StructurePropertyRegressor(members=[("first", first_only)], **FAST).fit(X, Y)
    with pytest.raises(ValueError, match=r"one \(name, estimator\) pair; pass a list"):
        StructurePropertyRegressor(members=("first", first_only), **FAST).fit(X, Y)


class _FirstTarget(RegressorMixin, BaseEstimator):
    """Predicts only the first target column (a wrongly built member)."""

    def fit(self, X, y):
        self.mean_ = np.asarray(y, dtype=float).reshape(len(y), -1)[:, 0].mean()
        return self

    def predict(self, X):
        return np.full(len(X), self.mean_)
