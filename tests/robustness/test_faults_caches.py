"""Fault suite of the caches sktl writes: FeatureCache's disk rows and the dataset cache.

Each damaged entry (bits flipped, truncated, emptied, replaced by garbage, swapped with another
entry) must be a miss: the next call returns exactly the cold result, warns once naming the
file, and overwrites it, so the call after that hits silently. A folder that cannot be written
only warns. Threads and processes sharing one folder never see an error or a wrong number.
"""

from __future__ import annotations

import multiprocessing
import warnings
from pathlib import Path
from unittest import mock

import numpy as np
import pytest

from sktl import DamagedCacheWarning, FeatureCache, PretrainedCNNFeaturizer
from sktl.datasets import _spinodal as spinodal_module
from sktl.datasets import _stiffness as stiffness_module
from sktl.datasets import make_spinodal, make_stiffness
from sktl.datasets._cache import _spec_digest
from sktl.featurizers._cache import image_digests
from sktl.utils._verified import write_verified

from .faults import (
    deny_writes,
    empty,
    flip_bits,
    garbage,
    interrupt_on_call,
    run_writers,
    swap,
    truncate,
)

KW = dict(backbone="resnet18", layer="conv1", weights=None, random_state=0)
IMAGES = np.random.default_rng(0).random((6, 16, 16)).astype(np.float32)
FAST = {"time": 1.0}  # a short Cahn-Hilliard run: milliseconds per sample

# (name, injector): every entry is damaged in a way read_verified must catch or shrug off.
FAULTS = {
    "flip_bits-0": lambda p: flip_bits(p, 2, seed=0),
    "flip_bits-1": lambda p: flip_bits(p, 2, seed=1),
    "flip_bits-2": lambda p: flip_bits(p, 2, seed=2),
    "truncate-half": lambda p: truncate(p, 0.5),
    "truncate-tail": lambda p: truncate(p, 0.97),
    "empty": empty,
    "garbage": garbage,
}


@pytest.fixture(scope="module")
def cold():
    return PretrainedCNNFeaturizer(**KW).fit(IMAGES).transform(IMAGES)


def _featurizer(directory):
    return PretrainedCNNFeaturizer(**KW, cache=FeatureCache(directory=directory)).fit(IMAGES)


def _transform(directory):
    """A fresh cache on ``directory`` (nothing in memory): features, misses, warnings."""
    f = _featurizer(directory)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = f.transform(IMAGES)
    return out, f.cache.misses, caught


def _digests(f) -> list[str]:
    """The digests the cache keys ``IMAGES`` by (those of the validated images)."""
    return image_digests(f._check_X(IMAGES, reset=False))


def _row_files(directory, f) -> list[Path]:
    return [f.cache._disk_path(f.network_key_, d) for d in _digests(f)]


def _damaged_warnings(caught) -> list[str]:
    return [str(w.message) for w in caught if issubclass(w.category, DamagedCacheWarning)]


def _check_recovery(directory, cold, damaged: list[Path], harmless_ok: bool):
    out, misses, caught = _transform(directory)
    np.testing.assert_array_equal(out, cold)  # never wrong numbers
    messages = _damaged_warnings(caught)
    if harmless_ok and not messages:  # the flipped bits hit bytes no reader uses
        assert misses == 0
        return "served intact"
    assert misses == len(damaged)
    assert len(messages) == len(damaged)
    for path in damaged:
        assert sum(str(path) in m for m in messages) == 1, (path, messages)
    out, misses, caught = _transform(directory)  # overwritten: a silent hit
    np.testing.assert_array_equal(out, cold)
    assert misses == 0 and not caught
    return "recomputed"


# --------------------------------------------------------------------------------------------
# FeatureCache on disk


@pytest.mark.parametrize("fault", list(FAULTS))
def test_a_damaged_feature_row_is_recomputed_and_overwritten(fault, cold, tmp_path):
    f = _featurizer(tmp_path)
    np.testing.assert_array_equal(f.transform(IMAGES), cold)
    path = _row_files(tmp_path, f)[2]
    FAULTS[fault](path)
    _check_recovery(tmp_path, cold, [path], harmless_ok=fault.startswith("flip"))


def test_swapped_feature_rows_are_not_served_for_each_other(cold, tmp_path):
    f = _featurizer(tmp_path)
    f.transform(IMAGES)
    a, b = _row_files(tmp_path, f)[:2]
    swap(a, b)  # each a valid entry, of another image
    _check_recovery(tmp_path, cold, [a, b], harmless_ok=False)


