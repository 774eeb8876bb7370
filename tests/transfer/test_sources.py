"""Sources stored as arrays plus metadata (sktl/transfer/_sources.py): write, load, damage,
and ``weights="oqmd"`` / a source file in every transfer model."""

import json

import numpy as np
import pytest
import torch
from sklearn.pipeline import make_pipeline

from sktl import UnreadableFileError
from sktl.persistence import dump, load
from sktl.transfer import (
    DeepMLPRegressor,
    LayerActivationTransformer,
    TLRLRegressor,
    available_sources,
    load_source,
    predict_source,
    pretrain_source,
    source_features,
    write_source,
)
from sktl.transfer._sources import SOURCE_INPUT

FORMULAS = ["NaCl", "KCl", "Fe2O3", "Al2O3", "MgO", "CaO", "TiO2", "ZnS", "GaAs", "SiC"]
ENERGY = [-2.1, -2.2, -1.7, -3.4, -3.1, -3.3, -3.2, -1.0, -0.4, -0.3]


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """A tiny source pipeline written as ``<tmp>/small.{npz,json}``."""
    stem = tmp_path_factory.mktemp("sources") / "small"
    pipe = pretrain_source(
        FORMULAS * 4, ENERGY * 4, path=stem, verbose=0, architecture="16B-8B-1", max_epochs=3,
        early_stopping=False,
    )  # fmt: skip
    return pipe, stem


def _copy(stem, tmp_path):
    for suffix in (".npz", ".json"):
        (tmp_path / f"s{suffix}").write_bytes(stem.with_name(stem.name + suffix).read_bytes())
    return tmp_path / "s"


def test_write_and_load_round_trip(small):
    pipe, stem = small
    meta = json.loads((stem.parent / "small.json").read_text())
    assert meta["architecture"] == "16B-8B-1" and meta["n_features_in"] == 191
    assert meta["input_features"] == SOURCE_INPUT and meta["train_rows"] == 40
    assert meta["seed"] == 0 and meta["epochs"] == 3 and "sktl_version" in meta
    with np.load(stem.parent / "small.npz") as data:
        assert data["dense_1.linear.weight"].dtype == np.float16
        assert data["dense_1.norm.running_var"].dtype == np.float32
        assert data["dense_1.norm.num_batches_tracked"].dtype == np.int64
    for ref in (stem, f"{stem}.npz", stem.parent / "small.json"):
        module, loaded = load_source(ref)
        assert loaded == meta and not module.training
        assert all(p.dtype == torch.float32 for p in module.parameters())
    X = source_features().fit_transform(FORMULAS)
    expected = pipe.predict(FORMULAS)
    with torch.no_grad():
        got = module(torch.from_numpy(X.astype(np.float32))).numpy()[:, 0]
    np.testing.assert_allclose(got, expected, atol=2e-2)  # float16 weights
    np.testing.assert_allclose(predict_source(f"{stem}.npz", FORMULAS), got, rtol=1e-6)


def test_write_source_refuses_what_it_cannot_store(tmp_path):
    X = np.random.default_rng(0).random((20, 3))
    with pytest.raises(TypeError, match="not fitted: fit it first"):
        write_source(DeepMLPRegressor(), tmp_path / "x")
    with pytest.raises(TypeError, match="built by sktl.transfer.build_mlp"):
        write_source(torch.nn.Sequential(torch.nn.Linear(3, 1)), tmp_path / "x")
    net = DeepMLPRegressor(architecture="4-1", max_epochs=1, random_state=0).fit(X, X[:, 0])
    with pytest.raises(ValueError, match=r"may not set \['architecture'\]"):
        write_source(net, tmp_path / "x", {"architecture": "8-1"})
    with torch.no_grad():
        net.net_.module_.dense_1.weight[0, 0] = 1e6
    with pytest.raises(ValueError, match="beyond float16's range"):
        write_source(net, tmp_path / "x")
    assert not list(tmp_path.iterdir())  # nothing half-written


