"""Results and historical data in: a preview of everything an import would change, then one command.

All or nothing. `preview_import` reads the table, matches its columns and checks every cell,
changing nothing; the preview lists the runs it would update and add, the conflicts and every
problem with its cell. Only `ImportPreview.as_command()` turns it into one undoable command,
and it refuses while there are errors (warnings need `accept_warnings=True`). Rows are matched
to runs by run ID, never by position, so sorting, hiding or adding rows in Excel is harmless.
"""

from __future__ import annotations

import copy
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nextbatch.core.errors import CommandError, NextBatchError
from nextbatch.core.runs import Run, Value, now_iso
from nextbatch.core.study import Study
from nextbatch.core.variables import Variable
from nextbatch.io.mapping import ColumnMatch, ColumnRole, match_columns
from nextbatch.io.runsheet import SHEET_FORMAT, SHEET_VERSION, TOTAL_LABEL, fingerprint, rounded
from nextbatch.io.tables import (
    BadCell,
    CellValue,
    ImportProblem,
    Table,
    TableRow,
    parse_number,
    read_table,
)

if TYPE_CHECKING:
    from nextbatch.core.commands import Command

_STATUS_WORDS = {"done": "done", "failed": "failed", "fail": "failed", "skipped": "skipped",
                 "skip": "skipped", "planned": "planned"}
_NOT_MEASURED = {"n/a", "na", "-", "–", "—", "nd", "n.d."}
HEADER_SEARCH = 6  # rows tried as the header when the first one names nothing of the study
_OUR_ID = re.compile(r"B\d+-\d+", re.IGNORECASE)


class ImportRefusedError(CommandError):
    """An import with errors (or unaccepted warnings) was asked to apply; nothing changed."""


@dataclass
class RunUpdate:
    """What the import changes on one existing run (only what differs from the study).

    `previous` is a copy of the run as it was previewed: actual settings are merged into it.
    """

    run_id: str
    row: int
    results: dict[str, float] = field(default_factory=dict)
    status: str | None = None
    actual: dict[str, Value] = field(default_factory=dict)
    notes: str | None = None
    previous: Run | None = field(default=None, repr=False)


@dataclass(frozen=True)
class Conflict:
    """A row whose planned setting differs from the study's run of that ID: not applied."""

    run_id: str
    row: int
    column: str
    header: str
    sheet_value: object
    study_value: object


