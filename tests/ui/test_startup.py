"""Start-up: the first window comes without the heavy modules; the smoke test passes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SHOW_WINDOW = """
import sys
from PySide6.QtCore import QEvent, QObject, QStandardPaths
QStandardPaths.setTestModeEnabled(True)
from nextbatch.ui.app import application, open_initial
from nextbatch.ui.main_window import MainWindow
from nextbatch.ui.settings import AppSettings
from PySide6.QtCore import QSettings
app = application()
window = MainWindow(AppSettings(QSettings(sys.argv[1], QSettings.Format.IniFormat)),
                    __import__("pathlib").Path(sys.argv[2]))
seen = []


class FirstPaint(QObject):
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint and not seen:
            seen.append([m for m in ("sklearn", "scipy.optimize", "openpyxl")
                         if m in sys.modules])
        return False


spy = FirstPaint()
window.installEventFilter(spy)
open_initial(window, None)
window.show()
for _ in range(5):
    app.processEvents()
assert window.view is not None, "the example did not open"
print("HEAVY:" + ",".join(seen[0]))
print("ICON SIZES:", len(app.windowIcon().availableSizes()))
window.document.stack.setClean()
window.close()
"""


def _env() -> dict[str, str]:
    return {**os.environ, "QT_QPA_PLATFORM": "offscreen"}


def _isolated_env(tmp_path: Path) -> dict[str, str]:
    """Settings, recovery copies and temporary files of the child land in `tmp_path`."""
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    return {**_env(), "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path),
            "XDG_DATA_HOME": str(tmp_path), "XDG_RUNTIME_DIR": str(runtime),
            "TMPDIR": str(tmp_path)}


def test_first_window_does_not_import_sklearn_scipy_optimize_or_openpyxl(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-c", SHOW_WINDOW, str(tmp_path / "s.ini"), str(tmp_path / "rec")],
        capture_output=True, text=True, timeout=120, env=_env(), check=True)
    assert "HEAVY:\n" in out.stdout, out.stdout + out.stderr
    sizes = int(out.stdout.split("ICON SIZES:")[1].split()[0])
    assert sizes >= 5  # the title bar, task bar and Alt+Tab each get a drawn size of our icon


def test_smoke_test_suggests_and_exports_then_exits_0(tmp_path: Path) -> None:
    env = _isolated_env(tmp_path)
    out = subprocess.run([sys.executable, "-m", "nextbatch", "--smoke-test"],
                         capture_output=True, text=True, timeout=300, env=env)
    assert out.returncode == 0, out.stdout + out.stderr
    for step in ("build the main window", "open the study", "suggest a batch",
                 "export a run sheet"):
        assert f"ok      {step}" in out.stdout
    assert out.stderr == ""
    assert list(tmp_path.glob("nextbatch-smoke-*/run-sheet.xlsx"))


def test_smoke_test_fails_with_the_error_for_a_missing_file(tmp_path: Path) -> None:
    env = _isolated_env(tmp_path)
    out = subprocess.run([sys.executable, "-m", "nextbatch", "--smoke-test",
                          str(tmp_path / "missing.nbx")],
                         capture_output=True, text=True, timeout=120, env=env)
    assert out.returncode == 1
    assert "missing.nbx" in out.stderr and "FAILED  open the study" in out.stderr
