"""End-to-end smoke runs of the speed benchmarks (``benchmarks/speed``) on tiny settings.

Their numbers mean nothing: the tests check that each script runs and writes its outputs,
with the ratios it reports present and positive. ``reconstruction_speed`` needs the reference
data (../shared/data or ``$SKTL_DATA``) and is skipped without it.
"""

import json
import math

import pytest

from benchmarks import common
from benchmarks.speed import (
    cached_grid,
    featurizer,
    memory,
    reconstruction_speed,
    spinodal,
)


def _li2018_home():
    home = common.data_home()
    if home is None or not (home / "microstructures" / "li2018").is_dir():
        pytest.skip(f"reference data (microstructures/li2018) not found under {home}")
    return home


def test_cached_grid_smoke(tmp_path):
    out = tmp_path / "cached_grid"
    assert cached_grid.main(["--smoke", "--out", str(out)]) == 0
    rows = json.loads((out / "cached_grid_concat.json").read_text())
    assert len(rows) == 1
    (r,) = rows.values()
    for key in ("uncached", "cached", "featurize", "head fit", "plain loop"):
        assert r[key] > 0
    assert r["speed-up"] == pytest.approx(r["uncached"] / r["cached"])
    assert r["head fit / plain loop"] > 0
    md = (out / "cached_grid_concat.md").read_text()
    assert "| tap, n | uncached | cached | speed-up |" in md and "lite0-stage5 n=12" in md


def test_featurizer_smoke(tmp_path):
    out = tmp_path / "featurizer"
    assert featurizer.main(["--smoke", "--out", str(out)]) == 0
    result = json.loads((out / "bench_featurizer.json").read_text())
    assert result["matmul_peak_gflops"] > 0
    assert {r["backbone"] for r in result["rows"]} == set(featurizer.CASES)
    for r in result["rows"]:
        assert set(featurizer.HEAD) <= set(r)
        assert r["ratio"] > 0 and r["sktl img/s"] > 0 and r["hand img/s"] > 0
        assert r["ratio"] == pytest.approx(r["sktl img/s"] / r["hand img/s"])
    md = (out / "bench_featurizer.md").read_text()
    assert "matmul peak" in md and "| ratio |" in md and "% of matmul peak" in md


@pytest.mark.parametrize("files", [False, True], ids=["memmap", "files"])
def test_memory_smoke(tmp_path, files):
    out = tmp_path / "memory"
    assert memory.main(["--smoke", "--out", str(out)] + (["--files"] * files)) == 0
    tag = "files" if files else "memmap"
    r = json.loads((out / f"bench_memory_{tag}.json").read_text())
    assert r["images"] == 8 and r["features"] > 0
    assert r["source"] == ("png files" if files else "npy memmap")
    assert r["peak_rss_mb"] >= r["peak_rss_before_featurising_mb"] > 0
    assert r["images_per_s_streamed"] > 0 and r["images_per_s_in_memory"] > 0
    assert r["ratio_streamed_over_in_memory"] > 0
    assert "- ratio_streamed_over_in_memory:" in (out / f"bench_memory_{tag}.md").read_text()


def test_spinodal_smoke(tmp_path):
    out = tmp_path / "spinodal"
    assert spinodal.main(["--smoke", "--out", str(out)]) == 0
    r = json.loads((out / "spinodal.json").read_text())
    assert r["samples"] == 50 and r["trees"] == 2
    assert r["generate"]["n"] == 2 and r["generate"]["seconds_per_sample"] > 0
    assert len(r["r2"]) == 9
    for row in r["r2"].values():
        assert set(row) == {"descriptors", "image", "both"}
        assert all(math.isfinite(v) and v <= 1 for v in row.values())
    md = (out / "spinodal_r2.md").read_text()
    assert "| target | descriptors | image | both |" in md


def test_reconstruction_speed_smoke(tmp_path):
    _li2018_home()
    out = tmp_path / "reconstruction_speed"
    assert reconstruction_speed.main(["--smoke", "--out", str(out)]) == 0
    r = json.loads((out / "speed_32.json").read_text())
    assert r["size"] == 32 and r["peak_rss_gb"] > 0
    assert r["speed-up vs recipe-1.0"] > 0
    for name in ("sktl", "recipe-1.0"):
        assert r[name]["seconds_per_sample"] > 0 and r[name]["settings"]["max_iter"] == 2
        for key in ("s2_error", "s2_periodic_error", "lineal_path_error"):
            assert math.isfinite(r[name][key])


def test_speed_benchmark_reports_ratios(tmp_path):
    """Copied from tests/reconstruction/test_generalisation_benchmarks.py (explicit flags)."""
    _li2018_home()
    assert reconstruction_speed.main(
        ["--out", str(tmp_path), "--size", "64", "--n-samples", "1", "--max-iter", "2",
         "--only", "sktl", "recipe-1.0"]
    ) == 0
    r = json.loads((tmp_path / "speed_64.json").read_text())
    assert r["speed-up vs recipe-1.0"] > 0 and r["peak_rss_gb"] > 0
    assert "s2_periodic_error" in r["sktl"]
