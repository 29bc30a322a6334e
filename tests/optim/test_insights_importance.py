"""What matters: variance shares of the model's prediction over the allowed recipes."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from nextbatch.core import Study
from nextbatch.optim.insights import fit_models, importance


def study_from(variables: list[dict[str, Any]], recipes: list[dict[str, Any]],
               results: list[dict[str, float]], **extra: Any) -> Study:
    runs = [{"id": f"B01-{i + 1:02d}", "batch": 1, "status": "done", "settings": s,
             "results": r} for i, (s, r) in enumerate(zip(recipes, results, strict=True))]
    return Study.from_dict({"name": "t", "variables": variables,
                            "responses": extra.pop("responses", [
                                {"name": "y", "goal": "maximize"}]),
                            "runs": runs, **extra})


def box(d: int) -> list[dict[str, Any]]:
    return [{"name": f"x{j}", "kind": "continuous", "low": 0, "high": 1} for j in range(d)]


def linear_study(n: int, seed: int = 0) -> Study:
    xs = np.random.default_rng(seed).random((n, 3))
    recipes = [{f"x{j}": float(x[j]) for j in range(3)} for x in xs]
    return study_from(box(3), recipes, [{"y": float(10 * x[0] + 1 * x[1])} for x in xs])


@pytest.mark.parametrize("seed", [0, 1])
def test_a_dominant_variable_ranks_first(seed: int) -> None:
    shares = importance(linear_study(15, seed))["y"]
    assert shares[0].variable == "x0"
    by_name = {s.variable: s for s in shares}
    assert by_name["x0"].share > 0.8
    assert by_name["x2"].share < 0.1
    assert by_name["x1"].share < by_name["x0"].share
    for s in shares:
        assert 0.0 <= s.low <= s.share <= s.high <= 1.0


def test_bands_are_wider_with_few_runs() -> None:
    def width(n: int) -> float:
        return float(np.mean([s.high - s.low for s in importance(linear_study(n, 3))["y"]]))

    assert width(4) > width(25)


def test_the_dominant_mixture_component_ranks_first() -> None:
    rng = np.random.default_rng(1)
    raw = rng.dirichlet([2, 2, 2], size=14)
    variables = [{"name": name, "kind": "continuous", "low": 0, "high": 100, "mixture": "m"}
                 for name in ("a", "b", "c")]
    recipes = [{"a": 100 * p[0], "b": 100 * p[1], "c": 100 - 100 * p[0] - 100 * p[1]}
               for p in raw]
    results = [{"y": 50 * p[0] + 2 * p[1]} for p in raw]
    study = study_from(variables, recipes, results, mixtures=[{"name": "m", "total": 100}])
    shares = importance(study)["y"]
    assert shares[0].variable == "a"
    assert {s.variable for s in shares} == {"a", "b", "c"}


def test_a_categorical_level_that_matters_ranks_first_and_desirability_is_keyed() -> None:
    rng = np.random.default_rng(2)
    variables = [*box(2), {"name": "yeast", "kind": "categorical", "levels": ["A", "B", "C"]}]
    recipes, results = [], []
    for i in range(15):
        x = rng.random(2)
        level = "ABC"[i % 3]
        recipes.append({"x0": float(x[0]), "x1": float(x[1]), "yeast": level})
        results.append({"y": {"A": 0.0, "B": 8.0, "C": 3.0}[level] + 0.5 * float(x[0]),
                        "z": float(x[1])})
    study = study_from(variables, recipes, results,
                       responses=[{"name": "y", "goal": "maximize"},
                                  {"name": "z", "goal": "minimize"}])
    out = importance(study, fit_models(study))
    assert set(out) == {"y", "z", "desirability"}
    assert out["y"][0].variable == "yeast"
    assert out["z"][0].variable == "x1"


def test_fixed_variables_are_not_ranked_and_flat_models_share_nothing() -> None:
    variables = box(2)
    variables[1]["fixed"] = 0.5
    study = study_from(variables, [{"x0": 0.2, "x1": 0.5}], [{"y": 3.0}])
    shares = importance(study)["y"]
    assert [s.variable for s in shares] == ["x0"]
    assert shares[0].share == 0.0
