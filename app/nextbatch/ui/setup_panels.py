"""The three setup tables: what you change (variables), mixtures, what you measure."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QWidget

from nextbatch.core import commands
from nextbatch.core.responses import GOAL_WORDS, GOALS, Response
from nextbatch.core.variables import KINDS, SCALES, Mixture, Variable
from nextbatch.ui.document import StudyDocument
from nextbatch.ui.record_panel import RecordPanel
from nextbatch.ui.setup_model import Column, RecordTableModel
from nextbatch.ui.text_values import parse_number, parse_numbers, split_list


def _is(*kinds: str) -> Any:
    return lambda v: v.kind in kinds


def _allowed(v: Variable) -> list[Any]:
    return list(v.levels) if v.kind == "categorical" else list(v.values)


def _unique(prefix: str, taken: set[str]) -> str:
    n = 1
    while f"{prefix}_{n}" in taken:
        n += 1
    return f"{prefix}_{n}"


def variable_columns(document: StudyDocument) -> list[Column]:
    """The variables table: every field of DESIGN §2, greyed where a kind does not use it."""
    def mixtures(_v: Variable) -> list[str]:
        return ["", *(m.name for m in document.study.mixtures)]

    return [
        Column("name", "Name", "Short name used in rules, e.g. stearic_acid (letters, digits, _)"),
        Column("label", "Label", "How you write it on the bench sheet, e.g. Stearic acid"),
        Column("kind", "Kind", "continuous: any value between low and high; integer: whole "
               "steps; discrete: a list of settings; categorical: named options",
               kind="choice", choices=lambda _v: list(KINDS)),
        Column("unit", "Unit", "Unit shown in tables and run sheets, e.g. %, g, °C, min"),
        Column("low", "Low", "Smallest value to try", kind="number",
               applies=_is("continuous", "integer")),
        Column("high", "High", "Largest value to try", kind="number",
               applies=_is("continuous", "integer")),
        Column("step", "Step", "Integer variables: the step between settings (5 → 5, 10, 15)",
               kind="number", applies=_is("integer")),
        Column("resolution", "Round to", "Continuous variables: round suggestions to this "
               "(0.1 → one decimal)", kind="number", applies=_is("continuous")),
        Column("scale", "Scale", "linear: steps of equal size; log: equal ratios, for amounts "
               "that span decades (0.01 to 10 g)", kind="choice",
               choices=lambda _v: list(SCALES), applies=_is("continuous")),
        Column("allowed", "Settings / options", "Discrete: the allowed numbers (60; 65; 70). "
               "Categorical: the options (lecithin; polysorbate 80). Separate with ;",
               kind="texts", applies=_is("discrete", "categorical"), get=_allowed,
               to_field=lambda v: "levels" if v.kind == "categorical" else "values",
               fields=("values", "levels"), parser=_parse_allowed),
        Column("fixed", "Fixed at", "Hold this variable at one value in every recipe "
               "(leave empty to let NextBatch choose)", parser=_parse_fixed),
        Column("hold", "One per batch", "Same value for all recipes of a batch, e.g. one "
               "mash temperature per brew day", kind="flag"),
        Column("mixture", "Mixture", "The mixture this ingredient belongs to (its amounts "
               "add up to the mixture total)", kind="choice", choices=mixtures,
               applies=_is("continuous")),
        Column("description", "Description", "Notes for colleagues: how it is measured or "
               "dosed"),
    ]


def _parse_allowed(variable: Variable, text: str) -> list[Any]:
    return split_list(text) if variable.kind == "categorical" else parse_numbers(text)


def _parse_fixed(variable: Variable, text: str) -> Any:
    if not text.strip():
        return None
    return text.strip() if variable.kind == "categorical" else parse_number(text)


def variables_panel(document: StudyDocument, parent: QWidget | None = None) -> RecordPanel:
    """What you change: one row per variable."""
    study = document.study
    model = RecordTableModel(document, "variables", variable_columns(document),
                           lambda: study.variables,
                           lambda v, changes: commands.EditVariable(v.name, changes))
    return RecordPanel(
        model, "What you change", "variable",
        add=lambda: commands.AddVariable(Variable(
            name=_unique("variable", {v.name for v in study.variables}), low=0, high=1)),
        remove=lambda v: commands.RemoveVariable(v.name),
        move=lambda v, index: commands.MoveVariable(v.name, index), parent=parent)


def _components_text(study: Any, mixture: Mixture) -> str:
    """`water, koh (reach 61 to 84 %)`: a live check that the bounds can make the total."""
    parts = study.components(mixture.name)
    if not parts:
        return "none yet: pick this mixture in the Mixture column of the ingredients"
    bounds = [v.bounds() for v in parts]
    unit = parts[0].unit
    names = ", ".join(v.name for v in parts)
    if any(b is None for b in bounds):
        return names
    low = sum(b[0] for b in bounds)  # type: ignore[index]
    high = sum(b[1] for b in bounds)  # type: ignore[index]
    verdict = "" if low <= mixture.total <= high else f" — cannot make {mixture.total:g}"
    return f"{names} (bounds reach {low:g} to {high:g} {unit}{verdict})".replace(" )", ")")


def mixtures_panel(document: StudyDocument, parent: QWidget | None = None) -> RecordPanel:
    """Mixtures: totals and batch amounts (the ingredients name their mixture)."""
    study = document.study
    columns = [
        Column("name", "Name", "Short name the ingredients refer to, e.g. base"),
        Column("label", "Label", "How you call it, e.g. Cream base"),
        Column("total", "Total", "What the ingredient amounts add up to: 100 for %, 1 for "
               "fractions", kind="number"),
        Column("batch_amount", "Batch amount", "How much you make per recipe; run sheets "
               "turn % into weigh-out amounts", kind="number"),
        Column("batch_unit", "Batch unit", "Unit of the batch amount, e.g. g or kg"),
        Column("components", "Ingredients", "The variables that name this mixture (set in "
               "“What you change”), and what their bounds can add up to",
               get=lambda m: _components_text(study, m), editable=False,
               fields=("components",)),
    ]
    model = RecordTableModel(document, "mixtures", columns, lambda: study.mixtures,
                             lambda m, changes: commands.EditMixture(m.name, changes))
    return RecordPanel(
        model, "Mixtures (ingredients that add up to a total)", "mixture",
        add=lambda: commands.AddMixture(Mixture(
            name=_unique("mixture", {m.name for m in study.mixtures}), total=100)),
        remove=lambda m: commands.RemoveMixture(m.name), move=None,
        empty_hint="No mixtures in this study. Add one when ingredient amounts must add up "
                   "to a total (percentages of a cream, fractions of a blend); then pick it "
                   "in the Mixture column of each ingredient.", parent=parent)


def responses_panel(document: StudyDocument, parent: QWidget | None = None) -> RecordPanel:
    """What you measure: one row per result, with its goal and limits."""
    study = document.study
    columns = [
        Column("name", "Name", "Short name, e.g. foam_height"),
        Column("label", "Label", "How you write it, e.g. Foam height"),
        Column("unit", "Unit", "Unit of the measurement, e.g. mm, cP"),
        Column("goal", "Goal", "What you want of this result: as high or as low as possible, "
               "hit a target, keep in a range, or just record it", kind="choice",
               choices=lambda _r: list(GOALS), words=GOAL_WORDS),
        Column("target", "Target", "The value to hit (goal “target”)", kind="number",
               applies=lambda r: r.goal == "target"),
        Column("low", "Low limit", "Below this the result is useless (maximize), or the "
               "lower end of the range", kind="number"),
        Column("high", "High limit", "Above this the result is as good as it gets "
               "(maximize), or the upper end of the range", kind="number"),
        Column("importance", "Importance", "1 (nice to have) to 5 (essential)", kind="number",
               applies=lambda r: r.goal != "observe"),
        Column("description", "Description", "How it is measured"),
    ]
    model = RecordTableModel(document, "responses", columns, lambda: study.responses,
                             lambda r, changes: commands.EditResponse(r.name, changes))
    return RecordPanel(
        model, "What you measure", "result",
        add=lambda: commands.AddResponse(Response(
            name=_unique("result", {r.name for r in study.responses}))),
        remove=lambda r: commands.RemoveResponse(r.name),
        move=lambda r, index: commands.MoveResponse(r.name, index), parent=parent)
