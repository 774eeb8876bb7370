"""Checks of a saved state's network recipes before any network of their size is built.

Every size a recipe names is bounded by the number of values the file stores, and each recipe
is first built on torch's ``meta`` device (no memory) and compared with the stored arrays'
shapes.
"""

from __future__ import annotations

import re

import numpy as np

from ._checksum import DamagedStateError
from ._encoding import _DRY_RUN, _MODULE, decode

# Sizes a recipe may name whatever the stored arrays: small counts (blocks, kernel sizes) of a
# model with few weights. Beyond it, a size must not exceed the number of values stored.
_SMALL_SIZE = 1 << 16


def check_recipes(owner: str, state: dict) -> None:
    """Refuse recipes that do not match the stored arrays, without building them for real.

    Every size a recipe names must be at most the number of stored values (or small), and
    every module is first built on the meta device, where no memory is allocated, and its
    parameters' shapes compared with the stored arrays'.
    """
    bound = max(_SMALL_SIZE, _stored_values(state, 0))
    for key, value in state.items():
        for recipe in _encoded_modules(value, 0):
            size = max(_sizes(recipe.get("args"), 0), _sizes(recipe.get("kwargs"), 0))
            if size > bound:
                raise DamagedStateError(
                    f"{owner}: the saved network {recipe.get(_MODULE)!r} of {key!r} names a "
                    f"size of {size}, more than the {bound} values the file stores; the file is "
                    "damaged or was edited. Load an undamaged copy, or fit the model again."
                )
    token = _DRY_RUN.set(True)
    try:
        for key, value in state.items():
            if _has_recipe(value, 0):
                try:
                    decode(value)
                except Exception as exc:  # noqa: BLE001 - any failure of a stored recipe
                    detail = exc if isinstance(exc, DamagedStateError) else repr(exc)
                    raise DamagedStateError(
                        f"{owner}: the saved network of {key!r} does not rebuild ({detail}); "
                        "the file is damaged or was edited. Load an undamaged copy, or fit "
                        "the model again."
                    ) from exc
    finally:
        _DRY_RUN.reset(token)


def _encoded_modules(value, depth: int):
    """The encoded module dicts in ``value`` (nested ones included)."""
    if depth > 64:
        return
    if type(value) is dict:
        if _MODULE in value:
            yield value
        for item in value.values():
            yield from _encoded_modules(item, depth + 1)
    elif type(value) is list:
        for item in value:
            yield from _encoded_modules(item, depth + 1)


def _has_recipe(value, depth: int) -> bool:
    return next(iter(_encoded_modules(value, depth)), None) is not None


_SIZE_SPEC = re.compile(r"[0-9xDBR,\s-]+")


def _sizes(value, depth: int) -> int:
    """The largest integer in ``value``, counting the numbers of size specs like "64x2D-1"."""
    if depth > 64:
        return 0
    if isinstance(value, (bool, np.bool_)):
        return 0
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, str):
        # an architecture string: its numbers are widths and layer counts
        if _SIZE_SPEC.fullmatch(value):
            return max((int(n) for n in re.findall(r"[0-9]+", value)), default=0)
        return 0
    if isinstance(value, dict):
        return max((_sizes(v, depth + 1) for v in value.values()), default=0)
    if isinstance(value, (list, tuple)):
        return max((_sizes(v, depth + 1) for v in value), default=0)
    return 0


def _stored_values(value, depth: int) -> int:
    """How many array elements ``value`` holds."""
    if depth > 64:
        return 0
    if isinstance(value, np.ndarray):
        return int(value.size)
    if isinstance(value, dict):
        return sum(_stored_values(v, depth + 1) for v in value.values())
    if isinstance(value, (list, tuple)):
        return sum(_stored_values(v, depth + 1) for v in value)
    return 0
