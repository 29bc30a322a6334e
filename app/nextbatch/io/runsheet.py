"""Run sheets out: the workbook (or CSV) a lab prints, fills in at the bench and imports again.

The Runs sheet is one row per run: ID, batch, run order, source, the recipe (rounded to each
variable's resolution or step, never 15-digit noise), weigh-out amounts for the mixture's batch,
shaded empty cells for the results, status and notes. The About sheet says how to fill it in;
the hidden Meta sheet says which study it belongs to, so an import can refuse another study's
sheet by name. Text is always written as text: a note starting with `=` never becomes a formula.
"""

from __future__ import annotations

import csv
import hashlib
import importlib
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nextbatch.core.errors import NextBatchError
from nextbatch.core.fields import is_number
from nextbatch.core.responses import Response
from nextbatch.core.runs import Run, now_iso
from nextbatch.core.study import Study
from nextbatch.core.variables import Variable
from nextbatch.io.weighout import WeighOutColumn, batch_total, weigh_out, weigh_out_columns

SHEET_FORMAT = "nextbatch-run-sheet"
SHEET_VERSION = 1
ID_HEADER = "Run ID"
BATCH_HEADER = "Batch"
ORDER_HEADER = "Run order"
SOURCE_HEADER = "Source"
STATUS_HEADER = "Status"
NOTES_HEADER = "Notes"
TOTAL_LABEL = "Total"
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_CHUNK = 30_000  # an Excel cell holds at most 32 767 characters


class ExportError(NextBatchError):
    """A run sheet cannot be written (no runs, an unknown format, a file that cannot be written)."""


@dataclass(frozen=True)
class Column:
    """One column of the Runs table: its header, what it holds and, for data, which field."""

    header: str
    kind: str  # id, batch, order, source, variable, weighout, response, status, notes
    target: Variable | Response | WeighOutColumn | None = None


# ------------------------------------------------------------------------------- the table
def sheet_columns(study: Study) -> list[Column]:
    """The Runs columns in order; the import recognises the same headers."""
    return [
        Column(ID_HEADER, "id"), Column(BATCH_HEADER, "batch"), Column(ORDER_HEADER, "order"),
        Column(SOURCE_HEADER, "source"),
        *(Column(v.header, "variable", v) for v in study.variables),
        *(Column(w.header, "weighout", w) for w in weigh_out_columns(study)),
        *(Column(r.header, "response", r) for r in study.responses),
        Column(STATUS_HEADER, "status"), Column(NOTES_HEADER, "notes"),
    ]


def rounded(variable: Variable, value: object) -> object:
    """`value` as the sheet shows it: on the variable's step or resolution, free of float noise."""
    if not is_number(value) or not math.isfinite(value):  # type: ignore[arg-type]
        return value
    x = float(value)  # type: ignore[arg-type]
    if variable.kind == "integer" and variable.low is not None:
        step = variable.integer_step
        x = variable.low + round((x - variable.low) / step) * step
        return _tidy(x, _decimals_of(step))
    if variable.kind == "discrete" and variable.values:
        return min(variable.values, key=lambda v: abs(v - x))
    if variable.kind == "continuous" and variable.resolution:
        x = round(x / variable.resolution) * variable.resolution
        return _tidy(x, _decimals_of(variable.resolution))
    bounds = variable.bounds()
    span = (bounds[1] - bounds[0]) if bounds and bounds[1] > bounds[0] else max(abs(x), 1.0)
    return _tidy(x, min(10, max(0, 4 - math.floor(math.log10(span)))))


def table_rows(study: Study, runs: Sequence[Run]) -> list[list[object]]:
    """The Runs table body, one row of cell values per run, in the order of `runs`."""
    columns = sheet_columns(study)
    mixtures = {w.mixture.name: w.mixture for w in weigh_out_columns(study)}
    rows = []
    for order, run in enumerate(runs, 1):
        amounts = {name: weigh_out(study, m, run.settings) for name, m in mixtures.items()}
        row: list[object] = []
        for col in columns:
            row.append(_cell(col, run, order, amounts))
        rows.append(row)
    return rows


def _cell(col: Column, run: Run, order: int, amounts: dict[str, dict[str, float | None]]
          ) -> object:
    if col.kind == "id":
        return run.id
    if col.kind == "batch":
        return run.batch
    if col.kind == "order":
        return order
    if col.kind == "source":
        return run.source
    if col.kind == "status":
        return run.status
    if col.kind == "notes":
        return run.notes or None
    if isinstance(col.target, Variable):
        return rounded(col.target, run.settings.get(col.target.name))
    if isinstance(col.target, WeighOutColumn):
        return amounts[col.target.mixture.name].get(col.target.component.name)
    if isinstance(col.target, Response):
        return run.results.get(col.target.name)
    return None


