"""Torch-free pickled state: what lets sktl models load with skops.io as well as joblib.

A fitted sktl estimator holds torch modules and skorch nets. Pickling them as they are ties the
file to torch's own pickles (which skops.io refuses) and to the classes' code paths. Instead
every module built by sktl remembers a *recipe*: the registered builder that made it and the
arguments it got. The estimator's ``__getstate__`` replaces each module by its recipe plus its
``state_dict`` as numpy arrays, and each skorch net by its module, history and prediction
settings; ``__setstate__`` rebuilds the architecture (no weights are downloaded or read: the
builders make empty networks) and loads the stored arrays. Only builders registered here can be
called on load, so a file cannot name arbitrary code.

The same state serves joblib/pickle and skops, so the two formats hold the same thing.

Loading checks the state before it builds anything: the state carries a SHA-256 digest of its
content (pickle has no checksum of its own, so a flipped bit would otherwise load as other
weights), every size a recipe names is bounded by the number of values the file stores, and
each recipe is first built on torch's ``meta`` device (no memory) and compared with the stored
arrays' shapes. A damaged or edited state raises :class:`DamagedStateError`, naming the
estimator, before a network of the recipe's size is built.

This module puts the parts together in :class:`PortableStateMixin`: the builders and recipes
are in ``_recipes.py``, encoding and decoding in ``_encoding.py``, the checksum and
:class:`DamagedStateError` in ``_checksum.py`` and the recipe checks in ``_state_checks.py``.
"""

from __future__ import annotations

import inspect

from ..utils._vocabulary import upgrade_state
from ._checksum import _DIGEST, state_digest, verify_digest
from ._encoding import decode, encode
from ._state_checks import check_recipes


class PortableStateMixin:
    """``__getstate__``/``__setstate__`` that store torch state as recipes and numpy arrays.

    Put it before ``BaseEstimator`` in the bases. Fitted models then pickle without torch
    objects and load with ``skops.io`` given :data:`sktl.persistence.TRUSTED_TYPES`.
    """

    def __getstate__(self):
        state = {k: encode(v) for k, v in super().__getstate__().items()}
        state[_DIGEST] = state_digest(state)
        return state

    def __setstate__(self, state):
        owner = type(self).__name__
        state = dict(state)
        verify_digest(owner, state.pop(_DIGEST, None), state)
        state = upgrade_state(owner, state)
        check_recipes(owner, state)
        super().__setstate__({k: decode(v) for k, v in state.items()})
        default_missing_params(self)


def default_missing_params(obj) -> None:
    """Give ``obj`` the default of each constructor parameter its state lacks (a file
    written before the parameter existed)."""
    for name, p in inspect.signature(type(obj).__init__).parameters.items():
        if p.default is not inspect.Parameter.empty and name not in obj.__dict__:
            setattr(obj, name, p.default)
