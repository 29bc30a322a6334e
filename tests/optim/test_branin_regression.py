"""A small regression benchmark in the default run: the engine must beat random search.

Branin from `../shared/bench` (20 evaluations in batches of 2, the shared protocol of
tests/benchmarks/problems.py). If `../shared/bench` is missing this test fails, never skips.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
bench = importlib.import_module("problems")

SEEDS = range(10)


def test_the_engine_beats_random_search_on_branin_on_8_of_10_seeds():
    problem = bench.get_problem("branin")
    assert (problem.budget, problem.batch_size) == (20, 2)
    outcomes = []
    for seed in SEEDS:
        result = bench.run_protocol(problem, seed)
        assert result.infeasible == 0, result.infeasible_examples
        assert result.evaluations == problem.budget
        samples = problem.sample(np.random.default_rng(seed), problem.budget)
        random_best = problem.best_of([problem.evaluate(x) for x in samples])
        engine_best = result.best_trace[-1]
        outcomes.append((seed, engine_best, random_best))

    wins = [seed for seed, ours, theirs in outcomes if problem.better(ours, theirs)]
    assert len(wins) >= 8, f"beat random search on seeds {wins} only: {outcomes}"
