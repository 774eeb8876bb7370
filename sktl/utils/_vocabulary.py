"""The registry of sktl's parameter names: one name, one meaning, one constraint.

Every parameter of every public estimator is here, either in :data:`SHARED` (a concept several
estimators or functions have; where the families must agree, with the one default they share)
or in :data:`OWN` under its owner's name (a parameter only that owner has, with what it
means). :func:`vocabulary` builds an estimator's ``_parameter_constraints`` from these
entries, so a constraint is written once. ``tests/test_vocabulary.py`` checks that every
parameter of every public class, function and CLI command is registered.

This module is where sktl looks names up; the tables are written in their own modules:

* ``_term.py``: :class:`Term` and the constraint pieces terms are built from;
* ``_shared_terms.py``: :data:`SHARED`;
* ``_estimator_terms.py`` and ``_function_terms.py``: :data:`OWN`, the names of one
  estimator, and those of one public function, helper class or CLI command;
* ``_renamed.py``: the renames of sktl 1.1 (:data:`RENAMED`) and :func:`upgrade_state`.

Nothing here imports from sktl at module level (constraints naming objects of higher layers
are functions run when the estimator class is created).
"""

from __future__ import annotations

import inspect

from ._estimator_terms import ESTIMATOR_TERMS
from ._function_terms import FUNCTION_TERMS
from ._renamed import RENAMED, upgrade_state
from ._shared_terms import SHARED
from ._term import VARIES, Term

__all__ = ["OWN", "RENAMED", "SHARED", "VARIES", "Term", "term", "upgrade_state", "vocabulary"]

#: The names that one owner has: {owner: {name: term}}.
OWN: dict[str, dict[str, Term]] = {**ESTIMATOR_TERMS, **FUNCTION_TERMS}


def term(owner: str, name: str) -> Term:
    """The registered term of parameter ``name`` of ``owner`` (its own, else the shared one)."""
    own = OWN.get(owner, {})
    if name in own:
        return own[name]
    if name in SHARED:
        return SHARED[name]
    raise KeyError(
        f"{owner}: parameter {name!r} is not in sktl's vocabulary (sktl/utils/_vocabulary.py): "
        "use a registered name for a shared concept (_shared_terms.py), or register it under "
        "its owner (_estimator_terms.py, _function_terms.py)."
    )


def vocabulary(cls):
    """Class decorator: ``_parameter_constraints`` built from the registered terms.

    Every parameter of ``cls.__init__`` must be registered (see :func:`term`).
    """
    names = [n for n in inspect.signature(cls.__init__).parameters if n != "self"]
    cls._parameter_constraints = {n: term(cls.__name__, n).resolved_constraint() for n in names}
    return cls
