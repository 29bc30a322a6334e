"""The runs table: a thin QAbstractTableModel over `study.runs`.

Columns: ID, batch, status, source, one per variable (planned settings, with units), one per
result (with units), notes. Status, results and notes are edited in place through core
commands; a pasted block becomes one undoable command.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont

from nextbatch.core import commands
from nextbatch.core.runs import STATUSES, Run
from nextbatch.ui.document import StudyDocument
from nextbatch.ui.setup_model import ERROR_TEXT, WARNING_BRUSH
from nextbatch.ui.text_values import format_number, parse_number

Index = QModelIndex | QPersistentModelIndex
SORT_ROLE = Qt.ItemDataRole.UserRole + 1
PLANNED_BRUSH = QBrush(QColor(255, 244, 200))
PLANNED_TIP = "Planned: waiting for results"
_RUN_PATH = re.compile(r"^runs\[(\d+)\](?:\.(settings|actual|results))?(?:\.(\w+))?")
STATUS_WORDS = {"planned": "planned", "done": "done", "failed": "failed", "skipped": "skipped"}


@dataclass(frozen=True)
class RunColumn:
    """What one column shows: a fixed field, a variable's setting or a result."""

    kind: str  # "id", "batch", "status", "source", "setting", "result", "notes"
    name: str = ""
    title: str = ""
    tip: str = ""

    @property
    def editable(self) -> bool:
        """Settings are editable too: an edit records what was really used (`actual`)."""
        return self.kind in ("status", "result", "notes", "setting")


