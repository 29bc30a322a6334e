"""Slow work (suggesting, importing, exporting) off the GUI thread, with progress and Cancel.

A `Job` is created on the GUI thread and runs one pure function in a QThread. Its own
signals (`progressed`, `succeeded`, `failed`, `cancelled`, `finished`) are emitted on the GUI
thread, so slots may touch widgets and tests may wait on them. `Jobs` keeps every running job
so that closing the window cancels and joins them: no thread outlives the window.
"""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal, Slot

from nextbatch.core.errors import CancelledError

# fn(progress, cancelled) -> result; progress(fraction, message); cancelled() -> bool
Work = Callable[[Callable[[float, str], None], Callable[[], bool]], Any]


_LIVE: set[_Thread] = set()  # started and not yet ended; see `live_threads`


def live_threads() -> int:
    """How many worker threads are started and not ended (0 once every window has closed)."""
    return len(_LIVE)


class _Thread(QThread):
    """Runs the work; its signals cross to the GUI thread through queued connections."""

    progress_raw = Signal(float, str)
    result_raw = Signal(object)
    error_raw = Signal(object, str)

    def __init__(self, work: Work, cancel_event: threading.Event, parent: QObject) -> None:
        super().__init__(parent)
        self._work = work
        self._cancel = cancel_event

    def run(self) -> None:
        try:
            result = self._work(self.progress_raw.emit, self._cancel.is_set)
        except Exception as exc:  # every failure goes back to the GUI thread as data
            self.error_raw.emit(exc, traceback.format_exc())
        else:
            self.result_raw.emit(result)
        finally:
            _LIVE.discard(self)


class Job(QObject):
    """One piece of work in its own thread; the signals below arrive on the GUI thread."""

    progressed = Signal(float, str)
    succeeded = Signal(object)
    failed = Signal(object, str)  # the exception and its formatted traceback
    cancelled = Signal()
    finished = Signal()  # after any of the three outcomes

    def __init__(self, name: str, work: Work, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self._cancel = threading.Event()
        # A Qt child of the job, so that Qt (not Python's collector) decides when it goes.
        self._thread = _Thread(work, self._cancel, self)
        self._thread.progress_raw.connect(self._on_progress)
        self._thread.result_raw.connect(self._on_result)
        self._thread.error_raw.connect(self._on_error)
        self.done = False

    def start(self) -> None:
        _LIVE.add(self._thread)
        self._thread.start()

    def cancel(self) -> None:
        """Ask the work to stop; it ends at its next check and reports `cancelled`."""
        self._cancel.set()

    def join(self) -> None:
        """Block until the thread has ended (used on close, after `cancel`)."""
        self._thread.wait()

    @Slot(float, str)
    def _on_progress(self, fraction: float, message: str) -> None:
        if not self.done:
            self.progressed.emit(fraction, message)

    def abandon(self) -> None:
        """Ignore whatever the thread still reports (its window is closing)."""
        self.done = True

    @Slot(object)
    def _on_result(self, result: object) -> None:
        if self.done:
            return
        self._thread.wait()
        self.done = True
        if self._cancel.is_set():
            self.cancelled.emit()
        else:
            self.succeeded.emit(result)
        self.finished.emit()

    @Slot(object, str)
    def _on_error(self, exc: object, details: str) -> None:
        if self.done:
            return
        self._thread.wait()
        self.done = True
        if isinstance(exc, CancelledError) or self._cancel.is_set():
            self.cancelled.emit()
        else:
            self.failed.emit(exc, details)
        self.finished.emit()


class Jobs(QObject):
    """The running jobs of one window."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._running: list[Job] = []
        self._ended: list[Job] = []

    def start(self, name: str, work: Work) -> Job:
        self._reap()
        job = Job(name, work, self)
        self._running.append(job)
        job.finished.connect(lambda: self._forget(job))
        job.start()
        return job

    def _forget(self, job: Job) -> None:
        # Called while `job` emits `finished`: it may not be deleted yet, only set aside.
        if job in self._running:
            self._running.remove(job)
            self._ended.append(job)

    def _reap(self) -> None:
        """Let go of ended jobs: without a parent, Python frees them with their last use."""
        for job in self._ended:
            job.setParent(None)
        self._ended.clear()

    @property
    def running(self) -> list[Job]:
        return list(self._running)

    def shutdown(self) -> None:
        """Cancel every job and wait for its thread; called when the window closes."""
        for job in self._running:
            job.cancel()
        for job in list(self._running):
            job.join()
            job.abandon()
            self._forget(job)
