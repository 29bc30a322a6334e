"""The window's file and edit commands, as a user of the menus sees them."""

from __future__ import annotations

import json
from pathlib import Path

from nextbatch.core import commands
from nextbatch.io.study_file import load_study
from nextbatch.ui.main_window import MainWindow


def test_start_page_shows_when_no_study_is_open(window: MainWindow) -> None:
    assert window.document is None
    assert window.pages.currentWidget() is window.start_page
    assert window.windowTitle() == "NextBatch"
    assert not window.save_action.isEnabled()


def test_title_marks_unsaved_changes_and_undo_names_the_edit(shaving: MainWindow) -> None:
    doc = shaving.document
    assert doc is not None
    assert not shaving.windowTitle().startswith("*")
    assert doc.do(commands.EditVariable("koh", {"high": 5}))
    assert shaving.windowTitle().startswith("*Shaving cream")
    shaving._update_actions()
    assert shaving.undo_action.text() == "&Undo Edit variable 'koh'"
    shaving.undo()
    assert doc.study.variable("koh").high == 4
    assert not shaving.windowTitle().startswith("*")
    shaving._update_actions()
    assert shaving.redo_action.text() == "&Redo Edit variable 'koh'"


def test_refused_command_is_not_pushed_and_says_why(shaving: MainWindow) -> None:
    doc = shaving.document
    assert doc is not None
    assert not doc.do(commands.EditVariable("no_such_thing", {"high": 5}))
    assert doc.stack.count() == 0
    assert "no_such_thing" in shaving.statusBar().currentMessage()


def test_save_as_writes_a_study_that_loads_back(shaving: MainWindow, answers, tmp_path) -> None:
    doc = shaving.document
    assert doc is not None
    doc.do(commands.EditStudyInfo(name="Cream v2"))
    answers.paths.append(tmp_path / "cream")
    assert shaving.save()
    saved = tmp_path / "cream.nbx"
    assert load_study(saved).name == "Cream v2"
    assert not doc.is_modified
    assert shaving.windowTitle() == "Cream v2 — cream.nbx — NextBatch"
    assert saved.resolve() in shaving.settings.recent_files()


def test_save_conflict_asks_and_overwrite_keeps_our_version(shaving: MainWindow, answers,
                                                            tmp_path: Path) -> None:
    doc = shaving.document
    assert doc is not None
    answers.paths.append(tmp_path / "cream.nbx")
    assert shaving.save()
    other = json.loads((tmp_path / "cream.nbx").read_text(encoding="utf-8"))
    other["name"] = "Changed by a colleague"
    (tmp_path / "cream.nbx").write_text(json.dumps(other), encoding="utf-8")
    doc.do(commands.EditStudyInfo(name="Mine"))
    answers.choices.append("Cancel")
    assert not shaving.save()
    assert "changed by someone" in answers.questions[-1]
    assert load_study(tmp_path / "cream.nbx").name == "Changed by a colleague"
    answers.choices.append("Overwrite")
    assert shaving.save()
    assert load_study(tmp_path / "cream.nbx").name == "Mine"


def test_closing_with_unsaved_changes_asks_and_cancel_keeps_the_study(shaving: MainWindow,
                                                                      answers) -> None:
    doc = shaving.document
    assert doc is not None
    doc.do(commands.EditStudyInfo(name="Unsaved"))
    answers.choices.append("Cancel")
    assert not shaving.close_study()
    assert shaving.document is doc
    assert "not saved" in answers.questions[-1]
    answers.choices.append("Discard")
    assert shaving.close_study()
    assert shaving.document is None
    assert shaving.pages.currentWidget() is shaving.start_page


def test_open_lists_the_file_in_recent_and_drops_missing_ones(window: MainWindow, shaving,
                                                             answers, tmp_path: Path) -> None:
    answers.paths.append(tmp_path / "a.nbx")
    assert window.save()
    assert window.close_study()
    assert window.open_path(tmp_path / "a.nbx")
    assert window.settings.recent_files()[0] == (tmp_path / "a.nbx").resolve()
    window.close_study()
    (tmp_path / "a.nbx").unlink()
    assert window.settings.recent_files() == []


def test_a_broken_file_is_reported_not_opened(window: MainWindow, answers,
                                              tmp_path: Path) -> None:
    bad = tmp_path / "bad.nbx"
    bad.write_text('{"format": "nextbatch-study", "variables": [', encoding="utf-8")
    assert not window.open_path(bad)
    assert window.document is None
    _title, text, _details = answers.messages[-1]
    assert "bad.nbx" in text


def test_about_box_shows_the_version(window: MainWindow, answers) -> None:
    import nextbatch

    window.about()
    assert nextbatch.__version__ in answers.messages[-1][1]


def test_window_size_is_remembered(window: MainWindow, app_settings, qtbot, tmp_path) -> None:
    window.resize(701, 502)
    window.close()
    again = MainWindow(app_settings, tmp_path / "recovery")
    qtbot.addWidget(again)
    assert (again.width(), again.height()) == (701, 502)


def test_every_menu_action_has_a_tooltip(shaving: MainWindow) -> None:
    for menu in shaving.menuBar().findChildren(type(shaving.recent_menu)):
        for action in menu.actions():
            if action.isSeparator() or action.menu() is not None or not action.text():
                continue
            assert action.toolTip(), action.text()


def test_a_bundled_example_opens_as_an_unsaved_copy(window: MainWindow) -> None:
    from nextbatch.resources import example_path
    from nextbatch.ui.app import open_initial

    open_initial(window, example_path("brewing"))
    assert window.document is not None
    assert window.document.path is None  # Save asks where: the example is never overwritten
    assert window.document.study.name == load_study(example_path("brewing")).name


def test_a_file_given_on_the_command_line_opens(window: MainWindow, tmp_path: Path) -> None:
    from nextbatch.io.study_file import save_study
    from nextbatch.resources import example_path
    from nextbatch.ui.app import open_initial

    path = tmp_path / "mine.nbx"
    save_study(load_study(example_path("brewing")), path)
    open_initial(window, path)
    assert window.document is not None and window.document.path == path
