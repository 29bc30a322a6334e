"""The runs tab: the runs table with filters, paste from Excel and status buttons."""

from __future__ import annotations

from PySide6.QtCore import (
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QGuiApplication, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from nextbatch.core import commands
from nextbatch.core.runs import STATUSES
from nextbatch.ui.delegates import ComboDelegate, Index
from nextbatch.ui.document import StudyDocument
from nextbatch.ui.runs_model import SORT_ROLE, RunsModel
from nextbatch.ui.text_values import parse_block

ALL = "all"


class RunsFilter(QSortFilterProxyModel):
    """Shows the runs of one batch and/or one status; sorts numbers as numbers."""

    def __init__(self, model: RunsModel) -> None:
        super().__init__(model)
        self.setSourceModel(model)
        self.setSortRole(SORT_ROLE)
        self.batch: int | None = None
        self.status: str | None = None

    def set_filter(self, batch: int | None, status: str | None) -> None:
        self.beginFilterChange()
        self.batch, self.status = batch, status
        self.endFilterChange()

    def filterAcceptsRow(self, row: int, parent: QModelIndex | QPersistentModelIndex) -> bool:
        model = self.sourceModel()
        if not isinstance(model, RunsModel) or row >= model.rowCount():
            return True
        run = model.run(row)
        return ((self.batch is None or run.batch == self.batch)
                and (self.status is None or run.status == self.status))


class StatusDelegate(ComboDelegate):
    """A drop-down of the four statuses for the Status column."""

    def __init__(self, model: RunsModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._column = model.column_of("status")

    def choices(self, index: Index) -> list[str] | None:
        return list(STATUSES) if index.column() == self._column else None

    def tooltip(self, index: Index) -> str:
        return "planned, done, failed or skipped"


class RunsTable(QTableView):
    """A table that takes Ctrl+V: a tab-separated block lands in the selection."""

    def __init__(self, model: RunsModel, proxy: RunsFilter) -> None:
        super().__init__()
        self.runs = model
        self.proxy = proxy
        self.setModel(proxy)
        self.setItemDelegate(StatusDelegate(model, self))
        self.setSortingEnabled(True)
        self.sortByColumn(-1, Qt.SortOrder.AscendingOrder)
        self.setAlternatingRowColors(False)
        self.verticalHeader().setVisible(False)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setToolTip("Type results into the cells, or paste a block copied from Excel "
                        "(Ctrl+V); planned runs are highlighted")

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.matches(QKeySequence.StandardKey.Paste):
            self.paste_text(QGuiApplication.clipboard().text())
            event.accept()
            return
        if event.matches(QKeySequence.StandardKey.Copy):
            QGuiApplication.clipboard().setText(self.selection_text())
            event.accept()
            return
        super().keyPressEvent(event)

    def selection_text(self) -> str:
        """The selected cells as a tab-separated block, the way Excel pastes it."""
        selected = self.selectedIndexes()
        if not selected:
            return ""
        rows = sorted({i.row() for i in selected})
        cols = sorted({i.column() for i in selected})
        chosen = {(i.row(), i.column()) for i in selected}
        lines = ["\t".join(str(self.proxy.index(r, c).data() or "") if (r, c) in chosen else ""
                           for c in cols) for r in rows]
        return "\n".join(lines) + "\n"

    def paste_text(self, text: str) -> bool:
        """Paste `text` (tab-separated) at the selection's top-left, down the visible rows.

        A single value pasted into a larger selection fills every selected cell.
        """
        block = parse_block(text)
        selected = self.selectedIndexes() or [self.currentIndex()]
        selected = [i for i in selected if i.isValid()]
        if not block or not selected:
            return False
        top = min(i.row() for i in selected)
        left = min(i.column() for i in selected)
        height = max(i.row() for i in selected) - top + 1
        if len(block) == 1 and len(block[0]) == 1 and len(selected) > 1:
            width = max(i.column() for i in selected) - left + 1
            block = [[block[0][0]] * width for _ in range(height)]
        visible = range(top, min(self.proxy.rowCount(), top + len(block)))
        rows = [self.proxy.mapToSource(self.proxy.index(r, left)).row() for r in visible]
        column = self.proxy.mapToSource(self.proxy.index(top, left)).column()
        return self.runs.paste(rows, column, block)


class RunsPanel(QWidget):
    """Runs with filters by batch and status, and buttons to mark runs failed or skipped."""

    import_requested = Signal()
    export_requested = Signal()

    def __init__(self, document: StudyDocument, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.model = RunsModel(document)
        self.proxy = RunsFilter(self.model)
        self.table = RunsTable(self.model, self.proxy)

        self.batch_filter = QComboBox()
        self.batch_filter.setToolTip("Show the runs of one batch only")
        self.status_filter = QComboBox()
        self.status_filter.setToolTip("Show only runs with this status")
        self.status_filter.addItem("All statuses", ALL)
        for status in STATUSES:
            self.status_filter.addItem(status.capitalize(), status)
        self.batch_filter.currentIndexChanged.connect(self.apply_filter)
        self.status_filter.currentIndexChanged.connect(self.apply_filter)

        top = QHBoxLayout()
        top.addWidget(QLabel("Show"))
        top.addWidget(self.batch_filter)
        top.addWidget(self.status_filter)
        top.addStretch(1)
        for text, tip, slot in (
            ("Mark done", "Mark the selected runs as done", lambda: self.mark("done")),
            ("Mark failed", "The recipe did not work (it did not emulsify, it curdled…): "
             "NextBatch learns to avoid it", lambda: self.mark("failed")),
            ("Mark skipped", "The run was not made; it is no longer waited for",
             lambda: self.mark("skipped")),
            ("Import results…", "Read results from a filled-in run sheet (Ctrl+I)",
             self.import_requested.emit),
            ("Export run sheet…", "Write the planned runs to an Excel sheet for the bench "
             "(Ctrl+E)", self.export_requested.emit),
        ):
            button = QPushButton(text)
            button.setToolTip(tip)
            button.clicked.connect(slot)
            top.addWidget(button)
        self.summary = QLabel()
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.summary)
        document.changed.connect(self.refresh)
        self.model.modelReset.connect(self.fit_columns)
        self.refresh()
        self.fit_columns()

    def fit_columns(self) -> None:
        """Size columns when runs or columns come and go, not on every edit.

        A width the user dragged stays while they type results.
        """
        self.table.resizeColumnsToContents()
        header = self.table.horizontalHeader()
        for col in range(self.model.columnCount()):
            header.resizeSection(col, min(header.sectionSize(col), 240))

    def refresh(self) -> None:
        batches = sorted({r.batch for r in self.document.study.runs})
        chosen = self.batch_filter.currentData()
        self.batch_filter.blockSignals(True)
        self.batch_filter.clear()
        self.batch_filter.addItem("All batches", ALL)
        for batch in batches:
            self.batch_filter.addItem(f"Batch {batch}", batch)
        found = self.batch_filter.findData(chosen)
        self.batch_filter.setCurrentIndex(max(found, 0))
        self.batch_filter.blockSignals(False)
        self.apply_filter()
        counts = {s: sum(r.status == s for r in self.document.study.runs) for s in STATUSES}
        parts = [f"{n} {s}" + (" (highlighted)" if s == "planned" else "")
                 for s, n in counts.items() if n]
        self.summary.setText(f"{sum(counts.values())} runs: {', '.join(parts) or 'none yet'}."
                             "  Type results into the table or paste them from Excel.")

    def apply_filter(self) -> None:
        batch = self.batch_filter.currentData()
        status = self.status_filter.currentData()
        self.proxy.set_filter(None if batch in (None, ALL) else int(batch),
                              None if status in (None, ALL) else str(status))

    def selected_run_ids(self) -> list[str]:
        rows = {self.proxy.mapToSource(i).row() for i in self.table.selectedIndexes()}
        return [self.model.run(r).id for r in sorted(rows)]

    def mark(self, status: str) -> bool:
        """Give every selected run `status`, as one undoable step."""
        ids = [i for i in self.selected_run_ids()
               if self.document.study.run(i).status != status]
        if not ids:
            return False
        edits: list[commands.Command] = [commands.SetRunStatus(i, status) for i in ids]
        return self.document.do(commands.CompositeCommand(f"Mark {len(ids)} run(s) {status}",
                                                          edits))
