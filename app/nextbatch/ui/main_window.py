"""The one window: menus, the start page or the open study, and the safety nets on close."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDragEnterEvent,
    QDropEvent,
    QKeySequence,
    QPaintEvent,
)
from PySide6.QtWidgets import QMainWindow, QMenu, QStackedWidget

import nextbatch
from nextbatch.ui import files
from nextbatch.ui.autosave import Autosaver
from nextbatch.ui.dialogs import STUDY_FILTER, Ask
from nextbatch.ui.document import StudyDocument
from nextbatch.ui.settings import AppSettings
from nextbatch.ui.start_page import TEMPLATES, StartPage
from nextbatch.ui.workers import Jobs

if TYPE_CHECKING:
    from nextbatch.ui.study_view import StudyView

SHEET_SUFFIXES = {".xlsx", ".csv"}


class MainWindow(QMainWindow):
    """Start page when no study is open, else the study's tabs (see `StudyView`)."""

    first_painted = Signal()  # the window is on screen (start-up measurements wait for it)

    def __init__(self, settings: AppSettings, recovery_dir: Path) -> None:
        super().__init__()
        self.settings = settings
        self.recovery_dir = recovery_dir
        self.jobs = Jobs(self)
        self.document: StudyDocument | None = None
        self.view: StudyView | None = None
        self._autosaver: Autosaver | None = None
        self._painted = False
        self.setAcceptDrops(True)
        self.resize(1280, 800)
        if (geometry := settings.geometry()) is not None:
            self.restoreGeometry(geometry)

        self.start_page = StartPage()
        self.start_page.open_requested.connect(self.open_path)
        self.start_page.template_requested.connect(self.new_from_template)
        self.start_page.browse_requested.connect(self.open_dialog)
        self.pages = QStackedWidget()
        self.pages.addWidget(self.start_page)
        self.setCentralWidget(self.pages)
        self._build_menus()
        self._show_start_page()

    # ------------------------------------------------------------------ menus
    def _action(self, menu: QMenu, text: str, slot: object, shortcut: object = None,
                tip: str = "") -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(shortcut)
        action.setStatusTip(tip or text.replace("…", ""))
        action.setToolTip(tip or text.replace("…", ""))
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file = bar.addMenu("&File")
        new = file.addMenu("&New from template")
        for name, (label, blurb) in TEMPLATES.items():
            self._action(new, label, lambda _=False, n=name: self.new_from_template(n),
                         tip=blurb)
        self._action(file, "&Open…", self.open_dialog, QKeySequence.StandardKey.Open,
                     "Open a study file (.nbx)")
        self.recent_menu = file.addMenu("Open &recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        file.addSeparator()
        self.save_action = self._action(file, "&Save", self.save, QKeySequence.StandardKey.Save,
                                        "Save the study to its file")
        self.save_as_action = self._action(file, "Save &as…", self.save_as,
                                           QKeySequence.StandardKey.SaveAs,
                                           "Save the study under a new name")
        file.addSeparator()
        self.import_action = self._action(file, "&Import results…", self.import_results,
                                          "Ctrl+I", "Read results from a filled-in run sheet")
        self.export_action = self._action(file, "&Export run sheet…", self.export_sheet,
                                          "Ctrl+E", "Write the planned runs to an Excel sheet")
        file.addSeparator()
        self.close_action = self._action(file, "&Close study", self.close_study,
                                         QKeySequence.StandardKey.Close,
                                         "Close the study and go back to the start page")
        self._action(file, "&Quit", self.close, QKeySequence.StandardKey.Quit, "Quit NextBatch")

        edit = bar.addMenu("&Edit")
        self.undo_action = self._action(edit, "&Undo", self.undo, QKeySequence.StandardKey.Undo)
        self.redo_action = self._action(edit, "&Redo", self.redo, QKeySequence.StandardKey.Redo)
        edit.aboutToShow.connect(self._update_actions)

        help_menu = bar.addMenu("&Help")
        self._action(help_menu, "&About NextBatch", self.about, tip="Version and licence")

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        paths = self.settings.recent_files()
        for path in paths:
            self._action(self.recent_menu, path.name, lambda _=False, p=path: self.open_path(p),
                         tip=str(path))
        if not paths:
            self.recent_menu.addAction("(none yet)").setEnabled(False)

    def _update_actions(self) -> None:
        doc = self.document
        for action in (self.save_action, self.save_as_action, self.import_action,
                       self.export_action, self.close_action):
            action.setEnabled(doc is not None)
        stack = doc.stack if doc else None
        can_undo = bool(stack and stack.canUndo())
        can_redo = bool(stack and stack.canRedo())
        self.undo_action.setEnabled(can_undo)
        self.redo_action.setEnabled(can_redo)
        self.undo_action.setText(f"&Undo {stack.undoText()}" if can_undo else "&Undo")
        self.redo_action.setText(f"&Redo {stack.redoText()}" if can_redo else "&Redo")
        self.setWindowTitle(doc.window_title() if doc else "NextBatch")

    # ------------------------------------------------------------- documents
    def set_document(self, document: StudyDocument) -> None:
        """Show `document` (the caller has already closed the previous one)."""
        from nextbatch.ui.study_view import StudyView

        self.document = document
        document.setParent(self)
        document.changed.connect(self._update_actions)
        document.title_changed.connect(self._update_actions)
        document.refused.connect(self.statusBar().showMessage)
        self._autosaver = Autosaver(document, self.recovery_dir)
        self.view = StudyView(document, self.jobs, self)
        self.pages.addWidget(self.view)
        self.pages.setCurrentWidget(self.view)
        self._update_actions()
        if self._painted:
            document.schedule_problems()

    def _show_start_page(self) -> None:
        self.start_page.set_recent(self.settings.recent_files())
        self.pages.setCurrentWidget(self.start_page)
        self._update_actions()

    def close_study(self, ask: bool = True) -> bool:
        """Close the open study (asking about unsaved changes); True when it was closed."""
        if self.document is None:
            return True
        if ask and not self._confirm_discard():
            return False
        if self.view is not None:
            self.view.insights.shutdown()  # no update may start once the jobs are joined
        self.jobs.shutdown()
        self.document.shutdown()
        if self._autosaver is not None:
            self._autosaver.discard()
        if self.view is not None:
            self.pages.removeWidget(self.view)
            self.view.deleteLater()
        if self.document is not None:
            self.document.deleteLater()
        self.document, self.view, self._autosaver = None, None, None
        self._show_start_page()
        return True

    def _confirm_discard(self) -> bool:
        doc = self.document
        if doc is None or not doc.is_modified:
            return True
        answer = Ask.choose(self, "Unsaved changes",
                            f"“{doc.display_name}” has changes that are not saved.",
                            ["Save", "Discard", "Cancel"], default="Save")
        if answer == "Save":
            return files.save_document(self, doc)
        return answer == "Discard"

    def open_path(self, path: Path) -> bool:
        if not self.close_study():
            return False
        document = files.open_document(self, path)
        if document is None:
            return False
        self.settings.add_recent(path)
        self.set_document(document)
        return True

    def open_dialog(self) -> None:
        path = Ask.open_path(self, "Open a study", STUDY_FILTER)
        if path is not None:
            self.open_path(path)

    def new_from_template(self, name: str) -> bool:
        if not self.close_study():
            return False
        self.set_document(StudyDocument(files.template_study(name)))
        return True

    def save(self) -> bool:
        if self.document is None:
            return False
        saved = files.save_document(self, self.document)
        if saved and self.document.path is not None:
            self.settings.add_recent(self.document.path)
        return saved

    def save_as(self) -> bool:
        if self.document is None:
            return False
        return files.save_document(self, self.document, save_as=True)

    def undo(self) -> None:
        if self.document is not None:
            self.document.stack.undo()

    def redo(self) -> None:
        if self.document is not None:
            self.document.stack.redo()

    # ------------------------------------------------------- runs and sheets
    def import_results(self, path: Path | None = None) -> None:
        if self.view is not None:
            self.view.import_results(path)

    def export_sheet(self) -> None:
        if self.view is not None:
            self.view.export_sheet()

    def about(self) -> None:
        Ask.inform(self, "About NextBatch",
                   f"NextBatch {nextbatch.__version__}\n\nPlans the next batch of recipes to "
                   "try, from the results you have. Free and offline; MIT licence.")

    # ------------------------------------------------------- drag and drop
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if any(self._drop_kind(Path(u.toLocalFile())) for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        for url in event.mimeData().urls():
            path = Path(url.toLocalFile())
            kind = self._drop_kind(path)
            if kind == "study":
                self.open_path(path)
            elif kind == "sheet":
                self.import_results(path)
            else:
                continue
            event.acceptProposedAction()
            return

    def _drop_kind(self, path: Path) -> str | None:
        if path.suffix.lower() == ".nbx":
            return "study"
        if path.suffix.lower() in SHEET_SUFFIXES and self.document is not None:
            return "sheet"
        return None

    def paintEvent(self, event: QPaintEvent) -> None:
        """The first paint starts the first check, so that the window comes first."""
        super().paintEvent(event)
        if not self._painted:
            self._painted = True
            if self.document is not None:
                self.document.schedule_problems()
            self.first_painted.emit()

    # ------------------------------------------------------------- closing
    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.close_study():
            event.ignore()
            return
        self.jobs.shutdown()
        self.settings.set_geometry(self.saveGeometry())
        event.accept()

