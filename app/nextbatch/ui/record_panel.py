"""A setup table with its Add / Remove / Move buttons and a line that explains problems."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from nextbatch.ui.delegates import ComboDelegate, Index
from nextbatch.ui.setup_model import RecordTableModel

if TYPE_CHECKING:
    from nextbatch.core.commands import Command


class ChoiceDelegate(ComboDelegate):
    """A drop-down for the columns whose values come from a fixed list (kind, goal, group)."""

    def __init__(self, model: RecordTableModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._model = model

    def choices(self, index: Index) -> list[str] | None:
        column = self._model.columns[index.column()]
        if column.kind != "choice" or column.choices is None:
            return None
        choices = column.choices(self._model.record(index.row()))
        return [column.words.get(c, c) for c in choices] if column.words else choices

    def tooltip(self, index: Index) -> str:
        return self._model.columns[index.column()].tip


class RecordPanel(QWidget):
    """Table of one kind of record; the buttons build the core commands given to it."""

    def __init__(self, model: RecordTableModel, title: str, noun: str,
                 add: Callable[[], Command], remove: Callable[[Any], Command],
                 move: Callable[[Any, int], Command] | None, empty_hint: str = "",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self._add, self._remove, self._move = add, remove, move
        self.table = QTableView()
        self.table.setModel(model)
        self.table.setItemDelegate(ChoiceDelegate(model, self.table))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.AllEditTriggers
                                   & ~QAbstractItemView.EditTrigger.CurrentChanged)

        buttons = QHBoxLayout()
        heading = QLabel(f"<b>{title}</b>")
        buttons.addWidget(heading)
        buttons.addStretch(1)
        for text, tip, slot in (
            (f"Add {noun}", f"Add a new {noun} at the end of the list", self.add_record),
            ("Remove", f"Remove the selected {noun}", self.remove_selected),
            ("Move up", f"Move the selected {noun} up", lambda: self.move_selected(-1)),
            ("Move down", f"Move the selected {noun} down", lambda: self.move_selected(1)),
        ):
            if move is None and text.startswith("Move"):
                continue
            button = QPushButton(text)
            button.setToolTip(tip)
            button.clicked.connect(slot)
            buttons.addWidget(button)

        self.problem_label = QLabel()
        self.problem_label.setWordWrap(True)
        self.problem_label.setStyleSheet("color: #d23c3c;")
        self.problem_label.setToolTip("Problems found in this table; the red cells show where")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(buttons)
        layout.addWidget(self.table, 1)
        self.empty_hint = QLabel(empty_hint)
        self.empty_hint.setWordWrap(True)
        self.empty_hint.setEnabled(False)
        layout.addWidget(self.empty_hint)
        layout.addWidget(self.problem_label)
        model.document.problems_changed.connect(self._show_problems)
        model.modelReset.connect(self.fit_columns)
        self.fit_columns()
        self._show_problems()

    def fit_columns(self) -> None:
        self.empty_hint.setVisible(bool(self.empty_hint.text()) and not self.model.rowCount())
        self.table.resizeColumnsToContents()
        header = self.table.horizontalHeader()
        for col in range(self.model.columnCount()):
            header.resizeSection(col, min(max(header.sectionSize(col), 50), 200))

    def _show_problems(self) -> None:
        lines = [f"{self._where(row)}: {p.message}"
                 for (row, _col), problems in sorted(self.model.cell_problems.items())
                 for p in problems if p.severity == "error"]
        self.problem_label.setText("\n".join(dict.fromkeys(lines)))
        self.problem_label.setVisible(bool(lines))

    def _where(self, row: int) -> str:
        record = self.model.record(row) if row < self.model.rowCount() else None
        return getattr(record, "title", None) or f"row {row + 1}"

    def selected_row(self) -> int | None:
        index = self.table.currentIndex()
        return index.row() if index.isValid() else None

    def add_record(self) -> None:
        if self.model.document.do(self._add()):
            last = self.model.rowCount() - 1
            self.table.setCurrentIndex(self.model.index(last, 0))

    def remove_selected(self) -> None:
        row = self.selected_row()
        if row is not None:
            self.model.document.do(self._remove(self.model.record(row)))

    def move_selected(self, delta: int) -> None:
        row = self.selected_row()
        if row is None or self._move is None:
            return
        target = row + delta
        if 0 <= target < self.model.rowCount():
            column = self.table.currentIndex().column()
            if self.model.document.do(self._move(self.model.record(row), target)):
                self.table.setCurrentIndex(self.model.index(target, column))
