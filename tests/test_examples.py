"""The bundled examples are studies a chemist or a brewer would recognise, with no problems."""

import math
from pathlib import Path

import pytest
from nextbatch import resources
from nextbatch.core import NextBatchError
from nextbatch.io.study_file import load_study
from nextbatch.resources import example_names, example_path, resources_dir


@pytest.fixture(params=example_names())
def example(request):
    return load_study(example_path(request.param))


def test_examples_have_no_problems_at_all(example):
    assert example.problems() == []


def test_every_run_is_a_recipe_the_study_allows(example):
    for run in example.runs:
        assert example.check_recipe(run.effective_settings()) == [], run.id


def test_every_run_is_measured_in_full(example):
    names = {r.name for r in example.responses}
    for run in example.runs:
        assert (run.status, run.source, run.batch) == ("done", "initial", 1)
        assert set(run.results) == names
        assert all(math.isfinite(v) for v in run.results.values())


def test_everything_has_a_label_a_description_and_numbers_a_unit(example):
    for item in [*example.variables, *example.responses]:
        assert item.label and item.description, item.name
    assert all(v.unit for v in example.variables if v.is_numeric)
    assert all(r.unit for r in example.responses if r.name != "ph")  # pH has no unit
    assert example.description


def test_hold_variables_are_one_value_per_batch(example):
    for v in example.variables:
        if v.hold:
            assert len({r.settings[v.name] for r in example.runs}) == 1, v.name


def test_the_shaving_cream_recipes_add_up_to_100_percent():
    study = load_study(example_path("shaving-cream"))
    base = study.mixture("base")
    assert (base.total, base.batch_amount, base.batch_unit) == (100, 500, "g")
    parts = [v.name for v in study.components("base")]
    assert parts == ["water", "stearic_acid", "glycerin", "koh", "coconut_oil"]
    assert len(study.runs) == 8
    for run in study.runs:
        assert sum(run.settings[p] for p in parts) == 100, run.id
        assert max(parts, key=run.settings.__getitem__) == "water"  # water is the balance
    assert study.constraints == ["stearic_acid - 4*koh >= 0"]
    assert {r.name: r.goal for r in study.responses} == {
        "foam_height": "maximize", "viscosity": "target", "ph": "range"}
    assert len(study.variable("emulsifier").levels) == 3
    assert study.variable("mixing_time").grid() == [5, 10, 15, 20, 25, 30]


def test_the_brewing_study_is_a_pale_ale():
    study = load_study(example_path("brewing"))
    assert [v.name for v in study.variables] == [
        "mash_temp", "mash_time", "boil_time", "bittering_hops", "aroma_hops", "yeast",
        "ferm_temp"]
    assert study.variable("boil_time").integer_step == 5
    assert len(study.variable("yeast").levels) == 3
    abv = study.response("abv")
    assert (abv.goal, abv.target, abv.unit) == ("target", 5.2, "%")
    ibu = study.response("ibu")
    assert (ibu.goal, ibu.low, ibu.high) == ("range", 25, 35)
    assert len(study.runs) == 6


def test_unknown_examples_are_named_with_the_known_ones():
    with pytest.raises(NextBatchError, match="unknown example 'soap'; the examples are: "
                                              "shaving-cream, brewing"):
        example_path("soap")


def test_resources_are_found_in_the_source_tree_and_in_a_frozen_bundle(monkeypatch, tmp_path):
    assert (resources_dir() / "examples" / "brewing.nbx").is_file()
    assert resources_dir() == Path(resources.__file__).parents[2] / "resources"
    monkeypatch.setattr(resources.sys, "_MEIPASS", str(tmp_path), raising=False)
    assert resources_dir() == tmp_path / "resources"
    assert example_path("brewing") == tmp_path / "resources" / "examples" / "brewing.nbx"
