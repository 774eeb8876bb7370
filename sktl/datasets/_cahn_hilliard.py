r"""A batched pseudo-spectral Cahn-Hilliard solver (numpy only, float64).

The model, per sample, on a periodic ``size x size`` grid with unit pixel spacing:

.. math::

    \partial_t c = M \nabla^2 \mu, \qquad
    \mu = f'(c) - \kappa \nabla^2 c, \qquad
    f(c) = W \left[(c - a)^2 (c - b)^2 + 2 \tau h^2 (c - c_0)^2\right],

with :math:`c_0 = (a + b)/2` and :math:`h = (b - a)/2`. The second term of :math:`f` is a
Landau (temperature-like) term: writing :math:`d = c - c_0`,

.. math::

    f(c) = W \left[(d^2 - \varphi^2)^2 + h^4 - \varphi^4\right], \qquad
    \varphi^2 = h^2 (1 - \tau),

so the coexisting phases are :math:`c_0 \pm \varphi` (``a`` and ``b`` at :math:`\tau = 0`),
the spinodal is :math:`|d| < \varphi / \sqrt{3}` and the miscibility gap closes at the
critical point :math:`\tau = 1`.

Time stepping is the stabilised semi-implicit Fourier scheme (Zhu, Chen, Shen & Tikare 1999;
Shen & Yang 2010): the stiff fourth-order term and a stabilising term :math:`S c` are implicit,
the nonlinear :math:`f'(c) - S c` explicit. Its first-order form is

.. math::

    \hat c^{n+1} = \frac{\hat c^n - \Delta t\, M k^2\, \widehat{(f'(c^n) - S c^n)}}
        {1 + \Delta t\, M k^2 (S + \kappa k^2)},

which with :math:`S \ge \tfrac12 \max |f''|` over the visited compositions cannot increase
the discrete free energy, whatever :math:`\Delta t` (Shen & Yang 2010). By default the
second-order variable-step version is used (SBDF2: implicit BDF2 for the linear terms,
second-order extrapolation of the explicit term; Wang & Ruuth 2008), which needs several times
fewer steps for the same accuracy. The ``k = 0`` mode is never touched, so the mean composition
is conserved to round-off. The step is adapted per sample for accuracy,
:math:`\Delta t\, M \bar k^2 (S + \kappa \bar k^2) \le \varepsilon` with :math:`\bar k`
the first moment of the current structure factor: short steps while fine noise decays and
during spinodal growth, long ones during coarsening.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

# Stabilisation: S = 0.5 * f''(c_0 +- _OVERSHOOT * phi), i.e. half the largest curvature met by
# compositions that overshoot the equilibrium phases by up to 10 % of phi.
_OVERSHOOT = 1.1


def wavenumbers(size: int) -> tuple[np.ndarray, np.ndarray]:
    """Angular wavenumbers of ``numpy.fft.rfft2`` on a ``size x size`` grid of unit spacing.

    Returns
    -------
    kx : ndarray of shape (size, 1)
    ky : ndarray of shape (1, size // 2 + 1)
    """
    kx = 2 * np.pi * np.fft.fftfreq(size)[:, None]
    ky = 2 * np.pi * np.fft.rfftfreq(size)[None, :]
    return kx, ky


def rfft_weights(size: int) -> np.ndarray:
    """Multiplicity of each ``rfft2`` column in the full spectrum (1 or 2), shape (1, size//2+1)."""
    w = np.full(size // 2 + 1, 2.0)
    w[0] = 1.0
    if size % 2 == 0:
        w[-1] = 1.0
    return w[None, :]


def _col(x, batch: int) -> np.ndarray:
    """A per-sample parameter as a float64 array of shape (batch, 1, 1)."""
    x = np.broadcast_to(np.asarray(x, dtype=np.float64), (batch,))
    return x.reshape(batch, 1, 1).copy()


class LandauCahnHilliard:
    """Per-sample parameters of the Landau double-well Cahn-Hilliard model, batched.

    Every argument is a scalar or an array of shape (batch,).

    Parameters
    ----------
    well_a, well_b : array-like
        Well positions ``a < b`` of the double well (the phases at ``tau = 0``).
    well_depth : array-like
        ``W > 0``.
    temperature : array-like
        Landau coefficient ``tau < 1`` (reduced temperature; 1 is the critical point).
    kappa : array-like
        Gradient-energy coefficient ``> 0``.
    mobility : array-like
        ``M > 0``.
    batch : int
        Number of samples.
    """

    def __init__(self, well_a, well_b, well_depth, temperature, kappa, mobility, batch):
        self.a = _col(well_a, batch)
        self.b = _col(well_b, batch)
        self.W = _col(well_depth, batch)
        self.tau = _col(temperature, batch)
        self.kappa = _col(kappa, batch)
        self.M = _col(mobility, batch)
        if np.any(self.b <= self.a):
            raise ValueError("well_b must be larger than well_a for every sample.")
        if np.any(self.tau >= 1):
            raise ValueError("temperature must be < 1 (the critical point) for every sample.")
        if np.any(self.W <= 0) or np.any(self.kappa <= 0) or np.any(self.M <= 0):
            raise ValueError("well_depth, kappa and mobility must be positive.")
        self.center = 0.5 * (self.a + self.b)
        self.h2 = (0.5 * (self.b - self.a)) ** 2
        self.phi2 = self.h2 * (1.0 - self.tau)
        self.offset = self.W * (self.h2**2 - self.phi2**2)  # f = W (d^2 - phi^2)^2 + offset
        self.S = 0.5 * 4 * self.W * (3 * _OVERSHOOT**2 - 1) * self.phi2

    def __len__(self) -> int:
        return self.a.shape[0]

    def subset(self, keep: np.ndarray) -> LandauCahnHilliard:
        """The samples selected by a boolean mask or an index array."""
        new = object.__new__(LandauCahnHilliard)
        for name, value in vars(self).items():
            setattr(new, name, value[keep])
        return new

    def df(self, c: np.ndarray) -> np.ndarray:
        """Bulk chemical potential ``f'(c) = 4 W d (d^2 - phi^2)``."""
        d = c - self.center
        out = d * d
        out -= self.phi2
        out *= d
        out *= 4 * self.W
        return out

    def d2f(self, c) -> np.ndarray:
        """Curvature ``f''(c) = 4 W (3 d^2 - phi^2)``."""
        d = np.asarray(c) - self.center
        return 4 * self.W * (3 * d * d - self.phi2)

    def f(self, c: np.ndarray) -> np.ndarray:
        """Bulk free-energy density ``f(c)``."""
        d = c - self.center
        return self.W * (d * d - self.phi2) ** 2 + self.offset

    def fastest_growth(self, c_mean) -> tuple[np.ndarray, np.ndarray]:
        """Linear stability of the uniform state ``c_mean``.

        The amplitude of a small mode ``k`` grows at ``R(k) = -M k^2 (f''(c) + kappa k^2)``.

        Returns
        -------
        rate : ndarray of shape (batch,)
            Largest growth rate ``M f''^2 / (4 kappa)``, or 0 outside the spinodal.
        wavelength : ndarray of shape (batch,)
            Wavelength ``2 pi sqrt(2 kappa / -f'')`` of the fastest mode (inf outside).
        """
        curv = self.d2f(_col(c_mean, len(self))).ravel()
        kappa, M = self.kappa.ravel(), self.M.ravel()
        unstable = curv < 0
        rate = np.where(unstable, M * curv**2 / (4 * kappa), 0.0)
        with np.errstate(divide="ignore"):
            wavelength = np.where(
                unstable, 2 * np.pi * np.sqrt(2 * kappa / np.where(unstable, -curv, 1.0)), np.inf
            )
        return rate, wavelength


def free_energy(c: np.ndarray, model: LandauCahnHilliard) -> np.ndarray:
    """Total free energy per unit area, ``mean(f(c) + kappa/2 |grad c|^2)``, per sample.

    The gradient term is evaluated spectrally (Parseval), consistent with the solver.
    """
    size = c.shape[-1]
    kx, ky = wavenumbers(size)
    k2 = kx**2 + ky**2
    c_hat = np.fft.rfft2(c)
    power = (c_hat.real**2 + c_hat.imag**2) * rfft_weights(size)
    grad2 = (k2 * power).sum(axis=(-2, -1)) / size**4  # mean |grad c|^2
    bulk = model.f(c).mean(axis=(-2, -1))
    return bulk + 0.5 * model.kappa.reshape(-1) * grad2


METHODS = ("sbdf2", "semi-implicit")


def solve(
    c_init: np.ndarray,
    model: LandauCahnHilliard,
    t_end,
    *,
    eps: float = 0.1,
    method: str = "sbdf2",
    dt_max: float | None = None,
    min_dt_fraction: float = 0.002,
    max_steps: int = 100_000,
    callback: Callable[[np.ndarray, np.ndarray, np.ndarray], None] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Integrate a batch of samples from ``c_init`` up to their own end times.

    Parameters
    ----------
    c_init : ndarray of shape (batch, size, size)
        Initial compositions (square, periodic, unit grid spacing).
    model : LandauCahnHilliard
        Per-sample parameters.
    t_end : array-like of shape (batch,) or scalar
        End time of each sample (>= 0).
    eps : float, default=0.1
        Accuracy target of the adaptive step, ``dt M k^2 (S + kappa k^2) <= eps`` at the first
        moment ``k`` of the structure factor. Smaller is more accurate and slower.
    method : {"sbdf2", "semi-implicit"}, default="sbdf2"
        "semi-implicit": first-order stabilised semi-implicit Euler (unconditionally energy
        stable). "sbdf2": its second-order variable-step version (implicit BDF2 for the linear
        terms, second-order extrapolation of the explicit nonlinear term, steps growing by at
        most 1.5x), started by one first-order step. For the same accuracy it needs several
        times fewer steps.
    dt_max : float, optional
        Upper bound on every step (e.g. to compare with a fixed-step reference).
    min_dt_fraction : float, default=0.002
        Steps are never shorter than this fraction of the elapsed time, which bounds the work
        for long runs (about ``log(t_end / t_1) / min_dt_fraction`` steps after time ``t_1``)
        where the accuracy target keeps asking for short steps although little happens (a box
        smaller than the spinodal wavelength, a quench outside the spinodal). Such floored
        steps are taken with the first-order scheme, which is unconditionally energy stable.
        At 0.002 the floor changes the targets of the default sweep no more than halving
        ``eps`` does; 0 disables it.
    max_steps : int, default=100000
        Safety limit; exceeding it raises RuntimeError.
    callback : callable, optional
        Called as ``callback(index, t, c)`` after every step with the indices of the samples
        still running, their times and their fields (shape (n_active, size, size)).

    Returns
    -------
    c : ndarray of shape (batch, size, size), float64
        Fields at ``t_end``.
    n_steps : ndarray of shape (batch,), int
        Steps taken per sample.

    Raises
    ------
    FloatingPointError
        If a field becomes non-finite (guarded, although the stable scheme does not produce it).
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}; got {method!r}.")
    if not eps > 0:
        raise ValueError(f"eps must be positive; got {eps!r}.")
    if not min_dt_fraction >= 0:
        raise ValueError(f"min_dt_fraction must be >= 0; got {min_dt_fraction!r}.")
    c_init = np.asarray(c_init, dtype=np.float64)
    if c_init.ndim != 3 or c_init.shape[1] != c_init.shape[2]:
        raise ValueError(f"c_init must have shape (batch, size, size); got {c_init.shape}.")
    batch, size = c_init.shape[0], c_init.shape[1]
    if len(model) != batch:
        raise ValueError(f"model has {len(model)} samples but c_init has {batch}.")
    if not np.isfinite(c_init).all():
        raise ValueError("c_init contains non-finite values.")
    t_end = np.broadcast_to(np.asarray(t_end, dtype=np.float64), (batch,)).copy()
    if np.any(~np.isfinite(t_end)) or np.any(t_end < 0):
        raise ValueError("t_end must be finite and >= 0.")

    kx, ky = wavenumbers(size)
    k2 = kx**2 + ky**2  # (size, size//2+1)
    kmod = np.sqrt(k2)
    spectral_weight = np.broadcast_to(rfft_weights(size), k2.shape).copy()
    spectral_weight[0, 0] = 0.0  # the mean is not part of the structure

    out = np.array(c_init, copy=True)
    steps = np.zeros(batch, dtype=np.int64)

    # state of the samples still running; rows are dropped as samples finish
    state = {
        "index": np.arange(batch),
        "t": np.zeros(batch),
        "t_end": t_end,
        "c_hat": np.fft.rfft2(c_init),
        "model": model,
        # linear operator: d c_hat/dt = lin * c_hat + mk2 * (S c - f'(c))^
        "mk2": model.M * k2,
        "lin": -(model.M * k2) * (model.S + model.kappa * k2),
        "prev_c": None,  # SBDF2 history: previous c_hat, explicit term and step
        "prev_g": None,
        "prev_dt": None,
    }

    def drop(finished: np.ndarray) -> None:
        keep = ~finished
        for key, value in state.items():
            if value is None:
                continue
            state[key] = value.subset(keep) if key == "model" else value[keep]

    drop(t_end <= 0)
    for _ in range(max_steps):
        if state["index"].size == 0:
            break
        m, c_hat, n_active = state["model"], state["c_hat"], state["index"].size
        # adaptive step from the first moment of the structure factor
        power = (c_hat.real**2 + c_hat.imag**2) * spectral_weight
        total = power.reshape(n_active, -1).sum(axis=1)
        k_first = (power * kmod).reshape(n_active, -1).sum(axis=1) / np.maximum(total, 1e-300)
        kk = np.maximum(k_first, 2 * np.pi / size) ** 2
        dt = eps / (m.M.ravel() * kk * (m.S.ravel() + m.kappa.ravel() * kk))
        if dt_max is not None:
            dt = np.minimum(dt, dt_max)
        if state["prev_dt"] is not None:
            dt = np.minimum(dt, 1.5 * state["prev_dt"])
        floor = min_dt_fraction * state["t"]
        floored = dt < floor
        dt = np.maximum(dt, floor)
        remaining = state["t_end"] - state["t"]
        finishing = dt >= remaining * (1 - 1e-12)
        dt = np.where(finishing, remaining, dt)
        dt3 = dt[:, None, None]

        # explicit term g = -M k^2 (f'(c) - S c)^, the stabiliser S c moved to the implicit side
        c = np.fft.irfft2(c_hat, s=(size, size))
        g_hat = np.fft.rfft2(m.df(c))
        g_hat -= m.S * c_hat
        g_hat *= -state["mk2"]
        if method == "semi-implicit" or state["prev_c"] is None:
            new = (c_hat + dt3 * g_hat) / (1.0 - dt3 * state["lin"])
        else:
            # w = 0 is the first-order step, used where the step was floored
            w = np.where(floored, 0.0, dt / state["prev_dt"])[:, None, None]
            new = (1 + w) * c_hat - (w * w / (1 + w)) * state["prev_c"]
            new += dt3 * ((1 + w) * g_hat - w * state["prev_g"])
            new /= (1 + 2 * w) / (1 + w) - dt3 * state["lin"]
        new[:, 0, 0] = c_hat[:, 0, 0]  # (already exact: k = 0 has no flux) mass conservation
        if method == "sbdf2":
            state["prev_c"], state["prev_g"], state["prev_dt"] = c_hat, g_hat, dt
        state["c_hat"] = new
        state["t"] = np.where(finishing, state["t_end"], state["t"] + dt)
        steps[state["index"]] += 1

        if callback is not None or finishing.any():
            c = np.fft.irfft2(new, s=(size, size))
            if not np.isfinite(c).all():
                raise FloatingPointError("Cahn-Hilliard solver produced non-finite values.")
            if callback is not None:
                callback(state["index"], state["t"], c)
            if finishing.any():
                out[state["index"][finishing]] = c[finishing]
                drop(finishing)
    else:
        if state["index"].size:
            raise RuntimeError(
                f"Cahn-Hilliard solver did not finish in max_steps={max_steps} steps; raise "
                "eps or min_dt_fraction, or shorten t_end."
            )
    if not np.isfinite(out).all():
        raise FloatingPointError("Cahn-Hilliard solver produced non-finite values.")
    return out, steps
