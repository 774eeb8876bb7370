"""On-disk cache of generated datasets: one .npz per argument set, written atomically."""

from __future__ import annotations

import hashlib
import json
import os
import warnings
from pathlib import Path

import numpy as np


def cache_dir(cache, name: str) -> Path | None:
    """Folder of generator ``name``: under a given path, ``$SKTL_CACHE`` or ``~/.cache/sktl``."""
    if cache is False or cache is None:
        return None
    root = (
        (os.environ.get("SKTL_CACHE") or Path.home() / ".cache" / "sktl")
        if cache is True
        else cache
    )
    return Path(root).expanduser() / name


def cache_key(spec: dict) -> str:
    """A short digest of everything that determines the generated numbers."""
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:24]


def read_arrays(path: Path | None, names) -> dict | None:
    """The arrays ``names`` of a cache file, or None (missing, corrupt or foreign: regenerate)."""
    if path is None:
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            return {n: data[n] for n in names}
    except FileNotFoundError:
        return None
    except Exception as exc:
        warnings.warn(f"Ignoring unreadable cache file {path} ({exc}).", stacklevel=3)
        return None


def write_arrays(path: Path | None, **arrays) -> None:
    """Write a cache file atomically (a temporary file, then a rename); warn if it fails."""
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp.npz")
        np.savez(tmp, **arrays)
        os.replace(tmp, path)
    except OSError as exc:
        warnings.warn(f"Could not write the dataset cache {path} ({exc}).", stacklevel=3)
