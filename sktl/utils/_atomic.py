"""All-or-nothing fitting: a failed fit never leaves an estimator half-updated."""

from __future__ import annotations

import functools


def atomic_fit(fit):
    """Decorate ``fit`` so that an exception leaves the estimator exactly as it was before.

    A refit that fails half-way (bad input found late, out of memory, KeyboardInterrupt before
    the first epoch ends) must not leave a mix of new scalers and an old network: the previous
    fitted state, or the unfitted state, is restored and the exception re-raised.
    """

    @functools.wraps(fit)
    def wrapper(self, *args, **kwargs):
        before = dict(self.__dict__)
        try:
            return fit(self, *args, **kwargs)
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(before)
            raise

    return wrapper
