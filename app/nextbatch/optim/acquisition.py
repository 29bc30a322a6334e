"""Acquisition maths on Gaussian predictions: log expected improvement and friends.

Everything here works elementwise on arrays of posterior means `mu` and sds `sigma` and returns
the value with its derivatives with respect to `mu` and `sigma`, so that the objective can
chain them with the GP's input gradients. Logarithms keep the values informative far from the
incumbent, where plain EI underflows to zero and gives the optimizer a flat landscape
(Ament et al., "Unexpected improvements to expected improvement", NeurIPS 2023).

scipy.special is imported inside the functions: importing it costs a third of a second, and
`import nextbatch.optim` should stay quick for the app's start-up.
"""

from __future__ import annotations

import math

import numpy as np

_C1 = 0.5 * math.log(2.0 * math.pi)
_C2 = 0.5 * math.log(0.5 * math.pi)
_ASYMPTOTIC = -1.0 / math.sqrt(np.finfo(float).eps)  # below this z, log h(z) ~ -z^2/2 - 2 log|z|

Triple = tuple[np.ndarray, np.ndarray, np.ndarray]


def log_h(z: np.ndarray) -> np.ndarray:
    """log(phi(z) + z Phi(z)), the log of EI at unit sd, stable for every z."""
    from scipy.special import erfcx, ndtr

    z = np.asarray(z, dtype=float)
    out = np.empty_like(z)
    upper = z > -1.0
    zu = z[upper]
    out[upper] = np.log(np.exp(-0.5 * zu**2) / math.sqrt(2 * math.pi) + zu * ndtr(zu))
    mid = ~upper & (z > _ASYMPTOTIC)
    zm = np.abs(z[mid])
    inner = np.log(erfcx(zm / math.sqrt(2.0)) * zm) + _C2
    out[mid] = -0.5 * zm**2 - _C1 + _log1mexp(inner)
    far = ~upper & ~mid
    out[far] = -0.5 * z[far] ** 2 - _C1 - 2.0 * np.log(np.abs(z[far]))
    return out


def log_ei(mu: np.ndarray, sigma: np.ndarray, best: float) -> Triple:
    """Log E[max(f - best, 0)] for f ~ N(mu, sigma^2), with d/dmu and d/dsigma."""
    from scipy.special import log_ndtr

    mu = np.asarray(mu, dtype=float)
    sigma = np.asarray(sigma, dtype=float)
    z = (mu - best) / sigma
    lh = log_h(z)
    ratio = np.exp(log_ndtr(z) - lh)  # Phi(z) / h(z) = d log h / dz
    value = lh + np.log(sigma)
    d_mu = ratio / sigma
    d_sigma = 1.0 / sigma - ratio * z / sigma
    return value, d_mu, d_sigma


def log_prob_between(mu: np.ndarray, sigma: np.ndarray, lo: float, hi: float) -> Triple:
    """Log P(lo <= f <= hi) for f ~ N(mu, sigma^2) (`lo`/`hi` may be infinite)."""
    from scipy.special import log_ndtr

    mu = np.asarray(mu, dtype=float)
    sigma = np.asarray(sigma, dtype=float)
    a = (lo - mu) / sigma
    b = (hi - mu) / sigma
    # Work in the lower tail, where log_ndtr is accurate: P = Phi(b) - Phi(a) = Phi(-a) - Phi(-b).
    flip = a > 0
    upper = np.where(flip, -a, b)
    lower = np.where(flip, -b, a)
    log_upper = log_ndtr(upper)
    log_lower = log_ndtr(lower)
    with np.errstate(divide="ignore"):
        value = log_upper + _log1mexp(np.minimum(log_lower - log_upper, -1e-300))
    value = np.maximum(value, -1e4)
    prob = np.exp(value)
    pa = _pdf(a)
    pb = _pdf(b)
    safe = np.maximum(prob, 1e-300)
    d_mu = (pa - pb) / sigma / safe
    a_fin = np.where(np.isfinite(a), a, 0.0)
    b_fin = np.where(np.isfinite(b), b, 0.0)
    d_sigma = (pa * a_fin - pb * b_fin) / sigma / safe
    return value, d_mu, d_sigma


def log_expected_triangle(mu: np.ndarray, sigma: np.ndarray, target: float,
                          width: float) -> Triple:
    """Log of E[max(width - |f - target|, 0)]: how much closer to `target` f lands than width.

    The triangle is a sum of three ramps, each with a closed-form expectation (sigma h(z)), so
    a target goal gets an exact expected improvement (the incumbent's distance is `width`).
    The triangle is symmetric, so the mean is mirrored below the target, where the ramps are
    small and their sum is taken in log space without cancellation: far from the target the
    value still falls smoothly instead of underflowing to a flat zero. The derivatives are
    central differences of this closed form.
    """
    mu = np.asarray(mu, dtype=float)
    sigma = np.asarray(sigma, dtype=float)
    value = _log_triangle(mu, sigma, target, width)
    h_mu = 1e-6 * np.maximum(sigma, 1e-9)
    d_mu = (_log_triangle(mu + h_mu, sigma, target, width)
            - _log_triangle(mu - h_mu, sigma, target, width)) / (2 * h_mu)
    d_sigma = (_log_triangle(mu, sigma + h_mu, target, width)
               - _log_triangle(mu, sigma - h_mu, target, width)) / (2 * h_mu)
    return value, d_mu, d_sigma


def _log_triangle(mu: np.ndarray, sigma: np.ndarray, target: float, width: float) -> np.ndarray:
    below = target - np.abs(mu - target)  # the mirrored mean, at or below the target
    z1 = (below - target + width) / sigma  # the largest of the three standardized knots
    z2 = (below - target) / sigma
    z3 = (below - target - width) / sigma
    lead = log_h(z1)
    rest = -2.0 * np.exp(log_h(z2) - lead) + np.exp(log_h(z3) - lead)
    return np.log(sigma) + lead + np.log1p(np.maximum(rest, -1.0 + 1e-16))


def _pdf(z: np.ndarray) -> np.ndarray:
    z = np.where(np.isfinite(z), z, 1e3)
    return np.exp(-0.5 * z**2) / math.sqrt(2 * math.pi)


def _log1mexp(x: np.ndarray) -> np.ndarray:
    """log(1 - exp(x)) for x < 0, accurate near 0 and far below (Mächler 2012)."""
    x = np.asarray(x, dtype=float)
    return np.where(x > -math.log(2.0), np.log(-np.expm1(x)), np.log1p(-np.exp(x)))
