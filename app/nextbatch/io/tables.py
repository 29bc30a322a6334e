"""Reading a spreadsheet (.xlsx, .xlsm, .csv) into a plain grid that remembers where each cell was.

Imports are where tired people's typing meets the study, so every value keeps its sheet, row
and column: a problem can then say "Runs!F7". Reading is defensive: the size and row count are
checked before parsing, openpyxl parses with defusedxml, workbooks are opened read-only with
cached values only (nothing in a file is ever executed), and an old binary `.xls` is refused
with the way out.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nextbatch.core.errors import NextBatchError

MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 100_000
MAX_COLUMNS = 1_000
MAX_UNPACKED_BYTES = 400 * 1024 * 1024  # a 20 MB zip that unpacks to more is a zip bomb
RUNS_SHEET = "Runs"
META_SHEET = "Meta"
EXCEL_SUFFIXES = (".xlsx", ".xlsm")
TEXT_SUFFIXES = (".csv", ".tsv", ".txt")
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # the container of the old binary .xls format
_SPACES = re.compile(r"[\s\u00a0\u202f\u2009']")  # grouping: space, no-break, thin, apostrophe


class TableError(NextBatchError):
    """A file cannot be read as a table at all (wrong format, too large, unreadable)."""


@dataclass(frozen=True)
class BadCell:
    """A cell whose content cannot be used: an Excel error (`#N/A`) or a never-computed formula."""

    shown: str
    reason: str

    def __str__(self) -> str:
        return self.shown


CellValue = str | float | int | BadCell | None


@dataclass(frozen=True)
class ImportProblem:
    """One problem of an imported table, located the way the user will look for it.

    `row` is the spreadsheet's own 1-based row number (0 when the problem concerns a whole
    column or the file); `column` is the column letter ("" for the whole row or file).
    """

    sheet: str
    row: int
    column: str
    header: str
    value: object
    expected: str
    severity: str = "error"

    @property
    def where(self) -> str:
        header = f" ({self.header})" if self.header else ""
        if self.row and self.column:
            return f"{self.sheet}!{self.column}{self.row}{header}"
        if self.row:
            return f"{self.sheet}, row {self.row}{header}"
        if self.column:
            return f"{self.sheet}, column {self.column}{header}"
        return f"{self.sheet}{header}"

    def __str__(self) -> str:
        found = "" if self.value is None else f": found {_show(self.value)}"
        tag = "warning" if self.severity == "warning" else "error"
        return f"{tag}: {self.where}{found}; expected {self.expected}"


@dataclass
class TableRow:
    """The cells of one non-empty row, one per header column, with its spreadsheet number."""

    number: int
    cells: list[CellValue]

    def get(self, index: int) -> CellValue:
        return self.cells[index] if index < len(self.cells) else None


@dataclass
class Table:
    """A header row and the non-empty data rows below it, from one sheet of one file."""

    path: Path
    sheet: str
    header: list[str]
    rows: list[TableRow]
    decimal_mark: str = "."
    meta: dict[str, Any] | None = None
    header_row: int = 1
    problems: list[ImportProblem] = field(default_factory=list)
    grid: list[tuple[int, list[CellValue]]] = field(default_factory=list, repr=False)

    def reheaded(self, index: int) -> Table:
        """The same table with its `index`-th non-empty row as the header (title rows dropped)."""
        return _assemble(self.path, self.sheet, self.grid[index:], self.decimal_mark, self.meta)


def column_letter(index: int) -> str:
    """Spreadsheet column name of a 0-based index: 0 -> A, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def read_table(path: str | Path) -> Table:
    """Read the run table of `path`: the Runs sheet of a workbook (else its first), or a CSV.

    Raises TableError, before parsing anything, for a file that is too large, an old `.xls`,
    or a format that is not a spreadsheet.
    """
    path = Path(path)
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            magic = fh.read(4)
    except OSError as exc:
        raise TableError(f"cannot read {path.name}: {exc.strerror or exc}") from exc
    suffix = path.suffix.lower()
    if suffix == ".xls" or magic == _OLE_MAGIC:
        raise TableError(f"{path.name} is an old binary Excel file (.xls); open it in Excel or "
                         "LibreOffice and save it as .xlsx, then import that file")
    if size > MAX_BYTES:
        raise TableError(f"{path.name} is {size / 1e6:.1f} MB; files over "
                         f"{MAX_BYTES // (1024 * 1024)} MB are not imported (expected a run "
                         "table: split it or remove what is not run data)")
    if suffix in EXCEL_SUFFIXES:
        return _read_workbook(path)
    if suffix in TEXT_SUFFIXES:
        return _read_csv(path)
    raise TableError(f"{path.name}: cannot import {suffix or 'a file without extension'}; "
                     "expected .xlsx, .xlsm or .csv")


