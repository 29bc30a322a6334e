"""Application start-up: the QApplication, the first window, recovery, and the smoke test.

Nothing heavy is imported here: scikit-learn, scipy.optimize and openpyxl load only when a
suggestion, a validation or a sheet first needs them, after the window is on screen.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEventLoop, QSettings, Qt, QTimer, qInstallMessageHandler
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication

from nextbatch.resources import example_names, example_path
from nextbatch.ui.autosave import default_recovery_dir, find_recoveries
from nextbatch.ui.dialogs import Ask
from nextbatch.ui.document import StudyDocument
from nextbatch.ui.errors import install_excepthook
from nextbatch.ui.main_window import MainWindow
from nextbatch.ui.resources_path import app_icon
from nextbatch.ui.settings import AppSettings
from nextbatch.ui.theme import follow_system_scheme

HEAVY_MODULES = ("sklearn", "scipy.optimize", "openpyxl")
# Harmless notices of Qt's offscreen platform (used by the smoke test and CI); anything else
# Qt says still reaches stderr.
_QUIET = ("This plugin does not support propagateSizeHints()",)
# Set by packaging/startup_time.py: print a line once the window has painted, then quit.
PROBE_ENV = "NEXTBATCH_STARTUP_PROBE"


def application() -> QApplication:
    """The one QApplication, created with high-DPI scaling and the system's colour scheme."""
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    QGuiApplication.setHighDpiScaleFactorRoundingPolicy(
        Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
    previous = qInstallMessageHandler(None)

    def on_qt_message(mode: Any, context: Any, message: str) -> None:
        if message in _QUIET:
            return
        if previous is not None:
            previous(mode, context, message)
        else:
            print(message, file=sys.stderr)

    qInstallMessageHandler(on_qt_message)
    app = QApplication(sys.argv[:1])
    app.setApplicationName("NextBatch")
    app.setOrganizationName("NextBatch")
    app.setApplicationDisplayName("NextBatch")
    # The desktop file's name lets Wayland docks match the window to its menu entry and icon.
    app.setDesktopFileName("io.github.nextbatch.NextBatch")
    app.setWindowIcon(app_icon())
    app.setStyle("Fusion")
    follow_system_scheme(app)
    return app


def offer_recovery(window: MainWindow) -> bool:
    """After a crash, offer the newest recovery copy; True when one was restored."""
    for recovery in find_recoveries(window.recovery_dir):
        answer = Ask.choose(window, "Restore unsaved work?",
                            "NextBatch did not close normally last time. A recovery copy of "
                            f"{recovery.describe()} was kept.\nRestore it?",
                            ["Restore", "Discard"], default="Restore")
        if answer == "Restore":
            document = StudyDocument(recovery.study, recovery.original)
            window.set_document(document)
            document.mark_modified()
            recovery.file.unlink(missing_ok=True)
            return True
        recovery.file.unlink(missing_ok=True)
    return False


def open_initial(window: MainWindow, path: Path | None) -> None:
    """Open `path`, or restore a recovery copy, or start on the shaving-cream example."""
    if offer_recovery(window):
        return
    if path is None:
        window.new_from_template("shaving-cream")
        return
    examples = {example_path(name).resolve(): name for name in example_names()}
    if path.resolve() in examples:
        # A bundled example opens as a new, unsaved copy: saving never overwrites it.
        window.new_from_template(examples[path.resolve()])
    else:
        window.open_path(path)


def run(path: Path | None = None) -> int:
    """Show the main window (used by `nextbatch` and `nextbatch FILE`); the exit status."""
    app = application()
    install_excepthook()
    window = MainWindow(AppSettings(), default_recovery_dir())
    if os.environ.get(PROBE_ENV):
        window.first_painted.connect(lambda: QTimer.singleShot(0, lambda: _report_shown(window)))
    open_initial(window, path)
    window.show()
    return app.exec()


def _report_shown(window: MainWindow) -> None:
    loaded = [m for m in HEAVY_MODULES if m in sys.modules]
    print(f"window painted; heavy modules loaded: {','.join(loaded) or 'none'}", flush=True)
    window.close()


# ------------------------------------------------------------------- smoke test
def smoke_test(path: Path | None = None) -> int:
    """Build the real window, suggest one batch, export its sheet; 0 when all went well.

    Prints each step and how long it took. Nothing modal opens (`Ask.headless`).
    """
    Ask.headless = True
    app = application()
    tmp = Path(tempfile.mkdtemp(prefix="nextbatch-smoke-"))
    steps: list[tuple[str, Callable[[], Any]]] = []
    state: dict[str, Any] = {}

    def build() -> None:
        settings = AppSettings(QSettings(str(tmp / "settings.ini"), QSettings.Format.IniFormat))
        state["window"] = MainWindow(settings, tmp / "recovery")
        state["window"].show()

    def open_study() -> None:
        window: MainWindow = state["window"]
        opened = window.open_path(path) if path else window.new_from_template("shaving-cream")
        if not opened or window.view is None:
            raise RuntimeError(f"could not open {path or 'the shaving-cream example'}")

    def suggest() -> None:
        panel = state["window"].view.next_batch
        _wait(panel.suggest())
        if panel.candidates.rowCount() == 0:
            raise RuntimeError(f"no recipe was suggested: {panel.status_text()}")
        state["ids"] = panel.add_to_runs()

    def export() -> None:
        sheet = tmp / "run-sheet.xlsx"
        _wait(state["window"].view.export_sheet(sheet, state["ids"]))
        if not sheet.is_file():
            raise RuntimeError("the run sheet was not written")
        print(f"  run sheet: {sheet}")

    steps = [("build the main window", build), ("open the study", open_study),
             ("suggest a batch", suggest), ("export a run sheet", export)]
    status = 0
    for name, step in steps:
        start = time.perf_counter()
        try:
            step()
        except Exception as exc:
            print(f"FAILED  {name}: {type(exc).__name__}: {exc}", file=sys.stderr)
            status = 1
            break
        print(f"ok      {name} ({time.perf_counter() - start:.2f} s)", flush=True)
    window = state.get("window")
    if window is not None:
        if window.document is not None:
            window.document.stack.setClean()
        window.close()
    app.processEvents()
    return status


def _wait(job: Any) -> None:
    """Run the event loop until `job` ends; raise what it raised."""
    if job is None:
        raise RuntimeError("the step did not start (see the message above)")
    outcome: dict[str, Any] = {}
    loop = QEventLoop()
    job.failed.connect(lambda exc, _details: outcome.setdefault("error", exc))
    job.cancelled.connect(lambda: outcome.setdefault("error", RuntimeError("cancelled")))
    job.finished.connect(loop.quit)
    if not job.done:
        loop.exec()
    if "error" in outcome:
        raise outcome["error"]
