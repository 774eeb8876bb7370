"""BatchIterator: skorch's whole-batch iterator over in-memory arrays."""

import numpy as np
import torch
from skorch.dataset import Dataset
from torch.utils.data import DataLoader, Subset

from sktl._nn._batches import BatchIterator


def _data(n=23):
    rng = np.random.default_rng(0)
    X = {"image": rng.random((n, 3)).astype(np.float32), "features": rng.random((n, 2))}
    return Dataset(X, rng.random((n, 1)).astype(np.float32))


def _flat(batches):
    return [(({k: v.numpy() for k, v in x.items()}), y.numpy()) for x, y in batches]


def test_unshuffled_batches_equal_the_dataloaders():
    ds = _data()
    fast, slow = _flat(BatchIterator(ds, batch_size=5)), _flat(DataLoader(ds, batch_size=5))
    assert len(fast) == len(slow) == 5
    for (xf, yf), (xs, ys) in zip(fast, slow, strict=True):
        assert xf.keys() == xs.keys()
        for k in xf:
            assert xf[k].dtype == xs[k].dtype
            np.testing.assert_array_equal(xf[k], xs[k])
        np.testing.assert_array_equal(yf, ys)


def test_shuffle_is_a_seeded_permutation_and_drop_last_skips_the_tail():
    ds = _data()
    torch.manual_seed(3)
    a = _flat(BatchIterator(ds, batch_size=5, shuffle=True, drop_last=True))
    torch.manual_seed(3)
    b = _flat(BatchIterator(ds, batch_size=5, shuffle=True, drop_last=True))
    assert len(a) == 4 and all(len(y) == 5 for _, y in a)
    for (xa, _), (xb, _) in zip(a, b, strict=True):
        np.testing.assert_array_equal(xa["image"], xb["image"])
    seen = np.concatenate([x["image"] for x, _ in a])
    rows = {tuple(r) for r in ds.X["image"]}
    assert len({tuple(r) for r in seen}) == 20 and {tuple(r) for r in seen} <= rows


def test_nested_subsets_index_the_base_rows():
    ds = _data()
    inner = Subset(ds, list(range(3, 20)))
    outer = Subset(inner, [0, 2, 4])  # base rows 3, 5, 7
    ((x, y),) = list(BatchIterator(outer, batch_size=10))
    np.testing.assert_array_equal(x["image"], ds.X["image"][[3, 5, 7]])
    np.testing.assert_array_equal(y, ds.y[[3, 5, 7]])


def test_no_targets_and_unsliceable_data_fall_back():
    ds = Dataset(np.arange(6, dtype=np.float32).reshape(3, 2), None)
    ((x, y),) = list(BatchIterator(ds, batch_size=4))
    assert x.shape == (3, 2) and y.shape == (3,)
    listed = Dataset([[0.0, 1.0], [2.0, 3.0]], None)  # a list: not sliceable in one go
    it = BatchIterator(listed, batch_size=2)
    assert not it._fast and len(it) == 1