# ------------------------------------------------------------------------------------ numbers
def parse_number(text: str, decimal_mark: str = ".") -> float | None:
    """The number a person meant by `text`, or None when it is not a number.

    Understands decimal commas (`41,2`), thousands separators (`1,234.5`, `1.234,5`,
    `1 234,5`) and a leading `+`. `decimal_mark` decides the ambiguous `1,234` / `1.234`.
    """
    s = _SPACES.sub("", text.strip())
    if s.startswith("+"):
        s = s[1:]
    if not re.fullmatch(r"-?[\d.,]*\d[\d.,]*(?:[eE][-+]?\d+)?", s):
        return None
    mantissa, _, exponent = s.partition("e") if "e" in s else s.partition("E")
    if "," in mantissa and "." in mantissa:
        decimal = "," if mantissa.rfind(",") > mantissa.rfind(".") else "."
    elif "," in mantissa:
        decimal = "." if decimal_mark == "." and _grouped(mantissa, ",") else ","
    elif "." in mantissa:
        decimal = "," if decimal_mark == "," and _grouped(mantissa, ".") else "."
    else:
        decimal = "."
    group = "," if decimal == "." else "."
    whole, _, fraction = mantissa.partition(decimal)
    if decimal in fraction or group in fraction:
        return None
    if group in whole and not _grouped(whole, group):
        return None
    digits = whole.replace(group, "") + ("." + fraction if fraction else "")
    try:
        return float(digits + (f"e{exponent}" if exponent else ""))
    except ValueError:
        return None


def _grouped(text: str, sep: str) -> bool:
    """Whether `text` is digits in groups of three separated by `sep` (`1,234,567`)."""
    return re.fullmatch(rf"-?\d{{1,3}}(?:{re.escape(sep)}\d{{3}})+", text) is not None


def _guess_decimal_mark(rows: list[list[str]], delimiter: str) -> str:
    """`,` when the file writes decimal commas (`41,2`, or `;`-separated with commas)."""
    saw_comma = False
    for row in rows:
        for text in row:
            s = _SPACES.sub("", text)
            if re.fullmatch(r"-?\d+,\d+", s):
                saw_comma = True
                if not _grouped(s, ","):
                    return ","
            elif re.fullmatch(r"-?\d{1,3}(?:\.\d{3})+,\d+", s):
                return ","
            elif re.fullmatch(r"-?\d{1,3}(?:,\d{3})+\.\d+", s):
                return "."
    return "," if saw_comma and delimiter != "," else "."


# -------------------------------------------------------------------------------------- csv
def _read_csv(path: Path) -> Table:
    raw = path.read_bytes()
    if raw.count(b"\n") > MAX_ROWS + 1:
        raise TableError(_too_many_rows(path.name))
    text = _decode(raw)
    hint = re.match(r"sep=(.)\r?\n", text)  # Excel's own delimiter line
    if hint:
        delimiter = hint.group(1)
        text = "\n" + text[hint.end():]  # keeps the line numbers the user sees
    else:
        delimiter = _sniff(text[:64 * 1024])
    grid: list[tuple[int, list[str]]] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for values in reader:
            if reader.line_num > MAX_ROWS + 1:
                raise TableError(_too_many_rows(path.name))
            _check_width(path.name, len(values))
            cleaned = [_unguard(v.strip()) for v in values]
            if any(cleaned):
                grid.append((reader.line_num, cleaned))
    except csv.Error as exc:
        raise TableError(f"{path.name}, line {reader.line_num}: not a readable CSV ({exc})"
                         ) from exc
    decimal = _guess_decimal_mark([cells for _, cells in grid], delimiter)
    rows = [(number, [v or None for v in cells]) for number, cells in grid]
    return _assemble(path, path.stem, rows, decimal, meta=None)


def _sniff(sample: str) -> str:
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        return max(",;\t|", key=sample.count) if sample.strip() else ","


