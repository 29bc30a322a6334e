"""The lab loop end to end: suggest, pick, add to runs, export, import the filled sheet."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
import pytest
from nextbatch.ui.candidates_model import predicted_text
from nextbatch.ui.import_dialog import ImportDialog
from nextbatch.ui.main_window import MainWindow
from nextbatch.ui.next_batch_panel import exploration_words
from PySide6.QtCore import Qt

WAIT_MS = 60_000


def _suggest(window: MainWindow, qtbot: Any, size: int = 2) -> Any:
    panel = window.view.next_batch
    panel.batch_size.setValue(size)
    job = panel.suggest()
    assert job is not None
    assert not panel.suggest_button.isEnabled() and panel.cancel_button.isEnabled()
    with qtbot.waitSignal(job.finished, timeout=WAIT_MS):
        pass
    return panel


def _fill_sheet(path: Path, study: Any, values: dict[str, float]) -> None:
    """Type results into every run row of an exported sheet, as the lab would in Excel."""
    book = openpyxl.load_workbook(path)
    sheet = book["Runs"]
    headers = {cell.value: cell.column for cell in sheet[1]}
    for row in range(2, sheet.max_row + 1):
        if not str(sheet.cell(row, 1).value or "").startswith("B"):
            continue
        for name, value in values.items():
            sheet.cell(row, headers[study.response(name).header]).value = value
    book.save(path)


def test_suggest_add_export_import_shows_results_in_the_runs_table(
        shaving: MainWindow, qtbot, answers, tmp_path: Path) -> None:
    """The shaving cream, with its mixture and weigh-out amounts, through the whole loop."""
    panel = _suggest(shaving, qtbot)
    candidates = panel.candidates
    assert candidates.rowCount() == 2
    study = shaving.document.study
    assert all(study.check_recipe(c.settings) == [] for c in candidates.candidates)
    col = candidates.prediction_column("foam_height")
    shown = candidates.index(0, col).data()
    assert shown.endswith(" mm") and "±" in shown
    assert candidates.index(0, candidates.columnCount() - 1).data()  # the reason
    assert "Foam height" in candidates.headerData(col, Qt.Orientation.Horizontal)

    ids = panel.add_to_runs()
    assert len(ids) == 2 and all(study.run(i).status == "planned" for i in ids)
    assert shaving.view.currentWidget() is shaving.view.runs
    assert study.run(ids[0]).predicted  # kept from the suggestion
    shaving._update_actions()
    assert shaving.undo_action.text() == "&Undo Add 2 runs"

    sheet = tmp_path / "batch.xlsx"
    answers.paths.append(sheet)
    job = shaving.view.export_sheet()
    with qtbot.waitSignal(job.finished, timeout=WAIT_MS):
        pass
    assert sheet.is_file()

    _fill_sheet(sheet, study, {"foam_height": 44.5, "viscosity": 5200, "ph": 9.0})
    seen: list[ImportDialog] = []

    def review(preview: Any) -> Any:
        dialog = ImportDialog(preview)
        seen.append(dialog)
        assert dialog.can_apply
        return dialog.command()

    answers.import_review = review
    job = shaving.view.import_results(sheet)
    with qtbot.waitSignal(job.finished, timeout=WAIT_MS):
        pass
    assert seen and len(seen[0].preview.runs_updated) == 2
    assert [study.run(i).results["foam_height"] for i in ids] == [44.5, 44.5]
    assert all(study.run(i).status == "done" for i in ids)
    model = shaving.view.runs.model
    row = [model.run(r).id for r in range(model.rowCount())].index(ids[0])
    assert model.index(row, model.column_of("result", "viscosity")).data() == "5200"
    shaving.undo()  # the whole import is one step
    assert all(study.run(i).results == {} for i in ids)


def test_unticked_candidates_are_left_out(tiny: MainWindow, qtbot) -> None:
    panel = _suggest(tiny, qtbot)
    model = panel.candidates
    assert model.setData(model.index(0, 0), Qt.CheckState.Unchecked.value,
                         Qt.ItemDataRole.CheckStateRole)
    kept = model.candidates[1].settings
    ids = panel.add_to_runs()
    assert len(ids) == 1
    assert tiny.document.study.run(ids[0]).settings == kept


def test_editing_a_candidate_updates_its_prediction_off_the_gui_thread(tiny: MainWindow,
                                                                        qtbot) -> None:
    panel = _suggest(tiny, qtbot)
    model = panel.candidates
    col = model.setting_column("time")
    old = dict(model.candidates[0].predicted)
    new_value = 40 if model.candidates[0].settings["time"] != 40 else 10
    with qtbot.waitSignal(model.dataChanged, timeout=WAIT_MS,
                          check_params_cb=lambda *_: not model.candidates[0].updating):
        assert model.setData(model.index(0, col), str(new_value))
        assert model.index(0, col + 0).data() == str(new_value)
    candidate = model.candidates[0]
    assert candidate.settings["time"] == new_value
    assert candidate.predicted and candidate.predicted != old
    assert candidate.reason == "Changed by you."


def test_a_recipe_of_my_own_is_added_with_a_prediction(tiny: MainWindow, qtbot) -> None:
    panel = tiny.view.next_batch
    model = panel.candidates
    with qtbot.waitSignal(model.dataChanged, timeout=WAIT_MS,
                          check_params_cb=lambda *_: not model.candidates[0].updating):
        row = panel.add_own_recipe()
    candidate = model.candidates[row]
    assert candidate.source == "manual"
    assert set(candidate.settings) == {v.name for v in tiny.document.study.variables}
    ids = panel.add_to_runs()
    assert tiny.document.study.run(ids[0]).source == "manual"


def test_cancel_stops_the_suggestion_and_changes_nothing(tiny: MainWindow, qtbot) -> None:
    panel = tiny.view.next_batch
    job = panel.suggest()
    with qtbot.waitSignal(job.cancelled, timeout=WAIT_MS):
        panel.cancel()
    assert panel.candidates.rowCount() == 0
    assert "Stopped" in panel.status_text()
    assert panel.suggest_button.isEnabled()
    assert tiny.document.stack.count() == 0


def test_fixed_value_for_this_batch_is_honoured(tiny: MainWindow, qtbot) -> None:
    panel = tiny.view.next_batch
    panel.fixed.boxes["time"].setCurrentText("20")
    panel.fixed.boxes["flour"].setCurrentText("spelt")
    _suggest(tiny, qtbot)
    assert {c.settings["time"] for c in panel.candidates.candidates} == {20}
    assert {c.settings["flour"] for c in panel.candidates.candidates} == {"spelt"}


def test_a_study_with_errors_reports_why_no_batch(tiny: MainWindow, qtbot, answers) -> None:
    from nextbatch.core import commands

    tiny.document.do(commands.EditVariable("sugar", {"low": 90}))
    _suggest(tiny, qtbot)
    assert tiny.view.next_batch.candidates.rowCount() == 0
    message = answers.messages[-1][1]
    assert "Suggesting the next batch failed" in message and "90" in message
    assert "No batch" in tiny.view.next_batch.status_text()


def test_candidates_model_passes_the_model_tester(tiny: MainWindow, qtbot,
                                                  qtmodeltester) -> None:
    panel = _suggest(tiny, qtbot)
    qtmodeltester.check(panel.candidates, force_py=False)


@pytest.mark.parametrize(("mean", "sd", "unit", "text"), [
    (41.23, 3.1, "mm", "41.2 ± 3.1 mm"),
    (5012.7, 250.0, "cP", "5013 ± 250 cP"),
    (9.123, 0.05, "", "9.123 ± 0.050"),
])
def test_predictions_read_in_the_results_units(mean, sd, unit, text) -> None:
    assert predicted_text(mean, sd, unit) == text


def test_explore_slider_speaks_plainly() -> None:
    assert exploration_words(0) == "Refine the best recipes so far"
    assert exploration_words(10) == "Try new territory"


def test_a_level_is_picked_from_its_options(tiny: MainWindow, qtbot) -> None:
    from PySide6.QtWidgets import QComboBox, QStyleOptionViewItem

    panel = _suggest(tiny, qtbot)
    model = panel.candidates
    index = model.index(0, model.setting_column("flour"))
    delegate = panel.table.itemDelegate()
    editor = delegate.createEditor(panel.table.viewport(), QStyleOptionViewItem(), index)
    assert isinstance(editor, QComboBox)
    assert [editor.itemText(i) for i in range(editor.count())] == ["wheat", "spelt"]
    other = "spelt" if model.candidates[0].settings["flour"] == "wheat" else "wheat"
    editor.setCurrentText(other)
    with qtbot.waitSignal(model.dataChanged, timeout=WAIT_MS,
                          check_params_cb=lambda *_: not model.candidates[0].updating):
        delegate.setModelData(editor, model, index)
    assert model.candidates[0].settings["flour"] == other
    sugar = delegate.createEditor(panel.table.viewport(), QStyleOptionViewItem(),
                                  model.index(0, model.setting_column("sugar")))
    assert not isinstance(sugar, QComboBox)  # any number in the range
    editor.deleteLater()
    sugar.deleteLater()
