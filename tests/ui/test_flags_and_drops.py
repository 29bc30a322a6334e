"""Flags where the user looks (run cells, candidate settings, mixture totals), drops, tooltips."""

from __future__ import annotations

from pathlib import Path

from nextbatch.core import commands
from nextbatch.ui.main_window import MainWindow
from nextbatch.ui.setup_model import ERROR_BRUSH, WARNING_BRUSH
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QAbstractButton


def test_a_run_outside_todays_bounds_is_flagged_on_its_cell(tiny: MainWindow, qtbot) -> None:
    with qtbot.waitSignal(tiny.document.problems_changed):
        tiny.document.do(commands.EditVariable("sugar", {"high": 25}))
    model = tiny.view.runs.model
    col = model.column_of("setting", "sugar")
    row = [model.run(r).id for r in range(model.rowCount())].index("B01-03")  # sugar 30
    cell = model.index(row, col)
    assert cell.data(Qt.ItemDataRole.BackgroundRole) == WARNING_BRUSH
    assert "above the upper bound 25" in cell.data(Qt.ItemDataRole.ToolTipRole)
    assert model.index(0, col).data(Qt.ItemDataRole.BackgroundRole) != WARNING_BRUSH


def test_an_edited_candidate_that_breaks_the_mixture_total_is_red(shaving: MainWindow,
                                                                    qtbot) -> None:
    panel = shaving.view.next_batch
    model = panel.candidates
    with qtbot.waitSignal(model.dataChanged, timeout=60_000,
                          check_params_cb=lambda *_: not model.candidates[0].updating):
        panel.add_own_recipe()
    water = model.setting_column("water")
    with qtbot.waitSignal(model.dataChanged, timeout=60_000,
                          check_params_cb=lambda *_: not model.candidates[0].updating):
        assert model.setData(model.index(0, water), "79")
    cell = model.index(0, water)
    assert cell.data(Qt.ItemDataRole.BackgroundRole) == ERROR_BRUSH
    assert "not 100" in cell.data(Qt.ItemDataRole.ToolTipRole)


def test_a_mixture_total_the_bounds_cannot_reach_turns_red(shaving: MainWindow, qtbot) -> None:
    panel = shaving.view.mixtures
    col = next(i for i, c in enumerate(panel.model.columns) if c.key == "total")
    with qtbot.waitSignal(shaving.document.problems_changed):
        assert panel.model.setData(panel.model.index(0, col), "200")
    cell = panel.model.index(0, col)
    assert cell.data(Qt.ItemDataRole.BackgroundRole) == ERROR_BRUSH
    assert "200" in cell.data(Qt.ItemDataRole.ToolTipRole)


def _drop(window: MainWindow, path: Path) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    event = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime,
                       Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    window.dropEvent(event)


def test_dropping_a_study_opens_it_and_a_sheet_starts_an_import(tiny: MainWindow, qtbot,
                                                                answers, tmp_path) -> None:
    sheet = tmp_path / "sheet.xlsx"
    job = tiny.view.export_sheet(sheet, [r.id for r in tiny.document.study.runs])
    with qtbot.waitSignal(job.finished, timeout=30_000):
        pass
    previews = []
    answers.import_review = lambda preview: previews.append(preview)
    _drop(tiny, sheet)
    qtbot.waitUntil(lambda: bool(previews), timeout=30_000)
    assert previews[0].path == sheet
    study_file = tiny.document.path
    tiny.close_study()
    _drop(tiny, study_file)
    assert tiny.document is not None and tiny.document.path == study_file


def test_a_blank_study_can_be_built_from_nothing(window: MainWindow) -> None:
    assert window.new_from_template("blank")
    view = window.view
    view.variables.add_record()
    view.responses.add_record()
    study = window.document.study
    assert [v.name for v in study.variables] == ["variable_1"]
    assert [r.name for r in study.responses] == ["result_1"]


def test_every_button_of_the_study_says_what_it_does(shaving: MainWindow) -> None:
    buttons = shaving.view.findChildren(QAbstractButton)
    assert len(buttons) > 15
    missing = [b.text() for b in buttons if b.text() and not b.toolTip()]
    assert missing == []


def test_the_dark_scheme_gets_a_dark_palette_and_light_stays_light(qapp) -> None:
    from nextbatch.ui.theme import palette_for
    from PySide6.QtGui import QPalette

    light = qapp.style().standardPalette()
    dark = palette_for(Qt.ColorScheme.Dark, light)
    assert dark.color(QPalette.ColorRole.Window).lightness() < 80
    assert dark.color(QPalette.ColorRole.Text).lightness() > 180
    same = palette_for(Qt.ColorScheme.Light, light)
    assert same.color(QPalette.ColorRole.Window) == light.color(QPalette.ColorRole.Window)
