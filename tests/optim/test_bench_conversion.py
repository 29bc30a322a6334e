"""The shared benchmark problems become the studies a chemist would type in.

If `../shared/bench` is missing these tests fail (they never skip): CI has it beside the clone.
"""

from __future__ import annotations

import importlib
import itertools
import math
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nextbatch.core import Study

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
bench = importlib.import_module("problems")
base = bench.bench_module("base")

NAMES = bench.problem_names()


def _levels(study_variable) -> list:
    if study_variable.kind == "categorical":
        return list(study_variable.levels)
    return study_variable.grid()


@pytest.mark.parametrize("name", NAMES)
def test_every_problem_converts_to_a_study_with_the_same_space(name):
    problem = bench.get_problem(name)
    study = bench.to_study(problem)

    assert [v.name for v in study.variables] == problem.names
    for theirs, ours in zip(problem.variables, study.variables, strict=True):
        if theirs.kind == "continuous":
            assert (ours.kind, ours.low, ours.high) == ("continuous", theirs.low, theirs.high)
        elif theirs.kind == "categorical":
            assert ours.kind == "categorical"
            assert ours.levels == list(theirs.levels)
        else:
            assert ours.kind in ("integer", "discrete")
            assert _levels(ours) == pytest.approx(sorted(theirs.values))
    goal = {"max": "maximize", "min": "minimize"}[problem.direction]
    assert [(r.name, r.goal) for r in study.responses] == [(bench.RESPONSE, goal)]
    assert study.runs == []
    assert study.batch_size == problem.batch_size
    assert study.errors() == []


def test_evenly_spaced_whole_numbers_become_integer_variables_with_their_step():
    brew = bench.to_study(bench.get_problem("brew5"))
    boil = brew.variable("boil_time")
    assert (boil.kind, boil.low, boil.high, boil.step) == ("integer", 30, 90, 5)

    arylation = bench.to_study(bench.get_problem("arylation"))
    assert arylation.variable("temperature").kind == "integer"
    assert arylation.variable("concentration").kind == "discrete"


def test_a_sum_of_fractions_becomes_a_mixture_not_a_constraint():
    study = bench.to_study(bench.get_problem("mixture4"))

    assert [m.total for m in study.mixtures] == [1]
    assert [v.name for v in study.components(study.mixtures[0].name)] == ["x1", "x2", "x3", "x4"]
    assert study.constraints == []


def test_other_linear_constraints_become_constraint_text():
    problem = base.Problem(
        name="two rules", direction="min", optimum=0.0, median=1.0, budget=4, batch_size=2,
        objective=lambda x: x["a"],
        variables=[base.Continuous("a", 0.0, 1.0), base.Continuous("b", 0.0, 2.0)],
        constraints=[base.LinearConstraint({"a": 2.0, "b": -1.0}, "<=", 0.5),
                     base.LinearConstraint({"a": 1.0, "b": 2.0}, "==", 1.5)],
    )
    study = bench.to_study(problem)

    assert study.mixtures == []
    parsed = study.parsed_constraints()
    assert [(c.coeffs, c.op, c.rhs) for c in parsed] == [
        ({"a": 2.0, "b": -1.0}, "<=", 0.5), ({"a": 1.0, "b": 2.0}, "==", 1.5)]


@given(
    coeffs=st.dictionaries(st.sampled_from(["x1", "x2", "x3", "x4"]),
                           st.floats(-1e3, 1e3, allow_nan=False).filter(lambda c: c != 0),
                           min_size=1),
    op=st.sampled_from(["<=", ">=", "=="]),
    rhs=st.floats(-1e3, 1e3, allow_nan=False),
)
def test_constraint_text_reads_back_as_the_same_rule(coeffs, op, rhs):
    text = bench.constraint_text(coeffs, op, rhs)
    study = Study.from_dict({
        "variables": [{"name": f"x{i}", "kind": "continuous", "low": 0, "high": 1}
                      for i in range(1, 5)],
        "constraints": [text],
    })

    (rule,) = study.parsed_constraints()
    assert (rule.coeffs, rule.op, rule.rhs) == (coeffs, op, rhs)


