"""Smoke test of benchmarks/composition_crossprop.py on tiny stand-in data and a tiny source."""

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sktl.transfer import pretrain_source

REPO = Path(__file__).resolve().parents[2]
FORMULAS = ["NaCl", "KCl", "Fe2O3", "Al2O3", "MgO", "CaO", "TiO2", "ZnS", "GaAs", "SiC"]


@pytest.fixture
def bench(monkeypatch):
    monkeypatch.syspath_prepend(str(REPO / "benchmarks"))
    spec = importlib.util.spec_from_file_location("composition_crossprop", REPO / "benchmarks/composition_crossprop.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    rng = np.random.default_rng(0)

    def tiny(name):
        frame = lambda n: pd.DataFrame({"formula": FORMULAS * n, "target": rng.normal(50, 10, 10 * n)})  # noqa: E731
        return {"train": frame(4), "val": frame(1), "test": frame(1)}

    monkeypatch.setattr(module, "load_target", tiny)
    monkeypatch.setitem(module.TARGET_NET, "max_epochs", 2)
    # the target network must repeat the source's architecture to take its weights
    monkeypatch.setitem(module.TARGET_NET, "architecture", "16B-8B-1")
    yield module
    sys.modules.pop("composition_crossprop", None)


def test_runs_resumes_and_tabulates(bench, tmp_path, capsys):
    source = tmp_path / "source.skops"
    pretrain_source(FORMULAS * 3, np.linspace(-3, 0, 30), path=source, verbose=0,
                    architecture="16B-8B-1", max_epochs=2, early_stopping=False)  # fmt: skip
    args = ["--source", str(source), "--out", str(tmp_path / "out"), "--targets", "bulk_modulus",
            "--models", "RF properties,TL:Fine-tune,TL+RL (bridged)", "--n-train", "20,all",
            "--seeds", "0,1"]  # fmt: skip
    bench.main(args)
    rows = [json.loads(line) for line in (tmp_path / "out" / "results.jsonl").read_text().splitlines()]
    # forests: 2 seeds at n=20, 1 at all; networks: 2 seeds at each n
    assert len(rows) == 2 + 1 + 2 * 2 * 2
    assert all(r["mae"] > 0 for r in rows)
    bench.main(args)  # resumes: nothing left to fit
    assert len((tmp_path / "out" / "results.jsonl").read_text().splitlines()) == len(rows)
    capsys.readouterr()
    bench.main([*args, "--table"])
    printed = capsys.readouterr().out
    assert "TL:Fine-tune ensemble of 2" in printed and "RF properties" in printed
