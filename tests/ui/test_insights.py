"""The Insights tab: pictures drawn for both examples, hover, export, confirmation run."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import numpy as np
import pyqtgraph as pg
import pytest
from hypothesis import given
from hypothesis import strategies as st
from nextbatch.resources import example_path
from nextbatch.ui import plots
from nextbatch.ui.insights_view import InsightsView
from nextbatch.ui.main_window import MainWindow
from PySide6.QtCore import QPoint
from PySide6.QtGui import QColor, QImage
from PySide6.QtTest import QTest

WAIT_MS = 60_000


def _open(window: MainWindow, qtbot: Any, example: str) -> InsightsView:
    assert window.open_path(example_path(example))
    view = window.view.insights
    window.view.setCurrentWidget(view)
    qtbot.waitUntil(lambda: view.insights is not None and not view.busy, timeout=WAIT_MS)
    return view


@pytest.fixture
def shaving_insights(window: MainWindow, qtbot: Any) -> InsightsView:
    return _open(window, qtbot, "shaving-cream")


def coloured_pixels(card: plots.PlotCard) -> int:
    """Pixels of data colours (not white, grey or black) inside the plot's data area."""
    image: QImage = card.widget.grab().toImage()
    area = card.widget.mapFromScene(card.plot.getViewBox().sceneBoundingRect()).boundingRect()
    count = 0
    for x in range(max(area.left(), 0), min(area.right(), image.width()), 2):
        for y in range(max(area.top(), 0), min(area.bottom(), image.height()), 2):
            if QColor(image.pixel(x, y)).hsvSaturation() > 80:
                count += 1
    return count


@pytest.mark.parametrize("example", ["shaving-cream", "brewing"])
def test_every_picture_is_drawn_for_both_examples(window: MainWindow, qtbot: Any,
                                                  example: str) -> None:
    view = _open(window, qtbot, example)
    study = window.document.study
    cards = [view.check_card, view.importance_card, view.progress_card, view.trade_card,
             view.map_card, *view.effect_cards.values()]
    if study.mixtures:
        cards.append(view.ternary_card)
    assert len(view.effect_cards) == sum(1 for v in study.variables if v.fixed is None)
    for card in cards:
        assert coloured_pixels(card) > 8, f"{card.title_text} looks blank"
        assert card.caption.text() or card in view.effect_cards.values()
    assert view.ternary_box.isVisible() == bool(study.mixtures)
    assert view.effect_caption.text()
    assert "Based on the" in view.status.text()
    # the lab's words: the verdict of every response, its advice, no statistics jargon
    text = view.verdicts.text()
    for response in study.responses:
        assert response.title in text
    assert "Q²" not in text and "LOO" not in text


def test_an_empty_plot_has_no_coloured_pixels(shaving_insights: InsightsView) -> None:
    """The probe above can fail: a cleared picture shows only axes and grid."""
    card = shaving_insights.check_card
    card.clear()
    assert coloured_pixels(card) == 0


def test_hovering_a_point_names_its_run(shaving_insights: InsightsView, qtbot: Any) -> None:
    card = shaving_insights.check_card
    check = shaving_insights.insights.checks[shaving_insights.check_response.currentData()]
    point = check.loo[0]
    scene = card.plot.getViewBox().mapViewToScene(
        pg.Point(point.measured, point.predicted))
    where: QPoint = card.widget.mapFromScene(scene)
    QTest.mouseMove(card.widget.viewport(), where)
    tip = card.plot.getViewBox().toolTip()
    assert point.run_id in tip and "measured" in tip


def test_pictures_export_as_png_and_svg(shaving_insights: InsightsView, answers: Any,
                                        tmp_path: Path) -> None:
    card = shaving_insights.importance_card
    answers.paths = [tmp_path / "matters.png", tmp_path / "matters.svg"]
    png = card.save_picture(".png")
    svg = card.save_picture(".svg")
    assert png is not None and png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    image = QImage(str(png))
    assert not image.isNull() and image.width() >= 1000
    root = ET.parse(svg).getroot()
    assert root.tag.endswith("svg")
    assert len(list(root.iter())) > 20  # bars, whiskers, axes, labels


def test_cancelling_the_save_dialog_writes_nothing(shaving_insights: InsightsView,
                                                   tmp_path: Path) -> None:
    assert shaving_insights.trade_card.save_picture(".png") is None
    assert list(tmp_path.glob("*.png")) == []


def test_the_confirmation_run_is_planned_and_undoable(window: MainWindow,
                                                      shaving_insights: InsightsView) -> None:
    study = window.document.study
    before = len(study.runs)
    run_id = shaving_insights.add_confirmation_run()
    assert run_id is not None
    run = study.run(run_id)
    assert run.status == "planned" and run.source == "confirmation"
    assert study.check_recipe(run.settings) == []
    assert run.settings == shaving_insights.insights.best.predicted_settings
    window.document.stack.undo()
    assert len(study.runs) == before


def test_new_results_update_in_a_worker_and_cancel_the_old_update(
        window: MainWindow, shaving_insights: InsightsView, qtbot: Any) -> None:
    view = shaving_insights
    first = view.refresh()
    assert view.status.text() == "Updating…"
    with qtbot.waitSignal(first.cancelled, timeout=WAIT_MS):
        second = view.refresh()
    with qtbot.waitSignal(second.succeeded, timeout=WAIT_MS):
        pass
    qtbot.waitUntil(lambda: not view.busy, timeout=WAIT_MS)
    assert view.status.text().startswith("Based on the")


