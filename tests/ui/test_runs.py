"""The runs table: results typed or pasted in place, statuses, filters, sorting."""

from __future__ import annotations

from nextbatch.core import commands
from nextbatch.core.runs import Run
from nextbatch.ui.main_window import MainWindow
from nextbatch.ui.runs_model import PLANNED_BRUSH
from PySide6.QtCore import QItemSelectionModel, Qt


def _add_planned(window: MainWindow, count: int = 3) -> list[str]:
    study = window.document.study
    batch = study.next_batch_number()
    ids = study.new_run_ids(batch, count)
    template = study.runs[0].settings
    runs = [Run(id=i, batch=batch, status="planned", source="suggested",
                settings=dict(template)) for i in ids]
    assert window.document.do(commands.AddRuns(runs))
    return ids


def _select(panel, rows: range, columns: range) -> None:
    table = panel.table
    table.clearSelection()
    model = table.model()
    select = QItemSelectionModel.SelectionFlag.Select
    for r in rows:
        for c in columns:
            table.selectionModel().select(model.index(r, c), select)


def _proxy_row(panel, run_id: str) -> int:
    proxy = panel.proxy
    return next(r for r in range(proxy.rowCount()) if proxy.index(r, 0).data() == run_id)


def test_planned_runs_stand_out(shaving: MainWindow) -> None:
    ids = _add_planned(shaving)
    model = shaving.view.runs.model
    row = [model.run(r).id for r in range(model.rowCount())].index(ids[0])
    assert model.index(row, 0).data(Qt.ItemDataRole.BackgroundRole) == PLANNED_BRUSH
    assert model.index(0, 0).data(Qt.ItemDataRole.BackgroundRole) is None
    assert "3 planned" in shaving.view.runs.summary.text()


def test_type_a_result_in_place_marks_the_run_done_and_undo_restores(shaving: MainWindow) -> None:
    ids = _add_planned(shaving)
    model = shaving.view.runs.model
    row = [model.run(r).id for r in range(model.rowCount())].index(ids[0])
    col = model.column_of("result", "foam_height")
    assert model.setData(model.index(row, col), "47,5")
    run = shaving.document.study.run(ids[0])
    assert run.results == {"foam_height": 47.5}
    assert run.status == "done"
    shaving.undo()
    assert run.results == {} and run.status == "planned"


def test_paste_a_block_copied_from_excel_with_decimal_commas(shaving: MainWindow) -> None:
    ids = _add_planned(shaving)
    panel = shaving.view.runs
    model = panel.model
    panel.status_filter.setCurrentIndex(panel.status_filter.findData("planned"))
    assert panel.proxy.rowCount() == 3
    first = model.column_of("result", "foam_height")
    _select(panel, range(0, 1), range(first, first + 1))
    block = "41,2\t4300\t9,1\r\n38\t5 100\t8,9\r\n"
    assert panel.table.paste_text(block)
    study = shaving.document.study
    assert study.run(ids[0]).results == {"foam_height": 41.2, "viscosity": 4300, "ph": 9.1}
    assert study.run(ids[1]).results == {"foam_height": 38, "viscosity": 5100, "ph": 8.9}
    assert study.run(ids[2]).results == {}
    assert shaving.document.stack.count() == 2  # add runs, then one step for the paste
    shaving.undo()
    assert study.run(ids[0]).results == {}


def test_a_paste_with_a_bad_cell_changes_nothing_and_names_it(shaving: MainWindow) -> None:
    ids = _add_planned(shaving)
    panel = shaving.view.runs
    panel.status_filter.setCurrentIndex(panel.status_filter.findData("planned"))
    first = panel.model.column_of("result", "foam_height")
    _select(panel, range(0, 1), range(first, first + 1))
    assert not panel.table.paste_text("41,2\n3 cm\n")
    assert shaving.document.study.run(ids[0]).results == {}
    message = shaving.statusBar().currentMessage()
    assert ids[1] in message and "'3 cm'" in message


def test_one_value_pasted_into_a_selection_fills_it(shaving: MainWindow) -> None:
    ids = _add_planned(shaving)
    panel = shaving.view.runs
    panel.status_filter.setCurrentIndex(panel.status_filter.findData("planned"))
    notes = panel.model.column_of("notes")
    _select(panel, range(0, 3), range(notes, notes + 1))
    assert panel.table.paste_text("made by Ana\n")
    assert {shaving.document.study.run(i).notes for i in ids} == {"made by Ana"}


def test_mark_failed_and_skipped_as_one_step(shaving: MainWindow) -> None:
    ids = _add_planned(shaving)
    panel = shaving.view.runs
    rows = [_proxy_row(panel, i) for i in ids[:2]]
    _select(panel, range(min(rows), max(rows) + 1), range(0, 1))
    assert panel.mark("failed")
    study = shaving.document.study
    assert [study.run(i).status for i in ids] == ["failed", "failed", "planned"]
    shaving.undo()
    assert [study.run(i).status for i in ids] == ["planned"] * 3


