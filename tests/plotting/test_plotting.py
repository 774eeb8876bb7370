"""sktl.plotting draws with matplotlib's object-oriented API and leaves global state alone."""

import subprocess
import sys
import textwrap

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
plt = pytest.importorskip("matplotlib.pyplot")
from matplotlib.figure import Figure  # noqa: E402

from sktl.plotting import plot_loss_curves, plot_parity  # noqa: E402

HISTORY = [{"train_loss": 1.0 / (e + 1), "valid_loss": 1.5 / (e + 1)} for e in range(5)]


def _parity():
    rng = np.random.default_rng(0)
    y = rng.random((30, 4))
    return plot_parity(y, {"a": y + 0.05 * rng.normal(size=y.shape), "b": y}, list("wxyz"))


def _loss():
    return plot_loss_curves({"a": HISTORY, "b": [{"train_loss": 0.5}, {"train_loss": 0.25}]})


def _global_state():
    return {
        "backend": matplotlib.get_backend(),
        "figures": plt.get_fignums(),
        "rcParams": matplotlib.rcParams.copy(),
        "interactive": matplotlib.is_interactive(),
    }


@pytest.mark.parametrize("make", [_parity, _loss], ids=["plot_parity", "plot_loss_curves"])
def test_plots_leave_matplotlib_global_state_unchanged(make, tmp_path):
    mine = plt.figure()  # a figure of the caller's, which must stay the only one
    try:
        before = _global_state()
        fig = make()
        fig.savefig(tmp_path / "plot.png", dpi=50)
        fig.savefig(tmp_path / "plot.svg")
        after = _global_state()
    finally:
        plt.close(mine)
    assert isinstance(fig, Figure)
    assert (tmp_path / "plot.png").stat().st_size > 0 and (tmp_path / "plot.svg").exists()
    assert after["backend"] == before["backend"]
    assert after["figures"] == before["figures"] == [mine.number]
    assert after["interactive"] == before["interactive"]
    changed = [k for k in before["rcParams"] if after["rcParams"][k] != before["rcParams"][k]]
    assert changed == []


def test_parity_plot_content():
    fig = _parity()
    axes = fig.axes
    assert len(axes) == 6  # 4 targets on a 2x3 grid, the two spare panels hidden
    assert [ax.get_title() for ax in axes[:4]] == list("wxyz")
    assert not axes[4].axison and not axes[5].axison
    labels = [t.get_text() for t in axes[0].get_legend().get_texts()]
    assert labels[0].startswith("a (R2 ") and labels[1] == "b (R2 1.00)"


def test_loss_curves_content():
    fig = _loss()
    (ax,) = fig.axes
    assert ax.get_yscale() == "log"
    labels = [line.get_label() for line in ax.get_lines()]
    assert labels == ["a train", "a valid", "b train"]


def test_a_non_agg_backend_is_kept_and_pyplot_never_imported(tmp_path):
    # a fresh interpreter on another backend: the old code switched it to Agg
    code = textwrap.dedent(
        f"""
        import sys
        import matplotlib
        matplotlib.use("svg")
        rc = matplotlib.rcParams.copy()
        from sktl.plotting import plot_loss_curves, plot_parity
        import numpy as np
        y = np.arange(12.0).reshape(6, 2)
        plot_parity(y, {{"m": y}}).savefig({str(tmp_path / "parity.png")!r})
        plot_loss_curves({{"m": [{{"train_loss": 1.0}}]}}).savefig({str(tmp_path / "loss.png")!r})
        assert matplotlib.get_backend() == "svg", matplotlib.get_backend()
        assert "matplotlib.pyplot" not in sys.modules
        assert matplotlib.rcParams.copy() == rc
        print("ok")
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"
    assert (tmp_path / "parity.png").read_bytes()[:4] == b"\x89PNG"
    assert (tmp_path / "loss.png").read_bytes()[:4] == b"\x89PNG"
