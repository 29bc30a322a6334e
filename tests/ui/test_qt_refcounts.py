"""PySide6 6.12.0 lost a reference to None/True on every void call and emit, and Python 3.11
aborted after a few hundred ("Fatal Python error: bool_dealloc"). pyproject.toml excludes that
release; this test catches any other release with the same bug before a user's session does."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QApplication


class _Probe(QObject):
    ping = Signal()


def test_qt_calls_and_emits_keep_the_references_of_none_and_true(qapp: QApplication) -> None:
    probe = _Probe()
    none_before, true_before = sys.getrefcount(None), sys.getrefcount(True)
    for _ in range(200):
        probe.setParent(None)
        probe.ping.emit()
        qapp.processEvents()
    assert none_before - sys.getrefcount(None) < 50
    assert true_before - sys.getrefcount(True) < 50
