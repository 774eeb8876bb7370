"""Where the fetched datasets live, and how a missing file gets there (downloaded once).

Every ``fetch_*`` function looks for its files under ``data_home`` in a fixed layout (the same
as the project's reference-data folder), downloads the missing ones from their public source
when allowed, and otherwise raises an error that names each file and where to put it.

Every file is checked against the size and sha256 of the published version each time it is
read, not only after a download: a truncated, damaged, swapped or edited file raises an
:class:`~sktl.utils._errors.UnreadableFileError` that names it and says how to get it again,
instead of becoming wrong numbers. (Hashing costs about 10 ms for the largest file, OQMD's
5.5 MB ``train.csv``: a small fraction of parsing it.) Downloads go to a temporary name unique to
the process and thread, are checked, then renamed into place, so a failed, damaged or
interrupted download never leaves a file at the final path.
"""

from __future__ import annotations

import http.client
import logging
import os
import shutil
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from ..utils._docstrings import fill_doc
from ..utils._errors import UnreadableFileError
from ..utils._verified import file_sha256, temporary_path
from ._docs import FETCH_DOCS, FOLDER_RETURNS

logger = logging.getLogger("sktl.datasets")

#: The environment variable that sets the default ``data_home``.
DATA_HOME_ENV = "SKTL_DATA"
CACHE_HOME_ENV = "SKTL_CACHE"
_TIMEOUT = 60  # seconds per network read


@dataclass(frozen=True)
class RemoteFile:
    """One file of a dataset: where it goes under ``data_home`` and where it comes from.

    ``path`` is relative to ``data_home`` (forward slashes), ``url`` its public source (pinned
    to a commit, so it always serves the same bytes), ``sha256`` the digest of the version
    sktl was written against and ``size`` its size in bytes; every read checks both.
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


def _megabytes(files) -> str:
    return f"{sum(f.size for f in files) / 1e6:.1f} MB"


def _where_to_put(home: Path, files) -> str:
    return "\n".join(f"  {home / f.path}   <- {f.url}" for f in files)


def _published(remote: RemoteFile) -> str:
    return f"the published file: {remote.size} bytes, sha256 {remote.sha256}"


def _mismatch(path: Path, remote: RemoteFile) -> str | None:
    """What differs between the file at ``path`` and ``remote``'s record, or None."""
    size = path.stat().st_size
    if size != remote.size:  # cheap, and spares hashing a file of the wrong size
        kind = "truncated" if size < remote.size else "too long"
        return f"it is {size} bytes, not {remote.size} ({kind})"
    digest = file_sha256(path)
    if digest != remote.sha256:
        return f"its content differs from the published file (its sha256 is {digest})"
    return None


def check_file(dataset: str, path: Path, remote: RemoteFile) -> None:
    """Raise UnreadableFileError unless ``path`` is the published version of ``remote``.

    Parameters
    ----------
    dataset : str
        The calling function's name, for the message.
    path : Path
        The local file.
    remote : RemoteFile
        Its record (size and sha256).
    """
    problem = _mismatch(path, remote)
    if problem is not None:
        raise UnreadableFileError(
            path,
            problem,
            _published(remote),
            f"Delete it and call {dataset}(download_if_missing=True) to download it again, or "
            f"put the file from {remote.url} at this path",
        )


def _claim(dataset: str, home: Path, target: Path) -> Path:
    """Create the folder of ``target`` and an empty temporary file beside it; its path.

    Done before the download, so an unwritable ``data_home`` is reported as such, not as a
    network failure.
    """
    tmp = temporary_path(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        open(tmp, "xb").close()
    except OSError as exc:
        raise OSError(
            f"{dataset}: cannot write {target} ({exc}). Pass data_home= (or set "
            f"${DATA_HOME_ENV}) to a folder you can write to, or put the file there by hand "
            f"(data_home is now {str(home)!r})."
        ) from exc
    return tmp


def _download_one(dataset: str, home: Path, remote: RemoteFile, pending) -> None:
    """Download ``remote`` to its path under ``home``: temporary file, check, rename."""
    target = home / remote.path
    logger.info("%s: downloading %s to %s", dataset, remote.url, target)
    tmp = _claim(dataset, home, target)
    try:
        try:
            _download(remote.url, tmp)
        except (OSError, http.client.HTTPException) as exc:  # e.g. IncompleteRead
            raise OSError(
                f"{dataset}: could not download {remote.url} to {target} ({exc}). Offline, "
                f"download these files on another machine and put each at its path:\n"
                f"{_where_to_put(home, pending)}\n"
                f"or pass data_home= (or set ${DATA_HOME_ENV}) to a folder that has them."
            ) from exc
        # the URL is pinned to a commit, so other bytes mean a damaged or cut download
        problem = _mismatch(tmp, remote)
        if problem is not None:
            raise UnreadableFileError(
                target,
                f"the download from {remote.url} is damaged: {problem}",
                _published(remote),
                f"Call {dataset}(download_if_missing=True) again; if this persists, download "
                f"the file by hand from {remote.url} and put it at this path",
            )
        try:
            os.replace(tmp, target)
        except OSError as exc:
            raise OSError(
                f"{dataset}: cannot write {target} ({exc}). Pass data_home= (or set "
                f"${DATA_HOME_ENV}) to a folder you can write to."
            ) from exc
    finally:
        tmp.unlink(missing_ok=True)


@fill_doc(**FETCH_DOCS)
def fetch_files(dataset: str, files: dict, data_home=None, download_if_missing=True) -> dict:
    """Local paths of ``files``, downloading the missing ones once; each file checked.

    Every file, downloaded now or long ago, is checked against its record (size, then
    sha256) on every call, so a caller reads only the published bytes.

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
        ``key -> pathlib.Path`` of every file, all present and equal to the published ones.

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
        _download_one(dataset, home, remote, missing[i:])
    for remote in files.values():
        check_file(dataset, home / remote.path, remote)
    return {key: home / f.path for key, f in files.items()}