def default_runs(study: Study) -> list[Run]:
    """What a run sheet shows by default: the planned runs, else the last batch."""
    planned = [r for r in study.runs if r.is_pending]
    if planned:
        return planned
    last = max((r.batch for r in study.runs), default=None)
    return [r for r in study.runs if r.batch == last]


# ---------------------------------------------------------------------------- identity
def definitions(study: Study) -> dict[str, Any]:
    """What makes a sheet belong to a study: its variable and response definitions."""
    return {"variables": [v.to_dict() for v in study.variables],
            "responses": [r.to_dict() for r in study.responses]}


def fingerprint(study: Study) -> str:
    """A short stable hash of `definitions(study)`; equal for the same study, whatever its runs."""
    text = json.dumps(definitions(study), sort_keys=True, ensure_ascii=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


# ---------------------------------------------------------------------------------- export
def export_run_sheet(study: Study, path: str | Path, runs: list[Run] | None = None,
                     seed: int | None = None) -> Path:
    """Write the run sheet of `runs` (default: planned, else last batch) as .xlsx or .csv."""
    path = Path(path)
    chosen = default_runs(study) if runs is None else list(runs)
    if not chosen:
        raise ExportError(f"the study {study.name!r} has no runs to export; suggest a batch "
                          "or add runs first")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return write_runs_csv(study, path, chosen)
    if suffix != ".xlsx":
        raise ExportError(f"{path.name}: cannot write {suffix or 'a file without extension'}; "
                          "expected a name ending in .xlsx or .csv")
    workbook = _workbook(study, chosen, seed)
    try:
        workbook.save(path)
    except OSError as exc:
        raise ExportError(f"cannot write {path}: {exc.strerror or exc}") from exc
    return path


def write_runs_csv(study: Study, path: str | Path, runs: list[Run] | None = None) -> Path:
    """The Runs table as CSV: UTF-8 with a BOM, comma-separated, decimal point, header row.

    The BOM makes Excel read `°C` and `µm` correctly on double-click; text that a spreadsheet
    would run as a formula gets a leading apostrophe (which the import removes again). There
    is no total row: tools that read CSV want one row per run.
    """
    path = Path(path)
    chosen = default_runs(study) if runs is None else list(runs)
    try:
        with path.open("w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow([guard_text(c.header) for c in sheet_columns(study)])
            for row in table_rows(study, chosen):
                writer.writerow([_csv_cell(v) for v in row])
    except OSError as exc:
        raise ExportError(f"cannot write {path}: {exc.strerror or exc}") from exc
    return path


def guard_text(text: str) -> str:
    """Text a spreadsheet would evaluate (`=`, `+`, `-`, `@` first) with an apostrophe before it."""
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _csv_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return guard_text(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def weigh_out_totals(study: Study, runs: Sequence[Run]) -> dict[str, float]:
    """Total of each weigh-out column over `runs`, by column header: what to have on the bench."""
    totals = {}
    for column in weigh_out_columns(study):
        amounts = [weigh_out(study, column.mixture, r.settings).get(column.component.name)
                   for r in runs]
        totals[column.header] = batch_total(amounts, column.mixture)
    return totals


def _decimals_of(step: float) -> int:
    text = f"{step:.10f}".rstrip("0")
    return len(text.split(".")[1]) if "." in text else 0


def _tidy(x: float, decimals: int) -> float | int:
    r = round(x, decimals)
    return int(r) if float(r).is_integer() and decimals == 0 else r


# ------------------------------------------------------------------------------ workbook
STATUS_WORDS = ("done", "failed", "skipped", "planned")
_HEADER_FILL = "D9E1F2"
_INPUT_FILL = "FFF2CC"
_INSTRUCTIONS = (
    "Run each recipe of the Runs sheet; the weigh-out columns give the amounts for the "
    "batch size in their header.",
    "Type each result in the shaded cell of its row, as a plain number in the unit of the "
    "column header. Leave a result empty if it was not measured: partial results are kept.",
    "If a run failed, write failed in Status (skipped if it was not run). A row with "
    "results is imported as done.",
    "Do not change the planned settings. If a setting really differed, add a column headed "
    "Actual and the variable's header (e.g. 'Actual Stearic acid [%]') with what you used.",
    "Rows may be sorted, hidden or annotated in Notes; keep each Run ID as it is. A new row "
    "without a Run ID is imported as an extra run.",
    "Save the workbook as .xlsx and import it: nextbatch import STUDY.nbx THIS.xlsx "
    "(or Import results in the app).",
)


def _workbook(study: Study, runs: list[Run], seed: int | None) -> Any:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Runs"
    about = workbook.create_sheet("About")
    meta = workbook.create_sheet("Meta")
    meta.sheet_state = "hidden"
    level_ranges = _write_meta(meta, study, runs, seed)
    _write_runs(sheet, study, runs, level_ranges)
    _write_about(about, study, runs, seed)
    return workbook


def _put(ws: Any, row: int, column: int, value: object) -> Any:
    """Write one cell; text stays text even when it starts with `=` (no formula, ever)."""
    cell = ws.cell(row=row, column=column)
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"
    return cell


def _write_runs(ws: Any, study: Study, runs: list[Run], level_ranges: dict[str, str]) -> None:
    from openpyxl.styles import Font, PatternFill

    columns = sheet_columns(study)
    header_fill = PatternFill("solid", fgColor=_HEADER_FILL)
    input_fill = PatternFill("solid", fgColor=_INPUT_FILL)
    for j, col in enumerate(columns, 1):
        cell = _put(ws, 1, j, col.header)
        cell.font = Font(bold=True)
        cell.fill = input_fill if col.kind == "response" else header_fill
    body = table_rows(study, runs)
    for i, row in enumerate(body, 2):
        for j, (col, value) in enumerate(zip(columns, row, strict=True), 1):
            cell = _put(ws, i, j, value)
            if col.kind == "response":
                cell.fill = input_fill
    totals = weigh_out_totals(study, runs)
    if totals:
        total_row = len(body) + 2
        _put(ws, total_row, 1, TOTAL_LABEL).font = Font(bold=True)
        for j, col in enumerate(columns, 1):
            if col.kind == "weighout":
                _put(ws, total_row, j, totals[col.header]).font = Font(bold=True)
    _validate(ws, columns, len(body), level_ranges)
    ws.freeze_panes = "B2"
    _fit_widths(ws, columns, body)
    ws.print_title_rows = "1:1"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def _validate(ws: Any, columns: list[Column], count: int, level_ranges: dict[str, str]) -> None:
    """Drop-downs for status and levels; a lenient check that results are plausible numbers."""
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    if count == 0:
        return
    for j, col in enumerate(columns, 1):
        letter = get_column_letter(j)
        rule = None
        if col.kind == "status":
            rule = DataValidation(type="list", formula1='"' + ",".join(STATUS_WORDS) + '"',
                                  allow_blank=True, errorTitle="Status",
                                  error="Write done, failed, skipped or planned.")
        elif isinstance(col.target, Variable) and col.target.name in level_ranges:
            rule = DataValidation(type="list", formula1=level_ranges[col.target.name],
                                  allow_blank=True, errorTitle=col.header,
                                  error="Choose one of the levels of the list.")
        elif isinstance(col.target, Response):
            rule = _result_rule(col.target)
        if rule is not None:
            rule.showErrorMessage = True
            rule.add(f"{letter}2:{letter}{count + 1}")
            ws.add_data_validation(rule)


def _result_rule(response: Response) -> Any:
    """Warning-style range check: out-of-limit results are real data, typos are not."""
    from openpyxl.worksheet.datavalidation import DataValidation

    lo, hi = response.low, response.high
    if lo is None and hi is None:
        return None
    span = (hi - lo) if lo is not None and hi is not None and hi > lo else abs(lo or hi or 1)
    unit = f" {response.unit}" if response.unit else ""
    if lo is not None and hi is not None:
        rule = DataValidation(type="decimal", operator="between", formula1=_num(lo - span),
                              formula2=_num(hi + span))
        expected = f"between {_num(lo)} and {_num(hi)}{unit}"
    elif lo is not None:
        rule = DataValidation(type="decimal", operator="greaterThanOrEqual",
                              formula1=_num(lo - span))
        expected = f"at least {_num(lo)}{unit}"
    else:
        rule = DataValidation(type="decimal", operator="lessThanOrEqual",
                              formula1=_num(hi + span))  # type: ignore[operator]
        expected = f"at most {_num(hi)}{unit}"  # type: ignore[arg-type]
    rule.allow_blank = True
    rule.errorStyle = "warning"
    rule.errorTitle = response.title
    rule.error = (f"{response.title} is expected {expected}. Keep the value if it is what "
                  "you measured.")
    return rule


def _fit_widths(ws: Any, columns: list[Column], body: list[list[object]]) -> None:
    from openpyxl.utils import get_column_letter

    for j, col in enumerate(columns, 1):
        longest = max([len(col.header)] + [len(str(row[j - 1])) for row in body
                                           if row[j - 1] is not None])
        ws.column_dimensions[get_column_letter(j)].width = min(40, max(8, longest + 2))


def _write_meta(ws: Any, study: Study, runs: list[Run], seed: int | None) -> dict[str, str]:
    """Key/value rows that identify the study; level lists for the drop-downs below them."""
    text = json.dumps(definitions(study), ensure_ascii=False, sort_keys=True)
    rows: list[tuple[str, list[object]]] = [
        ("format", [SHEET_FORMAT]), ("version", [SHEET_VERSION]), ("study", [study.name]),
        ("identity", [fingerprint(study)]), ("batch", [_batches(runs)]),
        ("runs", [" ".join(r.id for r in runs)]), ("exported", [now_iso()]),
        ("app_version", [_app_version()]),
        ("seed", ["" if seed is None else seed]),
        ("definitions", [text[i:i + _CHUNK] for i in range(0, len(text), _CHUNK)] or [""]),
    ]
    from openpyxl.utils import get_column_letter

    ranges: dict[str, str] = {}
    for v in study.variables:
        if v.kind == "categorical" and v.levels:
            rows.append((f"levels:{v.name}", list(v.levels)))
            last = get_column_letter(len(v.levels) + 1)
            ranges[v.name] = f"Meta!$B${len(rows)}:${last}${len(rows)}"
    for i, (key, values) in enumerate(rows, 1):
        _put(ws, i, 1, key)
        for j, value in enumerate(values, 2):
            _put(ws, i, j, value)
    return ranges


def _write_about(ws: Any, study: Study, runs: list[Run], seed: int | None) -> None:
    from openpyxl.styles import Alignment, Font


    lines: list[tuple[str, str]] = [
        ("Study", study.name), ("Description", study.description),
        ("Batch", _batches(runs)), ("Runs", str(len(runs))), ("Exported", now_iso()),
        ("NextBatch version", _app_version()),
        ("Random seed", "not fixed" if seed is None else str(seed)),
    ]
    _put(ws, 1, 1, "NextBatch run sheet").font = Font(bold=True, size=14)
    row = 3
    for key, value in lines:
        _put(ws, row, 1, key).font = Font(bold=True)
        _put(ws, row, 2, value)
        row += 1
    row += 1
    _put(ws, row, 1, "How to fill in").font = Font(bold=True)
    for number, text in enumerate(_INSTRUCTIONS, 1):
        row += 1
        _put(ws, row, 1, f"{number}.")
        _put(ws, row, 2, text).alignment = Alignment(wrap_text=True, vertical="top")
    row += 2
    _put(ws, row, 1, "Columns").font = Font(bold=True)
    for col in sheet_columns(study):
        row += 1
        _put(ws, row, 1, col.header)
        _put(ws, row, 2, column_meaning(col)).alignment = Alignment(wrap_text=True)
    ws.column_dimensions["A"].width = 30
    ws.column_dimensions["B"].width = 100


def column_meaning(col: Column) -> str:
    """One sentence per column for the About sheet."""
    fixed = {
        "id": "Stable ID of the run; the import matches rows by it, never by position.",
        "batch": "Batch the run belongs to.",
        "order": "Suggested order in which to run the recipes.",
        "source": "Where the recipe came from (initial design, suggested, manual, …).",
        "status": "planned, done, failed or skipped; write failed if the run failed.",
        "notes": "Anything worth remembering about the run.",
    }
    if col.kind in fixed:
        return fixed[col.kind]
    target = col.target
    if isinstance(target, WeighOutColumn):
        return (f"Amount of {target.component.title} to weigh for a "
                f"{_num(target.mixture.batch_amount)} {target.unit} batch of "
                f"{target.mixture.title}; the Total row adds them up for the whole batch.")
    if isinstance(target, Response):
        from nextbatch.core.responses import GOAL_WORDS

        goal = GOAL_WORDS.get(target.goal, target.goal)
        return f"Result to type in (shaded): {goal}. {target.description}".strip()
    if isinstance(target, Variable):
        return f"Planned setting: {_allowed(target)}. {target.description}".strip()
    return ""


def _allowed(v: Variable) -> str:
    if v.kind == "categorical":
        return "one of " + ", ".join(v.levels)
    if v.kind == "discrete":
        return "one of " + ", ".join(_num(x) for x in sorted(v.values))
    unit = f" {v.unit}" if v.unit else ""
    grain = (f", step {_num(v.integer_step)}" if v.kind == "integer" else
             f", to {_num(v.resolution)}" if v.resolution else "")
    return f"from {_num(v.low)} to {_num(v.high)}{unit}{grain}"


def _app_version() -> str:
    """`nextbatch.__version__`, looked up at run time.

    A static `import nextbatch` would make io seem to reach the engine through the package's
    lazy attributes, which the layer contract (io never imports optim) forbids.
    """
    return str(importlib.import_module("nextbatch").__version__)


def _batches(runs: list[Run]) -> str:
    return ", ".join(str(b) for b in sorted({r.batch for r in runs}))


def _num(x: float | None) -> str:
    return "" if x is None else f"{x:g}"
