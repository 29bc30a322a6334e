import pytest
from nextbatch.core import Study, StudyError


def _sorted(d):
    """Key order is irrelevant to JSON equality; compare as nested sorted structures."""
    if isinstance(d, dict):
        return {k: _sorted(v) for k, v in sorted(d.items())}
    if isinstance(d, list):
        return [_sorted(v) for v in d]
    return d


def test_design_example_round_trips_exactly(design_dict):
    assert _sorted(Study.from_dict(design_dict).to_dict()) == _sorted(design_dict)


def test_unknown_keys_are_kept_on_save(design_dict):
    design_dict["variables"][0]["colour"] = "blue"
    design_dict["lab"] = "north"
    out = Study.from_dict(design_dict).to_dict()
    assert out["variables"][0]["colour"] == "blue"
    assert out["lab"] == "north"


def test_wrong_types_are_all_reported_with_paths(design_dict):
    design_dict["variables"][1]["low"] = "five"
    design_dict["runs"][0]["results"]["ph"] = "high"
    with pytest.raises(StudyError) as info:
        Study.from_dict(design_dict)
    paths = {p.path for p in info.value.problems}
    assert paths == {"variables[1].low", "runs[0].results.ph"}
    assert "'five'" in str(info.value)


def test_newer_version_is_refused_by_name(design_dict):
    design_dict["version"] = 7
    with pytest.raises(StudyError, match="newer NextBatch"):
        Study.from_dict(design_dict)


def test_new_run_ids_skip_taken_ones(design_study):
    assert design_study.new_run_ids(1, 2) == ["B01-02", "B01-03"]
    assert design_study.next_batch_number() == 2


def test_integer_grid_and_why_not(design_study):
    mixing = design_study.variable("mixing_time")
    assert mixing.grid() == [5, 10, 15, 20, 25, 30]
    assert mixing.allows(20)
    assert "grid" in mixing.why_not(12)
    assert "above the upper bound 30" in mixing.why_not(35)
    assert design_study.variable("emulsifier").why_not("soap").startswith("'soap' is not one")
