"""The clock of one ``sample`` call: its ``time_budget``, and progress lines with an ETA."""

from __future__ import annotations

import sys
import time
import warnings

import numpy as np

from ..utils._validation import _caller_stacklevel

#: What the budget and the progress lines read (tests replace it with a fake clock).
clock = time.perf_counter

OWNER = "MicrostructureReconstructor"


class SampleClock:
    """Seconds since a ``sample`` call began, its time budget and its progress lines.

    Calling it says whether ``time_budget`` has run out. Once it has, it stays out
    (``ran_out``), so every later check of the call, in this sample or the next, stops at
    once. The ETA counts work as the cost of an iteration times the iterations of each level:
    in 2-D a level of half the side costs about a quarter of the next finer one per
    iteration; for volumes, :func:`iteration_cost` counts the slices VGG19 sees.

    Parameters
    ----------
    time_budget : float or None
        Seconds the call may take; None: no limit.
    n_samples : int
        Samples of the call.
    shapes : list of tuple
        The level shapes of one sample, coarsest first.
    verbose : int
        Progress lines (stderr) when > 0 and the call has more than one sample or level.
    iterations : list of int, optional
        Iterations of each level, coarsest first (None: the same at every level).
    costs : list of float, optional
        Cost of one iteration of each level, coarsest first (:func:`iteration_cost`; None:
        its pixels or voxels).
    """

    def __init__(self, time_budget, n_samples: int, shapes, *, verbose, iterations=None,
                 costs=None):
        self.time_budget = time_budget
        self.start = clock()
        self.ran_out = False
        self.n_samples, self.n_levels = n_samples, len(shapes)
        iterations = iterations or [1] * len(shapes)
        costs = costs or [float(np.prod(s)) for s in shapes]
        self.level_work = [c * n for c, n in zip(costs, iterations, strict=True)]
        self.total = n_samples * sum(self.level_work)
        self.done = 0.0
        self.n_done = 0
        self.show = bool(verbose) and (n_samples > 1 or len(shapes) > 1)

    def elapsed(self) -> float:
        return clock() - self.start

    def __call__(self) -> bool:
        """True once the time budget has run out (checked between optimiser steps)."""
        if not self.ran_out and self.time_budget is not None:
            self.ran_out = self.elapsed() > self.time_budget
        return self.ran_out

    def level_done(self, sample: int, level: int) -> None:
        """Count finished level ``level`` (0: coarsest) of sample ``sample``; with verbose,
        print a line with the time so far and an estimate of the time left."""
        self.done += self.level_work[level]
        self.n_done += 1
        if not self.show:
            return
        elapsed = self.elapsed()
        left = elapsed / self.done * (self.total - self.done)
        line = (
            f"[{OWNER}] sample {sample + 1}/{self.n_samples}: level {level + 1}/{self.n_levels}"
            f" done; {self.n_done}/{self.n_samples * self.n_levels} levels in {elapsed:.0f} s, "
            f"about {left:.0f} s left"
        )
        if self.time_budget is not None and elapsed + left > self.time_budget:
            line += f" (time_budget ends the call in {max(self.time_budget - elapsed, 0):.0f} s)"
        from tqdm.auto import tqdm

        tqdm.write(line, file=sys.stderr)  # above a progress bar, not through it
        sys.stderr.flush()


# Per voxel, a volume's descriptor terms (FFTs over every slice, the lineal path on a share of
# them) cost about this fraction of what VGG19 costs per pixel of a slice it scores (a profile
# of the carbonate at 64^3: 0.36 s for 262,144 voxels against 0.2 s for 6 slices of 4,096 px).
DESCRIPTOR_COST = 0.17


def iteration_cost(shape, n_gram=None) -> float:
    """The cost of one evaluation of a level of ``shape``, in VGG19 pixels: an image's pixels;
    for a volume, the pixels of the slices the Gram loss scores (``n_gram`` per axis, None:
    every slice; 0: none) plus its descriptor terms, which see every voxel."""
    size = float(np.prod(shape))
    if len(shape) == 2:
        return size
    slices = [n if n_gram is None else min(n_gram, n) for n in shape]
    return sum(k * size / n for k, n in zip(slices, shape, strict=True)) + DESCRIPTOR_COST * size


def warn_out_of_time(time_budget, elapsed: float, unfinished: dict, n_samples: int) -> None:
    """Warn that ``time_budget`` cut the call short: where, what was returned, the fix."""
    parts = [f"samples[{i}] stopped at {at}" for i, at in unfinished.items() if at != "not started"]
    waiting = [i for i, at in unfinished.items() if at == "not started"]  # always the last ones
    if parts:
        parts[-1] += " (levels counted from the coarsest)"
    if len(waiting) == 1:
        parts.append(f"samples[{waiting[0]}] never started (random phases at the fractions)")
    elif waiting:
        parts.append(
            f"samples[{waiting[0]}:{waiting[-1] + 1}] never started (random phases at the "
            "fractions)"
        )
    every = "The sample has" if n_samples == 1 else f"All {n_samples} samples have"
    warnings.warn(
        f"{OWNER}.sample ran out of time_budget={time_budget:g} s after {elapsed:.1f} s: "
        f"{'; '.join(parts)}. {every} the requested shape and phases, but the unfinished ones "
        "are reconstructed only as far as they got (never started: noise); "
        "unfinished_samples_ lists them. Pass a larger time_budget or a lower max_iter (or "
        "draw fewer or smaller samples per call).",
        UserWarning,
        stacklevel=_caller_stacklevel(),
    )
