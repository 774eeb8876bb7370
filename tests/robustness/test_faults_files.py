"""Fault suite of the files users hand to sktl: saved models and the images of sktl reconstruct.

A saved model (skops with sktl.persistence.load; joblib through load_model_file, the path of
every sktl function that takes a model file) that was damaged (bits flipped, truncated,
emptied, replaced by garbage, swapped with the other format) either loads and predicts exactly
as the original, or raises UnreadableFileError / UntrustedTypesError naming the file: never
another exception, never other numbers. An edited network recipe is refused before a network
of its size is built. Image files that do not parse are refused by name, colour images are
refused with how to pass labels, and grey images stored as RGB read as grey.
"""

from __future__ import annotations

import re
import shutil
import struct
import sys
import time
import zlib
from collections import Counter

import joblib
import numpy as np
import pytest
from PIL import Image

from sktl import (
    DeepMLPRegressor,
    LayerActivationTransformer,
    PretrainedCNNFeaturizer,
    UnreadableFileError,
)
from sktl.cli import _label_images, main
from sktl.images import ImageFiles, read_image
from sktl.persistence import (
    UntrustedTypesError,
    _checksum,
    _recipes,
    dump,
    load,
    load_model_file,
)

from .faults import empty, flip_bits, garbage, swap, truncate

X = np.random.default_rng(0).random((10, 4))
IMAGES = np.random.default_rng(1).random((3, 16, 16)).astype(np.float32)
OUTCOMES: Counter = Counter()  # (fault, outcome) -> count, for the report


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """Two tiny fitted models, each saved with skops and joblib: {name: (folder, reference)}."""
    folder = tmp_path_factory.mktemp("models")
    mlp = DeepMLPRegressor(architecture="8-1", max_epochs=1, early_stopping=False, random_state=0)
    mlp.fit(X, X.sum(axis=1))
    cnn = PretrainedCNNFeaturizer(backbone="resnet18", layer="conv1", weights=None, random_state=0)
    cnn.fit(IMAGES)
    out = {}
    for name, model in (("mlp", mlp), ("cnn", cnn)):
        dump(model, folder / f"{name}.skops")
        joblib.dump(model, folder / f"{name}.joblib")
        out[name] = _output(model)
    return folder, out


def _output(model):
    return model.predict(X) if hasattr(model, "predict") else model.transform(IMAGES)


def _copy(folder, tmp_path, name, fmt):
    path = tmp_path / f"{name}.{fmt}"
    shutil.copyfile(folder / f"{name}.{fmt}", path)
    return path


def _check_load(path, fmt, reference, fault) -> str:
    """Load ``path``: the original's output exactly, or a refusal naming the file."""
    loader = load if fmt == "skops" else load_model_file
    try:
        model = loader(path)
    except (UnreadableFileError, UntrustedTypesError) as exc:
        assert str(path) in str(exc), exc
        outcome = "refused"
    else:
        np.testing.assert_array_equal(_output(model), reference)  # never other numbers
        outcome = "same output"
    OUTCOMES[fault, outcome] += 1
    return outcome


FAULTS = {
    **{f"flip_bits-{s}": (lambda p, s=s: flip_bits(p, 1 + s % 3, seed=s)) for s in range(8)},
    **{f"truncate-{f}": (lambda p, f=f: truncate(p, f)) for f in (0.0, 0.1, 0.5, 0.9, 0.999)},
    "empty": empty,
    "garbage": garbage,
}


@pytest.mark.parametrize("fmt", ["skops", "joblib"])
@pytest.mark.parametrize("name", ["mlp", "cnn"])
def test_damaged_model_files_load_the_same_or_are_refused_by_name(models, tmp_path, name, fmt):
    folder, reference = models
    outcomes = Counter()
    for fault, inject in FAULTS.items():
        path = _copy(folder, tmp_path, name, fmt)
        inject(path)
        outcomes[_check_load(path, fmt, reference[name], fault.split("-")[0])] += 1
    # a truncated, empty or garbage file can never load
    assert outcomes["refused"] >= len(FAULTS) - 8


