"""See the model: what the Insights view and the report show, computed without Qt.

Everything here runs on the models `suggest` fits: `fit_models` builds them through the
engine's own fit (`nextbatch.optim.suggest.fit_objective`: one GP per optimized response,
failed runs believed at the worst value, the success model), plus a GP per observe-only
response fitted by the same `fit_gp` call, so that its model can be checked too. The GUI fits
once per change and passes the result to every function below.

The computations live in their own modules (`model_check`, `importance`, `effects`,
`progress`, `best`, `stop`, `tradeoff`); this module holds the results they return and a
thin façade over them, imported lazily so that opening the window does not load them.
Every number is in the response's own units; every sentence is in the lab's words.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from nextbatch.core.errors import CancelledError, NextBatchError, StudyError
from nextbatch.core.responses import Response
from nextbatch.core.runs import Run
from nextbatch.core.study import Study
from nextbatch.core.variables import Variable
from nextbatch.optim.encoding import Encoding, SearchSpace, Value
from nextbatch.optim.objective import Objective, ResponseModel

if TYPE_CHECKING:
    from nextbatch.optim.suggest import FittedObjective

DESIRABILITY = "desirability"  # the key of the overall desirability beside response names
Z95 = 1.959963984540054  # half-width of a 95 % normal band, in sds
Progress = Callable[[float, str], None]
Cancel = Callable[[], bool]


# ----------------------------------------------------------------------------- results
@dataclass(frozen=True)
class LooPoint:
    """One measured run predicted by the model fitted on all the other runs."""

    run_id: str
    measured: float
    predicted: float
    sd: float


@dataclass(frozen=True)
class ModelCheck:
    """How well the model of one response predicts runs it has not seen.

    `q2` is the leave-one-out R² (None below 3 runs), `typical_error` the leave-one-out
    root-mean-square error in the response's units (None below 2 runs); `verdict` is "good",
    "rough" or "not yet" and `advice` says in one sentence what that means for the next batch.
    """

    response: str
    n_runs: int
    q2: float | None
    typical_error: float | None
    verdict: str
    advice: str
    loo: list[LooPoint] = field(default_factory=list)


@dataclass(frozen=True)
class Importance:
    """How much of the predicted variation of one response a variable accounts for.

    `share` is the variable's total-effect variance share (0–1; shares add up to more than 1
    when variables interact), `low`/`high` a 90 % band over posterior samples of the model.
    """

    variable: str
    share: float
    low: float
    high: float


@dataclass(frozen=True, eq=False)
class EffectCurve:
    """The prediction along one variable with the others held at `at`.

    `x` holds the variable's values (level names for a categorical variable); `mean` is the
    predicted response (the median under a log model), `low`/`high` a 95 % band; `recipes`
    the whole recipe of each point (a mixture's other components move too). Empty arrays
    with a `reason` when the curve cannot be drawn.
    """

    variable: str
    response: str
    x: np.ndarray
    mean: np.ndarray
    low: np.ndarray
    high: np.ndarray
    at: dict[str, Value]
    reason: str = ""
    recipes: list[dict[str, Value]] = field(default_factory=list)


@dataclass(frozen=True, eq=False)
class EffectMap:
    """The prediction over a grid of two numeric variables, the others held at `at`.

    `mean`, `sd` and `feasible` have shape (len(y), len(x)); `feasible` is False where the
    recipe breaks a bound, mixture total or rule (the GUI greys those cells).
    """

    var_x: str
    var_y: str
    response: str
    x: np.ndarray
    y: np.ndarray
    mean: np.ndarray
    sd: np.ndarray
    feasible: np.ndarray
    at: dict[str, Value]
    reason: str = ""


@dataclass(frozen=True, eq=False)
class TernaryMap:
    """The prediction over three mixture components, the rest of the recipe held at `at`.

    `points` (k, 3) are component amounts in the study's units; they add up to what the three
    add up to at `at`, and only recipes that satisfy every rule are included.
    """

    mixture: str
    components: tuple[str, str, str]
    response: str
    points: np.ndarray
    mean: np.ndarray
    sd: np.ndarray
    at: dict[str, Value]
    reason: str = ""


@dataclass(frozen=True)
class ProgressPoint:
    """The best measured so far after one batch (`best` per goal response, by its goal)."""

    batch: int
    n_runs: int
    best: dict[str, float]
    best_desirability: float | None


@dataclass(frozen=True)
class BestRecipe:
    """The best measured run and the model's best recipe with its predictions.

    `predicted` maps responses to (mean, sd) of the model's best recipe, `interval` to the
    95 % range a confirmation run is expected to measure (measurement noise included).
    Fields of the measured run are None when no run has results; `predicted_settings` is
    empty when the model cannot be fitted yet.
    """

    measured_run_id: str | None
    measured_settings: dict[str, Value]
    measured_results: dict[str, float]
    measured_desirability: float | None
    predicted_settings: dict[str, Value]
    predicted: dict[str, tuple[float, float]]
    interval: dict[str, tuple[float, float]]
    predicted_desirability: float | None = None
    reason: str = ""


@dataclass(frozen=True)
class StopAdvice:
    """How likely the next batch beats the best so far by `margin`, and what that means.

    `probability` is None when the model cannot judge yet; `margin` is in the response's units
    (with one goal) or in desirability (0–1, with several).
    """

    probability: float | None
    margin: float
    batch_size: int
    message: str


@dataclass(frozen=True)
class TradeOff:
    """Measured and predicted Pareto fronts of two responses (each judged by its goal)."""

    response_a: str
    response_b: str
    measured_front: list[tuple[str, float, float]]
    measured_points: list[tuple[str, float, float]]
    predicted_front: list[tuple[float, float, dict[str, Value]]]


@dataclass(frozen=True, eq=False)
class Insights:
    """Everything the Insights view shows at once (see `analyze`)."""

    models: FittedModels
    checks: dict[str, ModelCheck]
    importance: dict[str, list[Importance]]
    progress: list[ProgressPoint]
    best: BestRecipe
    stop: StopAdvice


# ------------------------------------------------------------------------------ models
@dataclass(frozen=True, eq=False)
class FittedModels:
    """The fitted models of one study, shared by every computation of this package.

    `models` maps each response with results to its model (goal responses exactly as suggest
    fits them); `objective` is the engine's objective without pending runs, `pending` the one
    after believing the planned runs (what suggest optimizes); both None before any goal
    response has results. `run_ids` lists, per response, the runs its GP was fitted on, in
    the GP's row order. `needed` is how many measured runs suggest wants before modelling.
    """

    study: Study
    seed: int
    encoding: Encoding
    space: SearchSpace
    models: dict[str, ResponseModel]
    run_ids: dict[str, list[str]]
    objective: Objective | None
    pending: Objective | None
    n_measured: int
    needed: int
    engine: FittedObjective = field(repr=False)  # what suggest fitted (`fit_objective`)

    @property
    def can_guide(self) -> bool:
        """Whether suggest would use the model (rather than a space-filling design)."""
        return self.objective is not None and self.n_measured >= self.needed

    def variable(self, name: str) -> Variable:
        """The study's variable `name`, or a NextBatchError listing the known ones."""
        try:
            return self.study.variable(name)
        except KeyError:
            known = ", ".join(v.name for v in self.study.variables)
            raise NextBatchError(f"variable: {name!r} is not a variable of the study; "
                                 f"expected one of {known}") from None

    def response(self, name: str) -> Response:
        """The study's response `name`, or a NextBatchError listing the known ones."""
        try:
            return self.study.response(name)
        except KeyError:
            known = ", ".join(r.name for r in self.study.responses)
            raise NextBatchError(f"response: {name!r} is not a response of the study; "
                                 f"expected one of {known}") from None

    def model(self, response: str) -> ResponseModel:
        """The model of `response`, or a NextBatchError naming why there is none."""
        if response not in self.models:
            r = self.response(response)
            raise NextBatchError(f"response: {r.title} has no results yet, so there is no "
                                 "model of it to show")
        return self.models[response]


def fit_models(study: Study, seed: int = 0) -> FittedModels:
    """Fit the models suggest would fit for `study` (and one per observe-only response).

    Raises StudyError when the study has errors (as suggest does) and InfeasibleError when no
    recipe satisfies the rules.
    """
    from nextbatch.optim.gp import fit_gp
    from nextbatch.optim.suggest import fit_objective

    errors = study.errors()
    if errors:
        lines = "\n".join(f"  {p}" for p in errors)
        raise StudyError(f"the study has {len(errors)} error(s) to fix before the model can "
                         f"be shown:\n{lines}", errors)
    engine = fit_objective(study, seed)
    goal_names = [r.name for r in engine.goal_responses]
    objective, pending = engine.objective, engine.pending
    models: dict[str, ResponseModel] = {}
    if objective is not None:
        models = {m.response.name: m for m in objective.models}
    run_ids: dict[str, list[str]] = {}
    for response in study.responses:
        runs = [r for r in engine.done if finite(r.results.get(response.name))]
        run_ids[response.name] = [r.id for r in runs]
        if response.is_optimized or not runs:
            continue
        X = engine.encoding.encode_many([r.effective_settings() for r in runs])
        y = np.array([float(r.results[response.name]) for r in runs])
        models[response.name] = ResponseModel(response, fit_gp(X, y, random_state=seed), y)
    n_measured = sum(1 for r in engine.done
                     if any(finite(r.results.get(name)) for name in goal_names))
    return FittedModels(study, seed, engine.encoding, engine.space, models, run_ids,
                        objective, pending, n_measured, engine.needed, engine)


def ensure_models(study: Study, models: FittedModels | None, seed: int = 0) -> FittedModels:
    """`models` when given (they must belong to `study`), else freshly fitted ones."""
    if models is None:
        return fit_models(study, seed)
    if models.study is not study:
        raise NextBatchError("models: these models were fitted on another study (or an older "
                             "version of it); call fit_models(study) again")
    return models


# ------------------------------------------------------------------ shared predictions
def predict_band(model: ResponseModel, X: np.ndarray) -> tuple[np.ndarray, ...]:
    """Median, 95 % band and sd of the response at model-space rows X, in its own units."""
    gp = model.gp
    mu, sd = gp.predict_latent(X)
    _, sd_units = gp.predict(X)
    return (gp.from_latent(mu), gp.from_latent(mu - Z95 * sd), gp.from_latent(mu + Z95 * sd),
            np.asarray(sd_units))


def latent_to_units(model: ResponseModel, mu: np.ndarray,
                    sd: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and sd in the response's units of latent normal (mu, sd), as `GP.predict` does."""
    t = model.gp.transform_
    t_mean, t_sd = mu * t.scale + t.shift, sd * t.scale
    if not t.log:
        return t_mean, t_sd
    s2 = np.clip(t_sd**2, 1e-300, 700.0)
    log_mean = t_mean + 0.5 * s2
    return (np.exp(np.minimum(log_mean, 700.0)),
            np.exp(np.minimum(log_mean + 0.5 * np.log(np.expm1(s2)), 700.0)))


def desirability_band(fitted: FittedModels, X: np.ndarray, n_samples: int = 200,
                      seed: int = 0) -> tuple[np.ndarray, ...]:
    """Overall desirability of the medians at X, a pointwise 95 % band and its sd."""
    from nextbatch.core.desirability import limits, overall_desirability, response_desirability

    objective = fitted.objective
    if objective is None or not objective.goals:
        raise NextBatchError("response: 'desirability' needs a response with a goal "
                             "(maximize, minimize or target) and results")
    rng = np.random.default_rng(seed)
    parts, weights = {}, {}
    for m in objective.goals:
        mu, sd = m.gp.predict_latent(X)
        z = mu[None, :] + sd[None, :] * rng.standard_normal((n_samples, len(X)))
        lo, hi = limits(m.response, m.observed)
        parts[m.response.name] = response_desirability(m.response, m.gp.from_latent(z), lo, hi)
        weights[m.response.name] = float(m.response.importance or 1)
    samples = overall_desirability(parts, weights)
    low, high = np.quantile(samples, [0.025, 0.975], axis=0)
    return objective.desirability(X), low, high, samples.std(axis=0)


def band(fitted: FittedModels, response: str, X: np.ndarray) -> tuple[np.ndarray, ...]:
    """`predict_band` for a response name or for "desirability"."""
    if response == DESIRABILITY:
        return desirability_band(fitted, X)
    return predict_band(fitted.model(response), X)


def title(study: Study, name: str) -> str:
    """How a response (or the overall desirability) is called on screen."""
    if name == DESIRABILITY:
        return "overall desirability"
    try:
        r = study.response(name)
    except KeyError:
        return name
    words = (r.label or r.name.replace("_", " ")).strip()
    if len(words) > 1 and words[0].isupper() and words[1].islower():
        return words[0].lower() + words[1:]  # "Foam height" mid-sentence, but "pH", "ABV"
    return words


def finite(value: object) -> bool:
    """Whether `value` is a real, finite number (a result that counts)."""
    return (isinstance(value, int | float) and not isinstance(value, bool)
            and math.isfinite(value))


# ------------------------------------------------------------------------------ façade
def model_check(study: Study, models: FittedModels | None = None) -> dict[str, ModelCheck]:
    """Leave-one-out check of every response's model (see `nextbatch.optim.model_check`)."""
    from nextbatch.optim.model_check import check_models

    return check_models(ensure_models(study, models))


def importance(study: Study, models: FittedModels | None = None, n_samples: int = 256,
               seed: int = 0) -> dict[str, list[Importance]]:
    """What matters, per response and for "desirability" (see `nextbatch.optim.importance`)."""
    from nextbatch.optim.importance import all_importances

    return all_importances(ensure_models(study, models, seed), n_samples, seed)


def effect_curve(study: Study, variable: str, response: str,
                 models: FittedModels | None = None, at: dict[str, Value] | None = None,
                 n: int = 60) -> EffectCurve:
    """The prediction along one variable (see `nextbatch.optim.effects`)."""
    from nextbatch.optim.effects import curve

    return curve(ensure_models(study, models), variable, response, at, n)


def effect_map(study: Study, var_x: str, var_y: str, response: str,
               models: FittedModels | None = None, at: dict[str, Value] | None = None,
               n: int = 30) -> EffectMap:
    """The prediction over two numeric variables (see `nextbatch.optim.effects`)."""
    from nextbatch.optim.effects import grid_map

    return grid_map(ensure_models(study, models), var_x, var_y, response, at, n)


def ternary_map(study: Study, mixture: str, components: tuple[str, str, str], response: str,
                models: FittedModels | None = None, at: dict[str, Value] | None = None,
                n: int = 30) -> TernaryMap:
    """The prediction over three mixture components (see `nextbatch.optim.effects`)."""
    from nextbatch.optim.effects import ternary

    return ternary(ensure_models(study, models), mixture, components, response, at, n)


def progress(study: Study) -> list[ProgressPoint]:
    """Best measured values after each batch (see `nextbatch.optim.progress`)."""
    from nextbatch.optim.progress import progress_points

    return progress_points(study)


def best_recipe(study: Study, models: FittedModels | None = None, seed: int = 0) -> BestRecipe:
    """The best measured run and the model's best recipe (see `nextbatch.optim.best`)."""
    from nextbatch.optim.best import find_best

    return find_best(ensure_models(study, models, seed), seed)


def confirmation_run(study: Study, best: BestRecipe) -> Run:
    """A planned run of the model's best recipe, for the GUI to add with AddRuns."""
    from nextbatch.core.runs import now_iso

    if not best.predicted_settings:
        raise NextBatchError("best: the model has no best recipe yet, so there is nothing to "
                             "confirm; measure a few runs first")
    batch = study.next_batch_number()
    (run_id,) = study.new_run_ids(batch, 1)
    return Run(run_id, batch=batch, status="planned", source="confirmation",
               settings=dict(best.predicted_settings), predicted=dict(best.predicted),
               notes="Confirmation run of the model's best recipe", created=now_iso())


def stop_advice(study: Study, models: FittedModels | None = None, margin: float | None = None,
                batch_size: int | None = None, seed: int = 0) -> StopAdvice:
    """Whether another batch is likely to pay off (see `nextbatch.optim.stop`)."""
    from nextbatch.optim.stop import advise_stop

    return advise_stop(ensure_models(study, models, seed), margin, batch_size, seed)


def trade_off(study: Study, response_a: str, response_b: str,
              models: FittedModels | None = None, seed: int = 0) -> TradeOff:
    """Measured and predicted Pareto fronts of two responses (see `nextbatch.optim.tradeoff`)."""
    from nextbatch.optim.tradeoff import fronts

    return fronts(ensure_models(study, models, seed), response_a, response_b, seed)


def analyze(study: Study, *, seed: int = 0, progress: Progress | None = None,
            cancel: Cancel | None = None) -> Insights:
    """Everything the Insights view shows, for the GUI's worker thread.

    Reports progress(fraction, message) between steps and raises CancelledError as soon as
    cancel() turns true.
    """
    from threadpoolctl import threadpool_limits

    from nextbatch.optim.best import find_best
    from nextbatch.optim.importance import all_importances
    from nextbatch.optim.model_check import check_models
    from nextbatch.optim.progress import progress_points
    from nextbatch.optim.stop import advise_stop

    def step(fraction: float, message: str) -> None:
        if cancel is not None and cancel():
            raise CancelledError("the analysis was cancelled")
        if progress is not None:
            progress(fraction, message)

    with threadpool_limits(limits=1, user_api="blas"):
        step(0.0, "Fitting the models")
        fitted = fit_models(study, seed)
        step(0.2, "Checking the models")
        checks = check_models(fitted)
        step(0.3, "Finding what matters")
        shares = all_importances(fitted, 256, seed)
        step(0.5, "Finding the best recipe")
        points = progress_points(study)
        best = find_best(fitted, seed, cancel)
        step(0.8, "Judging whether to go on")
        stop = advise_stop(fitted, None, None, seed)
        step(1.0, "Done")
    return Insights(fitted, checks, shares, points, best, stop)
