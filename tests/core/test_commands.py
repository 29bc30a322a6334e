import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nextbatch.core import (
    GOALS,
    KINDS,
    STATUSES,
    CommandError,
    Mixture,
    Response,
    Run,
    Study,
    Variable,
)
from nextbatch.core import commands as c
from strategies import labels, mixtures, names, numbers, responses, studies, variables


def snapshot(study: Study) -> str:
    """The study as its file would hold it; comparing texts also compares key order."""
    return json.dumps(study.to_dict(), allow_nan=True)


# --------------------------------------------------------------- random command sequences
def _mostly(draw, good, bad):
    """Four times in five a value that fits (the edit may go through), else one that may not."""
    return draw(draw(st.sampled_from([good, good, good, good, bad])))


def _some(draw, existing, other=names):
    return _mostly(draw, st.sampled_from(existing), other) if existing else draw(other)


def _index(draw, items):
    good = st.integers(0, len(items) - 1) if items else st.just(0)
    return _mostly(draw, good, st.integers(-1, len(items) + 1))


def _edit(draw, fields):
    """Changes to one or two fields, each value usually of the right type."""
    junk = numbers | labels | st.none() | st.booleans() | st.just(float("nan"))
    keys = draw(st.lists(st.sampled_from(list(fields)), min_size=1, max_size=2, unique=True))
    return {key: _mostly(draw, fields[key], junk) for key in keys}


@st.composite
def commands(draw, study: Study) -> c.Command:
    """Any command, with arguments that fit `study` most of the time."""
    var_names = [v.name for v in study.variables]
    resp_names = [r.name for r in study.responses]
    mix_names = [m.name for m in study.mixtures]
    run_ids = [r.id for r in study.runs]
    numeric = study.numeric_names() or ["nothing"]
    good_rule = st.builds(lambda a, b, k, op: f"{a} + {k}*{b} {op} 10",
                          st.sampled_from(numeric), st.sampled_from(numeric),
                          st.integers(-3, 3), st.sampled_from(["<=", ">="]))
    bad_rule = st.sampled_from(["", "koh >=", "2 water <= 1", "x ! 3", "nothing >= 1"])
    optional_number = st.none() | numbers
    variable_edit = {
        "name": names, "low": optional_number, "high": optional_number,
        "step": optional_number, "label": labels, "unit": labels, "hold": st.booleans(),
        "kind": st.sampled_from(KINDS), "levels": st.lists(labels, max_size=3),
        "values": st.lists(numbers, max_size=3),
        "mixture": st.sampled_from([None, *mix_names]),
    }
    response_edit = {
        "name": names, "goal": st.sampled_from(GOALS), "target": optional_number,
        "low": optional_number, "importance": st.integers(1, 5), "unit": labels,
    }
    mixture_edit = {"name": names, "total": st.sampled_from([1, 100]),
                    "batch_amount": st.none() | st.integers(1, 1000), "label": labels}
    kind = draw(st.sampled_from([
        "add_var", "edit_var", "remove_var", "move_var", "add_resp", "edit_resp",
        "remove_resp", "move_resp", "add_mix", "edit_mix", "remove_mix", "move_mix",
        "add_rule", "edit_rule", "remove_rule", "move_rule", "add_runs", "remove_runs",
        "record", "clear", "status", "notes", "actual", "info", "setting", "composite"]))
    if kind == "add_var":
        mixture = draw(st.none() | st.sampled_from(mix_names or ["none_such"]))
        fresh = st.builds("v{}_{}".format, st.just(len(var_names)), st.integers(0, 99))
        variable = draw(variables(name=_mostly(draw, fresh, names), mixture=mixture))
        return c.AddVariable(variable, _mostly(draw, st.none(), st.integers(-1, 9)))
    if kind == "edit_var":
        return c.EditVariable(_some(draw, var_names), _edit(draw, variable_edit))
    if kind == "remove_var":
        return c.RemoveVariable(_some(draw, var_names))
    if kind == "move_var":
        return c.MoveVariable(_some(draw, var_names), _index(draw, var_names))
    if kind == "add_resp":
        fresh = st.builds("r{}_{}".format, st.just(len(resp_names)), st.integers(0, 99))
        return c.AddResponse(draw(responses(name=_mostly(draw, fresh, names))))
    if kind == "edit_resp":
        return c.EditResponse(_some(draw, resp_names), _edit(draw, response_edit))
    if kind == "remove_resp":
        return c.RemoveResponse(_some(draw, resp_names))
    if kind == "move_resp":
        return c.MoveResponse(_some(draw, resp_names), _index(draw, resp_names))
    if kind == "add_mix":
        return c.AddMixture(draw(mixtures()))
    if kind == "edit_mix":
        return c.EditMixture(_some(draw, mix_names), _edit(draw, mixture_edit))
    if kind == "remove_mix":
        return c.RemoveMixture(_some(draw, mix_names))
    if kind == "move_mix":
        return c.MoveMixture(_some(draw, mix_names), _index(draw, mix_names))
    if kind == "add_rule":
        return c.AddConstraint(_mostly(draw, good_rule, bad_rule),
                               _mostly(draw, st.none(), st.integers(-1, 3)))
    if kind == "edit_rule":
        return c.EditConstraint(_index(draw, study.constraints), _mostly(draw, good_rule, bad_rule))
    if kind == "remove_rule":
        return c.RemoveConstraint(_index(draw, study.constraints))
    if kind == "move_rule":
        return c.MoveConstraint(_index(draw, study.constraints),
                                _index(draw, study.constraints))
    if kind == "add_runs":
        return c.AddRuns(draw(st.lists(st.builds(
            Run, id=st.from_regex(r"B9\d-\d\d", fullmatch=True) | _some_id(run_ids),
            status=st.sampled_from([*STATUSES, "lost"]),
            settings=st.dictionaries(_some_name(var_names), numbers | labels, max_size=3),
            results=st.dictionaries(_some_name(resp_names), numbers, max_size=2),
            notes=labels), min_size=1, max_size=2)))
    if kind == "remove_runs":
        return c.RemoveRuns(draw(st.lists(_some_id(run_ids), min_size=1, max_size=2)))
    if kind == "record":
        results = draw(st.dictionaries(_some_name(resp_names), numbers | st.just(float("inf")),
                                       max_size=2))
        return c.RecordResults(draw(_some_id(run_ids)), results,
                               draw(st.none() | st.just("2026-12-03T10:00:00Z")),
                               draw(st.sampled_from([*STATUSES, "lost"])))
    if kind == "clear":
        return c.ClearResults(draw(_some_id(run_ids)),
                              draw(st.none() | st.lists(_some_name(resp_names), max_size=2)))
    if kind == "status":
        return c.SetRunStatus(draw(_some_id(run_ids)), draw(st.sampled_from([*STATUSES, "x"])))
    if kind == "notes":
        return c.SetRunNotes(draw(_some_id(run_ids)), draw(labels | st.just(3)))
    if kind == "actual":
        return c.SetActualSettings(draw(_some_id(run_ids)), draw(st.dictionaries(
            _some_name(var_names), numbers | labels, max_size=2)))
    if kind == "info":
        return c.EditStudyInfo(draw(st.none() | labels), draw(st.none() | labels | st.just(1)))
    if kind == "setting":
        return c.SetStudySetting(draw(st.sampled_from(["batch_size", "seed", ""])),
                                 draw(st.none() | st.integers(-1, 9) | labels |
                                      st.just(float("nan"))))
    return c.CompositeCommand("Several edits", [draw(commands(study)), draw(commands(study))])


