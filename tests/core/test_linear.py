import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nextbatch.core import ConstraintSyntaxError, Mixture, Study, Variable
from nextbatch.core.constraints import parse_constraint
from nextbatch.core.linear import grid_point, linear_system


def _satisfies(study, x, tol=1e-7):
    """Check a point against the study as the user wrote it (not against the matrices)."""
    system = linear_system(study)
    values = dict(zip(system.names, x, strict=True))
    for name, value in values.items():
        lo, hi = study.variable(name).bounds()
        assert lo - tol <= value <= hi + tol, name
    for mixture in study.mixtures:
        total = sum(values[v.name] for v in study.components(mixture.name))
        assert total == pytest.approx(mixture.total, abs=tol)
    for text in study.constraints:
        assert parse_constraint(text).violation(values) <= tol, text


def _feasible_design(design_study):
    design_study.variable("water").high = 90
    return design_study


def test_design_example_as_matrices(design_study):
    system = linear_system(design_study)
    assert system.names == ["water", "stearic_acid", "koh", "mixing_time", "process_temp"]
    assert system.lb.tolist() == [60, 5, 1, 5, 60]
    assert system.ub.tolist() == [80, 15, 4, 30, 75]
    assert system.A_eq.tolist() == [[1, 1, 1, 0, 0]]
    assert system.b_eq.tolist() == [100]
    assert system.eq_labels == ["mixture base: components add up to 100"]
    # ">=" is stored flipped into "<=".
    assert system.A_ub.tolist() == [[0, -1, 2, 0, 0]]
    assert system.b_ub.tolist() == [0]
    assert system.ub_labels == ["stearic_acid - 2*koh >= 0"]
    assert system.bound_labels[2] == "koh between 1 and 4"


def test_integer_bounds_come_from_the_grid_and_fixed_values_pin(design_study):
    design_study.variable("mixing_time").high = 32  # grid 5, 10, ..., 30
    design_study.variable("koh").fixed = 2.5
    system = linear_system(design_study, fixed={"process_temp": 70, "emulsifier": "lecithin"})
    assert system.ub[3] == 30
    assert (system.lb[2], system.ub[2]) == (2.5, 2.5)
    assert (system.lb[4], system.ub[4]) == (70, 70)
    assert system.bound_labels[4] == "process_temp fixed at 70"


def test_fixed_must_name_a_variable(design_study):
    with pytest.raises(KeyError, match="koh2"):
        linear_system(design_study, fixed={"koh2": 1})


def test_bad_constraint_text_raises_the_syntax_error(design_study):
    design_study.constraints.append("koh + emulsifier <= 3")
    with pytest.raises(ConstraintSyntaxError, match="emulsifier"):
        linear_system(design_study)


def test_equality_constraints_become_equality_rows(design_study):
    design_study.constraints.append("water = 5*koh + 60")
    system = linear_system(design_study)
    assert system.eq_labels[-1] == "water = 5*koh + 60"
    assert system.A_eq[-1].tolist() == [1, 0, -5, 0, 0]
    assert system.b_eq[-1] == 60


def test_feasible_point_and_centre_satisfy_everything(design_study):
    study = _feasible_design(design_study)
    system = linear_system(study)
    assert not system.is_empty
    assert system.conflicts() == []
    _satisfies(study, system.feasible_point())
    _satisfies(study, system.chebyshev_center())


def test_chebyshev_centre_is_well_inside(design_study):
    study = _feasible_design(design_study)
    centre = dict(zip(linear_system(study).names, linear_system(study).chebyshev_center(),
                      strict=True))
    # Every inequality holds with room to spare, even though the mixture leaves a 2-d face.
    for name in ("water", "stearic_acid", "koh", "mixing_time", "process_temp"):
        lo, hi = study.variable(name).bounds()
        assert lo + 0.05 * (hi - lo) < centre[name] < hi - 0.05 * (hi - lo)
    assert parse_constraint("stearic_acid - 2*koh >= 0").lhs(centre) > 0.5
    # Variables the narrow mixture does not touch sit in the middle of their ranges.
    assert centre["mixing_time"] == pytest.approx(17.5)
    assert centre["process_temp"] == pytest.approx(67.5)


def test_design_example_is_empty_and_names_the_mixture_and_its_bounds(design_study):
    system = linear_system(design_study)
    assert system.is_empty
    assert system.feasible_point() is None
    assert system.chebyshev_center() is None
    assert system.conflicts() == [
        "water between 60 and 80",
        "stearic_acid between 5 and 15",
        "koh between 1 and 4",
        "mixture base: components add up to 100",
    ]


def test_conflicting_constraints_are_named_and_irrelevant_ones_left_out(design_study):
    study = _feasible_design(design_study)
    study.constraints += ["mixing_time + process_temp <= 50", "koh <= 3.5",
                          "stearic_acid <= 14"]
    system = linear_system(study)
    assert system.is_empty
    assert system.conflicts() == ["mixing_time between 5 and 30",
                                  "process_temp between 60 and 75",
                                  "mixing_time + process_temp <= 50"]


def test_conflicts_prefer_rules_over_bounds():
    study = Study(variables=[Variable("a", low=0, high=100), Variable("b", low=0, high=100)],
                  constraints=["a + b >= 15", "a <= 2", "b <= 3", "a - b <= 100"])
    conflict = linear_system(study).conflicts()
    assert conflict == ["a + b >= 15", "a <= 2", "b <= 3"]
    for label in conflict:  # irreducible: without any one of them the space is not empty
        smaller = Study(variables=study.variables,
                        constraints=[c for c in study.constraints if c != label])
        assert not linear_system(smaller).is_empty


