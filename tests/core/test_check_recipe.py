import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nextbatch.core import ConstraintSyntaxError
from nextbatch.core.validation import RecipeViolation

GOOD = {"water": 88.4, "stearic_acid": 9.1, "koh": 2.5, "mixing_time": 15,
        "process_temp": 65, "emulsifier": "lecithin"}


@pytest.fixture
def study(design_study):
    design_study.variable("water").high = 90
    return design_study


def _one(study, **changes):
    violations = study.check_recipe({**GOOD, **changes})
    assert len(violations) == 1, [str(v) for v in violations]
    return violations[0]


def test_good_recipe_passes(study):
    assert study.check_recipe(GOOD) == []


def test_recipe_on_the_boundary_of_a_rule_passes(study):
    assert study.check_recipe({**GOOD, "water": 88, "stearic_acid": 8, "koh": 4}) == []


@pytest.mark.parametrize(
    ("changes", "subject", "message", "amount"),
    [
        ({"mixing_time": 35}, "mixing_time",
         "mixing_time = 35 min is above the upper bound 30 min by 5", 5),
        ({"mixing_time": 0}, "mixing_time",
         "mixing_time = 0 min is below the lower bound 5 min by 5", 5),
        ({"mixing_time": 12}, "mixing_time", "nearest allowed 10 min", 2),
        ({"process_temp": 66}, "process_temp", "not one of the allowed values 60, 65, 70, 75",
         1),
        ({"emulsifier": "soap"}, "emulsifier", "'soap' is not one of the levels", math.nan),
        ({"process_temp": "hot"}, "process_temp", "'hot' is not a number", math.nan),
        ({"process_temp": math.inf}, "process_temp", "is not a number", math.nan),
        ({"sugar": 3}, "sugar", "'sugar' is not a variable of this study", math.nan),
        ({"kho": 3}, "kho", "did you mean 'koh'?", math.nan),
    ],
)
def test_each_value_violation_is_named_with_its_amount(study, changes, subject, message,
                                                       amount):
    violation = _one(study, **changes)
    assert violation.subject == subject
    assert message in violation.message
    assert str(violation) == violation.message
    if math.isnan(amount):
        assert math.isnan(violation.amount)
    else:
        assert violation.amount == pytest.approx(amount)


def test_missing_variables_are_named(study):
    recipe = dict(GOOD)
    del recipe["emulsifier"], recipe["mixing_time"]
    assert [str(v) for v in study.check_recipe(recipe)] == ["mixing_time is missing",
                                                            "emulsifier is missing"]


def test_bound_violation_reads_as_in_the_lab(study):
    violations = study.check_recipe({**GOOD, "water": 86.3, "koh": 4.6})
    assert [str(v) for v in violations] == ["koh = 4.6 % is above the upper bound 4 % by 0.6",
                                           "rule 'stearic_acid - 2*koh >= 0' is broken by 0.1"]
    assert [v.amount for v in violations] == pytest.approx([0.6, 0.1])


def test_mixture_total_off(study):
    violation = _one(study, water=87.9)
    assert violation.subject == "base"
    assert violation.message == "mixture base adds up to 99.5 %, not 100 % (off by 0.5)"
    assert violation.amount == pytest.approx(0.5)


def test_a_millionth_off_fails(study):
    assert _one(study, water=88.4 + 1e-6).amount == pytest.approx(1e-6)
    assert _one(study, mixing_time=30 + 1e-6).subject == "mixing_time"
    over = _one(study, koh=4 + 1e-6, water=86.9 - 1e-6)
    assert over.message.startswith("koh = 4 % is above the upper bound 4 % by 1e-06")
    assert _one(study, stearic_acid=9.1 + 1e-6, water=88.4 - 1e-6).subject == "stearic_acid"


def test_resolution(study):
    violation = _one(study, stearic_acid=9.15, water=88.35)
    assert violation.message == ("stearic_acid = 9.15 % is not a multiple of the resolution "
                                 "0.1 % (nearest 9.2 %)")
    assert violation.amount == pytest.approx(0.05)


def test_fixed_variables_must_be_at_their_value(study):
    study.variable("process_temp").fixed = 70
    study.variable("emulsifier").fixed = "lecithin"
    violation = _one(study, process_temp=65)
    assert violation.message == "process_temp = 65 °C is not its fixed value 70 °C"
    assert violation.amount == 5
    assert study.check_recipe({**GOOD, "process_temp": 70.0}) == []
    study.variable("emulsifier").fixed = "polysorbate 80"
    assert "is not its fixed value 'polysorbate 80'" in _one(study, process_temp=70).message


def test_out_of_bounds_values_still_take_part_in_mixture_and_rules(study):
    subjects = [v.subject for v in study.check_recipe({**GOOD, "koh": 4.2, "stearic_acid": 7.1,
                                                       "water": 88.2})]
    assert subjects == ["koh", "base", "stearic_acid - 2*koh >= 0"]


def test_unparseable_constraint_is_an_error_not_a_pass(study):
    study.constraints.append("koh >=")
    with pytest.raises(ConstraintSyntaxError):
        study.check_recipe(GOOD)


def test_violation_is_plain_data():
    v = RecipeViolation("koh", "koh = 5 % is above the upper bound 4 % by 1", 1.0)
    assert str(v) == v.message
    assert v == RecipeViolation("koh", v.message, 1.0)


# check_recipe only reads the study, so sharing the fixture between examples is safe.
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(stearic=st.integers(50, 150), koh=st.integers(10, 40))
def test_recipes_typed_to_one_decimal_pass(study, stearic, koh):
    s, k = stearic / 10, koh / 10
    recipe = {**GOOD, "stearic_acid": s, "koh": k, "water": round(100 - s - k, 1)}
    violations = study.check_recipe(recipe)
    expected = (["water"] if recipe["water"] > 90 else []) + (
        [] if stearic >= 2 * koh else ["stearic_acid - 2*koh >= 0"])
    assert [v.subject for v in violations] == expected


def test_an_integer_without_a_lower_bound_is_reported_not_a_crash():
    from nextbatch.core import Study, Variable

    study = Study(variables=[Variable("n", kind="integer", high=10, step=2)])
    assert study.check_recipe({"n": 3}) == []  # no grid to be off without a lower bound
    assert "above the upper bound 10" in str(study.check_recipe({"n": 12})[0])
