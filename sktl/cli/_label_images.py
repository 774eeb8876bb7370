"""The input images of ``sktl reconstruct``: label images read from files, colours refused."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..utils._errors import UnreadableFileError

_LABELS = "a labelled image: one grey level or integer label per phase"
_HOW = (
    "Save the phases as a greyscale PNG/TIFF (one grey level per phase) or as a .npy array "
    "of integer labels 0..n-1; from an RGB array, labels = np.unique(rgb.reshape(-1, "
    "rgb.shape[-1]), axis=0, return_inverse=True)[1].reshape(rgb.shape[:2])"
)


def read_label_image(path: Path) -> np.ndarray:
    """A 2-D label image from .npy, or from an image file (grey, or RGB with equal channels).

    Colour images are refused, as by :class:`~sktl.MicrostructureReconstructor`: a colour is
    not a label (and converting it to grey can merge phases, e.g. red and green).
    """
    from ..images._files import PIL_SUFFIXES, open_image, read_npy

    path = Path(path)
    if not path.is_file():
        raise OSError(f"input file {path} does not exist")
    suffix = path.suffix.lower()
    if suffix == ".npy":
        img = read_npy(path)
    elif suffix in PIL_SUFFIXES:
        with open_image(path) as im:
            img = _grey_pixels(im, path)
    else:
        raise ValueError(f"cannot read {path}: use .npy or one of {sorted(PIL_SUFFIXES)}")
    img = np.squeeze(img)
    if img.ndim != 2:
        raise ValueError(f"{path} holds an array of shape {img.shape}; a 2-D image is needed")
    return img


def _grey_pixels(im, path: Path) -> np.ndarray:
    """The pixels of a grey image; an RGB(A) or palette image whose pixels are all grey."""
    if im.mode in ("1", "L", "I", "F") or im.mode.startswith("I;"):
        return np.asarray(im)
    alpha = "A" in im.mode or "a" in im.mode or "transparency" in im.info
    rgb = np.asarray(im.convert("RGBA" if alpha else "RGB"))
    if alpha and rgb[..., 3].min() != rgb[..., 3].max():
        raise UnreadableFileError(
            path, "has transparent pixels (its alpha channel varies)", _LABELS, _HOW
        )
    if np.array_equal(rgb[..., 0], rgb[..., 1]) and np.array_equal(rgb[..., 0], rgb[..., 2]):
        return rgb[..., 0]
    n = len(np.unique(rgb[..., :3].reshape(-1, 3), axis=0))
    raise UnreadableFileError(
        path,
        f"is a colour image ({n} distinct colours): a colour is not a label, and as grey "
        "levels different colours can merge into one phase",
        _LABELS + ", as MicrostructureReconstructor.fit takes",
        _HOW,
    )


def as_grey_levels(images, paths, n_phases):
    """Images of image files with more grey levels than ``n_phases``, as floats to quantise.

    The reconstructor quantises float grey-level images into ``n_phases`` phases; the grey
    levels of a PNG or TIFF are integers, which it would otherwise take as that many labels.
    ``.npy`` arrays are taken as they are, as by the Python API.
    """
    if n_phases is None:
        return images
    out = []
    for im, path in zip(images, paths, strict=True):
        grey = Path(path).suffix.lower() != ".npy" and im.dtype.kind in "biu"
        out.append(im.astype(np.float64) if grey and len(np.unique(im)) > n_phases else im)
    return out
