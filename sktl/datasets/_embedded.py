"""Files embedded in ``sktl/datasets/data``: read whole and checked against their sha256."""

from __future__ import annotations

import hashlib

from ..utils._errors import UnreadableFileError

_FIX = (
    "The sktl installation is damaged: reinstall it (pip install --force-reinstall --no-deps sktl)"
)


def read_embedded(path, sha256: str) -> bytes:
    """The bytes of an embedded file; a missing or changed file raises UnreadableFileError."""
    expected = f"the file shipped with sktl (sha256 {sha256})"
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UnreadableFileError(path, f"it cannot be read ({exc})", expected, _FIX) from exc
    digest = hashlib.sha256(data).hexdigest()
    if digest != sha256:
        raise UnreadableFileError(
            path, f"it is {len(data)} bytes with sha256 {digest}", expected, _FIX
        )
    return data
