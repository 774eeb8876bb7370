"""FeatureCache: an explicit, user-owned store of frozen-network features.

Keys are (network key, image digest), so a subset of images (a CV fold, a grid point) reuses
the rows computed for the whole set: a grid search over head hyperparameters costs about one
featurisation. Rows live in memory (bounded, least recently used out first, read-only) and,
optionally, on disk as one verified ``.npz`` per image under ``<directory>/<network key>/``,
which processes share: each file carries its (network, image) key and a checksum, shape and dtype
(:mod:`sktl.utils._verified`), so a damaged or misplaced file is recomputed and overwritten with
one :class:`~sktl.DamagedCacheWarning`, never served. Rows that earlier sktl versions kept as
``<digest>.npy`` are not read.

Nothing here is process-wide: an estimator caches only when it is given a ``FeatureCache``,
and only estimators given the same object (or clones of one, see :meth:`FeatureCache.__deepcopy__`)
see each other's rows.
"""

from __future__ import annotations

import copy
import hashlib
import numbers
import os
import threading
from collections import OrderedDict
from pathlib import Path

import numpy as np
import torch

from ..utils._verified import read_verified, warn_once, write_verified


def image_digests(images: np.ndarray) -> list[str]:
    """A content digest per image (dtype and shape included)."""
    head = f"{images.dtype.str}{images.shape[1:]}".encode()
    return [
        hashlib.blake2b(head + np.ascontiguousarray(im).tobytes(), digest_size=16).hexdigest()
        for im in images
    ]


def weights_digest(module: torch.nn.Module) -> str:
    """Digest of a network's weights and buffers (names included)."""
    h = hashlib.blake2b(digest_size=16)
    for name, tensor in module.state_dict().items():
        h.update(name.encode())
        h.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()


#: Bumped whenever the same image and settings give other features, so that rows a disk cache
#: holds from an older sktl are not served (2: sktl 1.0 reads uint16/int images under
#: intensity_range="auto" over their full range).
CACHE_VERSION = 3


def network_key(digest: str, *settings) -> str:
    """Key of a network (by its weights' ``digest``) plus the settings that shape its output."""
    h = hashlib.blake2b(repr((CACHE_VERSION, *settings)).encode(), digest_size=16)
    h.update(digest.encode())
    return h.hexdigest()


#: Frozen backbones a cache keeps, so that the featurizers sharing it build each network once.
_MAX_BACKBONES = 4


