"""The Insights tab: can the model be trusted, what matters, effects, progress, best recipe.

Everything is computed by `nextbatch.optim.insights` on a copy of the study in a worker: once
per change of the runs or the setup (a running update is cancelled first), and again for the
pictures that depend on a choice (a pair of settings, three ingredients, two results, a
margin) with the models of the last update. "Updating…" shows while a computation runs.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDoubleSpinBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from nextbatch.core import commands
from nextbatch.ui import plots
from nextbatch.ui.dialogs import Ask
from nextbatch.ui.document import StudyDocument
from nextbatch.ui.errors import show_error
from nextbatch.ui.workers import Job, Jobs

DESIRABILITY = "desirability"
VERDICTS = ("good", "rough", "not yet")
VERDICT_COLORS = {"good": "#2e8b57", "rough": "#c77c00", "not yet": "#b03030"}
EFFECT_COLUMNS = 4
REPORT_FILTER = "PDF reports (*.pdf);;All files (*)"


def verdict_line(study: Any, checks: dict[str, Any]) -> str:
    """One line for beside the Suggest button: how well the model predicts each result."""
    groups: dict[str, list[str]] = {}
    for name, check in checks.items():
        groups.setdefault(check.verdict, []).append(study.response(name).title)
    parts = [f"{verdict} for {_and(groups[verdict])}" for verdict in VERDICTS
             if verdict in groups]
    return "Model check: " + (", ".join(parts) if parts else "no results to learn from yet")


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _combo(tip: str) -> QComboBox:
    box = QComboBox()
    box.setToolTip(tip)
    # as wide as 12 characters, not as the longest name: the sections must fit side by side
    box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    box.setMinimumContentsLength(12)
    return box


def _fill(box: QComboBox, items: list[tuple[str, str]]) -> None:
    """Replace the items (text, name) of `box`, keeping the current choice when it still exists."""
    current = box.currentData()
    box.blockSignals(True)
    box.clear()
    for text, name in items:
        box.addItem(text, name)
    if (i := box.findData(current)) >= 0:
        box.setCurrentIndex(i)
    box.blockSignals(False)


def _section(title: str, tip: str) -> tuple[QGroupBox, QVBoxLayout]:
    box = QGroupBox(title)
    box.setToolTip(tip)
    return box, QVBoxLayout(box)


class InsightsView(QWidget):
    """What the model has learnt so far, as pictures with captions in the lab's words."""

    updated = Signal()  # fresh insights are on screen
    detail_updated = Signal(str)  # one chosen picture is redrawn: "map", "ternary", ...
    checks_changed = Signal(str)  # the one-line verdict for the Suggest button

    def __init__(self, document: StudyDocument, jobs: Jobs,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.jobs = jobs
        self.insights: Any = None
        self.curves: dict[tuple[str, str], Any] = {}
        self._jobs: dict[str, Job] = {}
        self._seen: str | None = None
        self._closed = False
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(300)
        self.timer.timeout.connect(self.refresh)

        self.status = QLabel("Updating…")
        self.status.setWordWrap(True)
        content = QWidget()
        column = QVBoxLayout(content)
        self.report_button = QPushButton("Save a PDF report…")
        self.report_button.setToolTip("Write the study, its runs and these pictures to a PDF "
                                      "to file or email")
        self.report_button.clicked.connect(self.save_report)
        self.report_button.setEnabled(False)
        top = QHBoxLayout()
        top.addWidget(self.status, 1)
        top.addWidget(self.report_button)
        column.addLayout(top)
        column.addStretch(1)
        self._column = column
        scroll = QScrollArea()
        scroll.setWidget(content)
        scroll.setWidgetResizable(True)
        QVBoxLayout(self).addWidget(scroll)
        document.changed.connect(self.schedule)
        document.problems_changed.connect(self.schedule)  # the first: once the window is up
        self._built = False

    def _build(self) -> None:
        """Build the sections (and so load pyqtgraph) when first needed, not on opening."""
        if self._built:
            return
        self._built = True
        rows: tuple[tuple[tuple[QWidget, int], ...], ...] = (
            ((self._build_check(), 1), (self._build_importance(), 1)),
            ((self._build_effects(), 1),),
            ((self._build_map(), 1), (self._build_ternary(), 1)),
            ((self._build_progress(), 1), (self._build_trade_off(), 1)),
            ((self._build_best(), 3), (self._build_stop(), 2)))  # the table needs the room
        for i, row in enumerate(rows):
            pair = QHBoxLayout()
            for box, stretch in row:
                pair.addWidget(box, stretch)
            self._column.insertLayout(1 + i, pair)
        self._fill_choices()

    def showEvent(self, event: QShowEvent) -> None:
        self._build()
        super().showEvent(event)

    # ------------------------------------------------------------------ sections
    def _build_check(self) -> QGroupBox:
        box, layout = _section("Can the model be trusted yet?",
                               "How well the model predicts runs it has not seen")
        self.verdicts = QLabel()
        self.verdicts.setWordWrap(True)
        self.verdicts.setTextFormat(Qt.TextFormat.RichText)
        self.check_response = _combo("Which result to show")
        self.check_response.currentIndexChanged.connect(self._draw_check)
        self.check_card = plots.PlotCard("Predicted against measured", plots.CHECK_CAPTION)
        layout.addWidget(self.verdicts)
        layout.addLayout(self._row("Result", self.check_response))
        layout.addWidget(self.check_card)
        return box

    def _build_importance(self) -> QGroupBox:
        box, layout = _section("What matters", "Which settings change the result most")
        self.importance_response = _combo("Which result, or all of them together")
        self.importance_response.currentIndexChanged.connect(self._draw_importance)
        self.importance_card = plots.PlotCard("What matters", plots.IMPORTANCE_CAPTION)
        layout.addLayout(self._row("Result", self.importance_response))
        layout.addWidget(self.importance_card)
        return box

    def _build_effects(self) -> QGroupBox:
        box, layout = _section("Effect of each setting",
                               "The predicted result along each setting, others at the best "
                               "recipe")
        self.effect_response = _combo("Which result to show along each setting")
        self.effect_response.currentIndexChanged.connect(self._draw_effects)
        self.effect_caption = QLabel()
        self.effect_caption.setWordWrap(True)
        self.effect_grid = QGridLayout()
        self.effect_cards: dict[str, plots.PlotCard] = {}
        layout.addLayout(self._row("Result", self.effect_response))
        layout.addWidget(self.effect_caption)
        layout.addLayout(self.effect_grid)
        return box

    def _build_map(self) -> QGroupBox:
        box, layout = _section("Two settings at once", "The prediction over a pair of settings")
        self.map_x, self.map_y = _combo("Across"), _combo("Up")
        self.map_response = _combo("Which result to colour by")
        for combo in (self.map_x, self.map_y, self.map_response):
            combo.currentIndexChanged.connect(lambda _i: self.start_detail("map"))
        self.map_card = plots.PlotCard("Two settings at once")
        layout.addLayout(self._row("Across", self.map_x, "up", self.map_y, "result",
                                   self.map_response))
        layout.addWidget(self.map_card)
        return box

    def _build_ternary(self) -> QGroupBox:
        self.ternary_box, layout = _section("Three ingredients of a mixture",
                                            "The prediction over three ingredients")
        self.ternary_mixture = _combo("Which mixture")
        self.ternary_mixture.currentIndexChanged.connect(self._fill_components)
        self.ternary_parts = [_combo(f"Ingredient {i + 1}") for i in range(3)]
        self.ternary_response = _combo("Which result to colour by")
        for combo in (*self.ternary_parts, self.ternary_response):
            combo.currentIndexChanged.connect(lambda _i: self.start_detail("ternary"))
        self.ternary_card = plots.PlotCard("Mixture triangle")
        layout.addLayout(self._row("Mixture", self.ternary_mixture, "result",
                                   self.ternary_response))
        layout.addLayout(self._row("Ingredients", *self.ternary_parts))
        layout.addWidget(self.ternary_card)
        return self.ternary_box

    def _build_progress(self) -> QGroupBox:
        box, layout = _section("Progress", "The best result so far after each batch")
        self.progress_response = _combo("Which result, or all of them together")
        self.progress_response.currentIndexChanged.connect(self._draw_progress)
        self.progress_card = plots.PlotCard("Best so far")
        layout.addLayout(self._row("Result", self.progress_response))
        layout.addWidget(self.progress_card)
        return box

    def _build_best(self) -> QGroupBox:
        box, layout = _section("Best recipe", "The best run so far and the model's best guess")
        self.best_table = QTableWidget()
        self.best_table.setToolTip("The best run measured so far beside the recipe the model "
                                   "expects to be best, with the range it most likely lies in")
        self.confirm_button = QPushButton("Add a confirmation run")
        self.confirm_button.setToolTip("Plan the model's best recipe as a run, to check it at "
                                       "the bench")
        self.confirm_button.clicked.connect(self.add_confirmation_run)
        layout.addWidget(self.best_table)
        layout.addLayout(self._row("", self.confirm_button))
        return box

    def _build_stop(self) -> QGroupBox:
        box, layout = _section("Stop or go on?",
                               "How likely another batch beats the best recipe so far")
        self.stop_words = QLabel()
        self.stop_words.setWordWrap(True)
        self.margin = QDoubleSpinBox()
        self.margin.setDecimals(3)
        self.margin.setRange(0, 1e9)
        self.margin.setToolTip("How much better a recipe must be to be worth another batch, "
                               "in the result's own unit")
        self.margin.editingFinished.connect(lambda: self.start_detail("stop"))
        self.margin_unit = QLabel()
        layout.addWidget(self.stop_words)
        layout.addWidget(QLabel("Another batch is worth it if it beats the best by at least"))
        layout.addLayout(self._row(self.margin, self.margin_unit))
        layout.addStretch(1)
        return box

    def _build_trade_off(self) -> QGroupBox:
        box, layout = _section("Trade-offs", "What one result costs in another")
        self.trade_a, self.trade_b = _combo("Across"), _combo("Up")
        for combo in (self.trade_a, self.trade_b):
            combo.currentIndexChanged.connect(lambda _i: self.start_detail("trade"))
        self.trade_card = plots.PlotCard("Trade-off", plots.TRADE_OFF_CAPTION)
        layout.addLayout(self._row("Across", self.trade_a, "up", self.trade_b))
        layout.addWidget(self.trade_card)
        return box

    @staticmethod
    def _row(*parts: Any) -> QHBoxLayout:
        row = QHBoxLayout()
        for part in parts:
            if isinstance(part, str):
                if part:
                    row.addWidget(QLabel(part))
            else:
                row.addWidget(part)
        row.addStretch(1)
        return row

    # ------------------------------------------------------------------ choices
    def _fill_choices(self) -> None:
        study = self.document.study
        responses = [(r.title, r.name) for r in study.responses if r.is_optimized]
        with_all = [*responses, ("All results together", DESIRABILITY)]
        every = [(r.title, r.name) for r in study.responses]
        numeric = [(v.title, v.name) for v in study.variables
                   if v.is_numeric and v.fixed is None]
        for box, items in ((self.check_response, every), (self.effect_response, with_all),
                           (self.importance_response, with_all),
                           (self.progress_response, with_all), (self.map_x, numeric),
                           (self.map_y, numeric), (self.map_response, with_all),
                           (self.ternary_response, with_all), (self.trade_a, responses),
                           (self.trade_b, responses)):
            _fill(box, items)
        if self.map_y.currentIndex() == self.map_x.currentIndex() and len(numeric) > 1:
            self.map_y.setCurrentIndex(1)
        if self.trade_b.currentIndex() == self.trade_a.currentIndex() and len(responses) > 1:
            self.trade_b.setCurrentIndex(1)
        mixtures = [(m.title, m.name) for m in study.mixtures
                    if len(study.components(m.name)) >= 3]
        _fill(self.ternary_mixture, mixtures)
        self.ternary_box.setVisible(bool(mixtures))
        self._fill_components()

    def _fill_components(self) -> None:
        name = self.ternary_mixture.currentData()
        parts = [(v.title, v.name) for v in self.document.study.components(name)] if name else []
        for i, box in enumerate(self.ternary_parts):
            _fill(box, parts)
            if box.currentIndex() < 0 or len({b.currentIndex() for b in self.ternary_parts[
                    :i + 1]}) <= i:
                box.setCurrentIndex(min(i, len(parts) - 1))
        self.start_detail("ternary")

    # ------------------------------------------------------------------ updating
    def _fingerprint(self) -> str:
        import json

        d = self.document.study.to_dict()
        return json.dumps([d[k] for k in ("variables", "mixtures", "constraints", "responses",
                                           "runs")], sort_keys=True, default=str)

    @property
    def busy(self) -> bool:
        """Whether an update is due or running (the pictures may still change)."""
        return bool(self._jobs) or self.timer.isActive()

    def schedule(self) -> None:
        """After an edit: update soon, unless nothing the model sees has changed."""
        if not self._closed and self._fingerprint() != self._seen:
            self.status.setText("Updating…")
            self.timer.start()

    def shutdown(self) -> None:
        """The study is closing: start nothing more (the window joins what runs)."""
        self._closed = True
        self.timer.stop()

    def refresh(self) -> Job | None:
        """Cancel any running update and start a fresh one on a copy of the study."""
        if self._closed:
            return None
        self._seen = self._fingerprint()
        self._build()
        self._fill_choices()
        study = self.document.study.copy()

        def work(progress: Callable[[float, str], None], cancelled: Callable[[], bool]) -> Any:
            from nextbatch.optim import insights as compute

            found = compute.analyze(study, seed=0, progress=progress, cancel=cancelled)
            return found, effect_curves(compute, study, found.models, cancelled)

        return self._run("update", work, self._show)

    def _run(self, name: str, work: Any, done: Callable[[Any], None]) -> Job | None:
        if self._closed:
            return None
        if (old := self._jobs.get(name)) is not None:
            old.cancel()
        self.status.setText("Updating…")
        job = self.jobs.start(f"insights-{name}", work)
        self._jobs[name] = job
        job.succeeded.connect(lambda result: self._jobs.get(name) is job and done(result))
        job.failed.connect(lambda exc, details: self._jobs.get(name) is job and self._failed(
            name, exc, details))
        job.finished.connect(lambda: self._finished(name, job))
        return job

    def _finished(self, name: str, job: Job) -> None:
        if self._jobs.get(name) is job:
            del self._jobs[name]
        self.report_button.setEnabled(self.insights is not None and not self._jobs)
        if not self._jobs and self.status.text() == "Updating…":
            self.status.setText(self._summary())

    def _failed(self, name: str, exc: BaseException, details: str) -> None:
        """A message where the picture would be; a bug also gets the error dialog."""
        from nextbatch.core.errors import NextBatchError

        if not isinstance(exc, NextBatchError):
            show_error(self, "Updating the insights failed", exc, details)
        if name == "update":
            self.status.setText(f"Could not update the insights: {exc}")
            self.checks_changed.emit(f"Model check: not done ({exc})")
        elif name == "stop":
            self.stop_words.setText(str(exc))
        else:
            card = {"map": self.map_card, "ternary": self.ternary_card,
                    "trade": self.trade_card}[name]
            card.clear()
            card.set_caption(str(exc))

    def _summary(self) -> str:
        study = self.document.study
        measured = sum(1 for r in study.runs if r.has_results())
        return f"Based on the {measured} measured runs so far."

    def _show(self, result: tuple[Any, dict[tuple[str, str], Any]]) -> None:
        self.insights, self.curves = result
        self._show_verdicts()
        self._draw_check()
        self._draw_importance()
        self._draw_effects()
        self._draw_progress()
        self._show_best()
        for name in ("map", "ternary", "trade"):
            self.start_detail(name)
        self.status.setText(self._summary())
        self.updated.emit()

    # ------------------------------------------------------------------ pictures
    def _show_verdicts(self) -> None:
        study = self.document.study
        lines = []
        for name, check in self.insights.checks.items():
            color = VERDICT_COLORS.get(check.verdict, plots.INK)
            lines.append(f"<b>{study.response(name).title}</b>: <span style='color:{color}'>"
                         f"<b>{check.verdict}</b></span> — {check.advice}")
        self.verdicts.setText("<br>".join(lines) or "No measured results yet.")
        self.checks_changed.emit(verdict_line(study, self.insights.checks))

    def _draw_check(self) -> None:
        self.check_card.clear()
        name = self.check_response.currentData()
        if self.insights is not None and name in self.insights.checks:
            plots.draw_model_check(self.check_card.plot, self.insights.checks[name],
                                   self.document.study.response(name))

    def _draw_importance(self) -> None:
        self.importance_card.clear()
        name = self.importance_response.currentData()
        if self.insights is not None and name in self.insights.importance:
            titles = {v.name: v.title for v in self.document.study.variables}
            plots.draw_importance(self.importance_card.plot, self.insights.importance[name],
                                  titles)

    def _draw_effects(self) -> None:
        study = self.document.study
        name = self.effect_response.currentData()
        for card in self.effect_cards.values():
            self.effect_grid.removeWidget(card)
            card.deleteLater()
        self.effect_cards = {}
        if name is None:
            return
        response = plots.measure(study, name)
        self.effect_caption.setText(plots.effect_caption(response.title))
        shown = [v for v in study.variables if (v.name, name) in self.curves]
        for i, variable in enumerate(shown):
            card = plots.PlotCard(variable.title)
            card.caption.hide()
            card.widget.setMinimumSize(260, 200)
            card.widget.setMaximumHeight(240)
            plots.draw_effect(card.plot, self.curves[variable.name, name], variable, response)
            self.effect_grid.addWidget(card, i // EFFECT_COLUMNS, i % EFFECT_COLUMNS)
            self.effect_cards[variable.name] = card

    def _draw_progress(self) -> None:
        self.progress_card.clear()
        name = self.progress_response.currentData()
        if self.insights is None or name is None or not self.insights.progress:
            return
        points = self.insights.progress
        study = self.document.study
        if name == DESIRABILITY:
            values = [p.best_desirability for p in points]
            label, what = "Overall desirability (0–1)", "overall desirability"
        else:
            response = study.response(name)
            values = [p.best.get(name, float("nan")) for p in points]
            label, what = response.header, response.title
        unit = "" if name == DESIRABILITY else study.response(name).unit
        tips = [f"after batch {p.batch} ({p.n_runs} runs): best {plots.number(v, unit)}"
                for p, v in zip(points, values, strict=True)]
        plots.draw_progress(self.progress_card.plot, [p.batch for p in points], values, label,
                            tips)
        self.progress_card.set_caption(plots.progress_caption(what))

    def _show_best(self) -> None:
        from nextbatch.io.runsheet import rounded

        best, study, table = self.insights.best, self.document.study, self.best_table
        rows = [(v.header, _plain(rounded(v, best.measured_settings.get(v.name, ""))),
                 _plain(rounded(v, best.predicted_settings.get(v.name, ""))), "")
                for v in study.variables]
        for r in study.responses:
            interval = best.interval.get(r.name)
            mean = best.predicted.get(r.name)
            rows.append((r.header, _plain(best.measured_results.get(r.name)),
                         plots.number(mean[0]) if mean else "",
                         f"{plots.number(interval[0])} to {plots.number(interval[1], r.unit)}"
                         if interval else ""))
        table.clear()
        table.setRowCount(len(rows))
        table.setColumnCount(3)
        run = f" ({best.measured_run_id})" if best.measured_run_id else ""
        table.setHorizontalHeaderLabels([f"Best run so far{run}",
                                         "Model's best recipe", "Most likely between"])
        table.setVerticalHeaderLabels([row[0] for row in rows])
        for i, row in enumerate(rows):
            for j, text in enumerate(row[1:]):
                item = QTableWidgetItem(text)
                item.setFlags(Qt.ItemFlag.ItemIsEnabled)
                table.setItem(i, j, item)
        header = table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        table.resizeRowsToContents()
        table.setFixedHeight(header.sizeHint().height() + 2 * table.frameWidth()
                             + sum(table.rowHeight(i) for i in range(table.rowCount())) + 2)
        self.confirm_button.setEnabled(bool(best.predicted_settings))
        self._show_stop(self.insights.stop)

    def _show_stop(self, stop: Any) -> None:
        self.stop_words.setText(stop.message)
        self.margin_unit.setText(margin_unit(self.insights.models))
        self.margin.blockSignals(True)
        self.margin.setValue(float(stop.margin))
        self.margin.blockSignals(False)
        self.detail_updated.emit("stop")

    # ------------------------------------------------------------------ chosen pictures
    def start_detail(self, name: str) -> Job | None:
        """Redraw one picture that depends on a choice, in a worker, with the last models."""
        if self.insights is None:
            return None
        models = self.insights.models
        study = models.study  # the copy the models were fitted on (they check that)
        if name == "map":
            x, y, r = (self.map_x.currentData(), self.map_y.currentData(),
                       self.map_response.currentData())
            if None in (x, y, r) or x == y:
                self.map_card.clear()
                return None
            args: tuple[Any, ...] = (x, y, r)
        elif name == "ternary":
            parts = [b.currentData() for b in self.ternary_parts]
            r = self.ternary_response.currentData()
            mixture = self.ternary_mixture.currentData()
            if None in (*parts, r, mixture) or len(set(parts)) < 3:
                self.ternary_card.clear()
                return None
            args = (mixture, tuple(parts), r)
        elif name == "trade":
            a, b = self.trade_a.currentData(), self.trade_b.currentData()
            if None in (a, b) or a == b:
                self.trade_card.clear()
                return None
            args = (a, b)
        else:
            args = (self.margin.value(),)

        def work(_progress: Any, _cancelled: Any) -> Any:
            from nextbatch.optim import insights as compute

            if name == "map":
                return compute.effect_map(study, *args, models=models)
            if name == "ternary":
                return compute.ternary_map(study, *args, models=models)
            if name == "trade":
                return compute.trade_off(study, *args, models=models)
            return compute.stop_advice(study, models=models, margin=args[0])

        return self._run(name, work, lambda result: self._show_detail(name, args, result))

    def _show_detail(self, name: str, args: tuple[Any, ...], result: Any) -> None:
        study = self.document.study
        if name == "stop":
            self._show_stop(result)
            return
        card = {"map": self.map_card, "ternary": self.ternary_card, "trade": self.trade_card}[name]
        card.clear()
        if name == "map":
            var_x, var_y, response = (study.variable(args[0]), study.variable(args[1]),
                                      plots.measure(study, args[2]))
            plots.draw_map(card.plot, result, var_x, var_y, response,
                           plots.measured_pairs(study, args[0], args[1]))
            card.set_caption(plots.map_caption(response.title))
        elif name == "ternary":
            response = plots.measure(study, args[2])
            plots.draw_ternary(card.plot, result, [study.variable(n) for n in args[1]],
                               response)
            card.set_caption(plots.ternary_caption(response.title))
        else:
            plots.draw_trade_off(card.plot, result, study.response(args[0]),
                                 study.response(args[1]))
        self.detail_updated.emit(name)

    # ------------------------------------------------------------------ the report
    def save_report(self) -> Job | None:
        """Write the PDF report of what is on screen; the job that computes it.

        The numbers are computed in a worker, the pages drawn here when it is done: pictures
        and pages are Qt widgets and painters, which live on the GUI thread.
        """
        if self.insights is None or self._jobs:
            return None
        insights = self.insights
        study = insights.models.study  # the copy these insights were computed on
        path = Ask.save_path(self, "Save report", f"{study.name} - report.pdf", REPORT_FILTER)
        if path is None:
            return None

        def work(_progress: Any, _cancelled: Any) -> Any:
            from nextbatch.ui.report import gather

            return gather(study, insights)

        self.report_button.setEnabled(False)
        self.status.setText("Writing the report…")
        job = self.jobs.start("insights-report", work)
        job.succeeded.connect(lambda data: self._write_report(study, path, data))
        job.failed.connect(lambda exc, details: show_error(
            self, f"Could not write {path.name}", exc, details))
        job.finished.connect(lambda: self.report_button.setEnabled(not self._jobs))
        return job

    def _write_report(self, study: Any, path: Path, data: Any) -> None:
        from nextbatch.ui.report import write_report

        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            pages = write_report(study, path, data)
        except OSError as exc:
            show_error(self, f"Could not write {path.name}", exc, "")
            self.status.setText(f"The report was not written: {exc}")
            return
        finally:
            QApplication.restoreOverrideCursor()
        self.status.setText(f"Report written to {path} ({pages} pages).")

    # ------------------------------------------------------------------ confirmation
    def add_confirmation_run(self) -> str | None:
        """Plan the model's best recipe as a run of its own (one undo step); its ID."""
        if self.insights is None:
            return None
        from nextbatch.optim.insights import confirmation_run

        run = confirmation_run(self.document.study, self.insights.best)
        if not self.document.do(commands.AddRuns([run])):
            return None
        self.status.setText(f"Confirmation run {run.id} planned: make it and type in its "
                            "results.")
        return run.id


def effect_names(study: Any, models: Any) -> list[str]:
    """The responses (and the overall desirability) whose effects can be drawn."""
    names = [r.name for r in study.responses if r.is_optimized and r.name in models.models]
    return [*names, DESIRABILITY] if models.objective is not None else names


def effect_curves(compute: Any, study: Any, models: Any,
                  cancelled: Callable[[], bool] = lambda: False) -> dict[tuple[str, str], Any]:
    """Every curve of the effects section: (variable, response) -> EffectCurve."""
    curves = {}
    for name in effect_names(study, models):
        for variable in study.variables:
            if variable.fixed is None and not cancelled():
                curves[variable.name, name] = compute.effect_curve(study, variable.name, name,
                                                                   models=models)
    return curves


def margin_unit(models: Any) -> str:
    """What the stop margin is measured in: the unit of the one goal, else desirability."""
    goals = models.objective.goals if models.objective is not None else []
    if len(goals) == 1:
        response = goals[0].response
        return response.unit or f"(on the scale of {response.title})"
    return "of overall desirability (0 to 1)"


def _plain(value: object) -> str:
    """A setting or a measured result as the lab typed it: 3.2, 25, 4600, lecithin."""
    if value is None or value == "":
        return ""
    return f"{value:.6g}" if isinstance(value, float) else str(value)
