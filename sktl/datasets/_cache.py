"""On-disk cache of generated datasets: one verified .npz per argument set, written atomically.

Each file carries the full digest of the arguments it was generated for and a checksum, shape
and dtype per array (:mod:`sktl.utils._verified`); the reader also checks the shapes the
arguments imply (the number of rows above all). Anything else is a miss: the set is generated
again and the file overwritten, with one :class:`~sktl.DamagedCacheWarning` naming it.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np

from ..utils._errors import DamagedCacheWarning
from ..utils._verified import read_verified, warn_once, write_verified
from ._base import get_cache_home, get_data_home

#: Name ending of the verified files. Files of earlier sktl versions (``<digest>.npz`` without
#: a header) do not end so, are never read, and stay where they are.
_SUFFIX = ".verified.npz"



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


def _spec_digest(spec: dict) -> str:
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()


def cache_file(cache_dir, name: str, spec: dict) -> Path | None:
    """The cache file of generator ``name`` for ``spec`` (None: no cache).

    ``spec`` holds everything that determines the generated numbers (the generator's name,
    its data version and every argument); the file is named by a short digest of it and
    :func:`read_arrays` checks the full digest.
    """
    folder = _generator_folder(cache_dir, name)
    if folder is None:
        return None
    return folder / f"{_spec_digest(spec)[:24]}{_SUFFIX}"


def read_arrays(path: Path | None, spec: dict, expected: dict) -> dict | None:
    """The arrays of the cache file made for ``spec``, or None (missing or damaged: regenerate).

    Parameters
    ----------
    path : Path or None
        From :func:`cache_file`; None reads nothing.
    spec : dict
        The arguments the file must have been written for.
    expected : dict
        ``name -> (shape, dtype)`` of every array the caller needs; a file whose arrays have
        other shapes or dtypes (another number of rows, say) is a miss, with a warning.
    """
    if path is None:
        return None
    arrays = read_verified(path, _spec_digest(spec), names=tuple(expected))
    if arrays is None:
        return None
    for name, (shape, dtype) in expected.items():
        got = arrays[name]
        if got.shape != tuple(shape) or got.dtype != np.dtype(dtype):
            warn_once(
                str(path),
                f"Ignoring the damaged cache file {path}: its array {name!r} has shape "
                f"{got.shape} and dtype {got.dtype}, not {tuple(shape)} and {np.dtype(dtype)}. "
                "It is recomputed and overwritten.",
                DamagedCacheWarning,
            )
            return None
    return arrays


def write_arrays(path: Path | None, spec: dict, **arrays: np.ndarray) -> None:
    """Write the cache file of ``spec`` atomically; if that fails, warn once and go on.

    A folder that cannot be written (read-only, no permission, disk full) never fails the
    generation: the set is returned uncached, with one warning per folder and process.
    """
    if path is None:
        return
    try:
        write_verified(path, _spec_digest(spec), **arrays)
    except OSError as exc:
        warn_once(
            f"unwritable:{path.parent}",
            f"Could not write to the dataset cache folder {path.parent} ({exc}); the data set "
            "is returned without being cached. Make the folder writable, or pass another "
            "cache_dir (None: no cache).",
        )
