"""Fault injectors of the fault suite: damage files, deny writes, interrupt, race writers.

Each injector does one thing to one file or one call and records it in ``TRIED`` (kind ->
count), so the suite can say how many cases of each kind it ran. The rule every test checks:
an injected fault ends in a correct result, a recompute with a warning, or a clear sktl error
that names the file; never wrong numbers.
"""

from __future__ import annotations

import contextlib
import os
import pkgutil
import shutil
import threading
from collections import Counter
from pathlib import Path
from unittest import mock

import numpy as np

TRIED: Counter = Counter()


def flip_bits(path, n_bits: int = 2, seed: int = 0) -> None:
    """Flip ``n_bits`` random bits of ``path`` in place (past the first 64 bytes if it can)."""
    data = bytearray(Path(path).read_bytes())
    rng = np.random.default_rng(seed)
    low = 64 if len(data) > 128 else 0
    for pos in rng.integers(low, len(data), size=n_bits):
        data[pos] ^= 1 << int(rng.integers(8))
    Path(path).write_bytes(bytes(data))
    TRIED["flip bits"] += 1


def truncate(path, fraction: float = 0.5) -> None:
    """Keep the first ``fraction`` of the bytes of ``path``."""
    data = Path(path).read_bytes()
    Path(path).write_bytes(data[: int(len(data) * fraction)])
    TRIED["truncate"] += 1


def empty(path) -> None:
    """Make ``path`` a file of zero bytes."""
    Path(path).write_bytes(b"")
    TRIED["empty"] += 1


def swap(a, b) -> None:
    """Exchange the contents of files ``a`` and ``b`` (each stays a valid file of its kind)."""
    tmp = Path(a).with_name(Path(a).name + ".swap")
    shutil.copyfile(a, tmp)
    shutil.copyfile(b, a)
    shutil.copyfile(tmp, b)
    tmp.unlink()
    TRIED["swap"] += 1


def garbage(path, n_bytes: int = 256, seed: int = 0) -> None:
    """Replace ``path`` by random bytes."""
    Path(path).write_bytes(np.random.default_rng(seed).bytes(n_bytes))
    TRIED["garbage"] += 1


@contextlib.contextmanager
def deny_writes(*modules_or_functions):
    """Writes fail with PermissionError, as on a read-only file system (tests run as root).

    ``os.replace`` and opening a file for writing raise inside the block.
    """
    real_open = open

    def guarded_open(file, mode="r", *args, **kwargs):
        if any(c in mode for c in "wax+"):
            raise PermissionError(13, "Permission denied (injected)", str(file))
        return real_open(file, mode, *args, **kwargs)

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied (injected)")

    TRIED["deny writes"] += 1
    with (
        mock.patch("builtins.open", guarded_open),
        mock.patch.object(os, "replace", denied),
        mock.patch.object(Path, "mkdir", denied),
    ):
        yield


@contextlib.contextmanager
def interrupt_on_call(target: str, n: int = 1):
    """Raise KeyboardInterrupt on the ``n``-th call of ``target`` ("module.attr" or
    "module.Class.method" to patch)."""
    original = pkgutil.resolve_name(target)
    calls = {"n": 0}

    def wrapper(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == n:
            raise KeyboardInterrupt
        return original(*args, **kwargs)

    TRIED["interrupt"] += 1
    with mock.patch(target, wrapper):
        yield calls


def run_writers(fn, n_threads: int = 4, repeats: int = 10) -> list[BaseException]:
    """Run ``fn()`` ``repeats`` times in each of ``n_threads`` threads at once; the errors."""
    errors: list[BaseException] = []
    start = threading.Barrier(n_threads)

    def work():
        start.wait()
        for _ in range(repeats):
            try:
                fn()
            except BaseException as exc:  # noqa: BLE001 - collected for the assertion
                errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    TRIED["two writers"] += 1
    return errors
