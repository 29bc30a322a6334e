"""A guard against the reference-counting bugs of PySide6 6.12.0 on Python 3.11.

In that PySide6, Qt methods that return nothing (`show()`, `setParent()`,
`processEvents()`, …) hand back `None` without a new reference, and `Signal.emit` does the
same with `True`. Each such call takes one reference from the singleton, and after enough
calls Python 3.11 aborts ("Fatal Python error: none_dealloc"). Python 3.12 and later make
these singletons immortal, so the bug is harmless there. `install()` checks whether the
running PySide6 loses references and, only then, gives `None`, `True` and `False` a
reference count so large that no session can use it up — what Python 3.12 does for them.
"""

from __future__ import annotations

import ctypes
import sys

from PySide6.QtCore import QObject, Signal

# 2**40 lost references take years of calls; the count stays far from overflowing.
_RESERVE = 1 << 40
_PROBES = 64


class _Probe(QObject):
    ping = Signal()


def lost_references() -> dict[str, int]:
    """References `None` and `True` lose over `_PROBES` void calls and emits."""
    probe = _Probe()
    none_before, true_before = sys.getrefcount(None), sys.getrefcount(True)
    for _ in range(_PROBES):
        probe.setParent(None)
        probe.ping.emit()
    return {"None": none_before - sys.getrefcount(None),
            "True": true_before - sys.getrefcount(True)}


def install() -> bool:
    """Give the singletons a reserve if this PySide6 loses references; True when it did."""
    if sys.version_info >= (3, 12) or sys.getrefcount(None) > _RESERVE:
        return False
    lost = lost_references()
    if max(lost.values()) < _PROBES // 2:
        return False
    for singleton in (None, True, False):
        # ob_refcnt is the first field of every CPython object.
        ctypes.c_ssize_t.from_address(id(singleton)).value += _RESERVE
    return True
