import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nextbatch.core import Problem, Study


@pytest.fixture
def good_dict(design_dict):
    """The DESIGN example made consistent: water may go to 90 % and the run adds up to 100."""
    design_dict["variables"][0]["high"] = 90
    design_dict["runs"][0]["settings"]["water"] = 88.4
    return design_dict


def _problems(d):
    return Study.from_dict(d).problems()


def _at(d, path):
    return [p for p in _problems(d) if p.path == path]


def test_consistent_study_has_no_problem(good_dict):
    assert _problems(good_dict) == []


def test_design_example_mixture_cannot_reach_its_total(design_dict):
    (problem,) = _at(design_dict, "mixtures[0].total")
    assert problem.value == 100
    assert problem.severity == "error"
    assert "66 % at least and 99 % at most" in problem.message
    assert "water 60–80, stearic_acid 5–15, koh 1–4" in problem.message
    assert str(problem).startswith("mixtures[0].total = 100: ")


def _set(section, index, key, value):
    def change(d):
        if value is _DELETE:
            del d[section][index][key]
        else:
            d[section][index][key] = value
    return change


_DELETE = object()


@pytest.mark.parametrize(
    ("change", "path", "value", "words", "severity"),
    [
        (_set("variables", 2, "name", "stearic_acid"), "variables[2].name", "stearic_acid",
         "already used by variables[1]", "error"),
        (_set("variables", 0, "name", "water content"), "variables[0].name", "water content",
         "start with a letter or _", "error"),
        (_set("variables", 0, "name", "3water"), "variables[0].name", "3water",
         "letters, digits and _", "error"),
        (_set("variables", 0, "name", "lambda"), "variables[0].name", "lambda",
         "reserved word", "error"),
        (_set("variables", 0, "name", ""), "variables[0].name", "", "name is required",
         "error"),
        (_set("responses", 0, "name", "koh"), "responses[0].name", "koh",
         "already used by variables[2]", "error"),
        (_set("variables", 0, "kind", "fuzzy"), "variables[0].kind", "fuzzy",
         "continuous, integer, discrete or categorical", "error"),
        (_set("variables", 2, "high", 0.5), "variables[2].high", 0.5,
         "high must be above low (1)", "error"),
        (_set("variables", 2, "high", 1), "variables[2].high", 1,
         "high must be above low (1)", "error"),
        (_set("variables", 3, "high", _DELETE), "variables[3].high", None,
         "is missing", "error"),
        (_set("variables", 3, "step", 0), "variables[3].step", 0, "above 0", "error"),
        (_set("variables", 3, "step", 40), "variables[3].step", 40,
         "larger than the range 5–30", "error"),
        (_set("variables", 3, "step", 7), "variables[3].step", 7,
         "stop at 26, below high = 30", "warning"),
        (_set("variables", 1, "resolution", 0), "variables[1].resolution", 0, "above 0",
         "error"),
        (_set("variables", 1, "resolution", 10), "variables[1].resolution", 10,
         "smaller than the range 5–15", "error"),
        (_set("variables", 3, "scale", "cubic"), "variables[3].scale", "cubic",
         "linear or log", "error"),
        (_set("variables", 4, "values", []), "variables[4].values", [],
         "at least one allowed value", "error"),
        (_set("variables", 4, "values", [60, 65, 60]), "variables[4].values[2]", 60,
         "listed twice", "error"),
        (_set("variables", 5, "levels", []), "variables[5].levels", [],
         "at least one level", "error"),
        (_set("variables", 5, "levels", ["lecithin", "lecithin"]), "variables[5].levels[1]",
         "lecithin", "listed twice", "error"),
        (_set("variables", 5, "levels", ["lecithin", "  "]), "variables[5].levels[1]", "  ",
         "must not be blank", "error"),
        (_set("variables", 2, "fixed", 9), "variables[2].fixed", 9,
         "above the upper bound 4 by 5", "error"),
        (_set("variables", 5, "fixed", "soap"), "variables[5].fixed", "soap",
         "not one of the levels", "error"),
        (_set("variables", 0, "mixture", "bse"), "variables[0].mixture", "bse",
         "no mixture named 'bse'; did you mean 'base'?", "error"),
        (_set("variables", 3, "mixture", "base"), "variables[3].mixture", "base",
         "only continuous variables can be mixture components; mixing_time is integer",
         "error"),
        (_set("mixtures", 0, "total", 0), "mixtures[0].total", 0, "above 0", "error"),
        (_set("mixtures", 0, "batch_amount", -5), "mixtures[0].batch_amount", -5,
         "above 0", "error"),
        (_set("responses", 1, "name", "foam_height"), "responses[1].name", "foam_height",
         "already used by responses[0]", "error"),
        (_set("responses", 0, "goal", "maximise"), "responses[0].goal", "maximise",
         "maximize, minimize, target, range or observe", "error"),
        (_set("responses", 1, "target", _DELETE), "responses[1].target", None,
         "needs the target value", "error"),
        (_set("responses", 1, "target", 8000), "responses[1].target", 8000,
         "between low and high (3000–7000)", "error"),
        (_set("responses", 2, "high", _DELETE), "responses[2].high", None,
         "range goal needs low and high", "error"),
        (_set("responses", 0, "high", 10), "responses[0].high", 10,
         "high must be above low (20)", "error"),
        (_set("responses", 0, "importance", 0), "responses[0].importance", 0, "1", "error"),
        (_set("responses", 0, "importance", 6), "responses[0].importance", 6, "5", "error"),
        (_set("runs", 0, "status", "finished"), "runs[0].status", "finished",
         "planned, done, failed or skipped", "error"),
        (_set("runs", 0, "source", "robot"), "runs[0].source", "robot",
         "expected one of initial", "error"),
        (_set("runs", 0, "batch", 0), "runs[0].batch", 0, "start at 1", "error"),
        (_set("runs", 0, "id", " "), "runs[0].id", " ", "needs an ID", "error"),
        (_set("runs", 0, "results", {}), "runs[0].results", None, "done but has no result",
         "warning"),
        (_set("variables", 0, "unti", "%"), "variables[0].unti", "%",
         "unknown key 'unti'; did you mean 'unit'?", "warning"),
        (_set("runs", 0, "colour", "red"), "runs[0].colour", "red", "unknown key 'colour'",
         "warning"),
    ],
)
def test_each_rule_reports_path_value_and_words(good_dict, change, path, value, words,
                                                severity):
    change(good_dict)
    found = _at(good_dict, path)
    assert found, f"no problem at {path}: {_problems(good_dict)}"
    problem = next((p for p in found if words in p.message), None)
    assert problem is not None, [p.message for p in found]
    assert problem.value == value
    assert problem.severity == severity
    if value is not None:
        assert f"{path} = {value!r}" in str(problem)


