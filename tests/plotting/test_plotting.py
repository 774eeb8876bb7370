"""sktl.plotting draws with matplotlib's object-oriented API and leaves global state alone."""

import re
import subprocess
import sys
import textwrap

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
plt = pytest.importorskip("matplotlib.pyplot")
from matplotlib.figure import Figure  # noqa: E402

from sktl.plotting import plot_calibration, plot_loss_curves, plot_parity  # noqa: E402

HISTORY = [{"train_loss": 1.0 / (e + 1), "valid_loss": 1.5 / (e + 1)} for e in range(5)]


def _parity():
    rng = np.random.default_rng(0)
    y = rng.random((30, 4))
    return plot_parity(y, {"a": y + 0.05 * rng.normal(size=y.shape), "b": y}, list("wxyz"))


def _calibration():
    y, y_pis = _intervals()
    return plot_calibration(y, {"a": y_pis, "b": y_pis[::-1]}, LEVELS, target_names=["u", "v"])


def _parity_with_intervals():
    y, y_pis = _intervals()
    return plot_parity(y, {"a": y, "b": y + 0.1}, intervals={"a": y_pis[:, :, 1]})


LEVELS = [0.5, 0.8, 0.9]


def _intervals(n=40, seed=0):
    """Targets (n, 2) and intervals (n, 2, 3 levels, 2 targets) of growing half-widths."""
    rng = np.random.default_rng(seed)
    y = rng.normal(size=(n, 2))
    centre = y + rng.normal(size=(n, 2))
    half = np.array([0.5, 1.0, 1.5])[None, :, None] * rng.uniform(0.5, 1.5, size=(n, 1, 2))
    y_pis = np.stack([centre[:, None] - half, centre[:, None] + half], axis=1)
    return y, y_pis


def _loss():
    return plot_loss_curves({"a": HISTORY, "b": [{"train_loss": 0.5}, {"train_loss": 0.25}]})


def _global_state():
    return {
        "backend": matplotlib.get_backend(),
        "figures": plt.get_fignums(),
        "rcParams": matplotlib.rcParams.copy(),
        "interactive": matplotlib.is_interactive(),
    }


@pytest.mark.parametrize(
    "make",
    [_parity, _loss, _calibration, _parity_with_intervals],
    ids=["plot_parity", "plot_loss_curves", "plot_calibration", "plot_parity_intervals"],
)
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


def test_calibration_plots_the_empirical_coverage_of_each_target():
    y, y_pis = _intervals()
    levels = np.array([0.9, 0.5, 0.8])  # any order: the lines run along the sorted levels
    y_pis = y_pis[:, :, [2, 0, 1]]
    fig = plot_calibration(y, y_pis, levels, target_names=["u", "v"])
    (ax,) = fig.axes
    diagonal, *lines = ax.get_lines()
    assert np.allclose(diagonal.get_xdata(), [0, 1]) and np.allclose(diagonal.get_ydata(), [0, 1])
    assert [line.get_label() for line in lines] == ["u", "v"]
    for j, line in enumerate(lines):
        inside = (y_pis[:, 0, :, j] <= y[:, [j]]) & (y[:, [j]] <= y_pis[:, 1, :, j])
        expected = inside.mean(axis=0)[[1, 2, 0]]  # levels 0.5, 0.8, 0.9
        assert np.array_equal(line.get_xdata(), [0.5, 0.8, 0.9])
        assert np.allclose(line.get_ydata(), expected)
        assert np.all(np.diff(line.get_ydata()) >= 0)  # nested intervals: coverage grows
    assert ax.get_xlabel() == "nominal confidence level"


def test_calibration_of_one_target_and_of_several_models():
    y, y_pis = _intervals()
    one = plot_calibration(y[:, 0], y_pis[..., 0], LEVELS)
    assert [line.get_label() for line in one.axes[0].get_lines()] == ["nominal", "y0"]
    fig = plot_calibration(y, {"a": y_pis, "b": y_pis[::-1]}, LEVELS, target_names=["u", "v"])
    a, b = fig.axes[:2]
    assert (a.get_title(), b.get_title()) == ("a", "b")
    shuffled = ((y_pis[::-1, 0] <= y[:, None]) & (y[:, None] <= y_pis[::-1, 1])).mean(axis=0)
    assert np.allclose(b.get_lines()[2].get_ydata(), shuffled[:, 1])


