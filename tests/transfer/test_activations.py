import joblib
import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import clone
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import Ridge
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score
from sklearn.pipeline import Pipeline, make_pipeline
from tlrl_helpers import FAST
from torch import nn

from sktl.composition import ElementFractionTransformer
from sktl.transfer import DeepMLPRegressor, LayerActivationTransformer


def manual(module, X, upto, relu):
    """Run the flat Sequential up to child index ``upto`` (inclusive) in eval mode."""
    module.eval()
    with torch.no_grad():
        out = module[: upto + 1](torch.as_tensor(X, dtype=torch.float32))
    return (torch.relu(out) if relu else out).numpy()


@pytest.mark.parametrize("activation", ["dense", "relu"])
def test_activations_match_the_network(source_data, source_model, activation):
    X, _, _ = source_data
    module = source_model.net_.module_
    children = [name for name, _ in module.named_children()]
    t = LayerActivationTransformer(weights=source_model, layer=3, activation=activation).fit(X)
    assert (t.layer_name_, t.layer_index_, t.n_features_out_) == ("dense_3", 3, 16)
    Z = t.transform(X)
    assert Z.shape == (400, 16) and Z.dtype == np.float64
    np.testing.assert_allclose(
        Z, manual(module, X, children.index("dense_3"), activation == "relu"), atol=1e-6
    )
    assert (Z < 0).any() == (activation == "dense")
    by_name = LayerActivationTransformer(weights=source_model, layer="dense_3", activation=activation)
    np.testing.assert_array_equal(by_name.fit_transform(X), Z)


def test_default_layer_is_last_hidden_and_batches_agree(source_data, source_model):
    X, _, _ = source_data
    t = LayerActivationTransformer(weights=source_model).fit(X)
    assert t.layer_name_ == "dense_5" and t.layer_index_ == 5
    small = LayerActivationTransformer(weights=source_model, batch_size=7).fit(X)
    np.testing.assert_allclose(small.transform(X), t.transform(X), atol=1e-6)


def test_sequential_skorch_and_frozen_sources(source_data, source_model):
    X, _, _ = source_data
    ref = LayerActivationTransformer(weights=source_model, layer=2, activation="dense").fit_transform(X)
    for src in (source_model.net_, source_model.net_.module_, FrozenEstimator(source_model)):
        t = LayerActivationTransformer(weights=src, layer=2, activation="dense")
        np.testing.assert_array_equal(t.fit_transform(X), ref)
    seq = nn.Sequential(nn.Linear(86, 5), nn.Tanh(), nn.Linear(5, 3), nn.ReLU(), nn.Linear(3, 1))
    t = LayerActivationTransformer(weights=seq, layer="2", activation="dense").fit(X)
    assert t.layer_index_ == 2 and list(t.get_feature_names_out()) == [
        "2_dense0",
        "2_dense1",
        "2_dense2",
    ]
    with torch.no_grad():
        expected = seq[:3](torch.as_tensor(X, dtype=torch.float32)).numpy()
    np.testing.assert_allclose(t.transform(X), expected, atol=1e-6)


def test_layer_errors_list_valid_layers(source_data, source_model):
    X, _, _ = source_data
    with pytest.raises(
        ValueError, match=r"out of range.*6 dense layers.*1 \('dense_1'\).*6 \('dense_6'\)"
    ):
        LayerActivationTransformer(weights=source_model, layer=7).fit(X)
    with pytest.raises(ValueError, match=r"'fc9' is not a dense layer.*2 \('dense_2'\)"):
        LayerActivationTransformer(weights=source_model, layer="fc9").fit(X)
    with pytest.raises(ValueError, match="layer"):
        LayerActivationTransformer(weights=source_model, layer=0).fit(X)


def test_bad_sources(source_data):
    X, _, _ = source_data
    with pytest.raises(ValueError, match="not fitted"):
        LayerActivationTransformer(weights=DeepMLPRegressor()).fit(X)
    with pytest.raises(ValueError, match="weights is None"):
        LayerActivationTransformer().fit(X)
    with pytest.raises(TypeError, match="weights must be"):
        LayerActivationTransformer(weights=object()).fit(X)
    with pytest.raises(ValueError, match="no nn.Linear"):
        LayerActivationTransformer(weights=nn.Sequential(nn.ReLU())).fit(X)


