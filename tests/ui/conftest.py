"""GUI fixtures: a main window with isolated settings, and dialogs answered by the test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from nextbatch.ui.dialogs import Ask
from nextbatch.ui.main_window import MainWindow
from nextbatch.ui.settings import AppSettings
from PySide6.QtCore import QSettings, QStandardPaths


class Answers:
    """What the patched `Ask` was asked, and what it should answer next."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, str, str]] = []
        self.questions: list[str] = []
        self.choices: list[str] = []
        self.paths: list[Path] = []
        self.import_review: Any = None  # callable(preview) -> command or None

    def next_choice(self, text: str, options: list[str]) -> str:
        self.questions.append(text)
        if not self.choices:
            raise AssertionError(f"unexpected question: {text!r} {options}")
        return self.choices.pop(0)

    def next_path(self) -> Path | None:
        return self.paths.pop(0) if self.paths else None


@pytest.fixture(autouse=True)
def no_dangling_threads() -> Iterator[None]:
    """Every worker a test starts has ended when the test is over (windows join theirs)."""
    yield
    from nextbatch.ui.workers import live_threads

    assert live_threads() == 0, "a worker thread outlived its test"


@pytest.fixture(autouse=True)
def answers(monkeypatch: pytest.MonkeyPatch) -> Answers:
    """Every modal question is answered from this object; none opens a real dialog."""
    QStandardPaths.setTestModeEnabled(True)
    got = Answers()
    monkeypatch.setattr(Ask, "inform", classmethod(
        lambda cls, parent, title, text, details="": got.messages.append((title, text, details))))
    monkeypatch.setattr(Ask, "choose", classmethod(
        lambda cls, parent, title, text, options, default=None: got.next_choice(text, options)))
    monkeypatch.setattr(Ask, "open_path", classmethod(
        lambda cls, parent, title, filter: got.next_path()))
    monkeypatch.setattr(Ask, "save_path", classmethod(
        lambda cls, parent, title, suggested, filter: got.next_path()))
    monkeypatch.setattr(Ask, "review_import", classmethod(
        lambda cls, parent, preview, study: (got.import_review(preview) if got.import_review
                                             else None)))
    return got


@pytest.fixture
def app_settings(tmp_path: Path) -> AppSettings:
    return AppSettings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))


@pytest.fixture
def window(qtbot: Any, app_settings: AppSettings, tmp_path: Path) -> Iterator[MainWindow]:
    """An empty main window; on teardown its jobs are joined and it closes without asking."""
    win = MainWindow(app_settings, tmp_path / "recovery")
    win.show()
    yield win
    # Not given to qtbot.addWidget: qtbot would close it before this teardown, asking about
    # the unsaved changes the test left behind.
    win.close_study(ask=False)
    win.close()
    win.deleteLater()


@pytest.fixture
def shaving(window: MainWindow, qtbot: Any) -> MainWindow:
    """The window with a new study from the shaving-cream template, problems computed."""
    window.new_from_template("shaving-cream")
    assert window.document is not None
    with qtbot.waitSignal(window.document.problems_changed):
        window.document.schedule_problems()
    return window


TINY = {
    "format": "nextbatch-study", "version": 1, "name": "Tiny bake",
    "variables": [
        {"name": "sugar", "kind": "continuous", "low": 10, "high": 30, "unit": "g"},
        {"name": "time", "kind": "integer", "low": 10, "high": 40, "step": 5, "unit": "min"},
        {"name": "flour", "kind": "categorical", "levels": ["wheat", "spelt"]},
    ],
    "responses": [
        {"name": "taste", "goal": "maximize", "low": 1, "high": 10, "unit": "pts"},
        {"name": "height", "goal": "observe", "unit": "cm"},
    ],
    "runs": [
        {"id": f"B01-0{i + 1}", "batch": 1, "status": "done", "source": "initial",
         "settings": {"sugar": s, "time": t, "flour": f}, "results": {"taste": y}}
        for i, (s, t, f, y) in enumerate([(10, 10, "wheat", 3), (20, 25, "spelt", 6),
                                          (30, 40, "wheat", 5), (15, 35, "spelt", 7),
                                          (25, 15, "wheat", 4), (28, 30, "spelt", 8)])
    ],
    "settings": {"batch_size": 2},
}


@pytest.fixture
def tiny(window: MainWindow, tmp_path: Path) -> MainWindow:
    """The window with a small bakery study opened from disk: suggestions take a blink."""
    import json

    path = tmp_path / "tiny.nbx"
    path.write_text(json.dumps(TINY), encoding="utf-8")
    assert window.open_path(path)
    return window
