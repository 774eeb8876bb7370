"""Reading one image file, checked: a file that does not parse raises UnreadableFileError.

Sizes are checked before pixels are allocated: a ``.npy`` header must declare exactly the
bytes the file holds, and a raster image may not declare more pixels than Pillow's
decompression-bomb limit (``PIL.Image.MAX_IMAGE_PIXELS``).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import numpy as np

from ..utils._errors import UnreadableFileError

PIL_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".gif"}

_NPY = "a .npy array written by numpy.save"
_RASTER = "an image file (PNG, TIFF, JPEG, BMP or GIF)"
_FIX = "Use an undamaged copy of the file, or write it again"


def read_image(path) -> np.ndarray:
    """Read one image file: ``.npy`` with numpy, common raster formats with Pillow.

    Parameters
    ----------
    path : str or path-like
        An image file.

    Returns
    -------
    ndarray
        The array as stored: (H, W) for grey images, (H, W, C) for colour ones; palette
        images (GIF, indexed PNG) as the colours their indices stand for: grey levels when
        the palette is all grey, else RGB (RGBA when the file declares a transparency).

    Raises
    ------
    FileNotFoundError
        If there is no such file.
    sktl.UnreadableFileError
        If the file does not parse (empty, truncated, damaged, another kind of file) or
        declares more pixels than it holds or than Pillow's limit; the message names it.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if not path.exists():
        raise FileNotFoundError(f"Image file {str(path)!r} does not exist.")
    if suffix == ".npy":
        return read_npy(path)
    if suffix in PIL_SUFFIXES:
        with open_image(path) as im:
            if im.mode in ("P", "PA"):  # palette indices are not intensities: the colours are
                return _palette_colours(im)
            return np.asarray(im)
    raise ValueError(f"Cannot read {str(path)!r}: use .npy or one of {sorted(PIL_SUFFIXES)}.")


def _palette_colours(im) -> np.ndarray:
    """A palette image as the colours its indices stand for, decided by the file, not by the
    pixels one image happens to use: grey levels (H, W) when every colour of the palette is
    grey, else RGB (H, W, 3), or RGBA (H, W, 4) when the file declares a transparency (sktl
    then drops alpha as for any RGBA file). A grey palette's transparency is dropped: sktl
    has no grey + alpha images."""
    palette = np.asarray(im.getpalette() or [0, 0, 0], dtype=np.int64).reshape(-1, 3)
    if (palette[:, 0] == palette[:, 1]).all() and (palette[:, 1] == palette[:, 2]).all():
        return np.asarray(im.convert("RGB"))[..., 0].copy()
    transparent = im.mode == "PA" or "transparency" in im.info
    return np.asarray(im.convert("RGBA" if transparent else "RGB"))


def read_npy(path) -> np.ndarray:
    """A ``.npy`` file's array, its header checked against the file's size before reading."""
    path = Path(path)
    size = os.path.getsize(path)
    try:
        with open(path, "rb") as f:
            version = np.lib.format.read_magic(f)
            if version == (1, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
            elif version == (2, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
            else:  # 3.0 (utf-8 field names) has no public reader
                shape, fortran, dtype = np.lib.format._read_array_header(f, version)
            offset = f.tell()
    except Exception as exc:  # noqa: BLE001 - any header failure is the file's
        problem = "is empty" if size == 0 else f"has no valid .npy header ({exc})"
        raise UnreadableFileError(path, problem, _NPY, _FIX) from exc
    if dtype.hasobject:
        raise UnreadableFileError(
            path, "holds Python objects, not numbers", f"{_NPY}, of numbers", _FIX
        )
    declared = offset + int(np.prod(shape, dtype=np.float64)) * dtype.itemsize
    if declared != size:
        raise UnreadableFileError(
            path,
            f"its header declares a {dtype} array of shape {shape} ({declared} bytes with the "
            f"header), but the file holds {size} bytes: it is truncated or damaged",
            _NPY,
            _FIX,
        )
    try:
        return np.load(path, allow_pickle=False)
    except Exception as exc:  # noqa: BLE001 - any read failure is the file's
        raise UnreadableFileError(path, f"cannot be read ({exc})", _NPY, _FIX) from exc


@contextlib.contextmanager
def open_image(path):
    """The Pillow image of ``path`` with its pixels loaded, checked as :func:`read_image` says."""
    from PIL import Image

    path = Path(path)
    try:
        im = Image.open(path)
    except FileNotFoundError:
        raise
    except Exception as exc:  # noqa: BLE001 - UnidentifiedImageError, SyntaxError, bombs...
        empty = os.path.getsize(path) == 0
        problem = "is empty" if empty else f"is not a readable image ({exc})"
        raise UnreadableFileError(path, problem, _RASTER, _FIX) from exc
    with im:
        width, height = im.size
        limit = Image.MAX_IMAGE_PIXELS
        if width < 1 or height < 1 or (limit and width * height > limit):
            raise UnreadableFileError(
                path,
                f"its header declares {width} x {height} pixels",
                f"{_RASTER} of at least 1 x 1 and at most {limit} pixels (Pillow's "
                "PIL.Image.MAX_IMAGE_PIXELS)",
                "Use an undamaged copy; raise PIL.Image.MAX_IMAGE_PIXELS for a real image this "
                "large",
            )
        try:
            im.load()
        except Exception as exc:  # noqa: BLE001 - truncated or damaged pixel data
            raise UnreadableFileError(
                path, f"its pixels cannot be read ({exc})", _RASTER, _FIX
            ) from exc
        yield im
