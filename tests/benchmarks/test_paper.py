"""End-to-end smoke runs of the paper benchmarks (``benchmarks/paper``) on tiny settings.

Their numbers mean nothing: the tests check that each script runs, writes its outputs and
builds its tables as it should. ``tlrl_table2`` and ``tlrl_layer_scan`` need the OQMD / JARVIS
reference data (../shared/data or ``$SKTL_DATA``) and are skipped without it;
``dmtlr_table1`` and ``reconstruction_li2018`` use data embedded in sktl.
"""

import json
from pathlib import Path

import pytest

from benchmarks import common
from benchmarks.paper import (
    dmtlr_table1,
    reconstruction_li2018,
    tlrl_layer_scan,
    tlrl_table2,
)


def _composition_home(*sets):
    home = common.data_home()
    missing = [s for s in sets if home is None or not (home / "composition" / s).is_dir()]
    if missing:
        pytest.skip(f"reference data (composition/{', '.join(missing)}) not found under {home}")
    return home


def _nonempty(out: Path, *names):
    for name in names:
        assert (out / name).is_file() and (out / name).stat().st_size > 0, name


def test_dmtlr_table1_smoke(tmp_path):
    out = tmp_path / "dmtlr_table1"
    assert dmtlr_table1.main(["--smoke", "--out", str(out)]) == 0
    _nonempty(out, "dmtlr_table1.md", "dmtlr_table1.json", "dmtlr_table1.png")
    summary = json.loads((out / "dmtlr_table1.json").read_text())
    bname = next(iter(dmtlr_table1.SMOKE_BACKBONE))
    for setting in ("single-target", "multi-target"):
        for model in ("descriptor-only", f"image-only [{bname}]", f"multimodal [{bname}]"):
            assert len(summary[f"{setting} / {model}"]) == 2  # two targets
    assert "reference / DummyRegressor (mean)" in summary
    md = (out / "dmtlr_table1.md").read_text()
    assert "multimodal >= both baselines" in md and "with cache" in md


def test_reconstruction_layers_for_caps_the_deepest_tap():
    bench = reconstruction_li2018
    assert bench.layers_for(128) == bench.ALL_LAYERS
    assert bench.layers_for(64) == ("conv1_1", "pool1", "pool2", "pool3")
    assert bench.layers_for(128, "pool2") == ("conv1_1", "pool1", "pool2")


def test_reconstruction_li2018_smoke(tmp_path):
    """The smoke run includes the naive-loop comparison: check its ladder logic."""
    out = tmp_path / "reconstruction_li2018"
    assert reconstruction_li2018.main(["--smoke", "--out", str(out)]) == 0
    _nonempty(out, "results.json", "results.md", "carbonate_32_panel.png",
              "carbonate_32_curves.png")  # fmt: skip
    results = json.loads((out / "results.json").read_text())
    assert [(c["material"], c["size"]) for c in results["cases"]] == [("carbonate", 32)]
    assert [r["layers"][-1] for r in results["pruning"]] == ["conv1_1", "pool1", "pool2"]
    res = results["baseline"]
    naive = res["naive"][0]
    assert naive["evaluations"] >= 1 and naive["s2_error"] > 0
    assert set(res["variants"]) == {"paper's loss", "Gram + descriptor terms"}
    assert res["variant_layers"]["Gram + descriptor terms"] == "conv1_1 .. pool1"
    for rows in res["variants"].values():
        runs = rows[0]["runs"]
        budgets = [r["max_iter"] for r in runs]
        assert budgets in ([1], [1, 2])
        reached = [r for r in runs if r["s2_error"] <= naive["s2_error"]]
        # the ladder stops at the first budget at or below the naive loop's error
        if reached:
            assert reached == runs[-1:]
            assert rows[0]["seconds_to_match"] == runs[-1]["seconds"]
            assert rows[0]["iterations_to_match"] == budgets[-1]
        else:
            assert budgets == [1, 2] and rows[0]["seconds_to_match"] is None
    md = (out / "results.md").read_text()
    assert "Naive Gatys loop vs sktl" in md and "Gram + descriptor terms" in md


