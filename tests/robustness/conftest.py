"""Print how many malformed-input cases the robustness suite tried."""

from __future__ import annotations


def pytest_terminal_summary(terminalreporter):
    from ._cases import COUNTS

    if COUNTS:
        total = sum(COUNTS.values())
        kinds = ", ".join(f"{k} {v}" for k, v in sorted(COUNTS.items()))
        terminalreporter.write_line(f"robustness suite: {total} malformed-input cases ({kinds})")
