"""``sktl featurize``: image files -> a table of PretrainedCNNFeaturizer features, resumable.

The images are written here with Pillow (a dependency of matplotlib, so present in every
environment): PNG and TIFF, grey and RGB, 8- and 16-bit. The backbone starts from seeded
random weights (``--weights none``): nothing is downloaded.
"""

from __future__ import annotations

import importlib.util
import sys
import warnings

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from sktl import DamagedCacheWarning, PretrainedCNNFeaturizer
from sktl.cli import _featurize, main
from sktl.images import read_image

NET = ["--weights", "none", "--backbone", "resnet18", "--layer", "layer1", "--quiet"]


def _images(folder, size=16, seed=0):
    """Six small files: grey and RGB PNGs, grey (8- and 16-bit) and RGB TIFFs."""
    rng = np.random.default_rng(seed)
    folder.mkdir(exist_ok=True)

    def u8(*shape):
        return (rng.random(shape) * 255).astype(np.uint8)

    Image.fromarray(u8(size, size)).save(folder / "a_grey.png")
    Image.fromarray(u8(size, size, 3)).save(folder / "b_rgb.png")
    Image.fromarray(u8(size, size)).save(folder / "c_grey.tif")
    Image.fromarray(u8(size, size, 3)).save(folder / "d_rgb.tiff")
    Image.fromarray(u8(size, size)).save(folder / "e_grey.png")
    grey16 = (rng.random((size, size)) * 65535).astype(np.uint16)
    Image.fromarray(grey16).save(folder / "f_grey16.tif")
    return sorted(p for p in folder.iterdir())


def _reference(paths, **params):
    """Each file's features by PretrainedCNNFeaturizer, fitted on that file alone."""
    rows, names = [], None
    for path in paths:
        image = read_image(path)[None]
        f = PretrainedCNNFeaturizer(
            backbone="resnet18", layer="layer1", weights=None, random_state=0, **params
        )
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "Dropped the alpha channel", UserWarning)
            rows.append(f.fit_transform(image)[0])
        names = list(f.get_feature_names_out())
    return np.stack(rows), names


def _check_table(table, paths, **params):
    expected, names = _reference(paths, **params)
    assert list(table.columns) == ["path", *names]
    assert list(table["path"]) == [str(p) for p in paths]
    np.testing.assert_allclose(table[names].to_numpy(), expected, rtol=1e-5, atol=1e-6)


def _partial(out):
    return out.with_name(f".{out.name}.partial")


def test_a_folder_becomes_one_row_per_file_with_the_featurizers_features(tmp_path, capsys):
    paths = _images(tmp_path / "imgs")
    out = tmp_path / "table.csv"
    assert main(["featurize", str(tmp_path / "imgs"), "--out", str(out), *NET]) == 0
    table = pd.read_csv(out)
    assert len(table) == len(paths) == 6
    _check_table(table, paths)
    assert f"wrote {out}: 6 files x 64 features" in capsys.readouterr().out
    assert not _partial(out).exists()
    assert not (tmp_path / "table.skipped.csv").exists()


def test_settings_are_passed_to_the_featurizer(tmp_path):
    paths = _images(tmp_path / "imgs", size=20)
    out = tmp_path / "table.csv"
    flags = ["--pooling", "max", "--size", "24", "--intensity-range", "0,200", "--batch-size", "2"]
    assert main(["featurize", *map(str, paths[:3]), "--out", str(out), *NET, *flags]) == 0
    _check_table(
        pd.read_csv(out), paths[:3], pooling="max", input_size=24, intensity_range=(0, 200)
    )


def test_files_and_glob_patterns_are_taken_in_order_once_each(tmp_path):
    paths = _images(tmp_path / "imgs")
    out = tmp_path / "table.csv"
    pattern = str(tmp_path / "imgs" / "*.tif*")
    args = ["featurize", str(paths[1]), pattern, str(paths[2]), "--out", str(out), *NET]
    assert main(args) == 0
    tifs = sorted(p for p in paths if ".tif" in p.suffix)
    assert list(pd.read_csv(out)["path"]) == [str(p) for p in [paths[1], *tifs]]


