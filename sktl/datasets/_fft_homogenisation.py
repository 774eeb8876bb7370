"""Homogenised plane-strain stiffness of a periodic two-phase image, with muSpectre.

muSpectre (https://gitlab.com/muspectre/muspectre, ``pip install muspectre``) solves the
periodic cell problem with an FFT-accelerated Newton-Krylov scheme (small strain). Its spectral
(Fourier) gradient needs an odd number of grid points, so the discrete linear finite element
gradient (two triangles per pixel) is used instead: it works on any grid and has no Gibbs ringing
at the phase boundaries. In 2-D muSpectre's ``MaterialLinearElastic1`` is Hooke's law with the
3-D Lame constants, i.e. plane strain.

Three macroscopic strains (e11, e22 and an engineering shear g12 = 1) are applied; the average
stresses are the columns of the effective stiffness in Voigt notation (shear in engineering
strain), returned as (C11, C22, C12, C16, C26, C66), symmetrised.
"""

from __future__ import annotations

import numpy as np

STIFFNESS_NAMES = ("C11", "C22", "C12", "C16", "C26", "C66")

# Voigt strains: e11, e22, engineering shear g12 = 2 e12 = 1.
_MACRO_STRAINS = (
    np.array([[1.0, 0.0], [0.0, 0.0]]),
    np.array([[0.0, 0.0], [0.0, 1.0]]),
    np.array([[0.0, 0.5], [0.5, 0.0]]),
)


def _import_muspectre():
    try:
        import muSpectre  # noqa: N813
        from muSpectre import linear_finite_elements
    except ImportError as exc:
        raise ImportError(
            "make_stiffness needs the FFT homogenisation solver muSpectre: "
            "`pip install muspectre==0.27.0` (it pulls h5py, meshio and uvw)."
        ) from exc
    return muSpectre, linear_finite_elements


def plane_strain_isotropic(young: float, poisson: float) -> np.ndarray:
    """3x3 Voigt stiffness of an isotropic phase in plane strain (engineering shear)."""
    lam = young * poisson / ((1 + poisson) * (1 - 2 * poisson))
    mu = young / (2 * (1 + poisson))
    return np.array([[lam + 2 * mu, lam, 0.0], [lam, lam + 2 * mu, 0.0], [0.0, 0.0, mu]])


def homogenise(
    phase: np.ndarray,
    young=(1.0, 10.0),
    poisson=(0.3, 0.3),
    *,
    tol: float = 1e-8,
    maxiter: int = 2000,
) -> np.ndarray:
    """Effective plane-strain stiffness of a periodic two-phase image.

    Parameters
    ----------
    phase : ndarray of shape (H, W)
        Phase map: 0 (matrix) or 1 (inclusion). Axis 0 is x1, axis 1 is x2.
    young, poisson : (float, float)
        Young's modulus and Poisson's ratio of phases 0 and 1.
    tol : float, default=1e-8
        Relative tolerance of the Krylov (CG) and Newton iterations.
    maxiter : int, default=2000
        Maximum CG iterations.

    Returns
    -------
    C : ndarray of shape (3, 3)
        Effective stiffness in Voigt notation (rows/columns 11, 22, 12 with engineering shear).
    """
    msp, lfe = _import_muspectre()
    phase = np.asarray(phase)
    if phase.ndim != 2:
        raise ValueError(f"phase must be a 2-D image, got shape {phase.shape}.")
    mask = phase.astype(bool)
    grad, weights = lfe.gradient_2d
    cell = msp.Cell(list(phase.shape), [1.0, 1.0], msp.Formulation.small_strain, grad, weights)
    m0 = msp.material.MaterialLinearElastic1_2d.make(cell, "phase0", young[0], poisson[0])
    m1 = msp.material.MaterialLinearElastic1_2d.make(cell, "phase1", young[1], poisson[1])
    coords = np.array([tuple(p) for p in cell.pixels], dtype=np.intp).reshape(-1, 2)
    in_1 = mask[coords[:, 0], coords[:, 1]]
    for pid, one in zip(cell.pixel_indices, in_1, strict=True):
        (m1 if one else m0).add_pixel(pid)
    cell.initialise()
    solver = msp.solvers.KrylovSolverCG(cell, tol, maxiter)
    C = np.empty((3, 3))
    for j, strain in enumerate(_MACRO_STRAINS):
        res = msp.solvers.newton_cg(cell, strain.copy(), solver, tol, tol)
        if not res.success:
            raise RuntimeError(
                f"muSpectre did not converge for macroscopic strain {j} ({res.message}); "
                "raise maxiter or lower the phase contrast."
            )
        # stress field: 2x2 components fastest (column-major), then quad points and pixels
        sig = np.asarray(res.stress).reshape(2, 2, -1, order="F").mean(axis=-1)
        C[:, j] = sig[0, 0], sig[1, 1], sig[0, 1]
    return 0.5 * (C + C.T)


def voigt_to_components(C: np.ndarray) -> np.ndarray:
    """(C11, C22, C12, C16, C26, C66) of a 3x3 Voigt stiffness."""
    return np.array([C[0, 0], C[1, 1], C[0, 1], C[0, 2], C[1, 2], C[2, 2]])


def laminate_stiffness(c_a: np.ndarray, c_b: np.ndarray, fraction_b: float) -> np.ndarray:
    """Exact effective stiffness of a laminate whose layers are normal to x1 (axis 0).

    Continuity of traction (s11, s12) and of in-plane strain (e22) across the layers gives
    the classical result (Backus averaging in 2-D): with ``<.>`` the volume average,
    C11* = <1/C11>^-1 (harmonic, "Reuss" across the layers), C66* = <1/C66>^-1,
    C12* = <C12/C11> C11*, and C22* = <C22 - C12^2/C11> + <C12/C11>^2 C11*
    (arithmetic, "Voigt" along, plus the Poisson coupling). Phases are orthotropic (C16 = C26 =
    0), as isotropic ones are.
    """
    f = np.array([1.0 - fraction_b, fraction_b])
    c11 = np.array([c_a[0, 0], c_b[0, 0]])
    c22 = np.array([c_a[1, 1], c_b[1, 1]])
    c12 = np.array([c_a[0, 1], c_b[0, 1]])
    c66 = np.array([c_a[2, 2], c_b[2, 2]])
    C11 = 1.0 / np.sum(f / c11)
    C12 = np.sum(f * c12 / c11) * C11
    C22 = np.sum(f * (c22 - c12**2 / c11)) + np.sum(f * c12 / c11) ** 2 * C11
    C66 = 1.0 / np.sum(f / c66)
    return np.array([[C11, C12, 0.0], [C12, C22, 0.0], [0.0, 0.0, C66]])
