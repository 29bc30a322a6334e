"""Every edit a user can make, as a command that can be undone (glue's command pattern).

Each command checks everything first and raises CommandError before touching the study, so a
refused edit never leaves half a change; `nextbatch.core.history` holds the recording and undo
machinery they share (re-exported here).

Edits are type-checked (numbers are numbers, goals and statuses come from their lists, names
can be written in a rule); whether the result makes a sound study (low below high, a reachable
mixture total) is for `Study.problems()`, so a user may pass through an unfinished state.
"""

from __future__ import annotations

import copy
import keyword
import re
from collections.abc import Callable, Iterable
from typing import Any, ClassVar

from nextbatch.core.errors import CommandError, ConstraintSyntaxError
from nextbatch.core.fields import is_number
from nextbatch.core.history import Command as Command  # re-exported: the public base
from nextbatch.core.history import CompositeCommand as CompositeCommand
from nextbatch.core.history import History as History
from nextbatch.core.history import RecordedCommand, _Changes
from nextbatch.core.responses import GOALS, Response
from nextbatch.core.runs import SOURCES, STATUSES, Run, now_iso
from nextbatch.core.study import Study
from nextbatch.core.variables import KINDS, NUMERIC_KINDS, SCALES, Mixture, Variable


# ------------------------------------------------------------------------ value checks
def _finite(v: object) -> bool:
    return is_number(v) and v == v and abs(v) != float("inf")  # type: ignore[operator]


def is_name(value: object) -> bool:
    """Whether `value` can be written in a rule: an identifier that is not a Python keyword."""
    return isinstance(value, str) and value.isidentifier() and not keyword.iskeyword(value)


_Check = tuple[Callable[[Any], bool], str]
_TEXT: _Check = (lambda v: isinstance(v, str), "text")
_NAME_CHECK: _Check = (is_name, "a name of letters, digits and _ that does not start with a "
                                "digit and is not a reserved word (rules refer to it)")
_LABEL_NAME: _Check = (lambda v: isinstance(v, str) and v.strip() != "", "a non-empty name")
_OPT_NUMBER: _Check = (lambda v: v is None or _finite(v), "a finite number or nothing (None)")
_NUMBERS: _Check = (lambda v: isinstance(v, list) and all(_finite(x) for x in v),
                    "a list of finite numbers")
_TEXTS: _Check = (lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v),
                  "a list of texts")


def _one_of(options: Iterable[str]) -> _Check:
    options = tuple(options)
    return (lambda v: v in options, "one of " + ", ".join(options))


def _is_value(v: object) -> bool:
    return isinstance(v, str) or _finite(v)


_VALUES: _Check = (lambda v: isinstance(v, dict) and all(
    isinstance(k, str) and _is_value(x) for k, x in v.items()),
    "a mapping of names to numbers or levels")
_RESULTS: _Check = (lambda v: isinstance(v, dict) and all(
    isinstance(k, str) and _finite(x) for k, x in v.items()),
    "a mapping of response names to finite numbers")

VARIABLE_FIELDS: dict[str, _Check] = {
    "name": _NAME_CHECK, "kind": _one_of(KINDS), "low": _OPT_NUMBER, "high": _OPT_NUMBER,
    "step": _OPT_NUMBER, "resolution": _OPT_NUMBER, "scale": _one_of(SCALES),
    "values": _NUMBERS, "levels": _TEXTS, "label": _TEXT, "unit": _TEXT,
    "description": _TEXT, "mixture": (lambda v: v is None or isinstance(v, str),
                                       "a mixture name or nothing (None)"),
    "fixed": (lambda v: v is None or _is_value(v), "a number, a level or nothing (None)"),
    "hold": (lambda v: isinstance(v, bool), "true or false"),
}
RESPONSE_FIELDS: dict[str, _Check] = {
    "name": _LABEL_NAME, "goal": _one_of(GOALS), "target": _OPT_NUMBER, "low": _OPT_NUMBER,
    "high": _OPT_NUMBER, "importance": (lambda v: _finite(v) and 1 <= v <= 5,
                                        "a number from 1 to 5"),
    "label": _TEXT, "unit": _TEXT, "description": _TEXT,
}
MIXTURE_FIELDS: dict[str, _Check] = {
    "name": _LABEL_NAME,
    "total": (lambda v: _finite(v) and v > 0, "a positive number (100 for %, 1 for fractions)"),
    "batch_amount": (lambda v: v is None or (_finite(v) and v > 0),
                     "a positive number or nothing (None)"),
    "batch_unit": _TEXT, "label": _TEXT,
}
RUN_FIELDS: dict[str, _Check] = {
    "id": (lambda v: isinstance(v, str) and v.strip() != "", "a non-empty run ID"),
    "batch": (lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 0,
              "a whole number"),
    "status": _one_of(STATUSES), "source": _one_of(SOURCES), "settings": _VALUES,
    "actual": _VALUES, "results": _RESULTS,
    "predicted": (lambda v: isinstance(v, dict) and all(
        isinstance(p, tuple | list) and len(p) == 2 and all(_finite(x) for x in p)
        for p in v.values()), "a mapping of response names to (mean, sd)"),
    "notes": _TEXT, "created": (lambda v: v is None or isinstance(v, str), "a timestamp"),
    "measured": (lambda v: v is None or isinstance(v, str), "a timestamp"),
}