def test_rgba_and_npy_files_and_subfolders(tmp_path):
    rng = np.random.default_rng(1)
    (tmp_path / "imgs" / "sub").mkdir(parents=True)
    rgba = (rng.random((16, 16, 4)) * 255).astype(np.uint8)
    rgba[..., 3] = 255  # an opaque alpha is dropped, without the Python API's advice
    Image.fromarray(rgba).save(tmp_path / "imgs" / "a_rgba.png")
    np.save(tmp_path / "imgs" / "sub" / "b.npy", rng.random((16, 16)).astype(np.float32))
    out = tmp_path / "table.csv"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert main(["featurize", str(tmp_path / "imgs"), "--out", str(out), *NET]) == 0
        assert len(pd.read_csv(out)) == 1  # the subfolder only with --recursive
        assert (
            main(["featurize", str(tmp_path / "imgs"), "--recursive", "--out", str(out), *NET]) == 0
        )
    assert not [w for w in caught if "alpha" in str(w.message)]
    _check_table(
        pd.read_csv(out), [tmp_path / "imgs" / "a_rgba.png", tmp_path / "imgs" / "sub" / "b.npy"]
    )


class _Chunks:
    """Counts the chunks (and files) computed; raises KeyboardInterrupt at chunk ``stop``."""

    def __init__(self, monkeypatch, stop=None):
        self.files, self.calls, self.stop = [], 0, stop
        real = _featurize.featurize_chunk

        def counted(files, *args, **kwargs):
            self.calls += 1
            if self.calls == self.stop:
                raise KeyboardInterrupt
            self.files.extend(files)
            return real(files, *args, **kwargs)

        monkeypatch.setattr(_featurize, "featurize_chunk", counted)


def test_a_rerun_after_an_interruption_computes_only_the_missing_chunks(
    tmp_path, monkeypatch, capsys
):
    paths = _images(tmp_path / "imgs")
    out = tmp_path / "table.csv"
    args = ["featurize", str(tmp_path / "imgs"), "--out", str(out), "--chunk-size", "2", *NET]
    first = _Chunks(monkeypatch, stop=2)  # Ctrl-C while the second of three chunks runs
    assert main(args) == _featurize.EXIT_INTERRUPTED
    assert first.files == paths[:2]
    assert "run the same command again to resume" in capsys.readouterr().err
    assert not out.exists()
    assert len(list(_partial(out).glob("*/chunk-*.npz"))) == 1

    second = _Chunks(monkeypatch)
    assert main(args) == 0
    assert second.calls == 2 and second.files == paths[2:]
    assert "resuming: 2 of 6 files" in capsys.readouterr().err
    _check_table(pd.read_csv(out), paths)
    assert not _partial(out).exists()


def test_an_interruption_while_a_chunk_is_written_counts_only_the_saved_chunks(
    tmp_path, monkeypatch, capsys
):
    from sktl.utils import _verified

    paths = _images(tmp_path / "imgs")
    out = tmp_path / "table.csv"
    args = ["featurize", str(tmp_path / "imgs"), "--out", str(out), "--chunk-size", "2", *NET]
    real, calls = _verified.write_verified, []

    def interrupted(*a, **kw):  # Ctrl-C while the second chunk is being written
        calls.append(a[0])
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(*a, **kw)

    monkeypatch.setattr(_verified, "write_verified", interrupted)
    assert main(args) == _featurize.EXIT_INTERRUPTED
    assert "interrupted: 1 of 3 chunks are saved" in capsys.readouterr().err
    assert len(list(_partial(out).glob("*/chunk-*.npz"))) == 1

    monkeypatch.setattr(_verified, "write_verified", real)
    again = _Chunks(monkeypatch)
    assert main(args) == 0
    assert again.calls == 2 and again.files == paths[2:]
    _check_table(pd.read_csv(out), paths)


