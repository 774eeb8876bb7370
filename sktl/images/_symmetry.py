"""The symmetries of a square image (the group D4) and how they act on tensor targets.

Axes: **x is image axis 0** (the row index, increasing down the rows) and **y is image axis 1**
(the column index), the convention of :func:`sktl.datasets.make_stiffness` (muSpectre's x1 and
x2). A layered image whose layers run along x (``image[i, j] = f(j)``) conducts along x in
parallel (k_xx: arithmetic mean of the phases) and across the layers in series (k_yy:
harmonic mean).

Each element of D4 is a signed permutation matrix ``R`` of the axes. It moves the pixel at
``p`` (coordinates taken from the image centre) to ``R p``: the transformed image is
``A'[R p] = A[p]``. A material rotated or mirrored by ``R`` has its property tensors rotated by
``R``: a rank-2 component becomes ``T'_ab = R_ai R_bj T_ij`` (``R T R^T``), a stiffness
component ``C'_abcd = R_ai R_bj R_ck R_dl C_ijkl``. Because ``R`` is a signed permutation, each
target column of a transformed sample is another column times +1 or -1:
:class:`TargetAction` derives that permutation and sign per element from the labels.

The elements are numbered 0-7: the rotations by 0, 90, 180 and 270 degrees (as
``numpy.rot90``: axis 1 turns into axis 0), then the mirrors (:data:`D4_NAMES`). Element 0 is
the identity. Image transforms are pixel permutations, so they compose exactly:
``transform_images(transform_images(A, h), g) == transform_images(A, compose(g, h))``.

Works on numpy arrays and on torch tensors (torch is imported only when a tensor comes in).
"""

from __future__ import annotations

import numpy as np

_ROT90 = np.array([[0, -1], [1, 0]])  # x -> y, y -> -x: numpy.rot90 of the image
_MIRROR = np.array([[1, 0], [0, -1]])  # y -> -y: the image flipped along axis 1

#: The 8 elements of D4 as 2x2 signed permutation matrices: rotations, then mirrors.
D4 = tuple(np.linalg.matrix_power(_ROT90, k) @ m for m in (np.eye(2, dtype=int), _MIRROR)
           for k in range(4))  # fmt: skip
#: What each element does to an image array (axis 0 = x, axis 1 = y).
D4_NAMES = (
    "identity",
    "rot90",
    "rot180",
    "rot270",
    "flip_axis1",  # y -> -y
    "transpose",  # x <-> y
    "flip_axis0",  # x -> -x
    "antitranspose",  # x -> -y, y -> -x
)

#: rank-2 components (symmetric): label -> axes
RANK2 = {"xx": (0, 0), "yy": (1, 1), "xy": (0, 1)}
#: Voigt components of a plane stiffness (1 = xx, 2 = yy, 6 = xy): label -> four axes
_VOIGT_AXES = {"1": (0, 0), "2": (1, 1), "6": (0, 1)}
VOIGT = {c: _VOIGT_AXES[c[0]] + _VOIGT_AXES[c[1]] for c in ("11", "12", "16", "22", "26", "66")}
KNOWN_LABELS = ("scalar", *RANK2, *VOIGT)


def element_index(R) -> int:
    """The number of the element whose matrix is ``R``."""
    for g, M in enumerate(D4):
        if np.array_equal(M, R):
            return g
    raise ValueError(f"{np.asarray(R).tolist()} is not a signed permutation of two axes.")


def compose(g: int, h: int) -> int:
    """The element ``g h``: first ``h``, then ``g``."""
    return element_index(D4[g] @ D4[h])


def inverse(g: int) -> int:
    """The element that undoes ``g`` (signed permutations are orthogonal: ``R^-1 = R^T``)."""
    return element_index(D4[g].T)


def pixel_sources(g: int, shape) -> tuple[np.ndarray, np.ndarray]:
    """Where each pixel of the image transformed by ``g`` comes from.

    Returns ``(rows, cols)``, integer arrays of ``shape`` (H, W): the transformed image is
    ``A[rows, cols]``. Only the identity applies to a non-square image.
    """
    H, W = (int(s) for s in shape)
    R = D4[g]
    if H != W and g != 0:
        raise ValueError(
            f"{D4_NAMES[g]} needs a square image, not {H}x{W}: crop the images to a square."
        )
    # centred coordinates, doubled so that the centre (n - 1) / 2 stays an integer
    a, b = np.meshgrid(2 * np.arange(H) - (H - 1), 2 * np.arange(W) - (W - 1), indexing="ij")
    src = np.einsum("ji,jhw->ihw", R, np.stack([a, b]))  # R^-1 = R^T of the target pixel
    return (src[0] + H - 1) // 2, (src[1] + W - 1) // 2


def transform_images(images, g: int, axes=(1, 2)):
    """``images`` (numpy array or torch tensor) transformed by element ``g`` over ``axes``.

    ``axes`` are the (x, y) axes: (1, 2) for (n, H, W[, C]), (2, 3) for (n, C, H, W). The
    identity returns ``images`` itself.
    """
    if g == 0:
        return images
    rows, cols = pixel_sources(g, (images.shape[axes[0]], images.shape[axes[1]]))
    if isinstance(images, np.ndarray):
        moved = np.moveaxis(images, axes, (0, 1))
        return np.ascontiguousarray(np.moveaxis(moved[rows, cols], (0, 1), axes))
    import torch  # a tensor came in: torch is there

    moved = images.movedim(axes, (0, 1))
    # int64 indices whatever the image dtype: uint8 would wrap past 255, half floats round
    index = tuple(torch.as_tensor(i, dtype=torch.long, device=moved.device) for i in (rows, cols))
    return moved[index].movedim((0, 1), axes).contiguous()


