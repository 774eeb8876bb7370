"""Fault suite, fetched data: damaged, swapped and malformed data files, damaged, failed and
interrupted downloads, unwritable data homes, and out-of-range numbers on the command line.

Each fault ends in the undamaged result or a clear sktl error naming the file (never wrong
numbers, never a KeyError or TypeError from inside pandas). A tiny data home in ``tmp_path``
takes the layout of the fetchers; its files are made the "published" ones by replacing the
fetchers' size and sha256 records. No test touches the network: the downloader is replaced.
"""

from __future__ import annotations

import hashlib
import shutil
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sktl import UnreadableFileError
from sktl.cli import main
from sktl.datasets import _base, _fetch, _li2018, fetch_crossprop, fetch_oqmd, fetch_pymks
from sktl.datasets._base import RemoteFile, fetch_files

from .faults import deny_writes, empty, flip_bits, garbage, interrupt_on_call, run_writers, swap
from .faults import truncate as cut

TARGET = "mp_shear_modulus"
SPLITS = ("train", "val", "test")
FORMULAS = ["NaCl", "KCl", "Fe2O3", "Al2O3", "MgO", "CaO", "TiO2", "ZnS", "GaAs", "SiC"]


def _record(path: Path) -> tuple[str, int]:
    data = path.read_bytes()
    return hashlib.sha256(data).hexdigest(), len(data)


