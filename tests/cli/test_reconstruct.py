import json

import numpy as np
import pytest
from PIL import Image

from sktl.cli import main


def _input(tmp_path, size=64):
    from scipy.ndimage import gaussian_filter

    f = gaussian_filter(np.random.default_rng(0).standard_normal((size, size)), 2.0)
    img = (f > 0.1).astype(np.uint8)
    np.save(tmp_path / "in.npy", img)
    return img


def test_reconstruct_end_to_end(tmp_path, capsys):
    _input(tmp_path)
    out = tmp_path / "out"
    args = ["reconstruct", str(tmp_path / "in.npy"), "--n", "2", "--size", "40", "--out", str(out)]
    assert main([*args, "--max-iter", "3", "--quiet"]) == 0
    assert "s2" in capsys.readouterr().out
    samples = np.load(out / "samples.npy")
    assert samples.shape == (2, 40, 40) and set(np.unique(samples)) <= {0, 1}
    report = json.loads((out / "report.json").read_text())
    # auto: the taps whose receptive field fits the coarsest level (40 px / 2 with 2 levels)
    assert report["layers"] == ["conv1_1", "pool1", "pool2"]
    assert set(report["error_rate_percent"]) == {"s2", "lineal_path"}
    assert len(report["error_rate_percent"]["s2"]["1"]) == 2
    for name in (
        "sample_1.png",
        "sample_2.npy",
        "panel.png",
        "s2.png",
        "lineal_path.png",
        "report.txt",
    ):
        assert (out / name).stat().st_size > 0


def test_reconstruct_with_descriptor_terms(tmp_path):
    _input(tmp_path, 40)
    out = tmp_path / "out"
    args = ["reconstruct", str(tmp_path / "in.npy"), "--n", "1", "--out", str(out), "--quiet"]
    extra = ["--max-iter", "5,3", "--s2-weight", "10", "--lineal-path-weight", "3", "--no-anneal"]
    assert main([*args, *extra, "--directional-s2", "off"]) == 0
    report = json.loads((out / "report.json").read_text())
    assert (report["s2_weight"], report["lineal_path_weight"], report["annealed"]) == (10, 3, False)
    assert report["settings"]["max_iter"] == [5, 3]  # one count per level, coarsest first
    assert report["settings"]["directional_s2"] is False
    assert np.load(out / "samples.npy").shape == (1, 40, 40)


def test_reconstruct_refuses_bad_iteration_counts(tmp_path, capsys):
    _input(tmp_path, 40)
    args = ["reconstruct", str(tmp_path / "in.npy"), "--n", "1", "--out", str(tmp_path / "o")]
    with pytest.raises(SystemExit) as exit_:  # checked at parse time
        main([*args, "--max-iter", "5,0"])
    assert exit_.value.code == 2 and "argument --max-iter" in capsys.readouterr().err
    assert main([*args, "--max-iter", "5,3,2", "--quiet"]) == 2  # 3 counts, 2 levels
    assert "one per level of n_levels=2" in capsys.readouterr().err


def test_reconstruct_reads_grey_png(tmp_path):
    img = _input(tmp_path, 32)
    Image.fromarray(img * 255).save(tmp_path / "in.png")
    out = tmp_path / "png"
    args = ["reconstruct", str(tmp_path / "in.png"), "--n", "1", "--out", str(out)]
    assert main([*args, "--max-iter", "2", "--layers", "conv1_1,pool1", "--quiet"]) == 0
    assert set(np.unique(np.load(out / "sample_1.npy"))) <= {0, 255}


def test_reconstruct_errors_are_one_line(tmp_path, capsys):
    (tmp_path / "bad.png").write_bytes(b"not an image")
    for argv, needle in [
        (["reconstruct", str(tmp_path / "bad.png")], "bad.png: is not a readable image"),
        (["reconstruct", str(tmp_path / "missing.npy")], "does not exist"),
    ]:
        code = main([*argv, "--out", str(tmp_path / "o")])
        err = capsys.readouterr().err.strip().splitlines()
        assert code == 2 and len(err) == 1 and needle in err[0]
    np.save(tmp_path / "many.npy", np.arange(64 * 64).reshape(64, 64) % 7)
    assert main(["reconstruct", str(tmp_path / "many.npy"), "--out", str(tmp_path / "o")]) == 2
    assert "2 to 5 phases" in capsys.readouterr().err