@st.composite
def generated_problems(draw):
    """Small bench problems of every variable kind, with a mixture and a constraint or not."""
    continuous = []
    for i in range(draw(st.integers(1, 4))):
        low = draw(st.floats(-100, 100))
        continuous.append(base.Continuous(f"c{i}", low, low + draw(st.floats(0.1, 100))))
    variables = list(continuous)
    if draw(st.booleans()):
        start, step, count = draw(st.integers(-50, 50)), draw(st.integers(1, 10)), draw(
            st.integers(2, 6))
        variables.append(base.Discrete("grid", tuple(range(start, start + step * count, step)),
                                       integer=True))
    if draw(st.booleans()):
        quarters = draw(st.lists(st.integers(-40, 40), min_size=2, max_size=5, unique=True))
        variables.append(base.Discrete("levels", tuple(sorted(q / 4 for q in quarters))))
    if draw(st.booleans()):
        variables.append(base.Categorical("strain", ("ale", "lager", "wheat")))
    centre = {v.name: (v.low + v.high) / 2 for v in continuous}
    constraints = []
    if len(continuous) >= 2 and draw(st.booleans()):
        members = continuous[:draw(st.integers(2, len(continuous)))]
        constraints.append(base.LinearConstraint({v.name: 1.0 for v in members}, "==",
                                                 sum(centre[v.name] for v in members)))
    if draw(st.booleans()):
        coeffs = {v.name: float(draw(st.integers(-3, 3).filter(bool))) for v in continuous}
        at_centre = sum(c * centre[n] for n, c in coeffs.items())
        op, slack = draw(st.sampled_from(["<=", ">="])), draw(st.floats(0, 50))
        constraints.append(base.LinearConstraint(
            coeffs, op, at_centre + slack if op == "<=" else at_centre - slack))
    return base.Problem(name="generated", variables=variables, constraints=constraints,
                        direction=draw(st.sampled_from(["min", "max"])), optimum=0.0,
                        median=1.0, budget=4, batch_size=2, objective=lambda x: 0.0)


@settings(max_examples=40, deadline=None)
@given(problem=generated_problems(), seed=st.integers(0, 2**16))
def test_the_study_accepts_the_recipes_the_problem_accepts_and_refuses_the_others(problem,
                                                                                   seed):
    study = bench.to_study(problem)
    assert study.errors() == []
    edge = problem.variables[0]
    for recipe in problem.sample(np.random.default_rng(seed), 5):
        assert study.check_recipe(recipe) == []
        outside = {**recipe, edge.name: edge.high + 1.0}
        assert not problem.is_feasible(outside)
        assert study.check_recipe(outside) != []


@pytest.mark.parametrize("name", ["mixture4", "brew5"])
def test_the_known_optimum_is_a_recipe_the_study_accepts(name):
    module = bench.bench_module(name)
    study = bench.to_study(bench.get_problem(name))

    assert study.check_recipe(dict(module.OPTIMUM_X)) == []


def test_a_recipe_outside_the_problem_is_refused_by_the_study():
    study = bench.to_study(bench.get_problem("mixture4"))

    assert study.check_recipe({"x1": 0.5, "x2": 0.3, "x3": 0.1, "x4": 0.0}) != []  # sum 0.9


def test_the_arylation_study_spans_exactly_the_table():
    problem = bench.get_problem("arylation")
    study = bench.to_study(problem)

    assert math.prod(len(_levels(v)) for v in study.variables) == 1728
    assert len(problem.candidates) == 1728
    assert all(study.check_recipe(row) == [] for row in problem.candidates)


# ------------------------------------------------------------------- the protocol loop
def _recipes_engine(recipes, calls):
    """An engine that proposes the given recipes in turn (to test the harness, not a model)."""
    turn = itertools.cycle(recipes)

    def suggest(study, batch_size, seed):
        calls.append({"runs": len(study.runs), "batch_size": batch_size, "seed": seed})
        return [SimpleNamespace(settings=dict(next(turn)), strategy="test",
                                predicted={bench.RESPONSE: (0.0, 1.0)})
                for _ in range(batch_size)]

    return suggest