def _some_id(run_ids):
    other = st.just("B99-99")
    return st.sampled_from([*[st.sampled_from(run_ids)] * 4, other]).flatmap(
        lambda s: s) if run_ids else other


def _some_name(existing):
    return st.sampled_from(existing) if existing else names


SEQUENCES = settings(max_examples=100, deadline=None)


@SEQUENCES
@given(study=studies(), data=st.data())
def test_apply_then_revert_restores_the_study_exactly(study, data):
    for _ in range(data.draw(st.integers(1, 10))):
        command = data.draw(commands(study))
        before = snapshot(study)
        try:
            command.apply(study)
        except CommandError:
            assert snapshot(study) == before, "a refused edit changed the study"
            continue
        after = snapshot(study)
        assert Study.from_dict(study.to_dict()) == study, "an accepted edit broke a field type"
        command.revert(study)
        assert snapshot(study) == before
        command.apply(study)
        assert snapshot(study) == after


@SEQUENCES
@given(study=studies(), data=st.data())
def test_undo_all_gives_the_original_and_redo_all_the_final_study(study, data):
    history = c.History(study)
    states = [snapshot(study)]
    for _ in range(data.draw(st.integers(1, 10))):
        try:
            history.do(data.draw(commands(study)))
        except CommandError:
            assert snapshot(study) == states[-1]
            continue
        states.append(snapshot(study))
    for expected in reversed(states[:-1]):
        history.undo()
        assert snapshot(study) == expected
    assert not history.can_undo
    for expected in states[1:]:
        history.redo()
        assert snapshot(study) == expected
    assert not history.can_redo