def _check_fields(where: str, fields: dict[str, _Check], changes: dict[str, Any]) -> None:
    for key, value in changes.items():
        if key not in fields:
            raise CommandError(f"{where}: there is no field {key!r}; the fields are "
                               f"{', '.join(fields)}")
        ok, expected = fields[key]
        if not ok(value):
            raise CommandError(f"{where}: {key} = {value!r} is not allowed; expected "
                               f"{expected}")


def _fields_of(obj: object, fields: dict[str, _Check]) -> dict[str, Any]:
    return {key: getattr(obj, key) for key in fields}


def _index(names: list[str], name: str, what: str) -> int:
    try:
        return names.index(name)
    except ValueError:
        known = ", ".join(repr(n) for n in names) or "none yet"
        called = "with ID" if what == "run" else "named"
        raise CommandError(f"there is no {what} {called} {name!r} (the {what}s are: "
                           f"{known})") from None


def _insert_at(items: list[Any], index: int | None, what: str) -> int:
    if index is None:
        return len(items)
    if not (isinstance(index, int) and 0 <= index <= len(items)):
        raise CommandError(f"{what} position {index!r} is outside 0–{len(items)}")
    return index


def _move_to(items: list[Any], index: object, what: str) -> int:
    if not (isinstance(index, int) and not isinstance(index, bool)
            and 0 <= index < len(items)):
        raise CommandError(f"cannot move the {what} to position {index!r}; positions are "
                           f"0–{len(items) - 1}")
    return index


def _unique(name: str, taken: Iterable[str]) -> None:
    if name in taken:
        raise CommandError(f"the name {name!r} is already used; names must be unique")


# ------------------------------------------------------------------------ rule helpers
def _token(name: str) -> re.Pattern[str]:
    """`name` as a whole token of a rule: not part of a longer name or of a number."""
    return re.compile(rf"(?<![\w.]){re.escape(name)}(?!\w)")


def rules_using(study: Study, name: str) -> list[str]:
    """The constraint texts that mention variable `name`."""
    pattern = _token(name)
    return [text for text in study.constraints if pattern.search(text)]


def _parse_rule(study: Study, text: object) -> str:
    """Check that `text` is a rule over the study's numeric variables; return it stripped."""
    from nextbatch.core.constraints import parse_constraint

    if not isinstance(text, str) or not text.strip():
        raise CommandError(f"constraint = {text!r}: expected a rule such as "
                           "'stearic_acid - 2*koh >= 0'")
    try:
        parse_constraint(text, study.numeric_names())
    except ConstraintSyntaxError as exc:
        raise CommandError(f"constraint {text!r}: {exc}") from exc
    return text.strip()


def _renamed_keys(d: dict[str, Any], old: str, new: str) -> dict[str, Any]:
    return {new if k == old else k: v for k, v in d.items()}


def _check_run_keys(study: Study, attrs: tuple[str, ...], old: str, new: str) -> None:
    """Renaming must not merge with a key a run already holds (e.g. from a removed variable)."""
    for run in study.runs:
        for attr in attrs:
            keys = getattr(run, attr)
            if old in keys and new in keys:
                raise CommandError(f"run {run.id} already has {attr} for {new!r} (from an "
                                   f"earlier one); rename to another name or clear it first")


def _rename_in_runs(study: Study, changes: _Changes, attrs: tuple[str, ...], old: str,
                    new: str) -> None:
    for run in study.runs:
        for attr in attrs:
            d = getattr(run, attr)
            if old in d:
                changes.dict(d, _renamed_keys(d, old, new))


