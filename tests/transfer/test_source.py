"""The composition source: B/R architecture flags, the one-cycle schedule, pretrain_source,
reuse of a saved source by every transfer estimator, and ``sktl pretrain``."""

import hashlib
import json

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.pipeline import make_pipeline

from sktl._nn.callbacks import OneCycle
from sktl.cli import main
from sktl.persistence import load
from sktl.transfer import (
    SOURCE_SETTINGS,
    DeepMLPRegressor,
    LayerActivationTransformer,
    TLRLRegressor,
    _pretrain,
    build_mlp,
    parse_architecture,
    predict_source,
    pretrain_source,
    source_features,
)
from sktl.transfer._architecture import DenseUnit, copy_matching, dense_layers, norms_after

FORMULAS = ["NaCl", "KCl", "Fe2O3", "Al2O3", "MgO", "CaO", "TiO2", "ZnS", "GaAs", "SiC"]
ENERGY = [-2.1, -2.2, -1.7, -3.4, -3.1, -3.3, -3.2, -1.0, -0.4, -0.3]


def test_flags_parse():
    blocks, n_out = parse_architecture("64x2BR-32D-16B-1")
    assert n_out == 1
    assert [(b.units, b.repeat, b.dropout, b.batch_norm, b.residual) for b in blocks] == [
        (64, 2, False, True, True),
        (32, 1, True, False, False),
        (16, 1, False, True, False),
    ]
    with pytest.raises(ValueError, match="repeats a flag"):
        parse_architecture("64BB-1")
    with pytest.raises(ValueError, match="linear output layer"):
        parse_architecture("64-1B")
    with pytest.raises(ValueError, match="flags D, B, R"):
        parse_architecture("64Q-1")


def test_batch_norm_and_residual_units():
    torch.manual_seed(0)
    net = build_mlp("8x2BR-4B-1", 5, 1, 0.0)
    units = [m for m in net if isinstance(m, DenseUnit)]
    assert [type(u.norm).__name__ for u in units] == ["BatchNorm1d"] * 3
    # identity skips only where the width is kept: 5->8 no, 8->8 yes, 8->4 no
    assert [u.residual for u in units] == [False, True, False]
    assert len(dense_layers(net)) == 4
    x = torch.randn(6, 5)
    net.eval()
    with torch.no_grad():
        h1 = units[0](x)
        assert torch.allclose(units[1](h1), torch.relu(units[1].norm(units[1].linear(h1))) + h1)
    # plain ElemNet blocks keep their flat layout (dense_k, relu_k) and old files their names
    assert [n for n, _ in build_mlp("8x2-1", 5, 1, 0.0).named_children()] == [
        "dense_1", "relu_1", "dense_2", "relu_2", "dense_3"
    ]  # fmt: skip


def test_copy_carries_the_normalisation_and_freeze_stops_it():
    torch.manual_seed(0)
    src = build_mlp("8x2B-1", 5, 1, 0.0)
    for m in src.modules():
        if isinstance(m, torch.nn.BatchNorm1d):
            m.running_mean.fill_(0.5)
            m.weight.data.fill_(2.0)
    dst = build_mlp("8x2B-1", 5, 1, 0.0)
    assert copy_matching(src, dst) == [0, 1, 2]
    for a, b in zip(norms_after(src, dense_layers(src)), norms_after(dst, dense_layers(dst))):
        if a is not None:
            assert torch.equal(a.running_mean, b.running_mean) and torch.equal(a.weight, b.weight)
    X = np.random.default_rng(0).random((40, 5))
    source = DeepMLPRegressor(architecture="8x2B-1", max_epochs=2, random_state=0).fit(X, X[:, 0])
    frozen = DeepMLPRegressor(
        architecture="8x2B-1", weights=source, freeze="all", max_epochs=2, random_state=0
    ).fit(X, X[:, 1])
    module = frozen.net_.module_
    for dense, norm in zip(
        [d for _, d in dense_layers(module)][:2], norms_after(module, dense_layers(module))
    ):
        assert not dense.weight.requires_grad and not norm.weight.requires_grad


