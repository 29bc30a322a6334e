"""Typed errors that carry what a person needs to act: the field, the value, the rule."""

from __future__ import annotations

from dataclasses import dataclass


class NextBatchError(Exception):
    """Base of every error NextBatch raises on purpose; its message is meant for the user."""


class StudyError(NextBatchError):
    """A study (a dict or a file) cannot be read as a study."""

    def __init__(self, message: str, problems: list[Problem] | None = None) -> None:
        super().__init__(message)
        self.problems = list(problems or [])


class ConstraintSyntaxError(NextBatchError):
    """A constraint's text cannot be parsed; `position` is the 0-based offset of the bad token."""

    def __init__(self, message: str, text: str, position: int) -> None:
        pointer = f"\n  {text}\n  {' ' * position}^"
        super().__init__(f"{message} (at position {position + 1}){pointer}")
        self.reason = message
        self.text = text
        self.position = position


class CommandError(NextBatchError):
    """An edit was refused (bad value, unknown name); the study was left unchanged."""


class SaveConflictError(NextBatchError):
    """The file changed on disk since it was opened; saving now would overwrite that change."""

    def __init__(self, message: str, path: str) -> None:
        super().__init__(message)
        self.path = path


class InfeasibleError(NextBatchError):
    """No recipe satisfies the bounds, mixtures and constraints together."""


class CancelledError(NextBatchError):
    """Long work was stopped because the user asked for it."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a study: where (`variables[2].high`), what was found, the rule.

    `severity` is "error" (the study cannot be optimized until it is fixed) or "warning"
    (kept as it is, but worth a look, e.g. a historical run outside today's bounds).
    """

    path: str
    value: object
    message: str
    severity: str = "error"

    def __str__(self) -> str:
        shown = "" if self.value is None else f" = {self.value!r}"
        tag = "" if self.severity == "error" else f" [{self.severity}]"
        return f"{self.path}{shown}: {self.message}{tag}"