def test_parity_error_bars_span_the_bounds():
    y, y_pis = _intervals()
    at_80 = y_pis[:, :, 1]  # (n, 2, n_targets)
    fig = plot_parity(y, {"a": y, "b": y + 0.1}, ["u", "v"], intervals={"a": at_80})
    for j, ax in enumerate(fig.axes):
        (bars,) = [c for c in ax.collections if c.get_label().startswith("a interval")]
        segments = np.array(bars.get_segments())  # (n, 2 ends, (x, y))
        assert np.allclose(segments[:, :, 0], y[:, [j]])  # vertical, at the true value
        assert np.allclose(segments[:, 0, 1], at_80[:, 0, j])
        assert np.allclose(segments[:, 1, 1], at_80[:, 1, j])
        covered = np.mean((at_80[:, 0, j] <= y[:, j]) & (y[:, j] <= at_80[:, 1, j]))
        labels = [t.get_text() for t in ax.get_legend().get_texts()]
        assert labels == ["a (R2 1.00)", f"a interval (covers {covered:.0%})", "b (R2 0.99)"]
        (points,) = [c for c in ax.collections if c.get_label().startswith("a (")]
        assert np.allclose(bars.get_colors()[0][:3], points.get_facecolor()[0][:3])


def test_parity_error_bars_of_one_target():
    y, y_pis = _intervals()
    for pis in (y_pis[:, :, 2, 0], y_pis[:, :, 2, :1]):  # (n, 2) and (n, 2, 1)
        fig = plot_parity(y[:, 0], {"m": y[:, 0]}, intervals={"m": pis})
        segments = np.array(fig.axes[0].collections[1].get_segments())
        assert np.allclose(segments[:, :, 1], y_pis[:, :, 2, 0])


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda y, p: plot_calibration(y, p[:-1], LEVELS), "y_true has 40 samples"),
        (lambda y, p: plot_calibration(y, p, [0.8, 0.9]), "holds 3 confidence levels"),
        (lambda y, p: plot_calibration(y, p[..., :1], LEVELS), "holds 1 targets"),
        (lambda y, p: plot_calibration(y, p[..., 0], LEVELS), "2 target(s)"),
        (lambda y, p: plot_calibration(y, p[:, ::-1], LEVELS), "lower bounds above upper"),
        (lambda y, p: plot_calibration(y, p, [0.5, 0.8, 1.0]), "confidence_level must lie"),
        (lambda y, p: plot_calibration(y, p, LEVELS, target_names=["u"]), "1 names for 2"),
        (lambda y, p: plot_calibration(y, {}, LEVELS), "empty dict"),
        (lambda y, p: plot_calibration(y, p[:, :1], LEVELS), "lower and upper bounds"),
        (lambda y, p: plot_parity(y, {"a": y}, intervals={"a": p}), "one confidence level"),
        (lambda y, p: plot_parity(y, {"a": y}, intervals={"b": p[:, :, 0]}), "names no model"),
        (lambda y, p: plot_parity(y, {"a": y[:, :1]}), "predictions['a'] has shape"),
        (
            lambda y, p: plot_parity(y[:, 0], {"a": y[:, 0]}, intervals={"a": p[..., 0]}),
            "one confidence level",
        ),
        (
            lambda y, p: plot_parity(
                y, {"a": y}, intervals={"a": np.where(p[:, :, 0] > 0, np.inf, p[:, :, 0])}
            ),
            "infinite bounds",
        ),
    ],
)
def test_plots_refuse_inconsistent_inputs(call, message):
    y, y_pis = _intervals()
    with pytest.raises(ValueError, match=re.escape(message)):
        call(y, y_pis)


def test_calibration_accepts_unbounded_sides():
    y, y_pis = _intervals()
    y_pis[:, 1, 2] = np.inf  # a level with too few rows: an unbounded upper side
    fig = plot_calibration(y, y_pis, LEVELS)
    below = (y_pis[:, 0, 2] <= y).mean(axis=0)
    assert np.allclose([line.get_ydata()[2] for line in fig.axes[0].get_lines()[1:]], below)


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
        from sktl.plotting import plot_calibration, plot_loss_curves, plot_parity
        import numpy as np
        y = np.arange(12.0).reshape(6, 2)
        pis = np.stack([y - 1, y + 1], axis=1)
        plot_parity(y, {{"m": y}}, intervals={{"m": pis}}).savefig({str(tmp_path / "parity.png")!r})
        plot_calibration(y, pis[:, :, None], 0.9).savefig({str(tmp_path / "calibration.png")!r})
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
    assert (tmp_path / "calibration.png").read_bytes()[:4] == b"\x89PNG"