def test_a_damaged_chunk_is_recomputed_with_a_warning(tmp_path, monkeypatch):
    paths = _images(tmp_path / "imgs")
    out = tmp_path / "table.csv"
    args = ["featurize", str(tmp_path / "imgs"), "--out", str(out), "--chunk-size", "2", *NET]
    _Chunks(monkeypatch, stop=2)
    assert main(args) == _featurize.EXIT_INTERRUPTED
    (chunk,) = _partial(out).glob("*/chunk-*.npz")
    data = bytearray(chunk.read_bytes())
    data[len(data) // 2] ^= 0xFF
    chunk.write_bytes(bytes(data))

    again = _Chunks(monkeypatch)
    with pytest.warns(DamagedCacheWarning, match="chunk-000000"):
        assert main(args) == 0
    assert again.calls == 3
    _check_table(pd.read_csv(out), paths)


def test_changed_settings_or_files_do_not_reuse_chunks(tmp_path, monkeypatch):
    paths = _images(tmp_path / "imgs")
    out = tmp_path / "table.csv"
    args = ["featurize", str(tmp_path / "imgs"), "--out", str(out), "--chunk-size", "2", *NET]
    _Chunks(monkeypatch, stop=2)
    assert main(args) == _featurize.EXIT_INTERRUPTED
    again = _Chunks(monkeypatch)
    assert main([*args, "--pooling", "max"]) == 0
    assert again.calls == 3  # the avg-pooled chunk is not mixed into a max-pooled table
    _check_table(pd.read_csv(out), paths, pooling="max")

    _Chunks(monkeypatch, stop=2)
    assert main(args) == _featurize.EXIT_INTERRUPTED
    Image.fromarray(np.zeros((16, 16), np.uint8)).save(paths[0])  # a file changes
    again = _Chunks(monkeypatch)
    assert main(args) == 0
    assert again.calls == 3
    _check_table(pd.read_csv(out), paths)


def test_unreadable_files_are_listed_and_skipped(tmp_path, capsys):
    paths = _images(tmp_path / "imgs")
    bad = tmp_path / "imgs" / "bad.png"
    bad.write_bytes(b"this is not a png")
    truncated = tmp_path / "imgs" / "cut.png"
    truncated.write_bytes(paths[1].read_bytes()[:60])
    grey_alpha = tmp_path / "imgs" / "la.png"  # two channels: neither grey nor RGB
    Image.fromarray(np.zeros((16, 16, 2), np.uint8)).save(grey_alpha)
    notes = tmp_path / "notes.txt"
    notes.write_text("not an image")
    out = tmp_path / "table.csv"
    args = ["featurize", str(tmp_path / "imgs"), str(notes), "--out", str(out), *NET]
    assert main(args) == _featurize.EXIT_SKIPPED
    _check_table(pd.read_csv(out), paths)
    skipped = pd.read_csv(tmp_path / "table.skipped.csv")
    assert list(skipped.columns) == ["path", "reason"]
    assert list(skipped["path"]) == [str(p) for p in (bad, truncated, grey_alpha, notes)]
    reasons = dict(zip(skipped["path"], skipped["reason"], strict=True))
    assert "not a readable image" in reasons[str(bad)]
    assert "channel" in reasons[str(grey_alpha)].lower()
    assert ".txt" in reasons[str(notes)]
    err = capsys.readouterr().err
    assert "skipped 4 file(s)" in err and all(str(p) in err for p in (bad, notes))

    # nothing skipped on a rerun without them: the stale list goes
    for path in (bad, truncated, grey_alpha):
        path.unlink()
    assert main(["featurize", str(tmp_path / "imgs"), "--out", str(out), *NET]) == 0
    assert not (tmp_path / "table.skipped.csv").exists()


def test_pixels_outside_the_intensity_range_are_skipped_with_the_flag_to_pass(tmp_path):
    _images(tmp_path / "imgs")
    wide = tmp_path / "imgs" / "z_int32.tif"
    Image.fromarray(np.full((16, 16), 70000, np.int32)).save(wide)
    out = tmp_path / "table.csv"
    assert main(["featurize", str(tmp_path / "imgs"), "--out", str(out), *NET]) == 3
    (reason,) = pd.read_csv(tmp_path / "table.skipped.csv")["reason"]
    assert "--intensity-range" in reason
    assert len(pd.read_csv(out)) == 6


def test_errors_name_the_problem(tmp_path, capsys):
    out = str(tmp_path / "table.csv")
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "readme.txt").write_text("no images here")
    cases = [
        ([str(empty)], "holds no image files"),
        ([str(tmp_path / "nothing" / "*.png")], "matches no file"),
        ([str(tmp_path / "missing.png")], "no such file or folder"),
    ]
    for inputs, message in cases:
        assert main(["featurize", *inputs, "--out", out, *NET]) == 2
        err = capsys.readouterr().err
        assert message in err and err.startswith("sktl featurize: error:")

    _images(tmp_path / "imgs")
    for table, message in (("table.xlsx", "unknown table format"), ("t", "(no suffix)")):
        args = ["featurize", str(tmp_path / "imgs"), "--out", str(tmp_path / table), *NET]
        assert main(args) == 2
        assert message in capsys.readouterr().err
    for flags, message in (
        (["--layer", "nope"], "has no layer"),
        (["--pooling", "mean"], "pooling"),
    ):
        args = ["featurize", str(tmp_path / "imgs"), "--out", out, *NET, *flags]
        assert main(args) == 2
        assert message in capsys.readouterr().err
    assert not (tmp_path / "table.csv").exists()