# ------------------------------------------------- variables, responses and mixtures
class _Named(RecordedCommand):
    """Shared by the commands on the three lists of named items of a study."""

    what: ClassVar[str]  # "variable"
    attr: ClassVar[str]  # "variables", the Study attribute holding the list
    fields: ClassVar[dict[str, _Check]]

    def items(self, study: Study) -> list[Any]:
        return getattr(study, self.attr)

    def position(self, study: Study, name: str) -> int:
        return _index([x.name for x in self.items(study)], name, self.what)

    def taken(self, study: Study) -> list[str]:
        """Names a new or renamed item may not use: variables and responses share theirs."""
        if self.attr == "mixtures":
            return [m.name for m in study.mixtures]
        return [x.name for x in (*study.variables, *study.responses)]


class _AddNamed(_Named):
    def __init__(self, item: Any, index: int | None = None) -> None:
        super().__init__()
        self.item = copy.deepcopy(item)
        self.index = index
        self.label = f"Add {self.what} '{item.name}'"

    def check(self, study: Study) -> None:
        _check_fields(f"{self.what} {self.item.name!r}", self.fields,
                      _fields_of(self.item, self.fields))
        _unique(self.item.name, self.taken(study))
        _insert_at(self.items(study), self.index, self.what)

    def change(self, study: Study, changes: _Changes) -> None:
        items = self.items(study)
        at = _insert_at(items, self.index, self.what)
        changes.list(items, [*items[:at], self.item, *items[at:]])


class _EditNamed(_Named):
    def __init__(self, name: str, changes: dict[str, Any]) -> None:
        super().__init__()
        self.name = name
        self.changes = copy.deepcopy(dict(changes))
        self.label = f"Edit {self.what} '{name}'"

    @property
    def new_name(self) -> str:
        return self.changes.get("name", self.name)

    def check(self, study: Study) -> None:
        self.position(study, self.name)
        _check_fields(f"{self.what} {self.name!r}", self.fields, self.changes)
        if self.new_name != self.name:
            _unique(self.new_name, self.taken(study))

    def change(self, study: Study, changes: _Changes) -> None:
        item = self.items(study)[self.position(study, self.name)]
        if self.new_name != self.name:
            self.rename(study, changes)
        for key, value in self.changes.items():
            changes.set(item, key, copy.deepcopy(value))

    def rename(self, study: Study, changes: _Changes) -> None:
        """Carry the new name to whatever refers to the item by name."""


class _RemoveNamed(_Named):
    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name
        self.label = f"Remove {self.what} '{name}'"

    def check(self, study: Study) -> None:
        self.position(study, self.name)

    def change(self, study: Study, changes: _Changes) -> None:
        items = self.items(study)
        changes.list(items, [x for x in items if x.name != self.name])


class _MoveNamed(_Named):
    def __init__(self, name: str, new_index: int) -> None:
        super().__init__()
        self.name = name
        self.new_index = new_index
        self.label = f"Move {self.what} '{name}'"

    def check(self, study: Study) -> None:
        self.position(study, self.name)
        _move_to(self.items(study), self.new_index, self.what)

    def change(self, study: Study, changes: _Changes) -> None:
        items = self.items(study)
        item = items[self.position(study, self.name)]
        rest = [x for x in items if x is not item]
        changes.list(items, [*rest[:self.new_index], item, *rest[self.new_index:]])


class _VariableList:
    what, attr, fields = "variable", "variables", VARIABLE_FIELDS


class _ResponseList:
    what, attr, fields = "response", "responses", RESPONSE_FIELDS


class _MixtureList:
    what, attr, fields = "mixture", "mixtures", MIXTURE_FIELDS


def _check_mixture_exists(study: Study, mixture: str | None, where: str) -> None:
    if mixture is not None:
        try:
            _index([m.name for m in study.mixtures], mixture, "mixture")
        except CommandError as exc:
            raise CommandError(f"{where}: {exc}") from None


class AddVariable(_VariableList, _AddNamed):
    """Add a variable at `index` (default: at the end)."""

    def __init__(self, variable: Variable, index: int | None = None) -> None:
        super().__init__(variable, index)

    def check(self, study: Study) -> None:
        super().check(study)
        _check_mixture_exists(study, self.item.mixture, f"variable {self.item.name!r}")