# ---------------------------------------------------------------------------- variables
def test_renaming_a_variable_renames_it_in_rules_and_runs_token_wise(design_study):
    study = design_study
    study.constraints.append("koh2 + 2*koh <= 12")
    study.variables.append(c.copy.deepcopy(study.variable("koh")))
    study.variables[-1].name = "koh2"
    study.runs[0].actual = {"koh": 2.4}
    c.EditVariable("koh", {"name": "potash", "label": "Potash"}).apply(study)
    assert study.constraints == ["stearic_acid - 2*potash >= 0", "koh2 + 2*potash <= 12"]
    assert list(study.runs[0].settings) == ["water", "stearic_acid", "potash", "mixing_time",
                                            "process_temp", "emulsifier"]
    assert study.runs[0].actual == {"potash": 2.4}
    assert study.variable("potash").label == "Potash"


def test_renaming_onto_an_old_setting_of_a_run_is_refused(design_study):
    design_study.runs[0].settings["potash"] = 1.0  # left over from a removed variable
    with pytest.raises(CommandError, match="run B01-01 already has settings for 'potash'"):
        c.EditVariable("koh", {"name": "potash"}).apply(design_study)


@pytest.mark.parametrize("name", ["2koh", "koh acid", "class", "", "stearic_acid", "ph"])
def test_names_a_rule_could_not_use_or_that_are_taken_are_refused(design_study, name):
    with pytest.raises(CommandError, match=repr(name)):
        c.EditVariable("koh", {"name": name}).apply(design_study)


def test_a_variable_used_by_a_rule_cannot_be_removed(design_study):
    with pytest.raises(CommandError, match="the rule 'stearic_acid - 2\\*koh >= 0'"):
        c.RemoveVariable("koh").apply(design_study)
    c.RemoveConstraint(0).apply(design_study)
    c.RemoveVariable("koh").apply(design_study)
    assert "koh" not in design_study.numeric_names()
    assert design_study.runs[0].settings["koh"] == 2.5  # the run keeps what was done


@pytest.mark.parametrize(("changes", "message"), [
    ({"low": "5"}, "low = '5' is not allowed; expected a finite number"),
    ({"high": float("inf")}, "high = inf is not allowed"),
    ({"kind": "ordinal"}, "kind = 'ordinal' is not allowed; expected one of continuous"),
    ({"hold": "yes"}, "hold = 'yes' is not allowed; expected true or false"),
    ({"colour": "red"}, "there is no field 'colour'"),
    ({"mixture": "oil_phase"}, "there is no mixture named 'oil_phase'"),
    ({"kind": "categorical"}, "cannot become categorical: the rule"),
])
def test_bad_variable_edits_name_field_value_and_expectation(design_study, changes, message):
    before = snapshot(design_study)
    with pytest.raises(CommandError, match=message.replace("*", "\\*")) as info:
        c.EditVariable("koh", changes).apply(design_study)
    assert "'koh'" in str(info.value)
    assert snapshot(design_study) == before


def test_add_and_move_variables(design_study):
    study = design_study
    new = Variable("glycerin", low=3, high=10, unit="%", mixture="base")
    add = c.AddVariable(new, index=1)
    add.apply(study)
    assert [v.name for v in study.variables][:3] == ["water", "glycerin", "stearic_acid"]
    new.low = -99  # the command keeps its own copy
    assert study.variable("glycerin").low != -99
    c.MoveVariable("glycerin", 5).apply(study)
    assert study.variables[5].name == "glycerin"
    with pytest.raises(CommandError, match="positions are 0–6"):
        c.MoveVariable("glycerin", 7).apply(study)
    with pytest.raises(CommandError, match="already used"):
        c.AddVariable(new).apply(study)


# ------------------------------------------------------------- responses and mixtures
def test_renaming_a_response_renames_results_and_predictions(design_study):
    run = design_study.runs[0]
    run.predicted = {"ph": (9.0, 0.2)}
    c.EditResponse("ph", {"name": "ph_25c"}).apply(design_study)
    assert list(run.results) == ["foam_height", "viscosity", "ph_25c"]
    assert run.predicted == {"ph_25c": (9.0, 0.2)}


@pytest.mark.parametrize(("changes", "message"), [
    ({"goal": "maximise"}, "goal = 'maximise' is not allowed; expected one of maximize"),
    ({"importance": 7}, "importance = 7 is not allowed; expected a number from 1 to 5"),
    ({"target": "high"}, "target = 'high' is not allowed"),
    ({"name": "koh"}, "'koh' is already used"),
])
def test_bad_response_edits_are_refused(design_study, changes, message):
    with pytest.raises(CommandError, match=message):
        c.EditResponse("viscosity", changes).apply(design_study)


