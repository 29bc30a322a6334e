"""`suggest(study)`: the next batch of recipes, the engine's one entry point (DESIGN §4).

The steps, each in its own module: encode the study (`encoding`), fit one GP per optimized
response and a success model from failed runs (`objective`), then choose the batch member by
member (`search`), each time drawing possible outcomes of the chosen recipe from the model
and averaging the next member's score over them (Monte-Carlo fantasies, sequential greedy
q-EI), so the next member goes where it adds most beside the ones already chosen. Planned
runs are treated the same way before the first member. With too few results the batch is
space-filling (`design`). `fit_objective` gives the fitted models to the insights.

How many results are "enough": max(2, ⌈d / 2⌉ + 1) measured runs for d free variables — a GP
with dimension-scaled priors can rank recipes from a handful of points, and a longer initial
design spends runs that the model would place better (measured on the shared benchmark: the
first space-filling batch plus model-guided ones reach a low regret soonest).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from nextbatch.core.errors import (
    CancelledError,
    InfeasibleError,
    NextBatchError,
    Problem,
    StudyError,
)
from nextbatch.core.responses import Response
from nextbatch.core.runs import Run
from nextbatch.core.study import Study
from nextbatch.optim import reasons
from nextbatch.optim.design import balanced_combo, level_orders, next_point
from nextbatch.optim.encoding import Encoding, SearchSpace, Value
from nextbatch.optim.objective import Objective, ResponseModel, SuccessModel
from nextbatch.optim.search import (
    ENUMERATE_LIMIT,
    LARGE,
    N_STARTS,
    N_STARTS_LARGE,
    Neighbourhood,
    Pick,
    Searcher,
    nearest_distance,
    recipe_key,
)

Progress = Callable[[float, str], None]
Cancel = Callable[[], bool]
_NEAR = 0.15  # a run closer than this (model-space distance per sqrt(d)) counts as close
_CONFIDENT = 0.05  # an sd below this fraction of the measured spread is not "uncertain"
_NEIGHBOURS = 5  # the best measured recipes the search looks around closely ...
_NEIGHBOURS_AFTER = 4  # ... once there are this many measured runs per numeric variable


@dataclass(frozen=True)
class Suggestion:
    """One recipe of the batch, with what the model expects of it and why it was chosen.

    `predicted` maps each modelled response to (mean, sd) in its own units (empty for
    space-filling recipes); `desirability` is the overall desirability of the predicted
    values (None without a model); `acquisition` is the log-scale score the search maximized
    (log expected improvement plus the log probabilities of range goals and of success);
    `strategy` is "space-filling", "explore" or "exploit".
    """

    settings: dict[str, Value]
    predicted: dict[str, tuple[float, float]]
    desirability: float | None
    acquisition: float | None
    strategy: str
    reason: str


def suggest(study: Study, batch_size: int | None = None, seed: int = 0, *,
            fixed: dict[str, Any] | None = None, exploration: float = 0.5,
            progress: Progress | None = None, cancel: Cancel | None = None) -> list[Suggestion]:
    """The next batch of recipes for `study`; a pure function of its arguments.

    `fixed` holds variables at given values for this batch only; `exploration` from 0 to 1
    shifts the incumbent that improvement is measured against (0.5: plain expected
    improvement; towards 1 only clear gains over the best count, which favours uncertain
    recipes; towards 0 small sure gains count, which favours the known best region).
    `progress(fraction, message)` is called with fractions rising to 1; `cancel()` is
    polled between batch members and between local optimizations.

    Raises StudyError when the study has errors, InfeasibleError when no recipe satisfies
    the rules, CancelledError when `cancel()` turns true, NextBatchError for bad arguments.
    May return fewer recipes than asked when a finite space has no untried recipe left.
    """
    errors = study.errors()
    if errors:
        _raise_if_empty(errors)
        lines = "\n".join(f"  {p}" for p in errors)
        raise StudyError(f"the study has {len(errors)} error(s) to fix before suggesting:\n"
                         f"{lines}", errors)
    size = study.batch_size if batch_size is None else batch_size
    if not isinstance(size, int) or isinstance(size, bool) or size < 1:
        raise NextBatchError(f"batch_size: {size!r} is not allowed; expected a whole number "
                             "of at least 1")
    if not (isinstance(exploration, int | float) and 0.0 <= exploration <= 1.0):
        raise NextBatchError(f"exploration: {exploration!r} is not allowed; expected a number "
                             "from 0 (exploit) to 1 (explore)")
    pinned = {v.name: v.fixed for v in study.variables if v.fixed is not None}
    pinned.update(_checked_overrides(study, fixed or {}))
    from nextbatch.optim.gp import single_blas_thread

    # The matrices are small: BLAS threads only fight each other (and the GUI) for the cores;
    # one thread is faster here, by a factor of up to 50 on a busy two-core machine.
    with single_blas_thread():
        return _Batch(study, size, seed, pinned, float(exploration), progress, cancel).run()


@dataclass(frozen=True, eq=False)
class FittedObjective:
    """What suggest models of a study, for the views that explain it (`optim.insights`).

    `objective` is the engine's objective (one GP per optimized response with results, the
    success model of failed runs); `pending` the same after believing the planned runs at
    their predicted values; both None before any optimized response has a result. `done`
    lists the measured runs, `X_done` their model-space rows; `needed` is how many measured
    runs suggest wants before it lets the model choose.
    """

    encoding: Encoding
    space: SearchSpace
    goal_responses: list[Response]
    done: list[Run]
    X_done: np.ndarray
    objective: Objective | None
    pending: Objective | None
    needed: int


def fit_objective(study: Study, seed: int = 0) -> FittedObjective:
    """Fit the models `suggest(study, seed=seed)` would fit (variables fixed by the study).

    The study must be free of errors (`Study.errors()`); InfeasibleError when no recipe
    satisfies the rules.
    """
    from nextbatch.optim.gp import single_blas_thread

    pinned = {v.name: v.fixed for v in study.variables if v.fixed is not None}
    engine = _Batch(study, study.batch_size, seed, pinned, 0.5, None, None)
    names = [r.name for r in engine.goal_responses]
    objective = pending = None
    if any(_finite(run.results.get(name)) for run in engine.done for name in names):
        with single_blas_thread():
            pending = engine.fit()
        objective = engine.base
    X_done = engine.encoding.encode_many([r.effective_settings() for r in engine.done])
    return FittedObjective(engine.encoding, engine.space, engine.goal_responses, engine.done,
                           X_done, objective, pending, engine.needed)


def _raise_if_empty(errors: list[Problem]) -> None:
    """InfeasibleError naming the rules when the study's only trouble is an empty space.

    Validation reports an empty space as a problem of the constraints as a whole (path
    `constraints`, no single value) once every variable, mixture and rule is well formed.
    """
    if all(p.path == "constraints" and p.value is None for p in errors):
        raise InfeasibleError("; ".join(p.message for p in errors))


def _checked_overrides(study: Study, fixed: dict[str, Any]) -> dict[str, Value]:
    for name, value in fixed.items():
        try:
            v = study.variable(name)
        except KeyError:
            known = ", ".join(v.name for v in study.variables)
            raise NextBatchError(f"fixed: {name!r} is not a variable of the study; expected "
                                 f"one of {known}") from None
        if v.fixed is not None and value != v.fixed:
            raise NextBatchError(f"fixed: {name} = {value!r} is not allowed: the study fixes "
                                 f"{name} at {v.fixed!r}")
        problem = v.why_not(value)
        if problem:
            raise NextBatchError(f"fixed: {name} = {value!r} is not allowed: {problem}")
    return dict(fixed)


class _Batch:
    """The state of one `suggest` call: data, models, the members chosen so far."""

    def __init__(self, study: Study, size: int, seed: int, pinned: dict[str, Value],
                 exploration: float, progress: Progress | None, cancel: Cancel | None) -> None:
        self.study = study
        self.size = size
        self.seed = seed
        self.pinned = pinned
        self.exploration = exploration
        self.progress = progress
        self.cancel = cancel
        self.rng = np.random.default_rng(seed)
        self.encoding = Encoding(study)
        self.space = SearchSpace(study, self.encoding, pinned)
        self.holds = [v.name for v in study.variables if v.hold and v.name not in pinned]
        self.goal_responses = [r for r in study.responses if r.is_optimized]
        runs = study.runs
        self.done = [r for r in runs if r.status == "done" and r.has_results()]
        self.failed = [r for r in runs if r.status == "failed"]
        self.pending = [r for r in runs if r.is_pending]
        tried = [r for r in runs if r.status in ("done", "failed", "planned")]
        self.taken = ({recipe_key(r.effective_settings()) for r in tried}
                      | {recipe_key(r.settings) for r in tried})
        self.existing = self.encoding.encode_many(
            [r.effective_settings() for r in self.done + self.failed + self.pending])
        self.near: Neighbourhood | None = None

    # ---------------------------------------------------------------- helpers
    def report(self, fraction: float, message: str) -> None:
        if self.progress is not None:
            self.progress(min(max(fraction, 0.0), 1.0), message)

    def check_cancel(self) -> None:
        if self.cancel is not None and self.cancel():
            raise CancelledError("the suggestion was cancelled")

    def allowed(self, settings: dict[str, Value]) -> bool:
        return not self.study.check_recipe(settings)

    def searcher(self, chosen: list[Pick]) -> Searcher:
        """The search space for the next member: hold values follow the first member."""
        space = self.space
        if chosen and self.holds:
            held = {name: chosen[0].settings[name] for name in self.holds}
            space = SearchSpace(self.study, self.encoding, {**self.pinned, **held})
        # Each local optimization costs O(n) per step: fewer of them for large studies.
        starts = N_STARTS if len(self.done) <= LARGE else N_STARTS_LARGE
        return Searcher(space, self.allowed, self.rng, self.cancel, starts, self.near)

    def neighbourhood(self) -> Neighbourhood | None:
        """The best measured recipes by predicted desirability, spread by half a length-scale.

        Only once the models have enough runs to place a peak (early on, looking closely
        around the best of a few runs cost convergence on Hartmann-6), and only for goals
        with a desirability to rank by.
        """
        base = self.base
        if not base.goals or len(self.X_done) < _NEIGHBOURS_AFTER * max(self.space.dim, 1):
            return None
        best = np.argsort(-base.desirability(self.X_done), kind="stable")[:_NEIGHBOURS]
        lengthscales = np.min([m.gp.lengthscales_ for m in base.models], axis=0)
        return Neighbourhood(self.X_done[best], np.clip(0.5 * lengthscales, 0.01, 0.2))

    @property
    def needed(self) -> int:
        free = self.space.dim + len(self.space.categorical)
        return max(2, math.ceil(free / 2) + 1)

    # ------------------------------------------------------------------- run
    def run(self) -> list[Suggestion]:
        self.check_cancel()
        self.report(0.0, "Reading the study")
        measured = [r for r in self.done
                    if any(_finite(r.results.get(g.name)) for g in self.goal_responses)]
        if not self.goal_responses:
            return self.space_filling(reasons.no_goal())
        if len(measured) < self.needed:
            return self.space_filling(reasons.space_filling(len(measured), self.needed))
        self.fit()
        return self.optimize()

    def space_filling(self, reason: str) -> list[Suggestion]:
        out: list[Suggestion] = []
        chosen: list[Pick] = []
        existing = self.existing
        orders = level_orders(self.space, self.rng)
        for i in range(self.size):
            self.check_cancel()
            searcher = self.searcher(chosen)
            combo = balanced_combo(orders, i) if self.space.categorical else None
            if combo is not None and searcher.space is not self.space:
                combo = combo[[j for j, v in enumerate(self.space.categorical)
                               if v in searcher.space.categorical]]
            pick = next_point(searcher, existing, self.taken, combo, self.rng)
            if pick is None:
                break
            chosen.append(pick)
            self.taken.add(recipe_key(pick.settings))
            existing = np.vstack([existing, pick.x[None, :]])
            out.append(Suggestion(pick.settings, {}, None, None, "space-filling", reason))
            self.report((i + 1) / self.size, f"Chose recipe {i + 1} of {self.size}")
        return out

    def fit(self) -> Objective:
        """One GP per optimized response with results, the success model, the pending runs."""
        from nextbatch.optim.gp import fit_gp

        X_failed = self.encoding.encode_many([r.effective_settings() for r in self.failed])
        models = []
        for k, response in enumerate(self.goal_responses):
            self.check_cancel()
            self.report(0.3 * k / len(self.goal_responses), f"Modelling {response.header}")
            runs = [r for r in self.done if _finite(r.results.get(response.name))]
            if not runs:
                continue
            X = self.encoding.encode_many([r.effective_settings() for r in runs])
            y = np.array([float(r.results[response.name]) for r in runs])
            gp = fit_gp(X, y, random_state=self.seed)
            model = ResponseModel(response, gp, y)
            worst = model.worst_latent()
            if len(X_failed) and worst is not None:
                # A failed recipe taught us it is no good: believe the worst value there
                # (without refitting), so the mean, not only the success model, turns away.
                gp = gp.condition_on(X_failed, np.full(len(X_failed), worst))
                model = ResponseModel(response, gp, y)
            models.append(model)
        X_done = self.encoding.encode_many([r.effective_settings() for r in self.done])
        success = SuccessModel(X_done, X_failed) if len(X_failed) else None
        objective = Objective(models, X_done, exploration=self.exploration, success=success)
        self.base = objective
        self.X_done = X_done
        self.X_pending = self.encoding.encode_many(
            [r.effective_settings() for r in self.pending])
        return objective.fantasize(self.X_pending)

    def fantasize(self, objective: Objective, X_new: np.ndarray) -> Objective:
        """The objective once X_new is pending: sampled outcomes, or believed in a table.

        Sampled outcomes (Monte-Carlo fantasies) keep members of a batch apart in a space
        searched continuously. A small enumerated space (a table of discrete recipes) keeps
        the Kriging believer: its members are distinct by at least one level anyway, and on
        the direct-arylation table the sampled outcomes found a top-1 % reaction in 7 of 10
        seeds instead of 9.
        """
        if self.space_is_table:
            return objective.fantasize(X_new)
        return objective.fantasize_samples(X_new, self.rng)

    def optimize(self) -> list[Suggestion]:
        out: list[Suggestion] = []
        chosen: list[Pick] = []
        self.space_is_table = self.searcher(chosen).grid_size <= ENUMERATE_LIMIT
        self.near = self.neighbourhood()
        objective = self.fantasize(self.base, self.X_pending)
        for i in range(self.size):
            self.check_cancel()
            searcher = self.searcher(chosen)
            existing = np.vstack([self.existing, *[p.x[None, :] for p in chosen]])
            pick = searcher.best(objective.score, objective.score_grad, self.taken, existing)
            if pick is None:
                break
            chosen.append(pick)
            self.taken.add(recipe_key(pick.settings))
            out.append(self.describe(pick))
            if i + 1 < self.size:
                objective = self.fantasize(objective, pick.x[None, :])
            self.report(0.3 + 0.7 * (i + 1) / self.size, f"Chose recipe {i + 1} of {self.size}")
        return out

    # -------------------------------------------------------------- describing
    def describe(self, pick: Pick) -> Suggestion:
        """Predictions (from the real models, not the fantasies) and the reason."""
        base = self.base
        x = pick.x[None, :]
        predicted = {}
        for m in base.models:
            mean, sd = m.gp.predict(x)
            predicted[m.response.name] = (float(mean[0]), float(sd[0]))
        desirability = float(base.desirability(x)[0]) if base.goals else None
        scale = math.sqrt(max(self.encoding.width, 1))
        near = bool(nearest_distance(x, self.X_done)[0] < _NEAR * scale)
        strategy, reason = self.reason(predicted, desirability, near)
        return Suggestion(pick.settings, predicted, desirability, pick.score, strategy, reason)

    def reason(self, predicted: dict[str, tuple[float, float]], desirability: float | None,
               near: bool) -> tuple[str, str]:
        base = self.base
        goals = [m for m in base.goals if m.response.name in predicted]
        if len(goals) == 1:
            m = goals[0]
            r = m.response
            mean, sd = predicted[r.name]
            if r.goal == "target":
                target = r.target if r.target is not None else m.gp.from_latent(
                    m.latent_target())
                best = float(m.observed[np.argmin(np.abs(m.observed - target))])
                better = abs(mean - target) < abs(best - target)
            else:
                best = float(m.observed.max() if r.goal == "maximize" else m.observed.min())
                better = mean > best if r.goal == "maximize" else mean < best
            if better:
                return "exploit", reasons.exploit_single(r, mean, sd, best)
            return "explore", reasons.explore_single(r, mean, sd, near,
                                                     _confident(m, sd), best)
        responses = [m.response for m in goals]
        if goals and desirability is not None and desirability > base.best:
            return "exploit", reasons.exploit_many(predicted, responses, desirability,
                                                   base.best)
        if goals:
            confident = all(_confident(m, predicted[m.response.name][1]) for m in goals)
            return "explore", reasons.explore_many(predicted, responses, near, confident)
        r = base.ranges[0].response
        mean, sd = predicted[r.name]
        lo = -math.inf if r.low is None else r.low
        hi = math.inf if r.high is None else r.high
        inside = lo <= mean <= hi
        probability = _normal_between(mean, sd, lo, hi)
        return ("exploit" if inside else "explore"), reasons.in_range(r, mean, sd, probability)


def _confident(model: ResponseModel, sd: float) -> bool:
    """Whether the model's sd is small beside the spread of what was measured."""
    spread = float(np.ptp(model.observed)) if len(model.observed) > 1 else 0.0
    return spread > 0 and sd < _CONFIDENT * spread


def _normal_between(mean: float, sd: float, lo: float, hi: float) -> float:
    from scipy.special import ndtr

    sd = max(sd, 1e-12)
    return float(ndtr((hi - mean) / sd) - ndtr((lo - mean) / sd))


def _finite(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(
        value)
