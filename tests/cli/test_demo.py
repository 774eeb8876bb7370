import json

from sktl.cli import main


def test_demo_runs_on_the_embedded_data_and_writes_its_outputs(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path), "--max-epochs", "3"]) == 0
    printed = capsys.readouterr().out
    assert "multimodal" in printed and "descriptor-only" in printed
    scores = json.loads((tmp_path / "r2_scores.json").read_text())
    assert set(scores["r2"]) == {"multimodal", "DMTL-R (paper)", "image-only", "descriptor-only"}
    assert len(scores["r2"]["multimodal"]) == len(scores["targets"]) >= 6
    for name in ("parity.png", "calibration.png", "loss_curves.png", "r2_table.txt"):
        assert (tmp_path / name).stat().st_size > 0
    assert "coverage 90%" in printed
    intervals = json.loads((tmp_path / "intervals.json").read_text())
    levels = intervals["confidence_levels"]
    assert levels == [0.5, 0.6, 0.7, 0.8, 0.9, 0.95]
    assert list(intervals["targets"]) == scores["targets"]
    for target in intervals["targets"].values():
        assert len(target["coverage"]) == len(target["mean_half_width"]) == len(levels)
        assert all(0 <= c <= 1 for c in target["coverage"])
        assert all(w > 0 for w in target["mean_half_width"])
        assert target["mean_half_width"] == sorted(target["mean_half_width"])  # nested levels
        assert target["rmse"] > 0


def test_cli_errors_are_one_line_and_nonzero(tmp_path, capsys):
    code = main(["demo", "--out", str(tmp_path), "--backbone", "nope"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "Unknown backbone" in err[0]