@dataclass
class ImportPreview:
    """Everything an import would do, and everything wrong with it, before anything happens."""

    path: Path
    sheet: str
    runs_updated: list[RunUpdate] = field(default_factory=list)
    runs_added: list[Run] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    problems: list[ImportProblem] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)
    ambiguous: dict[str, list[str]] = field(default_factory=dict)
    from_run_sheet: bool = False
    measured: str = ""

    @property
    def errors(self) -> list[ImportProblem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[ImportProblem]:
        return [p for p in self.problems if p.severity != "error"]

    @property
    def is_clean(self) -> bool:
        """No error and no warning: the import can be applied as it is."""
        return not self.problems

    @property
    def is_empty(self) -> bool:
        """Nothing to change: no result, status, setting or note differs, no new row."""
        return not self.runs_updated and not self.runs_added

    @property
    def label(self) -> str:
        what = "results" if self.runs_updated else "runs"
        return f"Import {what} from {self.path.name}"

    def as_command(self, accept_warnings: bool = False) -> Command:
        """One undoable command applying the whole import; refuses with errors or warnings.

        Raises ImportRefusedError (a CommandError) when there are errors, when there are
        warnings not accepted, or when there is nothing to import.
        """
        if self.errors:
            raise ImportRefusedError(f"{self.path.name} has {_count(len(self.errors), 'error')}; "
                                     "nothing was imported. First: " + str(self.errors[0]))
        if self.warnings and not accept_warnings:
            raise ImportRefusedError(
                f"{self.path.name} has {_count(len(self.warnings), 'warning')}; nothing was "
                "imported (accept the warnings to import anyway). First: "
                + str(self.warnings[0]))
        if self.is_empty:
            raise ImportRefusedError(f"{self.path.name} holds nothing new to import")
        from nextbatch.core.commands import (
            AddRuns,
            CompositeCommand,
            RecordResults,
            SetActualSettings,
            SetRunNotes,
            SetRunStatus,
        )

        commands: list[Command] = []
        for u in self.runs_updated:
            before = u.previous or Run(u.run_id)
            if u.actual:
                commands.append(SetActualSettings(u.run_id, {**before.actual, **u.actual}))
            if u.results:
                commands.append(RecordResults(u.run_id, u.results, measured=self.measured,
                                              status=u.status or before.status))
            elif u.status:
                commands.append(SetRunStatus(u.run_id, u.status))
            if u.notes is not None:
                commands.append(SetRunNotes(u.run_id, u.notes))
        if self.runs_added:
            commands.append(AddRuns(copy.deepcopy(self.runs_added)))
        return CompositeCommand(self.label, commands)

    def report_lines(self) -> list[str]:
        """The preview in plain lines, as the command line prints it."""
        lines = [f"{self.path.name} ({self.sheet}): {_count(len(self.runs_updated), 'run')} "
                 f"updated, {_count(len(self.runs_added), 'run')} added, "
                 f"{_count(len(self.conflicts), 'conflict')}, "
                 f"{_count(len(self.errors), 'error')}, {_count(len(self.warnings), 'warning')}"]
        for u in self.runs_updated:
            lines.append(f"  {u.run_id}  {_describe(u.status, u.results, u.actual, u.notes)}")
        for r in self.runs_added:
            lines.append(f"  + {r.id} (batch {r.batch}, new)  "
                         f"{_describe(r.status, r.results, r.actual, r.notes or None)}")
        lines.extend(f"  {p}" for p in self.problems)
        if self.unmatched:
            lines.append("  columns not imported: " + ", ".join(self.unmatched))
        return lines


def preview_import(study: Study, path: str | Path, mapping: dict[str, str] | None = None
                   ) -> ImportPreview:
    """Read `path` and work out what importing it into `study` would do; changes nothing.

    The header is the first non-empty row, or, when that names nothing of the study (a title
    such as "Lab book 2025"), the first of the next few rows that does.
    Raises TableError (a NextBatchError) when the file cannot be read as a table at all;
    everything else is reported in the preview's problems.
    """
    table = read_table(path)
    match = match_columns(study, table.header, table.sheet, mapping, table.header_row)
    for index in range(1, min(HEADER_SEARCH, len(table.grid))):
        if match.roles:
            break
        below = table.reheaded(index)  # a title line above the real header
        candidate = match_columns(study, below.header, below.sheet, mapping, below.header_row)
        if candidate.roles:
            table, match = below, candidate
    return _Preparer(study, table, match).run()


# ------------------------------------------------------------------------------ the work
class _Preparer:
    """Walks the rows of one table once, filling one preview."""

    def __init__(self, study: Study, table: Table, match: ColumnMatch) -> None:
        self.study = study
        self.table = table
        self.match = match
        meta = table.meta or {}
        self.preview = ImportPreview(
            Path(table.path), table.sheet, unmatched=list(match.unmatched),
            ambiguous=dict(match.ambiguous), from_run_sheet=meta.get("format") == SHEET_FORMAT,
            measured=now_iso(), problems=[*table.problems, *match.problems])
        self.runs = {r.id.casefold(): r for r in study.runs}
        self.seen: dict[str, int] = {}
        self.new_rows: list[tuple[TableRow, str | None, Run]] = []

    def problem(self, row: int, role: ColumnRole | None, value: object, expected: str,
                severity: str = "error") -> None:
        self.preview.problems.append(ImportProblem(
            self.table.sheet, row, role.letter if role else "", role.header if role else "",
            value, expected, severity))

    def run(self) -> ImportPreview:
        if not self.check_identity():
            self.preview.unmatched.clear()  # another study's columns: nothing to list
            return self.preview
        id_role = self.match.first("id")
        for row in self.table.rows:
            run_id = self.text(row, id_role)
            if run_id is not None and run_id.casefold() == TOTAL_LABEL.casefold():
                continue
            existing = self.runs.get(run_id.casefold()) if run_id else None
            if run_id and self.duplicate(row, id_role, run_id):
                continue
            if existing is not None:
                self.update(row, existing)
            elif run_id and (self.preview.from_run_sheet or _OUR_ID.fullmatch(run_id)):
                self.problem(row.number, id_role, run_id, "the ID of a run of this study; "
                             "no run has this ID (a typo? clear the cell to add the row as a "
                             "new run)")
            else:
                self.add(row, run_id)
        self.finish_new_runs()
        return self.preview

    # ----------------------------------------------------------------- identity
    def check_identity(self) -> bool:
        """Whether the rows may be read: False for a run sheet of another study."""
        meta = self.table.meta or {}
        if meta.get("format") != SHEET_FORMAT:
            return True
        version = meta.get("version")
        if isinstance(version, int | float) and version > SHEET_VERSION:
            self.problem(0, None, version, f"a run sheet of version {SHEET_VERSION} or older; "
                         "it was written by a newer NextBatch: update NextBatch")
        if meta.get("identity") == fingerprint(self.study):
            return True
        defs = meta.get("definitions") if isinstance(meta.get("definitions"), dict) else {}
        names = {(kind, d.get("name")) for kind in ("variables", "responses")
                 for d in defs.get(kind, []) if isinstance(d, dict)}
        ours = {("variables", v.name) for v in self.study.variables} | {
            ("responses", r.name) for r in self.study.responses}
        sheet_study = str(meta.get("study") or "")
        if names != ours and sheet_study != self.study.name:
            self.problem(0, None, sheet_study,
                         f"a run sheet of the study {self.study.name!r}; this sheet belongs to "
                         f"the study {sheet_study!r} (other variables and responses): import "
                         "it into that study")
            return False
        if names != ours:
            gone = ", ".join(sorted(n for _, n in names - ours)) or "none"
            new = ", ".join(sorted(n for _, n in ours - names)) or "none"
            self.problem(0, None, sheet_study, "the variables and responses of the study when "
                         f"the sheet was exported; since then removed: {gone}, added: {new}",
                         "warning")
        elif sheet_study != self.study.name:
            self.problem(0, None, sheet_study, f"a sheet of {self.study.name!r}; it was "
                         "exported from a study of that other name with the same variables",
                         "warning")
        else:
            self.problem(0, None, None, "the definitions of the sheet's study; bounds, levels or "
                         "goals changed since it was exported (settings are checked against "
                         "today's study)", "warning")
        return True

    # --------------------------------------------------------------------- rows
    def duplicate(self, row: TableRow, role: ColumnRole | None, run_id: str) -> bool:
        first = self.seen.setdefault(run_id.casefold(), row.number)
        if first != row.number:
            self.problem(row.number, role, run_id, f"each run ID once; row {first} has it too")
            return True
        return False

    def update(self, row: TableRow, run: Run) -> None:
        conflicts = self.conflicts(row, run)
        if conflicts:
            self.preview.conflicts.extend(conflicts)
            for c in conflicts:
                self.problem(row.number, self.role_at(c.column), c.sheet_value,
                             f"the planned {c.header} of run {run.id} ({_plain(c.study_value)}); "
                             "the row is not imported: do not edit planned settings, record what "
                             "was really used in an 'Actual …' column", "warning")
            return
        results, status, actual, notes = self.run_fields(row)
        update = RunUpdate(run.id, row.number, previous=copy.deepcopy(run))
        for name, value in results.items():
            old = run.results.get(name)
            if old is None or not math.isclose(old, value, rel_tol=1e-12):  # Excel keeps 15 digits
                update.results[name] = value
                if old is not None:
                    self.problem(row.number, self.role_of("response", name), value,
                                 f"no change to the result of run {run.id}, which already "
                                 f"holds {_plain(old)}; the sheet's value replaces it", "warning")
        new_status = self.final_status(row, status, bool(results) or run.has_results())
        if new_status and new_status != run.status:
            update.status = new_status
        update.actual = {k: v for k, v in actual.items() if run.actual.get(k) != v}
        if notes is not None and notes != run.notes:
            update.notes = notes
        if update.results or update.status or update.actual or update.notes is not None:
            self.preview.runs_updated.append(update)

    def add(self, row: TableRow, run_id: str | None) -> None:
        settings: dict[str, Value] = {}
        for v in self.study.variables:
            role = self.role_of("variable", v.name)
            value = self.setting(row, role, v, check=False) if role else None
            if value is not None:
                settings[v.name] = value
        results, status, actual, notes = self.run_fields(row)
        if not settings and not results:
            if status or notes:
                self.problem(row.number, None, None, "a run ID, or the settings of a new run; "
                             "the row is not imported", "warning")
            return
        for v in self.study.variables:
            if v.name in settings:
                continue
            if v.fixed is not None:
                settings[v.name] = v.fixed
            elif self.role_of("variable", v.name):
                self.problem(row.number, self.role_of("variable", v.name), None,
                             f"a value for {v.title}: a row without a run ID is a new run and "
                             "needs every setting")
        if len(settings) == len(self.study.variables):
            self.check_recipe(row, settings)
        final = self.final_status(row, status, bool(results)) or (
            "done" if results else "planned")
        run = Run("", status=final, source="imported", settings=settings, actual=actual,
                  results=results, notes=notes or "", created=self.preview.measured,
                  measured=self.preview.measured if results else None)
        self.new_rows.append((row, run_id, run))

    def check_recipe(self, row: TableRow, settings: dict[str, Value]) -> None:
        """Bounds, steps, mixture totals and rules a new row's recipe breaks.

        Warnings, not errors: the lab did run that recipe. A rule that does not parse is left
        to the study's own check.
        """
        try:
            violations = self.study.check_recipe(settings)
        except NextBatchError:
            return
        for v in violations:
            role = self.role_of("variable", v.subject)
            self.problem(row.number, role, settings.get(v.subject) if role else None,
                         f"a recipe the study allows: {v.message}", "warning")

    def finish_new_runs(self) -> None:
        """Batch numbers and IDs for the new rows, and the columns they cannot do without."""
        if not self.new_rows:
            return
        for v in self.study.variables:
            if v.fixed is None and not self.role_of("variable", v.name):
                self.problem(0, None, None, f"a column for {v.header}: rows without a run ID "
                             "are new runs and need every setting")
        batch_role = self.match.first("batch")
        default_batch = self.study.next_batch_number()
        by_batch: dict[int, list[Run]] = {}
        for row, rid, run in self.new_rows:
            run.batch = self.batch(row, batch_role, default_batch)
            if rid:
                run.id = rid
            else:
                by_batch.setdefault(run.batch, []).append(run)
        for batch, runs in by_batch.items():  # kept IDs never look like ours: no clash
            for run, new_id in zip(runs, self.study.new_run_ids(batch, len(runs)), strict=True):
                run.id = new_id
        self.preview.runs_added = [run for _, _, run in self.new_rows]

    # ------------------------------------------------------------------- fields
    def run_fields(self, row: TableRow) -> tuple[dict[str, float], str | None,
                                                 dict[str, Value], str | None]:
        results: dict[str, float] = {}
        for role in self.match.of_kind("response"):
            value = self.number(row, role, f"a number ({self.unit_of(role)}), or an empty "
                                "cell if it was not measured")
            if value is not None:
                results[role.name] = value
        actual: dict[str, Value] = {}
        for role in self.match.of_kind("actual"):
            variable = self.study.variable(role.name)
            value = self.setting(row, role, variable, severity="warning")
            if value is not None:
                actual[role.name] = value
        status = self.status(row)
        notes = self.text(row, self.match.first("notes"))
        return results, status, actual, notes

    def status(self, row: TableRow) -> str | None:
        role = self.match.first("status")
        text = self.text(row, role)
        if text is None:
            return None
        word = _STATUS_WORDS.get(text.casefold())
        if word is None:
            self.problem(row.number, role, text, "done, failed, skipped or planned (or empty)")
        return word

    def final_status(self, row: TableRow, status: str | None, has_results: bool) -> str | None:
        """`failed`/`skipped` as written; results make a run done; `planned` never undoes."""
        if status in ("failed", "skipped"):
            return status
        if status == "done" and not has_results:
            self.problem(row.number, self.match.first("status"), status,
                         "results with a run marked done; none were typed", "warning")
        if status == "done" or has_results:
            return "done"
        return None

    def conflicts(self, row: TableRow, run: Run) -> list[Conflict]:
        found = []
        for role in self.match.of_kind("variable"):
            variable = self.study.variable(role.name)
            value = self.setting(row, role, variable, check=False)
            if value is None:
                continue
            planned = run.settings.get(role.name)
            if not _same(variable, value, planned):
                found.append(Conflict(run.id, row.number, role.letter, role.header, value,
                                      planned))
        return found

    def setting(self, row: TableRow, role: ColumnRole | None, variable: Variable,
                check: bool = True, severity: str = "warning") -> Value | None:
        if role is None:
            return None
        if variable.kind == "categorical":
            text = self.text(row, role)
            if text is None:
                return None
            level = next((lv for lv in variable.levels
                          if " ".join(lv.split()).casefold() == " ".join(text.split()).casefold()),
                         None)
            if level is None:
                self.problem(row.number, role, text,
                             "one of the levels " + ", ".join(map(repr, variable.levels)))
            return level
        value = self.number(row, role, f"a number ({self.unit_of(role)})")
        if value is None:
            return None
        why = variable.why_not(value) if check else None
        if why:
            self.problem(row.number, role, value, f"a value the study allows for "
                         f"{variable.title}: {why}", severity)
        return int(value) if variable.kind == "integer" and value.is_integer() else value

    def batch(self, row: TableRow, role: ColumnRole | None, default: int) -> int:
        value = self.number(row, role, "a whole batch number") if role else None
        if value is None:
            return default
        if not value.is_integer() or value < 1:
            self.problem(row.number, role, value, "a whole batch number of 1 or more")
            return default
        return int(value)

    # -------------------------------------------------------------------- cells
    def cell(self, row: TableRow, role: ColumnRole | None) -> CellValue:
        if role is None:
            return None
        value = row.get(role.index)
        if isinstance(value, BadCell):
            self.problem(row.number, role, value, "a value; type the value itself "
                         "(or open and save the file in Excel so formulas are calculated)")
            return None
        return value

    def text(self, row: TableRow, role: ColumnRole | None) -> str | None:
        value = self.cell(row, role)
        if value is None:
            return None
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return " ".join(str(value).split()) or None

    def number(self, row: TableRow, role: ColumnRole, expected: str) -> float | None:
        value = self.cell(row, role)
        if value is None:
            return None
        if isinstance(value, str):
            if value.casefold() in _NOT_MEASURED:
                return None
            parsed = parse_number(value, self.table.decimal_mark)
        else:
            parsed = float(value) if isinstance(value, int | float) else None
        if parsed is None or not math.isfinite(parsed):
            self.problem(row.number, role, value, expected)
            return None
        return parsed

    def role_of(self, kind: str, name: str) -> ColumnRole | None:
        return next((r for r in self.match.of_kind(kind) if r.name == name), None)

    def role_at(self, letter: str) -> ColumnRole | None:
        return next((r for r in self.match.roles if r.letter == letter), None)

    def unit_of(self, role: ColumnRole) -> str:
        thing: Any = (self.study.response(role.name) if role.kind == "response"
                      else self.study.variable(role.name))
        return f"in {thing.unit}" if thing.unit else "no unit"


def _same(variable: Variable, sheet: Value, planned: Value | None) -> bool:
    if variable.kind == "categorical" or isinstance(sheet, str) or isinstance(planned, str):
        return str(sheet).casefold() == str(planned).casefold()
    if planned is None:
        return False
    a, b = rounded(variable, sheet), rounded(variable, planned)
    return abs(float(a) - float(b)) <= 1e-9 * max(1.0, abs(float(b)))  # type: ignore[arg-type]


def _describe(status: str | None, results: dict[str, float], actual: dict[str, Value],
              notes: str | None) -> str:
    parts = [status or "status unchanged"]
    parts += [f"{k} {_plain(v)}" for k, v in results.items()]
    parts += [f"actual {k} {_plain(v)}" for k, v in actual.items()]
    if notes:
        parts.append(f"notes {notes!r}")
    return ", ".join(parts)


def _plain(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "none" if value is None else str(value)


def _count(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")
