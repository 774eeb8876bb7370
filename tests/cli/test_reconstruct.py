import json

import numpy as np
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
    assert report["layers"] == ["conv1_1", "pool1", "pool2"]  # auto: receptive field <= 40 px
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
    extra = ["--max-iter", "5", "--s2-weight", "10", "--lineal-path-weight", "3", "--no-anneal"]
    assert main([*args, *extra]) == 0
    report = json.loads((out / "report.json").read_text())
    assert (report["s2_weight"], report["lineal_path_weight"], report["annealed"]) == (10, 3, False)
    assert np.load(out / "samples.npy").shape == (1, 40, 40)


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
        (["reconstruct", str(tmp_path / "bad.png")], "cannot read"),
        (["reconstruct", str(tmp_path / "missing.npy")], "does not exist"),
    ]:
        code = main([*argv, "--out", str(tmp_path / "o")])
        err = capsys.readouterr().err.strip().splitlines()
        assert code == 2 and len(err) == 1 and needle in err[0]
    np.save(tmp_path / "many.npy", np.arange(64 * 64).reshape(64, 64) % 7)
    assert main(["reconstruct", str(tmp_path / "many.npy"), "--out", str(tmp_path / "o")]) == 2
    assert "2 to 5 phases" in capsys.readouterr().err
