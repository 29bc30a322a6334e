"""The suggested recipes of the next batch, before they become runs.

Each candidate shows its settings (editable), the predicted results ± uncertainty in the
result's own units and the one-sentence reason. A candidate can be unticked; an edited one
gets its prediction refreshed off the GUI thread by the panel (`needs_prediction`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal

from nextbatch.core.study import Study
from nextbatch.ui.setup_model import ERROR_BRUSH, ERROR_TEXT
from nextbatch.ui.text_values import format_number, parse_number

Index = QModelIndex | QPersistentModelIndex


@dataclass
class Candidate:
    """One recipe proposed for the next batch."""

    settings: dict[str, Any]
    predicted: dict[str, tuple[float, float]] = field(default_factory=dict)
    reason: str = ""
    source: str = "suggested"
    included: bool = True
    updating: bool = False
    violations: list[Any] = field(default_factory=list)  # RecipeViolation, from check_recipe


def predicted_text(mean: float, sd: float, unit: str) -> str:
    """`41.2 ± 3.1 mm`, with as many digits as the uncertainty deserves."""
    digits = 0 if sd >= 10 else 1 if sd >= 1 else 2 if sd >= 0.1 else 3
    suffix = f" {unit}" if unit else ""
    return f"{mean:.{digits}f} ± {sd:.{digits}f}{suffix}"


class CandidatesModel(QAbstractTableModel):
    """Columns: include, one per variable, one per optimized result, reason."""

    needs_prediction = Signal(int)  # row whose settings changed

    def __init__(self, study: Study, parent: Any = None) -> None:
        super().__init__(parent)
        self.study = study
        self.candidates: list[Candidate] = []

    # ------------------------------------------------------------------ shape
    @property
    def variables(self) -> list[Any]:
        return list(self.study.variables)

    @property
    def responses(self) -> list[Any]:
        return [r for r in self.study.responses if r.is_optimized]

    def set_candidates(self, candidates: list[Candidate]) -> None:
        self.beginResetModel()
        self.candidates = list(candidates)
        for candidate in self.candidates:
            self._check(candidate)
        self.endResetModel()

    def _check(self, candidate: Candidate) -> None:
        candidate.violations = self.study.check_recipe(candidate.settings)

    def _broken(self, candidate: Candidate, variable: Any) -> list[str]:
        """What this setting breaks: its own bound or level, or a rule or total it is in."""
        names = {v.name for v in self.study.variables}
        return [v.message for v in candidate.violations
                if v.subject == variable.name or v.subject not in names]

    def append(self, candidate: Candidate) -> int:
        self._check(candidate)
        row = len(self.candidates)
        self.beginInsertRows(QModelIndex(), row, row)
        self.candidates.append(candidate)
        self.endInsertRows()
        return row

    def update_prediction(self, row: int, predicted: dict[str, tuple[float, float]],
                          reason: str) -> None:
        if 0 <= row < len(self.candidates):
            candidate = self.candidates[row]
            candidate.predicted, candidate.reason, candidate.updating = predicted, reason, False
            self._row_changed(row)

    def included(self) -> list[Candidate]:
        return [c for c in self.candidates if c.included]

    def _row_changed(self, row: int) -> None:
        self.dataChanged.emit(self.index(row, 0), self.index(row, self.columnCount() - 1))

    def _kind(self, col: int) -> tuple[str, Any]:
        """Predictions come first (what the lab compares), then the recipe, then why."""
        responses = self.responses
        if col == 0:
            return "include", None
        if col <= len(responses):
            return "predicted", responses[col - 1]
        if col <= len(responses) + len(self.study.variables):
            return "setting", self.study.variables[col - 1 - len(responses)]
        return "reason", None

    def setting_column(self, name: str) -> int:
        names = [v.name for v in self.study.variables]
        return 1 + len(self.responses) + names.index(name)

    def choices_at(self, col: int) -> list[str] | None:
        """The values a setting column offers in a drop-down (None: type any number)."""
        kind, item = self._kind(col)
        if kind != "setting":
            return None
        if item.kind == "categorical":
            return list(item.levels)
        grid = item.grid()
        return [format_number(v) for v in grid] if grid else None

    def prediction_column(self, name: str) -> int:
        return 1 + [r.name for r in self.responses].index(name)

    # ------------------------------------------------------------ Qt model API
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.candidates)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.study.variables) + len(self.responses) + 2

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Vertical:
            return str(section + 1) if role == Qt.ItemDataRole.DisplayRole else None
        if not 0 <= section < self.columnCount():
            return None
        kind, item = self._kind(section)
        if role == Qt.ItemDataRole.DisplayRole:
            if kind == "predicted":
                return f"{item.title}\n(predicted)"
            if kind == "setting":
                return f"{item.title}\n[{item.unit}]" if item.unit else item.title
            return {"include": "Use", "reason": "Why this recipe"}[kind]
        if role == Qt.ItemDataRole.ToolTipRole:
            return {"include": "Untick a recipe to leave it out of the batch",
                    "setting": "The suggested setting; double-click to change it",
                    "predicted": "Predicted result ± uncertainty (one standard deviation)",
                    "reason": "Why NextBatch proposes this recipe"}[kind]
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        kind, _ = self._kind(index.column())
        if kind == "include":
            return base | Qt.ItemFlag.ItemIsUserCheckable
        if kind == "setting":
            return base | Qt.ItemFlag.ItemIsEditable
        return base

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        candidate = self.candidates[index.row()]
        kind, item = self._kind(index.column())
        if kind == "include":
            if role == Qt.ItemDataRole.CheckStateRole:
                return Qt.CheckState.Checked if candidate.included else Qt.CheckState.Unchecked
            return None
        if kind == "setting":
            value = candidate.settings.get(item.name)
            if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
                return format_number(value)
            broken = self._broken(candidate, item)
            if role == Qt.ItemDataRole.BackgroundRole and broken:
                return ERROR_BRUSH
            if role == Qt.ItemDataRole.ForegroundRole and broken:
                return ERROR_TEXT
            if role == Qt.ItemDataRole.ToolTipRole:
                return "\n".join(broken) or f"{item.title}: double-click to change"
            return None
        if kind == "predicted":
            if role == Qt.ItemDataRole.DisplayRole:
                if candidate.updating:
                    return "updating…"
                if item.name not in candidate.predicted:
                    return "—"
                mean, sd = candidate.predicted[item.name]
                return predicted_text(mean, sd, item.unit)
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return candidate.reason
        return None

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if not index.isValid():
            return False
        candidate = self.candidates[index.row()]
        kind, item = self._kind(index.column())
        if kind == "include" and role == Qt.ItemDataRole.CheckStateRole:
            candidate.included = Qt.CheckState(value) == Qt.CheckState.Checked
            self._row_changed(index.row())
            return True
        if kind != "setting" or role != Qt.ItemDataRole.EditRole:
            return False
        text = str(value).strip()
        if item.kind == "categorical":
            typed: Any = text
        else:
            try:
                typed = parse_number(text)
            except ValueError:
                return False
        if typed is None or candidate.settings.get(item.name) == typed:
            return typed is not None
        candidate.settings[item.name] = typed
        self._check(candidate)
        candidate.updating = True
        self._row_changed(index.row())
        self.needs_prediction.emit(index.row())
        return True