def _write_split(path: Path, seed: int, n: int = 12) -> None:
    rng = np.random.default_rng(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = [FORMULAS[i % len(FORMULAS)] for i in range(n)]
    pd.DataFrame({"formula": rows, "target": rng.normal(-1, 1, n)}).to_csv(path, index=False)


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A crossprop (shear modulus) and PyMKS (64 px) data home whose files are 'published'."""
    for i, split in enumerate(SPLITS):
        path = tmp_path / f"composition/crossprop/{TARGET}/{split}.csv"
        _write_split(path, seed=i, n=12 + i)  # other sizes, so a swap changes the sizes too
        monkeypatch.setitem(_fetch._CROSSPROP_FILES[TARGET], split, _record(path))
    image = tmp_path / "microstructures/pymks/pymks_ms_64x64_1.npy"
    image.parent.mkdir(parents=True)
    np.save(image, np.random.default_rng(0).integers(0, 2, (64, 64)))
    monkeypatch.setitem(_fetch._PYMKS_FILES, 64, _record(image))
    return tmp_path


def _split(home: Path, split: str) -> Path:
    return home / f"composition/crossprop/{TARGET}/{split}.csv"


def _read(home):
    return fetch_crossprop(TARGET, data_home=home, download_if_missing=False)


def test_undamaged_files_read_as_written(home):
    data = _read(home)
    for split in SPLITS:
        raw = pd.read_csv(_split(home, split))
        assert data[split]["formula"].tolist() == raw["formula"].tolist()
        np.testing.assert_array_equal(data[split]["target"], raw["target"])
    image = fetch_pymks(64, data_home=home, download_if_missing=False).image
    np.testing.assert_array_equal(
        image, np.load(home / "microstructures/pymks/pymks_ms_64x64_1.npy")
    )


DAMAGE = {
    "flip 1 bit": lambda p: flip_bits(p, n_bits=1, seed=1),
    "flip 8 bits": lambda p: flip_bits(p, n_bits=8, seed=2),
    "truncate to 50%": lambda p: cut(p, 0.5),
    "truncate the last bytes": lambda p: cut(p, 0.97),
    "empty": empty,
    "garbage": garbage,
}


@pytest.mark.parametrize("split", SPLITS)
@pytest.mark.parametrize("kind", list(DAMAGE))
def test_a_damaged_csv_is_refused_on_every_read(home, kind, split):
    _read(home)  # read once undamaged: the check is not only done after a download
    path = _split(home, split)
    DAMAGE[kind](path)
    for _ in range(2):  # and refused every time, not only the first
        with pytest.raises(UnreadableFileError) as info:
            _read(home)
        message = str(info.value)
        assert message.startswith(str(path)) and "sha256" in message
        assert "fetch_crossprop(download_if_missing=True)" in message and "https://" in message


@pytest.mark.parametrize("kind", list(DAMAGE))
def test_a_damaged_image_is_refused(home, kind):
    path = home / "microstructures/pymks/pymks_ms_64x64_1.npy"
    DAMAGE[kind](path)
    with pytest.raises(UnreadableFileError, match=str(path)):
        fetch_pymks(64, data_home=home, download_if_missing=False)


def test_swapped_splits_are_refused(home):
    swap(_split(home, "train"), _split(home, "val"))
    with pytest.raises(UnreadableFileError, match=r"train\.csv: it is \d+ bytes, not \d+"):
        _read(home)


def test_a_same_size_edit_is_refused(home):
    path = _split(home, "test")
    text = path.read_text()
    assert "5" in text
    path.write_text(text.replace("5", "6", 1))  # other numbers, same size
    with pytest.raises(UnreadableFileError, match="differs from the published file"):
        _read(home)


MALFORMED = {
    "no target column": ("formula,energy\nNaCl,1.0\n", "lacks the column"),
    "text target": ("formula,target\nNaCl,1.0\nKCl,high\n", "not a finite number"),
    "empty target": ("formula,target\nNaCl,1.0\nKCl,\n", "not a finite number"),
    "infinite target": ("formula,target\nNaCl,inf\n", "not a finite number"),
    "empty formula": ("formula,target\n,1.0\n", "not a formula text"),
    "numbers as formulas": ("formula,target\n1,1.0\n2,2.0\n", "not a formula text"),
    "ragged rows": ("formula,target\nNaCl,1.0\nKCl,2,3,4\n", "does not parse as CSV"),
    "header only": ("formula,target\n", "has no rows"),
    "empty file": ("", "does not parse as CSV"),
    "binary": ("\x00\x81garbage", "does not parse as CSV"),
}


@pytest.mark.parametrize("kind", list(MALFORMED))
def test_a_malformed_csv_with_a_matching_record_names_the_columns(home, monkeypatch, kind):
    """Defence in depth: content that passes the checksum is still validated when parsed."""
    text, problem = MALFORMED[kind]
    path = _split(home, "val")
    path.write_bytes(text.encode("latin-1"))
    monkeypatch.setitem(_fetch._CROSSPROP_FILES[TARGET], "val", _record(path))
    with pytest.raises(UnreadableFileError, match=problem) as info:
        _read(home)
    message = str(info.value)
    assert message.startswith(str(path)) and "'formula'" in message and "'target'" in message
    assert not isinstance(info.value.__cause__, KeyError | TypeError)


# --------------------------------------------------------------------------------------------
# downloads (the downloader is replaced: no network)


@pytest.fixture
def published(tmp_path):
    """One published file (outside the data home) and its record."""
    source = tmp_path / "published.csv"
    _write_split(source, seed=0)
    sha, size = _record(source)
    url = "https://raw.githubusercontent.com/o/r/" + "0" * 40 + "/published.csv"
    return source, RemoteFile("composition/x/train.csv", url, sha, size)


def _downloader(monkeypatch, source, damage=None, calls=None):
    def download(url, path):
        if calls is not None:
            calls.append(url)
        shutil.copyfile(source, path)
        if damage is not None:
            damage(path)

    monkeypatch.setattr(_base, "_download", download)


def _files_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


def test_a_good_download_is_checked_and_renamed_into_place(tmp_path, monkeypatch, published):
    source, remote = published
    _downloader(monkeypatch, source)
    paths = fetch_files("fetch_x", {"train": remote}, tmp_path / "home")
    assert paths["train"].read_bytes() == source.read_bytes()
    assert _files_under(tmp_path / "home") == [paths["train"]]  # no temporary file left


@pytest.mark.parametrize("kind", list(DAMAGE))
def test_a_damaged_download_is_refused_and_not_kept(tmp_path, monkeypatch, published, kind):
    source, remote = published
    _downloader(monkeypatch, source, damage=DAMAGE[kind])
    home = tmp_path / "home"
    with pytest.raises(UnreadableFileError, match="is damaged") as info:
        fetch_files("fetch_x", {"train": remote}, home)
    assert str(home / remote.path) in str(info.value) and remote.url in str(info.value)
    assert _files_under(home) == []


def test_a_failed_download_leaves_nothing(tmp_path, monkeypatch, published):
    _, remote = published

    def cut_off(url, path):
        Path(path).write_bytes(b"formula,tar")
        raise ConnectionResetError(104, "Connection reset by peer")

    monkeypatch.setattr(_base, "_download", cut_off)
    with pytest.raises(OSError, match="could not download .*Connection reset"):
        fetch_files("fetch_x", {"train": remote}, tmp_path / "home")
    assert _files_under(tmp_path / "home") == []


def test_an_interrupted_download_leaves_nothing(tmp_path, monkeypatch, published):
    source, remote = published
    _downloader(monkeypatch, source)
    with interrupt_on_call("sktl.datasets._base._download"), pytest.raises(KeyboardInterrupt):
        fetch_files("fetch_x", {"train": remote}, tmp_path / "home")
    assert _files_under(tmp_path / "home") == []
    assert fetch_files("fetch_x", {"train": remote}, tmp_path / "home")["train"].is_file()


def test_an_unwritable_data_home_is_named(tmp_path, monkeypatch, published):
    source, remote = published
    calls = []
    _downloader(monkeypatch, source, calls=calls)
    target = tmp_path / "home" / remote.path
    with deny_writes(), pytest.raises(OSError, match="cannot write") as info:
        fetch_files("fetch_x", {"train": remote}, tmp_path / "home")
    assert str(target) in str(info.value) and "data_home=" in str(info.value)
    assert calls == []  # refused before anything is downloaded
    assert not target.exists()


def test_concurrent_downloads_of_one_file(tmp_path, monkeypatch, published):
    """Threads that download the same file at once each use their own temporary file."""
    source, remote = published

    def slow_copy(url, path):
        with open(path, "wb") as fh:
            data = source.read_bytes()
            fh.write(data[:100])
            time.sleep(0.01)  # interleave the writers
            fh.write(data[100:])

    monkeypatch.setattr(_base, "_download", slow_copy)
    home = tmp_path / "home"
    errors = run_writers(lambda: fetch_files("fetch_x", {"train": remote}, home), 4, 2)
    assert errors == []
    assert _files_under(home) == [home / remote.path]
    assert (home / remote.path).read_bytes() == source.read_bytes()


# --------------------------------------------------------------------------------------------
# the embedded Li et al. (2018) file


@pytest.mark.parametrize("kind", ["flip 1 bit", "truncate to 50%", "empty", "garbage"])
def test_a_damaged_embedded_file_is_refused(tmp_path, monkeypatch, kind):
    copy = tmp_path / _li2018.EMBEDDED_FILE
    copy.write_bytes(_li2018._embedded_path().read_bytes())
    monkeypatch.setattr(_li2018, "_embedded_path", lambda: copy)
    assert _li2018.load_li2018("carbonate", size=64).image.shape == (64, 64)
    DAMAGE[kind](copy)
    with pytest.raises(UnreadableFileError, match="reinstall") as info:
        _li2018.load_li2018("carbonate", size=64)
    assert str(copy) in str(info.value)


# --------------------------------------------------------------------------------------------
# sktl pretrain and sktl demo


@pytest.fixture
def oqmd_home(tmp_path, monkeypatch):
    """A tiny OQMD and JARVIS data home, 'published'."""
    for i, split in enumerate(SPLITS):
        path = tmp_path / f"composition/oqmd/{split}.csv"
        _write_split(path, seed=i, n=40 if split == "train" else 12)
        monkeypatch.setitem(_fetch._OQMD_FILES, split, _record(path))
    for split, (name, _, _) in list(_fetch._JARVIS_FILES.items()):
        path = tmp_path / "composition/jarvis_deltae" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        pd.DataFrame({"pretty_comp": ["SiC"], "formation_energy_peratom": [0.1]}).to_csv(path)
        monkeypatch.setitem(_fetch._JARVIS_FILES, split, (name, *_record(path)))
    return tmp_path


@pytest.mark.parametrize(
    "argv, flag, valid",
    [
        (["pretrain", "--limit", "0"], "--limit", ">= 1"),
        (["pretrain", "--limit", "-5"], "--limit", ">= 1"),
        (["pretrain", "--limit", "ten"], "--limit", ">= 1"),
        (["pretrain", "--max-epochs", "0"], "--max-epochs", ">= 1"),
        (["pretrain", "--seed", "-1"], "--seed", "[0, 4294967295]"),
        (["demo", "--max-epochs", "0"], "--max-epochs", ">= 1"),
        (["demo", "--max-epochs", "2.5"], "--max-epochs", ">= 1"),
        (["demo", "--seed", str(2**32)], "--seed", "[0, 4294967295]"),
    ],
)
def test_cli_numbers_out_of_range_exit_2_naming_the_flag(argv, flag, valid, capsys):
    with pytest.raises(SystemExit) as info:
        main(argv)
    err = capsys.readouterr().err
    assert info.value.code == 2
    assert f"argument {flag}: must be an integer" in err and valid in err


@pytest.mark.parametrize("fault", ["truncate", "flip bits", "no target column"])
def test_cli_pretrain_reports_a_damaged_train_csv(oqmd_home, monkeypatch, capsys, fault):
    path = oqmd_home / "composition/oqmd/train.csv"
    if fault == "truncate":
        cut(path, 0.6)  # the old code trained on the rows left, with a NaN last target
    elif fault == "flip bits":
        flip_bits(path, n_bits=4, seed=3)
    else:  # a checksum that matches, content that does not: the parser names the columns
        path.write_text("formula,energy\nNaCl,1.0\n")
        monkeypatch.setitem(_fetch._OQMD_FILES, "train", _record(path))
    out = oqmd_home / "src"
    code = main(["pretrain", "--out", str(out), "--data-home", str(oqmd_home), "--quiet"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1  # one line, no traceback
    assert err[0].startswith(f"sktl pretrain: error: {path}: ")
    assert not list(oqmd_home.glob("src*"))


def test_cli_pretrain_limit_and_epochs_take_effect(oqmd_home, capsys, monkeypatch):
    from sktl.transfer import _pretrain

    monkeypatch.setitem(_pretrain.SOURCE_SETTINGS, "architecture", "16B-1")  # a quick network
    out = oqmd_home / "src"
    argv = ["pretrain", "--out", str(out), "--data-home", str(oqmd_home), "--quiet"]
    code = main([*argv, "--limit", "30", "--max-epochs", "1", "--keep-jarvis-test"])
    assert code == 0, capsys.readouterr().err
    report = (oqmd_home / "src.json").read_text()
    assert '"train_rows": 30' in report and '"epochs": 1' in report
    assert len(fetch_oqmd(data_home=oqmd_home).train) == 40