@pytest.mark.parametrize(
    "damage, bad, match",
    [
        ("flip a byte", ".npz", "has sha256"),
        ("truncate", ".npz", "has sha256"),
        ("bad json", ".json", "cannot be read"),
        ("other format", ".json", "format 1"),
        ("other architecture", ".npz", "do not fit the architecture '16B-8B-4B-1' of s.json"),
        ("no architecture", ".json", "lacks a valid 'architecture'"),
        ("bad architecture", ".json", "describes no network"),
        ("array shape", ".npz", "has shape"),
    ],
)
def test_damage_raises_unreadable_file_error_naming_the_file(small, tmp_path, damage, bad, match):
    stem = _copy(small[1], tmp_path)
    npz, js = tmp_path / "s.npz", tmp_path / "s.json"
    meta = json.loads(js.read_text())
    if damage == "flip a byte":
        data = bytearray(npz.read_bytes())
        data[len(data) // 2] ^= 0xFF
        npz.write_bytes(bytes(data))
    elif damage == "truncate":
        npz.write_bytes(npz.read_bytes()[:1000])
    elif damage == "bad json":
        js.write_text(js.read_text()[:50])
    elif damage == "other format":
        js.write_text(json.dumps({**meta, "format": 99}))
    elif damage == "other architecture":
        js.write_text(json.dumps({**meta, "architecture": "16B-8B-4B-1"}))
    elif damage == "no architecture":
        js.write_text(json.dumps({k: v for k, v in meta.items() if k != "architecture"}))
    elif damage == "bad architecture":
        js.write_text(json.dumps({**meta, "architecture": "16Q-1"}))
    else:  # arrays edited consistently with the json's checksum: the architecture check
        with np.load(npz) as data:
            arrays = dict(data)
        arrays["dense_1.linear.weight"] = arrays["dense_1.linear.weight"][:, :10]
        np.savez(npz, **arrays)
        from sktl.utils._verified import file_sha256

        js.write_text(json.dumps({**meta, "npz_sha256": file_sha256(npz)}))
    with pytest.raises(UnreadableFileError, match=match) as info:
        load_source(stem)
    assert info.value.path.name == f"s{bad}"
    with pytest.raises(UnreadableFileError):  # the same through weights=
        LayerActivationTransformer(weights=f"{stem}.npz").fit(np.zeros((2, 191)))


def test_a_missing_source_file_is_a_file_not_found_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_source(tmp_path / "nothing.npz")


def test_unknown_names_list_the_shipped_sources():
    assert available_sources() == ["oqmd"]
    X = np.zeros((3, 191))
    for est in (
        DeepMLPRegressor(architecture="8-1", weights="oqmq"),
        LayerActivationTransformer(weights="oqmq"),
        TLRLRegressor(weights="oqmq"),
    ):
        with pytest.raises(ValueError, match=r"weights='oqmq' is neither a source that ships "
                           r"with sktl \('oqmd'\) nor an existing file"):  # fmt: skip
            est.fit(X, np.zeros(3))


def test_named_source_in_every_transfer_model():
    rng = np.random.default_rng(0)
    y = rng.normal(size=len(FORMULAS))
    net = dict(architecture="1024x2B-512x2B-256x2B-128B-1", dropout=0.0, max_epochs=1,
               early_stopping=False, random_state=0)  # fmt: skip
    tl = make_pipeline(source_features(), DeepMLPRegressor(**net, weights="oqmd", freeze="all"))
    tl.fit(FORMULAS, y)
    assert len(tl[-1].copied_layers_) == 8
    module, _ = load_source("oqmd")
    torch.testing.assert_close(
        tl[-1].net_.module_.dense_3.linear.weight.detach(), module.dense_3.linear.weight
    )
    acts = make_pipeline(source_features(), LayerActivationTransformer(weights="oqmd", layer=7))
    assert acts.fit_transform(FORMULAS).shape == (len(FORMULAS), 128)
    tlrl = make_pipeline(
        source_features(),
        TLRLRegressor(weights="oqmd", layer=7, regressor=DeepMLPRegressor(**net)),
    ).fit(FORMULAS, y)
    assert tlrl.predict(FORMULAS).shape == (len(FORMULAS),)
    assert tlrl[-1].regressor_.weights == "oqmd"  # the bridged first layer is 128 wide


def test_named_source_on_the_wrong_features_says_what_to_feed():
    X = np.random.default_rng(0).random((len(FORMULAS), 86))
    reg = DeepMLPRegressor(architecture="1024x2B-512x2B-256x2B-128B-1", weights="oqmd")
    with pytest.raises(ValueError, match=r"takes 191 input features but X has 86: feed the "
                       r"source's features, sktl.transfer.source_features\(\)"):  # fmt: skip
        reg.fit(X, X[:, 0])
    assert not hasattr(reg, "net_")


def test_a_model_with_a_named_source_saves_and_loads(tmp_path):
    acts = LayerActivationTransformer(weights="oqmd", layer=2).fit(np.zeros((2, 191)))
    X = np.random.default_rng(0).random((4, 191))
    dump(acts, tmp_path / "a.skops")
    np.testing.assert_allclose(load(tmp_path / "a.skops").transform(X), acts.transform(X))
