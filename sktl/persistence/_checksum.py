"""The checksum of a saved state, and the error of a state that fails its checks on load.

pickle has no checksum of its own, so a flipped bit would otherwise load as other weights:
the state carries a SHA-256 digest of its content, checked before anything is built.
"""

from __future__ import annotations

import hashlib

import numpy as np

_DIGEST = "__sktl_digest__"


class DamagedStateError(ValueError):
    """A saved state that fails its checks: damaged or edited after it was written."""


def state_digest(state: dict) -> str:
    """SHA-256 of an encoded state: arrays, numbers, strings and the structure holding them.

    Numbers hash by value and tuples like lists, so the digest is the same after a skops round
    trip. sktl estimators inside the state check their own digest; other scikit-learn
    estimators are hashed by their state; any other object by its type only.
    """
    h = hashlib.sha256()
    _feed(h, state, 0)
    return h.hexdigest()


def _feed(h, value, depth: int) -> None:
    if depth > 64:
        h.update(b"deep;")
    elif value is None:
        h.update(b"n;")
    elif isinstance(value, (bool, np.bool_)):
        h.update(b"b1;" if value else b"b0;")
    elif isinstance(value, (int, np.integer)):
        h.update(f"i{int(value)};".encode())
    elif isinstance(value, (float, np.floating)):
        h.update(f"f{float(value).hex()};".encode())
    elif isinstance(value, (complex, np.complexfloating)):
        h.update(f"c{complex(value)!r};".encode())
    elif isinstance(value, str):
        data = value.encode("utf-8", "surrogatepass")
        h.update(f"s{len(data)}:".encode() + data)
    elif isinstance(value, bytes):
        h.update(f"y{len(value)}:".encode() + value)
    elif isinstance(value, np.ndarray):
        h.update(f"a{value.dtype.str}{value.shape};".encode())
        if value.dtype.hasobject:
            for item in value.ravel():
                _feed(h, item, depth + 1)
        else:
            h.update(np.ascontiguousarray(value).reshape(-1).view(np.uint8).data)
    elif isinstance(value, dict):
        h.update(f"d{len(value)};".encode())
        for key, item in sorted(value.items(), key=lambda kv: _canonical(kv[0])):
            _feed(h, key, depth + 1)
            _feed(h, item, depth + 1)
    elif isinstance(value, (list, tuple)):
        h.update(f"l{len(value)};".encode())
        for item in value:
            _feed(h, item, depth + 1)
    else:
        cls = type(value)
        h.update(f"o{cls.__module__}.{cls.__qualname__};".encode())
        if cls.__module__.startswith("sklearn.") and hasattr(value, "get_params"):
            state = value.__getstate__()
            if isinstance(state, dict):
                _feed(h, {k: v for k, v in state.items() if k != "_sklearn_version"}, depth + 1)


def _canonical(value) -> bytes:
    h = hashlib.sha256()
    _feed(h, value, 0)
    return h.digest()


def verify_digest(owner: str, digest, state: dict) -> None:
    """Raise :class:`DamagedStateError` if ``state`` does not match the digest it was saved with.

    States written before digests existed have none and pass, unless a key that looks like a
    damaged digest key shows that the digest was there.
    """
    if digest is None:
        for key in state:
            if isinstance(key, str) and len(key) == len(_DIGEST) and key != _DIGEST:
                if sum(a != b for a, b in zip(key, _DIGEST, strict=True)) <= 2:
                    raise DamagedStateError(
                        f"{owner}: the saved state has a damaged checksum entry ({key!r}); the "
                        "file is damaged. Load an undamaged copy, or fit the model again."
                    )
        return
    if not isinstance(digest, str) or digest != state_digest(state):
        raise DamagedStateError(
            f"{owner}: the saved state does not match its checksum, so the file was damaged "
            "or edited after it was written. Load an undamaged copy, or fit the model again."
        )
