"""The open study as the window sees it: the Study, its file, its undo stack.

Panels get the document in their constructor and change the study only through `do()`, which
runs a core command through the undo stack. `changed` tells every panel to refresh; the
problems of the study are recomputed once per change, after the event loop is idle, so that
typing stays fast and scipy is not loaded before the window is shown.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QUndoStack

from nextbatch.ui import undo

if TYPE_CHECKING:
    from nextbatch.core.commands import Command
    from nextbatch.core.errors import Problem
    from nextbatch.core.study import Study


class StudyDocument(QObject):
    """One study in the window; emits `changed` after every edit, undo and redo."""

    changed = Signal()
    problems_changed = Signal()
    refused = Signal(str)  # a command was refused; the message says why
    title_changed = Signal()

    def __init__(self, study: Study, path: Path | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.study = study
        self.path = path
        self.stack = QUndoStack(self)
        self.stack.indexChanged.connect(self._on_index_changed)
        self.stack.cleanChanged.connect(self._on_clean_changed)
        self._problems: list[Problem] | None = None
        self._problem_timer = QTimer(self)
        self._problem_timer.setSingleShot(True)
        self._problem_timer.setInterval(0)
        self._problem_timer.timeout.connect(self.refresh_problems)
        self._dirty_without_stack = False

    # ---------------------------------------------------------------- editing
    def do(self, command: Command) -> bool:
        """Apply `command` as one undoable step; False (and `refused`) when it was refused."""
        message = undo.push(self.stack, self.study, command)
        if message is not None:
            self.refused.emit(message)
            return False
        return True

    def _on_clean_changed(self, _clean: bool) -> None:
        self.title_changed.emit()

    def _on_index_changed(self, _index: int) -> None:
        self._problems = None
        self._problem_timer.start()
        self.changed.emit()

    # --------------------------------------------------------------- problems
    def problems(self) -> list[Problem]:
        """The study's problems as of the last change (computed now if not yet known)."""
        if self._problems is None:
            self._problems = self.study.problems()
        return self._problems

    def refresh_problems(self) -> None:
        self._problems = self.study.problems()
        self.problems_changed.emit()

    def schedule_problems(self) -> None:
        self._problem_timer.start()

    # ------------------------------------------------------------------ state
    @property
    def is_modified(self) -> bool:
        return self._dirty_without_stack or not self.stack.isClean()

    def mark_modified(self) -> None:
        """A study that differs from its file without an undo step (a restored recovery)."""
        self._dirty_without_stack = True
        self.title_changed.emit()

    def mark_saved(self, path: Path) -> None:
        self.path = path
        self._dirty_without_stack = False
        self.stack.setClean()
        self.title_changed.emit()

    @property
    def display_name(self) -> str:
        return self.study.name or (self.path.stem if self.path else "Untitled study")

    def window_title(self) -> str:
        mark = "*" if self.is_modified else ""
        where = f" — {self.path.name}" if self.path else ""
        return f"{mark}{self.display_name}{where} — NextBatch"
