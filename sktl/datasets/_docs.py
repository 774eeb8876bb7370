"""Docstring texts shared by the dataset functions, written once (filled in by ``fill_doc``).

A ``(type, description)`` pair becomes the parameter's numpydoc entry with the default read
from each function's signature; a text starting with a newline is a block of whole lines,
indented like its placeholder.
"""

from __future__ import annotations

#: The parameters and errors of every ``fetch_*`` function (and of ``fetch_files``).
FETCH_DOCS = {
    "data_home": (
        "str or path-like",
        "Folder of the data; None: ``$SKTL_DATA``, else ``~/sktl_data`` (:func:`get_data_home`).",
    ),
    "download_if_missing": (
        "bool",
        "Download missing files. If False, or offline, a missing file raises an error that "
        "names each file, where it belongs and its URL.",
    ),
    # the last items of a composition set's Returns list
    "published_and_files": """
    - ``published_mae``: dict model -> published test MAE on this split, in ``target_unit``;
    - ``filenames``: dict split -> path of the file read;
    - ``DESCR``: a description with the sources, licences and what to cite.
""",
    "fetch_raises": """
    FileNotFoundError
        A file is missing and ``download_if_missing=False``.
    OSError
        A download failed; the message names each missing file, the path it belongs at and
        its source URL.
    sktl.UnreadableFileError
        A file (or a download) is not the published version: another size or sha256, checked
        on every read, or content that does not parse. The message names the file and how
        to get it again.
""",
}

#: The parameters every ``make_*`` generator shares (each adds its own ``verbose``).
GENERATOR_DOCS = {
    "cache_dir": (
        "None, True or path-like",
        "Keep generated sets on disk, keyed by every argument that changes the data, and read "
        "them back on the next call: None generates every time and writes nothing, True uses "
        ":func:`sktl.datasets.get_cache_home` (``$SKTL_CACHE`` or ``~/.cache/sktl``), a path "
        "uses that folder. It may not lie inside :func:`sktl.datasets.get_data_home` (the "
        "reference data). Only sets with an int ``random_state`` are cached.",
    ),
    "random_state": (
        "int, numpy Generator, RandomState or None",
        "Seed. Sample ``i`` comes from its own stream, so the first rows of a larger set equal "
        "a smaller set drawn with the same seed and other arguments.",
    ),
}


def generator_verbose(auto: str) -> tuple[str, str]:
    """The ``verbose`` entry of a ``make_*`` generator; ``auto`` says when None shows the bar."""
    return ("int or None", f"0: quiet; >= 1: a tqdm progress bar; None shows it {auto}.")


#: The Returns entry of ``get_data_home`` and ``get_cache_home``.
FOLDER_RETURNS = """
    path : pathlib.Path
        The folder, with ``~`` expanded.
"""
