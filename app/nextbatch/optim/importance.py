"""What matters: each variable's share of the predicted variation of each response.

The share is a total-effect (Sobol-style) index of the model's prediction over the feasible
space, estimated with Jansen's formula: T_j = E[(f(x) - f(x'_j))²] / (2 Var f), where x is
drawn over the allowed recipes (the engine's hit-and-run sampler, categorical levels drawn
uniformly) and x'_j is x with variable j redrawn. For independent box variables x'_j redraws
x_j from its range, the classic pick-freeze estimator. Mixtures and rules tie variables
together, so here x'_j moves x along j's own direction — an axis, or for a mixture component
the Cox direction, the others of its mixture shrinking in proportion — to a uniform point of
the chord that stays allowed. For a mixture this answers "how much does the prediction change
when this ingredient replaces the others", which is what a formulator means by its effect.
A variable tied by an equality rule to others cannot move alone and gets no share.

f is the posterior median in the response's units (or the overall desirability of the
medians). The band repeats the estimate on joint posterior samples of the model on a smaller
set of points: with few runs the samples disagree, and the band is wide.
"""

from __future__ import annotations

import numpy as np

from nextbatch.optim.effects import chords, directions
from nextbatch.optim.insights import DESIRABILITY, FittedModels, Importance
from nextbatch.optim.objective import ResponseModel

N_BAND = 48  # base points of the posterior-sample band
N_POSTERIOR = 64  # posterior samples behind the band
BAND = (5.0, 95.0)  # percentiles of the band


def all_importances(fitted: FittedModels, n_samples: int = 256,
                    seed: int = 0) -> dict[str, list[Importance]]:
    """Importance per modelled response and for "desirability", most important first."""
    space = fitted.space
    names = [v.name for v in space.numeric] + [v.name for v in space.categorical]
    keys = list(fitted.models)
    objective = fitted.objective
    if objective is not None and objective.goals:
        keys.append(DESIRABILITY)
    if not names or not keys:
        return {key: [] for key in keys}
    rng = np.random.default_rng(seed)
    stacked, count = _design(fitted, max(n_samples, 2 * N_BAND), rng)
    means = {key: _mean(fitted, key, stacked) for key in keys}
    small = _subset(count, len(names), min(N_BAND, count))
    draws = _posterior(fitted, stacked[small], rng)
    out = {}
    for key in keys:
        share = _total_effects(means[key].reshape(len(names) + 1, count))
        sampled = np.array([_total_effects(d.reshape(len(names) + 1, -1))
                            for d in _key_draws(fitted, key, draws)])
        low, high = np.percentile(sampled, BAND, axis=0)
        items = [Importance(name, float(s), float(min(lo, s)), float(max(hi, s)))
                 for name, s, lo, hi in zip(names, share, low, high, strict=True)]
        out[key] = sorted(items, key=lambda item: -item.share)
    return out


def _design(fitted: FittedModels, n: int, rng: np.random.Generator) -> tuple[np.ndarray, int]:
    """Model-space rows: n base recipes, then n moved recipes per free variable, stacked."""
    space = fitted.space
    U = space.polytope.sample(n, rng) if space.dim else np.zeros((n, 0))
    n = len(U)
    combos = np.column_stack([rng.integers(0, len(v.levels), size=n)
                              for v in space.categorical]) if space.categorical else \
        np.zeros((n, 0), dtype=int)
    blocks = [space.to_model(U, combos)]
    for j in range(space.dim):
        D = directions(space, j, U)
        t_min, t_max = chords(space, U, D)
        t = t_min + (t_max - t_min) * rng.random(n)
        blocks.append(space.to_model(U + t[:, None] * D, combos))
    for k, v in enumerate(space.categorical):
        moved = combos.copy()
        moved[:, k] = rng.integers(0, len(v.levels), size=n)
        blocks.append(space.to_model(U, moved))
    return np.vstack(blocks), n


def _subset(count: int, n_vars: int, keep: int) -> np.ndarray:
    """Row indices of the first `keep` base recipes and their moved twins."""
    return (np.arange(n_vars + 1)[:, None] * count + np.arange(keep)[None, :]).ravel()


def _mean(fitted: FittedModels, key: str, X: np.ndarray) -> np.ndarray:
    if key == DESIRABILITY:
        return fitted.objective.desirability(X)  # type: ignore[union-attr]
    gp = fitted.models[key].gp
    return gp.from_latent(gp.predict_latent(X)[0])


def _posterior(fitted: FittedModels, X: np.ndarray,
               rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Joint posterior samples (N_POSTERIOR, rows) of every model, in its own units."""
    return {name: m.gp.from_latent(m.gp.posterior_latent_samples(X, N_POSTERIOR, rng))
            for name, m in fitted.models.items()}


def _key_draws(fitted: FittedModels, key: str, draws: dict[str, np.ndarray]) -> np.ndarray:
    if key != DESIRABILITY:
        return draws[key]
    from nextbatch.core.desirability import limits, overall_desirability, response_desirability

    goals: list[ResponseModel] = fitted.objective.goals  # type: ignore[union-attr]
    parts = {m.response.name: response_desirability(m.response, draws[m.response.name],
                                                    *limits(m.response, m.observed))
             for m in goals}
    weights = {m.response.name: float(m.response.importance or 1) for m in goals}
    return overall_desirability(parts, weights)


def _total_effects(values: np.ndarray) -> np.ndarray:
    """Jansen's total effects from rows (base, moved by variable 1, 2, ...), clipped to 0–1."""
    base, moved = values[0], values[1:]
    variance = float(np.var(base))
    if variance <= 1e-24 * max(1.0, float(np.mean(base**2))):
        return np.zeros(len(moved))
    jansen = 0.5 * np.mean((moved - base[None, :]) ** 2, axis=1) / variance
    return np.clip(jansen, 0.0, 1.0)
