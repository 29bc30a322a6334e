"""Progress, best recipe, stop-or-go-on, trade-offs and analyze() as a whole."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nextbatch.core import CancelledError, NextBatchError, Run, Study
from nextbatch.io.study_file import load_study
from nextbatch.optim import suggest
from nextbatch.optim.best import MeanScore
from nextbatch.optim.insights import (
    analyze,
    best_recipe,
    confirmation_run,
    fit_models,
    progress,
    stop_advice,
    trade_off,
)
from nextbatch.optim.tradeoff import non_dominated
from nextbatch.resources import example_names, example_path

GOALS = [{"name": "up", "goal": "maximize", "unit": "mm"},
         {"name": "down", "goal": "minimize", "unit": "cP"},
         {"name": "aim", "goal": "target", "target": 5.0, "low": 0, "high": 10}]


def quadratic(s: dict[str, Any]) -> float:
    return 100 - 40 * (s["x0"] - 0.3) ** 2 - 30 * (s["x1"] - 0.6) ** 2


def square(**extra: Any) -> Study:
    return Study.from_dict({
        "name": "q", "settings": {"batch_size": 3},
        "variables": [{"name": "x0", "kind": "continuous", "low": 0, "high": 1},
                      {"name": "x1", "kind": "continuous", "low": 0, "high": 1}],
        "responses": [{"name": "y", "unit": "mm", "goal": "maximize"}], **extra})


def run_batches(study: Study, batches: int, fn=quadratic) -> None:
    for _ in range(batches):
        batch = study.next_batch_number()
        chosen = suggest(study, seed=batch)
        for run_id, s in zip(study.new_run_ids(batch, len(chosen)), chosen, strict=True):
            study.runs.append(Run(run_id, batch=batch, status="done", source="suggested",
                                  settings=dict(s.settings), results={"y": fn(s.settings)}))


# ------------------------------------------------------------------------------ progress
results = st.fixed_dictionaries({"up": st.floats(0, 100), "down": st.floats(0, 100),
                                 "aim": st.floats(0, 10)})


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 5), results), min_size=1, max_size=15))
def test_progress_is_monotone_by_each_goal(runs: list[tuple[int, dict[str, float]]]) -> None:
    study = Study.from_dict({
        "name": "p", "variables": [{"name": "x", "kind": "continuous", "low": 0, "high": 1}],
        "responses": GOALS,
        "runs": [{"id": f"R{i}", "batch": b, "status": "done", "settings": {"x": 0.5},
                  "results": r} for i, (b, r) in enumerate(runs)]})
    points = progress(study)
    assert [p.batch for p in points] == sorted({b for b, _ in runs})
    for before, after in itertools.pairwise(points):
        assert after.n_runs > before.n_runs
        assert after.best["up"] >= before.best["up"]
        assert after.best["down"] <= before.best["down"]
        assert abs(after.best["aim"] - 5) <= abs(before.best["aim"] - 5)
        assert after.best_desirability >= before.best_desirability
    last = points[-1]
    assert last.best["up"] == max(r["up"] for _, r in runs)
    assert last.n_runs == len(runs)


# ---------------------------------------------------------------------------- best recipe
@pytest.mark.parametrize("name", example_names())
def test_best_recipe_of_the_examples_passes_every_rule(name: str) -> None:
    study = load_study(example_path(name))
    best = best_recipe(study)
    assert study.check_recipe(best.predicted_settings) == []
    assert best.measured_run_id in {r.id for r in study.runs}
    for response, (low, high) in best.interval.items():
        mean, sd = best.predicted[response]
        assert low < mean < high and sd > 0
    run = confirmation_run(study, best)
    assert run.status == "planned" and run.source == "confirmation"
    assert run.id not in {r.id for r in study.runs}
    assert run.settings == best.predicted_settings and run.predicted == best.predicted


def test_best_recipe_finds_the_optimum_of_a_smooth_response() -> None:
    study = square()
    run_batches(study, 4)
    best = best_recipe(study)
    assert best.predicted_settings["x0"] == pytest.approx(0.3, abs=0.1)
    assert best.predicted_settings["x1"] == pytest.approx(0.6, abs=0.1)
    measured = max(study.runs, key=lambda r: r.results["y"])
    assert best.measured_run_id == measured.id
    assert best.measured_results == measured.results


@pytest.mark.parametrize("name", example_names())
def test_the_best_recipe_score_has_the_gradient_of_its_values(name: str) -> None:
    study = load_study(example_path(name))
    fitted = fit_models(study)
    score = MeanScore(fitted.objective)
    space = fitted.space
    rng = np.random.default_rng(0)
    Z = space.polytope.sample(6, rng)
    X = space.to_model(Z, np.zeros((6, len(space.categorical)), dtype=int))
    _, grad = score.score_grad(X)
    step = 1e-6
    for k in space.numeric_cols:
        shifted = X.copy()
        shifted[:, k] += step
        numeric = (score.score(shifted) - score.score(X - (shifted - X))) / (2 * step)
        assert grad[:, k] == pytest.approx(numeric, rel=1e-4, abs=1e-4)


def test_a_run_outside_a_required_range_is_not_the_best() -> None:
    study = Study.from_dict({
        "name": "r", "variables": [{"name": "x", "kind": "continuous", "low": 0, "high": 1}],
        "responses": [{"name": "y", "goal": "maximize"},
                      {"name": "ph", "goal": "range", "low": 8, "high": 9}],
        "runs": [{"id": "A", "status": "done", "settings": {"x": 0.1},
                  "results": {"y": 90, "ph": 10}},
                 {"id": "B", "status": "done", "settings": {"x": 0.5},
                  "results": {"y": 60, "ph": 8.5}}]})
    assert best_recipe(study).measured_run_id == "B"


# ---------------------------------------------------------------------------- stop or go
def test_stop_probability_falls_as_the_study_converges() -> None:
    study = square()
    run_batches(study, 2)
    early = stop_advice(study, margin=0.1)
    run_batches(study, 3)
    late = stop_advice(study, margin=0.1)
    assert early.probability is not None and late.probability is not None
    assert late.probability < early.probability
    assert late.probability < 0.2
    assert "you could stop here" in late.message and "batch of 3" in late.message
    assert "0.1 mm or more" in late.message


def test_a_larger_margin_is_less_likely_to_be_beaten() -> None:
    study = square()
    run_batches(study, 2)
    fitted = fit_models(study)
    small = stop_advice(study, fitted, margin=0.01).probability
    large = stop_advice(study, fitted, margin=5.0).probability
    assert small is not None and large is not None and large <= small


# ------------------------------------------------------------------------------ trade-off
@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 6), st.integers(0, 6)), min_size=1, max_size=12))
def test_the_front_is_exactly_the_points_nothing_beats(points: list[tuple[int, int]]) -> None:
    merits = np.array(points, dtype=float)
    mask = non_dominated(merits)
    for i, p in enumerate(merits):
        beaten = any(np.all(q >= p) and np.any(q > p) for q in merits)
        assert mask[i] == (not beaten)


def test_trade_off_fronts_of_the_shaving_cream() -> None:
    study = load_study(example_path("shaving-cream"))
    trade = trade_off(study, "foam_height", "viscosity")
    assert len(trade.measured_points) == len(study.runs)
    front_ids = {run_id for run_id, _, _ in trade.measured_front}
    gap = {run_id: (a, abs(b - 5000)) for run_id, a, b in trade.measured_points}
    for run_id in front_ids:  # no measured run is as high and as close to 5000 cP, and better
        a, b = gap[run_id]
        assert not any(a2 >= a and b2 <= b and (a2 > a or b2 < b) for a2, b2 in gap.values())
    assert trade.predicted_front
    for _, _, recipe in trade.predicted_front:
        assert study.check_recipe(recipe) == []


# ---------------------------------------------------------------------- analyze, edge cases
def test_analyze_reports_progress_and_can_be_cancelled() -> None:
    study = load_study(example_path("brewing"))
    seen: list[float] = []
    insights = analyze(study, progress=lambda f, _: seen.append(f))
    assert seen == sorted(seen) and seen[-1] == 1.0
    assert set(insights.checks) == {r.name for r in study.responses}
    assert insights.stop.probability is not None
    with pytest.raises(CancelledError):
        analyze(study, cancel=lambda: len(seen) > 0)


@pytest.mark.parametrize("n", [0, 1, 2])
def test_few_runs_give_not_yet_verdicts(n: int) -> None:
    study = square()
    for i, x in enumerate(np.linspace(0.2, 0.8, n)):
        study.runs.append(Run(f"B01-{i + 1:02d}", status="done", settings={"x0": x, "x1": x},
                              results={"y": quadratic({"x0": x, "x1": x})}))
    insights = analyze(study)
    assert insights.checks["y"].verdict == "not yet"
    if n < 2:  # suggest models a 2-variable study from 2 runs on, and so does the advice
        assert insights.stop.probability is None
        assert "run the next batch" in insights.stop.message
    else:
        assert 0.0 <= insights.stop.probability <= 1.0
    assert (insights.best.measured_run_id is None) == (n == 0)
    assert bool(insights.best.predicted_settings) == (n > 0)
    if n == 0:
        with pytest.raises(NextBatchError, match="nothing to confirm"):
            confirmation_run(study, insights.best)
    assert len(insights.progress) == (1 if n else 0)


def test_observe_only_failed_runs_and_categorical_only_spaces() -> None:
    study = Study.from_dict({
        # The only numeric variable is fixed, so the search space is categorical only (a
        # study without any numeric variable crashes core validation: reported).
        "name": "c", "variables": [{"name": "yeast", "kind": "categorical",
                                    "levels": ["A", "B", "C"]},
                                   {"name": "hops", "kind": "categorical",
                                    "levels": ["X", "Y"]},
                                   {"name": "temp", "kind": "continuous", "low": 10,
                                    "high": 30, "fixed": 20}],
        "responses": [{"name": "taste", "goal": "maximize"},
                      {"name": "colour", "goal": "observe"}],
        "runs": [{"id": f"R{i}", "status": "failed" if i == 5 else "done",
                  "settings": {"yeast": "ABC"[i % 3], "hops": "XY"[i % 2], "temp": 20},
                  "results": {} if i == 5 else {"taste": float(i % 3), "colour": 1.0 + i}}
                 for i in range(6)]})
    insights = analyze(study)
    assert set(insights.checks) == {"taste", "colour"}
    assert insights.importance["taste"][0].variable == "yeast"
    assert study.check_recipe(insights.best.predicted_settings) == []
    observe_only = Study.from_dict({**study.to_dict(), "responses": [
        {"name": "taste", "goal": "observe"}, {"name": "colour", "goal": "observe"}]})
    quiet = analyze(observe_only)
    assert quiet.stop.probability is None and "nothing to improve" in quiet.stop.message
    assert quiet.best.predicted_settings == {} and quiet.best.reason