def _parse(label, position: int) -> tuple[str, str]:
    """(tensor name, component) of one label: "xx", "11", "scalar", or "name:component"."""
    if not isinstance(label, str):
        raise ValueError(
            f"target_symmetry[{position}] is {label!r}; each label must be a string such as "
            f"{', '.join(repr(k) for k in KNOWN_LABELS)}."
        )
    name, _, component = label.rpartition(":")
    if component not in KNOWN_LABELS:
        raise ValueError(
            f"target_symmetry[{position}]={label!r} is not a known label. Known: 'scalar' (a "
            "target that rotations and mirrors leave unchanged), the rank-2 components 'xx', "
            "'yy', 'xy' (e.g. a conductivity), the plane Voigt stiffness components '11', "
            "'12', '16', '22', '26', '66' (1 = xx, 2 = yy, 6 = xy); a tensor name and a colon "
            "may come first, to tell several tensors apart ('k:xx', 'e:xx')."
        )
    return name, component


def _moved(component: str, R) -> tuple[str, int]:
    """The component that ``component`` becomes under ``R``, and the sign it takes."""
    if component == "scalar":
        return component, 1
    axes = RANK2.get(component) or VOIGT[component]
    perm = np.abs(R).argmax(axis=0)  # axis i goes to axis perm[i] ...
    signs = R[perm, np.arange(2)]  # ... times signs[i]
    new = tuple(int(perm[i]) for i in axes)
    sign = int(np.prod([signs[i] for i in axes]))
    if component in RANK2:
        return next(c for c, ax in RANK2.items() if sorted(ax) == sorted(new)), sign
    pair = sorted(str(next(k for k, ax in _VOIGT_AXES.items() if sorted(ax) == sorted(p)))
                  for p in (new[:2], new[2:]))  # fmt: skip
    return "".join(pair), sign


def _show(name: str, component: str) -> str:
    return f"{name}:{component}" if name else component


class TargetAction:
    """How D4 acts on the target columns, from one label per column.

    Parameters
    ----------
    labels : sequence of str or None
        One label per target column (see :data:`KNOWN_LABELS`; "name:component" tells
        several tensors apart); None: every column is a scalar.
    n_targets : int
        Columns of ``y``.

    Attributes
    ----------
    perm, sign : ndarray of shape (8, n_targets)
        Under element ``g``, column ``a`` of the transformed targets is
        ``sign[g, a] * y[:, perm[g, a]]``.
    """

    def __init__(self, labels, n_targets: int):
        if labels is None:
            labels = ["scalar"] * n_targets
        labels = list(labels)
        if len(labels) != n_targets:
            raise ValueError(
                f"target_symmetry has {len(labels)} labels but y has {n_targets} column(s): "
                "give one label per target column."
            )
        parsed = [_parse(label, i) for i, label in enumerate(labels)]
        column = {}
        for i, (name, component) in enumerate(parsed):
            if component != "scalar" and (name, component) in column:
                raise ValueError(
                    f"target_symmetry labels {_show(name, component)!r} twice (columns "
                    f"{column[name, component]} and {i}): give the components of different "
                    "tensors different names, e.g. 'k:xx' and 'e:xx'."
                )
            column[name, component] = i
        self.labels = labels
        self.perm = np.tile(np.arange(n_targets), (len(D4), 1))
        self.sign = np.ones((len(D4), n_targets))
        missing = {}
        for g, R in enumerate(D4):
            for i, (name, component) in enumerate(parsed):
                if component == "scalar":
                    continue
                new, sign = _moved(component, R)
                if (name, new) not in column:
                    missing.setdefault(_show(name, new), (_show(name, component), D4_NAMES[g]))
                    continue
                self.perm[g, column[name, new]] = i
                self.sign[g, column[name, new]] = sign
        if missing:
            what = "; ".join(f"{have!r} becomes {need!r} under {how}"
                             for need, (have, how) in sorted(missing.items()))  # fmt: skip
            raise ValueError(
                "target_symmetry is not closed under the rotations and mirrors of the square: "
                f"{what}, and no column is labelled {sorted(missing)}. Add the missing "
                "components as target columns (e.g. 'xx' needs 'yy'; '16' needs '26'), or "
                "label a column 'scalar' if rotating the image leaves it unchanged."
            )

    def apply(self, Y, g: int):
        """Targets ``Y`` (n, n_targets) of the samples, those of the samples transformed by ``g``."""
        return Y[:, self.perm[g]] * self.sign[g]

    def affine(self, mean, scale) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The action on standardised targets ``(Y - mean) / scale``: per element, column
        ``a`` becomes ``Yt[:, perm[g, a]] * factor[g, a] + offset[g, a]``.

        Returns ``(perm, factor, offset)``, each of shape (8, n_targets).
        """
        mean, scale = np.asarray(mean, float), np.asarray(scale, float)
        factor = self.sign * scale[self.perm] / scale
        offset = (self.sign * mean[self.perm] - mean) / scale
        return self.perm, factor, offset
