"""The setup tables: edits go through commands, problems show on their cell."""

from __future__ import annotations

from typing import Any

from nextbatch.ui.main_window import MainWindow
from nextbatch.ui.setup_model import ERROR_BRUSH
from PySide6.QtCore import Qt


def _cell(panel: Any, row_name: str, key: str) -> Any:
    model = panel.model
    row = next(i for i in range(model.rowCount()) if model.record(i).name == row_name)
    col = next(i for i, c in enumerate(model.columns) if c.key == key)
    return model.index(row, col)


def test_edit_a_variable_in_its_cell_and_undo_it(shaving: MainWindow) -> None:
    panel = shaving.view.variables
    index = _cell(panel, "koh", "high")
    assert panel.model.setData(index, "4,5")  # a decimal comma is understood
    assert shaving.document.study.variable("koh").high == 4.5
    assert index.data() == "4.5"
    shaving.undo()
    assert shaving.document.study.variable("koh").high == 4
    assert index.data() == "4"
    shaving.redo()
    assert shaving.document.study.variable("koh").high == 4.5


def test_an_invalid_bound_turns_the_cell_red_with_the_models_message(shaving: MainWindow,
                                                                      qtbot) -> None:
    panel = shaving.view.variables
    doc = shaving.document
    with qtbot.waitSignal(doc.problems_changed):
        assert panel.model.setData(_cell(panel, "koh", "low"), "9")
    high = _cell(panel, "koh", "high")
    assert high.data(Qt.ItemDataRole.BackgroundRole) == ERROR_BRUSH
    tip = high.data(Qt.ItemDataRole.ToolTipRole)
    assert "high must be above low (9)" in tip
    assert "high must be above low" in panel.problem_label.text()
    with qtbot.waitSignal(doc.problems_changed):
        shaving.undo()
    assert high.data(Qt.ItemDataRole.BackgroundRole) != ERROR_BRUSH
    assert not panel.problem_label.isVisible()


def test_text_in_a_number_cell_is_refused_with_a_message(shaving: MainWindow) -> None:
    panel = shaving.view.variables
    assert not panel.model.setData(_cell(panel, "koh", "low"), "lots")
    assert "Low" in panel.model.last_error and "'lots'" in panel.model.last_error
    assert shaving.document.stack.count() == 0


def test_kind_hold_and_levels_are_edited_in_place(shaving: MainWindow) -> None:
    panel = shaving.view.variables
    study = shaving.document.study
    hold = _cell(panel, "mixing_time", "hold")
    assert panel.model.setData(hold, Qt.CheckState.Checked.value, Qt.ItemDataRole.CheckStateRole)
    assert study.variable("mixing_time").hold is True
    assert panel.model.setData(_cell(panel, "process_temp", "allowed"), "60; 62,5; 70")
    assert study.variable("process_temp").values == [60, 62.5, 70]
    assert panel.model.setData(_cell(panel, "emulsifier", "allowed"), "lecithin; soap")
    assert study.variable("emulsifier").levels == ["lecithin", "soap"]
    assert shaving.document.stack.count() == 3


def test_add_move_and_remove_a_variable_are_undoable(shaving: MainWindow) -> None:
    panel = shaving.view.variables
    study = shaving.document.study
    before = [v.name for v in study.variables]
    panel.add_record()
    assert len(study.variables) == len(before) + 1
    new = study.variables[-1].name
    panel.table.setCurrentIndex(panel.model.index(len(before), 0))
    panel.move_selected(-1)
    assert study.variables[-2].name == new
    panel.remove_selected()
    assert [v.name for v in study.variables] == before
    for _ in range(3):
        shaving.undo()
    assert [v.name for v in study.variables] == before


def test_a_rule_is_parsed_while_typing_and_points_at_the_mistake(shaving: MainWindow) -> None:
    panel = shaving.view.constraints
    assert not panel.check_entry("glycerin + koh <=")
    assert "^" in panel.feedback.text()
    assert not panel.check_entry("glycerine + koh <= 12")
    assert "glycerine" in panel.feedback.text()
    assert panel.check_entry("glycerin + koh <= 12")
    assert "✓" in panel.feedback.text()
    panel.entry.setText("glycerin + koh <= 12")
    panel.commit_entry()
    assert shaving.document.study.constraints[-1] == "glycerin + koh <= 12"
    assert panel.rules.count() == len(shaving.document.study.constraints)


def test_conflicting_rules_say_no_recipe_satisfies_them(shaving: MainWindow, qtbot) -> None:
    panel = shaving.view.constraints
    panel.entry.setText("stearic_acid + koh >= 30")
    with qtbot.waitSignal(shaving.document.problems_changed):
        panel.commit_entry()
    assert "No recipe satisfies these rules" in panel.verdict.text()
    assert "stearic_acid + koh >= 30" in panel.verdict.text()
    with qtbot.waitSignal(shaving.document.problems_changed):
        shaving.undo()
    assert "Recipes exist" in panel.verdict.text()


def test_a_rule_can_be_changed_and_removed(shaving: MainWindow) -> None:
    panel = shaving.view.constraints
    study = shaving.document.study
    panel._start_editing(panel.rules.item(0))
    panel.entry.setText("stearic_acid - 3*koh >= 0")
    panel.commit_entry()
    assert study.constraints[0] == "stearic_acid - 3*koh >= 0"
    panel.rules.setCurrentRow(0)
    panel.remove_selected()
    assert study.constraints == []


def test_response_goal_and_limits(shaving: MainWindow) -> None:
    panel = shaving.view.responses
    study = shaving.document.study
    goal = _cell(panel, "foam_height", "goal")
    assert goal.data() == "as high as possible"  # the lab's words, not the optimizer's
    assert panel.model.setData(goal, "hit a target")
    assert panel.model.setData(_cell(panel, "foam_height", "target"), "45")
    assert study.response("foam_height").goal == "target"
    assert goal.data() == "hit a target"
    assert study.response("foam_height").target == 45
    assert not panel.model.setData(_cell(panel, "foam_height", "goal"), "bigger")
    assert "not one of" in panel.model.last_error


def test_mixture_batch_amount(shaving: MainWindow) -> None:
    panel = shaving.view.mixtures
    assert panel.model.setData(_cell(panel, "base", "batch_amount"), "750")
    assert shaving.document.study.mixture("base").batch_amount == 750


def test_study_name_edit_is_undoable(shaving: MainWindow) -> None:
    view = shaving.view
    view.name_edit.setText("Cream for winter")
    view._commit_name()
    assert shaving.document.study.name == "Cream for winter"
    assert shaving.windowTitle().startswith("*Cream for winter")
    shaving.undo()
    assert view.name_edit.text() == "Shaving cream base"


def test_setup_models_pass_the_model_tester(shaving: MainWindow, qtmodeltester) -> None:
    for panel in (shaving.view.variables, shaving.view.mixtures, shaving.view.responses):
        qtmodeltester.check(panel.model, force_py=False)
        panel.add_record()
        qtmodeltester.check(panel.model, force_py=False)
