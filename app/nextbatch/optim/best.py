"""The model's best recipe: where the fitted models expect the best result.

It maximizes the posterior mean objective — the latent mean of a single goal (or the log
desirability of the medians with several), plus the log probability of staying in every
range and of not failing — with the engine's constrained search (`Searcher`), so it is
rounded to the lab's steps and passes `study.check_recipe`. No exploration bonus: this is
the recipe to confirm, not the one to learn from.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from nextbatch.core.desirability import limits, response_desirability
from nextbatch.core.responses import Response
from nextbatch.optim.insights import Z95, BestRecipe, FittedModels
from nextbatch.optim.objective import Objective
from nextbatch.optim.progress import best_measured, run_desirabilities

STARTS = 4  # local optimizations for the model's best recipe (suggest uses 12)


class MeanScore:
    """The posterior mean objective of the engine's models, as the Searcher wants it."""

    def __init__(self, objective: Objective) -> None:
        self.objective = objective

    def score(self, X: np.ndarray) -> np.ndarray:
        return self.score_grad(X, with_grad=False)[0]

    def score_grad(self, X: np.ndarray,
                   with_grad: bool = True) -> tuple[np.ndarray, np.ndarray | None]:
        from nextbatch.optim.acquisition import log_prob_between

        X = np.atleast_2d(X)
        obj = self.objective
        value = np.zeros(len(X))
        grad = np.zeros_like(X) if with_grad else None
        if len(obj.goals) == 1:
            m = obj.goals[0]
            mu, _, dmu, _ = m.gp.predict_latent_grad(X)
            if m.goal == "target":
                gap = mu - m.latent_target()
                value -= gap**2
                d_mu = -2.0 * gap
            else:
                sign = 1.0 if m.goal == "maximize" else -1.0
                value += sign * mu
                d_mu = np.full(len(X), sign)
            if grad is not None:
                grad += d_mu[:, None] * dmu
        elif obj.goals:
            v, g = self._log_desirability(X)
            value += v
            if grad is not None:
                grad += g
        for m in obj.ranges:
            lo = m.latent_limit(m.response.low, -np.inf)
            hi = m.latent_limit(m.response.high, np.inf)
            if np.isinf(lo) and np.isinf(hi):
                continue
            mu, sd, dmu, dsd = m.gp.predict_latent_grad(X)
            v, d_mu, d_sd = log_prob_between(mu, sd, lo, hi)
            value += v
            if grad is not None:
                grad += d_mu[:, None] * dmu + d_sd[:, None] * dsd
        if obj.success is not None:
            v, g = obj.success.log_prob_grad(X)
            value += v
            if grad is not None:
                grad += g
        return value, grad

    def _log_desirability(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Log of `Objective.desirability` (of the medians) and its gradient along X.

        The ramps are linear between the limits, so the gradient is the chain of each
        ramp's slope, the output transform and the GP's mean gradient; it is zero where a
        response is beyond its limits (the desirability is flat there).
        """
        from nextbatch.core.desirability import FLOOR

        total = sum(float(m.response.importance or 1) for m in self.objective.goals)
        value = np.zeros(len(X))
        grad = np.zeros_like(X)
        for m in self.objective.goals:
            weight = float(m.response.importance or 1) / total
            mu, _, dmu, _ = m.gp.predict_latent_grad(X)
            y = m.gp.from_latent(mu)
            dy = m.gp.transform_.scale * (y if m.gp.log_transform_ else 1.0)
            lo, hi = limits(m.response, m.observed)
            d = response_desirability(m.response, y, lo, hi)
            slope = np.where((d > FLOOR) & (d < 1.0), _ramp_slope(m.response, y, lo, hi), 0.0)
            value += weight * np.log(np.maximum(d, FLOOR))
            grad += (weight * slope * dy / np.maximum(d, FLOOR))[:, None] * dmu
        return value, grad


def _ramp_slope(response: Response, y: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Slope of the linear ramps of `response_desirability`: d(desirability) / dy."""
    if response.goal == "maximize":
        return np.full_like(y, 1.0 / (hi - lo))
    if response.goal == "minimize":
        return np.full_like(y, -1.0 / (hi - lo))
    t = response.target if response.target is not None else 0.5 * (lo + hi)
    return np.where(y <= t, 1.0 / max(t - lo, 1e-12), -1.0 / max(hi - t, 1e-12))


def find_best(fitted: FittedModels, seed: int = 0,
              cancel: Callable[[], bool] | None = None) -> BestRecipe:
    """The best measured run and the model's best allowed recipe with its predictions.

    `cancel()` is polled between local optimizations (CancelledError when it turns true).
    """
    from nextbatch.optim.search import Searcher

    study = fitted.study
    run = best_measured(study)
    measured = ((run.id, run.effective_settings(), dict(run.results),
                 run_desirabilities(study)[run.id]) if run is not None
                else (None, {}, {}, None))
    if fitted.objective is None:
        return BestRecipe(*measured, {}, {}, {}, None,
                          "No response with a goal has results yet, so the model has no best "
                          "recipe.")
    score = MeanScore(fitted.objective)
    searcher = Searcher(fitted.space, lambda s: not study.check_recipe(s),
                        np.random.default_rng(seed), cancel, STARTS)
    pick = searcher.best(score.score, score.score_grad, set(), fitted.engine.X_done)
    if pick is None:
        return BestRecipe(*measured, {}, {}, {}, None,
                          "No allowed recipe could be found for the model's best.")
    x = pick.x[None, :]
    predicted, interval = {}, {}
    for name, m in fitted.models.items():
        mean, sd = m.gp.predict(x)
        predicted[name] = (float(mean[0]), float(sd[0]))
        mu, sd_latent = m.gp.predict_latent(x)
        spread = Z95 * math.sqrt(float(sd_latent[0]) ** 2 + m.gp.noise_variance_)
        interval[name] = (float(m.gp.from_latent(mu[0] - spread)),
                          float(m.gp.from_latent(mu[0] + spread)))
    desirability = (float(fitted.objective.desirability(x)[0]) if fitted.objective.goals
                    else None)
    return BestRecipe(*measured, dict(pick.settings), predicted, interval, desirability)