class EditVariable(_VariableList, _EditNamed):
    """Change fields of a variable; a new name is carried into rules and runs' settings."""

    def check(self, study: Study) -> None:
        super().check(study)
        if self.new_name != self.name:
            _check_run_keys(study, ("settings", "actual"), self.name, self.new_name)
        _check_mixture_exists(study, self.changes.get("mixture"), f"variable {self.name!r}")
        kind = self.changes.get("kind", study.variable(self.name).kind)
        used = rules_using(study, self.name)
        if kind not in NUMERIC_KINDS and used:
            raise CommandError(f"variable {self.name!r} cannot become {kind}: the rule "
                               f"{used[0]!r} uses it and rules need numbers")

    def rename(self, study: Study, changes: _Changes) -> None:
        pattern = _token(self.name)
        changes.list(study.constraints,
                     [pattern.sub(self.new_name, text) for text in study.constraints])
        _rename_in_runs(study, changes, ("settings", "actual"), self.name, self.new_name)


class RemoveVariable(_VariableList, _RemoveNamed):
    """Remove a variable; refused while a rule uses it. Runs keep their settings for it."""

    def check(self, study: Study) -> None:
        super().check(study)
        used = rules_using(study, self.name)
        if used:
            raise CommandError(f"variable {self.name!r} is used by the rule {used[0]!r}; "
                               "edit or remove that rule first")


class MoveVariable(_VariableList, _MoveNamed):
    """Move a variable to `new_index` (the order of columns and tables)."""


class AddResponse(_ResponseList, _AddNamed):
    """Add a response at `index` (default: at the end)."""

    def __init__(self, response: Response, index: int | None = None) -> None:
        super().__init__(response, index)


class EditResponse(_ResponseList, _EditNamed):
    """Change fields of a response; a new name is carried into runs' results and predictions."""

    def check(self, study: Study) -> None:
        super().check(study)
        if self.new_name != self.name:
            _check_run_keys(study, ("results", "predicted"), self.name, self.new_name)

    def rename(self, study: Study, changes: _Changes) -> None:
        _rename_in_runs(study, changes, ("results", "predicted"), self.name, self.new_name)


class RemoveResponse(_ResponseList, _RemoveNamed):
    """Remove a response; runs keep the results measured for it."""


class MoveResponse(_ResponseList, _MoveNamed):
    """Move a response to `new_index`."""


class AddMixture(_MixtureList, _AddNamed):
    """Add a mixture; variables join it by naming it in their `mixture` field."""

    def __init__(self, mixture: Mixture, index: int | None = None) -> None:
        super().__init__(mixture, index)


class EditMixture(_MixtureList, _EditNamed):
    """Change fields of a mixture; a new name is carried into its components."""

    def rename(self, study: Study, changes: _Changes) -> None:
        for variable in study.components(self.name):
            changes.set(variable, "mixture", self.new_name)


class RemoveMixture(_MixtureList, _RemoveNamed):
    """Remove a mixture; its components stay as free variables (undo joins them again)."""

    def change(self, study: Study, changes: _Changes) -> None:
        for variable in study.components(self.name):
            changes.set(variable, "mixture", None)
        super().change(study, changes)


class MoveMixture(_MixtureList, _MoveNamed):
    """Move a mixture to `new_index`."""


# ------------------------------------------------------------------------- constraints
class AddConstraint(RecordedCommand):
    """Add a rule such as `stearic_acid - 2*koh >= 0`; refused unless it parses."""

    def __init__(self, text: str, index: int | None = None) -> None:
        super().__init__()
        self.text = text
        self.index = index
        self.label = f"Add rule '{text}'"

    def check(self, study: Study) -> None:
        _parse_rule(study, self.text)
        _insert_at(study.constraints, self.index, "rule")

    def change(self, study: Study, changes: _Changes) -> None:
        at = _insert_at(study.constraints, self.index, "rule")
        text = _parse_rule(study, self.text)
        changes.list(study.constraints, [*study.constraints[:at], text,
                                         *study.constraints[at:]])


def _rule_index(study: Study, index: object) -> int:
    if not (isinstance(index, int) and not isinstance(index, bool)
            and 0 <= index < len(study.constraints)):
        count = len(study.constraints)
        raise CommandError(f"there is no rule number {index!r} (the study has {count} "
                           f"rule{'' if count == 1 else 's'}, numbered from 0)")
    return index


