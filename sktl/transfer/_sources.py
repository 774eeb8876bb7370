"""Source networks stored as arrays plus metadata: the ones that ship with sktl and the user's.

A source is two files beside each other: ``<stem>.npz`` holds every parameter and buffer of the
network's ``state_dict`` (weight matrices as float16, the rest as float32, integer buffers as
they are; no pickle) and ``<stem>.json`` its metadata: the architecture (ElemNet notation), the
input width and what the input is, the npz's sha256, how the network was trained and the
credit of its data. :func:`load_source` rebuilds the network with :func:`build_mlp` and checks
both files first; :func:`write_source` writes them from a fitted network.
"""

from __future__ import annotations

import inspect
import json
import os
import zipfile
from pathlib import Path

import numpy as np
import torch
from torch import nn

from .._version import __version__
from ..persistence._recipes import recipe_of
from ..utils._errors import UnreadableFileError
from ..utils._verified import file_sha256, temporary_path
from ._architecture import build_mlp

#: The version of the file layout that :func:`write_source` writes and :func:`load_source` reads.
SOURCE_FORMAT = 1

#: What the input of a network trained on ``source_features()`` is.
SOURCE_INPUT = "source_features: 86 element fractions then 105 element-property statistics"

_DATA = Path(__file__).resolve().parent / "data"
# the sources that ship with sktl: name -> stem of their files in sktl/transfer/data
_SHIPPED = {"oqmd": "oqmd_source"}
# the fields write_source sets itself; the caller's metadata may not change them
_RESERVED = ("format", "architecture", "n_features_in", "n_outputs", "dropout", "npz_sha256")
_EXPECTED = "a source written by sktl.transfer.write_source or `sktl pretrain` (.npz + .json)"
_FIX = (
    "Use an undamaged copy of both files (a reinstall of sktl restores the shipped ones), or "
    "write the source again with `sktl pretrain --out STEM` or sktl.transfer.write_source"
)


def available_sources() -> list[str]:
    """The names of the source networks that ship with sktl (``weights="oqmd"``).

    Returns
    -------
    names : list of str
        The names :func:`load_source` and every transfer model's ``weights`` accept.

    Examples
    --------
    >>> from sktl.transfer import available_sources
    >>> available_sources()
    ['oqmd']
    """
    return sorted(_SHIPPED)


def source_stem(source) -> Path:
    """The stem of a source's files: a shipped name, ``<stem>.npz``, ``<stem>.json`` or a stem."""
    if isinstance(source, str) and source in _SHIPPED:
        return _DATA / _SHIPPED[source]
    path = Path(source)
    return path.with_suffix("") if path.suffix in (".npz", ".json") else path


def is_source(value) -> bool:
    """Whether ``weights=value`` names a source of this format (not a saved model file)."""
    if isinstance(value, str) and value in _SHIPPED:
        return True
    if not isinstance(value, (str, os.PathLike)):
        return False
    path = Path(value)
    if path.suffix in (".npz", ".json"):
        return True
    return not path.exists() and Path(f"{path}.json").exists()


def unknown_source_error(value) -> ValueError:
    """The error of a ``weights`` string that is neither a shipped source nor a file."""
    return ValueError(
        f"weights={str(value)!r} is neither a source that ships with sktl "
        f"({', '.join(map(repr, available_sources()))}) nor an existing file: pass one of "
        "those names, the path of a source (.npz or .json, from `sktl pretrain` or "
        "sktl.transfer.write_source) or of a saved model (.skops or joblib)."
    )


def _network_parts(network):
    """(torch module, the DeepMLPRegressor or None) of a fitted network or Pipeline."""
    from sklearn.pipeline import Pipeline

    if isinstance(network, Pipeline):
        network = network.steps[-1][1]
    if isinstance(network, nn.Module):
        return network, None
    module = getattr(getattr(network, "net_", None), "module_", None)
    if not isinstance(module, nn.Module):
        raise TypeError(
            "network must be a fitted DeepMLPRegressor (or a Pipeline ending with one, such as "
            f"pretrain_source's) or the torch module of one; got {type(network).__name__}"
            + (" that is not fitted: fit it first." if hasattr(network, "get_params") else ".")
        )
    return module, network


def input_description(network) -> str | None:
    """SOURCE_INPUT when ``network`` is a Pipeline whose features are ``source_features()``."""
    from sklearn.pipeline import Pipeline

    from ._pretrain import source_features

    if not isinstance(network, Pipeline) or len(network.steps) != 2:
        return None
    features = network.steps[0][1]
    expected = source_features()
    same = type(features) is type(expected) and features.get_params() == expected.get_params()
    return SOURCE_INPUT if same else None


