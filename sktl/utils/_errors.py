"""The error and the warning of files sktl reads: one class each, naming the file."""

from __future__ import annotations

from pathlib import Path


class UnreadableFileError(ValueError, OSError):
    """A file sktl reads is damaged, truncated, or not the kind of file expected.

    It is a :class:`ValueError` (the content is wrong) and an :class:`OSError` (about a file),
    so either ``except`` clause catches it. The message names the file, says what was
    expected and what to do; the low-level error that revealed the damage is chained as
    ``__cause__``.

    Parameters
    ----------
    path : str or path-like
        The file.
    problem : str
        What is wrong with it.
    expected : str
        What the file should hold.
    fix : str
        What the user can do.
    """

    def __init__(self, path, problem: str, expected: str, fix: str):
        self.path = Path(path)
        self.problem, self.expected, self.fix = problem, expected, fix
        super().__init__(f"{self.path}: {problem}. Expected {expected}. {fix}")

    def __reduce__(self):
        return type(self), (self.path, self.problem, self.expected, self.fix)


class DamagedCacheWarning(UserWarning):
    """A cache entry failed its check (checksum, key, shape or dtype) and was recomputed."""
