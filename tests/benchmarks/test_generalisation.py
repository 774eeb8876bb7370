"""Smoke runs of benchmarks/generalisation (``--smoke``: tiny settings, numbers mean nothing).

Each script runs end to end through its ``main``; the reconstruction ones need PoreSpy (the
``bench`` extra), the ones on reference data ../shared/data (``SKTL_DATA``).
"""

import json

import numpy as np
import pytest

from benchmarks import common


def _needs_data():
    if common.data_home() is None:
        pytest.skip("reference data not found (../shared/data); set SKTL_DATA")


def _porespy():
    pytest.importorskip("porespy", reason="the bench extra (PoreSpy) is not installed")


def _lines(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_materials_are_seeded_256_px_fields_with_their_character():
    _porespy()
    from benchmarks import materials as mats

    assert not set(mats.DESIGN) & set(mats.REPORT)
    assert not (set(mats.DESIGN) | set(mats.REPORT)) & set(mats.GRAINS_REPORT)
    assert set(mats.DESIGN) | set(mats.REPORT) | set(mats.GRAINS_REPORT) == set(mats.GENERATORS)
    for name, vf in (("disks_2", 0.02), ("disks_10", 0.10)):
        img = mats.material(name)
        assert img.shape == (256, 256) and abs(img.mean() - vf) < 0.4 * vf
        np.testing.assert_array_equal(img, mats.material(name))  # seeded
    assert len(np.unique(mats.material("three_phase"))) == 3
    quads = mats.quadrants(mats.material("blobs"), 128)
    assert len(quads) == 4 and all(q.shape == (128, 128) for q in quads)


def test_grain_sections_are_seeded_two_phase_grains_of_two_sizes():
    from benchmarks import materials as mats
    from sktl.descriptors import lineal_path

    fine, coarse = mats.material("grains_fine"), mats.material("grains_coarse")
    np.testing.assert_array_equal(fine, mats.material("grains_fine"))
    assert not np.array_equal(fine, mats.material("grains_fine", seed=1))
    for img in (fine, coarse):
        assert img.shape == (256, 256) and set(np.unique(img)) == {0, 1}
        assert 0.3 < img.mean() < 0.7
    # runs inside the coarser grains are longer: L(16) / L(0) is larger
    decay = [lineal_path(img, 1, r_max=16) for img in (fine, coarse)]
    assert decay[0][16] / decay[0][0] < 0.8 * decay[1][16] / decay[1][0]


def test_reconstruction_generalisation_writes_results_and_verdicts(tmp_path):
    _porespy()
    _needs_data()
    from benchmarks.generalisation import reconstruction_generalisation as bench

    out = tmp_path / "recgen"
    args = ["--smoke", "--out", str(out)]  # carbonate and three_phase at 32 px
    assert bench.main(args) == 0
    rows = _lines(out / "results.jsonl")
    assert [r["material"] for r in rows] == ["carbonate", "three_phase"]
    assert set(rows[1]["errors"]) == {"s2", "s2_periodic", "lineal_path"}
    assert set(rows[1]["errors"]["s2"]) == {"0", "1", "2"}
    assert rows[0]["paper"]["1"] == {"s2": 3.91, "lineal_path": 7.63}
    assert all(len(bench.verdicts(r)) == 3 * len(r["errors"]["s2"]) for r in rows)
    assert bench.main(args) == 0  # resumable: nothing new
    assert len((out / "results.jsonl").read_text().splitlines()) == 2
    md = (out / "results.md").read_text()
    assert "## design materials" in md and "carbonate" in md
    # at the field's size the whole field is the exemplar and there is no floor
    whole = json.dumps({"max_iter": 1})
    assert bench.main([*args, "--materials", "blobs", "--size", "256", "--set", whole]) == 0
    last = _lines(out / "results.jsonl")[-1]
    assert last["floor"] is None and last["size"] == 256
    assert "@ 256 px" in (out / "results.md").read_text()


def test_reconstruction_volume_on_a_small_volume(tmp_path):
    _porespy()
    from benchmarks.generalisation import reconstruction_volume as bench

    out = tmp_path / "volume"
    assert bench.main(["--smoke", "--baseline", "--out", str(out)]) == 0  # planes, 16^3
    (r,) = json.loads((out / "results.json").read_text())
    assert len(r["slice_error"]["s2"]) == 3 and len(r["axial_s2_error_vs_truth"]) == 3
    assert r["resolved"]["n_slices"] == 8 and r["side"] == 16
    assert len(r["every_slice"]["slice_error"]["lineal_path"]) == 3
    assert len(r["truth_slice_error"]["s2"]) == 3
    assert "against its mid-planes (floor)" in (out / "results.md").read_text()
    assert (out / "slices_planes.png").stat().st_size > 0
    assert (out / "results.md").is_file() and (out / "volume_planes.npy").is_file()


def test_multimodal_generalisation_smoke(tmp_path):
    from benchmarks.generalisation import multimodal_generalisation as bench

    out = tmp_path / "multimodal"
    assert bench.main(["--smoke", "--out", str(out)]) == 0
    scores = json.loads((out / "scores.json").read_text())
    assert list(scores) == ["spinodal"]
    by_model = scores["spinodal"]["scores"]["20"]
    assert set(bench.SINGLE) | {bench.DEFAULT} <= set(by_model)
    assert all(len(cell) == 1 for cell in by_model.values())  # one split
    assert "| spinodal | design | 20 |" in (out / "summary.md").read_text()
    assert (out / "mean_r2_vs_n.png").stat().st_size > 0 and (out / "log.txt").is_file()


def test_structure_property_smoke(tmp_path):
    from benchmarks.generalisation import structure_property as bench

    out = tmp_path / "sp"
    assert bench.main(["--smoke", "--out", str(out)]) == 0
    result = json.loads((out / "results.json").read_text())
    assert {"Dummy (mean)", "CNN (grid)", "VGG19 pool2 gap head-only"} <= set(result["summary"])
    assert all(len(by_n["20"]) == 1 for by_n in result["runs"].values())
    assert "## n_train = 20" in (out / "table.md").read_text()
    assert (out / "loss_curves.png").is_file()


def test_transfer_defaults_smoke_resumes_and_tables(tmp_path, capsys):
    from benchmarks.generalisation import transfer_defaults as bench

    out = tmp_path / "td"
    assert bench.main(["--smoke", "--out", str(out)]) == 0
    results = json.loads((out / "results.json").read_text())
    assert set(results) == {"_settings", "spinodal", "stiffness-mixed"}
    assert len(results["spinodal"]) == 2 * len(bench.SMOKE_GRID)  # 2 splits x settings
    assert results["_settings"]["epochs"] == 1
    capsys.readouterr()
    assert bench.main(["--smoke", "--out", str(out)]) == 0  # resumed: nothing refitted
    assert " R2 " not in capsys.readouterr().out.split("Default chosen")[0]
    assert "Default chosen on the design sets" in (out / "table.md").read_text()
    assert (out / "transfer_defaults.png").stat().st_size > 0
    with pytest.raises(SystemExit, match="holds results made with"):  # other settings: no mix
        bench.main(["--smoke", "--epochs", "2", "--out", str(out)])


def test_transfer_defaults_choice_and_gap_on_made_up_results():
    from benchmarks.generalisation import transfer_defaults as bench

    grid = {"a": {}, "b": {}}
    results = {
        "spinodal": {"100|0|a": {"r2": 0.8}, "100|0|b": {"r2": 0.7},
                     "100|1|a": {"r2": 0.9}, "100|1|b": {"r2": 0.7}},
        "stiffness-blobs": {"100|0|a": {"r2": 0.5}, "100|0|b": {"r2": 0.6},
                            "100|1|a": {"r2": 0.5}, "100|1|b": {"r2": 0.6}},
    }
    default, text, gaps = bench.table(results, grid, [100], ["spinodal"], ["stiffness-blobs"])
    assert default == "a"  # chosen on the design set only
    assert gaps == pytest.approx([0.1])  # on the report set b is better by 0.1
    assert "| stiffness-blobs | 100 | b | 0.600 | 0.500 | -0.100 ± 0.000 | no |" in text
    for split in (0, 1):  # a not measured on the design set (a NaN mean): b is chosen
        del results["spinodal"][f"100|{split}|a"]
    assert bench.choose_default(results, grid, ["spinodal"], [100]) == "b"
    del results["stiffness-blobs"]["100|1|a"]  # paired on the splits both have
    assert bench.paired(results, "stiffness-blobs", 100, "a", "b") == pytest.approx([-0.1])


def test_structure_property_stack_smoke_and_tables_several_runs(tmp_path):
    from benchmarks.generalisation import structure_property_stack as bench

    out = tmp_path / "sps"
    assert bench.main(["--smoke", "--out", str(out)]) == 0
    results = json.loads((out / "results.json").read_text())
    cells = results["stiffness-mixed"]["cells"]
    assert set(cells) == {"16|0", "16|1"}
    assert {bench.STACK, *bench.SINGLE} <= set(cells["16|0"])
    assert sum(k.startswith("bagged") for k in cells["16|0"]) == 3  # one per stack member
    assert len(cells["16|0"][bench.STACK]["r2"]) == 6  # one R2 per stiffness component
    summary = json.loads((out / "summary.json").read_text())
    assert {c["target"] for c in summary} <= set(results["stiffness-mixed"]["targets"])
    assert all(isinstance(c["met"], bool) for c in summary)
    merged = tmp_path / "merged"  # tables from several run folders, nothing refitted
    assert bench.main(["--smoke", "--table", str(out), "--out", str(merged)]) == 0
    assert "stack at least as good" in (merged / "table.md").read_text()
    assert (merged / "stack_vs_best.png").stat().st_size > 0


def test_structure_property_merge_smoke(tmp_path):
    from benchmarks.generalisation import structure_property_merge as bench

    out = tmp_path / "merge"
    assert bench.main(["--smoke", "--out", str(out)]) == 0  # two runs split by model, merged
    table = (out / "table.md").read_text()
    assert "Dummy (mean)" in table and "CNN (grid)" in table
    assert "| 2-point + PCA + poly - CNN (grid) | 20 | 2 |" in table  # paired over 2 splits
    assert (out / "r2_vs_n.png").is_file()


def test_composition_crossprop_runs_resumes_and_tabulates(tmp_path, capsys):
    _needs_data()
    from benchmarks.generalisation import composition_crossprop as bench

    out = tmp_path / "crossprop"
    # bulk modulus: RF properties, TL:Fine-tune, TL+RL (bridged) at n = 20 and all, seeds 0, 1
    assert bench.main(["--smoke", "--out", str(out)]) == 0
    rows = _lines(out / "results.jsonl")
    # forests: 2 seeds at n=20, 1 at all; networks: 2 seeds at each n
    assert len(rows) == 2 + 1 + 2 * 2 * 2
    assert all(r["mae"] > 0 for r in rows)
    assert (out / "learning-curves-test.png").is_file()
    assert bench.TARGET_NET["max_epochs"] == 100  # the smoke network does not leak
    source = str(out / "smoke-source.skops")
    assert bench.main(["--smoke", "--out", str(out), "--source", source]) == 0  # resumes
    assert len((out / "results.jsonl").read_text().splitlines()) == len(rows)
    capsys.readouterr()
    assert bench.main(["--smoke", "--out", str(out), "--table"]) == 0
    printed = capsys.readouterr().out
    assert "TL:Fine-tune ensemble of 2" in printed and "RF properties" in printed


def test_elemnet_only_drops_formulas_with_other_elements():
    import pandas as pd

    from benchmarks.generalisation.composition_crossprop import _elemnet_only

    df = pd.DataFrame({"formula": ["NaCl", "He2Ne1", "Fe2O3"], "target": [1.0, 2.0, 3.0]})
    assert list(_elemnet_only(df).formula) == ["NaCl", "Fe2O3"]
    assert len(_elemnet_only(df.iloc[[0, 2]])) == 2


def test_composition_regressor_runs_resumes_and_tabulates(tmp_path, capsys):
    _needs_data()
    from benchmarks import composition_sets as sets
    from benchmarks.generalisation import composition_regressor as bench

    assert not set(sets.DESIGN) & set(sets.REPORT)
    out = tmp_path / "composition"
    assert bench.main(["--smoke", "--out", str(out)]) == 0
    rows = _lines(out / "results.jsonl")
    models = {r["model"] for r in rows}
    assert {"CompositionRegressor()", "blend=greedy", "blend=nnls", "RF fractions"} <= models
    assert {"member: forest_fractions", "member: boosting"} <= models
    default = next(r for r in rows if r["model"] == "CompositionRegressor()")
    assert 0 <= default["coverage_90"] <= 1 and default["half_width_90"] > 0
    assert bench.main(["--smoke", "--out", str(out)]) == 0  # resumes: nothing new
    assert len(_lines(out / "results.jsonl")) == len(rows)
    capsys.readouterr()
    assert bench.main(["--smoke", "--out", str(out), "--table"]) == 0
    printed = capsys.readouterr().out
    assert "## Summary" in printed and "CV+ intervals" in printed
    with pytest.raises(SystemExit, match="design sets only"):
        bench.main(["--smoke", "--out", str(out), "--split", "val"])


def test_reconstruction_shape_scores_k_against_the_crop_floor(tmp_path):
    _porespy()
    from benchmarks.generalisation import reconstruction_shape as bench

    out = tmp_path / "shape"
    assert bench.main(["--smoke", "--out", str(out)]) == 0
    (result,) = json.loads((out / "results.json").read_text())
    assert result["k"] and all(v >= 0 for v in result["k"].values() if v == v)
    assert "lamellae" in (out / "results.md").read_text()
    assert result["resolved"]["directional_s2"] in (True, False)  # "auto" as the fit chose
    assert np.load(out / "samples" / "lamellae.npy").shape == (2, 32, 32)  # exemplar, sample
    off = tmp_path / "off"
    assert bench.main(["--smoke", "--out", str(off), "--set", '{"directional_s2": false}']) == 0
    assert json.loads((off / "results.json").read_text())[0]["settings"]["directional_s2"] is False
    assert bench.main(["--out", str(out), "--plot", f"off={off}", f"auto={out}"]) == 0
    assert (out / "shape.png").stat().st_size > 0


def test_intervals_domain_runs_both_stacks_resumes_and_tabulates(tmp_path):
    _needs_data()
    from benchmarks.generalisation import intervals_domain as bench

    out = tmp_path / "intervals"
    assert bench.main(["--smoke", "--out", str(out)]) == 0
    assert bench.main(["--smoke", "--out", str(out), "--region", "extreme"]) == 0
    rows = _lines(out / "results.jsonl")
    assert {(r["part"], r["region"]) for r in rows} == {
        (part, region) for part in ("composition", "multimodal") for region in ("cluster", "extreme")
    }
    for r in rows:
        assert 0 <= r["auc"] <= 1 and r["in_rows"] > 0 and r["shift_rows"] > 0
        for level in (80, 90):
            assert all(0 <= h <= r["in_rows"] for h in r[f"in_{level}_hits"])
            assert len(r[f"in_{level}_half_width"]) == len(r["targets"])
    composition = next(r for r in rows if r["part"] == "composition")
    assert composition["blend_optimism"][0] > 0  # cross-fitted over kept residuals
    assert bench.main(["--smoke", "--out", str(out)]) == 0  # resumes: nothing new
    assert len(_lines(out / "results.jsonl")) == len(rows)
    summary = (out / "summary.md").read_text()
    assert "Held-out region" in summary and "naive" in summary and (out / "coverage.png").is_file()