def test_a_row_of_another_network_is_not_served(cold, tmp_path):
    f = _featurizer(tmp_path)
    f.transform(IMAGES)
    other = PretrainedCNNFeaturizer(**{**KW, "random_state": 1}, cache=FeatureCache(directory=tmp_path))
    other.fit(IMAGES).transform(IMAGES)
    mine, theirs = _row_files(tmp_path, f)[0], _row_files(tmp_path, other)[0]
    mine.write_bytes(theirs.read_bytes())
    _check_recovery(tmp_path, cold, [mine], harmless_ok=False)


def test_old_format_rows_are_not_read(cold, tmp_path):
    f = _featurizer(tmp_path)
    folder = tmp_path / f.network_key_
    folder.mkdir(parents=True)
    for digest in _digests(f):  # sktl < 1.1: a bare .npy per row, here all NaN
        np.save(folder / f"{digest}.npy", np.full(cold.shape[1], np.nan, np.float32))
    out, misses, caught = _transform(tmp_path)
    np.testing.assert_array_equal(out, cold)
    assert misses == len(IMAGES) and not caught


def test_rows_handed_out_cannot_poison_the_cache(cold, tmp_path):
    f = _featurizer(tmp_path)
    first = f.transform(IMAGES)
    first[:] = np.nan  # the caller's array is its own
    np.testing.assert_array_equal(f.transform(IMAGES), cold)
    assert f.cache.hits == len(IMAGES)
    row = f.cache._get(f.network_key_, _digests(f)[0])
    with pytest.raises(ValueError, match="read-only"):
        row[0] = 1.0


def test_an_unwritable_feature_folder_only_warns(cold, tmp_path):
    f = _featurizer(tmp_path / "rows")
    with deny_writes(), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = f.transform(IMAGES)
    np.testing.assert_array_equal(out, cold)
    messages = [str(w.message) for w in caught]
    assert len(messages) == 1, messages  # once, not once per row
    assert str(tmp_path / "rows" / f.network_key_) in messages[0]
    assert "Could not write" in messages[0]
    assert not (tmp_path / "rows").exists()
    np.testing.assert_array_equal(f.transform(IMAGES), cold)  # the rows are in memory


def test_threads_sharing_a_feature_folder(cold, tmp_path):
    def work():
        f = _featurizer(tmp_path)  # its own memory: every row goes through the disk
        subset = np.random.default_rng().choice(len(IMAGES), size=3, replace=False)
        np.testing.assert_array_equal(f.transform(IMAGES[subset]), cold[subset])
        victim = _row_files(tmp_path, f)[subset[0]]
        victim.unlink(missing_ok=True)  # a user clearing the folder meanwhile

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        errors = run_writers(work, n_threads=4, repeats=4)
    assert errors == []
    assert _damaged_warnings(caught) == []  # no torn file was ever read
    assert not list(tmp_path.rglob("*.tmp"))


def _rows(images):
    """A cheap deterministic 'network' for the process test (no torch in forked children)."""
    flat = images.reshape(len(images), -1).astype(np.float64)
    return np.column_stack([flat.mean(1), flat.std(1), flat[:, :30] * 3.0]).astype(np.float32)


def _process_features(args):
    directory, seed = args
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(8):
        subset = rng.choice(len(IMAGES), size=3, replace=False)
        cache = FeatureCache(directory=directory)
        out.append((subset, cache.get_or_compute("net", IMAGES[subset], _rows)))
    return out


def _process_spinodal(args):
    directory, seed = args
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(6):
        k = int(rng.integers(2))
        out.append((k, make_spinodal(2, 8, parameter_ranges=FAST, cache_dir=directory,
                                     random_state=k).images))
    return out


def _run_processes(fn, directory):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # fork of a threaded process
        with multiprocessing.get_context("fork").Pool(3) as pool:
            return pool.map_async(fn, [(str(directory), s) for s in range(3)]).get(timeout=120)


def test_processes_sharing_a_feature_folder(tmp_path):
    for results in _run_processes(_process_features, tmp_path):
        for subset, rows in results:
            np.testing.assert_array_equal(rows, _rows(IMAGES[subset]))
    out = FeatureCache(directory=tmp_path).get_or_compute("net", IMAGES, _rows)
    np.testing.assert_array_equal(out, _rows(IMAGES))
    assert not list(tmp_path.rglob("*.tmp"))