def test_reconstruct_volume_writes_npy_vtk_and_slices(tmp_path, capsys):
    _input(tmp_path, 32)
    out = tmp_path / "vol"
    args = ["reconstruct", str(tmp_path / "in.npy"), "--n", "1", "--out", str(out), "--quiet"]
    extra = ["--shape", "16,16,16", "--max-iter", "2", "--n-levels", "1", "--vtk"]
    with pytest.raises(SystemExit) as exit_:  # checked at parse time
        main([*args, *extra, "--n-slices", "0"])
    assert exit_.value.code == 2 and "argument --n-slices" in capsys.readouterr().err
    assert main([*args, *extra, "--n-slices", "all", "--out", str(tmp_path / "all")]) == 0
    report = json.loads((tmp_path / "all" / "report.json").read_text())
    assert report["settings"]["n_slices"] is None  # every slice
    for bad in ("4,-1", "4,x"):
        with pytest.raises(SystemExit) as exit_:
            main([*args, *extra, "--n-slices", bad])
        assert exit_.value.code == 2 and "argument --n-slices" in capsys.readouterr().err
    assert main([*args, *extra, "--n-slices", "4,0"]) == 2  # 2 counts, 1 level: fit refuses
    capsys.readouterr()
    levels = ["--n-levels", "2", "--s2-weight", "10", "--out", str(tmp_path / "levels")]
    assert main([*args, *extra, "--n-slices", "4,0", *levels]) == 0
    report = json.loads((tmp_path / "levels" / "report.json").read_text())
    assert report["settings"]["n_slices"] == [4, 0]
    levels[-1] = str(tmp_path / "levels_preset")  # the preset's counts for 2 levels
    assert main([*args, *extra, *levels]) == 0
    report = json.loads((tmp_path / "levels_preset" / "report.json").read_text())
    assert report["settings"]["n_slices"] == [8, 2]
    assert main([*args, *extra, "--n-slices", "4"]) == 0
    assert "axis 2 slices" in capsys.readouterr().out
    vol = np.load(out / "volume_1.npy")
    assert vol.shape == (16, 16, 16)
    report = json.loads((out / "report.json").read_text())
    assert report["preset"] == "sktl_volume" and report["sample_shape"] == [16, 16, 16]
    assert report["settings"]["n_slices"] == 4
    assert set(report["error_rate_percent"]["s2"]) == {"0", "1", "2"}  # one entry per axis
    vtk = (out / "volume_1.vtk").read_bytes()
    assert vtk.startswith(b"# vtk DataFile") and b"DIMENSIONS 16 16 16" in vtk
    payload = vtk.split(b"LOOKUP_TABLE default\n", 1)[1][:-1]
    np.testing.assert_array_equal(np.frombuffer(payload, ">i4").reshape(16, 16, 16), vol)
    assert len(list(out.glob("volume_1_axis*_slice*.png"))) == 9
    assert (out / "slices.png").stat().st_size > 0


def test_reconstruct_three_planes_and_bad_counts(tmp_path, capsys):
    img = _input(tmp_path, 24)
    for name in ("b", "c"):
        np.save(tmp_path / f"{name}.npy", img.T.copy())
    out = tmp_path / "planes"
    files = [str(tmp_path / f) for f in ("in.npy", "b.npy", "c.npy")]
    extra = ["--shape", "16,16,16", "--max-iter", "1", "--n-levels", "1", "--quiet"]
    assert main(["reconstruct", *files, "--n", "1", "--out", str(out), *extra]) == 0
    # sktl_volume's (8, 8, 2) for one level: its coarsest count
    assert json.loads((out / "report.json").read_text())["settings"]["n_slices"] == [8]
    code = main(["reconstruct", *files[:2], "--out", str(out)])
    assert code == 2 and "three" in capsys.readouterr().err
    code = main(["reconstruct", files[0], "--vtk", "--out", str(out)])
    assert code == 2 and "--shape D,H,W" in capsys.readouterr().err


def test_reconstruct_time_budget_is_passed_on_and_reported(tmp_path, monkeypatch, capsys):
    import itertools

    from sktl.reconstruction import _clock

    ticks = itertools.count()  # the budget's clock: one second per reading
    monkeypatch.setattr(_clock, "clock", lambda: float(next(ticks)))
    _input(tmp_path, 32)
    args = ["reconstruct", str(tmp_path / "in.npy"), "--n", "2", "--quiet"]
    for shape, n_levels in (("24,24", "2"), ("12,12,12", "1")):
        out = tmp_path / shape
        extra = ["--shape", shape, "--n-levels", n_levels, "--max-iter", "50", "--time-budget", "8"]
        with pytest.warns(UserWarning, match="ran out of time_budget=8 s"):
            assert main([*args, *extra, "--out", str(out)]) == 0
        assert "time budget of 8 s ran out" in capsys.readouterr().out
        samples = np.load(out / "samples.npy")
        assert samples.shape == (2, *map(int, shape.split(","))) and set(np.unique(samples)) <= {0, 1}
        report = json.loads((out / "report.json").read_text())
        assert report["time_budget"] == 8 and report["time_budget_exhausted"] is True
        assert report["unfinished_samples"]["1"] == "not started"
        assert report["loss_reduction"][1] is None  # never started: no loss
    out = tmp_path / "enough"
    extra = ["--size", "24", "--n-levels", "1", "--max-iter", "2", "--time-budget", "1e9"]
    assert main([*args, *extra, "--out", str(out)]) == 0
    report = json.loads((out / "report.json").read_text())
    assert report["time_budget_exhausted"] is False and report["unfinished_samples"] == {}
    for bad in ("0", "-3", "soon"):
        with pytest.raises(SystemExit) as exit_:
            main([*args, "--time-budget", bad, "--out", str(out)])
        assert exit_.value.code == 2 and "argument --time-budget" in capsys.readouterr().err
