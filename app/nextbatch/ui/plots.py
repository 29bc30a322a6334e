"""The pictures of the Insights tab and the PDF report, drawn with pyqtgraph.

Each `draw_*` function fills one `PlotItem` from one result of `nextbatch.optim.insights`,
so the window and the report show the same picture. `PlotCard` frames a plot with its title,
a one-line caption of how to read it, and "Save picture" (PNG or SVG). Points that stand for
runs show the run's ID and values when hovered. pyqtgraph is imported where it is used:
opening a study need not wait the 0.3 s it takes to load.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QMenu, QPushButton, QVBoxLayout

from nextbatch.ui.dialogs import Ask

if TYPE_CHECKING:
    import pyqtgraph as pg

INK = "#222222"
BLUE = "#1f5fa8"
ORANGE = "#d9822b"
GREEN = "#2e8b57"
GREY = "#888888"
BAND = (31, 95, 168, 55)
PICTURE_FILTER = "PNG picture (*.png);;SVG drawing (*.svg)"
COLOUR_BAR_CELL = (2, 5)  # where pyqtgraph puts a colour bar in a plot's layout


@dataclass(frozen=True)
class Overall:
    """Stands in for a response where a picture shows the overall desirability."""

    title: str = "overall desirability"
    header: str = "Overall desirability (0 to 1)"
    unit: str = ""


def measure(study: Any, name: str) -> Any:
    """The response called `name`, or `Overall()` for "desirability"."""
    return Overall() if name == "desirability" else study.response(name)


def number(value: float | None, unit: str = "") -> str:
    """A value with about 3 significant digits, never in e-notation, and its unit."""
    if value is None or not math.isfinite(value):
        return "–"
    magnitude = math.floor(math.log10(abs(value))) if value else 0
    text = f"{value:.{min(6, max(0, 2 - magnitude))}f}"
    return f"{text} {unit}".strip()


def new_plot_widget() -> pg.PlotWidget:
    """A white plot with dark axes, as it will be printed."""
    import pyqtgraph as pg

    widget = pg.PlotWidget(background="w")
    item = widget.getPlotItem()
    for name in ("left", "bottom"):
        axis = item.getAxis(name)
        axis.setPen(pg.mkPen(INK))
        axis.setTextPen(pg.mkPen(INK))
    item.showGrid(x=True, y=True, alpha=0.1)
    item.setMenuEnabled(False)
    return widget


class PlotCard(QFrame):
    """A titled plot, its caption underneath, and a button to save it as a picture."""

    def __init__(self, title: str, caption: str = "") -> None:
        super().__init__()
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.title = QLabel(f"<b>{title}</b>")
        self.title_text = title
        self.widget = new_plot_widget()
        self.widget.setMinimumSize(320, 280)
        self.plot = self.widget.getPlotItem()
        self.caption = QLabel(caption)
        self.caption.setWordWrap(True)
        self.caption.setToolTip("How to read this picture")
        save = QPushButton("Save picture…")
        save.setToolTip("Save this plot as a PNG picture or an SVG drawing")
        menu = QMenu(save)
        menu.addAction("As PNG picture…", lambda: self.save_picture(".png"))
        menu.addAction("As SVG drawing…", lambda: self.save_picture(".svg"))
        save.setMenu(menu)
        self.widget.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        for action in menu.actions():
            self.widget.addAction(action)
        head = QHBoxLayout()
        head.addWidget(self.title, 1)
        head.addWidget(save)
        layout = QVBoxLayout(self)
        layout.addLayout(head)
        layout.addWidget(self.widget, 1)
        layout.addWidget(self.caption)

    def set_caption(self, text: str) -> None:
        self.caption.setText(text)

    def clear(self) -> None:
        self.plot.clear()
        for name in ("left", "bottom"):
            self.plot.getAxis(name).setTicks(None)
        self.plot.getAxis("left").setWidth(None)
        self.plot.getAxis("bottom").setHeight(None)
        self.plot.showAxes(True)
        grid = self.plot.layout
        row, column = COLOUR_BAR_CELL
        bar = grid.itemAt(row, column) if grid.columnCount() > column else None
        if bar is not None:  # a colour bar is no item of the plot: plot.clear() keeps it
            grid.removeItem(bar)
            self.plot.scene().removeItem(bar)

    def save_picture(self, suffix: str) -> Path | None:
        path = Ask.save_path(self, "Save picture", f"{self.title_text}{suffix}", PICTURE_FILTER)
        if path is None:
            return None
        return export_svg(self.plot, path) if path.suffix.lower() == ".svg" else export_png(
            self.plot, path)


def export_png(plot: pg.PlotItem, path: Path, width: int = 1200) -> Path:
    """Write `plot` as a PNG picture `width` pixels wide."""
    import pyqtgraph.exporters

    exporter = pyqtgraph.exporters.ImageExporter(plot)
    exporter.parameters()["width"] = width
    exporter.export(str(path))
    return path


def export_svg(plot: pg.PlotItem, path: Path) -> Path:
    """Write `plot` as an SVG drawing.

    pyqtgraph's own SVGExporter fails on the paths Qt 6.8+ writes (pyqtgraph issue 3485), so
    the scene is painted through Qt's SVG generator instead.
    """
    from PySide6.QtSvg import QSvgGenerator

    source = plot.sceneBoundingRect()
    generator = QSvgGenerator()
    generator.setFileName(str(path))
    generator.setSize(QSize(int(source.width()), int(source.height())))
    generator.setViewBox(QRectF(0, 0, source.width(), source.height()))
    generator.setTitle(plot.titleLabel.text or path.stem)
    painter = QPainter(generator)
    try:
        plot.scene().render(painter, QRectF(0, 0, source.width(), source.height()), source)
    finally:
        painter.end()
    return path


def render_image(widget: pg.PlotWidget, width: int, height: int, density: float = 2.0) -> QImage:
    """The plot as a `width` × `height` picture, without showing it (the report).

    Sizes are logical pixels, as on screen; `density` times as many pixels are drawn, text
    and lines scaled with them, so that the picture stays sharp when printed.
    """
    import pyqtgraph.exporters

    widget.resize(width, height)
    widget.grab()  # delivers the pending resize: the plot lays itself out at this size
    exporter = pyqtgraph.exporters.ImageExporter(widget.getPlotItem())
    exporter.parameters()["width"] = round(width * density)
    return exporter.export(toBytes=True)


# ------------------------------------------------------------------------ run points
def run_points(plot: pg.PlotItem, x: Sequence[float], y: Sequence[float],
               tips: Sequence[str], color: str = BLUE, size: int = 10,
               edge: str = "w") -> pg.ScatterPlotItem:
    """Dots that stand for runs: hovering one shows its tip (run ID and values)."""
    import pyqtgraph as pg

    item = pg.ScatterPlotItem(x=list(x), y=list(y), data=list(tips), size=size,
                              brush=pg.mkBrush(color), pen=pg.mkPen(edge, width=1),
                              hoverable=True, hoverBrush=pg.mkBrush(ORANGE), hoverSize=size + 4,
                              tip=lambda x, y, data: str(data))
    plot.addItem(item)
    return item


def measured_pairs(study: Any, a: str, b: str) -> list[tuple[str, float, float]]:
    """(run ID, value of a, value of b) of every run that has both, settings or results."""
    out = []
    for run in study.runs:
        values = {**run.effective_settings(), **run.results}
        x, y = values.get(a), values.get(b)
        if isinstance(x, int | float) and isinstance(y, int | float):
            out.append((run.id, float(x), float(y)))
    return out


def _shorten(text: str, room: int) -> str:
    """A level name on at most two lines of `room` characters (cut with … beyond)."""
    import textwrap

    lines = textwrap.wrap(text, room, break_long_words=False) or [""]
    if len(lines) > 2:
        lines = [lines[0], lines[1][:room - 1] + "…"]
    return "\n".join(line if len(line) <= room else line[:room - 1] + "…" for line in lines)


def _labels(plot: pg.PlotItem, bottom: str, left: str) -> None:
    plot.setLabel("bottom", bottom, color=INK)
    plot.setLabel("left", left, color=INK)


def _legend(plot: pg.PlotItem) -> pg.LegendItem:
    import pyqtgraph as pg

    legend = plot.addLegend(offset=(10, 10), labelTextColor=INK,
                            brush=pg.mkBrush(255, 255, 255, 220))
    return legend


# ------------------------------------------------------------------------ the pictures
CHECK_CAPTION = ("Each dot is a run, predicted by a model that has not seen it: dots close to "
                 "the line mean the model predicts new recipes well.")


def draw_model_check(plot: pg.PlotItem, check: Any, response: Any) -> None:
    """Measured against predicted-without-that-run, with the ideal line."""
    import pyqtgraph as pg

    points = list(check.loo)
    _labels(plot, f"Measured {response.header}", "Predicted without that run")
    if not points:
        return
    measured = np.array([p.measured for p in points], dtype=float)
    predicted = np.array([p.predicted for p in points], dtype=float)
    sd = np.array([p.sd for p in points], dtype=float)
    lo = float(min(measured.min(), (predicted - sd).min()))
    hi = float(max(measured.max(), (predicted + sd).max()))
    plot.plot([lo, hi], [lo, hi], pen=pg.mkPen(GREY, width=1, style=Qt.PenStyle.DashLine))
    plot.addItem(pg.ErrorBarItem(x=measured, y=predicted, height=2 * sd,
                                 pen=pg.mkPen(BLUE, width=1)))
    unit = response.unit
    run_points(plot, measured, predicted, [
        f"{p.run_id}\nmeasured {number(p.measured, unit)}\n"
        f"predicted {number(p.predicted, unit)} ± {number(p.sd, unit)}" for p in points])


IMPORTANCE_CAPTION = ("The longer the bar, the more that setting changes the result; a long "
                      "whisker means the runs so far cannot yet tell how much.")


def draw_importance(plot: pg.PlotItem, items: Sequence[Any], titles: dict[str, str]) -> None:
    """Horizontal bars of each variable's share, largest on top, with whiskers."""
    import pyqtgraph as pg

    ordered = list(reversed(items))  # bars are drawn bottom-up: the largest on top
    y = np.arange(len(ordered), dtype=float)
    share = np.array([100 * i.share for i in ordered], dtype=float)
    low = np.array([100 * i.low for i in ordered], dtype=float)
    high = np.array([100 * i.high for i in ordered], dtype=float)
    plot.addItem(pg.BarGraphItem(x0=0, y=y, height=0.6, width=share, brush=pg.mkBrush(BLUE),
                                 pen=pg.mkPen(BLUE)))
    plot.addItem(pg.ErrorBarItem(x=share, y=y, left=np.maximum(share - low, 0),
                                 right=np.maximum(high - share, 0), beam=0.25,
                                 pen=pg.mkPen(INK, width=1.5)))
    names = [titles.get(item.variable, item.variable) for item in ordered]
    left = plot.getAxis("left")
    left.setTicks([list(enumerate(names))])
    left.setWidth(min(220, 10 + 7 * max((len(n) for n in names), default=4)))
    _labels(plot, "Share of the change [%]", "")
    plot.setXRange(0, max(100.0, float(high.max()) if len(high) else 100.0) * 1.02, padding=0)
    plot.setYRange(-0.6, len(ordered) - 0.4, padding=0)


