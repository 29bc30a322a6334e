"""Effect curves, 2-D maps and ternary maps: predictions that stay inside the rules."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from nextbatch.core import NextBatchError, Study
from nextbatch.optim.insights import effect_curve, effect_map, fit_models, ternary_map
from nextbatch.optim.search import Searcher

COMPONENTS = ("a", "b", "c", "d")


def measured(d: dict[str, Any], fn, n: int = 6, seed: int = 0) -> Study:
    """The study of `d` with n measured runs spread over its allowed recipes."""
    fitted = fit_models(Study.from_dict(d))
    space = fitted.space
    rng = np.random.default_rng(seed)
    searcher = Searcher(space, lambda s: True, rng)
    U = space.polytope.sample(n, rng)
    runs = []
    for i, u in enumerate(U):
        combo = np.zeros(len(space.categorical), dtype=int)
        recipe = searcher.recipe(searcher.finalize(u, combo), combo)
        runs.append({"id": f"B01-{i + 1:02d}", "batch": 1, "status": "done",
                     "settings": recipe, "results": {"y": float(fn(recipe))}})
    return Study.from_dict({**d, "runs": runs})


@st.composite
def mixture_studies(draw: st.DrawFn) -> dict[str, Any]:
    """Mixtures of 3-4 components with random bounds and a random linear rule."""
    k = draw(st.integers(3, 4))
    names = COMPONENTS[:k]
    lows = [draw(st.integers(0, 20)) for _ in names]
    highs = [lo + draw(st.integers(5, 80)) for lo in lows]
    assume(sum(lows) < 100 < sum(highs))
    i, j = draw(st.permutations(range(k)))[:2]
    factor = draw(st.sampled_from([0.5, 1, 2, 3]))
    rule = draw(st.sampled_from([f"{names[i]} - {factor}*{names[j]} >= 0",
                                 f"{names[i]} + {names[j]} <= {draw(st.integers(20, 90))}"]))
    variables = [{"name": n, "kind": "continuous", "low": lo, "high": hi, "mixture": "m"}
                 for n, lo, hi in zip(names, lows, highs, strict=True)]
    variables.append({"name": "time", "kind": "integer", "low": 5, "high": 30, "step": 5})
    return {"name": "mix", "variables": variables, "mixtures": [{"name": "m", "total": 100}],
            "constraints": [rule], "responses": [{"name": "y", "goal": "maximize"}]}


def recipe_value(recipe: dict[str, Any]) -> float:
    return recipe["a"] - 0.3 * recipe["b"] + 0.01 * recipe["a"] * recipe["c"] + recipe["time"]


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(mixture_studies())
def test_ternary_points_and_mixture_curves_never_leave_the_rules(d: dict[str, Any]) -> None:
    assume(not Study.from_dict(d).errors())
    study = measured(d, recipe_value)
    fitted = fit_models(study)
    tern = ternary_map(study, "m", ("a", "b", "c"), "y", fitted, n=12)
    total = sum(tern.at[name] for name in ("a", "b", "c"))
    for p in tern.points:
        recipe = {**tern.at, "a": p[0], "b": p[1], "c": p[2]}
        assert study.check_recipe(recipe) == []
        assert p.sum() == pytest.approx(total, abs=1e-9)
    assert len(tern.mean) == len(tern.sd) == len(tern.points)
    assert tern.points.size or tern.reason
    for name in [v.name for v in study.variables if v.mixture]:
        curve = effect_curve(study, name, "y", fitted, n=15)
        assert len(curve.recipes) == len(curve.x)
        for recipe, x in zip(curve.recipes, curve.x, strict=True):
            assert study.check_recipe(recipe) == []
            assert recipe[name] == pytest.approx(x)
    # The map moves a and b; the other components share the rest in their proportions at
    # `at`: a cell is marked feasible exactly when that recipe passes every rule.
    emap = effect_map(study, "a", "b", "y", fitted, n=8)
    others = [v.name for v in study.variables if v.mixture and v.name not in ("a", "b")]
    held = sum(emap.at[name] for name in others)
    for iy, b in enumerate(emap.y):
        for ix, a in enumerate(emap.x):
            rest = 100 - a - b
            recipe = {**emap.at, "a": a, "b": b,
                      **{name: emap.at[name] * rest / held for name in others}}
            allowed = not [p for p in study.check_recipe(recipe) if p.amount > 1e-7]
            assert bool(emap.feasible[iy, ix]) == allowed


def box(d: int, **extra: Any) -> dict[str, Any]:
    variables = [{"name": f"x{j}", "kind": "continuous", "low": 0, "high": 1} for j in range(d)]
    return {"name": "box", "variables": variables,
            "responses": [{"name": "y", "unit": "mm", "goal": "maximize"}], **extra}


def test_curve_follows_a_rising_response_with_a_band_around_it() -> None:
    study = measured(box(2), lambda r: 10 * r["x0"] + r["x1"], n=12)
    curve = effect_curve(study, "x0", "y")
    assert len(curve.x) == 60
    assert curve.x[0] == pytest.approx(0.0) and curve.x[-1] == pytest.approx(1.0)
    assert np.all(np.diff(curve.mean) > 0)
    assert np.all(curve.low <= curve.mean) and np.all(curve.mean <= curve.high)
    assert all(r["x1"] == curve.at["x1"] for r in curve.recipes)


def test_integer_and_categorical_curves_give_their_values_and_levels() -> None:
    d = box(1)
    d["variables"] += [{"name": "time", "kind": "integer", "low": 5, "high": 20, "step": 5},
                       {"name": "yeast", "kind": "categorical", "levels": ["A", "B"]}]
    study = measured(d, lambda r: r["x0"] + r["time"] / 10, n=6)
    assert list(effect_curve(study, "time", "y").x) == [5, 10, 15, 20]
    curve = effect_curve(study, "yeast", "y")
    assert list(curve.x) == ["A", "B"] and len(curve.mean) == 2
    assert len(effect_curve(study, "x0", "desirability").mean) == 60


def test_map_marks_where_a_rule_is_broken() -> None:
    study = measured(box(3, constraints=["x0 + x1 <= 1"]), lambda r: r["x0"] - r["x1"], n=8)
    m = effect_map(study, "x0", "x1", "y", n=11)
    assert m.mean.shape == m.sd.shape == m.feasible.shape == (11, 11)
    gx, gy = np.meshgrid(m.x, m.y)
    assert np.array_equal(m.feasible, gx + gy <= 1 + 1e-9)
    assert np.all(m.sd > 0)


def test_mistakes_are_named() -> None:
    d = box(2)
    d["variables"][1]["fixed"] = 0.5
    study = measured(d, lambda r: r["x0"], n=5)
    with pytest.raises(NextBatchError, match="'nope' is not a variable"):
        effect_curve(study, "nope", "y")
    with pytest.raises(NextBatchError, match="'zz' is not a response"):
        effect_curve(study, "x0", "zz")
    with pytest.raises(NextBatchError, match="is fixed"):
        effect_map(study, "x0", "x1", "y")
    with pytest.raises(NextBatchError, match="not a mixture"):
        ternary_map(study, "m", ("a", "b", "c"), "y")
    with pytest.raises(NextBatchError, match="breaks the study's rules"):
        effect_curve(study, "x0", "y", at={"x0": 7.0})
    fixed = effect_curve(study, "x1", "y")
    assert fixed.x.size == 0 and "fixed" in fixed.reason


def test_a_response_without_results_has_no_model_to_show() -> None:
    d = box(2)
    d["responses"].append({"name": "z", "goal": "minimize"})
    study = measured(d, lambda r: r["x0"], n=4)
    with pytest.raises(NextBatchError, match="no results yet"):
        effect_curve(study, "x0", "z")
