"""The source that ships with sktl (``weights="oqmd"``): its files, its metadata, and its
predictions on the shipped check table (sktl/transfer/data/oqmd_source_check.csv).

``sktl pretrain --out sktl/transfer/data/oqmd_source`` rewrites all three files. While the
files in the tree are a quick placeholder (their command has ``--limit``), the checks of the
real training run (rows, removed compositions, MAE) are skipped, naming the reason.
"""

import json
from importlib import resources

import numpy as np
import pandas as pd
import pytest

import sktl
from sktl.transfer import SOURCE_ARCHITECTURE, SOURCE_SETTINGS, load_source, predict_source
from sktl.transfer._sources import SOURCE_INPUT
from sktl.utils._verified import file_sha256

DATA = resources.files("sktl.transfer") / "data"
COMMAND = "sktl pretrain --out sktl/transfer/data/oqmd_source"


@pytest.fixture(scope="module")
def metadata():
    return json.loads((DATA / "oqmd_source.json").read_text())


@pytest.fixture(scope="module")
def check():
    return pd.read_csv(DATA / "oqmd_source_check.csv")


def test_the_files_are_small_and_match_their_checksum(metadata):
    npz = DATA / "oqmd_source.npz"
    assert npz.stat().st_size <= 5 * 2**20
    assert file_sha256(npz) == metadata["npz_sha256"]


def test_the_metadata_says_what_the_source_is_and_how_it_was_made(metadata):
    assert metadata["format"] == 1 and metadata["architecture"] == SOURCE_ARCHITECTURE
    assert metadata["n_features_in"] == 191 and metadata["n_outputs"] == 1
    assert metadata["input_features"] == SOURCE_INPUT
    assert metadata["command"].startswith(COMMAND)
    assert metadata["seed"] == 0 and 1 <= metadata["epochs"] <= metadata["settings"]["max_epochs"]
    assert isinstance(metadata["sktl_version"], str) and metadata["fit_seconds"] > 0
    assert metadata["train_rows"] > 0 and metadata["removed_jarvis_test_compositions"] > 0
    for split in ("val", "test"):
        assert 0 < metadata[f"oqmd_{split}_mae"] < 1
    credit = metadata["data"]
    assert "OQMD" in credit["name"] and credit["license"] == "CC BY 4.0"
    assert "Kirklin" in credit["cite"] and "15010" in credit["cite"]
    assert metadata["check_file"] == "oqmd_source_check.csv"


def test_the_metadata_is_that_of_the_real_training_run(metadata):
    if "--limit" in metadata["command"]:
        pytest.skip(f"the shipped source is a placeholder ({metadata['command']})")
    assert metadata["command"] == COMMAND
    assert {k: metadata["settings"][k] for k in SOURCE_SETTINGS} == SOURCE_SETTINGS
    assert metadata["train_rows"] == 237_619
    assert metadata["removed_jarvis_test_compositions"] == 1_524
    assert metadata["oqmd_test_mae"] < 0.06  # ElemNet: 0.049 eV/atom


def test_the_source_predicts_the_check_table(metadata, check):
    assert list(check.columns) == ["formula", "target", "expected"] and len(check) >= 200
    pred = predict_source("oqmd", check["formula"])
    np.testing.assert_allclose(pred, check["expected"], rtol=1e-4, atol=1e-4)
    mae = float(np.mean(np.abs(pred - check["target"])))
    assert mae == pytest.approx(metadata["oqmd_test_mae"], rel=0.3)


def test_it_loads_fast_and_fresh_each_time():
    import time

    start = time.perf_counter()
    first, _ = load_source("oqmd")
    second, _ = load_source("oqmd")
    assert time.perf_counter() - start < 2.0  # about 0.1 s each
    assert first is not second and not first.training
    assert sktl.transfer.available_sources() == ["oqmd"]