def test_onecycle_shape_and_its_use():
    f = OneCycle(100)
    values = [f(t) for t in range(101)]
    assert values[0] == pytest.approx(1 / 25)
    assert max(values) == pytest.approx(1.0) and int(np.argmax(values)) == 10
    assert values[-1] < 1e-4 and all(a >= b for a, b in zip(values[10:], values[11:]))
    X = np.random.default_rng(0).random((64, 3))
    reg = DeepMLPRegressor(
        architecture="8-1", lr=1e-2, lr_schedule="onecycle", batch_size=16, max_epochs=3,
        early_stopping=False, random_state=0,
    ).fit(X, X.sum(axis=1))  # fmt: skip
    # 3 epochs x 4 batches: the schedule ran to its end
    assert reg.net_.optimizer_.param_groups[0]["lr"] < 1e-2 * 1e-3
    with pytest.raises(ValueError, match="lr_decay=0.1 has no effect"):
        DeepMLPRegressor(lr_schedule="onecycle", lr_decay=0.1).fit(X, X[:, 0])


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    path = tmp_path_factory.mktemp("source") / "source.skops"
    fitted = pretrain_source(
        FORMULAS * 4, ENERGY * 4, path=path, verbose=0, architecture="16B-8B-1", max_epochs=3,
        early_stopping=False,
    )  # fmt: skip
    return fitted, path


def test_pretrain_source_saves_a_pipeline_that_loads(source):
    fitted, path = source
    assert [name for name, _ in fitted.steps] == ["features", "network"]
    assert fitted[-1].n_features_in_ == 86 + 105
    loaded = load(path)
    np.testing.assert_allclose(loaded.predict(FORMULAS), fitted.predict(FORMULAS), rtol=1e-6)
    with pytest.raises(TypeError, match=r"unknown settings \['learning_rate'\]"):
        pretrain_source(FORMULAS, ENERGY, learning_rate=0.1)


@pytest.mark.parametrize("as_file", [False, True], ids=["object", "file"])
def test_every_transfer_estimator_takes_the_source(source, as_file):
    fitted, path = source
    src = str(path) if as_file else fitted
    y = np.linspace(10, 100, len(FORMULAS))
    tl = make_pipeline(
        source_features(), DeepMLPRegressor(architecture="16B-8B-1", weights=src, max_epochs=2)
    ).fit(FORMULAS, y)
    assert tl[-1].copied_layers_ == ["dense_1.linear", "dense_2.linear", "dense_3"]
    acts = make_pipeline(source_features(), LayerActivationTransformer(weights=src, layer=2))
    assert acts.fit_transform(FORMULAS).shape == (len(FORMULAS), 8)
    tlrl = make_pipeline(
        source_features(),
        TLRLRegressor(
            weights=src, layer=1, regressor=DeepMLPRegressor(architecture="16B-8B-1", max_epochs=2)
        ),
    ).fit(FORMULAS, y)
    assert tlrl.predict(FORMULAS).shape == (len(FORMULAS),)
    with pytest.raises(ValueError, match="expects 191"):
        LayerActivationTransformer(weights=src).fit(np.zeros((3, 86)))


