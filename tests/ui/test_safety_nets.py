"""Recovery copies, restore after a crash, the import preview's refusals, worker errors."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
from nextbatch.core import commands
from nextbatch.io.importing import preview_import
from nextbatch.ui.app import offer_recovery
from nextbatch.ui.autosave import find_recoveries
from nextbatch.ui.import_dialog import ImportDialog
from nextbatch.ui.main_window import MainWindow
from nextbatch.ui.workers import Jobs


def test_each_change_writes_a_recovery_copy_and_saving_removes_it(tiny: MainWindow, qtbot,
                                                                   answers) -> None:
    doc = tiny.document
    assert find_recoveries(tiny.recovery_dir) == []
    doc.do(commands.EditStudyInfo(name="Bake, changed"))
    qtbot.waitUntil(lambda: len(find_recoveries(tiny.recovery_dir)) == 1)
    recovery = find_recoveries(tiny.recovery_dir)[0]
    assert recovery.study.name == "Bake, changed"
    assert recovery.original == doc.path
    assert tiny.save()
    assert find_recoveries(tiny.recovery_dir) == []


def test_after_a_crash_the_next_start_offers_the_recovery(tiny: MainWindow, qtbot, answers,
                                                          app_settings, tmp_path) -> None:
    doc = tiny.document
    original = doc.path
    doc.do(commands.EditStudyInfo(name="Not saved yet"))
    qtbot.waitUntil(lambda: len(find_recoveries(tiny.recovery_dir)) == 1)
    # A crash: the process dies, nothing is cleaned up. A new window starts.
    again = MainWindow(app_settings, tiny.recovery_dir)
    answers.choices.append("Restore")
    try:
        assert offer_recovery(again)
        assert "did not close normally" in answers.questions[-1]
        assert again.document.study.name == "Not saved yet"
        assert again.document.path == original
        assert again.document.is_modified
        assert again.windowTitle().startswith("*")
    finally:
        again.close_study(ask=False)
        again.close()
        again.deleteLater()


def test_discarding_the_recovery_forgets_it(tiny: MainWindow, qtbot, answers,
                                            app_settings) -> None:
    tiny.document.do(commands.EditStudyInfo(name="Throw away"))
    qtbot.waitUntil(lambda: len(find_recoveries(tiny.recovery_dir)) == 1)
    again = MainWindow(app_settings, tiny.recovery_dir)
    answers.choices.append("Discard")
    try:
        assert not offer_recovery(again)
        assert find_recoveries(tiny.recovery_dir) == []
    finally:
        again.close()
        again.deleteLater()


def _export(window: MainWindow, qtbot, path: Path) -> None:
    job = window.view.export_sheet(path, [r.id for r in window.document.study.runs])
    with qtbot.waitSignal(job.finished, timeout=30_000):
        pass


def test_the_import_preview_refuses_a_broken_sheet(tiny: MainWindow, qtbot,
                                                   tmp_path: Path) -> None:
    sheet = tmp_path / "filled.xlsx"
    _export(tiny, qtbot, sheet)
    book = openpyxl.load_workbook(sheet)
    runs = book["Runs"]
    taste = next(c.column for c in runs[1] if str(c.value).startswith("taste"))
    runs.cell(2, taste).value = "very good"
    book.save(sheet)
    preview = preview_import(tiny.document.study, sheet)
    dialog = ImportDialog(preview)
    assert not dialog.can_apply
    assert not dialog.apply_button.isEnabled()
    assert "cannot be imported until the errors below are fixed" in dialog.summary.text()
    errors = dialog.tree.topLevelItem(0)
    assert errors.text(0).startswith("Errors")
    assert "found 'very good'" in errors.child(0).text(1)
    assert errors.child(0).text(0).startswith("Runs!")
    dialog.deleteLater()


def test_an_import_that_fails_to_read_says_why(tiny: MainWindow, qtbot, answers,
                                               tmp_path: Path) -> None:
    junk = tmp_path / "junk.xlsx"
    junk.write_bytes(b"this is not a workbook")
    job = tiny.view.import_results(junk)
    with qtbot.waitSignal(job.finished, timeout=30_000):
        pass
    _title, text, _details = answers.messages[-1]
    assert "junk.xlsx" in text
    assert tiny.document.stack.count() == 0


def test_a_worker_error_becomes_a_dialog_with_details(qtbot, answers) -> None:
    jobs = Jobs()

    def broken(_progress, _cancelled):
        raise ZeroDivisionError("division by zero")

    job = jobs.start("broken", broken)
    with qtbot.waitSignal(job.failed, timeout=10_000) as blocker:
        pass
    exc, details = blocker.args
    assert isinstance(exc, ZeroDivisionError)
    assert "Traceback" in details and "broken" in details
    from nextbatch.ui.errors import show_error

    show_error(None, "Suggesting", exc, details)
    _title, text, copied = answers.messages[-1]
    assert "ZeroDivisionError" in text and copied == details


def test_closing_the_window_joins_running_work(tiny: MainWindow, qtbot) -> None:
    import threading

    release = threading.Event()

    def slow(_progress, cancelled):
        while not cancelled():
            release.wait(0.01)
        return None

    job = tiny.jobs.start("slow", slow)
    assert tiny.jobs.running == [job]
    tiny.close_study(ask=False)  # cancels and joins
    assert job._thread.isFinished()


def test_recovery_files_that_are_broken_are_ignored(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text("{not json", encoding="utf-8")
    (tmp_path / "b.json").write_text(json.dumps({"study": {"variables": 3}}), encoding="utf-8")
    assert find_recoveries(tmp_path) == []


def test_an_uncaught_error_in_a_slot_reaches_the_user_with_its_traceback(answers,
                                                                         monkeypatch) -> None:
    import sys

    from nextbatch.ui.errors import install_excepthook

    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    install_excepthook()
    try:
        raise KeyError("emulsifier")
    except KeyError as exc:
        sys.excepthook(type(exc), exc, exc.__traceback__)
    title, text, details = answers.messages[-1]
    assert "unexpected error" in title
    assert "KeyError" in text and "Your study was not changed" in text
    assert "Traceback" in details and "test_safety_nets.py" in details


def test_progress_reaches_the_gui_thread_in_order(qtbot) -> None:
    jobs = Jobs()
    seen: list[tuple[float, str]] = []

    def work(progress, _cancelled):
        for i in range(1, 4):
            progress(i / 3, f"step {i}")
        return "done"

    job = jobs.start("steps", work)
    job.progressed.connect(lambda f, m: seen.append((round(f, 2), m)))
    with qtbot.waitSignal(job.succeeded, timeout=10_000) as blocker:
        pass
    assert blocker.args == ["done"]
    assert seen == [(0.33, "step 1"), (0.67, "step 2"), (1.0, "step 3")]
    jobs.shutdown()


def test_the_preview_names_the_columns_it_will_not_import(tiny: MainWindow, qtbot,
                                                           tmp_path: Path) -> None:
    sheet = tmp_path / "extra.xlsx"
    _export(tiny, qtbot, sheet)
    book = openpyxl.load_workbook(sheet)
    runs = book["Runs"]
    runs.cell(1, runs.max_column + 1).value = "Oven number"
    book.save(sheet)
    dialog = ImportDialog(preview_import(tiny.document.study, sheet), tiny.document.study)
    assert "Oven number" in dialog.summary.text()
    dialog.deleteLater()
