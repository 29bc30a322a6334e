"""“Fix for this batch”: pick the value of any variable for the next batch only."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QComboBox, QFormLayout, QWidget

from nextbatch.core.study import Study
from nextbatch.ui.text_values import format_number, parse_number

FREE = "NextBatch chooses"


class FixedValues(QWidget):
    """One drop-down per variable: “let NextBatch choose” or a value typed or picked."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._form = QFormLayout(self)
        self._form.setContentsMargins(0, 0, 0, 0)
        self.boxes: dict[str, QComboBox] = {}
        self._categorical: set[str] = set()

    def set_study(self, study: Study) -> None:
        """Rebuild for the study's variables, keeping choices whose variable still exists."""
        kept = self.values()
        while self._form.rowCount():
            self._form.removeRow(0)
        self.boxes.clear()
        self._categorical = {v.name for v in study.variables if v.kind == "categorical"}
        for variable in study.variables:
            if variable.fixed is not None:
                continue  # already fixed for every batch in the setup
            box = QComboBox()
            box.setMinimumContentsLength(10)
            box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            box.setEditable(variable.kind == "continuous")
            box.addItem(FREE)
            options = (variable.levels if variable.kind == "categorical"
                       else [format_number(v) for v in variable.grid()])
            box.addItems([str(o) for o in options])
            box.setToolTip(f"Fix {variable.title} to one value for this batch only "
                           f"({variable.unit or 'no unit'})")
            if variable.name in kept:
                box.setCurrentText(format_number(kept[variable.name]))
            self._form.addRow(variable.header, box)
            self.boxes[variable.name] = box

    def values(self) -> dict[str, Any]:
        """The chosen values by variable name; ValueError names a box that holds no number."""
        out: dict[str, Any] = {}
        for name, box in self.boxes.items():
            text = box.currentText().strip()
            if not text or text == FREE:
                continue
            if name in self._categorical:
                out[name] = text
                continue
            try:
                out[name] = parse_number(text)
            except ValueError as exc:
                raise ValueError(f"Fix for this batch, {name}: {exc}") from None
        return out
