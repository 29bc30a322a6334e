"""Table cells edited through a drop-down when their values come from a fixed list."""

from __future__ import annotations

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import QComboBox, QStyledItemDelegate, QStyleOptionViewItem, QWidget

Index = QModelIndex | QPersistentModelIndex


class ComboDelegate(QStyledItemDelegate):
    """A drop-down where `choices(index)` gives a list, the usual text field elsewhere.

    Subclasses say which cells have choices; the editor shows the cell's current value and
    writes the picked text back through the model's `setData`, so edits stay commands.
    """

    def choices(self, index: Index) -> list[str] | None:
        raise NotImplementedError

    def tooltip(self, index: Index) -> str:
        return ""

    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem,
                     index: Index) -> QWidget:
        choices = self.choices(index)
        if choices is None:
            return super().createEditor(parent, option, index)
        box = QComboBox(parent)
        box.addItems(choices)
        box.setToolTip(self.tooltip(index))
        return box

    def setEditorData(self, editor: QWidget, index: Index) -> None:
        if isinstance(editor, QComboBox):
            editor.setCurrentText(str(index.data(Qt.ItemDataRole.EditRole)))
        else:
            super().setEditorData(editor, index)

    def setModelData(self, editor: QWidget, model: QAbstractItemModel, index: Index) -> None:
        if isinstance(editor, QComboBox):
            model.setData(index, editor.currentText(), Qt.ItemDataRole.EditRole)
        else:
            super().setModelData(editor, model, index)
