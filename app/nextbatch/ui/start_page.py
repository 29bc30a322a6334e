"""What the window shows when no study is open: recent studies, templates, Open…."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

TEMPLATES = {
    "shaving-cream": ("Shaving cream", "A cream base of five ingredients that add up to 100 %, "
                      "with mixing time, process temperature and emulsifier."),
    "brewing": ("Brewing", "Mash, boil, hops, yeast strain and fermentation temperature "
                "for a better pale ale."),
    "blank": ("Blank study", "Start from nothing and describe your own recipe."),
}


class StartPage(QWidget):
    """Emits `open_requested(path)`, `template_requested(name)` or `browse_requested()`."""

    open_requested = Signal(Path)
    template_requested = Signal(str)
    browse_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        title = QLabel("<h1>NextBatch</h1><p>Plan the next batch of recipes to try: describe "
                       "what you can change and what you measure, record the results, and "
                       "NextBatch suggests what to try next.</p>")
        title.setWordWrap(True)

        templates = QGroupBox("Start a new study")
        grid = QGridLayout(templates)
        for row, (name, (label, blurb)) in enumerate(TEMPLATES.items()):
            button = QPushButton(label)
            button.setToolTip(f"New study from the “{label}” template: {blurb}")
            button.clicked.connect(lambda _=False, n=name: self.template_requested.emit(n))
            text = QLabel(blurb)
            text.setWordWrap(True)
            grid.addWidget(button, row, 0)
            grid.addWidget(text, row, 1)
        open_button = QPushButton("Open a study…")
        open_button.setToolTip("Open a .nbx study file from disk (Ctrl+O)")
        open_button.clicked.connect(self.browse_requested)
        grid.addWidget(open_button, len(TEMPLATES), 0)
        grid.setColumnStretch(1, 1)

        recent = QGroupBox("Recent studies")
        self.recent_list = QListWidget()
        self.recent_list.setToolTip("Double-click a study to open it")
        self.recent_list.itemActivated.connect(
            lambda item: self.open_requested.emit(Path(item.data(Qt.ItemDataRole.UserRole))))
        QVBoxLayout(recent).addWidget(self.recent_list)

        column = QWidget()
        column.setMaximumWidth(900)  # a readable line length on wide screens
        outer = QHBoxLayout(self)
        outer.addStretch(1)
        outer.addWidget(column, 4)
        outer.addStretch(1)
        layout = QVBoxLayout(column)
        layout.setContentsMargins(24, 32, 24, 32)
        layout.addWidget(title)
        layout.addWidget(templates)
        layout.addWidget(recent, 1)
        hint = QLabel("Tip: drop a .nbx file anywhere on this window to open it.")
        hint.setEnabled(False)
        layout.addWidget(hint)

    def set_recent(self, paths: list[Path]) -> None:
        self.recent_list.clear()
        for path in paths:
            item = QListWidgetItem(f"{path.stem}    —    {path.parent}")
            item.setData(Qt.ItemDataRole.UserRole, str(path))
            item.setToolTip(str(path))
            self.recent_list.addItem(item)
        if not paths:
            item = QListWidgetItem("No recent studies yet.")
            item.setFlags(Qt.ItemFlag.NoItemFlags)
            self.recent_list.addItem(item)
