"""fetch_*: read the reference data in place, name missing files, download once (no network:
the downloader is replaced by a local copy)."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sktl import UnreadableFileError
from sktl.datasets import (
    _base,
    _fetch,
    fetch_crossprop,
    fetch_jarvis_deltae,
    fetch_oqmd,
    fetch_pymks,
    get_data_home,
)

REPO = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("SKTL_DATA", REPO.parent / "shared" / "data"))


def _needs(*parts):
    path = SHARED.joinpath(*parts)
    return pytest.mark.skipif(
        not path.exists(), reason=f"reference data not found at {path}; set SKTL_DATA"
    )


CROSSPROP = ["aflow__ael_bulk_modulus_vrh", "aflow__ael_debye_temperature", "mp_shear_modulus"]
# every fetcher, called with the arguments that need the fewest files
FETCHERS = {
    "fetch_oqmd": lambda **kw: fetch_oqmd(**kw),
    "fetch_jarvis_deltae": lambda **kw: fetch_jarvis_deltae(**kw),
    "fetch_crossprop": lambda **kw: fetch_crossprop("mp_shear_modulus", **kw),
    "fetch_pymks": lambda **kw: fetch_pymks(**kw),
}


@pytest.fixture
def copy_downloader(monkeypatch):
    """Replace the network by a copy of the reference file with the same layout path."""
    calls = []
    by_url = {}
    for files in (_oqmd_files(), _jarvis_files(), *(_crossprop_files(t) for t in CROSSPROP),
                  _pymks_files()):  # fmt: skip
        by_url.update({f.url: f.path for f in files})

    def _copy(url, path):
        calls.append(url)
        shutil.copyfile(SHARED / by_url[url], path)

    monkeypatch.setattr(_base, "_download", _copy)
    return calls


def _oqmd_files():
    return [_base.RemoteFile(f"composition/oqmd/{s}.csv",
                             f"{_fetch.CRABNET_BENCHMARK_URL}/OQMD_Formation_Enthalpy/{s}.csv",
                             sha, n) for s, (sha, n) in _fetch._OQMD_FILES.items()]  # fmt: skip


def _jarvis_files():
    return [_base.RemoteFile(f"composition/jarvis_deltae/{name}",
                             f"{_fetch.CROSSPROPERTYTL_DELTAE_URL}/{name}", sha, n)
            for name, sha, n in _fetch._JARVIS_FILES.values()]  # fmt: skip


def _crossprop_files(target):
    return [_base.RemoteFile(f"composition/crossprop/{target}/{s}.csv",
                             f"{_fetch.CRABNET_BENCHMARK_URL}/{target}/{s}.csv", sha, n)
            for s, (sha, n) in _fetch._CROSSPROP_FILES[target].items()]  # fmt: skip


def _pymks_files():
    return [_base.RemoteFile(f"microstructures/pymks/pymks_ms_{s}x{s}_1.npy",
                             f"{_fetch.MCRPY_EXAMPLES_URL}/pymks_ms_{s}x{s}_1.npy", sha, n)
            for s, (sha, n) in _fetch._PYMKS_FILES.items()]  # fmt: skip


# --------------------------------------------------------------------------------------------
# data_home


def test_data_home_explicit_env_and_default(monkeypatch, tmp_path):
    assert get_data_home(tmp_path / "x") == tmp_path / "x"
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert get_data_home("~/d") == tmp_path / "home" / "d"
    monkeypatch.setenv("SKTL_DATA", str(tmp_path / "env"))
    assert get_data_home() == tmp_path / "env"
    monkeypatch.delenv("SKTL_DATA")
    assert get_data_home() == tmp_path / "home" / "sktl_data"
    assert not (tmp_path / "home").exists()  # nothing is created before a download


# --------------------------------------------------------------------------------------------
# reading the reference folder in place


@_needs("composition", "oqmd")
def test_oqmd_from_data_home():
    oqmd = fetch_oqmd(data_home=SHARED, download_if_missing=False)
    assert [len(oqmd[s]) for s in ("train", "val", "test")] == [239190, 51255, 51255]
    for split in ("train", "val", "test"):
        raw = pd.read_csv(SHARED / f"composition/oqmd/{split}.csv")
        assert list(oqmd[split].columns) == ["formula", "target"]
        assert oqmd[split]["formula"].tolist() == raw["formula"].tolist()
        np.testing.assert_array_equal(oqmd[split]["target"], raw["target"])
    n_outliers = sum(int((oqmd[s]["target"].abs() > 10).sum()) for s in ("train", "val", "test"))
    assert n_outliers == 60
    assert oqmd.target_unit == "eV/atom" and oqmd.published_mae["CrabNet"] == 0.0311
    assert oqmd.filenames["val"] == str(SHARED / "composition/oqmd/val.csv")
    assert "Kirklin" in oqmd.DESCR


@_needs("composition", "jarvis_deltae")
def test_jarvis_through_the_environment_variable(monkeypatch):
    monkeypatch.setenv("SKTL_DATA", str(SHARED))
    jarvis = fetch_jarvis_deltae(download_if_missing=False)
    assert (len(jarvis.train), len(jarvis.test)) == (25297, 2811)
    for split, name in (("train", "training"), ("test", "test")):
        raw = pd.read_csv(SHARED / f"composition/jarvis_deltae/deltae_{name}_set.csv")
        assert list(jarvis[split].columns) == ["formula", "target"]
        assert jarvis[split]["formula"].tolist() == raw["pretty_comp"].tolist()
        np.testing.assert_array_equal(jarvis[split]["target"], raw["formation_energy_peratom"])
    assert jarvis.published_mae == {"from scratch": 0.135, "transfer from OQMD": 0.125}
    assert "Gupta" in jarvis.DESCR


@_needs("composition", "crossprop")
@pytest.mark.parametrize(
    "target, alias, sizes, unit",
    [
        ("aflow__ael_bulk_modulus_vrh", "bulk_modulus", (3428, 732, 736), "GPa"),
        ("aflow__ael_debye_temperature", "debye_temperature", (3428, 732, 736), "K"),
        ("mp_shear_modulus", "shear_modulus", (4328, 928, 928), "GPa"),
    ],
)
def test_crossprop_targets_and_aliases(target, alias, sizes, unit):
    data = fetch_crossprop(target, data_home=SHARED, download_if_missing=False)
    assert tuple(len(data[s]) for s in ("train", "val", "test")) == sizes
    assert data.target_name == target and data.target_unit == unit
    raw = pd.read_csv(SHARED / f"composition/crossprop/{target}/test.csv")
    assert data.test["formula"].tolist() == raw["formula"].tolist()
    same = fetch_crossprop(alias, data_home=SHARED, download_if_missing=False)
    pd.testing.assert_frame_equal(same.train, data.train)
    assert set(data.published_mae) == {"Roost", "CrabNet", "ElemNet", "random forest"}


def test_crossprop_unknown_target_lists_the_valid_ones():
    with pytest.raises(ValueError, match="'mp_shear_modulus'.*'shear_modulus'"):
        fetch_crossprop("young_modulus")


@_needs("microstructures", "pymks")
def test_pymks_all_sizes_and_one():
    data = fetch_pymks(data_home=SHARED, download_if_missing=False)
    assert data.sizes == [64, 128, 256] and "image" not in data
    for size, image in data.images.items():
        expected = np.load(SHARED / f"microstructures/pymks/pymks_ms_{size}x{size}_1.npy")
        assert image.shape == (size, size) and image.dtype == expected.dtype
        np.testing.assert_array_equal(image, expected)
    one = fetch_pymks(128, data_home=SHARED, download_if_missing=False)
    assert one.sizes == [128] and one.image.shape == (128, 128)


@pytest.mark.parametrize("bad", [32, "64", True])
def test_pymks_bad_size(bad):
    with pytest.raises(ValueError, match=r"size must be one of \(64, 128, 256\)"):
        fetch_pymks(bad)


# --------------------------------------------------------------------------------------------
# missing files, downloads


@pytest.mark.parametrize("name", list(FETCHERS))
def test_missing_files_name_each_file_and_where_it_goes(name, tmp_path):
    with pytest.raises(FileNotFoundError) as info:
        FETCHERS[name](data_home=tmp_path, download_if_missing=False)
    message = str(info.value)
    expected = {
        "fetch_oqmd": _oqmd_files(),
        "fetch_jarvis_deltae": _jarvis_files(),
        "fetch_crossprop": _crossprop_files("mp_shear_modulus"),
        "fetch_pymks": _pymks_files(),
    }[name]
    for remote in expected:
        assert str(tmp_path / remote.path) in message and remote.url in message
    assert name in message and "download_if_missing=True" in message and "SKTL_DATA" in message
    assert list(tmp_path.iterdir()) == []  # nothing written


@_needs("composition", "crossprop")
def test_download_once_into_the_layout(tmp_path, copy_downloader):
    data = fetch_crossprop("shear_modulus", data_home=tmp_path)
    assert len(copy_downloader) == 3
    assert all(u.startswith("https://raw.githubusercontent.com/anthony-wang/CrabNet/")
               for u in copy_downloader)  # fmt: skip
    for split in ("train", "val", "test"):
        local = tmp_path / "composition/crossprop/mp_shear_modulus" / f"{split}.csv"
        assert local.read_bytes() == (SHARED / local.relative_to(tmp_path)).read_bytes()
    again = fetch_crossprop("mp_shear_modulus", data_home=tmp_path, download_if_missing=False)
    assert len(copy_downloader) == 3  # no second download
    pd.testing.assert_frame_equal(again.test, data.test)
    assert not list(tmp_path.rglob("*.tmp")) and not list(tmp_path.rglob("*.part"))


@_needs("microstructures", "pymks")
def test_download_only_what_is_missing(tmp_path, monkeypatch, copy_downloader):
    monkeypatch.setenv("SKTL_DATA", str(tmp_path))
    fetch_pymks(64)
    assert [u.rsplit("/", 1)[1] for u in copy_downloader] == ["pymks_ms_64x64_1.npy"]
    data = fetch_pymks()
    assert sorted(u.rsplit("/", 1)[1] for u in copy_downloader) == [
        "pymks_ms_128x128_1.npy", "pymks_ms_256x256_1.npy", "pymks_ms_64x64_1.npy"
    ]  # fmt: skip
    np.testing.assert_array_equal(
        data.images[256], np.load(SHARED / "microstructures/pymks/pymks_ms_256x256_1.npy")
    )


@_needs("composition", "jarvis_deltae")
def test_jarvis_download_url_is_the_crosspropertytl_repository(tmp_path, copy_downloader):
    fetch_jarvis_deltae(data_home=tmp_path)
    assert sorted(u.rsplit("/", 1)[1] for u in copy_downloader) == [
        "deltae_test_set.csv", "deltae_training_set.csv"
    ]  # fmt: skip
    assert all("NU-CUCIS/CrossPropertyTL" in u for u in copy_downloader)


def test_a_failed_download_names_the_files_and_leaves_nothing(tmp_path, monkeypatch):
    def _offline(url, path):
        Path(path).write_bytes(b"partial")
        raise OSError("Network is unreachable")

    monkeypatch.setattr(_base, "_download", _offline)
    with pytest.raises(OSError, match="could not download") as info:
        fetch_jarvis_deltae(data_home=tmp_path)
    message = str(info.value)
    assert "Network is unreachable" in message
    for remote in _jarvis_files():
        assert str(tmp_path / remote.path) in message and remote.url in message
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_a_download_that_differs_from_the_record_is_refused(tmp_path, monkeypatch):
    def _other(url, path):
        Path(path).write_text("formula,target\nNaCl,1.0\nNaN,2.0\n")

    monkeypatch.setattr(_base, "_download", _other)
    with pytest.raises(UnreadableFileError, match="download from .* is damaged") as info:
        fetch_crossprop("bulk_modulus", data_home=tmp_path)
    message = str(info.value)
    train = _crossprop_files("aflow__ael_bulk_modulus_vrh")[0]
    assert str(tmp_path / train.path) in message and train.url in message
    assert train.sha256 in message and "download_if_missing=True" in message
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []  # nothing at the final path


def test_every_url_is_pinned_to_a_commit():
    files = [*_oqmd_files(), *_jarvis_files(), *_pymks_files()]
    files += [f for t in CROSSPROP for f in _crossprop_files(t)]
    for remote in files:
        assert re.search(r"githubusercontent\.com/[^/]+/[^/]+/[0-9a-f]{40}/", remote.url), remote


@_needs("composition", "crossprop")
def test_a_file_changed_after_its_download_is_refused_on_every_read(tmp_path, copy_downloader):
    fetch_crossprop("shear_modulus", data_home=tmp_path)  # downloaded and checked
    val = tmp_path / "composition/crossprop/mp_shear_modulus/val.csv"
    text = val.read_text()
    val.write_text(text[:-40])  # the last rows cut off
    with pytest.raises(UnreadableFileError, match=r"val\.csv: it is \d+ bytes, not 21208"):
        fetch_crossprop("shear_modulus", data_home=tmp_path, download_if_missing=False)
    val.write_text(text.replace("1", "2", 1))  # same size, other numbers
    with pytest.raises(UnreadableFileError, match="differs from the published file"):
        fetch_crossprop("shear_modulus", data_home=tmp_path)
    assert len(copy_downloader) == 3  # a damaged file is reported, not silently replaced


def test_network_is_refused_in_these_tests(tmp_path):
    with pytest.raises(AssertionError, match="tried to download"):
        fetch_pymks(64, data_home=tmp_path)