def effect_caption(response_title: str) -> str:
    """How to read one effect curve."""
    return (f"The line is the predicted {response_title} when only this setting changes and the "
            "others stay at the best recipe; the true value most likely lies in the band. The "
            "dashed line marks the best recipe.")


def draw_effect(plot: pg.PlotItem, curve: Any, variable: Any, response: Any) -> None:
    """The predicted response along one variable, with its band and the best recipe's value."""
    import pyqtgraph as pg

    x = np.asarray(curve.x)
    mean, low, high = (np.asarray(a, dtype=float) for a in (curve.mean, curve.low, curve.high))
    if variable.kind == "categorical":
        positions = np.arange(len(x), dtype=float)
        plot.addItem(pg.ErrorBarItem(x=positions, y=mean, top=high - mean, bottom=mean - low,
                                     beam=0.2, pen=pg.mkPen(BLUE, width=2)))
        plot.plot(positions, mean, pen=None, symbol="o", symbolBrush=BLUE, symbolPen="w")
        room = max(6, 30 // max(len(x), 1))  # characters per level that fit side by side
        names = [_shorten(str(v), room) for v in x]
        bottom = plot.getAxis("bottom")
        bottom.setTicks([list(enumerate(names))])
        if any("\n" in n for n in names):
            bottom.setHeight(62)  # room for two lines of level names above the axis title
        value = curve.at.get(variable.name)
        at = list(x).index(value) if value in list(x) else None
    else:
        x = x.astype(float)
        upper = plot.plot(x, high, pen=pg.mkPen(BAND))
        lower = plot.plot(x, low, pen=pg.mkPen(BAND))
        plot.addItem(pg.FillBetweenItem(upper, lower, brush=pg.mkBrush(BAND)))
        plot.plot(x, mean, pen=pg.mkPen(BLUE, width=2))
        value = curve.at.get(variable.name)
        at = float(value) if isinstance(value, int | float) else None
    if at is not None:
        plot.addItem(pg.InfiniteLine(at, angle=90,
                                     pen=pg.mkPen(ORANGE, width=1.5, style=Qt.PenStyle.DashLine)))
    if variable.kind == "categorical":
        plot.setXRange(-0.6, len(x) - 0.4, padding=0)
    _labels(plot, variable.header, response.header)


def map_caption(response_title: str) -> str:
    """How to read the map of two settings."""
    return (f"Colour is the predicted {response_title} for these two settings, the others at "
            "the best recipe; empty areas break a rule or a mixture total.")


def draw_map(plot: pg.PlotItem, emap: Any, var_x: Any, var_y: Any, response: Any,
             runs: Sequence[tuple[str, float, float]] = ()) -> None:
    """A coloured map of the prediction over two settings, infeasible recipes left blank."""
    import pyqtgraph as pg

    x, y = np.asarray(emap.x, dtype=float), np.asarray(emap.y, dtype=float)
    mean = np.array(emap.mean, dtype=float)
    mean[~np.asarray(emap.feasible, dtype=bool)] = np.nan
    image = pg.ImageItem(mean.T if mean.shape == (len(y), len(x)) else mean)
    image.setColorMap(pg.colormap.get("viridis"))
    finite = mean[np.isfinite(mean)]
    if finite.size:
        image.setLevels((float(finite.min()), float(finite.max()) + 1e-12))
    # each cell centred on its grid value (a coarse integer grid would shift otherwise)
    dx = (x[-1] - x[0]) / max(len(x) - 1, 1)
    dy = (y[-1] - y[0]) / max(len(y) - 1, 1)
    image.setRect(QRectF(x[0] - dx / 2, y[0] - dy / 2, x[-1] - x[0] + dx, y[-1] - y[0] + dy))
    plot.addItem(image)
    if finite.size:
        bar = pg.ColorBarItem(values=(float(finite.min()), float(finite.max())),
                              colorMap=pg.colormap.get("viridis"), interactive=False,
                              label=response.header)
        bar.setImageItem(image, insert_in=plot)
    if runs:
        run_points(plot, [r[1] for r in runs], [r[2] for r in runs], [
            f"{r[0]}\n{var_x.title} {number(r[1], var_x.unit)}\n"
            f"{var_y.title} {number(r[2], var_y.unit)}" for r in runs],
            color="white", size=8, edge=INK)
    _labels(plot, var_x.header, var_y.header)
    plot.setRange(xRange=(x[0] - dx / 2, x[-1] + dx / 2), yRange=(y[0] - dy / 2, y[-1] + dy / 2),
                  padding=0.02)


def ternary_caption(response_title: str) -> str:
    """How to read the mixture triangle."""
    return (f"Each corner holds the most of one ingredient that the rules allow, with the other "
            f"two at their least; colour is the predicted {response_title}, other ingredients "
            "at the best recipe. Only recipes that follow every rule are coloured.")


def ternary_xy(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Triangle coordinates of 3-part recipes: corner 1 left, 2 right, 3 on top.

    Each part is measured from its smallest amount among `points` (L-pseudo-components), so
    that the recipes within reach fill the triangle instead of a corner of it.
    """
    p = np.asarray(points, dtype=float)
    shifted = p - p.min(axis=0)
    share = shifted / np.maximum(shifted.sum(axis=1, keepdims=True), 1e-12)
    return share[:, 1] + 0.5 * share[:, 2], share[:, 2] * math.sqrt(3) / 2


def draw_ternary(plot: pg.PlotItem, tmap: Any, components: Sequence[Any],
                 response: Any) -> None:
    """The feasible part of a three-ingredient triangle, coloured by the prediction."""
    import pyqtgraph as pg

    h = math.sqrt(3) / 2
    plot.plot([0, 1, 0.5, 0], [0, 0, h, 0], pen=pg.mkPen(INK, width=1.5))
    points = np.asarray(tmap.points, dtype=float)
    mean = np.asarray(tmap.mean, dtype=float)
    if len(points):
        tx, ty = ternary_xy(points)
        cmap = pg.colormap.get("viridis")
        lo, hi = float(mean.min()), float(mean.max())
        scaled = (mean - lo) / (hi - lo) if hi > lo else np.full_like(mean, 0.5)
        colors = cmap.map(scaled, mode="qcolor")
        plot.addItem(pg.ScatterPlotItem(x=tx, y=ty, size=9, pen=None,
                                        brush=[pg.mkBrush(c) for c in colors]))
        bar = pg.ColorBarItem(values=(lo, hi if hi > lo else lo + 1), colorMap=cmap,
                              interactive=False, label=response.header)
        plot.layout.addItem(bar, *COLOUR_BAR_CELL)
    # names under the bottom corners and over the top one, centred, so that long ones fit
    for (cx, cy, anchor), var in zip(((0, 0, (0.5, 0)), (1, 0, (0.5, 0)), (0.5, h, (0.5, 1))),
                                     components, strict=False):
        label = pg.TextItem(var.title, color=INK, anchor=anchor)
        label.setPos(cx, cy)
        plot.addItem(label)
    plot.hideAxis("left")
    plot.hideAxis("bottom")
    plot.showGrid(x=False, y=False)
    plot.setAspectLocked(True)
    plot.setRange(xRange=(-0.25, 1.25), yRange=(-0.15, h + 0.1), padding=0)


def progress_caption(what: str) -> str:
    """How to read the progress line."""
    return (f"The best {what} measured so far, after each batch: a line that stays flat means "
            "the last batches found nothing better.")


def draw_progress(plot: pg.PlotItem, batches: Sequence[int], values: Sequence[float],
                  ylabel: str, tips: Sequence[str]) -> None:
    """Best so far after each batch, as steps with a dot per batch."""
    import pyqtgraph as pg

    x = np.asarray(batches, dtype=float)
    y = np.asarray(values, dtype=float)
    keep = np.isfinite(y)
    if keep.any():
        plot.plot(x[keep], y[keep], pen=pg.mkPen(BLUE, width=2), stepMode=None)
        run_points(plot, x[keep], y[keep], [t for t, k in zip(tips, keep, strict=True) if k])
    plot.getAxis("bottom").setTicks([[(float(b), str(b)) for b in batches]])
    _labels(plot, "Batch", ylabel)


TRADE_OFF_CAPTION = ("Each dot is a measured run; the orange line joins the runs no other run "
                     "beats on both results, the green line is where the model expects the "
                     "best compromises.")


def draw_trade_off(plot: pg.PlotItem, trade: Any, ra: Any, rb: Any) -> None:
    """Measured runs of two responses, their measured best compromises and predicted ones."""
    import pyqtgraph as pg

    legend = _legend(plot)
    front = sorted((p[1], p[2]) for p in trade.measured_front)
    if front:
        legend.addItem(plot.plot([p[0] for p in front], [p[1] for p in front],
                                 pen=pg.mkPen(ORANGE, width=2)), "best compromises measured")
    predicted = sorted((p[0], p[1]) for p in trade.predicted_front)
    if predicted:
        legend.addItem(plot.plot([p[0] for p in predicted], [p[1] for p in predicted],
                                 pen=pg.mkPen(GREEN, width=2, style=Qt.PenStyle.DashLine)),
                       "best compromises predicted")
    points = trade.measured_points
    if points:
        run_points(plot, [p[1] for p in points], [p[2] for p in points], [
            f"{p[0]}\n{ra.title} {number(p[1], ra.unit)}\n{rb.title} {number(p[2], rb.unit)}"
            for p in points])
    _labels(plot, ra.header, rb.header)
