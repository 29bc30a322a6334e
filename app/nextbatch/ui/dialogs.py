"""Every question the window asks the user, behind classmethods that tests replace.

Widgets never open a QMessageBox or QFileDialog themselves; they call `Ask`. A test patches
`Ask.choose` (or another method) with monkeypatch and so answers without a modal loop.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

STUDY_FILTER = "NextBatch studies (*.nbx);;All files (*)"
SHEET_FILTER = "Run sheets (*.xlsx *.csv);;All files (*)"


class Ask:
    """Modal questions; each returns the user's answer in plain Python values.

    With `headless` set (the smoke test, scripted runs) nothing modal opens: messages go to
    stderr and questions take their default answer.
    """

    headless = False

    @classmethod
    def choose(cls, parent: QWidget | None, title: str, text: str, options: list[str],
               default: str | None = None) -> str | None:
        """One of `options` (button texts), or None when the box was closed."""
        if cls.headless:
            return default
        box = QMessageBox(parent)
        box.setWindowTitle(title)
        box.setText(text)
        buttons = {}
        for option in options:
            role = (QMessageBox.ButtonRole.RejectRole if option == "Cancel"
                    else QMessageBox.ButtonRole.AcceptRole)
            buttons[box.addButton(option, role)] = option
        for button, option in buttons.items():
            if option == default:
                box.setDefaultButton(button)
        box.exec()
        return buttons.get(box.clickedButton())

    @classmethod
    def inform(cls, parent: QWidget | None, title: str, text: str, details: str = "") -> None:
        """A message to read; `details` (e.g. a traceback) goes in a copyable panel."""
        if cls.headless:
            print(f"{title}: {text}\n{details}".rstrip(), file=sys.stderr)
            return
        box = QMessageBox(parent)
        box.setIcon(QMessageBox.Icon.Warning if details else QMessageBox.Icon.Information)
        box.setWindowTitle(title)
        box.setText(text)
        if details:
            box.setDetailedText(details)
        box.exec()

    @classmethod
    def open_path(cls, parent: QWidget | None, title: str, filter: str) -> Path | None:
        if cls.headless:
            return None
        name, _ = QFileDialog.getOpenFileName(parent, title, "", filter)
        return Path(name) if name else None

    @classmethod
    def save_path(cls, parent: QWidget | None, title: str, suggested: str,
                  filter: str) -> Path | None:
        if cls.headless:
            return None
        name, _ = QFileDialog.getSaveFileName(parent, title, suggested, filter)
        return Path(name) if name else None

    @classmethod
    def review_import(cls, parent: QWidget | None, preview: Any, study: Any) -> Any | None:
        """Show the import preview; the command to apply, or None when not confirmed."""
        if cls.headless:
            return None
        from nextbatch.ui.import_dialog import ImportDialog

        dialog = ImportDialog(preview, study, parent)
        if dialog.exec() == ImportDialog.DialogCode.Accepted and dialog.can_apply:
            return dialog.command()
        return None
