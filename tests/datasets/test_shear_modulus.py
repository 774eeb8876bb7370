"""load_shear_modulus: the embedded Materials Project sample is CrabNet's rows, checked on load."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sktl import UnreadableFileError
from sktl.datasets import _shear_modulus, load_shear_modulus
from tools.make_shear_modulus import build_embedded

REPO = Path(__file__).resolve().parents[2]
SHEAR = (
    Path(os.environ.get("SKTL_DATA", REPO.parent / "shared" / "data"))
    / "composition/crossprop/mp_shear_modulus"
)
needs_reference = pytest.mark.skipif(
    not SHEAR.is_dir(), reason=f"reference data not found at {SHEAR}; set SKTL_DATA"
)
DATA = resources.files("sktl.datasets").joinpath("data")


def test_shapes_columns_and_finite_targets():
    data = load_shear_modulus()
    assert data.train.shape == (600, 2) and data.test.shape == (200, 2)
    for frame in (data.train, data.test):
        assert list(frame.columns) == ["formula", "target"]
        assert list(frame.index) == list(range(len(frame)))
        assert frame["target"].dtype == np.float64
        assert np.isfinite(frame["target"]).all() and (frame["target"] >= 0).all()
        assert all(isinstance(f, str) and f for f in frame["formula"])
    assert data.target_name == "mp_shear_modulus" and data.target_unit == "GPa"
    assert Path(data.filename).name == _shear_modulus.EMBEDDED_FILE
    docstring = " ".join(load_shear_modulus.__doc__.split())
    for text in ("Materials Project", "CC BY 4.0", "Jain et al.", "de Jong et al.", "CrabNet"):
        assert text in data.DESCR and text in docstring


def test_every_call_returns_the_same_rows_in_fresh_frames():
    first = load_shear_modulus()
    expected = first.train.copy()
    first.train.loc[0, "target"] = -1.0
    again = load_shear_modulus()
    pd.testing.assert_frame_equal(again.train, expected)
    pd.testing.assert_frame_equal(again.test, load_shear_modulus().test)


@needs_reference
def test_rows_are_crabnets_rows_unchanged():
    data = load_shear_modulus()
    for split in ("train", "test"):
        full = pd.read_csv(SHEAR / f"{split}.csv", keep_default_na=False, na_values=[""])
        merged = data[split].merge(full, on=["formula", "target"], how="left", indicator=True)
        assert (merged["_merge"] == "both").all(), split


@needs_reference
def test_redrawing_the_embedded_file_is_byte_identical(tmp_path):
    out = build_embedded(SHEAR, tmp_path / "sample.csv")
    assert out.read_bytes() == DATA.joinpath(_shear_modulus.EMBEDDED_FILE).read_bytes()


def _damaged_copy(tmp_path, monkeypatch, damage):
    copy = tmp_path / _shear_modulus.EMBEDDED_FILE
    copy.write_bytes(damage(_shear_modulus._embedded_path().read_bytes()))
    monkeypatch.setattr(_shear_modulus, "_embedded_path", lambda: copy)
    return copy


@pytest.mark.parametrize(
    "damage",
    [
        lambda b: b[: len(b) // 2],  # truncated
        lambda b: b.replace(b"train,", b"train;", 1),  # one byte changed
        lambda b: b"",
    ],
    ids=["truncated", "one-byte", "empty"],
)
def test_a_damaged_file_raises_naming_it(tmp_path, monkeypatch, damage):
    copy = _damaged_copy(tmp_path, monkeypatch, damage)
    with pytest.raises(UnreadableFileError, match="reinstall") as info:
        load_shear_modulus()
    assert info.value.path == copy and str(copy) in str(info.value)
    assert _shear_modulus.EMBEDDED_SHA256 in str(info.value)


def test_an_intact_copy_loads(tmp_path, monkeypatch):
    _damaged_copy(tmp_path, monkeypatch, lambda b: b)
    assert load_shear_modulus().train.shape == (600, 2)


def test_a_missing_file_raises_naming_it(tmp_path, monkeypatch):
    missing = tmp_path / _shear_modulus.EMBEDDED_FILE
    monkeypatch.setattr(_shear_modulus, "_embedded_path", lambda: missing)
    with pytest.raises(UnreadableFileError, match="cannot be read") as info:
        load_shear_modulus()
    assert info.value.path == missing


def test_embedded_file_is_small_and_attributed():
    assert DATA.joinpath(_shear_modulus.EMBEDDED_FILE).stat().st_size <= 40_000
    readme = DATA.joinpath("mp_shear_modulus_README.md").read_text()
    for text in (
        "Materials Project",
        "CC BY 4.0",
        "10.1063/1.4812323",
        "10.1038/sdata.2015.9",
        "CrabNet",
        "MIT",
        "default_rng(0)",
        "tools.make_shear_modulus",
    ):
        assert text in readme