def _arrays(module: nn.Module) -> dict[str, np.ndarray]:
    """The state dict as numpy: float matrices as float16, other floats float32, ints as is."""
    arrays = {}
    for name, tensor in module.state_dict().items():
        a = tensor.detach().cpu().numpy()
        if a.dtype.kind == "f":
            if not np.isfinite(a).all():
                raise ValueError(
                    f"the network's {name!r} holds NaN or infinite values: it did not train; "
                    "fit it again (e.g. with a lower lr) before writing it."
                )
            if a.ndim >= 2:
                if np.abs(a).max(initial=0) > np.finfo(np.float16).max:
                    raise ValueError(
                        f"the network's {name!r} holds values beyond float16's range (65504), "
                        "which the source format stores weight matrices in; use weight_decay."
                    )
                a = a.astype(np.float16)
            else:
                a = a.astype(np.float32)
        arrays[name] = np.array(a)  # contiguous; a 0-d buffer stays 0-d
    return arrays


def write_source(network, stem, metadata=None) -> dict:
    """Write a fitted network as a source: ``<stem>.npz`` (arrays) and ``<stem>.json``.

    Both files are written atomically (a temporary file, then a rename). The metadata records
    the architecture, the input width, the npz's sha256, the sktl version, and, from a
    DeepMLPRegressor, its epochs (``epochs``), its ``random_state`` (``seed``) and settings;
    ``metadata`` adds the rest (how it was trained, its scores, the credit of its data).

    Parameters
    ----------
    network : DeepMLPRegressor, Pipeline or torch.nn.Module
        A fitted :class:`DeepMLPRegressor`, a Pipeline ending with one (such as
        :func:`pretrain_source`'s; ``input_features`` is then recorded when its features are
        :func:`source_features`), or the module of one (built by :func:`build_mlp`).
    stem : str or path-like
        The files' path without suffix (``.npz`` or ``.json`` is removed if given).
    metadata : dict or None, default=None
        More JSON-serialisable fields, e.g. ``{"input_features": ..., "train_rows": ...}``.

    Returns
    -------
    metadata : dict
        What the ``.json`` file holds.

    Examples
    --------
    >>> import numpy as np
    >>> from sktl.transfer import DeepMLPRegressor, load_source, write_source
    >>> X = np.random.default_rng(0).random((40, 5))
    >>> net = DeepMLPRegressor(architecture="16B-1", max_epochs=2, random_state=0).fit(X, X[:, 0])
    >>> meta = write_source(net, "my_source", {"input_features": "5 random columns"})
    >>> module, meta = load_source("my_source.npz")
    >>> meta["architecture"], meta["n_features_in"]
    ('16B-1', 5)
    """
    module, estimator = _network_parts(network)
    recipe = recipe_of(module)
    if recipe is None or recipe[0] != "mlp":
        raise TypeError(
            "write_source stores networks built by sktl.transfer.build_mlp (a "
            f"DeepMLPRegressor's); got a {type(module).__name__}. Save other models with "
            "sktl.persistence.dump."
        )
    bound = inspect.signature(build_mlp).bind(*recipe[1], **recipe[2]).arguments
    spec, n_in, n_out, dropout = (bound[k] for k in ("spec", "n_in", "n_out", "dropout"))
    metadata = dict(metadata or {})
    clash = sorted(set(metadata) & set(_RESERVED))
    if clash:
        raise ValueError(f"metadata may not set {clash}: write_source records them itself.")
    arrays = _arrays(module)
    auto = {"input_features": input_description(network), "sktl_version": __version__}
    if estimator is not None:
        params = estimator.get_params()
        auto["seed"] = params.pop("random_state")
        auto["epochs"] = len(getattr(estimator, "history_", []))
        auto["settings"] = {k: v for k, v in params.items() if k not in ("weights", "verbose")}
    auto = {k: v for k, v in auto.items() if v is not None}
    stem = source_stem(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    npz, js = Path(f"{stem}.npz"), Path(f"{stem}.json")
    tmp_npz, tmp_js = temporary_path(npz), temporary_path(js)
    try:
        with open(tmp_npz, "wb") as f:
            np.savez_compressed(f, **arrays)
        meta = {
            "format": SOURCE_FORMAT,
            "architecture": spec,
            "n_features_in": int(n_in),
            "n_outputs": int(n_out),
            "dropout": float(dropout),
            "npz_sha256": file_sha256(tmp_npz),
            **auto,
            **metadata,
        }
        tmp_js.write_text(json.dumps(meta, indent=2) + "\n")
        os.replace(tmp_npz, npz)
        os.replace(tmp_js, js)
    finally:
        tmp_npz.unlink(missing_ok=True)
        tmp_js.unlink(missing_ok=True)
    return meta


def _read_metadata(js: Path) -> dict:
    try:
        meta = json.loads(js.read_text())
    except (FileNotFoundError, PermissionError, IsADirectoryError):
        raise
    except (OSError, ValueError) as exc:  # bad bytes, bad JSON
        raise UnreadableFileError(js, f"cannot be read ({exc})", _EXPECTED, _FIX) from exc
    if not isinstance(meta, dict) or meta.get("format") != SOURCE_FORMAT:
        got = meta.get("format") if isinstance(meta, dict) else None
        raise UnreadableFileError(
            js, f"is not a source's metadata of format {SOURCE_FORMAT} (format: {got!r})",
            _EXPECTED, _FIX,
        )  # fmt: skip
    kinds = {"architecture": str, "n_features_in": int, "n_outputs": int, "npz_sha256": str}
    for key, kind in kinds.items():
        if not isinstance(meta.get(key), kind) or isinstance(meta.get(key), bool):
            raise UnreadableFileError(
                js, f"lacks a valid {key!r} ({kind.__name__})", _EXPECTED, _FIX
            )
    if not isinstance(meta.get("dropout", 0.0), (int, float)):
        raise UnreadableFileError(js, "has a dropout that is not a number", _EXPECTED, _FIX)
    if not 1 <= meta["n_features_in"] <= 1 << 20 or not 1 <= meta["n_outputs"] <= 1 << 16:
        raise UnreadableFileError(js, "has an impossible input or output width", _EXPECTED, _FIX)
    return meta


def _empty_network(js: Path, meta: dict) -> nn.Module:
    """The architecture on torch's meta device (no memory, no random draws)."""
    try:
        with torch.device("meta"), torch.random.fork_rng(devices=[]):
            return build_mlp(
                meta["architecture"], meta["n_features_in"], meta["n_outputs"],
                float(meta.get("dropout", 0.0)),
            )  # fmt: skip
    except ValueError as exc:
        raise UnreadableFileError(js, f"describes no network ({exc})", _EXPECTED, _FIX) from exc


def _read_arrays(npz: Path, module: nn.Module, described: str) -> dict[str, torch.Tensor]:
    """The npz's arrays as the module's state dict, after checking names, sizes and values."""
    expected = module.state_dict()
    try:
        with zipfile.ZipFile(npz) as archive:  # sizes are read before anything is allocated
            members = {info.filename: info.file_size for info in archive.infolist()}
        names = {m.removesuffix(".npy") for m in members}
        if names != set(expected):
            missing, extra = sorted(set(expected) - names), sorted(names - set(expected))
            raise ValueError(f"its arrays do not fit {described} (missing {missing[:3]}, "
                             f"unexpected {extra[:3]})")  # fmt: skip
        state = {}
        with np.load(npz, allow_pickle=False) as data:
            for name, t in expected.items():
                if members[f"{name}.npy"] > t.numel() * 8 + 4096:
                    raise ValueError(f"its array {name!r} is larger than the architecture's")
                a = data[name]
                floating = t.dtype.is_floating_point
                if tuple(a.shape) != tuple(t.shape) or (a.dtype.kind == "f") != floating:
                    raise ValueError(
                        f"its array {name!r} has shape {a.shape} and dtype {a.dtype}, "
                        f"{described} {tuple(t.shape)} and {t.dtype}"
                    )
                if floating and not np.isfinite(a).all():
                    raise ValueError(f"its array {name!r} holds NaN or infinite values")
                state[name] = torch.from_numpy(np.array(a, dtype=np.float32 if floating else None))
    except (FileNotFoundError, PermissionError, IsADirectoryError, MemoryError):
        raise
    except Exception as exc:  # noqa: BLE001 - every parse failure is the file's
        raise UnreadableFileError(npz, f"cannot be read ({exc})", _EXPECTED, _FIX) from exc
    return state


def load_source(source) -> tuple[nn.Module, dict]:
    """A source network (float32, evaluation mode) and its metadata, checked on every load.

    Parameters
    ----------
    source : str or path-like
        A name of :func:`available_sources` (``"oqmd"``: the network sktl ships, trained on
        OQMD formation energies), or the ``.npz``, ``.json`` or stem of a source written by
        :func:`write_source` or ``sktl pretrain``.

    Returns
    -------
    module : torch.nn.Module
        The network (``build_mlp``'s layout: ``dense_1`` ... ``dense_{L+1}``), float32, on the
        CPU, in evaluation mode. Each call builds a new one.
    metadata : dict
        The ``.json`` file: ``architecture``, ``n_features_in``, ``input_features``, how it
        was trained and, for the shipped sources, the credit of their data.

    Raises
    ------
    sktl.UnreadableFileError
        If either file is damaged: the json does not parse or describes no network, the npz's
        sha256 differs from the json's, or its arrays do not fit the architecture.

    Examples
    --------
    >>> from sktl.transfer import load_source, source_features
    >>> module, meta = load_source("oqmd")
    >>> meta["n_features_in"] == len(source_features().get_feature_names_out())
    True
    """
    stem = source_stem(source)
    npz, js = Path(f"{stem}.npz"), Path(f"{stem}.json")
    meta = _read_metadata(js)
    digest = file_sha256(npz)
    if digest != meta["npz_sha256"]:
        raise UnreadableFileError(
            npz, f"has sha256 {digest}, but {js.name} records {meta['npz_sha256']}", _EXPECTED,
            _FIX,
        )  # fmt: skip
    module = _empty_network(js, meta)
    described = f"the architecture {meta['architecture']!r} of {js.name}"
    module.load_state_dict(_read_arrays(npz, module, described), strict=True, assign=True)
    return module.eval(), meta
