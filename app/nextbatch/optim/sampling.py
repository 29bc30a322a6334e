"""Points inside the feasible polytope: an interior point and hit-and-run samples.

The search space of the numeric variables is a polytope in encoded coordinates,
`{u : lo <= u <= hi, A_eq u = b_eq, A_ub u <= b_ub}`. Rejection sampling of the box fails as
soon as a mixture total (an equality) is involved, so the equalities are removed by a null-space
parametrization `u = u0 + N z` and the chains walk inside the remaining inequalities in `z`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

TOL = 1e-9  # slack allowed on encoded constraints (encoded values are of order 1)


@dataclass(frozen=True, eq=False)
class Polytope:
    """Box bounds plus linear equalities and inequalities of the encoded numeric space."""

    lo: np.ndarray
    hi: np.ndarray
    A_eq: np.ndarray
    b_eq: np.ndarray
    A_ub: np.ndarray
    b_ub: np.ndarray

    @property
    def dim(self) -> int:
        return len(self.lo)

    def violation(self, U: np.ndarray) -> np.ndarray:
        """Largest violation of any bound or constraint per row of `U` (0 when feasible)."""
        U = np.atleast_2d(U)
        worst = np.maximum(self.lo - U, U - self.hi).max(axis=1, initial=0.0)
        if len(self.b_eq):
            worst = np.maximum(worst, np.abs(U @ self.A_eq.T - self.b_eq).max(axis=1))
        if len(self.b_ub):
            worst = np.maximum(worst, (U @ self.A_ub.T - self.b_ub).max(axis=1))
        return np.maximum(worst, 0.0)

    def contains(self, U: np.ndarray, tol: float = TOL) -> np.ndarray:
        return self.violation(U) <= tol

    @cached_property
    def reduced(self) -> _Reduced | None:
        """The null-space form of this polytope, computed once; None when it is empty."""
        return _reduce(self)

    def interior_point(self) -> np.ndarray | None:
        """A point as deep inside as possible (Chebyshev centre), or None when empty."""
        red = self.reduced
        return None if red is None else red.u0.copy()

    def sample(self, n: int, rng: np.random.Generator, chains: int = 32,
               burn_in: int = 30, thin: int = 3) -> np.ndarray:
        """`n` points spread over the polytope by parallel hit-and-run chains.

        Every chain starts at the Chebyshev centre; after a burn-in each chain keeps every
        `thin`-th state. Returns an empty (0, dim) array when the polytope is empty.
        """
        red = self.reduced
        if red is None or n <= 0:
            return np.empty((0, self.dim))
        k = red.N.shape[1]
        if k == 0 or red.radius <= 0:
            return np.repeat(red.u0[None, :], n, axis=0)
        chains = max(1, min(chains, n))
        per_chain = -(-n // chains)
        z = np.zeros((chains, k))
        out = []
        for step in range(burn_in + per_chain * thin):
            z = _hit_and_run_step(z, red.G, red.h, rng)
            if step >= burn_in and (step - burn_in) % thin == thin - 1:
                out.append(z.copy())
        Z = np.concatenate(out)[:n]
        U = red.u0 + Z @ red.N.T
        return np.clip(U, self.lo, self.hi)


@dataclass(frozen=True)
class _Reduced:
    """`u = u0 + N z` with the inequalities `G z <= h` (box rows included)."""

    u0: np.ndarray
    N: np.ndarray
    G: np.ndarray
    h: np.ndarray
    radius: float


def _reduce(poly: Polytope) -> _Reduced | None:
    """Null-space form with the Chebyshev centre; None when the polytope is empty.

    A polytope can be flat beyond its stated equalities (a mixture whose bounds leave one
    composition, or `a + b <= 1` with `a + b >= 1`). Then the centre has radius 0 and the
    chains could not move along the directions that are still free, so such implicit
    equalities are found (rows that no feasible point leaves) and moved to the equalities.
    """
    d = poly.dim
    rows = np.vstack([np.eye(d), -np.eye(d), poly.A_ub])
    rhs = np.concatenate([poly.hi, -poly.lo, poly.b_ub])
    A_eq, b_eq = poly.A_eq, poly.b_eq
    while True:
        found = _reduce_with(A_eq, b_eq, rows, rhs, d)
        if found is None:
            return None
        red, keep = found
        if red.radius > 1e-9 or red.N.shape[1] == 0:
            return red
        implicit = np.zeros(len(rows), dtype=bool)
        implicit[np.flatnonzero(keep)[_implicit_rows(red)]] = True
        if not implicit.any():
            return red
        A_eq = np.vstack([A_eq, rows[implicit]])
        b_eq = np.concatenate([b_eq, rhs[implicit]])
        rows, rhs = rows[~implicit], rhs[~implicit]


def _reduce_with(A_eq: np.ndarray, b_eq: np.ndarray, rows: np.ndarray, rhs: np.ndarray,
                 d: int) -> tuple[_Reduced, np.ndarray] | None:
    from scipy.linalg import null_space
    from scipy.optimize import linprog

    if len(b_eq):
        particular, *_ = np.linalg.lstsq(A_eq, b_eq, rcond=None)
        if np.abs(A_eq @ particular - b_eq).max() > 1e-8:
            return None
        N = null_space(A_eq, rcond=1e-10)
    else:
        particular = np.zeros(d)
        N = np.eye(d)
    G = rows @ N
    h = rhs - rows @ particular
    norms = np.linalg.norm(G, axis=1)
    keep = norms >= 1e-12
    if np.any(h[~keep] < -1e-9):
        return None
    G, h, norms = G[keep], h[keep], norms[keep]
    k = N.shape[1]
    if k == 0:
        return _Reduced(particular, N, G, h, 0.0), keep
    # Chebyshev centre: maximize r subject to G z + r |G_i| <= h, 0 <= r <= 1.
    cost = np.zeros(k + 1)
    cost[-1] = -1.0
    res = linprog(cost, A_ub=np.hstack([G, norms[:, None]]), b_ub=h,
                  bounds=[(None, None)] * k + [(0.0, 1.0)], method="highs")
    if res.status != 0:
        return None
    z0 = res.x[:k]
    u0 = particular + N @ z0
    return _Reduced(u0, N, G, h - G @ z0, float(res.x[-1])), keep


def _implicit_rows(red: _Reduced) -> np.ndarray:
    """Indices of the inequalities that hold with equality everywhere in the polytope."""
    from scipy.optimize import linprog

    k = red.N.shape[1]
    out = []
    for i in np.flatnonzero(red.h < 1e-9):
        res = linprog(red.G[i], A_ub=red.G, b_ub=red.h, bounds=[(None, None)] * k,
                      method="highs")
        if res.status == 0 and red.h[i] - red.G[i] @ res.x < 1e-9:
            out.append(i)
    return np.array(out, dtype=int)


def _hit_and_run_step(z: np.ndarray, G: np.ndarray, h: np.ndarray,
                      rng: np.random.Generator) -> np.ndarray:
    """One hit-and-run move of every chain: a random direction, a uniform point on the chord."""
    direction = rng.standard_normal(z.shape)
    direction /= np.linalg.norm(direction, axis=1, keepdims=True)
    slack = np.maximum(h - z @ G.T, 0.0)
    rate = direction @ G.T
    with np.errstate(divide="ignore", invalid="ignore"):
        limit = slack / rate
    upper = np.where(rate > 1e-14, limit, np.inf).min(axis=1)
    lower = np.where(rate < -1e-14, limit, -np.inf).max(axis=1)
    upper = np.minimum(upper, 1e6)
    lower = np.maximum(lower, -1e6)
    t = lower + (upper - lower) * rng.random(len(z))
    t = np.where(upper > lower, t, 0.0)
    return z + t[:, None] * direction