def test_fractions_are_checked_to_far_below_a_millionth():
    def mixture(third_low):
        return Study(
            variables=[Variable("a", low=0.3, high=0.5, mixture="m"),
                       Variable("b", low=0.3, high=0.5, mixture="m"),
                       Variable("c", low=third_low, high=0.5, mixture="m")],
            mixtures=[Mixture("m", total=1)])

    exact = linear_system(mixture(0.4))
    assert not exact.is_empty
    assert exact.feasible_point().tolist() == pytest.approx([0.3, 0.3, 0.4], abs=1e-12)
    assert linear_system(mixture(0.4 + 1e-6)).is_empty


def test_grams_and_fractions_in_one_study():
    study = Study(variables=[Variable("salt", low=0, high=1e-4),
                             Variable("flour", low=0, high=5e4)],
                  constraints=["flour - 1e9*salt >= 0", "flour >= 49999.99"])
    x = linear_system(study).chebyshev_center()
    assert x[1] >= 49999.99 - 1e-6
    assert x[1] - 1e9 * x[0] >= -1e-6


def test_a_study_without_numeric_variables_is_not_empty():
    study = Study(variables=[Variable("yeast", kind="categorical", levels=["a", "b"])])
    system = linear_system(study)
    assert system.names == []
    assert not system.is_empty
    assert system.chebyshev_center().shape == (0,)


@settings(max_examples=30, deadline=None)
@given(
    lows=st.lists(st.floats(0, 50), min_size=2, max_size=5),
    widths=st.lists(st.floats(0.1, 50), min_size=5, max_size=5),
    where=st.floats(0, 1),
)
def test_any_reachable_mixture_total_gives_points_that_satisfy_it(lows, widths, where):
    highs = [lo + w for lo, w in zip(lows, widths, strict=False)]
    total = sum(lows) + where * (sum(highs) - sum(lows))
    study = Study(
        variables=[Variable(f"x{i}", low=lo, high=hi, mixture="m")
                   for i, (lo, hi) in enumerate(zip(lows, highs, strict=True))],
        mixtures=[Mixture("m", total=total)],
    )
    system = linear_system(study)
    for point in (system.feasible_point(), system.chebyshev_center()):
        assert point is not None
        _satisfies(study, point, tol=1e-7 * max(1.0, total))
    assert np.isclose(system.chebyshev_center().sum(), total, rtol=1e-9, atol=1e-9)


def _recipe(study, x):
    recipe = dict(zip(linear_system(study).names, x, strict=True))
    recipe.update({v.name: v.levels[0] for v in study.variables if v.kind == "categorical"})
    return recipe


def test_grid_point_of_a_feasible_study_passes_check_recipe(design_study):
    study = _feasible_design(design_study)
    assert study.check_recipe(_recipe(study, grid_point(study))) == []


@pytest.mark.parametrize(
    "rules",
    [
        ["mixing_time >= 6", "mixing_time <= 9"],  # between the 5 min steps
        ["process_temp >= 61", "process_temp <= 64"],  # between the allowed temperatures
        ["stearic_acid >= 9.12", "stearic_acid <= 9.18"],  # between multiples of 0.1
    ],
)
def test_space_only_between_allowed_values_has_no_grid_point(design_study, rules):
    study = _feasible_design(design_study)
    study.constraints += rules
    assert not linear_system(study).is_empty
    assert grid_point(study) is None


def test_grid_point_honours_fixed(design_study):
    study = _feasible_design(design_study)
    x = grid_point(study, fixed={"koh": 3.3})
    assert dict(zip(linear_system(study).names, x, strict=True))["koh"] == 3.3


def test_an_empty_space_has_no_grid_point(design_study):
    assert grid_point(design_study) is None


@settings(max_examples=40, deadline=None)
@given(
    step=st.integers(1, 5), count=st.integers(1, 6),
    values=st.lists(st.integers(0, 30), min_size=1, max_size=3, unique=True),
    resolution=st.sampled_from([0.1, 0.25, 0.5, 2.0]),
    coeffs=st.tuples(st.integers(-3, 3), st.integers(-3, 3), st.integers(-3, 3)),
    op=st.sampled_from(["<=", ">=", "="]), rhs=st.integers(-20, 40),
)
def test_grid_point_is_found_exactly_when_one_exists(step, count, values, resolution,
                                                     coeffs, op, rhs):
    study = Study(variables=[
        Variable("n", kind="integer", low=2, high=2 + step * count, step=step),
        Variable("d", kind="discrete", values=[float(v) for v in values]),
        Variable("r", low=0, high=4, resolution=resolution),
    ])
    terms = " + ".join(f"{c}*{name}" for c, name in zip(coeffs, "ndr", strict=True) if c)
    if terms:
        study.constraints.append(f"{terms} {op} {rhs}")
    # Brute force over every combination of allowed values.
    n = np.array(study.variable("n").grid(), dtype=float)[:, None, None]
    d = np.array(values, dtype=float)[None, :, None]
    r = np.round(np.arange(0, 4 + 1e-9, resolution), 10)[None, None, :]
    lhs = coeffs[0] * n + coeffs[1] * d + coeffs[2] * r
    ok = {"<=": lhs <= rhs + 1e-9, ">=": lhs >= rhs - 1e-9, "=": np.abs(lhs - rhs) <= 1e-9}
    exists = bool(ok[op].any()) if terms else True
    x = grid_point(study)
    assert (x is not None) == exists
    if x is not None:
        assert study.check_recipe(_recipe(study, x)) == []


def test_a_study_without_numeric_variables_has_a_recipe():
    study = Study(variables=[Variable("yeast", kind="categorical", levels=["ale", "lager"])])
    assert grid_point(study) is not None
    assert [p for p in study.problems() if p.severity == "error"] == []
