"""Torch plumbing shared by every estimator: device choice, seeding, float32 casting."""

from __future__ import annotations

import numpy as np
import torch
from sklearn.utils import check_random_state


def resolve_device(device: str | torch.device | None) -> torch.device:
    """Return the torch device for ``device`` ("cpu", "cuda", "cuda:1", "auto" or None).

    "auto" and None pick CUDA when it is available and the CPU otherwise. Asking for CUDA
    on a machine without it is an error rather than a silent fallback.
    """
    if device is None or device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    dev = torch.device(device)
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            f"device={device!r} was requested but CUDA is not available on this machine; "
            "use device='cpu' or device='auto'."
        )
    return dev


def seed_from_random_state(random_state) -> int:
    """Draw a 31-bit integer seed from a scikit-learn ``random_state`` argument.

    An int always gives the same seed, so the same ``random_state`` reproduces a fit.
    """
    if isinstance(random_state, (int, np.integer)) and not isinstance(random_state, bool):
        return int(random_state) % (2**31 - 1)
    rng = check_random_state(random_state)
    return int(rng.randint(0, 2**31 - 1))


def torch_generator(random_state, device: torch.device | str = "cpu") -> torch.Generator:
    """A torch.Generator seeded from a scikit-learn ``random_state``."""
    gen = torch.Generator(device=device)
    gen.manual_seed(seed_from_random_state(random_state))
    return gen


def as_float32(X) -> np.ndarray:
    """Cast an array to a C-contiguous float32 numpy array (torch refuses float64 silently)."""
    return np.ascontiguousarray(X, dtype=np.float32)
