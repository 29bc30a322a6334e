"""Progress, the best recipe, and whether another batch is worth it.

"Best" follows each response's goal: highest for maximize, lowest for minimize, nearest the
target for target. With several goals, runs are ranked by their overall desirability (the
importance-weighted geometric mean of DESIGN §2, over the goal responses, with the limits
the engine uses); a run that left a required range (`range` goals) ranks below every run that
kept them all.

The model's best recipe maximizes the posterior mean objective — the latent mean of a single
goal (or the desirability of the medians with several), plus the log probability of staying
in every range and of not failing — with the engine's constrained search (`Searcher`), so it
is rounded to the lab's steps and passes `study.check_recipe`.

Stop or go on: the engine's next batch is approximated without its local optimization (the
full `suggest` takes seconds, this runs after every result): from a large feasible sample the
members are chosen one by one by the engine's own acquisition with its Kriging-believer
fantasies, exactly as suggest chooses between candidates. Joint posterior samples at those
recipes say how often at least one of them beats the best measured value by the margin;
recipes the success model expects to fail and samples outside a required range do not count.
"""

from __future__ import annotations

import math

import numpy as np

from nextbatch.core.desirability import limits, overall_desirability, response_desirability
from nextbatch.core.responses import Response
from nextbatch.core.runs import Run
from nextbatch.core.study import Study
from nextbatch.optim import reasons
from nextbatch.optim.insights import (
    Z95,
    BestRecipe,
    FittedModels,
    ProgressPoint,
    StopAdvice,
    finite,
    title,
)
from nextbatch.optim.model_check import error_text
from nextbatch.optim.objective import Objective

N_POOL = 1024  # feasible candidates the stop advice chooses its batch from
N_DRAWS = 512  # joint posterior samples of that batch
STOP_BELOW = 0.2  # a chance below this: "you could stop here"
GO_ABOVE = 0.5  # ... above this: "another batch is likely to improve it"
_STARTS = 4  # local optimizations for the model's best recipe (the engine uses 12)


# ---------------------------------------------------------------- measured desirability
def goal_responses(study: Study) -> list[Response]:
    """The responses to improve (maximize, minimize, target); ranges are requirements."""
    return [r for r in study.responses if r.goal in ("maximize", "minimize", "target")]


def measured_runs(study: Study) -> list[Run]:
    """Done runs with at least one result, in the study's order."""
    return [r for r in study.runs if r.status == "done" and r.has_results()]


def run_desirabilities(study: Study) -> dict[str, float | None]:
    """Overall desirability of each measured run (None when a goal result is missing)."""
    goals = goal_responses(study)
    runs = measured_runs(study)
    bounds = {g.name: limits(g, np.array([r.results[g.name] for r in runs
                                          if finite(r.results.get(g.name))]))
              for g in goals}
    out: dict[str, float | None] = {}
    for run in runs:
        if not goals or not all(finite(run.results.get(g.name)) for g in goals):
            out[run.id] = None
            continue
        parts = {g.name: response_desirability(g, float(run.results[g.name]), *bounds[g.name])
                 for g in goals}
        weights = {g.name: float(g.importance or 1) for g in goals}
        out[run.id] = float(overall_desirability(parts, weights))
    return out


def goodness(response: Response, value: float) -> float:
    """Higher is better, by the response's goal (the distance to a target, negated)."""
    if response.goal == "minimize":
        return -value
    if response.goal == "target":
        target = response.target
        if target is None:
            lo, hi = limits(response)
            target = 0.5 * (lo + hi)
        return -abs(value - target)
    return value


def _in_ranges(study: Study, run: Run) -> bool:
    for r in study.responses:
        value = run.results.get(r.name)
        if r.goal == "range" and finite(value) and not (
                (r.low is None or value >= r.low) and (r.high is None or value <= r.high)):
            return False
    return True


def best_measured(study: Study) -> Run | None:
    """The best measured run (see the module's docstring), or None before any result."""
    runs = measured_runs(study)
    if not runs:
        return None
    desirability = run_desirabilities(study)
    goals = goal_responses(study)

    def key(run: Run) -> tuple[bool, float, float]:
        d = desirability[run.id]
        single = run.results.get(goals[0].name) if len(goals) == 1 else None
        return (_in_ranges(study, run), -math.inf if d is None else d,
                goodness(goals[0], float(single)) if finite(single) else -math.inf)

    return max(runs, key=key)


# ------------------------------------------------------------------------------ progress
def progress_points(study: Study) -> list[ProgressPoint]:
    """After each batch with results: the best value so far per goal response and overall."""
    runs = measured_runs(study)
    desirability = run_desirabilities(study)
    goals = goal_responses(study)
    out = []
    for batch in sorted({r.batch for r in runs}):
        so_far = [r for r in runs if r.batch <= batch]
        best = {}
        for g in goals:
            values = [float(r.results[g.name]) for r in so_far if finite(r.results.get(g.name))]
            if values:
                best[g.name] = max(values, key=lambda v, g=g: goodness(g, v))
        ds = [d for r in so_far if (d := desirability[r.id]) is not None]
        out.append(ProgressPoint(batch, len(so_far), best, max(ds) if ds else None))
    return out


# ----------------------------------------------------------------------------- best recipe
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


def find_best(fitted: FittedModels, seed: int = 0) -> BestRecipe:
    """The best measured run and the model's best allowed recipe with its predictions."""
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
                        np.random.default_rng(seed), None, _STARTS)
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


