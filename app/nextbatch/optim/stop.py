"""Stop or go on: how likely the next batch beats the best so far by a margin.

The engine's next batch is approximated without its local optimization (the full `suggest`
takes seconds; this runs after every result typed in): from a large feasible sample the
members are chosen one by one by the engine's own acquisition with its Kriging-believer
fantasies (planned runs believed first), as suggest chooses between its candidates. Joint
posterior samples at those recipes say how often at least one of them beats the best
measured value by the margin; a recipe the success model expects to fail, or a sample
outside a required range, does not count. The samples are of the model's mean (no
measurement noise): the question is whether a better recipe exists, not a lucky reading.
"""

from __future__ import annotations

import numpy as np

from nextbatch.core.desirability import limits, overall_desirability, response_desirability
from nextbatch.core.errors import NextBatchError
from nextbatch.core.responses import Response
from nextbatch.optim import reasons
from nextbatch.optim.insights import FittedModels, StopAdvice, finite, title
from nextbatch.optim.model_check import error_text
from nextbatch.optim.objective import Objective
from nextbatch.optim.progress import goodness, run_desirabilities

N_POOL = 1024  # feasible candidates the stop advice chooses its batch from
N_DRAWS = 512  # joint posterior samples of that batch
STOP_BELOW = 0.2  # a chance below this: "you could stop here"
GO_ABOVE = 0.5  # ... above this: "another batch is likely to improve it"


def advise_stop(fitted: FittedModels, margin: float | None = None,
                batch_size: int | None = None, seed: int = 0) -> StopAdvice:
    """The chance that the next batch beats the best so far by `margin`, in plain words."""
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
