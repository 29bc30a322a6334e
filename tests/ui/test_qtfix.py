"""Many Qt calls and emits never exhaust the references of None and True."""

from __future__ import annotations

import sys

import nextbatch.ui  # noqa: F401 - installs the guard
from nextbatch.ui.qtfix import _Probe, lost_references
from PySide6.QtWidgets import QApplication


def test_none_and_true_keep_a_reference_reserve_whatever_qt_does(qapp: QApplication) -> None:
    lost = lost_references()
    probe = _Probe()
    for _ in range(10_000):
        probe.ping.emit()
        qapp.processEvents()
    if max(lost.values()) > 0:  # the buggy PySide6: the guard must have given a reserve
        assert sys.getrefcount(None) > 1 << 39
        assert sys.getrefcount(True) > 1 << 39
    else:
        assert lost == {"None": 0, "True": 0}
