"""Every benchmark script follows the harness: a ``main``, the shared flags, a smoke test."""

import importlib
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
SCRIPTS = sorted(
    f"benchmarks.{p.parent.name}.{p.stem}"
    for group in ("paper", "generalisation", "speed")
    for p in (BENCHMARKS / group).glob("*.py")
    if not p.name.startswith("_")
)
TESTS = "\n".join(p.read_text() for p in Path(__file__).parent.glob("test_*.py"))


@pytest.mark.parametrize("module", SCRIPTS)
def test_script_has_main_the_shared_flags_and_a_smoke_test(module, capsys):
    script = importlib.import_module(module)
    assert callable(script.main)
    with pytest.raises(SystemExit) as exc:
        script.main(["--help"])
    assert exc.value.code == 0
    usage = capsys.readouterr().out
    for flag in ("--out", "--seed", "--quick", "--smoke"):
        assert flag in usage, (module, flag)
    group, name = module.split(".")[1:]
    assert f"{group} import" in TESTS and name in TESTS, f"no smoke test runs {module}"


def test_no_script_edits_sys_path_or_imports_private_sktl_names():
    import re

    for path in BENCHMARKS.rglob("*.py"):
        text = path.read_text()
        assert "sys.path" not in text, path
        assert not re.search(r"sktl(\.\w+)*\._\w+", text.split('"""', 2)[-1]), path


def test_peak_rss_sees_memory_taken_inside_the_block_only():
    import numpy as np

    from benchmarks import common

    with common.PeakRSS() as first:
        block = np.ones(200_000_000 // 8)  # 200 MB, touched
        del block
    if not first.exact:
        pytest.skip("no /proc/self/clear_refs: the peak is the process's so far")
    with common.PeakRSS() as after:
        pass
    assert first.gb >= after.gb + 0.15  # the first block's peak does not carry over
