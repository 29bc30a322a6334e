"""Opening and saving studies from the window, with the questions a save can raise."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QWidget

from nextbatch.core.errors import NextBatchError, SaveConflictError
from nextbatch.core.study import Study
from nextbatch.ui.dialogs import STUDY_FILTER, Ask
from nextbatch.ui.document import StudyDocument
from nextbatch.ui.errors import show_error


def open_document(parent: QWidget | None, path: Path) -> StudyDocument | None:
    """Load `path`; on failure say why (file, line, field) and return None."""
    from nextbatch.io.study_file import load_study

    try:
        study = load_study(path)
    except (NextBatchError, OSError) as exc:
        show_error(parent, f"Could not open {path.name}", exc)
        return None
    return StudyDocument(study, path)


def template_study(name: str) -> Study:
    """A new, unsaved study: a copy of an example, or a blank one."""
    if name == "blank":
        return Study(name="Untitled study", settings={"batch_size": 4})
    from nextbatch.io.study_file import load_study
    from nextbatch.resources import example_path

    study = load_study(example_path(name))
    study.origin = None  # a template is a new study: saving must ask where
    return study


def save_document(parent: QWidget | None, document: StudyDocument, save_as: bool = False) -> bool:
    """Save to the document's file (asking for one if needed); True when it was saved."""
    path = document.path
    if save_as or path is None:
        path = Ask.save_path(parent, "Save study as", f"{document.display_name}.nbx",
                             STUDY_FILTER)
        if path is None:
            return False
        if path.suffix != ".nbx":
            path = path.with_suffix(".nbx")
    return _write(parent, document, path, force=False)


def _write(parent: QWidget | None, document: StudyDocument, path: Path, force: bool) -> bool:
    from nextbatch.io.study_file import save_study

    try:
        save_study(document.study, path, force=force)
    except SaveConflictError:
        answer = Ask.choose(
            parent, "The file changed on disk",
            f"{path.name} was changed by someone or something else since you opened it.\n"
            "Overwrite it with your version, save yours under another name, or cancel?",
            ["Overwrite", "Save As…", "Cancel"], default="Save As…")
        if answer == "Overwrite":
            return _write(parent, document, path, force=True)
        if answer == "Save As…":
            return save_document(parent, document, save_as=True)
        return False
    except (NextBatchError, OSError) as exc:
        show_error(parent, f"Could not save {path.name}", exc)
        return False
    document.mark_saved(path)
    return True
