"""The one meaning of ``freeze``: how many leading taps or layers stay frozen."""

from __future__ import annotations

import numbers


def n_frozen(freeze, n: int, what: str) -> int:
    """The number of leading ``what`` (taps, hidden layers) that ``freeze`` keeps frozen.

    Parameters
    ----------
    freeze : "all", "none" or int
        "all" freezes all ``n``, "none" none, an int k the first k.
    n : int
        How many there are.
    what : str
        What they are, for the error message (e.g. "taps of vgg19 up to layer 'pool3'").

    Returns
    -------
    k : int
        In ``[0, n]``.
    """
    if freeze == "all":
        return n
    if freeze == "none":
        return 0
    if isinstance(freeze, bool) or not isinstance(freeze, numbers.Integral) or freeze < 0:
        raise ValueError(f"freeze must be 'all', 'none' or an int >= 0, got {freeze!r}.")
    if freeze > n:
        raise ValueError(
            f"freeze={freeze} asks to freeze more than the {n} {what}; use at most {n}, or "
            "freeze='all'."
        )
    return int(freeze)
