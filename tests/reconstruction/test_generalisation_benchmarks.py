"""Smoke tests of the generalisation, volume and speed benchmarks on tiny settings.

They need PoreSpy (the ``bench`` extra, which ``make`` installs) and ../shared/data.
"""

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
pytest.importorskip("porespy", reason="the bench extra (PoreSpy) is not installed")


def _load(name):
    sys.path.insert(0, str(REPO / "benchmarks"))
    spec = importlib.util.spec_from_file_location(name, REPO / "benchmarks" / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_materials_are_seeded_256_px_fields_with_their_character(li2018_dir, monkeypatch):
    monkeypatch.setenv("SKTL_DATA", str(li2018_dir.parents[1]))
    mats = _load("_materials")
    assert not set(mats.DESIGN) & set(mats.REPORT)
    assert set(mats.DESIGN) | set(mats.REPORT) == set(mats.GENERATORS)
    for name, vf in (("disks_2", 0.02), ("disks_10", 0.10)):
        img = mats.material(name)
        assert img.shape == (256, 256) and abs(img.mean() - vf) < 0.4 * vf
        np.testing.assert_array_equal(img, mats.material(name))  # seeded
    assert len(np.unique(mats.material("three_phase"))) == 3
    quads = mats.quadrants(mats.material("blobs"), 128)
    assert len(quads) == 4 and all(q.shape == (128, 128) for q in quads)


def test_generalisation_benchmark_writes_results_and_verdicts(li2018_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("SKTL_DATA", str(li2018_dir.parents[1]))
    bench = _load("reconstruction_generalisation")
    args = ["--out", str(tmp_path), "--materials", "carbonate", "three_phase", "--size", "64",
            "--n-samples", "1", "--set", json.dumps({"max_iter": 2, "n_levels": 1})]
    bench.main(args)
    rows = [json.loads(line) for line in (tmp_path / "results.jsonl").read_text().splitlines()]
    assert [r["material"] for r in rows] == ["carbonate", "three_phase"]
    assert set(rows[1]["errors"]) == {"s2", "s2_periodic", "lineal_path"}
    assert set(rows[1]["errors"]["s2"]) == {"0", "1", "2"}
    assert rows[0]["paper"]["1"] == {"s2": 3.91, "lineal_path": 7.63}
    bench.main(args)  # resumable: nothing new
    assert len((tmp_path / "results.jsonl").read_text().splitlines()) == 2
    md = (tmp_path / "results.md").read_text()
    assert "## design materials" in md and "carbonate" in md
    # at the field's size the whole field is the exemplar and there is no floor
    whole = json.dumps({"max_iter": 1, "n_levels": 1, "layers": ["conv1_1"]})
    bench.main(["--out", str(tmp_path), "--materials", "blobs", "--size", "256",
                "--n-samples", "1", "--set", whole])
    last = json.loads((tmp_path / "results.jsonl").read_text().splitlines()[-1])
    assert last["floor"] is None and last["size"] == 256
    assert "@ 256 px" in (tmp_path / "results.md").read_text()


def test_volume_benchmark_on_a_small_volume(tmp_path):
    bench = _load("reconstruction_volume")
    bench.main(["--out", str(tmp_path), "--cases", "planes", "--side", "20", "--set",
                json.dumps({"max_iter": 2, "n_levels": 1, "layers": ["conv1_1", "pool1"]})])
    (r,) = json.loads((tmp_path / "results.json").read_text())
    assert len(r["slice_error"]["s2"]) == 3 and len(r["axial_s2_error_vs_truth"]) == 3
    assert (tmp_path / "slices_planes.png").stat().st_size > 0


def test_speed_benchmark_reports_ratios(li2018_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("SKTL_DATA", str(li2018_dir.parents[1]))
    bench = _load("bench_reconstruction_speed")
    bench.main(["--out", str(tmp_path), "--size", "64", "--n-samples", "1", "--max-iter", "2",
                "--only", "sktl", "recipe-1.0"])
    r = json.loads((tmp_path / "speed_64.json").read_text())
    assert r["speed-up vs recipe-1.0"] > 0 and r["peak_rss_gb"] > 0
    assert "s2_periodic_error" in r["sktl"]
