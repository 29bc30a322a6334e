"""The ARD Matérn-5/2 kernel and the derivatives the GP needs, written with matrix products.

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