def test_all_files_unreadable_is_an_error(tmp_path, capsys):
    (tmp_path / "imgs").mkdir()
    (tmp_path / "imgs" / "a.png").write_bytes(b"junk")
    out = tmp_path / "table.csv"
    assert main(["featurize", str(tmp_path / "imgs"), "--out", str(out), *NET]) == 2
    assert "none of the 1 files" in capsys.readouterr().err
    assert (tmp_path / "table.skipped.csv").exists() and not out.exists()
    assert not _partial(out).exists()


def test_mixed_sizes_need_size(tmp_path, capsys):
    paths = _images(tmp_path / "imgs", size=16)
    Image.fromarray(np.zeros((20, 12), np.uint8)).save(tmp_path / "imgs" / "odd.png")
    out = tmp_path / "table.csv"
    assert main(["featurize", str(tmp_path / "imgs"), "--out", str(out), *NET]) == 2
    err = capsys.readouterr().err
    assert "16 x 16" in err and "20 x 12" in err and "odd.png" in err and "--size" in err
    assert str(paths[0]) in err  # the first file of the common size
    assert not out.exists()

    assert main(["featurize", str(tmp_path / "imgs"), "--out", str(out), *NET, "--size", "16"]) == 0
    table = pd.read_csv(out)
    assert len(table) == 7
    _check_table(table, sorted((tmp_path / "imgs").iterdir()), input_size=16)


def test_files_skipped_anyway_do_not_decide_the_size(tmp_path, capsys):
    paths = _images(tmp_path / "imgs", size=16)
    whole = tmp_path / "whole.png"
    Image.fromarray((np.random.default_rng(2).random((20, 12, 3)) * 255).astype(np.uint8)).save(
        whole
    )
    truncated = tmp_path / "imgs" / "cut.png"  # its header says 20 x 12, its pixels are lost
    truncated.write_bytes(whole.read_bytes()[:60])
    grey_alpha = tmp_path / "imgs" / "la.png"
    Image.fromarray(np.zeros((24, 24, 2), np.uint8)).save(grey_alpha)
    wide = tmp_path / "imgs" / "z_int32.tif"  # values --intensity-range auto cannot read
    Image.fromarray(np.full((8, 8), 70000, np.int32)).save(wide)
    out = tmp_path / "table.csv"
    assert main(["featurize", str(tmp_path / "imgs"), "--out", str(out), *NET]) == 3
    _check_table(pd.read_csv(out), paths)
    skipped = pd.read_csv(tmp_path / "table.skipped.csv")
    reasons = dict(zip(skipped["path"], skipped["reason"], strict=True))
    assert list(reasons) == [str(p) for p in (truncated, grey_alpha, wide)]
    assert "cannot be read" in reasons[str(truncated)]
    assert "channel" in reasons[str(grey_alpha)].lower()
    assert "--intensity-range" in reasons[str(wide)]
    assert "differ in size" not in capsys.readouterr().err

    # a readable file of another size still stops the run, named beside a readable one
    Image.fromarray(np.zeros((20, 12), np.uint8)).save(tmp_path / "imgs" / "odd.png")
    assert main(["featurize", str(tmp_path / "imgs"), "--out", str(out), *NET]) == 2
    err = capsys.readouterr().err
    assert "odd.png" in err and str(paths[0]) in err and "4 sizes among 10 files" in err


