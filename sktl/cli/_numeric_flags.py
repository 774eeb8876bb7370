"""Argument types of the numeric flags: a value out of range is an argparse error (exit 2) that
names the flag and the valid range, like an estimator parameter, never silently ignored."""

from __future__ import annotations

import argparse
import numbers

#: The seeds numpy and scikit-learn accept.
SEED_RANGE = (0, 2**32 - 1)


def int_in(low: int, high: int | None = None):
    """An argparse ``type`` for integers in ``[low, high]`` (``high`` None: no upper bound).

    argparse prefixes the message with the flag (``argument --limit: ...``) and exits with 2.
    """
    valid = f"an integer >= {low}" if high is None else f"an integer in [{low}, {high}]"

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be {valid}; got {text!r}") from None
        if value < low or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"must be {valid}; got {value}")
        return value

    parse.__name__ = valid  # argparse names the type in some messages
    return parse


def reconstructor_number(name: str):
    """An argparse type: a number checked against the reconstructor's constraint of ``name``.

    The ranges are the estimator's (sktl's vocabulary), so a flag refuses what the parameter
    refuses, at parse time: argparse then names the flag.
    """
    from sklearn.utils._param_validation import Interval

    from ..utils._vocabulary import term

    constraint = term("MicrostructureReconstructor", name).resolved_constraint()
    ranges = [c for c in constraint if isinstance(c, Interval)]
    integral = any(issubclass(r.type, numbers.Integral) for r in ranges)

    def parse(text: str):
        try:
            value = int(text) if integral else float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected {'an integer' if integral else 'a number'}, got {text!r}"
            ) from None
        if not any(value in r for r in ranges):
            raise argparse.ArgumentTypeError(
                f"expected {' or '.join(str(r) for r in ranges)}, got {text}"
            )
        return value

    parse.__name__ = name  # argparse names the type in its messages
    return parse


def comma_ints(text: str, expected: str) -> tuple:
    """Integers joined by commas, or an argparse error that says what was ``expected``."""
    try:
        return tuple(int(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}") from None


def sample_shape(text: str) -> tuple:
    """An argparse type: H,W or D,H,W of positive integers."""
    shape = comma_ints(text, "integers separated by commas (H,W or D,H,W)")
    if len(shape) not in (2, 3) or min(shape) < 1:
        raise argparse.ArgumentTypeError(
            f"expected H,W or D,H,W of positive integers, got {text!r}"
        )
    return shape