def test_mixture_without_components(good_dict):
    good_dict["mixtures"].append({"name": "glaze", "total": 1})
    (problem,) = _at(good_dict, "mixtures[1].name")
    assert "no variable belongs to mixture 'glaze'" in problem.message


def test_fixed_component_counts_as_its_value_in_reachability(good_dict):
    good_dict["variables"][0]["fixed"] = 60  # 60 + 15 + 4 = 79 at most
    (problem,) = _at(good_dict, "mixtures[0].total")
    assert "79 % at most" in problem.message


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("koh >=", "nothing on the right of '>=' (at position 5)"),
        ("kho <= 3", "unknown variable 'kho'; did you mean 'koh'? (at position 1)"),
        ("emulsifier + koh <= 3", "'emulsifier' is categorical: constraints can only use "
                                  "numeric variables"),
        ("koh*water <= 100", "multiplies two variables"),
    ],
)
def test_bad_constraints_are_reported_with_position(good_dict, text, words):
    good_dict["constraints"].append(text)
    (problem,) = _at(good_dict, "constraints[1]")
    assert problem.value == text
    assert words in problem.message


def test_empty_space_names_the_conflicting_rules_only(good_dict):
    good_dict["constraints"] += ["koh >= 3.5", "mixing_time <= 20", "stearic_acid <= 6"]
    (problem,) = _at(good_dict, "constraints")
    assert problem.severity == "error"
    assert problem.message.startswith("no recipe satisfies all of these together: ")
    for rule in ("stearic_acid - 2*koh >= 0", "koh >= 3.5", "stearic_acid <= 6"):
        assert rule in problem.message
    assert "mixing_time" not in problem.message


def test_broken_variables_skip_the_space_check_but_not_other_checks(good_dict):
    good_dict["constraints"] += ["koh >= 3.5", "stearic_acid <= 6"]
    good_dict["variables"][3]["high"] = 1
    good_dict["variables"][5]["levels"] = []
    good_dict["responses"][0]["importance"] = 9
    paths = {p.path for p in _problems(good_dict)}
    assert {"variables[3].high", "variables[5].levels", "responses[0].importance"} <= paths
    assert "constraints" not in paths


def test_every_bad_variable_is_reported_at_once(good_dict):
    for v in good_dict["variables"]:
        v["kind"] = "fuzzy"
    paths = [p.path for p in _problems(good_dict)]
    assert [f"variables[{i}].kind" for i in range(6)] == [p for p in paths if ".kind" in p]


def test_historical_run_outside_todays_space_is_kept_but_flagged(good_dict):
    good_dict["runs"][0]["settings"].update(koh=5.0, water=85.9, sugar=3)
    study = Study.from_dict(good_dict)
    problems = study.problems()
    assert study.errors() == []
    koh = next(p for p in problems if p.path == "runs[0].settings.koh")
    assert (koh.value, koh.severity) == (5.0, "warning")
    assert "koh = 5 % is above the upper bound 4 % by 1" in koh.message
    assert "historical data may lie outside today's bounds" in koh.message
    rule = next(p for p in problems if "stearic_acid - 2*koh" in p.message)
    assert (rule.path, rule.severity) == ("runs[0].settings", "warning")
    sugar = next(p for p in problems if p.path == "runs[0].settings.sugar")
    assert "'sugar' is not a variable of this study" in sugar.message
    assert study.runs[0].settings["koh"] == 5.0  # kept as it was


