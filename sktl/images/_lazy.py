"""Image sets that do not fit in memory: files on disk and numpy memmaps, read batch by batch.

:class:`ImageFiles` is the user-facing list of files. :class:`LazyImages` is what
:func:`sktl.images.check_images` returns for such input (and for an ``np.memmap``): it has the
``(n, H, W, C)`` shape and dtype of the set, slicing it gives another lazy view (so CV splitters
and skorch's SliceDict never load a fold), and only ``np.asarray(view)`` or iteration reads
pixels, validating each batch on the way (NaN, shape).
"""

from __future__ import annotations

import os

import numpy as np

from ._arrays import _check_array
from ._files import read_image


class ImageFiles:
    """Images stored one per file, read only when a batch needs them.

    Pass it wherever sktl takes images (``PretrainedCNNFeaturizer``, ``multimodal_input``) to
    stream an image set larger than memory. All files must hold images of the same shape; a
    file that differs is reported by name when its batch is read.

    Parameters
    ----------
    paths : sequence of str or path-like
        The files, in sample order (``.npy``, ``.png``, ``.jpg``, ``.tif``, ...).

    Examples
    --------
    A folder of three image files, then their features:

    >>> from pathlib import Path
    >>> import numpy as np
    >>> from sktl import PretrainedCNNFeaturizer
    >>> from sktl.images import ImageFiles
    >>> tiles = Path("tiles")
    >>> tiles.mkdir()
    >>> rng = np.random.default_rng(0)
    >>> for i in range(3):
    ...     np.save(tiles / f"tile{i}.npy", rng.random((32, 32)))
    >>> X = ImageFiles(sorted(tiles.glob("*.npy")))
    >>> X.shape
    (3, 32, 32)
    >>> featurizer = PretrainedCNNFeaturizer(backbone="resnet18", layer="layer1", weights=None)
    >>> featurizer.fit_transform(X).shape
    (3, 64)
    """

    def __init__(self, paths):
        self.paths = [os.fspath(p) for p in paths]
        if not self.paths:
            raise ValueError("ImageFiles got an empty list of paths; pass at least one file.")
        first = read_image(self.paths[0])
        self.image_shape = first.shape
        self.dtype = first.dtype

    def __len__(self) -> int:
        return len(self.paths)

    @property
    def shape(self) -> tuple[int, ...]:
        return (len(self.paths), *self.image_shape)

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def __getitem__(self, index) -> np.ndarray:
        if isinstance(index, (int, np.integer)):
            return self._read(int(index))
        rows = np.arange(len(self))[index]
        return np.stack([self._read(int(i)) for i in np.atleast_1d(rows)])

    def _read(self, i: int) -> np.ndarray:
        im = read_image(self.paths[i])
        if im.shape != self.image_shape or im.dtype != self.dtype:
            raise ValueError(
                f"Image file {self.paths[i]!r} holds a {im.dtype} image of shape {im.shape}, but "
                f"the set's first file has {self.dtype} {self.image_shape}; all files must match."
            )
        return im

    def __repr__(self) -> str:
        return f"ImageFiles({len(self)} files, shape={self.image_shape}, dtype={self.dtype})"


def is_lazy(X) -> bool:
    """True for inputs that are streamed rather than loaded: files, image memmaps, lazy views."""
    if isinstance(X, np.memmap):
        # a 2-D memmap is a table (the packed form): validated and read like any array
        return X.ndim >= 3
    return isinstance(X, (ImageFiles, LazyImages))


class LazyImages:
    """A lazy ``(n, H, W, C)`` view of a streamed image set; see the module docstring.

    Parameters
    ----------
    source : ImageFiles, np.memmap or LazyImages
    image_shape : (H, W, C) tuple, optional
        For a packed 2-D memmap of shape (n, H*W*C).
    rows : ndarray of int, optional
        The rows of ``source`` this view covers (all by default).

    Attributes
    ----------
    item_shape : (int, int, int)
        (H, W, C) of one image as read (after an RGBA set's constant alpha is dropped).
    dropped_alpha : bool
        True for an RGBA source, whose batches are read as RGB (a batch whose alpha varies is
        refused when read).
    """

    def __init__(self, source, image_shape=None, rows=None, item_shape=None, dropped_alpha=None):
        self.source = source
        self.image_shape = image_shape
        self.rows = np.arange(len(source)) if rows is None else np.asarray(rows, dtype=np.intp)
        self.dtype = np.dtype(source.dtype)
        if item_shape is None:
            item_shape, dropped_alpha = self._probe()
        self.item_shape = item_shape
        self.dropped_alpha = bool(dropped_alpha)

    def _probe(self) -> tuple[tuple[int, int, int], bool]:
        probe = self._load(self.rows[:1]) if len(self.rows) else None
        if probe is None:
            raise ValueError("Found 0 images in a lazy image set; at least one is required.")
        images, alpha = _check_array(probe, self.image_shape, True)
        return tuple(int(s) for s in images.shape[1:]), alpha is not None

    def _load(self, rows: np.ndarray) -> np.ndarray:
        if len(rows) and np.all(np.diff(rows) == 1):  # contiguous: one slice read
            return np.asarray(self.source[int(rows[0]) : int(rows[-1]) + 1])
        return np.asarray(self.source[rows])

    @property
    def shape(self) -> tuple[int, ...]:
        return (len(self.rows), *self.item_shape)

    @property
    def ndim(self) -> int:
        return 4

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, index):
        if isinstance(index, (int, np.integer)):
            return np.asarray(self._view(self.rows[int(index) : int(index) + 1 or None]))[0]
        return self._view(self.rows[index])

    def _view(self, rows) -> LazyImages:
        return LazyImages(
            self.source, self.image_shape, np.atleast_1d(rows), self.item_shape, self.dropped_alpha
        )

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        out, _ = _check_array(self._load(self.rows), self.image_shape, True)
        if out.shape[1:] != self.item_shape:
            raise ValueError(
                f"A batch of this image set has shape {out.shape[1:]}, but its first image has "
                f"{self.item_shape}; all images of a set must match."
            )
        return out if dtype is None else out.astype(dtype)

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    def batches(self, batch_size: int):
        """Yield the images as loaded, validated ``(b, H, W, C)`` arrays."""
        for start in range(0, len(self), batch_size):
            yield np.asarray(self[start : start + batch_size])

    def __repr__(self) -> str:
        return f"LazyImages({len(self)} images of {self.item_shape}, dtype={self.dtype})"
