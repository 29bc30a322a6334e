"""Render the main views of both examples offscreen into resources/screenshots/*.png.

    QT_QPA_PLATFORM=offscreen .venv/bin/python packaging/screenshots.py

For each example: the variables, mixtures & rules, results, runs and next-batch tabs (the last
after one real suggestion), plus the start page. The README shows `shaving-cream-runs.png`.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from nextbatch.resources import resources_dir
from nextbatch.ui.app import application
from nextbatch.ui.dialogs import Ask
from nextbatch.ui.main_window import MainWindow
from nextbatch.ui.settings import AppSettings
from PySide6.QtCore import QEventLoop, QSettings, QStandardPaths

SIZE = (1360, 820)


def _settle(app: object, window: MainWindow) -> None:
    loop = QEventLoop()
    if window.document is not None:
        window.document.problems_changed.connect(loop.quit)
        window.document.schedule_problems()
        loop.exec()
    for _ in range(5):
        app.processEvents()  # type: ignore[attr-defined]


def _suggest(window: MainWindow) -> None:
    panel = window.view.next_batch
    job = panel.suggest()
    loop = QEventLoop()
    job.finished.connect(loop.quit)
    loop.exec()


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # read when the app is created
    QStandardPaths.setTestModeEnabled(True)
    Ask.headless = True
    app = application()
    out = resources_dir() / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp())
    window = MainWindow(AppSettings(QSettings(str(tmp / "s.ini"), QSettings.Format.IniFormat)),
                        tmp / "recovery")
    window.resize(*SIZE)
    window.show()
    app.processEvents()
    window.grab().save(str(out / "start-page.png"))
    for example in ("shaving-cream", "brewing"):
        window.new_from_template(example)
        _settle(app, window)
        _suggest(window)
        # The next batch before the runs: the runs view then shows the new planned batch.
        for index, tab in ((0, "setup"), (1, "rules"), (2, "results"), (4, "next-batch"),
                           (3, "runs")):
            if tab == "runs":
                window.view.next_batch.add_to_runs()
            window.view.setCurrentIndex(index)
            app.processEvents()
            path = out / f"{example}-{tab}.png"
            window.grab().save(str(path))
            print(f"wrote {path.relative_to(resources_dir().parent)}")
        window.close_study(ask=False)
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
