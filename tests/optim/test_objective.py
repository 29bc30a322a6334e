"""What is optimized: one goal, several goals (desirability), range goals, failures."""

from __future__ import annotations

import numpy as np
import pytest
from nextbatch.core import Response, Run, Study
from nextbatch.optim import suggest
from nextbatch.optim.gp import fit_gp
from nextbatch.optim.objective import Objective, ResponseModel, SuccessModel


def two_factor_study(responses: list[dict], values) -> Study:
    study = Study.from_dict({
        "variables": [{"name": "a", "low": 0, "high": 10, "unit": "g"},
                      {"name": "b", "low": 0, "high": 10, "unit": "g"}],
        "responses": responses,
    })
    rng = np.random.default_rng(3)
    for i, (a, b) in enumerate(rng.random((10, 2)) * 10):
        study.runs.append(Run(id=f"R{i:02d}", status="done", settings={"a": a, "b": b},
                              results=values(a, b)))
    return study


def objective_on(goal: str, seed: int = 0, **extra) -> tuple[Objective, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.random((9, 2))
    y = np.sin(3 * X[:, 0]) + X[:, 1] ** 2 + 2.0
    response = Response(name="y", goal=goal, **extra)
    model = ResponseModel(response, fit_gp(X, y, random_state=0), y)
    success = SuccessModel(X[:6], X[6:])
    return Objective([model], X, success=success), rng.random((5, 2))


@pytest.mark.parametrize("goal, extra", [("maximize", {}), ("minimize", {}),
                                         ("target", {"target": 2.5}),
                                         ("range", {"low": 2.0, "high": 3.0})])
def test_score_gradients_agree_with_finite_differences(goal, extra):
    objective, X = objective_on(goal, **extra)
    _, grad = objective.score_grad(X)
    h = 1e-6
    for j in range(X.shape[1]):
        step = np.zeros_like(X)
        step[:, j] = h
        numeric = (objective.score(X + step) - objective.score(X - step)) / (2 * h)
        assert grad[:, j] == pytest.approx(numeric, rel=1e-3, abs=1e-5)


def two_goal_objective() -> tuple[Objective, np.ndarray]:
    rng = np.random.default_rng(5)
    X = rng.random((9, 2))
    models = []
    for name, goal, y in [("foam", "maximize", np.sin(3 * X[:, 0]) + X[:, 1] + 2.0),
                          ("visc", "target", 40.0 + 20.0 * X[:, 0] * X[:, 1])]:
        extra = {"target": 50.0} if goal == "target" else {}
        models.append(ResponseModel(Response(name=name, goal=goal, **extra),
                                    fit_gp(X, y, random_state=0), y))
    return Objective(models, X), rng.random((4, 2))


@pytest.mark.parametrize("which", ["maximize", "target", "two goals"])
def test_gradients_with_sampled_fantasies_agree_with_finite_differences(which):
    objective, X = (two_goal_objective() if which == "two goals" else
                    objective_on(which, **({"target": 2.5} if which == "target" else {})))
    pending = np.array([[0.5, 0.5]])
    fantasies = objective.fantasize_samples(pending, np.random.default_rng(0))
    assert fantasies.n_fantasies > 1
    _, grad = fantasies.score_grad(X)
    h = 1e-5
    for j in range(X.shape[1]):
        step = np.zeros_like(X)
        step[:, j] = h
        numeric = (fantasies.score(X + step) - fantasies.score(X - step)) / (2 * h)
        assert grad[:, j] == pytest.approx(numeric, rel=2e-2, abs=1e-3)


def test_a_sampled_pending_recipe_devalues_itself_and_its_neighbourhood():
    objective, _ = objective_on("maximize")
    grid = np.stack(np.meshgrid(np.linspace(0, 1, 41), np.linspace(0, 1, 41)), -1).reshape(-1, 2)
    best = grid[np.argmax(objective.score(grid))][None, :]
    near = best + np.array([[0.03, 0.0]]) if best[0, 0] < 0.9 else best - [[0.03, 0.0]]
    fantasies = objective.fantasize_samples(best, np.random.default_rng(0))
    drop = {name: objective.score(x)[0] - fantasies.score(x)[0]
            for name, x in [("at", best), ("near", near)]}
    assert drop["at"] > drop["near"] > 0.5  # log units: the neighbour keeps under 60 %


def test_among_measured_recipes_maximize_picks_the_best_and_minimize_the_worst():
    objective, _ = objective_on("maximize")
    model = objective.models[0]
    X, y = model.gp.X_train_, model.observed
    up = Objective([model], X)
    down = Objective([ResponseModel(Response(name="y", goal="minimize"), model.gp, y)], X)
    assert np.argmax(up.score(X)) == np.argmax(y)
    assert np.argmax(down.score(X)) == np.argmin(y)


def test_failed_recipes_lower_the_probability_of_success_near_them():
    rng = np.random.default_rng(0)
    ok, failed = rng.random((10, 2)) * 0.5, np.array([[0.9, 0.9]])
    log_p, _ = SuccessModel(ok, failed).log_prob_grad(np.array([[0.9, 0.9], [0.2, 0.2]]))
    assert log_p[0] < np.log(0.5) < log_p[1]


def test_several_goals_are_combined_into_the_overall_desirability():
    study = two_factor_study(
        [{"name": "foam", "unit": "mm", "goal": "maximize", "low": 0, "high": 20},
         {"name": "visc", "unit": "cP", "goal": "target", "target": 50, "low": 0,
          "high": 100}],
        lambda a, b: {"foam": float(a + b), "visc": float(10 * a)})
    batch = suggest(study, batch_size=3, seed=0)
    for s in batch:
        assert set(s.predicted) == {"foam", "visc"}
        assert 0.0 <= s.desirability <= 1.0
        assert "desirability" in s.reason or "uncertain" in s.reason
        assert "mm" in s.reason and "cP" in s.reason
    # The desirability wants a near 5 (visc 50) and b high (foam): the batch heads there.
    assert max(s.settings["b"] for s in batch) > 6


def test_a_range_goal_alone_seeks_recipes_inside_the_range():
    study = two_factor_study([{"name": "ph", "goal": "range", "low": 8.5, "high": 9.5}],
                             lambda a, b: {"ph": float(6 + 0.5 * a)})
    batch = suggest(study, batch_size=2, seed=0)
    for s in batch:
        assert "range" in s.reason
        assert 3 < s.settings["a"] < 9  # ph 7.5 .. 10.5 around the 8.5-9.5 band


def test_observe_only_responses_leave_the_batch_space_filling():
    study = two_factor_study([{"name": "colour", "goal": "observe"}],
                             lambda a, b: {"colour": float(a)})
    batch = suggest(study, batch_size=2, seed=0)
    assert {s.strategy for s in batch} == {"space-filling"}
    assert "no response has a goal" in batch[0].reason
