"""Frozen backbones shared by featurizers of one process.

Every fit of a head on cached features (each CV fold, each grid point) fits a new featurizer;
without this, each rebuilt the same truncated network, re-read its weights file and re-hashed
its weights, which cost more than training the head. Featurizers never train their backbone,
so one instance per (backbone, tap, weights, seed, device) can serve them all.
"""

from __future__ import annotations

import numbers
import os
import threading
from collections import OrderedDict

from ..backbones import build_backbone

_MAX_ENTRIES = 4
_ENTRIES: OrderedDict = OrderedDict()
_LOCK = threading.Lock()


def _key(name, layer, weights, random_state, device):
    if weights is None:
        if not isinstance(random_state, numbers.Integral) or isinstance(random_state, bool):
            return None  # a RandomState or None draws new weights every time
        return (name, layer, None, int(random_state), str(device))
    if isinstance(weights, (str, os.PathLike)):
        path = os.fspath(weights)
        stamp = os.stat(path).st_mtime_ns if os.path.isfile(path) else None
        return (name, layer, path, stamp, str(device))
    return None  # a WeightSource object: no stable identity


def frozen_backbone(name, layer, weights, random_state, device):
    """The truncated backbone, built once per process for each distinct key."""
    key = _key(name, layer, weights, random_state, device)
    if key is None:
        return build_backbone(name, layer, weights, random_state)
    with _LOCK:
        model = _ENTRIES.get(key)
        if model is not None:
            _ENTRIES.move_to_end(key)
            return model
    model = build_backbone(name, layer, weights, random_state)
    with _LOCK:
        _ENTRIES[key] = model
        while len(_ENTRIES) > _MAX_ENTRIES:
            _ENTRIES.popitem(last=False)
    return model


def clear() -> None:
    """Forget the shared backbones."""
    with _LOCK:
        _ENTRIES.clear()