# ----------------------------------------------------------------------------- stop or go
def advise_stop(fitted: FittedModels, margin: float | None = None,
                batch_size: int | None = None, seed: int = 0) -> StopAdvice:
    """The chance that the next batch beats the best so far by `margin`, in plain words."""
    from nextbatch.core.errors import NextBatchError

    study = fitted.study
    size = study.batch_size if batch_size is None else batch_size
    if not isinstance(size, int) or isinstance(size, bool) or size < 1:
        raise NextBatchError(f"batch_size: {size!r} is not allowed; expected a whole number "
                             "of at least 1")
    if margin is not None and not (finite(margin) and margin >= 0):
        raise NextBatchError(f"margin: {margin!r} is not allowed; expected a number of 0 or "
                             "more, in the response's units")
    objective = fitted.objective
    if objective is not None and objective.ranges and not objective.goals:
        return StopAdvice(None, margin or 0.0, size,
                          "Only required ranges are set (no response to raise, lower or aim "
                          "at a target): you can stop once a run lands inside every range.")
    if objective is None or not objective.goals:
        return StopAdvice(None, margin or 0.0, size,
                          "No response with a goal (maximize, minimize or target) has results "
                          "yet: there is nothing to improve on, so run the next batch.")
    if not fitted.can_guide:
        return StopAdvice(None, margin or 0.0, size,
                          f"With {fitted.n_measured} measured runs the model cannot judge yet "
                          f"(it needs {fitted.needed}): run the next batch.")
    rng = np.random.default_rng(seed)
    X = _likely_batch(fitted, size, rng)
    ok = _valid_draws(fitted, X, rng)
    if len(objective.goals) == 1:
        m = objective.goals[0]
        r = m.response
        best = max((float(v) for v in m.observed), key=lambda v: goodness(r, v))
        margin = (_default_margin(r, m.observed, best, m.gp.log_transform_) if margin is None
                  else float(margin))
        draws = m.gp.from_latent(m.gp.posterior_latent_samples(X, N_DRAWS, rng))
        gain = goodness(r, draws) - goodness(r, best)  # type: ignore[arg-type]
        what = f"the best {title(study, r.name)}, {reasons.amount(best, None, r.unit)}"
        by = error_text(margin, r.unit)
    else:
        measured = [d for d in run_desirabilities(study).values() if d is not None]
        best = max(measured) if measured else float(objective.best)
        margin = 0.01 if margin is None else float(margin)
        gain = _desirability_draws(objective, X, rng) - best
        what = f"the best overall desirability, {best:.2f}"
        by = error_text(margin)
    probability = float(np.mean(np.any((gain >= margin) & ok, axis=1)))
    return StopAdvice(probability, margin, size,
                      f"There is {_chance(probability)} that another batch of {size} "
                      f"beats {what}, by {by} or more: {_verdict(probability)}.")


def _likely_batch(fitted: FittedModels, size: int, rng: np.random.Generator) -> np.ndarray:
    """Model-space rows of the batch suggest would choose from a large feasible sample."""
    from nextbatch.optim.search import Searcher

    searcher = Searcher(fitted.space, lambda s: True, rng)
    Z, combos = searcher.candidates(N_POOL)
    pool = fitted.space.to_model(Z, combos)
    objective = fitted.pending or fitted.objective
    chosen: list[int] = []
    for _ in range(min(size, len(pool))):
        score = objective.score(pool)  # type: ignore[union-attr]
        score[chosen] = -np.inf
        i = int(np.argmax(score))
        chosen.append(i)
        objective = objective.fantasize(pool[i:i + 1])  # type: ignore[union-attr]
    return pool[chosen]


def _valid_draws(fitted: FittedModels, X: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """(draws, batch) booleans: the recipe did not fail and stayed in every required range."""
    objective = fitted.objective
    ok = np.ones((N_DRAWS, len(X)), dtype=bool)
    if objective is None:
        return ok
    for m in objective.ranges:
        lo = m.latent_limit(m.response.low, -np.inf)
        hi = m.latent_limit(m.response.high, np.inf)
        z = m.gp.posterior_latent_samples(X, N_DRAWS, rng)
        ok &= (z >= lo) & (z <= hi)
    if objective.success is not None:
        p = np.exp(objective.success.log_prob_grad(X)[0])
        ok &= rng.random((N_DRAWS, len(X))) < p[None, :]
    return ok


def _desirability_draws(objective: Objective, X: np.ndarray,
                        rng: np.random.Generator) -> np.ndarray:
    parts, weights = {}, {}
    for m in objective.goals:
        y = m.gp.from_latent(m.gp.posterior_latent_samples(X, N_DRAWS, rng))
        lo, hi = limits(m.response, m.observed)
        parts[m.response.name] = response_desirability(m.response, y, lo, hi)
        weights[m.response.name] = float(m.response.importance or 1)
    return overall_desirability(parts, weights)


def _default_margin(response: Response, observed: np.ndarray, best: float,
                    multiplicative: bool) -> float:
    """1 % of the response's limits, else of the measured spread, else of the best value.

    A response the model treats multiplicatively (log-modelled: values over decades) gets
    1 % of the best value: 1 % of a spread of 5000 cP means nothing next to a best of 2 cP.
    """
    if response.low is not None and response.high is not None and response.high > response.low:
        return 0.01 * (response.high - response.low)
    spread = float(np.ptp(observed)) if len(observed) > 1 else 0.0
    if spread > 0 and not multiplicative:
        return 0.01 * spread
    return 0.01 * abs(best)


def _chance(p: float) -> str:
    if p < 0.01:
        return "a chance of less than 1 %"
    if p > 0.99:
        return "a chance of more than 99 %"
    return f"a chance of about {round(100 * p)} %"


def _verdict(p: float) -> str:
    if p < STOP_BELOW:
        return "you could stop here"
    if p < GO_ABOVE:
        return "one more batch may still pay off"
    return "another batch is likely to improve it, so go on"
