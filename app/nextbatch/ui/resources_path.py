"""The Qt side of the bundled resources: the app icon as one QIcon holding every drawn size.

Paths come from `nextbatch.resources`, which knows the source tree and a PyInstaller bundle
alike; this module only turns them into Qt objects. Qt picks the sharpest size for each use
(title bar, task bar, Alt+Tab), so every PNG is added rather than one scaled image.
"""

from __future__ import annotations

from PySide6.QtGui import QIcon

from nextbatch.resources import ICON_SIZES, icon_path


def app_icon() -> QIcon:
    """The NextBatch icon for `QApplication.setWindowIcon`; empty if the PNGs are missing."""
    icon = QIcon()
    for size in ICON_SIZES:
        path = icon_path(size)
        if path.is_file():
            icon.addFile(str(path))
    return icon
