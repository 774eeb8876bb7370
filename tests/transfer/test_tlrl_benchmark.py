"""Smoke test of benchmarks/tlrl_table2.py --quick on tiny settings (needs ../shared/data)."""

import importlib.util
import json
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DATA = Path(os.environ.get("SKTL_DATA", REPO.parent / "shared" / "data")) / "composition"


@pytest.mark.skipif(
    not (DATA / "oqmd").is_dir() or not (DATA / "jarvis_deltae").is_dir(),
    reason=f"OQMD / JARVIS data not found under {DATA}; set SKTL_DATA",
)
def test_quick_benchmark_runs(tmp_path):
    spec = importlib.util.spec_from_file_location("tlrl_table2", REPO / "benchmarks/tlrl_table2.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    result = bench.main(
        [
            "--quick",
            "--out", str(tmp_path),
            "--architecture", "32x2D-16x2-8x1-1",
            "--source-limit", "400",
            "--target-limit", "90",
            "--test-limit", "40",
            "--folds", "2",
            "--cv-epochs", "1",
            "--automl-evals", "1",
            "--automl-regressor", "ridge",
            "--throughput-samples", "64",
            "--mc-dropout", "3",
        ]
    )  # fmt: skip
    table = {row["config"]: row for row in result["table"]}
    assert list(table) == bench.CONFIGS
    assert all(row["test_mae"] > 0 and row["cv_mae"] > 0 for row in table.values())
    assert table["RL:DL(Dense)"]["layer"] in (3, 5)
    assert table["SC:ML"]["test_mae_dropout_off"] is None
    for name in ("TL:Fine-tune", "TL+RL:DL(Dense) bridged"):  # two prediction modes
        off = table[name]["test_mae_dropout_off"]
        assert off > 0 and off != table[name]["test_mae"]
    assert result["data"]["source_rows_in_jarvis_test_removed"] > 0
    assert result["throughput"]["ratio"] > 0
    saved = json.loads((tmp_path / "tlrl_table2.json").read_text())
    assert saved["table"][0]["config"] == "SC:ML"
    md = (tmp_path / "tlrl_table2.md").read_text()
    assert "TL+RL:DL(Dense)" in md and "Throughput" in md and "(CV fits: 1)" in md
    assert (tmp_path / "tlrl_source.joblib").is_file()

    # --folds 0: no CV, one fit per configuration with the layer given, reusing the source
    single = bench.main(
        [
            "--out", str(tmp_path / "no-cv"),
            "--source", str(tmp_path / "tlrl_source.joblib"),
            "--architecture", "32x2D-16x2-8x1-1",
            "--source-limit", "400", "--target-limit", "90", "--test-limit", "40",
            "--folds", "0", "--layers", "3", "--epochs", "2",
            "--configs", "SC:DL,TL+RL:DL(Dense)",
            "--throughput-samples", "64", "--mc-dropout", "3", "--seeds", "2", "--jobs", "2",
        ]
    )  # fmt: skip
    assert [(r["config"], r["layer"], r["cv_mae"]) for r in single["table"]] == [
        ("SC:DL", None, None),
        ("TL+RL:DL(Dense)", 3, None),
    ]
    md = (tmp_path / "no-cv" / "tlrl_table2.md").read_text()
    assert "no CV" in md and "mean of 2 fits" in md and "single fits: " in md
    assert all(len(r["member_test_mae"]) == 2 for r in single["table"])
    for r in single["table"]:
        # the mean of the first member is that member; the mean of all is the ensemble
        assert r["ensemble_curve"] == pytest.approx([r["member_test_mae"][0], r["test_mae"]])
    assert "mean of the first 1, 2, ... members" in md
    ensemble = bench.seed_ensemble(bench.candidates("TL+RL:DL(Dense) bridged", None, [3], {})[0][1], 3)
    seeds = [m.get_params()["regressor__random_state"] for _, m in ensemble.estimators]
    assert seeds == [0, 1, 2]
    # --cv-epochs caps every network of a candidate, whatever wraps it
    for name in ("RL:DL(Dense)", "TL+RL:DL(Dense) bridged", "SC:DL"):
        est = bench.seed_ensemble(bench.candidates(name, None, [3], {"max_epochs": 9})[0][1], 2)
        capped = bench.with_max_epochs(est, 4).get_params()
        caps = [v for k, v in capped.items() if k.endswith("max_epochs")]
        assert caps and set(caps) == {4}, name
        assert est.get_params()[next(k for k in capped if k.endswith("max_epochs"))] == 9


@pytest.mark.skipif(
    not (DATA / "jarvis_deltae").is_dir(),
    reason=f"JARVIS data not found under {DATA}; set SKTL_DATA",
)
def test_layer_scan_runs(tmp_path, monkeypatch):
    import joblib
    import numpy as np

    from sktl.transfer import DeepMLPRegressor

    monkeypatch.syspath_prepend(str(REPO / "benchmarks"))
    spec = importlib.util.spec_from_file_location("scan", REPO / "benchmarks/tlrl_layer_scan.py")
    scan = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(scan)
    rng = np.random.default_rng(0)
    X = rng.dirichlet(np.ones(86), size=60)
    source = DeepMLPRegressor(architecture="16x2D-8x1-1", max_epochs=2, random_state=0).fit(X, X[:, 0])
    joblib.dump(source, tmp_path / "source.joblib")
    result = scan.main(
        [
            "--source", str(tmp_path / "source.joblib"),
            "--out", str(tmp_path),
            "--configs", "SC:DL,TL+RL:DL(Dense) bridged",
            "--layers", "1,3",
            "--target-limit", "50",
            "--epochs", "2",
            "--mc-dropout", "2",
        ]
    )  # fmt: skip
    got = [(r["config"], r["layer"]) for r in result["results"]]
    bridged = "TL+RL:DL(Dense) bridged"
    assert got == [("SC:DL", None), (bridged, 1), (bridged, 3)]
    assert all(r["holdout_mae"] > 0 for r in result["results"])
    assert result["rows_fit"] == 40 and result["rows_holdout"] == 10
    assert f"| {bridged} |" in (tmp_path / "layer_scan.md").read_text()
    assert (tmp_path / "layer_scan.png").stat().st_size > 0