def test_actual_settings_are_what_is_checked(good_dict):
    good_dict["runs"][0]["actual"] = {"mixing_time": 12}
    (problem,) = _at(good_dict, "runs[0].actual.mixing_time")
    assert "not on the grid" in problem.message


def test_results_must_be_finite_and_name_responses(good_dict):
    study = Study.from_dict(good_dict)
    study.runs[0].results.update(ph=math.nan, foam_heigth=30.0)
    by_path = {p.path: p for p in study.problems()}
    assert by_path["runs[0].results.ph"].severity == "error"
    assert "finite number" in by_path["runs[0].results.ph"].message
    foam = by_path["runs[0].results.foam_heigth"]
    assert foam.severity == "warning"
    assert "no response named 'foam_heigth'; did you mean 'foam_height'?" in foam.message


def test_run_ids_are_unique(good_dict):
    good_dict["runs"].append(dict(good_dict["runs"][0]))
    (problem,) = _at(good_dict, "runs[1].id")
    assert problem.value == "B01-01"
    assert "already used by runs[0]" in problem.message


def test_unknown_top_level_key_is_a_warning(good_dict):
    good_dict["lab"] = "north"
    (problem,) = _at(good_dict, "lab")
    assert (problem.value, problem.severity) == ("north", "warning")


@pytest.mark.parametrize("size", [0, -1, 2.5, "four", True])
def test_batch_size_must_be_a_positive_whole_number(good_dict, size):
    good_dict["settings"]["batch_size"] = size
    (problem,) = _at(good_dict, "settings.batch_size")
    assert problem.value == size
    assert "positive whole number" in problem.message


def test_log_scale_needs_positive_low(good_dict):
    good_dict["variables"][3].update(scale="log", low=0, high=30)
    (problem,) = _at(good_dict, "variables[3].scale")
    assert "low above 0, found low = 0" in problem.message


def test_integer_grid_of_unit_steps_must_fit_too(good_dict):
    good_dict["variables"][3].update(low=0.5, high=3)
    del good_dict["variables"][3]["step"]
    (problem,) = _at(good_dict, "variables[3].step")
    assert problem.severity == "warning"
    assert "the steps of 1 from 0.5 stop at 2.5, below high = 3" in problem.message


_maybe_number = st.none() | st.integers(-5, 50) | st.floats(-10, 100)
_variable = st.fixed_dictionaries(
    {"name": st.sampled_from(["a", "b", "c", "koh", "x y", "if"]),
     "kind": st.sampled_from(["continuous", "integer", "discrete", "categorical", "fuzzy"])},
    optional={"low": _maybe_number, "high": _maybe_number, "step": _maybe_number,
              "resolution": _maybe_number, "scale": st.sampled_from(["linear", "log", "x"]),
              "values": st.lists(st.integers(0, 5), max_size=3),
              "levels": st.lists(st.sampled_from(["p", "q", " "]), max_size=3),
              "mixture": st.sampled_from(["base", "nope"]),
              "fixed": st.none() | st.integers(0, 60) | st.sampled_from(["p", "z"])},
)


@settings(max_examples=60, deadline=None)
@given(
    variables=st.lists(_variable, max_size=5),
    total=st.integers(-1, 120),
    constraints=st.lists(st.sampled_from(["a + b <= 10", "a >= 50", "koh*a <= 1", "c = 3",
                                          "b - 2*c >= 0", "a >="]), max_size=3),
)
def test_any_study_is_checked_without_crashing(variables, total, constraints):
    d = {"variables": variables, "mixtures": [{"name": "base", "total": total}],
         "constraints": constraints,
         "runs": [{"id": "B01-01", "status": "done",
                   "settings": {"a": 1, "b": "p", "zz": 2}, "results": {"r": 1.0}}]}
    problems = Study.from_dict(d).problems()
    assert all(isinstance(p, Problem) and p.severity in ("error", "warning")
               for p in problems)
    errors = {p.path for p in problems if p.severity == "error"}
    if "a >=" in constraints:
        assert f"constraints[{constraints.index('a >=')}]" in errors


def test_space_with_recipes_only_between_the_steps_is_an_error(good_dict):
    good_dict["constraints"] += ["mixing_time >= 6", "mixing_time <= 9"]
    (problem,) = _at(good_dict, "constraints")
    assert problem.severity == "error"
    assert problem.message.startswith("no recipe satisfies the bounds, mixtures and "
                                      "constraints with stearic_acid, mixing_time and "
                                      "process_temp on their allowed values")