def test_filter_by_batch_and_status_and_sort_numbers(shaving: MainWindow) -> None:
    _add_planned(shaving, 2)
    panel = shaving.view.runs
    total = len(shaving.document.study.runs)
    assert panel.proxy.rowCount() == total
    panel.batch_filter.setCurrentIndex(panel.batch_filter.findData(2))
    assert panel.proxy.rowCount() == 2
    panel.batch_filter.setCurrentIndex(panel.batch_filter.findData(1))
    panel.status_filter.setCurrentIndex(panel.status_filter.findData("planned"))
    assert panel.proxy.rowCount() == 0
    panel.status_filter.setCurrentIndex(0)
    col = panel.model.column_of("result", "viscosity")
    panel.table.sortByColumn(col, Qt.SortOrder.AscendingOrder)
    values = [float(panel.proxy.index(r, col).data()) for r in range(panel.proxy.rowCount())]
    assert values == sorted(values) and len(values) > 2


def test_runs_model_passes_the_model_tester(shaving: MainWindow, qtmodeltester) -> None:
    qtmodeltester.check(shaving.view.runs.model, force_py=False)
    qtmodeltester.check(shaving.view.runs.proxy, force_py=False)
    _add_planned(shaving)
    qtmodeltester.check(shaving.view.runs.model, force_py=False)


def test_status_is_picked_from_a_drop_down(shaving: MainWindow) -> None:
    from PySide6.QtWidgets import QComboBox, QStyleOptionViewItem

    ids = _add_planned(shaving, 1)
    panel = shaving.view.runs
    table = panel.table
    index = panel.proxy.index(_proxy_row(panel, ids[0]), panel.model.column_of("status"))
    delegate = table.itemDelegate()
    editor = delegate.createEditor(table.viewport(), QStyleOptionViewItem(), index)
    assert isinstance(editor, QComboBox)
    assert [editor.itemText(i) for i in range(editor.count())] == [
        "planned", "done", "failed", "skipped"]
    editor.setCurrentText("skipped")
    delegate.setModelData(editor, panel.proxy, index)
    assert shaving.document.study.run(ids[0]).status == "skipped"
    editor.deleteLater()


def test_copied_cells_paste_back_into_other_runs(shaving: MainWindow) -> None:
    ids = _add_planned(shaving, 2)
    panel = shaving.view.runs
    first = panel.model.column_of("result", "foam_height")
    _select(panel, range(0, 2), range(first, first + 3))  # B01-01 and B01-02, three results
    block = panel.table.selection_text()
    assert block.count("\n") == 2 and block.count("\t") == 4
    row = _proxy_row(panel, ids[0])
    _select(panel, range(row, row + 1), range(first, first + 1))
    assert panel.table.paste_text(block)
    study = shaving.document.study
    assert study.run(ids[0]).results == study.runs[0].results
    assert study.run(ids[1]).results == study.runs[1].results


def test_typing_a_setting_records_what_was_really_used(shaving: MainWindow) -> None:
    from PySide6.QtGui import QFont

    panel = shaving.view.runs
    model = panel.model
    col = model.column_of("setting", "mixing_time")
    run = shaving.document.study.runs[0]
    planned = run.settings["mixing_time"]
    assert model.setData(model.index(0, col), "17")
    assert run.actual == {"mixing_time": 17}
    assert run.settings["mixing_time"] == planned  # the plan is kept
    cell = model.index(0, col)
    assert cell.data() == "17"
    assert isinstance(cell.data(Qt.ItemDataRole.FontRole), QFont)
    assert "Really used 17" in cell.data(Qt.ItemDataRole.ToolTipRole)
    assert model.setData(cell, str(planned))  # back to the plan: the deviation is gone
    assert run.actual == {}
    assert not model.setData(cell, "long")
    assert "'long'" in shaving.statusBar().currentMessage()


def test_the_status_cell_offers_the_four_statuses_and_a_pick_is_undoable(
        shaving: MainWindow) -> None:
    from PySide6.QtWidgets import QComboBox, QStyleOptionViewItem

    panel = shaving.view.runs
    model, table = panel.model, panel.table
    index = panel.proxy.mapFromSource(model.index(0, model.column_of("status")))
    delegate = table.itemDelegate()
    editor = delegate.createEditor(table.viewport(), QStyleOptionViewItem(), index)
    assert isinstance(editor, QComboBox)
    assert [editor.itemText(i) for i in range(editor.count())] == [
        "planned", "done", "failed", "skipped"]
    delegate.setEditorData(editor, index)
    assert editor.currentText() == model.run(0).status == "done"
    editor.setCurrentText("failed")
    delegate.setModelData(editor, panel.proxy, index)
    assert shaving.document.study.runs[0].status == "failed"
    shaving.document.stack.undo()
    assert shaving.document.study.runs[0].status == "done"
    other = panel.proxy.mapFromSource(model.index(0, model.column_of("notes")))
    assert not isinstance(delegate.createEditor(table.viewport(), QStyleOptionViewItem(), other),
                          QComboBox)