def _write_oqmd_like(home, monkeypatch):
    """A tiny OQMD/JARVIS data home, made the 'published' files (sktl checks every file read)."""
    from sktl.datasets import _fetch

    rng = np.random.default_rng(0)
    formulas = FORMULAS * 6
    for split, rows in {"train": formulas, "val": FORMULAS, "test": FORMULAS}.items():
        d = home / "composition" / "oqmd"
        d.mkdir(parents=True, exist_ok=True)
        target = rng.normal(-1, 1, len(rows))
        target[0] = 50.0 if split == "train" else target[0]  # an outlier the command drops
        pd.DataFrame({"formula": rows, "target": target}).to_csv(d / f"{split}.csv", index=False)
    d = home / "composition" / "jarvis_deltae"
    d.mkdir(parents=True)
    for name, rows in {
        "deltae_training_set.csv": ["NaCl"],
        "deltae_test_set.csv": ["ClNa", "SiC"],
    }.items():
        pd.DataFrame({"pretty_comp": rows, "formation_energy_peratom": 0.0}).to_csv(d / name)
    for records, folder, names in (
        (_fetch._OQMD_FILES, "oqmd", {s: f"{s}.csv" for s in _fetch._OQMD_FILES}),
        (_fetch._JARVIS_FILES, "jarvis_deltae", {s: v[0] for s, v in _fetch._JARVIS_FILES.items()}),
    ):
        for split, name in names.items():
            data = (home / "composition" / folder / name).read_bytes()
            record = (hashlib.sha256(data).hexdigest(), len(data))
            monkeypatch.setitem(records, split, record if folder == "oqmd" else (name, *record))


def test_cli_pretrain_writes_the_source_and_its_report(tmp_path, capsys, monkeypatch):
    from sktl.transfer import load_source

    _write_oqmd_like(tmp_path, monkeypatch)
    monkeypatch.setitem(_pretrain.SOURCE_SETTINGS, "architecture", "16B-8B-1")  # a quick one
    out = tmp_path / "src"
    argv = ["pretrain", "--out", str(out), "--data-home", str(tmp_path), "--quiet"]
    assert main([*argv, "--max-epochs", "2"]) == 0
    report = json.loads((tmp_path / "src.json").read_text())
    # 60 rows - 1 outlier (a NaCl row) - 11 more NaCl and SiC rows (JARVIS test compositions)
    assert report["train_rows"] == 48 and report["removed_jarvis_test_compositions"] == 11
    assert report["epochs"] == 2 and np.isfinite(report["oqmd_test_mae"])
    assert report["command"] == f"sktl pretrain --out {out} --max-epochs 2"
    assert report["seed"] == 0 and report["data"]["license"] == "CC BY 4.0"
    module, meta = load_source(f"{out}.npz")
    assert meta == report and meta["architecture"] == "16B-8B-1"
    check = pd.read_csv(tmp_path / "src_check.csv")
    assert list(check.columns) == ["formula", "target", "expected"] and len(check) == 10
    np.testing.assert_allclose(predict_source(out, check["formula"]), check["expected"], rtol=1e-5)
    assert "OQMD test MAE" in capsys.readouterr().out
    assert not list(tmp_path.glob("*.tmp"))


def test_cli_pretrain_refuses_a_skops_name_before_training(tmp_path, capsys):
    code = main(["pretrain", "--out", str(tmp_path / "src.skops"), "--data-home", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2 and "writes a source as STEM.npz and STEM.json" in err
    assert f"--out {tmp_path / 'src'}" in err


def test_pretrain_max_epochs_default_is_the_source_settings():
    from sktl.cli import build_parser

    args = build_parser().parse_args(["pretrain"])
    assert args.max_epochs == SOURCE_SETTINGS["max_epochs"] == 30
    assert str(args.out) == "oqmd-source"


def test_small_data_warning_names_the_alternative():
    from sktl.transfer import SMALL_DATA_ROWS, SmallDataWarning

    X = np.random.default_rng(0).random((40, 3))
    with pytest.warns(SmallDataWarning, match=r"fitted on 40 rows.*CompositionRegressor\(\)"):
        DeepMLPRegressor(architecture="4-1", max_epochs=1).fit(X, X[:, 0])
    with pytest.warns(SmallDataWarning, match="DeepMLPRegressor is fitted on 40 rows"):
        TLRLRegressor(
            weights=DeepMLPRegressor(architecture="4-1", max_epochs=1).fit(X, X[:, 0]),
            regressor=DeepMLPRegressor(architecture="4-1", max_epochs=1),
        ).fit(X, X[:, 1])
    X = np.random.default_rng(0).random((SMALL_DATA_ROWS, 3))
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", SmallDataWarning)
        DeepMLPRegressor(architecture="4-1", max_epochs=1).fit(X, X[:, 0])