def test_a_file_whose_header_gives_no_size_is_skipped_if_its_pixels_differ(tmp_path, monkeypatch):
    from sktl.cli import _featurize_inputs

    paths = _images(tmp_path / "imgs", size=16)
    odd = tmp_path / "imgs" / "odd.png"
    Image.fromarray(np.zeros((20, 12), np.uint8)).save(odd)
    real = _featurize_inputs.header_size
    monkeypatch.setattr(
        _featurize_inputs, "header_size", lambda p: None if p.name == "odd.png" else real(p)
    )
    out = tmp_path / "table.csv"
    args = ["featurize", str(tmp_path / "imgs"), "--out", str(out), "--chunk-size", "4", *NET]
    assert main(args) == 3  # not an error after the first chunk, with its folder left
    _check_table(pd.read_csv(out), paths)
    (reason,) = pd.read_csv(tmp_path / "table.skipped.csv")["reason"]
    assert "20 x 12" in reason and "16 x 16" in reason and "--size" in reason
    assert not _partial(out).exists()


def test_a_grey_palette_image_gives_the_features_of_its_grey_pixels(tmp_path):
    grey = (np.random.default_rng(3).random((16, 16)) * 255).astype(np.uint8)
    (tmp_path / "imgs").mkdir()
    Image.fromarray(grey).save(tmp_path / "imgs" / "a_grey.png")
    # indexed files whose palette is all grey, index i standing for grey 255 - i: the
    # colours, not the indices, are the pixels
    indexed = Image.fromarray(255 - grey).convert("P")
    indexed.putpalette([255 - i for i in range(256) for _ in range(3)])
    indexed.save(tmp_path / "imgs" / "b_palette.png")
    indexed.save(tmp_path / "imgs" / "c_palette.gif")
    for name in ("b_palette.png", "c_palette.gif"):
        with Image.open(tmp_path / "imgs" / name) as im:
            assert im.mode == "P" and not np.array_equal(np.asarray(im), grey)
    out = tmp_path / "table.csv"
    assert main(["featurize", str(tmp_path / "imgs"), "--out", str(out), *NET]) == 0
    features = pd.read_csv(out).drop(columns="path").to_numpy()
    np.testing.assert_allclose(features[1:], features[[0, 0]], rtol=1e-5, atol=1e-6)


@pytest.mark.skipif(
    importlib.util.find_spec("pyarrow") is None and importlib.util.find_spec("fastparquet") is None,
    reason="writing Parquet needs pyarrow or fastparquet",
)
def test_parquet_table(tmp_path):
    paths = _images(tmp_path / "imgs")
    out = tmp_path / "table.parquet"
    assert main(["featurize", str(tmp_path / "imgs"), "--out", str(out), *NET]) == 0
    table = pd.read_parquet(out)
    _check_table(table, paths)
    assert table.dtypes.iloc[1] == np.float32


def test_parquet_without_an_engine_says_what_to_install(tmp_path, monkeypatch, capsys):
    _images(tmp_path / "imgs")
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # import fails as if not installed
    monkeypatch.setitem(sys.modules, "fastparquet", None)
    out = tmp_path / "table.parquet"
    assert main(["featurize", str(tmp_path / "imgs"), "--out", str(out), *NET]) == 2
    err = capsys.readouterr().err
    assert "pip install pyarrow" in err and ".csv" in err
    assert not out.exists()


def test_help_says_what_is_read_and_what_the_exit_status_means(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["featurize", "--help"])
    assert exit_.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    for words in ("Grey and RGB files", "skipped.csv", "Exit status", "--weights", "resnet18"):
        assert words in text


def test_the_suffixes_are_those_the_image_reader_reads():
    from sktl.cli._featurize_inputs import IMAGE_SUFFIXES
    from sktl.images._files import PIL_SUFFIXES

    assert set(IMAGE_SUFFIXES) == PIL_SUFFIXES | {".npy"}
