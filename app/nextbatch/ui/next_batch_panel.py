"""The next batch: how many recipes, explore or refine, fixed values; Suggest; candidates.

Suggesting runs `nextbatch.optim.suggest` on a copy of the study in a worker thread. An
edited candidate is re-predicted the same way, with all its settings fixed and a batch of one.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSlider,
    QSpinBox,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from nextbatch.core import commands
from nextbatch.core.runs import Run, now_iso
from nextbatch.ui.candidates_model import Candidate, CandidatesModel
from nextbatch.ui.delegates import ComboDelegate, Index
from nextbatch.ui.document import StudyDocument
from nextbatch.ui.errors import show_error
from nextbatch.ui.fixed_values import FixedValues
from nextbatch.ui.workers import Job, Jobs

EXPLORE_STEPS = 10


def exploration_words(value: int) -> str:
    """The refine/explore slider position in the lab's words."""
    if value <= 2:
        return "Refine the best recipes so far"
    if value >= 8:
        return "Try new territory"
    return "A balance of both"


def default_settings(study: Any) -> dict[str, Any]:
    """A starting point for a recipe of the user's own: the middle of each range."""
    out: dict[str, Any] = {}
    for v in study.variables:
        if v.fixed is not None:
            out[v.name] = v.fixed
        elif v.kind == "categorical":
            out[v.name] = v.levels[0] if v.levels else ""
        elif v.kind in ("integer", "discrete"):
            grid = v.grid()
            out[v.name] = grid[len(grid) // 2] if grid else 0
        elif (bounds := v.bounds()) is not None:
            out[v.name] = round((bounds[0] + bounds[1]) / 2, 6)
    return out


class SettingDelegate(ComboDelegate):
    """Candidate settings: a drop-down of levels or grid values, a text field otherwise."""

    def __init__(self, model: CandidatesModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._model = model

    def choices(self, index: Index) -> list[str] | None:
        return self._model.choices_at(index.column())


class NextBatchPanel(QWidget):
    """Controls on the left, the candidate recipes on the right."""

    runs_added = Signal(list)  # the new run IDs

    def __init__(self, document: StudyDocument, jobs: Jobs,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.jobs = jobs
        self.job: Job | None = None
        self.candidates = CandidatesModel(document.study, self)
        self.candidates.needs_prediction.connect(self.predict_row)
        self._shape = self._study_shape()

        self.batch_size = QSpinBox()
        self.batch_size.setRange(1, 48)
        self.batch_size.setValue(document.study.batch_size)
        self.batch_size.setToolTip("How many recipes to make in the next batch")
        self.explore = QSlider(Qt.Orientation.Horizontal)
        self.explore.setRange(0, EXPLORE_STEPS)
        self.explore.setValue(5)
        self.explore.setToolTip("Left: stay close to the best recipes found so far. Right: try "
                                "recipes unlike any made yet, to learn more")
        self.explore_words = QLabel(exploration_words(5))
        self.explore.valueChanged.connect(
            lambda v: self.explore_words.setText(exploration_words(v)))
        self.fixed = FixedValues()
        self.fixed.set_study(document.study)
        fixed_scroll = QScrollArea()
        fixed_scroll.setWidget(self.fixed)
        fixed_scroll.setWidgetResizable(True)
        fixed_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        fixed_box = QGroupBox("Fix for this batch only")
        fixed_box.setToolTip("Values every recipe of this batch must use, e.g. the oven "
                             "temperature of today")
        QVBoxLayout(fixed_box).addWidget(fixed_scroll)

        self.suggest_button = QPushButton("Suggest recipes")
        self.suggest_button.setToolTip("Work out the next batch from the results so far")
        self.suggest_button.setDefault(True)
        self.suggest_button.clicked.connect(self.suggest)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop working out the batch")
        self.cancel_button.clicked.connect(self.cancel)
        self.cancel_button.setEnabled(False)
        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.progress.setToolTip("Progress of the suggestion")
        self.status = QLabel("Press “Suggest recipes” to plan the next batch.")
        self.status.setWordWrap(True)
        self.model_verdict = QLabel()
        self.model_verdict.setWordWrap(True)
        self.model_verdict.setToolTip("How well the model predicts runs it has not seen; "
                                      "details on the Insights tab")

        controls = QWidget()
        form = QFormLayout()
        form.addRow("Recipes in the batch", self.batch_size)
        explore_row = QHBoxLayout()
        explore_row.addWidget(QLabel("Refine"))
        explore_row.addWidget(self.explore, 1)
        explore_row.addWidget(QLabel("Explore"))
        form.addRow("Refine or explore", explore_row)
        form.addRow("", self.explore_words)
        left = QVBoxLayout(controls)
        left.addLayout(form)
        left.addWidget(fixed_box, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.suggest_button, 1)
        buttons.addWidget(self.cancel_button)
        left.addLayout(buttons)
        left.addWidget(self.model_verdict)
        left.addWidget(self.progress)
        left.addWidget(self.status)

        self.table = QTableView()
        self.table.setModel(self.candidates)
        self.table.setItemDelegate(SettingDelegate(self.candidates, self.table))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setWordWrap(True)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setToolTip("The proposed recipes: untick to leave one out, double-click a "
                              "setting to change it")
        add_own = QPushButton("Add my own recipe")
        add_own.setToolTip("Add a recipe of your own to the batch; change its settings in "
                           "the table")
        add_own.clicked.connect(self.add_own_recipe)
        self.add_button = QPushButton("Add to runs")
        self.add_button.setToolTip("Make the ticked recipes the planned runs of a new batch")
        self.add_button.clicked.connect(self.add_to_runs)
        self.export_button = QPushButton("Export run sheet…")
        self.export_button.setToolTip("Write the planned runs to an Excel sheet for the bench")
        right_buttons = QHBoxLayout()
        right_buttons.addWidget(add_own)
        right_buttons.addStretch(1)
        right_buttons.addWidget(self.add_button)
        right_buttons.addWidget(self.export_button)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.addWidget(QLabel("<b>Recipes for the next batch</b>"))
        right_layout.addWidget(self.table, 1)
        self.why = QLabel()
        self.why.setWordWrap(True)
        self.why.setToolTip("Why NextBatch proposes the selected recipe")
        right_layout.addWidget(self.why)
        right_layout.addLayout(right_buttons)
        self.table.selectionModel().currentRowChanged.connect(self._show_why)

        splitter = QSplitter()
        splitter.addWidget(controls)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 1)
        controls.setMinimumWidth(360)
        splitter.setSizes([400, 960])
        QVBoxLayout(self).addWidget(splitter)
        document.changed.connect(self._on_study_changed)
        self.candidates.dataChanged.connect(self._update_buttons)
        self.candidates.modelReset.connect(self._update_buttons)
        self._update_buttons()

    # ------------------------------------------------------------- suggesting
    def status_text(self) -> str:
        return self.status.text()

    def exploration(self) -> float:
        return self.explore.value() / EXPLORE_STEPS

    def seed(self) -> int:
        """Same study state, same seed: the batch can be reproduced."""
        return len(self.document.study.runs)

    def suggest(self) -> Job | None:
        """Start the engine in a worker; the candidates fill in when it is done."""
        if self.job is not None:
            return None
        try:
            fixed = self.fixed.values()
        except ValueError as exc:
            self.status.setText(str(exc))
            return None
        study = self.document.study.copy()
        size, seed, exploration = self.batch_size.value(), self.seed(), self.exploration()

        def work(progress: Any, cancelled: Any) -> list[Any]:
            from nextbatch.optim import suggest

            return suggest(study, batch_size=size, seed=seed, fixed=fixed,
                           exploration=exploration, progress=progress, cancel=cancelled)

        self.job = self.jobs.start("suggest", work)
        self.job.progressed.connect(self._on_progress)
        self.job.succeeded.connect(self._on_suggested)
        self.job.failed.connect(self._on_failed)
        self.job.cancelled.connect(lambda: self.status.setText("Stopped; nothing changed."))
        self.job.finished.connect(self._on_finished)
        self.progress.setValue(0)
        self.status.setText("Working out the next batch…")
        self._update_buttons()
        return self.job

    def show_model_verdict(self, text: str) -> None:
        """The model check's verdict (from the Insights tab), shown beside the Suggest button."""
        self.model_verdict.setText(text)

    def cancel(self) -> None:
        if self.job is not None:
            self.job.cancel()
            self.status.setText("Stopping…")

    def _on_progress(self, fraction: float, message: str) -> None:
        self.progress.setValue(round(100 * fraction))
        if message:
            self.status.setText(message)

    def _on_suggested(self, suggestions: list[Any]) -> None:
        self.candidates.set_candidates([
            Candidate(dict(s.settings), dict(s.predicted), s.reason) for s in suggestions])
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().resizeSection(self.candidates.columnCount() - 1, 600)
        self.table.resizeRowsToContents()
        self.table.selectRow(0)
        self.progress.setValue(100)
        self.status.setText(f"{len(suggestions)} recipes suggested. Untick or change any, "
                            "then “Add to runs”.")

    def _on_failed(self, exc: BaseException, details: str) -> None:
        self.status.setText(f"No batch: {exc}")
        show_error(self, "Suggesting the next batch failed", exc, details)

    def _on_finished(self) -> None:
        self.job = None
        self._update_buttons()

    def _update_buttons(self, *_args: Any) -> None:
        busy = self.job is not None
        self.suggest_button.setEnabled(not busy)
        self.cancel_button.setEnabled(busy)
        has = bool(self.candidates.included())
        self.add_button.setEnabled(has and not busy)

    # ------------------------------------------------------------- candidates
    def _show_why(self, current: Any, _previous: Any = None) -> None:
        row = current.row() if current.isValid() else -1
        if 0 <= row < self.candidates.rowCount():
            self.why.setText(f"<b>Recipe {row + 1}:</b> {self.candidates.candidates[row].reason}")
        else:
            self.why.clear()

    def predict_row(self, row: int) -> Job:
        """Re-predict an edited candidate: suggest a batch of one with every setting fixed."""
        candidate = self.candidates.candidates[row]
        study = self.document.study.copy()
        settings = dict(candidate.settings)

        def work(progress: Any, cancelled: Any) -> Any:
            from nextbatch.optim import suggest

            batch = suggest(study, batch_size=1, seed=0, fixed=settings, cancel=cancelled)
            return batch[0] if batch else None

        job = self.jobs.start("predict", work)
        job.succeeded.connect(lambda s: self._on_predicted(candidate, s))
        job.failed.connect(lambda exc, _details: self._on_predicted(candidate, None, exc))
        return job

    def _on_predicted(self, candidate: Candidate, suggestion: Any,
                      error: BaseException | None = None) -> None:
        if candidate not in self.candidates.candidates:
            return
        row = self.candidates.candidates.index(candidate)
        if suggestion is None:
            reason = f"Your own recipe (no prediction: {error})" if error else candidate.reason
            self.candidates.update_prediction(row, {}, reason)
            return
        reason = "Your own recipe." if candidate.source == "manual" else "Changed by you."
        self.candidates.update_prediction(row, dict(suggestion.predicted), reason)

    def add_own_recipe(self) -> int:
        row = self.candidates.append(Candidate(default_settings(self.document.study), {},
                                               "Your own recipe.", source="manual",
                                               updating=True))
        self._update_buttons()
        self.predict_row(row)
        return row

    def add_to_runs(self) -> list[str]:
        """The ticked recipes become the planned runs of a new batch, in one undo step."""
        chosen = self.candidates.included()
        if not chosen:
            return []
        study = self.document.study
        batch = study.next_batch_number()
        ids = study.new_run_ids(batch, len(chosen))
        created = now_iso()
        runs = [Run(id=i, batch=batch, status="planned", source=c.source,
                    settings=dict(c.settings), predicted=dict(c.predicted), created=created)
                for i, c in zip(ids, chosen, strict=True)]
        if not self.document.do(commands.AddRuns(runs)):
            return []
        self.candidates.set_candidates([])
        self.status.setText(f"Batch {batch} added to the runs ({len(runs)} planned). Export "
                            "the run sheet for the bench.")
        self._update_buttons()
        self.runs_added.emit(ids)
        return ids

    # -------------------------------------------------------------- the study
    def _study_shape(self) -> tuple[Any, ...]:
        study = self.document.study
        return (tuple((v.name, v.kind, v.fixed) for v in study.variables),
                tuple((r.name, r.goal) for r in study.responses))

    def _on_study_changed(self) -> None:
        """Candidates of another set of variables or results no longer make sense."""
        shape = self._study_shape()
        if shape != self._shape:
            self._shape = shape
            self.candidates.set_candidates([])
            self.fixed.set_study(self.document.study)
        self._update_buttons()
