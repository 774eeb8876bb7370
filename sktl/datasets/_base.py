"""Where the fetched datasets live, and how a missing file gets there (downloaded once).

Every ``fetch_*`` function looks for its files under ``data_home`` in a fixed layout (the same
as the project's reference-data folder), downloads the missing ones from their public source
when allowed, and otherwise raises an error that names each file and where to put it.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import urllib.request
import warnings
from dataclasses import dataclass
from pathlib import Path

from ..utils._docstrings import fill_doc
from ._docs import FETCH_DOCS, FOLDER_RETURNS

logger = logging.getLogger("sktl.datasets")

#: The environment variable that sets the default ``data_home``.
DATA_HOME_ENV = "SKTL_DATA"
CACHE_HOME_ENV = "SKTL_CACHE"
_TIMEOUT = 60  # seconds per network read


@dataclass(frozen=True)
class RemoteFile:
    """One file of a dataset: where it goes under ``data_home`` and where it comes from.

    ``path`` is relative to ``data_home`` (forward slashes), ``url`` its public source,
    ``sha256`` the digest of the version sktl was written against and ``size`` its size in
    bytes (for messages).
    """

    path: str
    url: str
    sha256: str
    size: int


@fill_doc(folder_returns=FOLDER_RETURNS)
def get_data_home(data_home=None) -> Path:
    """The folder the ``fetch_*`` functions read from and download into.

    Parameters
    ----------
    data_home : str or path-like, default=None
        The folder. None: ``$SKTL_DATA`` if that environment variable is set, else
        ``~/sktl_data``. The folder is not created here (a download creates it).

    Returns
    -------
    %(folder_returns)s

    Examples
    --------
    >>> from sktl.datasets import get_data_home
    >>> get_data_home("/data/sktl").as_posix()
    '/data/sktl'
    """
    return _folder(data_home, DATA_HOME_ENV, Path.home() / "sktl_data")


def _folder(given, env: str, default: Path) -> Path:
    """``given``, else ``$env``, else ``default``, with ``~`` expanded."""
    if given is None:
        given = os.environ.get(env) or default
    return Path(given).expanduser()


@fill_doc(folder_returns=FOLDER_RETURNS)
def get_cache_home(cache_home=None) -> Path:
    """The folder that ``make_*(cache_dir=True)`` keeps generated sets in.

    Generated sets are never written to :func:`get_data_home`, which holds reference data.

    Parameters
    ----------
    cache_home : str or path-like, default=None
        The folder. None: ``$SKTL_CACHE`` if that environment variable is set, else
        ``~/.cache/sktl``. The folder is not created here.

    Returns
    -------
    %(folder_returns)s

    Examples
    --------
    >>> from sktl.datasets import get_cache_home
    >>> get_cache_home("/tmp/sktl-cache").as_posix()
    '/tmp/sktl-cache'
    """
    return _folder(cache_home, CACHE_HOME_ENV, Path.home() / ".cache" / "sktl")


def _download(url: str, path: Path) -> None:
    """Copy ``url`` to ``path`` (the one function that touches the network; tests replace it)."""
    request = urllib.request.Request(url, headers={"User-Agent": "sktl"})
    with urllib.request.urlopen(request, timeout=_TIMEOUT) as response, open(path, "wb") as fh:
        shutil.copyfileobj(response, fh, length=1 << 20)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _megabytes(files) -> str:
    return f"{sum(f.size for f in files) / 1e6:.1f} MB"


def _where_to_put(home: Path, files) -> str:
    return "\n".join(f"  {home / f.path}   <- {f.url}" for f in files)


@fill_doc(**FETCH_DOCS)
def fetch_files(dataset: str, files: dict, data_home=None, download_if_missing=True) -> dict:
    """Local paths of ``files``, downloading the missing ones once.

    Parameters
    ----------
    dataset : str
        The calling function's name, for messages.
    files : dict
        ``key -> RemoteFile`` (the key is the caller's: a split, an image size).
    %(data_home)s
    %(download_if_missing)s

    Returns
    -------
    paths : dict
        ``key -> pathlib.Path`` of every file, all present.

    Raises
    ------
    %(fetch_raises)s
    """
    home = get_data_home(data_home)
    missing = [f for f in files.values() if not (home / f.path).is_file()]
    if missing and not download_if_missing:
        raise FileNotFoundError(
            f"{dataset}: {len(missing)} file(s) not found under data_home={str(home)!r}. Put "
            f"each file at its path (the URL is its public source):\n"
            f"{_where_to_put(home, missing)}\n"
            f"or pass data_home= (or set ${DATA_HOME_ENV}) to a folder that has them in this "
            f"layout, or call {dataset}(download_if_missing=True) to download them "
            f"({_megabytes(missing)})."
        )
    for i, remote in enumerate(missing):
        target = home / remote.path
        tmp = target.with_name(f"{target.name}.{os.getpid()}.part")
        logger.info("%s: downloading %s to %s", dataset, remote.url, target)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            _download(remote.url, tmp)
            digest = _sha256(tmp)
            os.replace(tmp, target)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise OSError(
                f"{dataset}: could not download {remote.url} to {target} ({exc}). Offline, "
                f"download these files on another machine and put each at its path:\n"
                f"{_where_to_put(home, missing[i:])}\n"
                f"or pass data_home= (or set ${DATA_HOME_ENV}) to a folder that has them."
            ) from exc
        if digest != remote.sha256:
            warnings.warn(
                f"{dataset}: {target} (from {remote.url}) differs from the version sktl was "
                f"written against (sha256 {digest}, expected {remote.sha256}); the data may "
                "have changed upstream, so results may differ from the published ones.",
                UserWarning,
                stacklevel=3,
            )
    return {key: home / f.path for key, f in files.items()}