# --------------------------------------------------------------------------------------------
# dataset cache


def _spinodal(directory, n=3, seed=0):
    return make_spinodal(n, 8, parameter_ranges=FAST, cache_dir=directory, random_state=seed)


def _stiffness_set(directory, n=3, seed=0):
    return make_stiffness(n, size=8, cache_dir=directory, random_state=seed)


GENERATORS = {
    "spinodal": (_spinodal, spinodal_module, "simulate", ("images", "descriptors", "targets")),
    "stiffness": (_stiffness_set, stiffness_module, "homogenise",
                  ("images", "targets", "generator", "volume_fraction")),
}


def _make(name, directory, **kw):
    return GENERATORS[name][0](directory, **kw)


def _assert_same(name, got, expected):
    for field in GENERATORS[name][3]:
        np.testing.assert_array_equal(getattr(got, field), getattr(expected, field))


def _generate(name, directory, **kw):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data = _make(name, directory, **kw)
    return data, caught


def _check_dataset_recovery(name, directory, damaged, monkeypatch, **kw):
    expected = _make(name, None, **kw)
    data, caught = _generate(name, directory, **kw)
    _assert_same(name, data, expected)
    messages = _damaged_warnings(caught)
    assert len(messages) == 1 and str(damaged) in messages[0], messages
    with monkeypatch.context() as m:  # overwritten: the next call reads it, silently
        module, attr = GENERATORS[name][1], GENERATORS[name][2]
        m.setattr(module, attr, lambda *a, **k: pytest.fail("regenerated"))
        data, caught = _generate(name, directory, **kw)
    _assert_same(name, data, expected)
    assert not caught


def _entry(directory, name) -> Path:
    (path,) = (Path(directory) / name).glob("*.npz")
    return path


@pytest.mark.parametrize("fault", list(FAULTS))
@pytest.mark.parametrize("name", list(GENERATORS))
def test_a_damaged_dataset_entry_is_regenerated(name, fault, tmp_path, monkeypatch):
    _make(name, tmp_path)
    path = _entry(tmp_path, name)
    FAULTS[fault](path)
    expected = _make(name, None)
    data, caught = _generate(name, tmp_path)
    _assert_same(name, data, expected)
    messages = _damaged_warnings(caught)
    if fault.startswith("flip") and not messages:
        return  # the flipped bits hit bytes no reader uses: served intact
    assert len(messages) == 1 and str(path) in messages[0], messages
    with monkeypatch.context() as m:
        m.setattr(GENERATORS[name][1], GENERATORS[name][2], lambda *a, **k: pytest.fail("again"))
        data, caught = _generate(name, tmp_path)
    _assert_same(name, data, expected)
    assert not caught


@pytest.mark.parametrize("name", list(GENERATORS))
def test_swapped_dataset_entries_are_regenerated(name, tmp_path, monkeypatch):
    _make(name, tmp_path, seed=0)
    a = _entry(tmp_path, name)
    _make(name, tmp_path, seed=1)
    (b,) = set((tmp_path / name).glob("*.npz")) - {a}
    swap(a, b)  # each a valid entry, of the other seed
    _check_dataset_recovery(name, tmp_path, a, monkeypatch, seed=0)
    _check_dataset_recovery(name, tmp_path, b, monkeypatch, seed=1)


@pytest.mark.parametrize("name", list(GENERATORS))
def test_a_dataset_entry_of_fewer_rows_is_not_served(name, tmp_path, monkeypatch):
    """The 3-of-6-rows file: another set's entry under this set's name, or this set's key."""
    _make(name, tmp_path / "small", n=3)
    _make(name, tmp_path, n=6)
    mine, small = _entry(tmp_path, name), _entry(tmp_path / "small", name)
    mine.write_bytes(small.read_bytes())
    _check_dataset_recovery(name, tmp_path, mine, monkeypatch, n=6)

    # a well-formed entry made for this set's key, holding 3 rows
    spec = {}
    with monkeypatch.context() as m:
        m.setattr(GENERATORS[name][1], "write_arrays", lambda path, s, **_: spec.update(s))
        _make(name, None, n=6)
    with np.load(small) as data:
        three = {k: data[k] for k in data.files if not k.startswith("__")}
    write_verified(mine, _spec_digest(spec), **three)
    _check_dataset_recovery(name, tmp_path, mine, monkeypatch, n=6)


