"""Whole-batch iteration over in-memory arrays, skorch's ``iterator_train``/``iterator_valid``.

skorch's default DataLoader fetches a batch one sample at a time (``dataset[i]`` per row, then
``default_collate``). For the small networks sktl trains on cached features that per-row
Python costs more than the forward and backward passes. :class:`BatchIterator` slices every
array of the batch at once; the batches it yields are the same as the DataLoader's (same
dtypes, dicts stay dicts) and, with ``shuffle=True``, their order is a ``torch.randperm`` of
the global torch RNG, so a seeded fit stays reproducible. Anything that is not an in-memory
array (a lazy image stack, a custom dataset) falls back to the DataLoader.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import torch
from torch.utils.data import DataLoader, Subset


def _base_and_rows(dataset):
    """(the underlying skorch Dataset, its row indices) through any nesting of Subsets."""
    rows = None
    while isinstance(dataset, Subset):
        idx = np.asarray(dataset.indices)
        rows = idx if rows is None else idx[rows]
        dataset = dataset.dataset
    return dataset, rows


def _sliceable(x) -> bool:
    if isinstance(x, Mapping):
        return all(_sliceable(v) for v in x.values())
    return isinstance(x, (np.ndarray, torch.Tensor))


def _take(x, idx):
    if isinstance(x, Mapping):
        return {k: _take(v, idx) for k, v in x.items()}
    if isinstance(x, torch.Tensor):
        return x[torch.as_tensor(idx)]
    return torch.from_numpy(np.ascontiguousarray(x[idx]))


class BatchIterator:
    """Iterate a skorch dataset in batches sliced from its arrays (DataLoader fallback).

    Parameters
    ----------
    dataset : skorch.dataset.Dataset or torch.utils.data.Subset of one
        What skorch hands its iterator.
    batch_size : int, default=1
        Rows per batch.
    shuffle : bool, default=False
        Visit the rows in a fresh ``torch.randperm`` order each pass.
    drop_last : bool, default=False
        Skip the last, incomplete batch.
    augment : callable or None, default=None
        Training-time augmentation: ``augment(X_batch, y_batch, rows)`` returns the batch to
        yield; ``rows`` are the batch's row indices in the dataset's arrays (in-memory arrays
        only).
    **kwargs : dict
        Passed on to the DataLoader when the dataset is not sliceable.
    """

    def __init__(
        self, dataset, batch_size=1, shuffle=False, drop_last=False, augment=None, **kwargs
    ):
        base, rows = _base_and_rows(dataset)
        X, y = getattr(base, "X", None), getattr(base, "y", None)
        self._fast = X is not None and _sliceable(X) and (y is None or _sliceable(y))
        self.augment = augment
        if augment is not None and not self._fast:
            raise TypeError("Batch augmentation needs the training data as in-memory arrays.")
        if not self._fast:
            self._loader = DataLoader(
                dataset, batch_size=batch_size, shuffle=shuffle, drop_last=drop_last, **kwargs
            )
            return
        self.X, self.y = X, y
        self.rows = np.arange(len(base)) if rows is None else rows
        self.batch_size, self.shuffle, self.drop_last = batch_size, shuffle, drop_last

    def __len__(self):
        if not self._fast:
            return len(self._loader)
        n = len(self.rows)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def __iter__(self):
        if not self._fast:
            yield from self._loader
            return
        rows = self.rows
        if self.shuffle:
            rows = rows[torch.randperm(len(rows)).numpy()]
        for b in range(len(self)):
            idx = rows[b * self.batch_size : (b + 1) * self.batch_size]
            yi = torch.zeros(len(idx)) if self.y is None else _take(self.y, idx)
            if self.augment is None:
                yield _take(self.X, idx), yi
            else:
                yield self.augment(_take(self.X, idx), yi, idx)
