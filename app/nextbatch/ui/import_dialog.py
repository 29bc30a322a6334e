"""The import preview: what a filled-in sheet would change, and what is wrong with it.

Nothing is applied until the user confirms; a sheet with errors cannot be applied at all,
one with warnings only after ticking “Import anyway”.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from nextbatch.ui.text_values import format_number


class ImportDialog(QDialog):
    """Shows an `ImportPreview`; `accepted_warnings` is what the user ticked."""

    def __init__(self, preview: Any, study: Any = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.preview = preview
        self._headers = {r.name: r.header for r in study.responses} if study else {}
        self.setWindowTitle(f"Import results from {preview.path.name}")
        self.resize(1000, 540)
        errors, warnings = preview.errors, preview.warnings
        self.summary = QLabel(self._summary())
        self.summary.setWordWrap(True)

        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Where", "What"])
        self.tree.setWordWrap(True)
        self.tree.setUniformRowHeights(False)
        self.tree.setToolTip("Everything the import would change, and every problem found")
        self._section("Errors — fix these in the sheet", [
            (p.where, _problem(p)) for p in errors])
        self._section("Warnings", [(p.where, _problem(p)) for p in warnings])
        self._section("Conflicts (not imported)", [
            (f"{c.run_id}, row {c.row}, column {c.column}",
             f"{c.header}: the sheet says {format_number(c.sheet_value)}, the study planned "
             f"{format_number(c.study_value)}") for c in preview.conflicts])
        self._section("Runs updated", [
            (f"{u.run_id} (row {u.row})", self._describe(u.results, u.status, u.notes))
            for u in preview.runs_updated])
        self._section("Runs added", [
            (f"{r.id} (batch {r.batch})", self._describe(r.results, r.status, r.notes or None))
            for r in preview.runs_added])
        self.tree.setColumnWidth(0, 300)

        self.accept_warnings = QCheckBox("Import anyway, accepting the warnings")
        self.accept_warnings.setToolTip("The warnings above will be kept as they are")
        self.accept_warnings.setVisible(bool(warnings) and not errors)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.apply_button = self.buttons.addButton(
            "Import", QDialogButtonBox.ButtonRole.AcceptRole)
        self.apply_button.setToolTip("Apply the whole import as one step you can undo")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.accept_warnings.toggled.connect(self._update)

        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.accept_warnings)
        layout.addWidget(self.buttons)
        self._update()

    def _summary(self) -> str:
        p = self.preview
        if p.errors:
            verdict = ("<b style='color:#d23c3c'>This sheet cannot be imported until the "
                       "errors below are fixed.</b> Nothing has been changed.")
        elif p.is_empty:
            verdict = "<b>The sheet holds nothing new.</b>"
        elif p.warnings:
            verdict = "<b>Check the warnings below</b> before importing."
        else:
            verdict = "<b style='color:#2f9a2f'>The sheet is fine.</b>"
        ignored = (f"<br>Columns not imported (not a result, setting or note of this study): "
                   f"{', '.join(p.unmatched)}" if p.unmatched else "")
        return (f"{verdict}<br>{len(p.runs_updated)} run(s) updated, {len(p.runs_added)} "
                f"added, {len(p.conflicts)} conflict(s), {len(p.errors)} error(s), "
                f"{len(p.warnings)} warning(s).{ignored}")

    def _section(self, title: str, rows: list[tuple[str, str]]) -> None:
        if not rows:
            return
        head = QTreeWidgetItem([f"{title} ({len(rows)})", ""])
        head.setFirstColumnSpanned(False)
        self.tree.addTopLevelItem(head)
        for where, what in rows:
            item = QTreeWidgetItem([where, what])
            item.setToolTip(0, where)
            item.setToolTip(1, what)
            head.addChild(item)
        head.setExpanded(True)

    @property
    def can_apply(self) -> bool:
        p = self.preview
        if p.errors or p.is_empty:
            return False
        return not p.warnings or self.accept_warnings.isChecked()

    def _update(self) -> None:
        self.apply_button.setEnabled(self.can_apply)

    def _describe(self, results: dict[str, Any], status: str | None, notes: str | None) -> str:
        parts = [f"{self._headers.get(k, k)} = {format_number(v)}" for k, v in results.items()]
        if status:
            parts.append(f"status {status}")
        if notes:
            parts.append(f"notes “{notes}”")
        return ", ".join(parts) or "no change"

    def command(self) -> Any:
        """The one command that applies the import (call only when `can_apply`)."""
        return self.preview.as_command(accept_warnings=self.accept_warnings.isChecked())


def _problem(problem: Any) -> str:
    """An error as “found 'tall'; expected a number…”; a warning as its sentence (sheet: 47.5)."""
    if problem.value is None:
        return problem.expected
    value = format_number(problem.value)
    if problem.severity == "error":
        return f"found {value!r}; expected {problem.expected}"
    return f"{problem.expected} (sheet: {value})"