def test_a_result_typed_in_triggers_an_update(window: MainWindow,
                                              shaving_insights: InsightsView,
                                              qtbot: Any) -> None:
    from nextbatch.core import commands

    view = shaving_insights
    shown = view.insights
    run = window.document.study.runs[0]
    with qtbot.waitSignal(view.updated, timeout=WAIT_MS):
        window.document.do(commands.RecordResults(run.id, {"foam_height": 55.0}))
        assert view.busy and view.status.text() == "Updating…"
    assert view.insights is not shown
    check = view.insights.checks["foam_height"]
    assert any(p.run_id == run.id and p.measured == 55.0 for p in check.loo)


def test_the_verdict_is_shown_beside_the_suggest_button(window: MainWindow,
                                                        shaving_insights: InsightsView) -> None:
    text = window.view.next_batch.model_verdict.text()
    assert text.startswith("Model check: good for Foam height")
    for response in window.document.study.responses:
        assert response.title in text


def test_two_chosen_settings_and_three_ingredients_redraw(shaving_insights: InsightsView,
                                                          qtbot: Any) -> None:
    view = shaving_insights
    with qtbot.waitSignal(view.detail_updated, check_params_cb=lambda n: n == "map",
                          timeout=WAIT_MS):
        view.map_y.setCurrentIndex(view.map_y.count() - 1)
    assert coloured_pixels(view.map_card) > 20
    bars = [i for i in view.map_card.plot.scene().items() if isinstance(i, pg.ColorBarItem)]
    assert len(bars) == 1  # redrawing replaces the colour bar, it does not add one
    with qtbot.waitSignal(view.detail_updated, check_params_cb=lambda n: n == "ternary",
                          timeout=WAIT_MS):
        view.ternary_parts[2].setCurrentIndex(view.ternary_parts[2].count() - 1)
    assert coloured_pixels(view.ternary_card) > 20
    assert view.map_x.currentData() != view.map_y.currentData()


def test_the_margin_is_in_the_result_s_unit_and_changes_the_advice(
        shaving_insights: InsightsView, qtbot: Any) -> None:
    view = shaving_insights
    before = view.stop_words.text()
    assert view.margin_unit.text()
    view.margin.setValue(view.margin.value() * 4 + 1)
    with qtbot.waitSignal(view.detail_updated, check_params_cb=lambda n: n == "stop",
                          timeout=WAIT_MS):
        view.margin.editingFinished.emit()
    assert view.stop_words.text() != before


def test_the_report_is_saved_from_the_tab(window: MainWindow, shaving_insights: InsightsView,
                                          answers: Any, tmp_path: Path, qtbot: Any) -> None:
    from nextbatch.ui.report import page_count

    view = shaving_insights
    assert view.report_button.isEnabled()
    answers.paths = [tmp_path / "cream.pdf"]
    job = view.save_report()
    assert job is not None and view.status.text() == "Writing the report…"
    with qtbot.waitSignal(job.finished, timeout=WAIT_MS):
        pass
    path = tmp_path / "cream.pdf"
    assert path.read_bytes().startswith(b"%PDF-")
    optimized = sum(1 for r in window.document.study.responses if r.is_optimized)
    assert page_count(path) == 6 + optimized
    assert "cream.pdf" in view.status.text()


def test_a_study_without_results_shows_what_is_missing(window: MainWindow, qtbot: Any,
                                                      tmp_path: Path) -> None:
    from nextbatch.io.study_file import load_study, save_study

    study = load_study(example_path("brewing"))
    study.runs.clear()
    path = tmp_path / "new.nbx"
    save_study(study, path, force=True)
    assert window.open_path(path)
    view = window.view.insights
    qtbot.waitUntil(lambda: view.insights is not None and not view.busy, timeout=WAIT_MS)
    assert "0 measured runs" in view.status.text()
    assert "not yet" in view.verdicts.text()
    assert not view.effect_cards and not view.confirm_button.isEnabled()
    assert "nothing to improve on" in view.stop_words.text()


finite = st.floats(min_value=-1e12, max_value=1e12, allow_nan=False, allow_infinity=False)


@given(finite)
def test_numbers_show_three_digits_without_e_notation(value: float) -> None:
    text = plots.number(value, "mm")
    assert text.endswith(" mm") and "e" not in text
    shown = float(text.removesuffix(" mm"))
    assert abs(shown - value) <= max(abs(value) * 0.006, 1e-6)


@given(st.lists(st.tuples(*[st.floats(0, 100, allow_nan=False)] * 3), min_size=1, max_size=30))
def test_the_triangle_holds_every_recipe(parts: list[tuple[float, float, float]]) -> None:
    import math

    x, y = plots.ternary_xy(np.array(parts))
    h = math.sqrt(3) / 2
    tol = 1e-9
    assert ((y >= -tol) & (y <= h + tol)).all()
    # inside both slanted sides of the triangle (0, 0), (1, 0), (0.5, h)
    assert (y <= 2 * h * x + tol).all() and (y <= 2 * h * (1 - x) + tol).all()


@given(st.text(min_size=1, max_size=60), st.integers(6, 20))
def test_level_names_fit_two_lines(name: str, room: int) -> None:
    shown = plots._shorten(name, room)
    lines = shown.split("\n")
    assert len(lines) <= 2 and all(len(line) <= room for line in lines)
