"""A per-image cache of frozen-network features.

Keys are (network key, image digest), so a subset of images (a CV fold, a grid point) reuses
the rows computed for the whole set: a grid search over head hyperparameters costs about one
featurisation. Rows live in memory (bounded, least recently used out first) and, optionally, on
disk as one ``.npy`` per image under ``<dir>/<network key>/``, which processes share.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections import OrderedDict
from pathlib import Path

import numpy as np
import torch


def image_digests(images: np.ndarray) -> list[str]:
    """A content digest per image (dtype and shape included)."""
    head = f"{images.dtype.str}{images.shape[1:]}".encode()
    return [
        hashlib.blake2b(head + np.ascontiguousarray(im).tobytes(), digest_size=16).hexdigest()
        for im in images
    ]


def _weights_digest(module: torch.nn.Module) -> str:
    h = hashlib.blake2b(digest_size=16)
    for name, tensor in module.state_dict().items():
        h.update(name.encode())
        h.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()


#: Bumped whenever the same image and settings give other features, so that rows a disk cache
#: holds from an older sktl are not served (2: sktl 1.0 reads uint16/int images under
#: intensity_range="auto" over their full range).
CACHE_VERSION = 2


def network_key(module: torch.nn.Module, *settings) -> str:
    """Digest of a network's weights and buffers plus the settings that shape its output.

    The weights' digest is remembered per module and weights version (tensors' in-place
    version counters), so featurizers sharing a frozen backbone hash it once.
    """
    version = tuple(t._version for t in module.state_dict().values())
    memo = getattr(module, "_sktl_digest", None)
    if memo is None or memo[0] != version:
        memo = (version, _weights_digest(module))
        module._sktl_digest = memo
    h = hashlib.blake2b(repr((CACHE_VERSION, *settings)).encode(), digest_size=16)
    h.update(memo[1].encode())
    return h.hexdigest()


class FeatureCache:
    """Rows of features by (network key, image digest), in memory and optionally on disk.

    Parameters
    ----------
    max_bytes : int, default=2 GiB
        Memory budget; the least recently used rows are dropped beyond it.
    directory : str or Path, optional
        Also keep rows on disk there (shared between processes, e.g. GridSearchCV n_jobs > 1).
    """

    def __init__(self, max_bytes: int = 2 * 1024**3, directory=None):
        self.max_bytes = max_bytes
        self.directory = None if directory is None else Path(directory)
        self._rows: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def _disk_path(self, net: str, digest: str) -> Path:
        return self.directory / net / f"{digest}.npy"

    def _get(self, net: str, digest: str):
        key = (net, digest)
        with self._lock:
            row = self._rows.get(key)
            if row is not None:
                self._rows.move_to_end(key)
                return row
        if self.directory is not None:
            path = self._disk_path(net, digest)
            if path.exists():
                row = np.load(path)
                self._put(net, digest, row, to_disk=False)
                return row
        return None

    def _put(self, net: str, digest: str, row: np.ndarray, to_disk: bool = True) -> None:
        with self._lock:
            key = (net, digest)
            if key not in self._rows:
                self._rows[key] = row
                self._bytes += row.nbytes
            while self._bytes > self.max_bytes and self._rows:
                _, old = self._rows.popitem(last=False)
                self._bytes -= old.nbytes
        if to_disk and self.directory is not None:
            path = self._disk_path(net, digest)
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp.npy")
            np.save(tmp, row)
            os.replace(tmp, path)  # atomic: concurrent writers never leave a torn file

    def get_or_compute(self, net: str, images: np.ndarray, compute) -> np.ndarray:
        """Rows for ``images``, computing (with ``compute(images_subset)``) only the missing."""
        digests = image_digests(images)
        rows: list[np.ndarray | None] = [self._get(net, d) for d in digests]
        missing = [i for i, r in enumerate(rows) if r is None]
        self.hits += len(rows) - len(missing)
        self.misses += len(missing)
        if missing:
            new = compute(images[missing])
            for i, row in zip(missing, new, strict=True):
                row = np.array(row, copy=True)
                rows[i] = row
                self._put(net, digests[i], row)
        return np.stack(rows)

    def clear(self) -> None:
        """Forget every in-memory row (disk files are left alone)."""
        with self._lock:
            self._rows.clear()
            self._bytes = 0


_MEMORY_CACHES: dict[str | None, FeatureCache] = {}


def get_cache(directory=None) -> FeatureCache:
    """The process-wide cache for ``directory`` (None: memory only)."""
    key = None if directory is None else os.fspath(directory)
    if key not in _MEMORY_CACHES:
        _MEMORY_CACHES[key] = FeatureCache(directory=directory)
    return _MEMORY_CACHES[key]
