"""Space-filling recipes for when the model cannot guide yet.

Greedy maximin over a pool of feasible hit-and-run points: each new recipe is the candidate
farthest from every run already made, planned or chosen — so it also fills around existing
runs. Distances to the polytope's faces count too (a multiple of the margin competes with the
distance to the nearest run), which keeps the design off the corners a plain maximin design
loves: a GP learns little from a corner. In one or two free dimensions the margin counts half as
much, so the design spreads further from the centre, whose value is often mediocre: the model
then starts from a better recipe (benchmark convergence on Branin 0.16 -> 0.09; better on five
of six other 2-D test functions, worse on the six-hump camel, whose optimum is central). In
three dimensions it made little difference (Hartmann-3, Levy, Rosenbrock), from four on it was
worse on the shared benchmark (Hartmann-6, brew5).
Categorical levels are dealt out in turns, so each level appears about equally often in a batch.
"""

from __future__ import annotations

import numpy as np

from nextbatch.optim.encoding import SearchSpace
from nextbatch.optim.search import Pick, Searcher, nearest_distance, recipe_key

POOL = 512  # candidates drawn per design point
MARGIN_WEIGHT = 1.5  # how much the distance to the rules' faces counts against run distance
MARGIN_WEIGHT_LOW_DIM = 3.0  # ... with at most LOW_DIM free numeric directions
LOW_DIM = 2


def level_orders(space: SearchSpace, rng: np.random.Generator) -> list[np.ndarray]:
    """One random order of the levels per categorical variable, dealt out turn by turn."""
    return [rng.permutation(len(v.levels)) for v in space.categorical]


def balanced_combo(orders: list[np.ndarray], turn: int) -> np.ndarray:
    """Level indices for the `turn`-th design point: each variable cycles through its order."""
    return np.array([int(order[turn % len(order)]) for order in orders], dtype=int)


def margin_weight(space: SearchSpace) -> float:
    """How much the margin counts: less (a larger multiple) in a space of few free directions."""
    red = space.polytope.reduced if space.dim else None
    free = red.N.shape[1] if red is not None else space.dim
    return MARGIN_WEIGHT_LOW_DIM if free <= LOW_DIM else MARGIN_WEIGHT


def margin(space: SearchSpace, Z: np.ndarray) -> np.ndarray:
    """Distance of each numeric point to the nearest face of the polytope (search units)."""
    red = space.polytope.reduced
    if space.dim == 0 or red is None or red.N.shape[1] == 0 or len(red.G) == 0:
        return np.full(len(Z), np.inf)
    z = (Z - red.u0) @ red.N
    slack = (red.h - z @ red.G.T) / np.linalg.norm(red.G, axis=1)
    return np.maximum(slack.min(axis=1), 0.0)


def next_point(searcher: Searcher, existing: np.ndarray, taken: set[tuple],
               combo: np.ndarray | None, rng: np.random.Generator) -> Pick | None:
    """The feasible recipe farthest from `existing` model-space rows, not in `taken`.

    `combo` (level indices) is used when the space has numeric variables to spread; a purely
    categorical space spreads over the combinations themselves.
    """
    space = searcher.space
    Z, combos = searcher.candidates(POOL)
    if combo is not None and space.dim:
        combos[:] = combo
    X = space.to_model(Z, combos)
    score = np.minimum(nearest_distance(X, existing), margin_weight(space) * margin(space, Z))
    if not np.any(np.isfinite(score)):
        score = rng.random(len(X))
    for i in np.argsort(-score, kind="stable"):
        x = searcher.finalize(Z[i], combos[i])
        if x is None:
            continue
        settings = searcher.recipe(x, combos[i])
        if recipe_key(settings) in taken or not searcher.check(settings):
            continue
        row = space.to_model(space.units(x), combos[i])[0]
        return Pick(settings, row, float(score[i]))
    return None