class EditConstraint(RecordedCommand):
    """Replace the text of rule number `index`; refused unless the new text parses."""

    def __init__(self, index: int, text: str) -> None:
        super().__init__()
        self.index = index
        self.text = text
        self.label = f"Edit rule '{text}'"

    def check(self, study: Study) -> None:
        _rule_index(study, self.index)
        _parse_rule(study, self.text)

    def change(self, study: Study, changes: _Changes) -> None:
        rules = list(study.constraints)
        rules[self.index] = _parse_rule(study, self.text)
        changes.list(study.constraints, rules)


class RemoveConstraint(RecordedCommand):
    """Remove rule number `index`."""

    def __init__(self, index: int) -> None:
        super().__init__()
        self.index = index
        self.label = f"Remove rule {index + 1}" if isinstance(index, int) else "Remove rule"

    def check(self, study: Study) -> None:
        _rule_index(study, self.index)

    def change(self, study: Study, changes: _Changes) -> None:
        changes.list(study.constraints, [t for i, t in enumerate(study.constraints)
                                         if i != self.index])


class MoveConstraint(RecordedCommand):
    """Move rule number `index` to `new_index`."""

    def __init__(self, index: int, new_index: int) -> None:
        super().__init__()
        self.index = index
        self.new_index = new_index
        self.label = "Move rule"

    def check(self, study: Study) -> None:
        _rule_index(study, self.index)
        _move_to(study.constraints, self.new_index, "rule")

    def change(self, study: Study, changes: _Changes) -> None:
        rules = list(study.constraints)
        rules.insert(self.new_index, rules.pop(self.index))
        changes.list(study.constraints, rules)


# -------------------------------------------------------------------------------- runs
class AddRuns(RecordedCommand):
    """Add runs (a suggested batch, imported rows); every ID must be new."""

    def __init__(self, runs: Iterable[Run]) -> None:
        super().__init__()
        self.runs = copy.deepcopy(list(runs))
        count = len(self.runs)
        self.label = f"Add {count} run{'' if count == 1 else 's'}"

    def check(self, study: Study) -> None:
        taken = {r.id for r in study.runs}
        for run in self.runs:
            _check_fields(f"run {run.id!r}", RUN_FIELDS, _fields_of(run, RUN_FIELDS))
            if run.id in taken:
                raise CommandError(f"run ID {run.id!r} is already used; every run needs its "
                                   "own ID")
            taken.add(run.id)

    def change(self, study: Study, changes: _Changes) -> None:
        changes.list(study.runs, [*study.runs, *self.runs])


class RemoveRuns(RecordedCommand):
    """Remove runs by ID (undo puts them back where they were)."""

    def __init__(self, ids: Iterable[str]) -> None:
        super().__init__()
        self.ids = list(ids)
        count = len(self.ids)
        self.label = f"Remove run {self.ids[0]}" if count == 1 else f"Remove {count} runs"

    def check(self, study: Study) -> None:
        known = [r.id for r in study.runs]
        for run_id in self.ids:
            _index(known, run_id, "run")

    def change(self, study: Study, changes: _Changes) -> None:
        gone = set(self.ids)
        changes.list(study.runs, [r for r in study.runs if r.id not in gone])


class _RunCommand(RecordedCommand):
    """A change to one run, found by ID when applied."""

    def __init__(self, run_id: str, label: str) -> None:
        super().__init__()
        self.run_id = run_id
        self.label = f"{label} of run {run_id}"

    def check(self, study: Study) -> None:
        _index([r.id for r in study.runs], self.run_id, "run")


class RecordResults(_RunCommand):
    """Enter measured results (merged into earlier ones) and mark the run `status`."""

    def __init__(self, run_id: str, results: dict[str, float], measured: str | None = None,
                 status: str = "done") -> None:
        super().__init__(run_id, "Record results")
        self.results = dict(results)
        self.measured = measured or now_iso()
        self.status = status

    def check(self, study: Study) -> None:
        super().check(study)
        where = f"run {self.run_id}"
        _check_fields(where, RUN_FIELDS, {"results": self.results, "status": self.status,
                                          "measured": self.measured})
        names = [r.name for r in study.responses]
        for name in self.results:
            _index(names, name, "response")

    def change(self, study: Study, changes: _Changes) -> None:
        run = study.run(self.run_id)
        changes.dict(run.results, {**run.results, **self.results})
        changes.set(run, "status", self.status)
        changes.set(run, "measured", self.measured)