def test_input_width_must_match(source_data, source_model):
    X, _, _ = source_data
    with pytest.raises(ValueError, match="X has 10 features but the source's first dense"):
        LayerActivationTransformer(weights=source_model).fit(X[:, :10])
    t = LayerActivationTransformer(weights=source_model).fit(X)
    with pytest.raises(ValueError, match="features"):
        t.transform(X[:, :10])


def test_feature_names_and_set_output(source_data, source_model):
    X, _, _ = source_data
    t = LayerActivationTransformer(weights=source_model, layer=4, activation="relu")
    t.set_output(transform="pandas")
    out = t.fit_transform(pd.DataFrame(X, columns=[f"x{i}" for i in range(86)]))
    assert isinstance(out, pd.DataFrame) and out.shape == (400, 16)
    assert list(out.columns) == [f"dense_4_relu{j}" for j in range(16)]


def test_fit_copies_the_source(source_data, source_model, tmp_path):
    X, _, _ = source_data
    t = LayerActivationTransformer(weights=source_model, layer=2).fit(X)
    assert t.module_ is not source_model.net_.module_
    joblib.dump(t, tmp_path / "t.joblib")
    np.testing.assert_array_equal(joblib.load(tmp_path / "t.joblib").transform(X), t.transform(X))
    path = tmp_path / "src.joblib"
    joblib.dump(source_model, path)
    from_file = LayerActivationTransformer(weights=str(path), layer=2).fit(X)
    np.testing.assert_array_equal(from_file.transform(X), t.transform(X))


FORMULAS = [
    "Fe2O3", "NaCl", "Fe3O4", "KCl", "FeO", "NaBr", "LiF", "MgO", "CaO", "Al2O3", "SiO2", "TiO2",
    "LiCl", "KBr", "CuO", "ZnO", "NiO", "CoO", "MnO2", "Cr2O3", "V2O5", "SrO", "BaO", "CsCl",
]  # fmt: skip


@pytest.fixture(scope="module")
def formula_source():
    rng = np.random.default_rng(0)
    Xf = ElementFractionTransformer().fit_transform(FORMULAS)
    y = Xf @ rng.normal(size=86)
    src = DeepMLPRegressor(**FAST, max_epochs=20, early_stopping=False).fit(Xf, y)
    return src, np.asarray(FORMULAS, dtype=object), y


def test_pipeline_and_gridsearch_over_layer(formula_source):
    src, formulas, y = formula_source
    pipe = Pipeline(
        [
            ("frac", ElementFractionTransformer()),
            ("act", LayerActivationTransformer(weights=src, layer=2)),
            ("ridge", Ridge(alpha=1e-2)),
        ]
    )
    c = clone(pipe)
    assert c.named_steps["act"].weights is src  # kept by reference, still fitted
    gs = GridSearchCV(
        pipe,
        {"act__layer": [1, 3, "dense_5"], "act__activation": ["dense", "relu"]},
        cv=KFold(3, shuffle=True, random_state=0),
        scoring="neg_mean_absolute_error",
    ).fit(formulas, y)
    assert gs.best_params_["act__layer"] in (1, 3, "dense_5")
    assert hasattr(src, "net_")
    assert gs.predict(formulas[:3]).shape == (3,)


def test_tl_plus_rl_pipeline(formula_source):
    src, formulas, y = formula_source
    pipe = make_pipeline(
        ElementFractionTransformer(),
        LayerActivationTransformer(weights=src, layer=3, activation="dense"),
        DeepMLPRegressor(**FAST, weights=src, max_epochs=3),
    )
    scores = cross_val_score(pipe, formulas, y, cv=KFold(3), scoring="neg_mean_absolute_error")
    assert np.isfinite(scores).all()
    pipe.fit(formulas, y)
    target = pipe[-1]
    # the first layer reads 16 activations instead of 86 fractions: re-initialised
    assert target.copied_layers_ == [f"dense_{k}" for k in range(2, 7)]
    assert target.n_features_in_ == 16
