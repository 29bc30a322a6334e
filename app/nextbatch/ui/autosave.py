"""Recovery copies, so that a crash loses nothing; the next start offers to restore them.

After each change the open study is written aside.
A recovery file is plain JSON: {"original": path or null, "saved": time, "study": {...}}. It
is removed when the study is saved or closed on purpose.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, QStandardPaths, QTimer

from nextbatch.core.errors import StudyError
from nextbatch.core.study import Study
from nextbatch.ui.document import StudyDocument


def default_recovery_dir() -> Path:
    """Where recovery copies live: the app's local data folder (per user)."""
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppLocalDataLocation)
    return Path(base) / "recovery"


@dataclass
class Recovery:
    """A recovery copy found at start-up."""

    file: Path
    original: Path | None
    saved: float
    study: Study

    def describe(self) -> str:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(self.saved))
        where = str(self.original) if self.original else "a study that was never saved"
        return f"“{self.study.name}” ({where}), last changed {when}"


class Autosaver(QObject):
    """Writes a recovery copy of one document shortly after each change."""

    def __init__(self, document: StudyDocument, folder: Path, delay_ms: int = 200) -> None:
        super().__init__(document)
        self._document = document
        self._folder = folder
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(delay_ms)
        self._timer.timeout.connect(self.write_now)
        document.changed.connect(self._timer.start)
        document.title_changed.connect(self._on_title_changed)
        # One file per open study and session, so that two windows never share a copy.
        self.file = folder / f"{uuid.uuid4().hex[:16]}.json"

    def write_now(self) -> None:
        """Write the recovery copy atomically (temporary file, then replace)."""
        if not self._document.is_modified:
            return
        self._folder.mkdir(parents=True, exist_ok=True)
        path = self._document.path
        payload = {"original": str(path) if path else None, "saved": time.time(),
                   "study": self._document.study.to_dict()}
        tmp = self.file.with_suffix(".tmp")
        tmp.write_text(json.dumps(payload), encoding="utf-8")
        os.replace(tmp, self.file)

    def _on_title_changed(self) -> None:
        if not self._document.is_modified:
            self.discard()

    def discard(self) -> None:
        """Forget the recovery copy (after a save, or when the user closes on purpose)."""
        self._timer.stop()
        with contextlib.suppress(FileNotFoundError):
            self.file.unlink()


def find_recoveries(folder: Path) -> list[Recovery]:
    """Recovery copies left by a session that did not end normally, newest first."""
    found: list[Recovery] = []
    for file in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            payload = json.loads(file.read_text(encoding="utf-8"))
            study = Study.from_dict(payload["study"])
        except (OSError, ValueError, KeyError, TypeError, StudyError):
            continue  # a half-written or foreign file is not worth offering
        original = Path(payload["original"]) if payload.get("original") else None
        found.append(Recovery(file, original, float(payload.get("saved", 0)), study))
    return sorted(found, key=lambda r: r.saved, reverse=True)
