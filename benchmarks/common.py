"""What every benchmark shares: its arguments, the data home, the writers and the 95 % interval.

A script builds its parser with :func:`parser` (``--out``, ``--seed``, ``--quick``, ``--smoke``),
reads reference data through :func:`data_home`, and writes its tables with
:func:`write_markdown` / :func:`write_json` and its figures with :func:`save_figure`.

* ``--quick``: a few minutes on a laptop, for people trying the script;
* ``--smoke``: seconds (at most ~10 s), tiny data and one iteration of everything, so that
  ``tests/benchmarks`` runs every script end to end. Its numbers mean nothing.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import numpy as np
from scipy import stats

#: The repository root (benchmarks run from a checkout).
REPO = Path(__file__).resolve().parents[1]


def parser(description: str, *, out: str) -> argparse.ArgumentParser:
    """An argument parser with the shared flags; ``out`` is the default output folder."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--out", type=Path, default=Path(out), help=f"output folder (default: {out})")
    p.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    size = p.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="a few minutes: fewer sets and seeds")
    size.add_argument(
        "--smoke", action="store_true", help="seconds: checks that the script runs end to end"
    )
    return p


def mode(args) -> str:
    """The run size the parsed ``args`` ask for: "smoke", "quick" or "full"."""
    return "smoke" if args.smoke else "quick" if args.quick else "full"


def fill_defaults(args, table: dict[str, tuple]) -> None:
    """Set each flag of ``table`` the user left at None to its (full, quick, smoke) value."""
    index = ("full", "quick", "smoke").index(mode(args))
    for name, values in table.items():
        if getattr(args, name) is None:
            setattr(args, name, values[index])


def data_home() -> Path | None:
    """The reference-data folder: ``$SKTL_DATA``, else ``<repo>/../shared/data`` when it
    exists, else None (sktl's default, ``sktl.datasets.get_data_home()``)."""
    if os.environ.get("SKTL_DATA"):
        return Path(os.environ["SKTL_DATA"])
    shared = REPO.parent / "shared" / "data"
    return shared if shared.is_dir() else None


def ci95(values) -> tuple[float, float]:
    """Mean and half-width of its 95 % t-interval (NaN half-width with fewer than 2 values)."""
    values = np.asarray(values, dtype=float)
    if len(values) < 2:
        return float(values.mean()), float("nan")
    half = stats.t.ppf(0.975, len(values) - 1) * values.std(ddof=1) / np.sqrt(len(values))
    return float(values.mean()), float(half)


def write_markdown(path: Path, text: str) -> Path:
    """Write a markdown table (or report) to ``path``, creating its folder; return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text.rstrip("\n") + "\n")
    return path


def write_json(path: Path, data) -> Path:
    """Write ``data`` as indented JSON to ``path``, creating its folder; return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1, default=float) + "\n")
    return path


def markdown_table(header: list[str], rows: list[list]) -> str:
    """A markdown table; floats are written with 3 significant decimals."""

    def cell(v):
        return f"{v:.3g}" if isinstance(v, float) else str(v)

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def save_figure(fig, path: Path, dpi: int = 110) -> Path:
    """Save a matplotlib figure (made with :func:`sktl.plotting.new_figure`) to ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi, bbox_inches="tight")
    return path


def resume_results(path: Path, settings: dict) -> dict:
    """The results already in ``path`` (a resumable run's JSON), or an empty dict.

    ``settings`` (what changes the numbers: epochs, sizes, seed...) is kept under
    ``"_settings"``; resuming a run made with other settings is an error, so that results of
    two protocols never mix in one file.
    """
    path = Path(path)
    results = json.loads(path.read_text()) if path.is_file() else {}
    settings = json.loads(json.dumps(settings, default=float))
    stored = results.get("_settings")
    if stored is not None and stored != settings:
        raise SystemExit(
            f"{path} holds results made with {stored}, not {settings}; pass another --out "
            "or the same settings."
        )
    results["_settings"] = settings
    return results


class PeakRSS:
    """Peak resident memory (GB) of this process inside a ``with`` block (``gb``).

    On Linux the kernel's high-water mark is reset on entry (``/proc/self/clear_refs``) and
    read on exit (``VmHWM``), so the peak of earlier work does not count (memory the
    allocator kept from it still does: it is resident). Elsewhere ``gb`` is the process's
    peak so far (``ru_maxrss``), and ``exact`` is False.
    """

    def __init__(self):
        self.gb = 0.0
        self.exact = False

    @staticmethod
    def _status_gb(key: str) -> float:
        with open("/proc/self/status") as f:
            kb = next(int(line.split()[1]) for line in f if line.startswith(key + ":"))
        return kb / 1e6

    def __enter__(self):
        try:
            with open("/proc/self/clear_refs", "w") as f:
                f.write("5")  # resets VmHWM to the current RSS
            self.exact = True
        except OSError:
            self.exact = False
        return self

    def __exit__(self, *exc):
        if self.exact:
            self.gb = self._status_gb("VmHWM")
        else:
            import resource
            import sys

            scale = 1e9 if sys.platform == "darwin" else 1e6  # bytes on macOS, kB on Linux
            self.gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / scale
        return False
