"""The ARD Matérn-5/2 kernel, its derivatives and the marginal likelihood of its parameters.

Matérn-5/2 is twice differentiable, smooth enough for gradient-based acquisition optimization
yet rough enough not to over-smooth lab data (the usual choice in BoTorch, BayBE and EDBO).
With the scaled distance r = ||(x - x') / lengthscales||:

    k(r)          = s2 * (1 + sqrt(5) r + 5/3 r^2) * exp(-sqrt(5) r)
    dk/dlog(l_i)  = g(r) * (x_i - x'_i)^2 / l_i^2
    dk/dx_i       = -g(r) * (x_i - x'_i) / l_i^2
    with g(r)     = s2 * 5/3 * (1 + sqrt(5) r) * exp(-sqrt(5) r)

`g` has no singularity at r = 0, so duplicate points need no special case. Every sum over
pairs is expanded into matrix products ((a - b)^2 = a^2 + b^2 - 2ab), which keeps memory at
O(n^2) instead of an (n, n, d) tensor and lets BLAS do the work.
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import cho_solve
from scipy.linalg.lapack import dpotrf, dpotri

SQRT5 = float(np.sqrt(5.0))


def scaled_sqdist(a: np.ndarray, b: np.ndarray, lengthscales: np.ndarray) -> np.ndarray:
    """Squared distances r^2 (m, n) between rows of `a` (m, d) and `b` (n, d) after scaling."""
    a_s = a / lengthscales
    b_s = b / lengthscales
    r2 = (a_s * a_s).sum(axis=1)[:, None] + (b_s * b_s).sum(axis=1)[None, :] - 2.0 * a_s @ b_s.T
    return np.maximum(r2, 0.0)


def matern52(r2: np.ndarray, signal_variance: float) -> np.ndarray:
    """Kernel values from squared scaled distances."""
    r = np.sqrt(r2)
    return signal_variance * (1.0 + SQRT5 * r + (5.0 / 3.0) * r2) * np.exp(-SQRT5 * r)


def matern52_with_slope(r2: np.ndarray,
                        signal_variance: float) -> tuple[np.ndarray, np.ndarray]:
    """Kernel values and the factor g(r) of both derivatives (see module doc), sharing exp."""
    r = np.sqrt(r2)
    scaled_exp = signal_variance * np.exp(-SQRT5 * r)
    linear = 1.0 + SQRT5 * r
    return (linear + (5.0 / 3.0) * r2) * scaled_exp, (5.0 / 3.0) * linear * scaled_exp


def weighted_sqdiff_sum(weights: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Per dimension i: sum over pairs (j, k) of weights[j, k] * (x[j, i] - x[k, i])^2.

    Contracted with the kernel slope and divided by the squared length-scales, this is the
    gradient of a trace term with respect to the log length-scales.
    """
    x2 = x * x
    cross = np.einsum("ji,ji->i", x, weights @ x)
    return weights.sum(axis=1) @ x2 + weights.sum(axis=0) @ x2 - 2.0 * cross


def weighted_diff_sum(weights: np.ndarray, xq: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Rows (m, d): sum over j of weights[q, j] * (xq[q] - x[j]), without an (m, n, d) tensor."""
    return weights.sum(axis=1)[:, None] * xq - weights @ x


def robust_cholesky(k: np.ndarray) -> tuple[np.ndarray, float]:
    """Lower Cholesky factor of `k`, adding diagonal jitter in decades until it succeeds.

    Returns the factor and the jitter used (0.0 when none was needed).
    """
    n = k.shape[0]
    if n == 0:
        return np.zeros((0, 0)), 0.0
    scale = float(np.mean(np.diag(k)))
    scale = scale if np.isfinite(scale) and scale > 0.0 else 1.0
    jitter = 0.0
    for exponent in range(-10, 1):
        # LAPACK directly: the likelihood calls this ~100 times per fit, and scipy's wrapper
        # costs as much as the factorization itself at n = 20.
        chol, info = dpotrf(k + jitter * np.eye(n) if jitter else k, lower=1, clean=1)
        if info == 0:
            return chol, jitter
        jitter = scale * 10.0**exponent
    raise np.linalg.LinAlgError(
        f"covariance matrix of {n} points is not positive definite even with jitter {jitter:g}")


def inverse_from_cholesky(chol: np.ndarray) -> np.ndarray:
    """K^-1 from its lower Cholesky factor (LAPACK potri: a third of the cost of solving I)."""
    inv_lower, info = dpotri(chol, lower=1)
    if info != 0:
        raise np.linalg.LinAlgError(f"potri failed with info={info}")
    # potri fills the lower triangle and leaves the upper one of `chol` (zeroed by potrf's
    # `clean`) alone.
    full = inv_lower + inv_lower.T
    full.flat[:: len(full) + 1] *= 0.5
    return full


def log_marginal_likelihood(theta: np.ndarray, x: np.ndarray,
                            z: np.ndarray) -> tuple[float, np.ndarray]:
    """Log marginal likelihood of latent targets z at log-hyperparameters theta, with gradient.

    theta = (log lengthscales (d values), log signal variance, log noise variance). The
    gradient is 1/2 tr((alpha alpha^T - K^-1) dK/dtheta) for every hyperparameter, each trace
    computed from matrix products in O(n^2 d) after one O(n^3) factorization.
    """
    n, d = x.shape
    lengthscales = np.exp(theta[:d])
    s2, noise = float(np.exp(theta[d])), float(np.exp(theta[d + 1]))
    r2 = scaled_sqdist(x, x, lengthscales)
    k_f, slope = matern52_with_slope(r2, s2)
    chol, _ = robust_cholesky(k_f + noise * np.eye(n))
    alpha = cho_solve((chol, True), z, check_finite=False)
    value = (-0.5 * float(z @ alpha) - float(np.sum(np.log(np.diag(chol))))
             - 0.5 * n * np.log(2.0 * np.pi))
    w = np.outer(alpha, alpha) - inverse_from_cholesky(chol)
    grad = np.empty(d + 2)
    grad[:d] = 0.5 * weighted_sqdiff_sum(w * slope, x) / lengthscales**2
    grad[d] = 0.5 * float(np.sum(w * k_f))
    grad[d + 1] = 0.5 * noise * float(np.trace(w))
    return value, grad