@pytest.mark.parametrize("name", list(GENERATORS))
def test_an_unwritable_dataset_folder_only_warns(name, tmp_path):
    expected = _make(name, None)
    with deny_writes(), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data = _make(name, tmp_path / "cache")
    _assert_same(name, data, expected)
    messages = [str(w.message) for w in caught]
    assert len(messages) == 1 and str(tmp_path / "cache" / name) in messages[0], messages
    assert "Could not write" in messages[0]
    assert not (tmp_path / "cache").exists()


def test_threads_and_processes_sharing_a_dataset_folder(tmp_path):
    expected = {k: _spinodal(None, n=2, seed=k).images for k in (0, 1)}

    def work():
        k = int(np.random.default_rng().integers(2))
        np.testing.assert_array_equal(_spinodal(tmp_path, n=2, seed=k).images, expected[k])

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert run_writers(work, n_threads=4, repeats=5) == []
    assert _damaged_warnings(caught) == []
    for results in _run_processes(_process_spinodal, tmp_path / "p"):
        for k, images in results:
            np.testing.assert_array_equal(images, expected[k])
    assert not list(tmp_path.rglob("*.tmp"))


# -- interrupts while a cache is written ----------------------------------------------------
def test_an_interrupted_cached_transform_leaves_only_whole_entries(cold, tmp_path):
    f = _featurizer(tmp_path)
    with interrupt_on_call("sktl.featurizers._cache.write_verified", n=3):
        with pytest.raises(KeyboardInterrupt):
            f.transform(IMAGES)
    assert not list(tmp_path.rglob("*.tmp"))
    assert len(list(tmp_path.rglob("*.npz"))) == 2  # the rows written before the interrupt
    out, misses, caught = _transform(tmp_path)
    np.testing.assert_array_equal(out, cold)
    assert misses == len(IMAGES) - 2 and not _damaged_warnings(caught)


@pytest.mark.parametrize("name", list(GENERATORS))
def test_an_interrupted_generation_caches_nothing(name, tmp_path):
    _, module, attr, _ = GENERATORS[name]
    with interrupt_on_call(f"{module.__name__}.{attr}", n=1):
        with pytest.raises(KeyboardInterrupt):
            _make(name, tmp_path)
    assert not list(tmp_path.rglob("*.npz")) and not list(tmp_path.rglob("*.tmp"))
    data, caught = _generate(name, tmp_path)
    _assert_same(name, data, _make(name, None))
    assert not _damaged_warnings(caught)


@pytest.mark.parametrize("directory", [False, True])
def test_taps_whose_weights_are_the_same_never_share_rows(tmp_path, directory):
    """conv1 and maxpool of ResNet-18 have the same weights (a pool has none): their rows
    must still be told apart, in memory and on disk."""
    cache = FeatureCache(directory=tmp_path if directory else None)
    kw = {**KW, "layer": None}
    for layer in ("conv1", "maxpool"):
        cold = PretrainedCNNFeaturizer(**{**kw, "layer": layer}).fit(IMAGES).transform(IMAGES)
        cached = PretrainedCNNFeaturizer(**{**kw, "layer": layer}, cache=cache).fit(IMAGES)
        np.testing.assert_array_equal(cached.transform(IMAGES), cold)


def test_an_interrupt_between_writing_and_renaming_leaves_no_temporary_file(cold, tmp_path):
    f = _featurizer(tmp_path)
    with interrupt_on_call("sktl.utils._verified.os.replace", n=2):
        with pytest.raises(KeyboardInterrupt):
            f.transform(IMAGES)
    assert not list(tmp_path.rglob("*.tmp"))  # the written temporary file was removed
    assert len(list(tmp_path.rglob("*.npz"))) == 1
    out, _, caught = _transform(tmp_path)
    np.testing.assert_array_equal(out, cold)
    assert not _damaged_warnings(caught)


def test_a_folder_whose_renames_fail_only_warns(cold, tmp_path):
    _featurizer(tmp_path).transform(IMAGES[:1])  # the folder exists: only the rename fails
    f = _featurizer(tmp_path)
    with mock.patch("sktl.utils._verified.os.replace", side_effect=PermissionError(13, "no")):
        with pytest.warns(UserWarning, match="Could not write to the feature cache folder"):
            out = f.transform(IMAGES)
    np.testing.assert_array_equal(out, cold)
    assert not list(tmp_path.rglob("*.tmp"))
