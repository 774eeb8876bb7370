"""The input files of ``sktl featurize``: found, sized from their headers, read and checked.

A file sktl cannot featurise (it does not parse, it is not an image, its channels or pixel
values do not fit the image contract) raises ``ValueError`` or ``OSError`` from
:func:`read_checked`, whose message :func:`skip_reason` turns into the reason listed for it.
"""

from __future__ import annotations

import glob
import os
from pathlib import Path

import numpy as np

from ..images import check_images, check_intensity, read_image
from ..images._files import PIL_SUFFIXES
from ..utils._errors import UnreadableFileError

#: The suffixes :func:`sktl.images.read_image` reads (a folder contributes only these files).
IMAGE_SUFFIXES = (*sorted(PIL_SUFFIXES), ".npy")


def find_images(inputs, recursive: bool = False) -> tuple[list[Path], list[str]]:
    """The files named by ``inputs`` (files, folders, glob patterns), in order, once each.

    Parameters
    ----------
    inputs : sequence of str or Path
        Files (kept whatever their suffix: one that is not an image is skipped later, with a
        reason), folders (their files with an image suffix, sorted by name) and glob patterns
        (sorted matches; ``**`` matches subfolders).
    recursive : bool, default=False
        Also take the image files of a folder's subfolders.

    Returns
    -------
    files : list of Path
        The files, duplicates (the same file named twice) removed.
    shown : list of str
        How each file is written in the table's ``path`` column: as found from the inputs.

    Raises
    ------
    ValueError
        For a path that does not exist, a folder without image files or a pattern that
        matches nothing.
    """
    found: list[Path] = []
    for item in map(str, inputs):
        path = Path(item)
        if path.is_dir():
            found.extend(_folder_images(path, recursive))
        elif path.exists():
            found.append(path)
        elif any(c in item for c in "*?["):
            matches = sorted(glob.glob(item, recursive=True))
            if not matches:
                raise ValueError(f"the pattern {item!r} matches no file")
            for match in map(Path, matches):
                found.extend(_folder_images(match, recursive) if match.is_dir() else [match])
        else:
            raise ValueError(f"no such file or folder: {item}")
    files, shown, seen = [], [], set()
    for path in found:
        key = os.path.realpath(path)
        if key not in seen:
            seen.add(key)
            files.append(path)
            shown.append(str(path))
    return files, shown


def _folder_images(folder: Path, recursive: bool) -> list[Path]:
    entries = folder.rglob("*") if recursive else folder.iterdir()
    images = sorted(
        p
        for p in entries
        if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file() and not p.name.startswith(".")
    )
    if not images:
        hint = ""
        if not recursive and any(p.is_dir() for p in folder.iterdir()):
            hint = "; pass --recursive to include its subfolders"
        raise ValueError(
            f"the folder {folder} holds no image files ({', '.join(IMAGE_SUFFIXES)}){hint}"
        )
    return images


def header_size(path: Path) -> tuple[int, int] | None:
    """(H, W) of an image file from its header alone, or None when the header does not say.

    A file whose header cannot be read is not judged here: reading it later gives the reason
    it is skipped.
    """
    try:
        if path.suffix.lower() == ".npy":
            shape = np.load(path, mmap_mode="r").shape
            return tuple(int(s) for s in shape[:2]) if len(shape) in (2, 3) else None
        from PIL import Image

        with Image.open(path) as im:
            width, height = im.size
        return int(height), int(width)
    except Exception:  # noqa: BLE001 - any failure is reported when the file is read
        return None


