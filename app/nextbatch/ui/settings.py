"""What the app remembers between sessions: recent studies and the window's geometry."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

MAX_RECENT = 8


class AppSettings:
    """A thin, typed layer over QSettings (organization "NextBatch", application "NextBatch")."""

    def __init__(self, qsettings: QSettings | None = None) -> None:
        self._q = qsettings or QSettings("NextBatch", "NextBatch")

    def recent_files(self) -> list[Path]:
        """Recently opened studies, newest first; files that no longer exist are dropped."""
        raw = self._q.value("recent_files", [])
        names = [raw] if isinstance(raw, str) else list(raw or [])
        kept = [Path(n) for n in names if n and Path(n).is_file()]
        if len(kept) != len(names):
            self._q.setValue("recent_files", [str(p) for p in kept])
        return kept

    def add_recent(self, path: Path) -> None:
        path = path.resolve()
        others = [p for p in self.recent_files() if p.resolve() != path]
        self._q.setValue("recent_files", [str(p) for p in [path, *others][:MAX_RECENT]])

    def geometry(self) -> QByteArray | None:
        value = self._q.value("window/geometry")
        return value if isinstance(value, QByteArray) else None

    def set_geometry(self, geometry: QByteArray) -> None:
        self._q.setValue("window/geometry", geometry)
        self._q.sync()
