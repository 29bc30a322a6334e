"""The open study: setup tabs, runs, next batch, insights; and the sheet import/export jobs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFormLayout,
    QLineEdit,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from nextbatch.core import commands
from nextbatch.ui.constraints_panel import ConstraintsPanel
from nextbatch.ui.dialogs import SHEET_FILTER, Ask
from nextbatch.ui.document import StudyDocument
from nextbatch.ui.errors import show_error
from nextbatch.ui.insights_view import InsightsView
from nextbatch.ui.next_batch_panel import NextBatchPanel
from nextbatch.ui.runs_view import RunsPanel
from nextbatch.ui.setup_panels import mixtures_panel, responses_panel, variables_panel
from nextbatch.ui.workers import Job, Jobs


class StudyView(QTabWidget):
    """Tabs: what you change, mixtures & rules, what you measure, runs, next batch."""

    def __init__(self, document: StudyDocument, jobs: Jobs,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.jobs = jobs
        self.setDocumentMode(True)

        self.name_edit = QLineEdit(document.study.name)
        self.name_edit.setToolTip("The study's name, shown in the title and on run sheets")
        self.name_edit.editingFinished.connect(self._commit_name)
        self.description_edit = QLineEdit(document.study.description)
        self.description_edit.setToolTip("What this study is for, in one line")
        self.description_edit.editingFinished.connect(self._commit_description)
        self.variables = variables_panel(document)
        setup = QWidget()
        form = QFormLayout()
        form.addRow("Study", self.name_edit)
        form.addRow("Aim", self.description_edit)
        setup_layout = QVBoxLayout(setup)
        setup_layout.addLayout(form)
        setup_layout.addWidget(self.variables, 1)

        self.mixtures = mixtures_panel(document)
        self.constraints = ConstraintsPanel(document)
        rules = QSplitter(Qt.Orientation.Vertical)
        rules.addWidget(self.mixtures)
        rules.addWidget(self.constraints)
        rules.setSizes([250, 450])
        rules_page = QWidget()
        QVBoxLayout(rules_page).addWidget(rules)

        self.responses = responses_panel(document)
        responses_page = QWidget()
        QVBoxLayout(responses_page).addWidget(self.responses)

        self.runs = RunsPanel(document)
        self.runs.import_requested.connect(self.import_results)
        self.runs.export_requested.connect(self.export_sheet)
        self.next_batch = NextBatchPanel(document, jobs)
        self.next_batch.export_button.clicked.connect(lambda: self.export_sheet())
        self.next_batch.runs_added.connect(lambda _ids: self.setCurrentWidget(self.runs))
        self.insights = InsightsView(document, jobs)
        self.insights.checks_changed.connect(self.next_batch.show_model_verdict)

        self.addTab(setup, "What you change")
        self.addTab(rules_page, "Mixtures && rules")
        self.addTab(responses_page, "What you measure")
        self.addTab(self.runs, "Runs")
        self.addTab(self.next_batch, "Next batch")
        self.addTab(self.insights, "Insights")
        for i, tip in enumerate((
                "The ingredients and process settings you can change, with their ranges",
                "Ingredients that add up to a total, and rules every recipe must follow",
                "The results you measure and what you want of each",
                "Every run so far: settings, results, notes",
                "Plan the next batch of recipes",
                "What the model has learnt: what matters, the best recipe, when to stop")):
            self.setTabToolTip(i, tip)
        document.changed.connect(self._refresh_info)

    def _refresh_info(self) -> None:
        study = self.document.study
        if not self.name_edit.hasFocus():
            self.name_edit.setText(study.name)
        if not self.description_edit.hasFocus():
            self.description_edit.setText(study.description)

    def _commit_name(self) -> None:
        name = self.name_edit.text().strip()
        if name and name != self.document.study.name:
            self.document.do(commands.EditStudyInfo(name=name))

    def _commit_description(self) -> None:
        text = self.description_edit.text().strip()
        if text != self.document.study.description:
            self.document.do(commands.EditStudyInfo(description=text))

    # ----------------------------------------------------------------- sheets
    def export_sheet(self, path: Path | None = None, ids: list[str] | None = None) -> Job | None:
        """Write a run sheet (default: the planned runs) in a worker; the job, or None."""
        study = self.document.study
        if not study.runs:
            Ask.inform(self, "Nothing to export", "The study has no runs yet: suggest a batch "
                       "on the “Next batch” tab and add it to the runs first.")
            return None
        if path is None:
            batch = max((r.batch for r in study.runs if r.is_pending),
                        default=study.next_batch_number() - 1)
            suggested = f"{study.name} - batch {batch}.xlsx"
            path = Ask.save_path(self, "Export run sheet", suggested, SHEET_FILTER)
            if path is None:
                return None
        copy = study.copy()
        runs = None if ids is None else [copy.run(i) for i in ids]
        target = path

        def work(_progress: Any, _cancelled: Any) -> Path:
            from nextbatch.io.runsheet import export_run_sheet

            return export_run_sheet(copy, target, runs=runs)

        job = self.jobs.start("export", work)
        job.succeeded.connect(lambda written: self.window().statusBar().showMessage(
            f"Run sheet written to {written}", 10000))
        job.failed.connect(lambda exc, details: show_error(
            self, f"Could not write {target.name}", exc, details))
        return job

    def import_results(self, path: Path | None = None) -> Job | None:
        """Read a filled-in sheet in a worker, then show the preview; apply on confirmation."""
        if path is None:
            path = Ask.open_path(self, "Import results", SHEET_FILTER)
            if path is None:
                return None
        copy = self.document.study.copy()
        source = path

        def work(_progress: Any, _cancelled: Any) -> Any:
            from nextbatch.io.importing import preview_import

            return preview_import(copy, source)

        job = self.jobs.start("import", work)
        job.succeeded.connect(self._review_import)
        job.failed.connect(lambda exc, details: show_error(
            self, f"Could not read {source.name}", exc, details))
        return job

    def _review_import(self, preview: Any) -> None:
        command = Ask.review_import(self, preview, self.document.study)
        if command is not None and self.document.do(command):
            self.setCurrentWidget(self.runs)
