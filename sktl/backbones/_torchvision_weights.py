"""ImageNet weights from torchvision: cached file if present, download otherwise."""

from __future__ import annotations

import os

import torch

from ..utils._errors import UnreadableFileError
from ..utils._verified import file_sha256
from ._preprocessing import IMAGENET, Preprocessing
from ._spec import WeightSource


def torchvision_cache_path(url: str) -> str:
    """Where torch keeps a downloaded checkpoint (``$TORCH_HOME/hub/checkpoints/<file>``)."""
    return os.path.join(torch.hub.get_dir(), "checkpoints", os.path.basename(url))


def _download(url: str) -> dict:
    # The one place sktl reaches the network; tests replace this function.
    return torch.hub.load_state_dict_from_url(
        url, map_location="cpu", progress=True, check_hash=True, weights_only=True
    )


def _read_checkpoint(path: str) -> dict:
    """A cached torchvision checkpoint, checked against the sha256 prefix in its name."""
    fix = (
        "Delete it: sktl downloads it again on the next fit (or copy a good file there, or "
        "pass weights= a state dict file)."
    )
    expected = "torchvision's ImageNet weights, whose sha256 starts with the hex in the name"
    match = torch.hub.HASH_REGEX.search(os.path.basename(path))
    if match and match.group(1) and not file_sha256(path).startswith(match.group(1)):
        raise UnreadableFileError(path, "its sha256 does not match its name", expected, fix)
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise UnreadableFileError(path, f"it does not load ({exc})", expected, fix) from exc


def load_torchvision_state_dict(url: str, backbone: str) -> dict:
    """Load torchvision ImageNet weights, from the local cache or by downloading them once."""
    cached = torchvision_cache_path(url)
    if os.path.exists(cached):
        return _read_checkpoint(cached)
    try:
        return _download(url)
    except Exception as exc:  # URLError, socket errors, hash mismatch, ...
        raise RuntimeError(
            f"Could not get ImageNet weights for backbone={backbone!r}: downloading {url} failed "
            f"({type(exc).__name__}: {exc}). Without network access, either copy the file to "
            f"{cached} (set TORCH_HOME to choose the cache folder), or pass "
            "weights='/path/to/state_dict.pth' with a torchvision state dict, or use an offline "
            "source (see sktl.backbones.list_weight_sources())."
        ) from exc


def torchvision_imagenet(weights_enum, backbone: str, preprocessing: Preprocessing = IMAGENET):
    """A :class:`WeightSource` for a torchvision weights enum member."""

    def factory() -> WeightSource:
        return WeightSource(
            name="imagenet",
            preprocessing=preprocessing,
            load=lambda: load_torchvision_state_dict(weights_enum.url, backbone),
            description=f"torchvision {weights_enum} (downloaded once, then cached)",
        )

    return factory