@pytest.mark.parametrize("name", ["mlp", "cnn"])
def test_swapped_formats(models, tmp_path, name):
    folder, reference = models
    skops_path = _copy(folder, tmp_path, name, "skops")
    joblib_path = _copy(folder, tmp_path, name, "joblib")
    swap(skops_path, joblib_path)
    with pytest.raises(UnreadableFileError, match="pickle .joblib. file, not a skops file") as e:
        load(skops_path)
    assert str(skops_path) in str(e.value)
    # a skops file under another name is still read as skops, with the checks of load
    assert _check_load(joblib_path, "joblib", reference[name], "swap") == "same output"


def test_a_joblib_file_that_holds_no_model(tmp_path):
    path = tmp_path / "data.joblib"
    joblib.dump(np.arange(3), path)
    with pytest.raises(UnreadableFileError, match=r"holds a ndarray, not a model") as e:
        load_model_file(path)
    assert str(path) in str(e.value)


def test_a_damaged_source_file_is_refused_where_a_model_path_is_taken(models, tmp_path):
    folder, _ = models
    path = _copy(folder, tmp_path, "mlp", "joblib")
    truncate(path, 0.6)
    with pytest.raises(UnreadableFileError, match="Expected a fitted model saved by joblib"):
        LayerActivationTransformer(weights=path, layer=1).fit(X)


def _edited(model, edit):
    """The model's saved state with ``edit`` applied and its checksum recomputed (an edit)."""
    state = model.__getstate__()
    edit(state)
    del state["__sktl_digest__"]
    state["__sktl_digest__"] = _checksum.state_digest(state)
    return state


@pytest.fixture
def never_built_for_real(monkeypatch):
    """The mlp builder fails when it would build outside the meta device (no memory)."""
    real = _recipes._BUILDERS["mlp"]

    def guarded(*args, **kwargs):
        import torch

        assert torch.empty(0).device.type == "meta", "the recipe was built for real"
        return real(*args, **kwargs)

    monkeypatch.setitem(_recipes._BUILDERS, "mlp", guarded)


@pytest.mark.parametrize(
    "spec, n_in, words",
    [
        ("8x1000000000-1", 4, "names a size of 1000000000"),  # a billion layers
        ("4000000000-1", 4, "names a size of 4000000000"),  # a layer of 4e9 units
        ("30000-1", 4, "recipe builds 'dense_1.weight' of shape (30000, 4)"),
        ("8-1", 60000, "recipe builds 'dense_1.weight' of shape (8, 60000)"),
    ],
)
def test_an_edited_recipe_is_refused_before_it_is_built(never_built_for_real, spec, n_in, words):
    mlp = DeepMLPRegressor(architecture="8-1", max_epochs=1, early_stopping=False, random_state=0)
    mlp.fit(X, X.sum(axis=1))

    def edit(state):
        state["net_"]["module"]["args"]["__sktl_tuple__"][:2] = [spec, n_in]

    state = _edited(mlp, edit)
    start = time.perf_counter()
    with pytest.raises(_checksum.DamagedStateError, match=f"DeepMLPRegressor.*{re.escape(words)}"):
        DeepMLPRegressor.__new__(DeepMLPRegressor).__setstate__(state)
    assert time.perf_counter() - start < 2.0


def test_an_edited_file_is_refused_by_name(models, tmp_path):
    folder, _ = models
    mlp = load(folder / "mlp.skops")

    def edit(state):
        state["net_"]["module"]["args"]["__sktl_tuple__"][1] = 5  # n_in 4 -> 5

    class Edited:  # pickles as a DeepMLPRegressor with the edited state
        def __reduce__(self):
            return (DeepMLPRegressor.__new__, (DeepMLPRegressor,), _edited(mlp, edit))

    path = tmp_path / "edited.joblib"
    joblib.dump(Edited(), path)
    with pytest.raises(UnreadableFileError, match="DeepMLPRegressor.*shape") as e:
        load_model_file(path)
    assert str(path) in str(e.value)


def test_changed_weights_fail_the_checksum(models):
    folder, _ = models
    mlp = load(folder / "mlp.skops")
    state = mlp.__getstate__()
    state["net_"]["module"]["state"]["dense_1.weight"][0, 0] += 1.0
    with pytest.raises(_checksum.DamagedStateError, match="does not match its checksum"):
        DeepMLPRegressor.__new__(DeepMLPRegressor).__setstate__(state)


# -- image files --------------------------------------------------------------------------------
def _png(path, pixels):
    Image.fromarray(pixels).save(path)
    return path