def common_size(files, shown, intensity_range) -> tuple[str, tuple[int, int]] | None:
    """The run's one (H, W) and a file of that size; a ValueError names two files that differ.

    Only files that would be featurised decide it: the sizes come from the headers (nothing
    else is read when they agree), and when they differ, a size whose files all fail
    :func:`read_checked` (truncated, damaged, grey + alpha, ...) is left out, as those files
    are skipped anyway. A file whose header says no size is judged when it is read: skipped
    with its reason, or for a size other than the run's (:func:`other_size_reason`).

    Parameters
    ----------
    files : list of Path
        The input files.
    shown : list of str
        Their names in the table (and in the error).
    intensity_range : "auto" or (float, float)
        As ``--intensity-range``; a file whose values it cannot read is skipped, so does not
        count.

    Returns
    -------
    example : (str, (int, int)) or None
        A file and the (H, W) every image must have; None when no file that can be read
        has a header that says its size (every file is then judged when it is read).

    Raises
    ------
    ValueError
        When files that can be featurised differ in size (``--size`` is then needed).
    """
    sizes = [header_size(p) for p in files]
    groups: dict = {}  # size -> positions of its files, in order
    for i, size in enumerate(sizes):
        if size is not None:
            groups.setdefault(size, []).append(i)
    if len(groups) <= 1:
        return next(((shown[i[0]], size) for size, i in groups.items()), None)
    # most files first: the error names the two largest groups that hold a readable file
    readable = []
    for size, positions in sorted(groups.items(), key=lambda g: -len(g[1])):
        first = next((i for i in positions if _featurisable(files[i], intensity_range)), None)
        if first is not None:
            readable.append((shown[first], size))
            if len(readable) == 2:
                break
    if len(readable) == 2:
        # the headers' count: a size of files that are all skipped may be among them
        raise ValueError(mixed_sizes_message(*readable, len(groups), len(files)))
    return readable[0] if readable else None


def _featurisable(path: Path, intensity_range) -> bool:
    try:
        read_checked(path, intensity_range)
    except (ValueError, OSError):
        return False
    return True


def other_size_reason(size, example) -> str:
    """The reason a file of (H, W) ``size`` is skipped in a run of ``example``'s size.

    Only a file whose header gives no size (or that changed since it was sized) gets here:
    the others' sizes are compared before any work, by :func:`common_size`.
    """
    (h, w), (_, (eh, ew)) = size, example
    return (
        f"its size {h} x {w} px (H x W) differs from the run's size {eh} x {ew} px; pass "
        "--size N to resize every image to N x N"
    )


def mixed_sizes_message(a, b, n_sizes: int | None = None, n_files: int | None = None) -> str:
    """The error of images of several sizes without ``--size``; ``a``, ``b``: (file, (H, W))."""
    among = "" if n_sizes is None else f" (the headers give {n_sizes} sizes among {n_files} files)"
    (fa, (ha, wa)), (fb, (hb, wb)) = a, b
    return (
        f"the images differ in size{among}: {fa} is {ha} x {wa} px (H x W) and {fb} is "
        f"{hb} x {wb} px. Pass --size N to resize every image to N x N before the network "
        "(--size native: the backbone's training size)"
    )


def read_checked(path: Path, intensity_range) -> np.ndarray:
    """The pixels of one file, as :func:`sktl.images.read_image` gives them, checked.

    They must fit the image contract of :func:`sktl.images.check_images` (grey, RGB, or RGBA
    with a constant alpha; finite values) and be readable under ``intensity_range``
    (:func:`sktl.images.check_intensity`), so that one bad file is skipped alone instead of
    failing the batch it would join.

    Raises
    ------
    ValueError or OSError
        Whatever makes the file unusable; :func:`skip_reason` words it.
    """
    image = read_image(path)
    checked = check_images(image[None], warn_alpha=False)
    check_intensity(checked, intensity_range)
    return image


def skip_reason(exc: BaseException) -> str:
    """One line that says why a file was skipped (its path is listed beside it)."""
    if isinstance(exc, UnreadableFileError):
        return f"{exc.problem}; expected {exc.expected}"
    if isinstance(exc, FileNotFoundError):
        return "the file no longer exists"
    text = " ".join(str(exc).split())
    if "intensity_range" in text:
        text += " (sktl featurize: --intensity-range LO,HI)"
    return text
