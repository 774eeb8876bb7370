"""One registered parameter name (:class:`Term`) and the constraint pieces terms are built from.

A constraint is a list in scikit-learn's ``_parameter_constraints`` form, or a function
returning one (for constraints naming objects of higher layers: it runs when the estimator
class is created, so this module imports nothing from sktl at module level).
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sklearn.utils._param_validation import Interval, StrOptions

#: ``default`` of a term whose families choose their own default.
VARIES = object()


@dataclass(frozen=True)
class Term:
    """One parameter name: what it means, what it accepts, the default families share."""

    meaning: str
    constraint: list | str | Callable[[], list] | None = None
    default: Any = VARIES

    def resolved_constraint(self):
        return self.constraint() if callable(self.constraint) else self.constraint


def positive_int(low=1):
    """An int of at least ``low``."""
    return [Interval(numbers.Integral, low, None, closed="left")]


RATE = [Interval(numbers.Real, 0, 1, closed="left")]
FRACTION = [Interval(numbers.Real, 0, 1, closed="neither")]
NON_NEGATIVE = [Interval(numbers.Real, 0, None, closed="left")]
UNITS = [tuple, list]


# constraints naming objects of higher layers, imported when an estimator class is created


def cache_constraint():
    from ..featurizers._cache import FeatureCache

    return [FeatureCache, None]


def pooling_constraint():
    from ..backbones._pooling import POOLINGS

    return [StrOptions(set(POOLINGS))]


def vgg_pooling_constraint():
    from ..reconstruction._gram import VGG_POOLINGS

    return [StrOptions(set(VGG_POOLINGS))]


def level_constraint():
    from ..reconstruction._estimator import MAX_LEVELS

    return [Interval(numbers.Integral, 1, MAX_LEVELS, closed="both")]


def phase_count_constraint():
    from ..reconstruction._inputs import MAX_PHASES

    return [Interval(numbers.Integral, 2, MAX_PHASES, closed="both"), None]