def _labels():
    labels = np.zeros((32, 32), np.uint8)
    labels[:, 10:20], labels[:, 20:] = 1, 2
    return labels


def test_cli_refuses_a_colour_image_and_says_how_to_pass_labels(tmp_path, capsys):
    colours = np.array([[0, 0, 0], [255, 0, 0], [0, 255, 0]], np.uint8)  # grey 0, 76, 150
    path = _png(tmp_path / "colour.png", colours[_labels()])
    code = main(["reconstruct", str(path), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1
    assert str(path) in err[0] and "colour image (3 distinct colours)" in err[0]
    assert "integer labels 0..n-1" in err[0] and "return_inverse" in err[0]
    assert not (tmp_path / "out").exists()


def test_cli_reads_grey_stored_as_rgb_as_grey(tmp_path):
    grey = _labels() * 100
    rgb = _png(tmp_path / "rgb.png", np.repeat(grey[..., None], 3, axis=2))
    rgba = _png(tmp_path / "rgba.png", np.dstack([grey, grey, grey, np.full_like(grey, 255)]))
    for path in (rgb, rgba):
        np.testing.assert_array_equal(_label_images.read_label_image(path), grey)


def test_cli_grey_levels_are_quantised_with_n_phases(tmp_path):
    noisy = (_labels() * 100 + np.random.default_rng(0).integers(0, 20, (32, 32))).astype(np.uint8)
    path = _png(tmp_path / "grey.png", noisy)
    images = _label_images.as_grey_levels([_label_images.read_label_image(path)], [path], 3)
    assert images[0].dtype.kind == "f"  # grey levels the reconstructor quantises
    labels = [_labels().astype(np.int64)]
    assert _label_images.as_grey_levels(labels, [tmp_path / "l.npy"], 3)[0] is labels[0]


def _damaged_images(tmp_path):
    png = _png(tmp_path / "ok.png", _labels() * 100)
    tif = tmp_path / "ok.tif"
    Image.fromarray(_labels() * 100).save(tif)
    npy = tmp_path / "ok.npy"
    np.save(npy, _labels())
    cases = {}
    for src in (png, tif, npy):
        for fault, inject in {
            "truncate": lambda p: truncate(p, 0.6),
            "empty": empty,
            "garbage": garbage,
        }.items():
            path = tmp_path / f"{fault}{src.suffix}"
            shutil.copyfile(src, path)
            inject(path)
            cases[path.name] = path
    text = tmp_path / "text.png"
    text.write_text("not an image")
    cases["text.png"] = text
    return cases


def test_image_files_that_do_not_parse_are_refused_by_name(tmp_path, capsys):
    for name, path in _damaged_images(tmp_path).items():
        for reader in (read_image, _label_images.read_label_image, lambda p: ImageFiles([p])):
            with pytest.raises(UnreadableFileError) as e:
                reader(path)
            assert str(path) in str(e.value) and "Expected" in str(e.value), name
        code = main(["reconstruct", str(path), "--out", str(tmp_path / "out")])
        err = capsys.readouterr().err.strip().splitlines()
        assert code == 2 and len(err) == 1 and str(path) in err[0], name
        OUTCOMES["image " + name.split(".")[0], "refused"] += 1


def _with_size(png: bytes, width: int, height: int) -> bytes:
    """``png`` with another size in its IHDR chunk (and a valid chunk checksum)."""
    ihdr = png[12:29]  # type and data of the first chunk
    data = b"IHDR" + struct.pack(">II", width, height) + ihdr[12:]
    return png[:12] + data + struct.pack(">I", zlib.crc32(data)) + png[33:]


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_sizes_are_checked_before_pixels_are_allocated(tmp_path, monkeypatch):
    path = _png(tmp_path / "ok.png", _labels())
    huge = tmp_path / "huge.png"
    huge.write_bytes(_with_size(path.read_bytes(), 100_000, 100_000))
    with pytest.raises(UnreadableFileError, match="not a readable image|declares") as e:
        read_image(huge)
    assert str(huge) in str(e.value)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)  # below Pillow's own bomb error
    with pytest.raises(UnreadableFileError, match=r"declares 32 x 32 pixels.*MAX_IMAGE_PIXELS"):
        read_image(path)
    # a .npy header that declares more than the file holds
    npy = tmp_path / "big.npy"
    np.save(npy, np.zeros((4, 4)))
    raw = npy.read_bytes()
    end = raw.index(b"\n")
    header = raw[:end].replace(b"(4, 4)", b"(99999, 99999)").rstrip(b" ").ljust(end)
    npy.write_bytes(header + raw[end:])
    start = time.perf_counter()
    with pytest.raises(UnreadableFileError, match=r"declares a float64 array of shape \(99999"):
        read_image(npy)
    assert time.perf_counter() - start < 1.0


@pytest.mark.parametrize(
    "flag, value, words",
    [
        ("--n", "0", "argument --n: expected an int in the range [1, inf)"),
        ("--n-phases", "7", "argument --n-phases: expected an int in the range [2, 5]"),
        ("--n-levels", "0", "argument --n-levels: expected an int in the range [1, 4]"),
        ("--max-iter", "-1", "argument --max-iter: expected an int in the range [1, inf)"),
        ("--size", "0", "argument --size: expected an int in the range [1, inf)"),
        ("--s2-weight", "-1", "argument --s2-weight: expected a float in the range [0.0, inf)"),
        ("--lineal-path-weight", "x", "argument --lineal-path-weight: expected a number"),
        ("--seed", "-1", "argument --seed: must be an integer in [0, 4294967295]"),
        ("--shape", "16,0", "argument --shape: expected H,W or D,H,W of positive integers"),
        ("--shape", "16", "argument --shape: expected H,W or D,H,W of positive integers"),
        ("--shape", "a,b", "argument --shape: expected integers separated by commas"),
    ],
)
def test_cli_numbers_are_checked_at_parse_time(tmp_path, capsys, flag, value, words):
    with pytest.raises(SystemExit) as e:
        main(["reconstruct", str(tmp_path / "in.npy"), flag, value])
    assert e.value.code == 2 and words in capsys.readouterr().err


def test_a_missing_package_is_not_called_a_damaged_file(tmp_path, monkeypatch):
    """A model of a class whose module is not installed: ImportError, as joblib raises it."""
    (tmp_path / "sktl_gone_module.py").write_text(
        "class Model:\n    def get_params(self):\n        return {}\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    import sktl_gone_module

    path = tmp_path / "model.joblib"
    joblib.dump(sktl_gone_module.Model(), path)
    monkeypatch.delitem(sys.modules, "sktl_gone_module")
    (tmp_path / "sktl_gone_module.py").unlink()
    with pytest.raises(ModuleNotFoundError, match="sktl_gone_module"):
        load_model_file(path)


def test_palette_images_are_read_as_their_colours_not_their_indices(tmp_path):
    rgb = np.zeros((6, 8, 3), dtype=np.uint8)
    rgb[:, :4] = (200, 30, 10)
    rgb[:, 4:] = (0, 90, 250)
    Image.fromarray(rgb).convert("P", palette=Image.Palette.ADAPTIVE).save(tmp_path / "p.png")
    Image.fromarray(rgb).save(tmp_path / "p.gif")
    for name in ("p.png", "p.gif"):
        with Image.open(tmp_path / name) as im:
            assert im.mode == "P"  # the file really holds palette indices
        np.testing.assert_array_equal(read_image(tmp_path / name), rgb)
    grey = np.tile(np.array([0, 85, 170, 255], dtype=np.uint8), (5, 2))
    Image.fromarray(grey).convert("P").save(tmp_path / "g.png")
    with Image.open(tmp_path / "g.png") as im:
        assert im.mode == "P"
    np.testing.assert_array_equal(read_image(tmp_path / "g.png"), grey)  # grey stays grey
    # the shape follows the file's palette, not the colours one image happens to use
    bw = np.zeros((6, 8, 3), dtype=np.uint8)
    bw[:, 4:] = 255
    im = Image.new("P", (8, 6))
    im.putdata((bw[..., 0] > 0).astype(np.uint8).ravel().tolist())  # indices 0 and 1
    im.putpalette([0, 0, 0, 255, 255, 255, 200, 30, 10])  # a colour entry no pixel uses
    im.save(tmp_path / "bw.png")
    np.testing.assert_array_equal(read_image(tmp_path / "bw.png"), bw)
    # a grey palette with a transparency reads as grey (never grey + alpha)
    Image.fromarray(grey).convert("P").save(tmp_path / "gt.png", transparency=0)
    np.testing.assert_array_equal(read_image(tmp_path / "gt.png"), grey)
