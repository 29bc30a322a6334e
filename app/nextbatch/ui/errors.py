"""The last safety net: an unexpected exception becomes a dialog with a copyable report.

Errors NextBatch raises on purpose (NextBatchError) are shown as their message alone;
anything else is a bug, shown with its traceback so the user can paste it into a report.
"""

from __future__ import annotations

import sys
import traceback
from types import TracebackType

from PySide6.QtWidgets import QWidget

from nextbatch.core.errors import NextBatchError
from nextbatch.ui.dialogs import Ask


def show_error(parent: QWidget | None, what: str, exc: BaseException, details: str = "") -> None:
    """Tell the user that `what` failed and why; a bug also gets its traceback to copy."""
    if isinstance(exc, NextBatchError):
        Ask.inform(parent, "NextBatch", f"{what}:\n{exc}")
        return
    report = details or "".join(traceback.format_exception(exc))
    Ask.inform(parent, "NextBatch — unexpected error",
               f"{what}: {type(exc).__name__}: {exc}\n\nThe details below can be copied into "
               "a bug report. Your study was not changed by this error.", report)


def install_excepthook() -> None:
    """Route uncaught exceptions in slots (which Qt would just print) to `show_error`."""
    previous = sys.excepthook

    def hook(kind: type[BaseException], exc: BaseException,
             tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            previous(kind, exc, tb)
            return
        show_error(None, "Something went wrong",
                   exc, "".join(traceback.format_exception(kind, exc, tb)))

    sys.excepthook = hook
