"""The built wheel works on its own: package data, the estimators and the console script ship.

The wheel is built offline from a copy of the checkout (``pip wheel --no-deps
--no-build-isolation``: no download, and no ``build/`` or ``*.egg-info`` written into the shared
checkout), installed without dependencies into a fresh venv, and run from there. The new venv
borrows the dependencies of the running one (torch is not reinstalled) through a ``.pth`` file
that appends its site-packages as plain paths: their own ``.pth`` files, among them the
editable install's finder, are not processed, so ``import sktl`` can only find the wheel's copy
(asserted).
"""

from __future__ import annotations

import json
import os
import shutil
import site
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


def _run(cmd, *, cwd, timeout=120):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["OMP_NUM_THREADS"] = "1"
    out = subprocess.run(
        [str(c) for c in cmd],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert out.returncode == 0, f"{cmd} failed:\n{out.stdout}\n{out.stderr}"
    return out.stdout


def _source_copy(dest: Path) -> Path:
    """The files the build reads: the checkout's top-level files and the package."""
    dest.mkdir()
    for path in REPO.iterdir():
        if path.is_file():
            shutil.copy2(path, dest / path.name)
    shutil.copytree(
        REPO / "sktl", dest / "sktl", ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
    )
    return dest


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """``(wheel, venv python, venv bin directory)`` of a venv holding only the sktl wheel."""
    tmp = tmp_path_factory.mktemp("packaging")
    src = _source_copy(tmp / "src")
    dist = tmp / "dist"
    _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "--no-index", "--quiet", "-w", dist, src],
        cwd=tmp,
    )  # fmt: skip
    (wheel,) = dist.glob("sktl-*.whl")

    venv = tmp / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", venv], cwd=tmp)
    bindir = venv / ("Scripts" if os.name == "nt" else "bin")
    python = bindir / ("python.exe" if os.name == "nt" else "python")
    # pip of this venv installs into the new one (which has no pip of its own)
    _run(
        [sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index",
         "--quiet", wheel],
        cwd=tmp,
    )  # fmt: skip
    purelib = _run(
        [python, "-I", "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], cwd=tmp
    )
    ours = [p for p in dict.fromkeys(site.getsitepackages()) if Path(p).is_dir()]
    (Path(purelib.strip()) / "zz_borrowed_dependencies.pth").write_text("\n".join(ours) + "\n")
    return wheel, python, bindir


def test_wheel_ships_package_data_and_entry_point(installed):
    wheel, _, _ = installed
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
        console = zf.read(entry_points).decode()
    for data in (
        "spinodal_500x64.npz",
        "li2018_microstructures.npz",
        "mp_shear_modulus_sample.csv",
    ):
        assert f"sktl/datasets/data/{data}" in names
    assert "sktl = sktl.cli:main" in console
    assert not any(n.startswith(("tests/", "benchmarks/", "examples/", "tools/")) for n in names)


def test_installed_wheel_loads_data_and_fits(installed, tmp_path):
    _, python, _ = installed
    code = textwrap.dedent(
        """
        import json, sys
        from pathlib import Path
        import numpy as np
        import sktl
        import torch
        from sktl import DescriptorRegressor
        from sktl.datasets import load_spinodal

        data = load_spinodal()
        X = np.asarray(data.descriptors)[:60, :4]
        y = np.asarray(data.targets)[:60, 0]
        model = DescriptorRegressor(descriptor_units=(8,), max_epochs=2, random_state=0).fit(X, y)
        pred = model.predict(X)
        print(json.dumps({
            "sktl": sktl.__file__,
            "torch": torch.__file__,
            "prefix": sys.prefix,
            "images": list(np.shape(data.images)),
            "pred": list(pred.shape),
            "finite": bool(np.isfinite(pred).all()),
        }))
        """
    )
    # -I: no cwd, PYTHONPATH or user site on sys.path, so the checkout cannot leak in
    report = json.loads(_run([python, "-I", "-c", code], cwd=tmp_path).strip().splitlines()[-1])
    venv = Path(report["prefix"]).resolve()
    assert Path(report["sktl"]).resolve().is_relative_to(venv), report["sktl"]
    assert not Path(report["sktl"]).resolve().is_relative_to(REPO / "sktl")
    assert not Path(report["torch"]).resolve().is_relative_to(venv)  # borrowed, not installed
    assert report["images"] == [500, 64, 64]
    assert report["pred"] == [60] and report["finite"]


def test_installed_console_script(installed, tmp_path):
    _, _, bindir = installed
    script = bindir / ("sktl.exe" if os.name == "nt" else "sktl")
    assert script.exists()
    out = _run([script, "--help"], cwd=tmp_path)
    assert "usage: sktl" in out
    assert "demo" in out


def test_one_version_string():
    """sktl.__version__ is the release the CHANGELOG's top entry describes."""
    import re

    import sktl

    changelog = (Path(__file__).resolve().parents[1] / "CHANGELOG.md").read_text()
    top = re.search(r"^## (\d+\.\d+\.\d+)", changelog, re.M).group(1)
    assert sktl.__version__.split(".dev")[0] == top
