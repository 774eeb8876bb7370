"""Differentiable descriptor terms for the pixel optimisation: S2(r) and the lineal path L(r).

The Gram loss only sees correlations within the receptive field of its deepest tap (124 px
for pool4); a phase arrangement at the scale of the whole image (clustered particles, say)
escapes it, and nothing in it asks for long straight runs of one phase. These terms match the
S2(r) and L(r) of every phase up to half the image size directly, on soft phase indicators of
the pixels, as in descriptor-based reconstruction (Yeong and Torquato 1998).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ..descriptors import lineal_path, two_point_correlation
from ..descriptors._correlation import nonperiodic_s2_map
from ._lineal_paths import lineal_paths

# Soft phase indicators: softmax over phases of -|pixel - colour|^2 / (SOFTNESS * D^2), D the
# smallest distance between two phase colours. 0.1 keeps a pixel on a colour at ~1 - 5e-5 and
# gives a gradient to pixels between colours (40-60 % of the way), where the K-means decoding
# is decided.
SOFTNESS = 0.1


def target_curves(images, n_phases: int, descriptor: str) -> np.ndarray:
    """S2, periodic S2 or L of each phase, averaged over phase-index images: (n_phases, n_r).

    ``descriptor`` is "s2" (non-periodic), "s2_periodic" or "lineal_path" (non-periodic);
    r = 0 .. ``min(H, W) // 2`` of the smallest image.
    """
    fn, periodic = {
        "s2": (two_point_correlation, False),
        "s2_periodic": (two_point_correlation, True),
        "lineal_path": (lineal_path, False),
    }[descriptor]
    r_max = min(min(img.shape) for img in images) // 2
    return np.mean(
        [[fn(img, k, periodic=periodic, r_max=r_max) for k in range(n_phases)] for img in images],
        axis=0,
    )


def axial_target_curves(images, n_phases: int, descriptor: str) -> np.ndarray:
    """Non-periodic S2 ("s2_axes") or L ("lineal_path_axes") of each phase along each image
    axis (0: down the rows, 1: along them), averaged over phase-index images:
    (n_phases, 2, n_r), r = 0 .. ``min(H, W) // 2`` of the smallest image."""
    from ..descriptors import axial_lineal_path, axial_two_point_correlation

    fn = {"s2_axes": axial_two_point_correlation, "lineal_path_axes": axial_lineal_path}[
        descriptor
    ]
    r_max = min(min(img.shape) for img in images) // 2
    return np.mean(
        [
            [[fn(img[None], k, axis=a, periodic=False, r_max=r_max) for a in (1, 2)]
             for k in range(n_phases)]
            for img in images
        ],
        axis=0,
    )


def s2_map_targets(images, n_phases: int) -> np.ndarray:
    """Non-periodic S2 of each phase at every lag (dy, dx) with |dy|, |dx| <= R, R the
    smallest image's ``min(H, W) // 2``, averaged over phase-index images:
    (n_phases, 2R + 1, 2R + 1), lag (0, 0) at the centre. Each lag is its pair sum (zero
    padding) over its pair count, as :func:`sktl.descriptors.two_point_correlation` counts."""
    r = min(min(img.shape) for img in images) // 2
    out = np.zeros((n_phases, 2 * r + 1, 2 * r + 1))
    for img in images:
        h, w = img.shape
        for k in range(n_phases):
            prob, _ = nonperiodic_s2_map((img == k).astype(np.float64))
            out[k] += prob[h - r : h + r + 1, w - r : w + r + 1]
    return out / len(images)


def soft_indicators(x: torch.Tensor, colours: torch.Tensor, temperature: float) -> torch.Tensor:
    """(N, 3, H, W) pixels -> (n_phases, N, H, W) soft indicators that sum to 1 per pixel."""
    d2 = ((x[None] - colours[:, None, :, None, None]) ** 2).sum(2)
    return torch.softmax(-d2 / temperature, dim=0)


