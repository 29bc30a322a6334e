"""Emitting signals never costs `True` a reference (PySide6 6.12.0 bug, guarded)."""

from __future__ import annotations

import sys

import nextbatch.ui  # noqa: F401 - installs the guard
from nextbatch.ui.qtfix import _Probe, emit_loses_a_reference


def test_a_thousand_emits_leave_true_as_it_was() -> None:
    probe = _Probe()
    probe.ping.emit()  # warm-up: first calls may cache things
    before = sys.getrefcount(True)
    for _ in range(1000):
        probe.ping.emit()
    # Unguarded, this PySide6 loses one reference per emit (-1000 here).
    assert abs(sys.getrefcount(True) - before) <= 2
    assert not emit_loses_a_reference()
