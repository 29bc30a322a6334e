"""One editable table model for the setup lists (variables, mixtures, responses).

Each row is a record of the study (a Variable, a Mixture, a Response); each column reads one
field and turns typed text into a change that a core Edit… command applies. Problems of the
study (`variables[2].high`) colour their cell red, with the model's own message as tooltip.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from nextbatch.ui.text_values import format_number, parse_number, parse_numbers, split_list

if TYPE_CHECKING:
    from nextbatch.core.commands import Command
    from nextbatch.core.errors import Problem
    from nextbatch.ui.document import StudyDocument

Index = QModelIndex | QPersistentModelIndex
ERROR_BRUSH = QBrush(QColor(255, 205, 205))
WARNING_BRUSH = QBrush(QColor(255, 238, 190))
INAPPLICABLE_BRUSH = QBrush(QColor(128, 128, 128, 40))
# Text on the light warning colours stays dark, whatever the palette (light or dark scheme).
ERROR_TEXT = QBrush(QColor(40, 20, 20))
_PATH = re.compile(r"^(\w+)\[(\d+)\](?:\.(\w+))?")


@dataclass(frozen=True)
class Column:
    """How one column shows and edits one field of a record.

    `kind` is "text", "number", "numbers" (a list), "texts", "choice" or "flag".
    `applies(record)` says whether the field means anything for this record (greyed if not);
    `fields` are the record fields this column shows (their problems land on this cell).
    """

    key: str
    title: str
    tip: str
    kind: str = "text"
    choices: Callable[[Any], list[str]] | None = None
    applies: Callable[[Any], bool] = lambda _r: True
    get: Callable[[Any], Any] | None = None
    to_field: Callable[[Any], str] | None = None  # which field an edit of this cell writes
    parser: Callable[[Any, str], Any] | None = None  # text -> value, when kind is not enough
    words: dict[str, str] | None = None  # a choice shown in plain words: value -> words
    editable: bool = True
    fields: tuple[str, ...] = field(default=())

    def value(self, record: Any) -> Any:
        return self.get(record) if self.get else getattr(record, self.key)

    def problem_fields(self) -> tuple[str, ...]:
        return self.fields or (self.key,)

    def display(self, record: Any) -> str:
        value = self.value(record)
        if self.kind in ("numbers", "texts"):
            return "; ".join(format_number(v) for v in value or [])
        if self.kind == "flag":
            return ""
        if self.words is not None:
            return self.words.get(value, str(value or ""))
        return format_number(value) if self.kind == "number" else str(value or "")

    def parse(self, record: Any, text: str) -> Any:
        """The typed value for `text`; ValueError with a message naming the column."""
        try:
            if self.parser is not None:
                return self.parser(record, text)
            if self.kind == "number":
                return parse_number(text)
            if self.kind == "numbers":
                return parse_numbers(text)
            if self.kind == "texts":
                return split_list(text)
        except ValueError as exc:
            raise ValueError(f"{self.title}: {exc}") from None
        text = text.strip()
        if self.words is not None:
            by_words = {w: v for v, w in self.words.items()}
            text = by_words.get(text, text)
        if self.kind == "choice" and self.choices is not None:
            allowed = self.choices(record)
            if text not in allowed:
                shown = [self.words.get(a, a) for a in allowed] if self.words else allowed
                raise ValueError(f"{self.title}: {text!r} is not one of {', '.join(shown)}")
            return text or None
        return text


class RecordTableModel(QAbstractTableModel):
    """Rows of `records()`, columns of `columns`; edits go through `edit(record, changes)`."""

    def __init__(self, document: StudyDocument, prefix: str, columns: Sequence[Column],
                 records: Callable[[], list[Any]],
                 edit: Callable[[Any, dict[str, Any]], Command]) -> None:
        super().__init__(document)
        self.document = document
        self.prefix = prefix
        self.columns = list(columns)
        self._records = records
        self._edit = edit
        self.cell_problems: dict[tuple[int, int], list[Problem]] = {}
        self.last_error = ""
        self._rows = len(records())
        document.changed.connect(self._reset)
        document.problems_changed.connect(self._reload_problems)

    def _reset(self) -> None:
        """Refresh after an edit: in place when the row count held (keeps the selection)."""
        rows = len(self._records())
        if rows != self._rows:
            self.beginResetModel()
            self._rows = rows
            self.cell_problems = {}  # rows moved: the next check places the flags again
            self.endResetModel()
        elif rows:
            self.dataChanged.emit(self.index(0, 0), self.index(rows - 1, len(self.columns) - 1))

    def _reload_problems(self) -> None:
        keys = {name: col for col, column in enumerate(self.columns)
                for name in column.problem_fields()}
        cells: dict[tuple[int, int], list[Problem]] = {}
        for problem in self.document.problems():
            match = _PATH.match(problem.path)
            if not match or match.group(1) != self.prefix:
                continue
            row = int(match.group(2))
            col = keys.get(match.group(3) or "", 0)
            cells.setdefault((row, col), []).append(problem)
        self.cell_problems = cells
        if self.rowCount():
            self.dataChanged.emit(self.index(0, 0),
                                  self.index(self.rowCount() - 1, self.columnCount() - 1))

    def record(self, row: int) -> Any:
        return self._records()[row]

    def problems_at(self, row: int, column: int) -> list[Problem]:
        return self.cell_problems.get((row, column), [])

    # ------------------------------------------------------------ Qt model API
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self._rows

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self.columns):
            return None
        column = self.columns[section]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.title
        if role == Qt.ItemDataRole.ToolTipRole:
            return column.tip
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        column = self.columns[index.column()]
        if not column.editable:
            return base
        if column.kind == "flag":
            return base | Qt.ItemFlag.ItemIsUserCheckable
        return base | Qt.ItemFlag.ItemIsEditable

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        record = self.record(index.row())
        column = self.columns[index.column()]
        problems = self.problems_at(index.row(), index.column())
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            return column.display(record)
        if role == Qt.ItemDataRole.CheckStateRole and column.kind == "flag":
            return Qt.CheckState.Checked if column.value(record) else Qt.CheckState.Unchecked
        if role == Qt.ItemDataRole.ToolTipRole:
            if problems:
                return "\n".join(p.message for p in problems)
            return column.tip
        if role == Qt.ItemDataRole.BackgroundRole:
            if any(p.severity == "error" for p in problems):
                return ERROR_BRUSH
            if problems:
                return WARNING_BRUSH
            if not column.applies(record):
                return INAPPLICABLE_BRUSH
        if role == Qt.ItemDataRole.ForegroundRole and problems:
            return ERROR_TEXT
        return None

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if not index.isValid():
            return False
        record = self.record(index.row())
        column = self.columns[index.column()]
        if not column.editable:
            return False
        if role == Qt.ItemDataRole.CheckStateRole and column.kind == "flag":
            typed: Any = Qt.CheckState(value) == Qt.CheckState.Checked
        elif role == Qt.ItemDataRole.EditRole:
            try:
                typed = column.parse(record, str(value))
            except ValueError as exc:
                self.last_error = str(exc)
                self.document.refused.emit(self.last_error)
                return False
        else:
            return False
        key = column.to_field(record) if column.to_field else column.key
        if getattr(record, key) == typed:
            return True
        return self.document.do(self._edit(record, {key: typed}))
