"""Rules between ingredients, typed as people write them and checked while typing."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from nextbatch.core import commands
from nextbatch.core.constraints import format_constraint, parse_constraint
from nextbatch.core.errors import ConstraintSyntaxError
from nextbatch.ui.document import StudyDocument
from nextbatch.ui.setup_model import ERROR_BRUSH


class ConstraintsPanel(QWidget):
    """The list of rules, an entry line parsed as you type, and the feasibility verdict."""

    def __init__(self, document: StudyDocument, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.rules = QListWidget()
        self.rules.setToolTip("Double-click a rule to change it; red rules have a problem")
        self.rules.itemDoubleClicked.connect(self._start_editing)
        self.rules.currentRowChanged.connect(self._on_current_row)

        self.entry = QLineEdit()
        self.entry.setToolTip("Type a rule with ingredient names, numbers, + - * and one of "
                              "<= >= =; press Enter to add it")
        self.entry.textEdited.connect(self.check_entry)
        self.entry.returnPressed.connect(self.commit_entry)
        self.add_button = QPushButton("Add rule")
        self.add_button.setToolTip("Add the rule typed on the left (or replace the one being "
                                   "changed)")
        self.add_button.clicked.connect(self.commit_entry)
        self.remove_button = QPushButton("Remove")
        self.remove_button.setToolTip("Remove the selected rule")
        self.remove_button.clicked.connect(self.remove_selected)
        self.feedback = QLabel()
        self.feedback.setWordWrap(True)
        self.feedback.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.verdict = QLabel()
        self.verdict.setWordWrap(True)
        self.verdict.setToolTip("Whether any recipe can satisfy the bounds, mixture totals and "
                                "rules together")
        self._editing: int | None = None

        entry_row = QHBoxLayout()
        entry_row.addWidget(self.entry, 1)
        entry_row.addWidget(self.add_button)
        entry_row.addWidget(self.remove_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel("<b>Rules every recipe must follow</b>"))
        layout.addWidget(self.rules, 1)
        layout.addLayout(entry_row)
        layout.addWidget(self.feedback)
        layout.addWidget(self.verdict)
        document.changed.connect(self.refresh)
        document.changed.connect(self._update_placeholder)
        self._update_placeholder()
        document.problems_changed.connect(self.show_problems)
        self.refresh()

    # ---------------------------------------------------------------- showing
    def _update_placeholder(self) -> None:
        """An example rule written with this study's own names."""
        names = self.document.study.numeric_names()
        if len(names) >= 2:
            example = f"e.g.  {names[0]} - 2*{names[1]} >= 0   or   {names[0]} + {names[1]} <= 40"
        else:
            example = "Add numeric variables first; then write rules such as  a + b <= 40"
        self.entry.setPlaceholderText(example)

    def refresh(self) -> None:
        current = self.rules.currentRow()
        self.rules.clear()
        for text in self.document.study.constraints:
            item = QListWidgetItem(text)
            item.setToolTip("Double-click to change this rule")
            self.rules.addItem(item)
        if 0 <= current < self.rules.count():
            self.rules.setCurrentRow(current)

    def show_problems(self) -> None:
        empty: list[str] = []
        for problem in self.document.problems():
            row = _constraint_row(problem.path)
            if row is not None and row < self.rules.count():
                item = self.rules.item(row)
                item.setBackground(ERROR_BRUSH)
                item.setToolTip(problem.message)
            if problem.severity == "error" and (
                    problem.path == "constraints" or "no recipe" in problem.message):
                empty.append(problem.message)
        if empty:
            self.verdict.setText("⚠ No recipe satisfies these rules together with the "
                                 "bounds and mixture totals:\n" + "\n".join(empty))
            self.verdict.setStyleSheet("color: #d23c3c;")
        else:
            self.verdict.setText("✓ Recipes exist that follow every rule.")
            self.verdict.setStyleSheet("color: #2f9a2f;")

    # ---------------------------------------------------------------- editing
    def check_entry(self, text: str) -> bool:
        """Parse the entry as typed; show what it means or where it goes wrong."""
        if not text.strip():
            self.feedback.clear()
            return False
        try:
            parsed = parse_constraint(text, self.document.study.numeric_names())
        except ConstraintSyntaxError as exc:
            pointer = " " * exc.position + "^"
            self.feedback.setText(f"<span style='color:#d23c3c'>{_html(exc.reason)}</span>"
                                  f"<pre>{_html(text)}\n{pointer}</pre>")
            return False
        self.feedback.setText(f"<span style='color:#2f9a2f'>✓ {_html(format_constraint(parsed))}"
                              "</span>")
        return True

    def commit_entry(self) -> None:
        text = self.entry.text().strip()
        if not self.check_entry(text):
            return
        if self._editing is None:
            command: commands.Command = commands.AddConstraint(text)
        else:
            command = commands.EditConstraint(self._editing, text)
        if self.document.do(command):
            self.entry.clear()
            self.feedback.clear()
            self._editing = None
            self.add_button.setText("Add rule")

    def _start_editing(self, item: QListWidgetItem) -> None:
        self._editing = self.rules.row(item)
        self.entry.setText(item.text())
        self.add_button.setText("Replace rule")
        self.check_entry(item.text())
        self.entry.setFocus()

    def _on_current_row(self, row: int) -> None:
        if self._editing is not None and row != self._editing:
            self._editing = None
            self.add_button.setText("Add rule")

    def remove_selected(self) -> None:
        row = self.rules.currentRow()
        if row >= 0:
            self.document.do(commands.RemoveConstraint(row))


def _constraint_row(path: str) -> int | None:
    if path.startswith("constraints[") and "]" in path:
        try:
            return int(path[len("constraints["):path.index("]")])
        except ValueError:
            return None
    return None


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
