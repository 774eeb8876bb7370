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
    off = table["TL:Fine-tune"]["test_mae_dropout_off"]
    assert off > 0 and off != table["TL:Fine-tune"]["test_mae"]  # two prediction modes
    assert result["data"]["source_rows_in_jarvis_test_removed"] > 0
    assert result["throughput"]["ratio"] > 0
    saved = json.loads((tmp_path / "tlrl_table2.json").read_text())
    assert saved["table"][0]["config"] == "SC:ML"
    md = (tmp_path / "tlrl_table2.md").read_text()
    assert "TL+RL:DL(Dense)" in md and "Throughput" in md
    assert (tmp_path / "tlrl_source.joblib").is_file()
