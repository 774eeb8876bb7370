"""Cache files that prove what they hold: arrays plus the key, shapes, dtypes and checksums.

Every cache entry sktl writes (frozen image features, generated datasets) goes through
:func:`write_verified`, and every read through :func:`read_verified`. A file that is missing
reads as a miss; a file that fails any check (it does not parse, it was made for another key,
an array has another shape, dtype or sha256, or it is larger than its header says) also reads
as a miss, with one :class:`~sktl.utils._errors.DamagedCacheWarning` naming it, so the caller
recomputes and overwrites it. Damage never becomes wrong numbers or a crash.

Writes are atomic: a temporary file unique to the process and thread, then ``os.replace``.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import uuid
import warnings
import zipfile
from pathlib import Path

import numpy as np

from ._errors import DamagedCacheWarning
from ._validation import _caller_stacklevel

_META = "__sktl_meta__"
_FORMAT = 1
_warned: set[str] = set()
_warned_lock = threading.Lock()


def warn_once(key: str, message: str, category=UserWarning) -> None:
    """Warn ``message`` the first time this process sees ``key`` (a file, a folder), pointing
    at the user's line that led here."""
    with _warned_lock:
        if key in _warned:
            return
        _warned.add(key)
    warnings.warn(message, category, stacklevel=_caller_stacklevel())


def file_sha256(path) -> str:
    """The sha256 of a file's bytes, read in 1 MiB blocks (no copy of a large file in memory)."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _digest(array: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(array).view(np.uint8).data).hexdigest()


def temporary_path(path: Path) -> Path:
    """A sibling of ``path`` that no other process or thread writes: ``<name>.<unique>.tmp``."""
    return path.with_name(
        f"{path.name}.{os.getpid()}-{threading.get_ident()}-{uuid.uuid4().hex[:8]}.tmp"
    )


def write_verified(path: Path, key: str, **arrays: np.ndarray) -> None:
    """Write ``arrays`` and their proof of content to ``path`` (an .npz), atomically.

    Parameters
    ----------
    path : Path
        The cache file.
    key : str
        What the entry was made for (a digest of every input that determines the numbers);
        :func:`read_verified` must be given the same key.
    **arrays : ndarray
        The arrays (plain dtypes, no objects).
    """
    meta = {
        "format": _FORMAT,
        "key": key,
        "arrays": {
            name: {"shape": list(a.shape), "dtype": a.dtype.str, "sha256": _digest(a)}
            for name, a in arrays.items()
        },
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_path(path)
    try:
        with open(tmp, "wb") as f:
            np.savez(f, **arrays, **{_META: np.frombuffer(json.dumps(meta).encode(), np.uint8)})
        os.replace(tmp, path)
        with _warned_lock:  # a repaired file that is damaged again warns again
            _warned.discard(str(path))
    finally:
        tmp.unlink(missing_ok=True)


def _check(path: Path, key: str, names) -> dict:
    """The arrays of ``path``, or raise ValueError saying what is wrong."""
    with zipfile.ZipFile(path) as archive:  # sizes are read before anything is allocated
        members = {info.filename: info.file_size for info in archive.infolist()}
    meta_size = members.get(f"{_META}.npy")
    if meta_size is None or meta_size > 1 << 20:
        raise ValueError("it has no sktl header")
    with np.load(path, allow_pickle=False) as data:
        meta = json.loads(bytes(data[_META]).decode())
        if meta.get("format") != _FORMAT or meta.get("key") != key:
            raise ValueError("it was written for other inputs")
        described = meta["arrays"]
        wanted = list(described) if names is None else list(names)
        out = {}
        for name in wanted:
            spec = described.get(name)
            if spec is None:
                raise ValueError(f"it lacks the array {name!r}")
            nbytes = int(np.prod(spec["shape"], dtype=np.int64)) * np.dtype(spec["dtype"]).itemsize
            if members.get(f"{name}.npy", 0) > nbytes + 4096:
                raise ValueError(f"its array {name!r} is larger than its header says")
            array = data[name]
            if list(array.shape) != spec["shape"] or array.dtype.str != spec["dtype"]:
                raise ValueError(f"its array {name!r} has another shape or dtype")
            if _digest(array) != spec["sha256"]:
                raise ValueError(f"its array {name!r} fails its checksum")
            out[name] = array
    return out


def read_verified(path: Path, key: str, names=None) -> dict | None:
    """The arrays of the cache file ``path`` made for ``key``, or None to recompute.

    Parameters
    ----------
    path : Path
        The cache file.
    key : str
        The key the entry must have been written for.
    names : iterable of str or None, default=None
        The arrays to return (None: all).

    Returns
    -------
    arrays : dict or None
        ``name -> ndarray``; None when the file is missing or fails a check (then one
        DamagedCacheWarning per file and process names it; the caller overwrites it).
    """
    try:
        return _check(path, key, names)
    except FileNotFoundError:
        return None
    except MemoryError:  # the machine's state, not the file's
        raise
    except Exception as exc:  # any damage is a miss, never a crash
        warn_once(
            str(path),
            f"Ignoring the damaged cache file {path}: {exc}. It is recomputed and overwritten.",
            DamagedCacheWarning,
        )
        return None