class ClearResults(_RunCommand):
    """Forget some (`names`) or all results of a run; its status is left as it is."""

    def __init__(self, run_id: str, names: Iterable[str] | None = None) -> None:
        super().__init__(run_id, "Clear results")
        self.names = None if names is None else list(names)

    def check(self, study: Study) -> None:
        super().check(study)
        held = list(study.run(self.run_id).results)
        for name in self.names or ():
            if name not in held:
                raise CommandError(f"run {self.run_id} has no result for {name!r} (it has "
                                   f"results for: {', '.join(map(repr, held)) or 'none'})")

    def change(self, study: Study, changes: _Changes) -> None:
        run = study.run(self.run_id)
        keep = {} if self.names is None else {
            k: v for k, v in run.results.items() if k not in self.names}
        changes.dict(run.results, keep)


class _SetRunField(_RunCommand):
    field: ClassVar[str]
    words: ClassVar[str]

    def __init__(self, run_id: str, value: str) -> None:
        super().__init__(run_id, self.words)
        self.value = value

    def check(self, study: Study) -> None:
        super().check(study)
        _check_fields(f"run {self.run_id}", RUN_FIELDS, {self.field: self.value})

    def change(self, study: Study, changes: _Changes) -> None:
        changes.set(study.run(self.run_id), self.field, self.value)


class SetRunStatus(_SetRunField):
    """Mark a run planned, done, failed or skipped."""

    field, words = "status", "Set status"

    def __init__(self, run_id: str, status: str) -> None:
        super().__init__(run_id, status)


class SetRunNotes(_SetRunField):
    """Replace a run's notes."""

    field, words = "notes", "Edit notes"

    def __init__(self, run_id: str, notes: str) -> None:
        super().__init__(run_id, notes)


class SetActualSettings(_RunCommand):
    """Replace what really happened in a run (`{}` clears it: the plan was followed)."""

    def __init__(self, run_id: str, actual: dict[str, Any]) -> None:
        super().__init__(run_id, "Set actual settings")
        self.actual = dict(actual)

    def check(self, study: Study) -> None:
        super().check(study)
        where = f"run {self.run_id}"
        _check_fields(where, RUN_FIELDS, {"actual": self.actual})
        names = [v.name for v in study.variables]
        for name, value in self.actual.items():
            variable = study.variables[_index(names, name, "variable")]
            if variable.is_numeric != is_number(value):
                expected = "a number" if variable.is_numeric else "one of its levels"
                raise CommandError(f"{where}: actual {name} = {value!r}; expected {expected}")

    def change(self, study: Study, changes: _Changes) -> None:
        run = study.run(self.run_id)
        changes.dict(run.actual, self.actual)


# ------------------------------------------------------------------------------- study
class EditStudyInfo(RecordedCommand):
    """Rename the study or change its description."""

    def __init__(self, name: str | None = None, description: str | None = None) -> None:
        super().__init__()
        self.values = {k: v for k, v in (("name", name), ("description", description))
                       if v is not None}
        self.label = "Edit study name" if "name" in self.values else "Edit study description"

    def check(self, study: Study) -> None:
        _check_fields("study", {"name": _TEXT, "description": _TEXT}, self.values)

    def change(self, study: Study, changes: _Changes) -> None:
        for key, value in self.values.items():
            changes.set(study, key, value)


def _plain_json(value: object) -> bool:
    if value is None or isinstance(value, str | bool) or _finite(value):
        return True
    if isinstance(value, list):
        return all(_plain_json(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain_json(v) for k, v in value.items())
    return False


class SetStudySetting(RecordedCommand):
    """Set one study setting (e.g. `batch_size`); the value None removes the setting."""

    def __init__(self, key: str, value: Any) -> None:
        super().__init__()
        self.key = key
        self.value = copy.deepcopy(value)
        self.label = f"Set {key}"

    def check(self, study: Study) -> None:
        if not isinstance(self.key, str) or not self.key:
            raise CommandError(f"setting name {self.key!r}: expected a non-empty text")
        if self.key == "batch_size" and self.value is not None and not (
            isinstance(self.value, int) and not isinstance(self.value, bool) and self.value >= 1
        ):
            raise CommandError(f"batch_size = {self.value!r}: expected a whole number of "
                               "runs, at least 1")
        if not _plain_json(self.value):
            raise CommandError(f"setting {self.key} = {self.value!r}: expected text, a "
                               "finite number, true/false, or a list or mapping of those")

    def change(self, study: Study, changes: _Changes) -> None:
        new = dict(study.settings)
        if self.value is None:
            new.pop(self.key, None)
        else:
            new[self.key] = self.value
        changes.dict(study.settings, new)