class _CurveLoss(nn.Module):
    """Mean over phases k of ``sum_r (C_k(r) - T_k(r))^2 / sum_r T_k(r)^2``, C of soft indicators.

    Each phase's error is relative to its own curve, as the error rate is: with one norm for
    all phases, a minority phase (S2 values ~ its small volume fraction) would hardly count.
    """

    def __init__(self, colours, targets, shape):
        super().__init__()
        h, w = (int(s) for s in shape)
        self.r_max = min(targets.shape[1] - 1, min(h, w) // 2)
        self.shape = (h, w)
        colours = torch.as_tensor(np.asarray(colours), dtype=torch.float32)
        d2 = torch.cdist(colours, colours).pow(2)
        d2.fill_diagonal_(float("inf"))
        self.temperature = float(SOFTNESS * d2.min())
        self.register_buffer("colours", colours)
        t = torch.as_tensor(targets[:, : self.r_max + 1], dtype=torch.float32)
        self.register_buffer("targets", t)
        self.register_buffer("norm", (t**2).sum(1).clamp_min(1e-12))

    def curves(self, x: torch.Tensor) -> torch.Tensor:
        """(n_phases, r_max + 1) curves of an (N, 3, H, W) batch, averaged over the batch."""
        return self._curves(soft_indicators(x, self.colours, self.temperature))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (((self.curves(x) - self.targets) ** 2).sum(1) / self.norm).mean()


class _AxialCurveLoss(_CurveLoss):
    """A curve loss whose targets (n_phases, 2, n_r) are the curves along each image axis
    (0: down the rows, 1: along them), compared axis by axis: an anisotropic plane keeps its
    two directions apart, which the curves averaged over directions do not.

    Parameters
    ----------
    colours : ndarray of shape (n_phases, 3)
    targets : ndarray of shape (n_phases, 2, n_r)
    shape : (H, W)
    """

    def __init__(self, colours, targets, shape):
        targets = np.asarray(targets)
        super().__init__(colours, targets[:, 0], shape)
        t = torch.as_tensor(targets[:, :, : self.r_max + 1], dtype=torch.float32)
        self.targets = t.reshape(len(t), -1)
        self.norm = (self.targets**2).sum(1).clamp_min(1e-12)

    def curves(self, x: torch.Tensor) -> torch.Tensor:
        return super().curves(x).reshape(len(self.targets), -1)


class LinealPathLoss(_CurveLoss):
    """Curve loss of the lineal path, computed as :func:`sktl.descriptors.lineal_path` does
    with ``periodic=False`` (segments along x and y that fit in the image), with products of
    soft indicators in place of logical ands.

    Parameters
    ----------
    colours : ndarray of shape (n_phases, 3)
    targets : ndarray of shape (n_phases, n_r)
    shape : (H, W)
    """

    def _curves(self, m: torch.Tensor) -> torch.Tensor:
        along, down = lineal_paths(m, self.r_max)
        return (along + down) / 2.0


class S2Loss(_CurveLoss):
    """Curve loss of the two-point correlation S2(r) of soft phase indicators.

    S2 is computed as :func:`sktl.descriptors.two_point_correlation` does with
    ``periodic=False`` (zero padding, each ring the pair-count weighted mean), so the term
    matches what the benchmark's error rates measure.

    Parameters
    ----------
    colours : ndarray of shape (n_phases, 3)
        Encoded phase colours in [0, 255].
    targets : ndarray of shape (n_phases, n_r)
        Target S2 of each phase at r = 0, 1, ...; cut to the sample's ``min(H, W) // 2``.
    shape : (H, W)
        Sample shape.
    """

    def __init__(self, colours, targets, shape):
        super().__init__(colours, targets, shape)
        h, w = self.shape
        # displacement (dy, dx) on the fftshifted (2h, 2w) grid, its ring and its pair count
        dy = np.arange(2 * h) - h
        dx = np.arange(2 * w) - w
        ring = np.rint(np.hypot(dy[:, None], dx[None, :])).astype(np.int64)
        pairs = np.clip(h - np.abs(dy), 0, None)[:, None] * np.clip(w - np.abs(dx), 0, None)
        keep = (ring <= self.r_max) & (pairs > 0)
        den = np.bincount(ring[keep], weights=pairs[keep], minlength=self.r_max + 1)
        self.register_buffer("index", torch.from_numpy(np.flatnonzero(keep)))
        self.register_buffer("ring", torch.from_numpy(ring[keep]))
        self.register_buffer("den", torch.from_numpy(den).float())

    def _curves(self, m: torch.Tensor) -> torch.Tensor:
        auto = torch.fft.fftshift(_padded_autocorrelation(m, *self.shape), dim=(-2, -1))
        flat = auto.reshape(len(m), -1)[:, self.index]
        num = flat.new_zeros(len(m), self.r_max + 1).index_add_(1, self.ring, flat)
        return num / self.den


class S2MapLoss(_CurveLoss):
    """Loss of the non-periodic S2 at every lag (dy, dx), direction included, up to
    ``r_max``: S2 averaged over directions (:class:`S2Loss`) cannot tell lamellae at 30
    degrees from lamellae at 60, or from a maze; the map can.

    Per phase, with C the sample's map, T the target's, bars their ring means (each lag
    weighted by its pair count, as :class:`S2Loss` and
    :func:`sktl.descriptors.two_point_correlation` average), a = map - its ring means (the
    directional part) and lambda_r the weight of ring r::

        [sum_r (C_r - T_r)^2 + sum_r lambda_r mean_{ring r} (a_C - lambda_r a_T)^2] / sum_r T_r^2

    With lambda_r = 0 for every ring this is :class:`S2Loss` (for a sample of the examples'
    shape; otherwise the target ring means differ slightly); with lambda_r = 1 it is
    ``sum_r mean_{ring r} (C - T)^2 / sum_r T_r^2``, the whole map. In between, the target's
    directional part is shrunk by lambda_r and weighs lambda_r: what a held-out test
    (``_anisotropy``) trusts of it.

    Parameters
    ----------
    colours : ndarray of shape (n_phases, 3)
    targets : ndarray of shape (n_phases, 2R + 1, 2R + 1)
        The examples' map (:func:`s2_map_targets`), lag (0, 0) at the centre.
    shape : (H, W)
        Sample shape.
    ring_weights : array-like of shape (>= r_max + 1,), optional
        lambda_r for r = 0, 1, ...; None: 1 for every ring.
    """

    def __init__(self, colours, targets, shape, ring_weights=None):
        from ._anisotropy import lag_rings

        targets = np.asarray(targets)
        big = targets.shape[1] // 2
        super().__init__(colours, targets[:, big, big:], shape)  # sets r_max
        h, w, r = *self.shape, self.r_max
        keep, ring, _ = lag_rings(r)
        lags = np.arange(-r, r + 1)
        dy, dx = (np.broadcast_to(a, keep.shape)[keep] for a in (lags[:, None], lags[None, :]))
        self.register_buffer("index", torch.from_numpy((dy % (2 * h)) * (2 * w) + dx % (2 * w)))
        pairs = ((h - np.abs(dy)) * (w - np.abs(dx))).astype(np.float64)
        weight = pairs / np.bincount(ring, weights=pairs)[ring]  # sums to 1 over each ring
        self.register_buffer("pairs", torch.from_numpy(pairs).float())
        self.register_buffer("ring", torch.from_numpy(ring))
        self.register_buffer("weight", torch.from_numpy(weight).float())
        lam = np.ones(r + 1) if ring_weights is None else np.asarray(ring_weights)[: r + 1]
        self.register_buffer("lam", torch.from_numpy(lam[ring]).float())
        t = torch.as_tensor(targets[:, big - r : big + r + 1, big - r : big + r + 1][:, keep])
        t = t.float()
        t_mean = self._ring_means(t)
        self.register_buffer("target_map", t)
        self.targets = t_mean  # the ring means
        self.register_buffer("target_directional", self.lam * (t - t_mean[:, self.ring]))
        self.norm = (t_mean**2).sum(1).clamp_min(1e-12)

    def _ring_means(self, values: torch.Tensor) -> torch.Tensor:
        out = values.new_zeros(len(values), self.r_max + 1)
        return out.index_add_(1, self.ring, values * self.weight)

    def _curves(self, m: torch.Tensor) -> torch.Tensor:  # the map at the kept lags
        auto = _padded_autocorrelation(m, *self.shape)
        return auto.reshape(len(m), -1)[:, self.index] / self.pairs

    def _parts(self, x: torch.Tensor):
        """Per phase: the ring means' and the directional part's errors."""
        c = self.curves(x)
        c_mean = self._ring_means(c)
        radial = ((c_mean - self.targets) ** 2).sum(1)
        directional = c - c_mean[:, self.ring] - self.target_directional
        return radial, (directional**2 * self.lam * self.weight).sum(1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        radial, directional = self._parts(x)
        return ((radial + directional) / self.norm).mean()

    def scale(self, x: torch.Tensor) -> torch.Tensor:
        """The ring means' part alone (:class:`S2Loss`'s value), which the term's weight is
        relative to: the directional part then adds to the averaged term, at its scale."""
        return (self._parts(x)[0] / self.norm).mean()


class PeriodicS2Loss(_CurveLoss):
    """Curve loss of the periodic S2(r), computed as
    :func:`sktl.descriptors.two_point_correlation` does with ``periodic=True`` (circular
    autocorrelation, plain ring means).

    Parameters
    ----------
    colours : ndarray of shape (n_phases, 3)
    targets : ndarray of shape (n_phases, n_r)
    shape : (H, W)
    """

    def __init__(self, colours, targets, shape):
        super().__init__(colours, targets, shape)
        h, w = self.shape
        dy = np.arange(h) - h // 2
        dx = np.arange(w) - w // 2
        ring = np.rint(np.hypot(dy[:, None], dx[None, :])).astype(np.int64)
        keep = ring <= self.r_max
        den = np.bincount(ring[keep], minlength=self.r_max + 1).astype(np.float64)
        self.register_buffer("index", torch.from_numpy(np.flatnonzero(keep)))
        self.register_buffer("ring", torch.from_numpy(ring[keep]))
        self.register_buffer("den", torch.from_numpy(den * h * w).float())

    def _curves(self, m: torch.Tensor) -> torch.Tensor:
        h, w = self.shape
        f = torch.fft.rfft2(m)  # m: (n_phases, N, H, W)
        power = (f * f.conj()).mean(1)
        auto = torch.fft.fftshift(torch.fft.irfft2(power, s=(h, w)), dim=(-2, -1))
        flat = auto.reshape(len(m), -1)[:, self.index]
        num = flat.new_zeros(len(m), self.r_max + 1).index_add_(1, self.ring, flat)
        return num / self.den


def _padded_autocorrelation(m: torch.Tensor, h: int, w: int) -> torch.Tensor:
    """Non-periodic autocorrelation (pair sums, zero padding to (2h, 2w)) of soft indicators
    m (n_phases, N, H, W), averaged over the batch: (n_phases, 2h, 2w), lag (dy, dx) at
    [dy, dx] (negative lags wrap to the end)."""
    f = torch.fft.rfft2(m, s=(2 * h, 2 * w))
    return torch.fft.irfft2((f * f.conj()).mean(1), s=(2 * h, 2 * w))


def weighted_objective(gram_loss, terms, x0: np.ndarray, device="cpu"):
    """``gram / gram(x0) + sum_i w_i * term_i / term_i(x0)`` for ``terms`` = [(w_i, term_i)]
    (without the first part where ``gram_loss`` is None).

    ``x0`` is the image where the terms join (after the Gram-only start). Dividing by the
    values there makes the weights relative: 1.0 weighs a term like the Gram loss at ``x0``.
    A term with a ``scale`` method is divided by ``term.scale(x0)`` instead.
    The losses compute on ``device``.
    """
    x = torch.from_numpy(np.ascontiguousarray(x0, np.float32)).to(device)
    with torch.no_grad():
        scaled = [] if gram_loss is None else [(1.0 / max(float(gram_loss(x)), 1e-30), gram_loss)]
        # a term with a scale (S2MapLoss) is relative to that part of it
        scaled += [(w / max(float(getattr(t, "scale", t)(x)), 1e-30), t) for w, t in terms]

    def loss(x: torch.Tensor) -> torch.Tensor:
        return sum(c * t(x) for c, t in scaled)

    return loss


class AxialS2Loss(_AxialCurveLoss):
    """Curve loss of the non-periodic S2(r) along each image axis, as
    :func:`sktl.descriptors.axial_two_point_correlation` computes it (``periodic=False``).
    """

    def _curves(self, m: torch.Tensor) -> torch.Tensor:
        h, w = self.shape
        r = torch.arange(self.r_max + 1, device=m.device)
        auto = _padded_autocorrelation(m, h, w)  # lag (dy, dx) at [dy, dx]
        down = auto[:, r, 0] / ((h - r) * w)  # pairs r apart down the rows
        along = auto[:, 0, r] / (h * (w - r))
        return torch.stack([down, along], dim=1)


class AxialLinealPathLoss(_AxialCurveLoss):
    """Curve loss of the lineal path along each image axis, as
    :func:`sktl.descriptors.axial_lineal_path` computes it (``periodic=False``).
    """

    def _curves(self, m: torch.Tensor) -> torch.Tensor:
        along, down = lineal_paths(m, self.r_max)
        return torch.stack([down, along], dim=1)