def test_tlrl_table2_helpers():
    """Seed ensembles are seeded 0..N-1; --cv-epochs caps every network, whatever wraps it."""
    bench = tlrl_table2
    est = bench.candidates("TL+RL:DL(Dense) bridged", None, [3], {})[0][1]
    ensemble = bench.seed_ensemble(est, 3)
    seeds = [m.get_params()["regressor__random_state"] for _, m in ensemble.estimators]
    assert seeds == [0, 1, 2]
    for name in ("RL:DL(Dense)", "TL+RL:DL(Dense) bridged", "SC:DL"):
        est = bench.seed_ensemble(bench.candidates(name, None, [3], {"max_epochs": 9})[0][1], 2)
        capped = bench.with_max_epochs(est, 4).get_params()
        caps = [v for k, v in capped.items() if k.endswith("max_epochs")]
        assert caps and set(caps) == {4}, name
        assert est.get_params()[next(k for k in capped if k.endswith("max_epochs"))] == 9


def test_tlrl_table2_smoke(tmp_path):
    _composition_home("oqmd", "jarvis_deltae")
    bench = tlrl_table2
    out = tmp_path / "tlrl_table2"
    argv = ["--smoke", "--out", str(out), "--epochs", "2", "--cv-epochs", "1"]
    assert bench.main(argv) == 0
    _nonempty(out, "tlrl_table2.json", "tlrl_table2.md", "tlrl_source.joblib")
    result = json.loads((out / "tlrl_table2.json").read_text())
    table = {row["config"]: row for row in result["table"]}
    assert list(table) == bench.CONFIGS
    assert all(row["test_mae"] > 0 and row["cv_mae"] > 0 for row in table.values())
    assert table["RL:DL(Dense)"]["layer"] in (1, 3)  # smoke network: 3 hidden layers
    assert table["SC:ML"]["test_mae_dropout_off"] is None
    for name in ("TL:Fine-tune", "TL+RL:DL(Dense) bridged"):  # two prediction modes
        off = table[name]["test_mae_dropout_off"]
        assert off > 0 and off != table[name]["test_mae"]
    assert result["data"]["source_rows_in_jarvis_test_removed"] >= 0
    assert result["throughput"]["ratio"] > 0
    md = (out / "tlrl_table2.md").read_text()
    assert "Mode: smoke" in md and "TL+RL:DL(Dense)" in md and "Throughput" in md
    assert "(CV fits: 1)" in md

    # --folds 0: no CV, one fit per configuration with the layer given, reusing the source
    single = tmp_path / "no-cv"
    argv = ["--smoke", "--out", str(single), "--source", str(out / "tlrl_source.joblib"),
            "--folds", "0", "--layers", "3", "--epochs", "2",
            "--configs", "SC:DL,TL+RL:DL(Dense)", "--seeds", "2"]  # fmt: skip
    assert bench.main(argv) == 0
    assert not (single / "tlrl_source.joblib").exists()  # loaded, not trained again
    rows = json.loads((single / "tlrl_table2.json").read_text())["table"]
    assert [(r["config"], r["layer"], r["cv_mae"]) for r in rows] == [
        ("SC:DL", None, None),
        ("TL+RL:DL(Dense)", 3, None),
    ]
    md = (single / "tlrl_table2.md").read_text()
    assert "no CV" in md and "mean of 2 fits" in md and "single fits: " in md
    assert all(len(r["member_test_mae"]) == 2 for r in rows)
    for r in rows:
        # the mean of the first member is that member; the mean of all is the ensemble
        assert r["ensemble_curve"] == pytest.approx([r["member_test_mae"][0], r["test_mae"]])
    assert "mean of the first 1, 2, ... members" in md


def test_tlrl_layer_scan_smoke(tmp_path):
    _composition_home("jarvis_deltae")
    out = tmp_path / "tlrl_layer_scan"
    bridged = "TL+RL:DL(Dense) bridged"
    argv = ["--smoke", "--out", str(out), "--configs", f"SC:DL,{bridged}",
            "--target-limit", "50"]  # fmt: skip
    assert tlrl_layer_scan.main(argv) == 0
    _nonempty(out, "layer_scan.json", "layer_scan.md", "layer_scan.png")
    result = json.loads((out / "layer_scan.json").read_text())
    got = [(r["config"], r["layer"]) for r in result["results"]]
    assert got == [("SC:DL", None), (bridged, 1), (bridged, 3)]
    assert all(r["holdout_mae"] > 0 for r in result["results"])
    assert result["rows_fit"] == 40 and result["rows_holdout"] == 10
    assert f"| {bridged} |" in (out / "layer_scan.md").read_text()


def test_tlrl_layer_scan_needs_a_source_outside_smoke(tmp_path):
    with pytest.raises(SystemExit):
        tlrl_layer_scan.main(["--out", str(tmp_path)])
