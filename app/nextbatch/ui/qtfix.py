"""A guard against a reference-counting bug of PySide6 6.12.0's `Signal.emit`.

`SignalInstance.emit` returns `True` without taking a new reference to it, so every emit from
Python takes one reference from `True`; after enough emits Python 3.11 aborts with "Fatal
Python error: bool_dealloc". `install()` checks once whether the running PySide6 has the
bug and, only then, wraps `emit` to give the missing reference back.
"""

from __future__ import annotations

import ctypes
import sys
from typing import Any

from PySide6.QtCore import QObject, Signal, SignalInstance


class _Probe(QObject):
    ping = Signal()


def emit_loses_a_reference() -> bool:
    """Whether one `emit()` leaves `True` with one reference fewer than before."""
    probe = _Probe()
    before = sys.getrefcount(True)
    probe.ping.emit()
    return sys.getrefcount(True) < before


def install() -> bool:
    """Wrap `SignalInstance.emit` if this PySide6 needs it; True when it did."""
    if getattr(SignalInstance.emit, "_nextbatch_guard", False) or not emit_loses_a_reference():
        return False
    original = SignalInstance.emit
    incref = ctypes.pythonapi.Py_IncRef
    incref.argtypes = [ctypes.py_object]

    def emit(self: SignalInstance, *args: Any) -> Any:
        result = original(self, *args)
        if result is True:
            incref(result)
        return result

    emit._nextbatch_guard = True  # type: ignore[attr-defined]
    SignalInstance.emit = emit  # type: ignore[method-assign]
    return True
