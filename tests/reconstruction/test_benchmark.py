"""Smoke test of benchmarks/reconstruction_li2018.py on tiny settings (needs ../shared/data)."""

import importlib.util
import json
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _bench():
    path = REPO / "benchmarks" / "reconstruction_li2018.py"
    spec = importlib.util.spec_from_file_location("reconstruction_li2018", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    return bench


def test_layers_for_caps_the_deepest_tap():
    bench = _bench()
    assert bench.layers_for(128) == bench.ALL_LAYERS
    assert bench.layers_for(64) == ("conv1_1", "pool1", "pool2", "pool3")
    assert bench.layers_for(128, "pool2") == ("conv1_1", "pool1", "pool2")


def test_naive_loop_comparison_finds_the_time_to_match(li2018_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("SKTL_DATA", str(li2018_dir.parents[1]))
    bench = _bench()
    bench.main(
        [
            "--out", str(tmp_path), "--sizes",
            "--baseline-size", "64", "--max-iter", "4", "--baseline-ladder", "2", "6",
            "--n-samples", "1", "--pruning-size", "0",
            "--s2-weight", "100", "--lineal-path-weight", "10", "--deepest", "pool2",
        ]
    )  # fmt: skip
    res = json.loads((tmp_path / "results.json").read_text())["baseline"]
    naive = res["naive"][0]
    assert naive["evaluations"] >= 1 and naive["s2_error"] > 0
    assert set(res["variants"]) == {"paper's loss", "Gram + descriptor terms"}
    assert res["variant_layers"]["Gram + descriptor terms"] == "conv1_1 .. pool2"
    for rows in res["variants"].values():
        runs = rows[0]["runs"]
        budgets = [r["max_iter"] for r in runs]
        assert budgets in ([2], [2, 6])
        reached = [r for r in runs if r["s2_error"] <= naive["s2_error"]]
        # the ladder stops at the first budget at or below the naive loop's error
        if reached:
            assert reached == runs[-1:]
            assert rows[0]["seconds_to_match"] == runs[-1]["seconds"]
            assert rows[0]["iterations_to_match"] == budgets[-1]
        else:
            assert budgets == [2, 6] and rows[0]["seconds_to_match"] is None
    md = (tmp_path / "results.md").read_text()
    assert "Naive Gatys loop vs sktl" in md and "Gram + descriptor terms" in md
