"""On-disk cache of generated datasets: one .npz per argument set, written atomically."""

from __future__ import annotations

import hashlib
import json
import os
import warnings
from pathlib import Path

import numpy as np

from ._base import get_cache_home, get_data_home

#: The docstring text of every generator's ``cache_dir`` parameter.
CACHE_DIR_DOC = """    cache_dir : None, True or path-like, default=None
        Keep generated sets on disk, keyed by every argument that changes the data, and read
        them back on the next call: None generates every time and writes nothing, True uses
        :func:`sktl.datasets.get_cache_home` (``$SKTL_CACHE`` or ``~/.cache/sktl``), a path
        uses that folder. It may not lie inside :func:`sktl.datasets.get_data_home` (the
        reference data). Only sets with an int ``random_state`` are cached."""


def generator_folder(cache_dir, name: str) -> Path | None:
    """Folder of generator ``name`` under ``cache_dir`` (None: no cache), checked."""
    if cache_dir is None:
        return None
    if cache_dir is True:
        root = get_cache_home()
    elif isinstance(cache_dir, (str, os.PathLike)):
        root = Path(cache_dir).expanduser()
    else:
        raise ValueError(
            f"cache_dir must be None (no cache), True (get_cache_home()) or a folder; got "
            f"{cache_dir!r}."
        )
    data_home, resolved = get_data_home().resolve(), root.resolve()
    if resolved == data_home or data_home in resolved.parents:
        raise ValueError(
            f"cache_dir {root} lies inside the reference data folder {data_home} "
            "(get_data_home()); generated sets are never written there. Pass another folder, "
            "or cache_dir=True for get_cache_home()."
        )
    return root / name


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
