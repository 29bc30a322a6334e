"""The open study as the window sees it: the Study, its file, its undo stack.

Panels get the document in their constructor and change the study only through `do()`, which
runs a core command through the undo stack. `changed` tells every panel to refresh. The
study's problems are checked once per burst of changes, on a copy in a worker thread (the
feasibility check loads scipy and solves linear programs), and `problems_changed` says when
the fresh list is in; a check overtaken by a newer edit is dropped.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QUndoStack

from nextbatch.ui import undo
from nextbatch.ui.workers import Jobs

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
        self._problems: list[Problem] = []
        self._generation = 0
        self.checks = Jobs(self)
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
        self._generation += 1  # checks started before this change are now out of date
        self._problem_timer.start()
        self.changed.emit()

    # --------------------------------------------------------------- problems
    def problems(self) -> list[Problem]:
        """The study's problems as of the last finished check."""
        return self._problems

    def refresh_problems(self) -> None:
        """Check a copy of the study in a worker; `problems_changed` follows."""
        generation = self._generation
        copy = self.study.copy()
        job = self.checks.start("check", lambda _progress, _cancelled: copy.problems())
        job.succeeded.connect(lambda problems: self._on_checked(generation, problems))
        job.failed.connect(self._on_check_failed)

    def _on_checked(self, generation: int, problems: list[Problem]) -> None:
        if generation == self._generation:
            self._problems = problems
            self.problems_changed.emit()

    def _on_check_failed(self, exc: BaseException, details: str) -> None:
        from nextbatch.ui.errors import show_error

        show_error(None, "Checking the study failed", exc, details)

    def schedule_problems(self) -> None:
        """Check the study once the event loop is idle (several edits, one check)."""
        self._problem_timer.start()

    def shutdown(self) -> None:
        """Stop checking: wait for a running check (called when the study closes)."""
        self._problem_timer.stop()
        self.checks.shutdown()

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