def test_response_list_edits_round_trip(design_study):
    history = c.History(design_study)
    history.do(c.AddResponse(Response("hardness", goal="observe", unit="g"), 0))
    history.do(c.MoveResponse("hardness", 3))
    history.do(c.RemoveResponse("foam_height"))
    assert [r.name for r in design_study.responses] == ["viscosity", "ph", "hardness"]
    assert "foam_height" in design_study.runs[0].results


def test_renaming_a_mixture_carries_its_components_along(design_study):
    c.EditMixture("base", {"name": "cream", "total": 1}).apply(design_study)
    assert [v.name for v in design_study.components("cream")] == ["water", "stearic_acid",
                                                                   "koh"]
    assert design_study.mixture("cream").total == 1


def test_removing_a_mixture_frees_its_components_and_undo_joins_them_again(design_study):
    remove = c.RemoveMixture("base")
    remove.apply(design_study)
    assert design_study.mixtures == []
    assert design_study.variable("water").mixture is None
    remove.revert(design_study)
    assert len(design_study.components("base")) == 3


def test_mixture_edits_are_type_checked(design_study):
    with pytest.raises(CommandError, match="total = 0 is not allowed; expected a positive"):
        c.EditMixture("base", {"total": 0}).apply(design_study)
    with pytest.raises(CommandError, match="already used"):
        c.AddMixture(Mixture("base")).apply(design_study)
    c.AddMixture(Mixture("oil_phase", total=1)).apply(design_study)
    c.MoveMixture("oil_phase", 0).apply(design_study)
    assert [m.name for m in design_study.mixtures] == ["oil_phase", "base"]


# ---------------------------------------------------------------------------- rules
def test_rules_are_parsed_before_they_are_accepted(design_study):
    with pytest.raises(CommandError, match="unknown variable 'glycerol'") as info:
        c.AddConstraint("glycerol + koh <= 12").apply(design_study)
    assert "^" in str(info.value)  # the parser's pointer at the bad token
    with pytest.raises(CommandError, match=r"unknown variable 'emulsifier'"):
        c.AddConstraint("emulsifier <= 1").apply(design_study)
    c.AddConstraint("  water + koh <= 90 ", 0).apply(design_study)
    assert design_study.constraints[0] == "water + koh <= 90"


def test_rule_edits_by_position(design_study):
    c.AddConstraint("water >= 65").apply(design_study)
    c.EditConstraint(1, "water >= 62").apply(design_study)
    c.MoveConstraint(1, 0).apply(design_study)
    assert design_study.constraints == ["water >= 62", "stearic_acid - 2*koh >= 0"]
    c.RemoveConstraint(0).apply(design_study)
    assert design_study.constraints == ["stearic_acid - 2*koh >= 0"]
    with pytest.raises(CommandError, match=r"no rule number 3 \(the study has 1 rule, "):
        c.EditConstraint(3, "water >= 62").apply(design_study)


# ----------------------------------------------------------------------------- runs
def test_added_run_ids_must_be_new(design_study):
    before = snapshot(design_study)
    with pytest.raises(CommandError, match="run ID 'B01-01' is already used"):
        c.AddRuns([Run("B01-02"), Run("B01-01")]).apply(design_study)
    with pytest.raises(CommandError, match="run ID 'B02-01' is already used"):
        c.AddRuns([Run("B02-01"), Run("B02-01")]).apply(design_study)
    assert snapshot(design_study) == before
    add = c.AddRuns([Run("B02-01"), Run("B02-02")])
    assert add.label == "Add 2 runs"
    add.apply(design_study)
    c.RemoveRuns(["B01-01"]).apply(design_study)
    assert [r.id for r in design_study.runs] == ["B02-01", "B02-02"]


def test_recording_results_merges_and_undo_restores_the_old_ones(design_study):
    run = design_study.runs[0]
    run.status, run.measured = "planned", None
    record = c.RecordResults("B01-01", {"ph": 8.9, "viscosity": 5100}, measured=None)
    record.apply(design_study)
    assert run.results == {"foam_height": 41.2, "viscosity": 5100, "ph": 8.9}
    assert run.status == "done"
    assert run.measured is not None
    record.revert(design_study)
    assert run.results == {"foam_height": 41.2, "viscosity": 4300, "ph": 9.1}
    assert (run.status, run.measured) == ("planned", None)


