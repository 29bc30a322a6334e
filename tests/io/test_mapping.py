"""Matching headers to variables, responses and run fields the way people write them."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from nextbatch.core import Study
from nextbatch.io.mapping import match_columns, normalize, same_unit, split_unit
from nextbatch.io.study_file import load_study
from nextbatch.resources import example_path


@pytest.fixture
def cream() -> Study:
    return load_study(example_path("shaving-cream"))


def roles(study: Study, header: list[str], mapping: dict[str, str] | None = None
          ) -> list[tuple[str, str]]:
    return [(r.kind, r.name) for r in match_columns(study, header, "Runs", mapping).roles]


@pytest.mark.parametrize("header", [
    "Foam Height (mm)", "foam_height", "FOAM HEIGHT [mm]", "  foam   height ", "Foam-height",
    "foamheight (MM)"])
def test_a_response_by_name_or_label_whatever_the_spelling(cream: Study, header: str) -> None:
    assert roles(cream, [header]) == [("response", "foam_height")]


def test_every_column_of_an_exported_sheet_is_recognised(cream: Study) -> None:
    header = ["Run ID", "Batch", "Run order", "Source", "Water (deionized) [%]",
              "Potassium hydroxide (KOH) [%]", "Mixing time [min]", "Emulsifier",
              "Water (deionized) [g] for 500 g", "pH", "Status", "Notes",
              "Actual Stearic acid [%]", "actual_koh"]
    assert roles(cream, header) == [
        ("id", ""), ("batch", ""), ("order", ""), ("source", ""), ("variable", "water"),
        ("variable", "koh"), ("variable", "mixing_time"), ("variable", "emulsifier"),
        ("weighout", "water"), ("response", "ph"), ("status", ""), ("notes", ""),
        ("actual", "stearic_acid"), ("actual", "koh")]


def test_a_weigh_out_column_for_another_batch_amount_is_still_derived(cream: Study) -> None:
    assert roles(cream, ["Glycerin [g] for 2 kg"]) == [("weighout", "glycerin")]


def test_unmatched_columns_are_listed(cream: Study) -> None:
    match = match_columns(cream, ["Operator", "", "pH"], "Runs")
    assert match.unmatched == ["Operator", "column B (no header)"]
    assert not match.problems


def test_a_differing_unit_is_an_error_naming_both_units(cream: Study) -> None:
    match = match_columns(cream, ["Run ID", "Process temperature (°F)"], "Runs")
    [problem] = match.problems
    assert (problem.column, problem.header, problem.severity) == ("B", "Process temperature "
                                                                   "(°F)", "error")
    assert "'°C'" in problem.expected and "'°F'" in problem.expected
    assert "nothing is converted" in problem.expected


@pytest.mark.parametrize(("a", "b"), [("°C", "C"), ("degC", "°C"), ("%", "percent"),
                                      ("mL", "ml"), ("g / L", "g/l")])
def test_spellings_of_the_same_unit(a: str, b: str) -> None:
    assert same_unit(a, b)


def test_different_units_differ() -> None:
    assert not same_unit("°C", "°F") and not same_unit("g", "kg")


def test_a_header_matching_two_things_is_ambiguous() -> None:
    study = Study.from_dict({
        "name": "t", "variables": [{"name": "temp", "label": "Temperature", "low": 0,
                                    "high": 1}],
        "responses": [{"name": "temperature", "goal": "observe"}]})
    match = match_columns(study, ["Temperature"], "Runs")
    assert match.ambiguous == {"Temperature": ["variable temp", "response temperature"]}
    [problem] = match.problems
    assert "--map" in problem.expected
    assert roles(study, ["Temperature"], {"Temperature": "temperature"}) == [
        ("response", "temperature")]


def test_two_columns_for_one_response_are_refused(cream: Study) -> None:
    match = match_columns(cream, ["pH", "ph (-)"], "Runs")
    assert any("column A (pH) already holds response ph" in p.expected for p in match.problems)


def test_an_explicit_mapping_wins_and_can_ignore(cream: Study) -> None:
    header = ["Schaum", "Glycerin", "Kommentar"]
    mapping = {"schaum": "foam_height", "Glycerin": "ignore", "Kommentar": "notes"}
    assert roles(cream, header, mapping) == [("response", "foam_height"), ("notes", "")]


def test_a_mapping_to_nothing_or_from_nowhere_is_an_error(cream: Study) -> None:
    match = match_columns(cream, ["Schaum"], "Runs", {"Schaum": "foam", "Farbe": "ph"})
    messages = [p.expected for p in match.problems]
    assert any("the mapping names 'foam'" in m for m in messages)
    assert any("a column headed 'Farbe'" in m and "'Schaum'" in m for m in messages)


def test_split_unit_takes_only_the_last_bracket() -> None:
    assert split_unit("Water (deionized) [%]") == ("Water (deionized)", "%")
    assert split_unit("Foam Height (mm)") == ("Foam Height", "mm")
    assert split_unit("pH") == ("pH", None)
    assert split_unit("(mm)") == ("(mm)", None)


@given(st.text(st.characters(categories=("L", "N")), min_size=1, max_size=12),
       st.sampled_from(["", " ", "_", "  "]))
def test_normalize_ignores_case_spaces_and_underscores(word: str, sep: str) -> None:
    assert normalize(f"{word}{sep}{word}") == normalize(word.casefold() * 2)
    assert normalize(f"{word.upper()}{sep}") == normalize(word.upper().casefold())
