"""Hit-and-run inside the feasible polytope."""

from __future__ import annotations

import numpy as np
from nextbatch.optim.sampling import Polytope


def simplex_with_rule() -> Polytope:
    """Four fractions with bounds, adding up to 1, and u0 - u1 <= 0.1."""
    return Polytope(lo=np.array([0.1, 0.05, 0.0, 0.0]), hi=np.array([0.6, 0.5, 0.4, 0.3]),
                    A_eq=np.ones((1, 4)), b_eq=np.array([1.0]),
                    A_ub=np.array([[1.0, -1.0, 0.0, 0.0]]), b_ub=np.array([0.1]))


def test_samples_are_feasible_and_spread_over_the_polytope():
    poly = simplex_with_rule()
    U = poly.sample(3000, np.random.default_rng(1))
    assert U.shape == (3000, 4)
    assert poly.violation(U).max() < 1e-12
    # Spread: every coordinate covers most of its feasible range.
    assert np.all(U.max(axis=0) - U.min(axis=0) > 0.2)
    # Uniform-ish: compare with rejection sampling of the same polytope.
    rng = np.random.default_rng(2)
    raw = rng.dirichlet(np.ones(4), 400_000)
    ref = raw[poly.contains(raw, 0.0)]
    assert np.allclose(U.mean(axis=0), ref.mean(axis=0), atol=0.02)


def test_the_interior_point_is_strictly_inside():
    poly = simplex_with_rule()
    centre = poly.interior_point()
    assert centre is not None
    assert poly.violation(centre[None, :])[0] == 0.0
    assert np.all(centre > poly.lo + 1e-3) and np.all(centre < poly.hi - 1e-3)


def test_an_empty_polytope_gives_no_point_and_no_sample():
    poly = Polytope(lo=np.zeros(2), hi=np.ones(2), A_eq=np.ones((1, 2)), b_eq=np.array([3.0]),
                    A_ub=np.zeros((0, 2)), b_ub=np.zeros(0))
    assert poly.interior_point() is None
    assert poly.sample(10, np.random.default_rng(0)).shape == (0, 2)


def test_same_generator_seed_gives_the_same_samples():
    poly = simplex_with_rule()
    a = poly.sample(50, np.random.default_rng(7))
    b = poly.sample(50, np.random.default_rng(7))
    assert np.array_equal(a, b)