def test_the_protocol_drops_infeasible_suggestions_and_counts_them():
    problem = bench.get_problem("mixture4")
    good = dict(bench.bench_module("mixture4").OPTIMUM_X)
    too_much = {**good, "x1": good["x1"] + 0.1}  # the fractions add up to 1.1
    calls: list[dict] = []

    result = bench.run_protocol(problem, 3, _recipes_engine([good, too_much], calls))

    assert result.infeasible == result.suggestions - result.evaluations > 0
    assert all(e["settings"] == too_much for e in result.infeasible_examples)
    assert result.values == [problem.evaluate(good)] * result.evaluations
    assert [c["seed"] for c in calls] == [3000 + i for i in range(len(calls))]
    assert [c["runs"] for c in calls] == [2 * i for i in range(len(calls))]


def test_the_protocol_spends_the_budget_as_done_runs_and_tracks_the_best():
    problem = bench.get_problem("brew5")
    optimum = dict(bench.bench_module("brew5").OPTIMUM_X)
    worse = {**optimum, "yeast": "ale"}
    calls: list[dict] = []

    result = bench.run_protocol(problem, 0, _recipes_engine([worse, optimum], calls))

    assert result.infeasible == 0
    assert result.evaluations == problem.budget
    assert len(calls) == len(result.regret_trace) == problem.budget // problem.batch_size
    assert result.best_trace == [problem.evaluate(optimum)] * len(calls)
    assert result.final_regret == pytest.approx(0, abs=1e-5)
    assert result.convergence == pytest.approx(result.final_regret)


def test_an_engine_that_proposes_nothing_feasible_cannot_loop_forever():
    problem = bench.get_problem("branin")
    calls: list[dict] = []

    result = bench.run_protocol(problem, 0, _recipes_engine([{"x1": 99.0, "x2": 0.0}], calls))

    assert result.evaluations == 0
    assert result.regret_trace == []
    assert len(calls) == 2 * problem.budget // problem.batch_size


def test_the_lookup_protocol_reports_when_a_top_row_was_found():
    problem = bench.get_problem("arylation")
    values = problem.candidate_values
    worst = problem.candidates[int(values.argmin())]
    best = problem.candidates[int(values.argmax())]
    calls: list[dict] = []
    recipes = [worst] * 7 + [best] + [worst] * 2  # the best row is evaluation 8 of every 10

    result = bench.run_protocol(problem, 0, _recipes_engine(recipes, calls))

    assert (result.top_found, result.evals_to_top) == (True, 8)
    assert result.best_at_check == problem.optimum


# --------------------------------------------------------------- the peers' figures
def test_the_peers_figures_are_read_from_results_md_for_every_problem():
    run = importlib.import_module("run")
    peers = run.load_peers()

    for table in ("final", "convergence", "seconds"):
        assert set(peers[table]) == set(NAMES)
        for row in peers[table].values():
            assert set(row) == set(run.PEERS)
            assert all(math.isfinite(run.first_number(cell)) for cell in row.values())
    for cell in peers["lookup"]["arylation"].values():
        hits, seeds = run.lookup_hits(cell)
        assert 0 <= hits <= seeds <= 10


def test_no_worse_than_the_best_peer_allows_10_percent_or_0_005():
    run = importlib.import_module("run")

    assert run.no_worse(0.109, 0.1) and not run.no_worse(0.111, 0.1)
    assert run.no_worse(0.0049, 0.0) and not run.no_worse(0.0051, 0.0)


def test_a_missing_shared_bench_folder_is_an_error_that_says_where_to_put_it(monkeypatch,
                                                                             tmp_path):
    monkeypatch.setattr(bench, "BENCH_DIR", tmp_path / "shared" / "bench")

    with pytest.raises(bench.BenchUnavailableError, match=r"\.\./shared/bench"):
        bench.get_problem("branin")