def _decode(raw: bytes) -> str:
    """Text of a CSV as Excel writes it: UTF-8 (with or without BOM), UTF-16, or Windows-1252."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def _unguard(text: str) -> str:
    """Undo the apostrophe our CSV export puts before text that would read as a formula."""
    if len(text) > 1 and text[0] == "'" and text[1] in "=+-@\t\r":
        return text[1:]
    return text


# ------------------------------------------------------------------------------------- xlsx
def _read_workbook(path: Path) -> Table:
    _check_archive(path)
    from openpyxl import load_workbook
    from openpyxl.xml import DEFUSEDXML

    if not DEFUSEDXML:
        raise TableError("workbooks are only read with defusedxml, which is not active; "
                         "reinstall NextBatch (or unset OPENPYXL_DEFUSEDXML)")
    try:
        values = load_workbook(path, read_only=True, data_only=True, keep_links=False)
        formulas = load_workbook(path, read_only=True, data_only=False, keep_links=False)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise _unreadable(path, exc) from exc
    try:
        names = values.sheetnames
        sheet = RUNS_SHEET if RUNS_SHEET in names else names[0]
        rows = list(_sheet_rows(path.name, values[sheet], formulas[sheet]))
        meta = _read_meta(values[META_SHEET]) if META_SHEET in names else None
    except TableError:
        raise
    except Exception as exc:  # the read-only sheets are parsed while iterating
        raise _unreadable(path, exc) from exc
    finally:
        values.close()
        formulas.close()
    return _assemble(path, sheet, rows, ".", meta)


def _unreadable(path: Path, exc: BaseException) -> TableError:
    """The error for a workbook openpyxl could not read, naming XML tricks for what they are."""
    cause: BaseException | None = exc
    while cause is not None:
        if type(cause).__module__.startswith("defusedxml"):
            return TableError(f"{path.name} contains XML entity or DTD declarations, which "
                              "NextBatch refuses to read (they can hide an attack); open it in "
                              "Excel and save it again as .xlsx")
        cause = cause.__cause__ or cause.__context__
    return TableError(f"{path.name} is not a readable Excel workbook ({exc})")


def _check_archive(path: Path) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError) as exc:
        raise TableError(f"{path.name} is not a readable Excel workbook (expected an .xlsx "
                         "saved by Excel or LibreOffice)") from exc
    if unpacked > MAX_UNPACKED_BYTES:
        raise TableError(f"{path.name} unpacks to {unpacked / 1e6:.0f} MB; workbooks that "
                         f"unpack to more than {MAX_UNPACKED_BYTES // 10**6} MB are not imported")


def _sheet_rows(name: str, data_ws: Any, formula_ws: Any) -> Iterator[tuple[int, list[Any]]]:
    """Non-empty rows as (row number, cell values); formulas without a cached value flagged."""
    declared = data_ws.max_row
    if declared is not None and declared > MAX_ROWS + 1:
        raise TableError(_too_many_rows(name))
    data_rows = data_ws.iter_rows()
    formula_rows = formula_ws.iter_rows()
    for count, (data, formula) in enumerate(zip(data_rows, formula_rows, strict=False), 1):
        if count > MAX_ROWS + 1:
            raise TableError(_too_many_rows(name))
        _check_width(name, len(data))
        cells = [_cell_value(d, f) for d, f in zip(data, _pad(formula, len(data)), strict=True)]
        if any(c is not None for c in cells):
            number = next((c.row for c in data if getattr(c, "row", None)), count)
            yield number, cells


def _pad(cells: tuple[Any, ...], length: int) -> list[Any]:
    return list(cells[:length]) + [None] * max(0, length - len(cells))


def _cell_value(data: Any, formula: Any) -> CellValue:
    value = getattr(data, "value", None)
    if getattr(data, "data_type", None) == "e":
        return BadCell(str(value), "an Excel error value")
    if value is None:
        if getattr(formula, "data_type", None) == "f":
            return BadCell(str(formula.value), "a formula with no saved result")
        return None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return value
    if isinstance(value, str):
        return value.strip() or None
    return str(value)  # dates and times: kept as text, never interpreted


def _read_meta(ws: Any) -> dict[str, Any]:
    """Key/value rows of the Meta sheet; several values give a list, `definitions` is JSON."""
    meta: dict[str, Any] = {}
    for count, row in enumerate(ws.iter_rows(max_col=64, values_only=True)):
        if count > 1000:
            break
        if not row or not isinstance(row[0], str):
            continue
        parts = [v for v in row[1:] if isinstance(v, str | int | float)]
        if row[0] == "definitions":
            try:
                meta[row[0]] = json.loads("".join(str(p) for p in parts))
            except ValueError:
                meta[row[0]] = None
        else:
            meta[row[0]] = parts[0] if len(parts) == 1 else (parts or None)
    return meta


# ----------------------------------------------------------------------------------- shared
def _assemble(path: Path, sheet: str, rows: list[tuple[int, list[Any]]], decimal: str,
              meta: dict[str, Any] | None) -> Table:
    if not rows:
        raise TableError(f"{path.name} ({sheet}) is empty; expected a header row and rows of "
                         "runs")
    header_row, header_cells = rows[0]
    header = [_header_text(c) for c in header_cells]
    while header and not header[-1]:
        header.pop()
    width = len(header)
    body = [TableRow(number, list(cells[:width]) + [None] * (width - len(cells)))
            for number, cells in rows[1:]]
    body = [r for r in body if any(c is not None for c in r.cells)]
    table = Table(path, sheet, header, body, decimal, meta, header_row, grid=rows)
    for number, cells in rows[1:]:
        for index, value in enumerate(cells[width:], start=width):
            if value is not None:
                table.problems.append(ImportProblem(
                    sheet, number, column_letter(index), "", value,
                    "no value under a column without a header; give the column a header or "
                    "clear the cell", "warning"))
    return table


def _header_text(value: Any) -> str:
    if value is None:
        return ""
    return " ".join(str(value).split())


def _check_width(name: str, width: int) -> None:
    if width > MAX_COLUMNS:
        raise TableError(f"{name} has {width} columns; at most {MAX_COLUMNS} are imported "
                         "(expected a run table with one column per variable and response)")


def _too_many_rows(name: str) -> str:
    return (f"{name} has more than {MAX_ROWS:,} rows; larger tables are not imported "
            "(expected one row per run)")


def _show(value: object) -> str:
    if isinstance(value, BadCell):
        return f"{value.shown} ({value.reason})"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return repr(value) if isinstance(value, str) else str(value)
