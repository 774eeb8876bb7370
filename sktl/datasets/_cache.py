"""On-disk cache of generated datasets: one .npz per argument set, written atomically."""

from __future__ import annotations

import hashlib
import json
import os
import warnings
from pathlib import Path

import numpy as np

from ._base import get_cache_home, get_data_home


def _generator_folder(cache_dir, name: str) -> Path | None:
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


def cache_file(cache_dir, name: str, spec: dict) -> Path | None:
    """The cache file of generator ``name`` for ``spec`` (None: no cache).

    ``spec`` holds everything that determines the generated numbers; the file is named by a
    short digest of it.
    """
    folder = _generator_folder(cache_dir, name)
    if folder is None:
        return None
    key = hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:24]
    return folder / f"{key}.npz"


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
