"""Trade-offs between two responses: the measured and the predicted Pareto fronts.

A recipe is on the front when no other recipe is at least as good on both responses and
better on one, each judged by its goal (higher for maximize, lower for minimize, nearer for
target, inside or nearer for range). The predicted front is taken over a large feasible
sample of recipes, rounded to the lab's steps and predicted again there, so each point is a
recipe the lab could make.
"""

from __future__ import annotations

import numpy as np

from nextbatch.core.errors import NextBatchError
from nextbatch.core.responses import Response
from nextbatch.optim.encoding import Value
from nextbatch.optim.insights import FittedModels, TradeOff, finite
from nextbatch.optim.progress import goodness, measured_runs

N_POOL = 2048  # feasible recipes the predicted front is chosen from
MAX_FRONT = 40  # predicted front points rounded and returned


def fronts(fitted: FittedModels, name_a: str, name_b: str, seed: int = 0) -> TradeOff:
    """The measured runs, their front, and the model's front for two responses."""
    from nextbatch.optim.search import Searcher

    study = fitted.study
    if name_a == name_b:
        raise NextBatchError(f"response_b: {name_b!r} is the same response as response_a; "
                             "expected two different responses")
    ra, rb = _response(fitted, name_a), _response(fitted, name_b)
    points = [(run.id, float(run.results[ra.name]), float(run.results[rb.name]))
              for run in measured_runs(study)
              if finite(run.results.get(ra.name)) and finite(run.results.get(rb.name))]
    keys = np.array([[_merit(ra, a), _merit(rb, b)] for _, a, b in points]).reshape(-1, 2)
    measured = [points[i] for i in np.flatnonzero(non_dominated(keys))]
    predicted: list[tuple[float, float, dict[str, Value]]] = []
    if ra.name in fitted.models and rb.name in fitted.models:
        searcher = Searcher(fitted.space, lambda s: not study.check_recipe(s),
                            np.random.default_rng(seed))
        Z, combos = searcher.candidates(N_POOL)
        predicted = _predicted_front(fitted, searcher, Z, combos, ra, rb)
    return TradeOff(ra.name, rb.name, sorted(measured, key=lambda p: p[1]), points, predicted)


def non_dominated(merits: np.ndarray) -> np.ndarray:
    """Mask of the rows no other row beats (higher is better in every column)."""
    merits = np.asarray(merits, dtype=float)
    at_least = np.all(merits[None, :, :] >= merits[:, None, :], axis=2)
    better = np.any(merits[None, :, :] > merits[:, None, :], axis=2)
    return ~np.any(at_least & better, axis=1)


def _response(fitted: FittedModels, name: str) -> Response:
    r = fitted.response(name)
    if not r.is_optimized:
        raise NextBatchError(f"response: {r.title} is only recorded (goal observe), so it has "
                             "no better side to trade; expected a response with a goal")
    return r


def _merit(r: Response, value: np.ndarray | float) -> np.ndarray:
    """Higher is better: the goal's goodness, or minus the distance outside a range."""
    if r.goal != "range":
        return goodness(r, value)  # type: ignore[arg-type]
    below = 0.0 if r.low is None else np.maximum(r.low - value, 0.0)
    above = 0.0 if r.high is None else np.maximum(value - r.high, 0.0)
    return -(below + above)


def _predicted_front(fitted: FittedModels, searcher, Z: np.ndarray, combos: np.ndarray,
                     ra: Response, rb: Response) -> list[tuple[float, float, dict[str, Value]]]:
    space = fitted.space
    ma, mb = fitted.models[ra.name], fitted.models[rb.name]

    def medians(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return (ma.gp.from_latent(ma.gp.predict_latent(X)[0]),
                mb.gp.from_latent(mb.gp.predict_latent(X)[0]))

    a, b = medians(space.to_model(Z, combos))
    front = np.flatnonzero(non_dominated(np.column_stack([_merit(ra, a), _merit(rb, b)])))
    front = front[np.argsort(a[front])][:: max(1, len(front) // MAX_FRONT)]
    from nextbatch.optim.search import recipe_key

    recipes, rows, seen = [], [], set()
    for i in front:
        x = searcher.finalize(Z[i], combos[i])
        if x is None:
            continue
        settings = searcher.recipe(x, combos[i])
        if recipe_key(settings) not in seen and searcher.check(settings):
            seen.add(recipe_key(settings))
            recipes.append(settings)
            rows.append(space.to_model(space.units(x), combos[i])[0])
    if not rows:
        return []
    a, b = medians(np.vstack(rows))
    keep = non_dominated(np.column_stack([_merit(ra, a), _merit(rb, b)]))
    out = [(float(a[i]), float(b[i]), recipes[i]) for i in np.flatnonzero(keep)]
    return sorted(out, key=lambda p: p[0])
