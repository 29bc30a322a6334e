"""The PDF report of a study: what was set up, what was run, what the model has learnt.

A lab files or emails it. It is one HTML document laid out by QTextDocument onto the pages of
a QPdfWriter (A4 landscape, page numbers at the foot), each part starting a new page, with the
same pictures as the Insights tab (`nextbatch.ui.plots`) drawn offscreen. Needs a running
QApplication (the CLI starts one on the offscreen platform when there is no display).
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import QMarginsF, QRectF, QSizeF, Qt, QUrl
from PySide6.QtGui import (
    QColor,
    QFont,
    QPageLayout,
    QPageSize,
    QPainter,
    QPdfWriter,
    QTextDocument,
)

import nextbatch
from nextbatch.core.responses import GOAL_WORDS
from nextbatch.core.study import Study
from nextbatch.ui import plots

DPI = 96  # layout units of the document: CSS pixels, as on screen
THIRD = (330, 235)  # logical size of a picture three to a row of the page
QUARTER = (245, 190)  # ... four to a row
STYLE = """
body { font-family: sans-serif; font-size: 10pt; color: #222; }
table.runs { font-size: 8pt; }
h1 { font-size: 20pt; } h2 { font-size: 14pt; color: #1f5fa8; } h3 { font-size: 11pt; }
table.data { border-collapse: collapse; }
table.data th { background: #e8eef6; text-align: left; padding: 3px; }
table.data td { padding: 3px; }
p.caption { color: #555; font-style: italic; }
p.meta { color: #555; }
"""


def ensure_app() -> Any:
    """The running QApplication, or a new one; offscreen on Linux without a display."""
    import os
    import sys

    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is not None:
        return app
    headless = not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    if sys.platform.startswith("linux") and headless:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    return QApplication(["nextbatch"])


def page_count(path: Path) -> int:
    """How many pages a PDF file holds (its page objects, not the page tree)."""
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", path.read_bytes()))


@dataclass(frozen=True, eq=False)
class ReportData:
    """Everything the report shows that takes computing: gathered in a worker, drawn after."""

    insights: Any  # nextbatch.optim.insights.Insights
    curves: dict[tuple[str, str], Any]  # (variable, response) -> EffectCurve
    trade: Any  # the TradeOff of the first two optimized responses, or None


def gather(study: Study, insights: Any = None, seed: int = 0) -> ReportData:
    """Compute what the report of `study` shows (no Qt: safe in a worker thread).

    `insights` must come from `analyze` on this very `study` object; it is computed when
    not given.
    """
    from nextbatch.optim import insights as compute

    insights = insights if insights is not None else compute.analyze(study, seed=seed)
    models = insights.models
    curves = {(v.name, r.name): compute.effect_curve(study, v.name, r.name, models=models)
              for r in study.responses if r.is_optimized and r.name in models.models
              for v in study.variables if v.fixed is None}
    optimized = [r.name for r in study.responses if r.is_optimized]
    trade = (compute.trade_off(study, optimized[0], optimized[1], models=models)
             if len(optimized) >= 2 else None)
    return ReportData(insights, curves, trade)


def write_report(study: Study, path: Path, data: ReportData | None = None,
                 seed: int = 0) -> int:
    """Write the report of `study` to the PDF `path`; the number of pages written.

    Draws on the GUI thread (pictures and pages are Qt widgets and painters); `data` from
    `gather` is computed here when not given.
    """
    data = data if data is not None else gather(study, seed=seed)
    parts = _Report(study, data)
    body = "".join(part() for part in (parts.definition, parts.runs, parts.model_check,
                                       parts.what_matters, parts.effects, parts.progress,
                                       parts.best, parts.next_batch))
    writer = QPdfWriter(str(path))
    writer.setTitle(study.name)
    writer.setCreator(f"NextBatch {nextbatch.__version__}")
    writer.setResolution(DPI)
    writer.setPageLayout(QPageLayout(QPageSize(QPageSize.PageSizeId.A4),
                                     QPageLayout.Orientation.Landscape,
                                     QMarginsF(12, 10, 12, 10), QPageLayout.Unit.Millimeter))
    doc = QTextDocument()
    doc.documentLayout().setPaintDevice(writer)
    doc.setDocumentMargin(0)
    doc.setDefaultStyleSheet(STYLE)
    for name, image in parts.images.items():
        doc.addResource(QTextDocument.ResourceType.ImageResource, QUrl(name), image)
    doc.setHtml(f"<html><body>{body}</body></html>")
    pages = _print(doc, writer, study.name)
    del writer  # the file is complete once the writer is gone
    return pages


def _print(doc: QTextDocument, writer: QPdfWriter, name: str) -> int:
    """Lay `doc` out on the writer's pages, each with a footer; the number of pages."""
    area = writer.pageLayout().paintRectPixels(DPI)
    footer = 28
    page = QSizeF(area.width(), area.height() - footer)
    doc.setPageSize(page)
    count = doc.pageCount()
    painter = QPainter(writer)
    try:
        painter.setFont(QFont(painter.font().family(), 8))
        for i in range(count):
            if i:
                writer.newPage()
            painter.save()
            painter.translate(0, -i * page.height())
            doc.drawContents(painter, QRectF(0, i * page.height(), page.width(), page.height()))
            painter.restore()
            painter.setPen(QColor("#555555"))
            painter.drawText(QRectF(0, page.height() + 8, page.width(), footer - 8),
                             Qt.AlignmentFlag.AlignRight,
                             f"{name} · NextBatch report · page {i + 1} of {count}")
    finally:
        painter.end()
    return count


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value))


def _table(header: Sequence[str], rows: Sequence[Sequence[object]], css: str = "data") -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in row) + "</tr>"
                   for row in rows)
    return (f"<table class='{css}' border='1' cellspacing='0' width='100%'><tr>{head}</tr>"
            f"{body}</table>")


def _page(title: str, inner: str) -> str:
    return f"<div style='page-break-before: always'><h2>{_e(title)}</h2>{inner}</div>"


def _value(value: object) -> str:
    return plots.number(value) if isinstance(value, float) else _e(value)


def _plain(value: float | None) -> str:
    """A number as it was typed in (a measured result, a bound): 53, 4600, 9.27."""
    return "" if value is None else f"{value:.6g}"


class _Report:
    """The parts of the report, each an HTML string; pictures collect in `images`."""

    def __init__(self, study: Study, data: ReportData) -> None:
        self.study = study
        self.insights = data.insights
        self.data = data
        self.images: dict[str, Any] = {}
        self.optimized = [r for r in study.responses if r.is_optimized]

    def picture(self, name: str, draw: Callable[[Any], None],
                size: tuple[int, int] = THIRD) -> str:
        """Draw a plot offscreen at `size` (as it will show); the <img> that shows it."""
        widget = plots.new_plot_widget()
        try:
            draw(widget.getPlotItem())
            self.images[f"plot:{name}"] = plots.render_image(widget, *size)
        finally:
            widget.deleteLater()
        return f"<img src='plot:{name}' width='{size[0]}' height='{size[1]}'>"

    @staticmethod
    def grid(cells: Sequence[str], columns: int) -> str:
        rows = ["".join(f"<td>{c}</td>" for c in cells[i:i + columns])
                for i in range(0, len(cells), columns)]
        return "<table cellspacing='6'>" + "".join(f"<tr>{r}</tr>" for r in rows) + "</table>"

    # ------------------------------------------------------------------ the parts
    def definition(self) -> str:
        s = self.study
        measured = sum(1 for r in s.runs if r.has_results())
        batches = len({r.batch for r in s.runs})
        out = [f"<h1>{_e(s.name)}</h1>"]
        if s.description:
            out.append(f"<p>{_e(s.description)}</p>")
        out.append(f"<p class='meta'>Report of {date.today().isoformat()} · NextBatch "
                   f"{_e(nextbatch.__version__)} · {len(s.runs)} runs ({measured} measured) in "
                   f"{batches} batches</p>")
        out.append("<h2>What you change</h2>")
        out.append(_table(["Setting", "Kind", "Allowed values", "Unit", "Notes"],
                          [[v.title, v.kind, _allowed(v), v.unit, _notes(v)]
                           for v in s.variables]))
        if s.mixtures:
            out.append("<h2>Mixtures</h2><ul>")
            for m in s.mixtures:
                names = ", ".join(v.title for v in s.components(m.name))
                amount = (f"; weighed out for {plots.number(m.batch_amount, m.batch_unit)}"
                          if m.batch_amount else "")
                out.append(f"<li><b>{_e(m.title)}</b>: {_e(names)} add up to "
                           f"{_e(_plain(m.total))}{_e(amount)}</li>")
            out.append("</ul>")
        if s.constraints:
            out.append("<h2>Rules every recipe follows</h2><ul>")
            out += [f"<li><code>{_e(c)}</code></li>" for c in s.constraints]
            out.append("</ul>")
        out.append("<h2>What you measure</h2>")
        out.append(_table(["Result", "Unit", "Goal", "Limits", "Importance"],
                          [[r.title, r.unit, _goal(r), _limits(r),
                            _plain(r.importance) if r.is_optimized else ""]
                           for r in s.responses]))
        return "".join(out)

    def runs(self) -> str:
        from nextbatch.io.runsheet import rounded

        s = self.study
        header = ["Run", "Batch", "Status", *(v.header for v in s.variables),
                  *(r.header for r in s.responses)]
        rows = [[run.id, run.batch, run.status,
                 *(rounded(v, run.effective_settings().get(v.name, "")) for v in s.variables),
                 *(_plain(run.results.get(r.name)) for r in s.responses)] for run in s.runs]
        return _page("Runs", "<p>Every run so far; settings are what was really used.</p>"
                     + _table(header, rows, "data runs"))

    def model_check(self) -> str:
        s, checks = self.study, self.insights.checks
        rows = [[s.response(name).title, c.verdict, "–" if c.q2 is None else f"{c.q2:.2f}",
                 plots.number(c.typical_error, s.response(name).unit), c.advice]
                for name, c in checks.items()]
        cells = [self.picture(f"check-{name}", lambda p, c=c, name=name: plots.draw_model_check(
            p, c, s.response(name)), THIRD) + f"<br><b>{_e(s.response(name).title)}"
                 "</b>" for name, c in checks.items()]
        return _page("Can the model be trusted yet?",
                     "<p>Each run is predicted by a model that has not seen it. The score says "
                     "how well: 1 is perfect, 0 is no better than guessing the average.</p>"
                     + _table(["Result", "Verdict", "Score on unseen runs", "Typical error",
                               "Advice"], rows)
                     + self.grid(cells, 3) + f"<p class='caption'>{_e(plots.CHECK_CAPTION)}</p>")

    def what_matters(self) -> str:
        titles = {v.name: v.title for v in self.study.variables}
        cells = []
        for name, items in self.insights.importance.items():
            title = ("All results together" if name == "desirability"
                     else self.study.response(name).title)
            cells.append(self.picture(f"importance-{name}", lambda p, i=items: (
                plots.draw_importance(p, i, titles)), THIRD)
                + f"<br><b>{_e(title)}</b>")
        return _page("What matters", self.grid(cells, 3)
                     + f"<p class='caption'>{_e(plots.IMPORTANCE_CAPTION)}</p>")

    def effects(self) -> str:
        out = []
        models = self.insights.models
        for response in self.optimized:
            if response.name not in models.models:
                continue  # no results yet: nothing to draw
            cells = []
            for v in self.study.variables:
                if v.fixed is not None:
                    continue
                curve = self.data.curves[v.name, response.name]
                cells.append(self.picture(
                    f"effect-{response.name}-{v.name}",
                    lambda p, c=curve, v=v, r=response: plots.draw_effect(p, c, v, r),
                    QUARTER))
            out.append(_page(f"Effects on {response.title}", self.grid(cells, 4)
                             + f"<p class='caption'>{_e(plots.effect_caption(response.title))}"
                             "</p>"))
        return "".join(out)

    def progress(self) -> str:
        points = self.insights.progress
        if not points:
            return _page("Progress", "<p>No measured batch yet.</p>")
        series = [("All results together", "overall desirability",
                   [p.best_desirability for p in points], "Overall desirability (0–1)")]
        tracked = [r for r in self.optimized if any(r.name in p.best for p in points)]
        series += [(r.title, r.title, [p.best.get(r.name, float("nan")) for p in points],
                    r.header) for r in tracked]
        cells = [self.picture(f"progress-{i}", lambda p, v=values, label=label:
                              plots.draw_progress(p, [q.batch for q in points], v, label,
                                                  [""] * len(points)), THIRD)
                 + f"<br><b>{_e(title)}</b>" for i, (title, _what, values, label)
                 in enumerate(series)]
        rows = [[p.batch, p.n_runs, plots.number(p.best_desirability),
                 *(plots.number(p.best.get(r.name, float("nan")), r.unit)
                   for r in tracked)] for p in points]
        return _page("Progress", self.grid(cells, 3)
                     + f"<p class='caption'>{_e(plots.progress_caption('result'))}</p>"
                     + _table(["After batch", "Runs", "Best overall desirability",
                               *(f"Best {r.title}" for r in tracked)], rows))

    def best(self) -> str:
        best, s = self.insights.best, self.study
        from nextbatch.io.runsheet import rounded

        rows = [[v.header, rounded(v, best.measured_settings.get(v.name, "")),
                 rounded(v, best.predicted_settings.get(v.name, "")), ""] for v in s.variables]
        for r in s.responses:
            interval = best.interval.get(r.name)
            mean = best.predicted.get(r.name)
            rows.append([r.header, _plain(best.measured_results.get(r.name)),
                         _value(mean[0] if isinstance(mean, tuple) else mean),
                         f"{plots.number(interval[0])} to {plots.number(interval[1], r.unit)}"
                         if interval else ""])
        run = f" ({best.measured_run_id})" if best.measured_run_id else ""
        inner = (_table(["", f"Best run so far{run}", "Model's best recipe",
                         "Most likely between"], rows)
                 + f"<h3>Stop or go on?</h3><p>{_e(self.insights.stop.message)}</p>")
        if (trade := self.data.trade) is not None:
            a, b = s.response(trade.response_a), s.response(trade.response_b)
            inner += "<h3>Trade-off</h3>" + self.picture(
                "trade-off", lambda p: plots.draw_trade_off(p, trade, a, b), THIRD)
            inner += f"<p class='caption'>{_e(plots.TRADE_OFF_CAPTION)}</p>"
        return _page("Best recipe", inner)

    def next_batch(self) -> str:
        from nextbatch.io.runsheet import rounded

        s = self.study
        planned = [r for r in s.runs if r.is_pending]
        if not planned:
            return ""
        header = ["Run", *(v.header for v in s.variables),
                  *(f"{r.title} expected" for r in s.responses)]
        rows = [[run.id, *(rounded(v, run.settings.get(v.name, "")) for v in s.variables),
                 *(_predicted(run.predicted.get(r.name), r.unit) for r in s.responses)]
                for run in planned]
        return _page("The next batch", f"<p>{len(planned)} planned runs, with what the model "
                     "expected of each when it was suggested.</p>"
                     + _table(header, rows, "data runs"))


def _allowed(v: Any) -> str:
    if v.kind == "categorical":
        return ", ".join(v.levels)
    if v.kind == "discrete":
        return ", ".join(_plain(x) for x in sorted(v.values))
    bounds = v.bounds()
    if bounds is None:
        return ""
    text = f"{_plain(bounds[0])} to {_plain(bounds[1])}"
    if v.kind == "integer" and v.integer_step != 1:
        text += f" in steps of {_plain(v.integer_step)}"
    return text


def _notes(v: Any) -> str:
    notes = []
    if v.mixture:
        notes.append(f"part of {v.mixture}")
    if v.fixed is not None:
        notes.append(f"held at {v.fixed}")
    if v.hold:
        notes.append("one value per batch")
    if v.scale == "log":
        notes.append("log scale")
    return "; ".join(notes)


def _goal(r: Any) -> str:
    words = GOAL_WORDS.get(r.goal, r.goal)
    return f"{words}: {_plain(r.target)} {r.unit}".strip() if r.goal == "target" else words


def _limits(r: Any) -> str:
    if r.low is None and r.high is None:
        return ""
    low = "…" if r.low is None else _plain(r.low)
    high = "…" if r.high is None else _plain(r.high)
    return f"{low} to {high} {r.unit}".strip()


def _predicted(value: tuple[float, float] | None, unit: str) -> str:
    """`53.0 ± 0.5 mm`: the mean to the precision its uncertainty allows."""
    if value is None:
        return ""
    mean, sd = value
    digits = 1 - math.floor(math.log10(sd)) if sd > 0 and math.isfinite(sd) else 2
    digits = min(6, max(0, digits))
    return f"{mean:.{digits}f} ± {sd:.{digits}f} {unit}".strip()
