"""QUndoStack over the Qt-free commands of `nextbatch.core.commands`.

The core command does the work (apply/revert); `CoreUndoCommand` only lets Qt's stack drive
it, so the Edit menu can say "Undo <label>". A refused command (CommandError) never reaches
the stack: `push` returns the message instead.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtGui import QUndoCommand, QUndoStack

from nextbatch.core.errors import CommandError

if TYPE_CHECKING:
    from nextbatch.core.commands import Command
    from nextbatch.core.study import Study


class CoreUndoCommand(QUndoCommand):
    """One core command on the stack; it was applied before being pushed."""

    def __init__(self, command: Command, study: Study) -> None:
        super().__init__(command.label)
        self.command = command
        self._study = study
        self._applied = True

    def redo(self) -> None:
        # QUndoStack.push calls redo() at once; the command is already applied by then.
        if not self._applied:
            self.command.apply(self._study)
            self._applied = True

    def undo(self) -> None:
        self.command.revert(self._study)
        self._applied = False


def push(stack: QUndoStack, study: Study, command: Command,
         after: Callable[[], None] | None = None) -> str | None:
    """Apply `command` and put it on `stack`; the refusal message when it was refused."""
    try:
        command.apply(study)
    except CommandError as exc:
        return str(exc)
    stack.push(CoreUndoCommand(command, study))
    if after is not None:
        after()
    return None