class RunsModel(QAbstractTableModel):
    """Every run of the study, one row each, in the study's order."""

    def __init__(self, document: StudyDocument) -> None:
        super().__init__(document)
        self.document = document
        self.columns: list[RunColumn] = []
        self._rows = 0
        self._rebuild_columns()
        self._problems: dict[tuple[int, str, str], list[str]] = {}
        document.changed.connect(self.refresh)
        document.problems_changed.connect(self._reload_problems)

    def _reload_problems(self) -> None:
        """Flags of the study check on run cells: a setting outside today's bounds, a bad result.

        Keys are (row, "settings" | "results" | "", name); a flag on the whole run sits on its ID.
        """
        found: dict[tuple[int, str, str], list[str]] = {}
        for problem in self.document.problems():
            match = _RUN_PATH.match(problem.path)
            if match:
                key = (int(match.group(1)), match.group(2) or "", match.group(3) or "")
                found.setdefault(key, []).append(problem.message)
        self._problems = found
        if self._rows:
            self.dataChanged.emit(self.index(0, 0),
                                  self.index(self._rows - 1, len(self.columns) - 1))

    def _flags_at(self, row: int, column: RunColumn) -> list[str]:
        if column.kind == "id":
            return [m for (r, _part, name), msgs in self._problems.items()
                    if r == row and not name for m in msgs]
        parts = {"setting": ("settings", "actual"), "result": ("results",)}.get(column.kind, ())
        return [m for part in parts for m in self._problems.get((row, part, column.name), [])]

    def _wanted_columns(self) -> list[RunColumn]:
        """Results and notes come right after the status: they are what the lab types in."""
        study = self.document.study
        return [
            RunColumn("id", title="Run", tip="Run ID: batch and number, e.g. B03-02"),
            RunColumn("batch", title="Batch", tip="Which batch the run belongs to"),
            RunColumn("status", title="Status", tip="planned, done, failed (the recipe did not "
                      "work) or skipped (not made)"),
            *(RunColumn("result", r.name, _two_lines(r.title, r.unit),
                        f"{r.title}: the measured result (type it in, or paste from Excel)")
              for r in study.responses),
            RunColumn("notes", title="Notes", tip="Anything worth remembering about this run"),
            *(RunColumn("setting", v.name, _two_lines(v.title, v.unit),
                        f"{v.title}: the planned setting; type what was really used if the "
                        "run differed (shown in italics)") for v in study.variables),
            RunColumn("source", title="Source", tip="Where the recipe came from"),
        ]

    def _rebuild_columns(self) -> None:
        self.columns = self._wanted_columns()
        self._rows = len(self.document.study.runs)

    def refresh(self) -> None:
        """After an edit: in place when rows and columns held, else a reset."""
        rows = len(self.document.study.runs)
        if rows != self._rows or self._wanted_columns() != self.columns:
            self.beginResetModel()
            self._rebuild_columns()
            self.endResetModel()
        elif rows:
            self.dataChanged.emit(self.index(0, 0), self.index(rows - 1, len(self.columns) - 1))

    def run(self, row: int) -> Run:
        return self.document.study.runs[row]

    def column_of(self, kind: str, name: str = "") -> int:
        for i, column in enumerate(self.columns):
            if column.kind == kind and column.name == name:
                return i
        raise KeyError(f"no column {kind} {name}")

    # ------------------------------------------------------------ Qt model API
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self._rows

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self.columns):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.columns[section].title
        if role == Qt.ItemDataRole.ToolTipRole:
            return self.columns[section].tip
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if self.columns[index.column()].editable:
            base |= Qt.ItemFlag.ItemIsEditable
        return base

    def raw(self, run: Run, column: RunColumn) -> Any:
        if column.kind == "id":
            return run.id
        if column.kind == "batch":
            return run.batch
        if column.kind in ("status", "source"):
            return getattr(run, column.kind)
        if column.kind == "setting":
            return run.effective_settings().get(column.name)
        if column.kind == "result":
            return run.results.get(column.name)
        return run.notes

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        run = self.run(index.row())
        column = self.columns[index.column()]
        value = self.raw(run, column)
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            return format_number(value) if value is not None else ""
        if role == SORT_ROLE:
            if value is None or value == "":
                return float("inf") if column.kind == "result" else ""
            return value if isinstance(value, int | float) else str(value)
        flags = self._flags_at(index.row(), column)
        if role == Qt.ItemDataRole.BackgroundRole and flags:
            return WARNING_BRUSH
        if role == Qt.ItemDataRole.ForegroundRole and flags:
            return ERROR_TEXT
        if role == Qt.ItemDataRole.ToolTipRole and flags:
            return "\n".join(flags)
        if role == Qt.ItemDataRole.BackgroundRole and run.is_pending:
            return PLANNED_BRUSH
        if role == Qt.ItemDataRole.ForegroundRole and run.is_pending:
            return ERROR_TEXT  # dark text on the light planned colour, in any palette
        if role == Qt.ItemDataRole.ForegroundRole and run.status in ("failed", "skipped"):
            return QBrush(QColor(130, 130, 130))
        if role == Qt.ItemDataRole.FontRole and run.is_pending and column.kind == "id":
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.FontRole and column.kind == "setting" \
                and column.name in run.actual:
            font = QFont()
            font.setItalic(True)
            return font
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(run, column)
        if role == Qt.ItemDataRole.TextAlignmentRole and isinstance(value, int | float):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def _tooltip(self, run: Run, column: RunColumn) -> str:
        if column.kind == "setting" and column.name in run.actual:
            planned = format_number(run.settings.get(column.name))
            return f"Really used {format_number(run.actual[column.name])} (planned {planned})"
        if column.kind == "result" and column.name in run.predicted:
            mean, sd = run.predicted[column.name]
            return (f"Predicted {format_number(round(mean, 3))} ± "
                    f"{format_number(round(sd, 3))} when suggested")
        if run.is_pending:
            return PLANNED_TIP
        return column.tip

    # ---------------------------------------------------------------- editing
    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if not index.isValid() or role != Qt.ItemDataRole.EditRole:
            return False
        try:
            command = self.edit_command(index.row(), index.column(), str(value))
        except ValueError as exc:
            self.document.refused.emit(str(exc))
            return False
        return True if command is None else self.document.do(command)

    def edit_command(self, row: int, col: int, text: str) -> commands.Command | None:
        """The command that writes `text` into a cell; None when nothing changes.

        ValueError names the run, the column and the value when `text` does not fit.
        """
        run = self.run(row)
        column = self.columns[col]
        if column.kind == "notes":
            return None if text == run.notes else commands.SetRunNotes(run.id, text)
        if column.kind == "status":
            status = text.strip().lower()
            if status not in STATUSES:
                raise ValueError(f"{run.id}, status: {text!r} is not one of "
                                 f"{', '.join(STATUSES)}")
            return None if status == run.status else commands.SetRunStatus(run.id, status)
        if column.kind == "setting":
            return self._actual_command(run, column, text)
        if column.kind != "result":
            raise ValueError(f"{run.id}, {column.title}: this column cannot be edited here")
        try:
            number = parse_number(text)
        except ValueError as exc:
            raise ValueError(f"{run.id}, {column.title}: {exc}") from None
        if number is None:
            if column.name not in run.results:
                return None
            return commands.ClearResults(run.id, [column.name])
        if run.results.get(column.name) == number:
            return None
        status = run.status if run.status == "failed" else "done"
        return commands.RecordResults(run.id, {column.name: number}, status=status)

    def _actual_command(self, run: Run, column: RunColumn,
                        text: str) -> commands.Command | None:
        """What was really used; typing the planned value (or nothing) clears the deviation."""
        variable = self.document.study.variable(column.name)
        title = column.title.replace("\n", " ")
        if variable.is_numeric:
            try:
                value: Any = parse_number(text)
            except ValueError as exc:
                raise ValueError(f"{run.id}, {title}: {exc}") from None
        else:
            value = text.strip() or None
        actual = dict(run.actual)
        if value is None or value == run.settings.get(column.name):
            actual.pop(column.name, None)
        else:
            actual[column.name] = value
        return None if actual == run.actual else commands.SetActualSettings(run.id, actual)

    def paste(self, rows: list[int], first_column: int, block: list[list[str]]) -> bool:
        """Write a block of cells (rows of text) into `rows`, from `first_column` rightwards.

        Every cell is checked first: nothing changes unless all of them fit. The whole paste
        is one undoable step.
        """
        edits: list[commands.Command] = []
        errors: list[str] = []
        for row, cells in zip(rows, block, strict=False):
            for offset, text in enumerate(cells):
                col = first_column + offset
                if col >= len(self.columns) or not self.columns[col].editable:
                    continue
                try:
                    command = self.edit_command(row, col, text)
                except ValueError as exc:
                    errors.append(str(exc))
                    continue
                if command is not None:
                    edits.append(command)
        if errors:
            self.document.refused.emit("Nothing was pasted: " + "; ".join(errors[:5]))
            return False
        if not edits:
            return True
        label = f"Paste {len(edits)} value{'s' if len(edits) > 1 else ''}"
        return self.document.do(commands.CompositeCommand(label, edits))


def _two_lines(title: str, unit: str) -> str:
    """Column headers with the unit on a second line keep the columns narrow."""
    return f"{title}\n[{unit}]" if unit else title
