"""Encoding of a study's space, and rounding that keeps every rule exact."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nextbatch.core import InfeasibleError, Study
from nextbatch.optim.encoding import Encoding, SearchSpace
from nextbatch.optim.search import Grid, Searcher


def study_of(variables, mixtures=(), constraints=()) -> Study:
    return Study.from_dict({"variables": list(variables), "mixtures": list(mixtures),
                            "constraints": list(constraints), "responses": [{"name": "y"}]})


def test_numeric_variables_map_to_the_unit_interval_and_back():
    study = study_of([{"name": "t", "low": 60, "high": 80},
                      {"name": "c", "low": 0.01, "high": 100, "scale": "log"},
                      {"name": "s", "kind": "categorical", "levels": ["a", "b", "c"]}])
    enc = Encoding(study)
    row = enc.encode({"t": 65, "c": 1.0, "s": "b"})
    assert row.tolist() == pytest.approx([0.25, 0.5, 0.0, 1.0, 0.0])
    assert float(enc.maps["c"].from_unit(0.5)) == pytest.approx(1.0)


def test_a_log_scaled_variable_inside_a_rule_stays_linear_so_the_rule_stays_exact():
    study = study_of([{"name": "a", "low": 1, "high": 100, "scale": "log"},
                      {"name": "b", "low": 0, "high": 100}], constraints=["a + b <= 50"])
    enc = Encoding(study)
    assert not enc.maps["a"].log
    space = SearchSpace(study, enc, {})
    U = space.polytope.sample(500, np.random.default_rng(0))
    x = np.array([space.values(u) for u in U])
    assert np.all(x.sum(axis=1) <= 50 + 1e-9)


def test_fixed_values_are_substituted_into_the_rules():
    study = study_of([{"name": "a", "low": 0, "high": 10}, {"name": "b", "low": 0, "high": 10}],
                     constraints=["a + b <= 12"])
    space = SearchSpace(study, Encoding(study), {"b": 9})
    U = space.polytope.sample(200, np.random.default_rng(1))
    a = np.array([space.values(u)[0] for u in U])
    assert a.max() <= 3 + 1e-9 and a.max() > 2.5


def test_a_fixed_value_that_leaves_no_room_is_infeasible():
    study = study_of([{"name": "a", "low": 0, "high": 10}, {"name": "b", "low": 0, "high": 10}],
                     constraints=["a + b >= 15"])
    with pytest.raises(InfeasibleError, match="a \\+ b >= 15"):
        SearchSpace(study, Encoding(study), {"b": 2})


def test_grids_snap_to_steps_levels_and_resolution():
    study = study_of([{"name": "i", "kind": "integer", "low": 5, "high": 30, "step": 5},
                      {"name": "d", "kind": "discrete", "values": [60, 65, 72]},
                      {"name": "r", "low": 0, "high": 10, "resolution": 0.25}])
    i, d, r = (Grid(v) for v in study.variables)
    assert i.snap(13.0) == 15 and i.tidy(15.0) == 15 and isinstance(i.tidy(15.0), int)
    assert d.snap(69.0) == 72 and d.neighbour(65, -1) == 60
    assert r.snap(3.3) == 3.25 and r.snap(11) == 10


@given(resolution=st.sampled_from([0.1, 0.5, 1.0]), n=st.integers(3, 5),
       seed=st.integers(0, 10_000))
@settings(max_examples=30, deadline=None)
def test_rounding_a_mixture_of_resolved_components_keeps_its_total_exact(resolution, n, seed):
    study = study_of([{"name": f"c{i}", "low": 0, "high": 60, "resolution": resolution,
                       "mixture": "m"} for i in range(n)], mixtures=[{"name": "m", "total": 100}])
    space = SearchSpace(study, Encoding(study), {})
    searcher = Searcher(space, lambda s: not study.check_recipe(s), np.random.default_rng(seed))
    for z in space.polytope.sample(5, np.random.default_rng(seed)):
        x = searcher.finalize(z, np.zeros(0, dtype=int))
        assert x is not None
        settings_ = searcher.recipe(x, np.zeros(0, dtype=int))
        assert study.check_recipe(settings_) == []
        assert math.isclose(sum(settings_.values()), 100, abs_tol=1e-9)