class FeatureCache:
    """Features of frozen networks per image, shared by the estimators that are given it.

    Pass one instance as ``cache=`` to :class:`~sktl.PretrainedCNNFeaturizer`,
    :class:`~sktl.TransferCNNRegressor` or the DMTL-R family, the way ``Pipeline(memory=...)``
    takes a joblib ``Memory``. Every estimator given the same instance reuses the features the
    others computed for the same network, settings and image; estimators given different
    instances (or none) share nothing. ``clone`` and :func:`copy.deepcopy` return the instance
    itself, so the clones that ``GridSearchCV`` and ``cross_validate`` fit share its store.

    It also keeps the few frozen backbones its users built (each user gets its own copy), so
    the fits of a grid search read a weights file once.

    Parameters
    ----------
    max_bytes : int, default=2 GiB
        Memory budget of the feature rows; the least recently used rows are dropped beyond it.
    directory : str, path-like or None, default=None
        Also keep rows on disk there, one checked ``.npz`` per image, so that processes share
        them (``GridSearchCV(n_jobs>1)``) and later sessions reuse them. A damaged file is
        recomputed and overwritten (with a :class:`~sktl.DamagedCacheWarning`); a folder that
        cannot be written only warns. None: memory only.

    Attributes
    ----------
    hits, misses : int
        Rows served from the cache and rows computed, since creation or :meth:`clear`.

    Notes
    -----
    Pickling (``joblib.dump``, worker processes) keeps ``max_bytes`` and ``directory`` but not
    the rows held in memory: a saved model does not carry its cache.

    Examples
    --------
    >>> from sklearn.model_selection import GridSearchCV
    >>> from sktl import FeatureCache, TransferCNNRegressor
    >>> cache = FeatureCache()
    >>> search = GridSearchCV(TransferCNNRegressor(cache=cache), {"lr": [1e-3, 1e-2]})
    >>> search.estimator.cache is cache
    True
    """

    def __init__(self, max_bytes: int = 2 * 1024**3, directory=None):
        if (
            isinstance(max_bytes, bool)
            or not isinstance(max_bytes, numbers.Integral)
            or max_bytes < 0
        ):
            raise ValueError(f"max_bytes must be an int >= 0, got {max_bytes!r}.")
        if directory is not None and not isinstance(directory, (str, os.PathLike)):
            raise TypeError(
                f"directory must be a folder path or None, got {type(directory).__name__}."
            )
        self.max_bytes = int(max_bytes)
        self.directory = None if directory is None else Path(directory).expanduser()
        self._reset()

    def _reset(self) -> None:
        self._rows: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()
        self._bytes = 0
        self._backbones: OrderedDict = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    # -- identity under clone / copy / pickle ---------------------------------------------------
    def __deepcopy__(self, memo):
        """The same instance: clones of an estimator share the cache they were given."""
        return self

    def __copy__(self):
        return self

    def __getstate__(self):
        directory = None if self.directory is None else os.fspath(self.directory)
        return {"max_bytes": self.max_bytes, "directory": directory}

    def __setstate__(self, state):
        self.max_bytes = state["max_bytes"]
        directory = state["directory"]
        self.directory = None if directory is None else Path(directory)
        self._reset()

    def __repr__(self) -> str:
        where = "" if self.directory is None else f", directory={os.fspath(self.directory)!r}"
        return f"FeatureCache(max_bytes={self.max_bytes}{where})"

    @property
    def n_rows(self) -> int:
        """Rows held in memory."""
        return len(self._rows)

    @property
    def nbytes(self) -> int:
        """Bytes of the rows held in memory."""
        return self._bytes

    # -- feature rows ---------------------------------------------------------------------------
    def _disk_path(self, net: str, digest: str) -> Path:
        return self.directory / net / f"{digest}.npz"

    def _get(self, net: str, digest: str, width: int | None = None):
        key = (net, digest)
        shape = None if width is None else (width,)
        with self._lock:
            row = self._rows.get(key)
            if row is not None and shape in (None, row.shape):
                self._rows.move_to_end(key)
                return row
        if self.directory is not None:
            path = self._disk_path(net, digest)
            arrays = read_verified(path, f"{net}/{digest}", names=("row",))
            if (
                arrays is not None
                and arrays["row"].ndim == 1
                and shape in (None, arrays["row"].shape)
            ):
                row = arrays["row"]
                row.flags.writeable = False
                self._put(net, digest, row, to_disk=False)
                return row
        return None

    def _put(self, net: str, digest: str, row: np.ndarray, to_disk: bool = True) -> None:
        with self._lock:
            key = (net, digest)
            old = self._rows.pop(key, None)
            if old is not None:
                self._bytes -= old.nbytes
            self._rows[key] = row
            self._bytes += row.nbytes
            while self._bytes > self.max_bytes and self._rows:
                _, old = self._rows.popitem(last=False)
                self._bytes -= old.nbytes
        if to_disk and self.directory is not None:
            path = self._disk_path(net, digest)
            try:
                write_verified(path, f"{net}/{digest}", row=row)
            except OSError as exc:  # read-only, no permission, disk full: compute on
                warn_once(
                    f"unwritable:{path.parent}",
                    f"Could not write to the feature cache folder {path.parent} ({exc}); the "
                    "features are returned without a copy on disk. Make the folder writable, "
                    "or give FeatureCache another directory (None: memory only).",
                )

    def get_or_compute(self, net: str, images: np.ndarray, compute, width=None) -> np.ndarray:
        """Rows for ``images``, computing (with ``compute(images_subset)``) only the missing.

        Parameters
        ----------
        net : str
            Key of the network and its settings (see ``network_key_`` of a featurizer).
        images : ndarray of shape (n, ...)
            The images.
        compute : callable
            ``compute(images_subset) -> ndarray (n_subset, n_features)``.
        width : int or None, default=None
            ``n_features``, when known: a stored row of another length is a miss.

        Returns
        -------
        rows : ndarray of shape (n, n_features)
        """
        digests = image_digests(images)
        rows: list[np.ndarray | None] = [self._get(net, d, width) for d in digests]
        missing = [i for i, r in enumerate(rows) if r is None]
        with self._lock:
            self.hits += len(rows) - len(missing)
            self.misses += len(missing)
        if missing:
            new = compute(images[missing])
            for i, row in zip(missing, new, strict=True):
                row = np.array(row, copy=True)
                row.flags.writeable = False  # the stored row; callers get the stacked copy
                rows[i] = row
                self._put(net, digests[i], row)
        return np.stack(rows)

    # -- frozen backbones -----------------------------------------------------------------------
    def backbone(self, key, build):
        """A private copy of the backbone ``key`` and its weights' digest, built once.

        Parameters
        ----------
        key : hashable
            What identifies the network (name, tap, weights, seed, device).
        build : callable
            ``build() -> torch.nn.Module``, called on the first request of ``key``.

        Returns
        -------
        backbone : torch.nn.Module
            A deep copy, so a change made through one estimator never reaches another.
        digest : str
            :func:`weights_digest` of the backbone.
        """
        with self._lock:
            entry = self._backbones.get(key)
            if entry is not None:
                self._backbones.move_to_end(key)
        if entry is None:
            model = build()
            entry = (model, weights_digest(model))
            with self._lock:
                entry = self._backbones.setdefault(key, entry)
                self._backbones.move_to_end(key)
                while len(self._backbones) > _MAX_BACKBONES:
                    self._backbones.popitem(last=False)
        return copy.deepcopy(entry[0]), entry[1]

    def clear(self) -> None:
        """Forget every in-memory row and backbone (files on disk are left alone)."""
        with self._lock:
            self._rows.clear()
            self._bytes = 0
            self._backbones.clear()
            self.hits = self.misses = 0