@pytest.mark.parametrize(("results", "status", "message"), [
    ({"foam": 40}, "done", "there is no response named 'foam'"),
    ({"ph": float("nan")}, "done", "results = {'ph': nan} is not allowed; expected a mapping"),
    ({"ph": "9"}, "done", "expected a mapping of response names to finite numbers"),
    ({"ph": 9}, "finished", "status = 'finished' is not allowed; expected one of planned"),
])
def test_bad_results_are_refused(design_study, results, status, message):
    with pytest.raises(CommandError, match=message):
        c.RecordResults("B01-01", results, status=status).apply(design_study)


def test_clearing_some_or_all_results(design_study):
    run = design_study.runs[0]
    c.ClearResults("B01-01", ["ph"]).apply(design_study)
    assert list(run.results) == ["foam_height", "viscosity"]
    with pytest.raises(CommandError,
                       match=r"run B01-01 has no result for 'ph' \(it has results for: 'foam_"):
        c.ClearResults("B01-01", ["ph"]).apply(design_study)
    c.ClearResults("B01-01").apply(design_study)
    assert run.results == {}


def test_run_status_notes_and_actual_settings(design_study):
    run = design_study.runs[0]
    c.SetRunStatus("B01-01", "failed").apply(design_study)
    c.SetRunNotes("B01-01", "Curdled at 60 °C").apply(design_study)
    c.SetActualSettings("B01-01", {"koh": 2.6, "emulsifier": "polysorbate 80"}).apply(
        design_study)
    assert (run.status, run.notes) == ("failed", "Curdled at 60 °C")
    assert run.effective_settings()["koh"] == 2.6
    with pytest.raises(CommandError, match="actual emulsifier = 3; expected one of its levels"):
        c.SetActualSettings("B01-01", {"emulsifier": 3}).apply(design_study)
    with pytest.raises(CommandError, match="actual koh = 'a lot'; expected a number"):
        c.SetActualSettings("B01-01", {"koh": "a lot"}).apply(design_study)
    with pytest.raises(CommandError, match="there is no variable named 'kooh'"):
        c.SetActualSettings("B01-01", {"kooh": 1}).apply(design_study)
    with pytest.raises(CommandError, match="there is no run with ID 'B07-01'"):
        c.SetRunStatus("B07-01", "done").apply(design_study)


# ---------------------------------------------------------------------------- study
def test_study_info_and_settings(design_study):
    c.EditStudyInfo(name="Shaving cream v2").apply(design_study)
    assert design_study.name == "Shaving cream v2"
    c.SetStudySetting("batch_size", 6).apply(design_study)
    assert design_study.batch_size == 6
    with pytest.raises(CommandError, match="batch_size = 0: expected a whole number"):
        c.SetStudySetting("batch_size", 0).apply(design_study)
    c.SetStudySetting("batch_size", None).apply(design_study)
    assert "batch_size" not in design_study.settings
    with pytest.raises(CommandError, match="description = 5 is not allowed"):
        c.EditStudyInfo(description=5).apply(design_study)


# ------------------------------------------------------------------ composite, history
def test_a_composite_that_fails_halfway_undoes_its_first_part(design_study):
    before = snapshot(design_study)
    both = c.CompositeCommand("Rename and break", [
        c.EditVariable("koh", {"name": "potash"}),
        c.EditVariable("water", {"low": "sixty"}),
    ])
    with pytest.raises(CommandError, match="low = 'sixty'"):
        both.apply(design_study)
    assert snapshot(design_study) == before


def test_history_labels_clean_state_and_listeners(design_study):
    history = c.History(design_study)
    calls = []
    history.listeners.append(lambda: calls.append(history.undo_label))
    assert history.is_clean and not history.can_undo and history.undo_label == ""
    history.do(c.EditVariable("koh", {"high": 5}))
    assert history.undo_label == "Edit variable 'koh'"
    assert not history.is_clean
    history.mark_clean()
    history.do(c.SetRunNotes("B01-01", "ok"))
    history.undo()
    assert history.is_clean
    assert history.redo_label == "Edit notes of run B01-01"
    with pytest.raises(CommandError):
        history.do(c.RemoveVariable("koh"))  # refused: not recorded, no notification
    assert history.can_redo
    history.undo()
    history.do(c.SetRunStatus("B01-01", "skipped"))  # the saved state is no longer reachable
    assert not history.can_redo
    while history.can_undo:
        history.undo()
        assert not history.is_clean
    assert calls == ["Edit variable 'koh'", "Edit variable 'koh'", "Edit notes of run B01-01",
                     "Edit variable 'koh'", "", "Set status of run B01-01", ""]
    with pytest.raises(CommandError, match="nothing to undo"):
        history.undo()
