"""Progress and the best measured run, by each response's goal.

"Best" follows each response's goal: highest for maximize, lowest for minimize, nearest the
target for target. With several goals, runs are ranked by their overall desirability (the
importance-weighted geometric mean of DESIGN §2, over the goal responses, with the limits
the engine uses); a run that left a required range (`range` goals) ranks below every run that
kept them all.
"""

from __future__ import annotations

import math

import numpy as np

from nextbatch.core.desirability import limits, overall_desirability, response_desirability
from nextbatch.core.responses import Response
from nextbatch.core.runs import Run
from nextbatch.core.study import Study
from nextbatch.optim.insights import ProgressPoint, finite


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
