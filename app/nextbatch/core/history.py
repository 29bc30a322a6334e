"""The machinery of undo: commands that record their changes, and the history of them.

A command checks everything first and raises CommandError before touching the study, so a
refused edit never leaves half a change. While it applies, it records each assignment it makes
(`_Changes`), and `revert` plays them back in reverse: undo restores the study exactly, keys
and order included. The history is Qt-free; the GUI wraps commands in QUndoCommand. The
commands themselves are in `nextbatch.core.commands`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from typing import Any

from nextbatch.core.errors import CommandError
from nextbatch.core.study import Study


class Command(ABC):
    """One undoable edit. `label` reads after "Undo ": "Edit variable 'koh'"."""

    label: str

    @abstractmethod
    def apply(self, study: Study) -> None:
        """Make the edit, or raise CommandError and leave `study` as it was."""

    @abstractmethod
    def revert(self, study: Study) -> None:
        """Undo the last `apply` on the same study, restoring it exactly."""


class _Changes:
    """The assignments one apply made, so that revert can play them back in reverse."""

    def __init__(self) -> None:
        self._undo: list[Callable[[], None]] = []

    def set(self, obj: object, attr: str, value: Any) -> None:
        old = getattr(obj, attr)
        self._undo.append(lambda: setattr(obj, attr, old))
        setattr(obj, attr, value)

    def list(self, items: list[Any], new: Iterable[Any]) -> None:
        """Replace a list's contents in place (views holding the list keep seeing it)."""
        old = list(items)
        self._undo.append(lambda: items.__setitem__(slice(None), old))
        items[:] = list(new)

    def dict(self, d: dict[str, Any], new: dict[str, Any]) -> None:
        """Replace a dict's contents in place, in the order of `new`."""
        old = dict(d)
        self._undo.append(lambda: (d.clear(), d.update(old)))
        d.clear()
        d.update(new)

    def undo(self) -> None:
        while self._undo:
            self._undo.pop()()


class RecordedCommand(Command):
    """A command that checks, then changes through `_Changes`; revert comes for free."""

    def __init__(self) -> None:
        self._changes = _Changes()

    @abstractmethod
    def check(self, study: Study) -> None:
        """Raise CommandError if the edit cannot be made; must not change anything."""

    @abstractmethod
    def change(self, study: Study, changes: _Changes) -> None:
        """Make the edit, every assignment through `changes`."""

    def apply(self, study: Study) -> None:
        self.check(study)
        changes = _Changes()
        try:
            self.change(study, changes)
        except BaseException:
            changes.undo()
            raise
        self._changes = changes

    def revert(self, study: Study) -> None:
        self._changes.undo()


class CompositeCommand(Command):
    """Several commands as one undo step; if one is refused, the ones before it are undone."""

    def __init__(self, label: str, commands: Iterable[Command]) -> None:
        self.label = label
        self.commands = list(commands)

    def apply(self, study: Study) -> None:
        done: list[Command] = []
        try:
            for command in self.commands:
                command.apply(study)
                done.append(command)
        except BaseException:
            for command in reversed(done):
                command.revert(study)
            raise

    def revert(self, study: Study) -> None:
        for command in reversed(self.commands):
            command.revert(study)


class History:
    """The undo and redo stacks of one study, and whether it matches the saved file."""

    def __init__(self, study: Study) -> None:
        self.study = study
        self.listeners: list[Callable[[], None]] = []
        self._done: list[Command] = []
        self._undone: list[Command] = []
        self._clean: int | None = 0  # len(_done) when the study matched its file

    def do(self, command: Command) -> None:
        """Apply `command` and remember it; a refused command (CommandError) is not kept."""
        command.apply(self.study)
        if self._clean is not None and self._clean > len(self._done):
            self._clean = None  # the saved state was on the redo branch, now gone
        self._done.append(command)
        self._undone.clear()
        self._notify()

    def undo(self) -> None:
        if not self._done:
            raise CommandError("there is nothing to undo")
        command = self._done.pop()
        command.revert(self.study)
        self._undone.append(command)
        self._notify()

    def redo(self) -> None:
        if not self._undone:
            raise CommandError("there is nothing to redo")
        command = self._undone.pop()
        command.apply(self.study)
        self._done.append(command)
        self._notify()

    @property
    def can_undo(self) -> bool:
        return bool(self._done)

    @property
    def can_redo(self) -> bool:
        return bool(self._undone)

    @property
    def undo_label(self) -> str:
        """The label of what undo would undo ("" when nothing); shown as "Undo <label>"."""
        return self._done[-1].label if self._done else ""

    @property
    def redo_label(self) -> str:
        return self._undone[-1].label if self._undone else ""

    @property
    def is_clean(self) -> bool:
        """Whether the study is as it was at the last `mark_clean` (i.e. as saved)."""
        return self._clean == len(self._done)

    def mark_clean(self) -> None:
        self._clean = len(self._done)
        self._notify()

    def _notify(self) -> None:
        for listener in list(self.listeners):
            listener()
