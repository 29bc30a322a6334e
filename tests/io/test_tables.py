"""Reading tables: formats, limits, decimal commas, error cells, and where each value was."""

from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from nextbatch.io import tables
from nextbatch.io.tables import BadCell, TableError, column_letter, parse_number, read_table


@pytest.mark.parametrize(("text", "mark", "expected"), [
    ("41,2", ".", 41.2), ("41.2", ",", 41.2), ("1,234.5", ".", 1234.5),
    ("1.234,5", ".", 1234.5), ("1 234,5", ",", 1234.5), ("1\u00a0234", ".", 1234),
    ("1,234", ".", 1234), ("1,234", ",", 1.234), ("1.234", ",", 1234), ("1.234", ".", 1.234),
    ("+3", ".", 3), ("-2.5e3", ".", -2500), (" 7 ", ".", 7), ("1,234,567.25", ".", 1234567.25),
    ("abc", ".", None), ("1,2,3", ".", None), ("1.2.3", ".", None), ("", ".", None),
    ("12,34.5", ".", None), ("4 mm", ".", None), ("1e", ".", None), ("--1", ".", None),
])
def test_numbers_as_people_write_them(text: str, mark: str, expected: float | None) -> None:
    assert parse_number(text, mark) == expected


@given(st.floats(-1e9, 1e9, allow_nan=False), st.integers(0, 6))
def test_a_decimal_comma_reads_as_the_number_written(x: float, decimals: int) -> None:
    written = f"{x:.{decimals}f}"
    assert parse_number(written.replace(".", ","), ",") == float(written)
    assert parse_number(written, ".") == float(written)


def test_column_letters() -> None:
    assert [column_letter(i) for i in (0, 25, 26, 51, 701, 702)] == [
        "A", "Z", "AA", "AZ", "ZZ", "AAA"]


def test_semicolon_csv_with_decimal_commas(tmp_path: Path) -> None:
    path = tmp_path / "lab.csv"
    path.write_text("Run ID;Foam height (mm);Notes\nB01-01;41,2;ok\n\n;;\nB01-02; 1.234,5 ;x\n",
                    encoding="utf-8")
    table = read_table(path)
    assert table.header == ["Run ID", "Foam height (mm)", "Notes"]
    assert table.decimal_mark == ","
    assert [(r.number, r.cells) for r in table.rows] == [
        (2, ["B01-01", "41,2", "ok"]), (5, ["B01-02", "1.234,5", "x"])]


def test_comma_csv_keeps_the_decimal_point(tmp_path: Path) -> None:
    path = tmp_path / "lab.csv"
    path.write_text('id,viscosity\nA,"4,300"\nB,4300.5\n', encoding="utf-8")
    table = read_table(path)
    assert table.decimal_mark == "."
    assert parse_number(table.rows[0].cells[1], table.decimal_mark) == 4300


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "cp1252"])
def test_csv_in_the_encodings_excel_writes(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "lab.csv"
    path.write_bytes("Temperatur [°C]\tNotiz\n65\tschön\n".encode(encoding))
    table = read_table(path)
    assert table.header == ["Temperatur [°C]", "Notiz"]
    assert table.rows[0].cells == ["65", "schön"]


def test_the_csv_formula_guard_is_undone(tmp_path: Path) -> None:
    path = tmp_path / "lab.csv"
    path.write_text("Notes\n'=SUM(A1)\n'-5 degrees\n", encoding="utf-8")
    assert [r.cells for r in read_table(path).rows] == [["=SUM(A1)"], ["-5 degrees"]]


def test_old_xls_is_refused_with_the_way_out(tmp_path: Path) -> None:
    old = tmp_path / "results.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0" + bytes(100))
    with pytest.raises(TableError, match=r"results.xls .*save it as .xlsx"):
        read_table(old)
    renamed = tmp_path / "renamed.xlsx"
    renamed.write_bytes(b"\xd0\xcf\x11\xe0" + bytes(100))
    with pytest.raises(TableError, match=r"save it as \.xlsx"):
        read_table(renamed)


def test_files_over_20_mb_are_refused_before_parsing(tmp_path: Path) -> None:
    big = tmp_path / "big.xlsx"
    with big.open("wb") as fh:
        fh.truncate(21 * 1024 * 1024)  # sparse: not even a zip, so parsing would fail loudly
    with pytest.raises(TableError, match=r"big.xlsx is 22.0 MB; files over 20 MB"):
        read_table(big)


def test_csv_over_the_row_limit_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    path.write_text("x\n" + "1\n" * (tables.MAX_ROWS + 1), encoding="utf-8")
    with pytest.raises(TableError, match="more than 100,000 rows"):
        read_table(path)


def test_workbook_over_the_row_limit_is_refused(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    wb = openpyxl.Workbook()
    for i in range(12):
        wb.active.append([i])
    wb.save(tmp_path / "long.xlsx")
    monkeypatch.setattr(tables, "MAX_ROWS", 10)
    with pytest.raises(TableError, match="more than 10 rows"):
        read_table(tmp_path / "long.xlsx")


@pytest.mark.parametrize(("name", "content"), [
    ("notes.txt", b""), ("broken.xlsx", b"PK\x03\x04 not really"), ("image.png", b"\x89PNG")])
def test_unreadable_files_raise_a_table_error(tmp_path: Path, name: str, content: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(TableError, match=name):
        read_table(path)


def test_a_missing_file_is_a_table_error(tmp_path: Path) -> None:
    with pytest.raises(TableError, match=r"cannot read gone\.csv"):
        read_table(tmp_path / "gone.csv")


def workbook(tmp_path: Path, rows: list[list[object]], name: str = "t.xlsx") -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Runs"
    for row in rows:
        ws.append(row)
    wb.save(tmp_path / name)
    return tmp_path / name


def test_workbook_cells_keep_their_row_numbers_and_errors(tmp_path: Path) -> None:
    path = workbook(tmp_path, [["Run ID", "pH", "Notes"], ["B01-01", "#N/A", "  fine  "],
                               [None, None, None], ["B01-02", "#DIV/0!", 3]])
    table = read_table(path)
    assert table.sheet == "Runs"
    assert [r.number for r in table.rows] == [2, 4]
    assert table.rows[0].cells == ["B01-01", BadCell("#N/A", "an Excel error value"), "fine"]
    assert table.rows[1].cells[1] == BadCell("#DIV/0!", "an Excel error value")


def test_a_formula_gives_its_saved_value_or_says_it_has_none(tmp_path: Path) -> None:
    path = workbook(tmp_path, [["a", "b"], ["=2+3", "=1/3"]])
    assert read_table(path).rows[0].cells == [
        BadCell("=2+3", "a formula with no saved result"),
        BadCell("=1/3", "a formula with no saved result")]
    saved = tmp_path / "saved.xlsx"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(saved, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"<f>2+3</f><v />", b"<f>2+3</f><v>5</v>")
            dst.writestr(item, data)
    assert read_table(saved).rows[0].cells[0] == 5


def test_the_runs_sheet_is_read_even_when_it_is_not_first(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    wb.active.append(["Summary"])
    wb.create_sheet("Runs").append(["Run ID"])
    wb["Runs"].append(["B01-01"])
    wb.save(tmp_path / "two.xlsm")
    table = read_table(tmp_path / "two.xlsm")
    assert (table.sheet, table.header, table.rows[0].cells) == ("Runs", ["Run ID"], ["B01-01"])


def test_values_under_a_column_without_header_are_pointed_out(tmp_path: Path) -> None:
    path = workbook(tmp_path, [["Run ID"], ["B01-01", None, "stray"]])
    [problem] = read_table(path).problems
    assert (problem.row, problem.column, problem.value, problem.severity) == (
        2, "C", "stray", "warning")


def test_an_empty_sheet_is_a_table_error(tmp_path: Path) -> None:
    with pytest.raises(TableError, match="is empty"):
        read_table(workbook(tmp_path, []))


def test_xml_entity_tricks_are_refused_by_defusedxml(tmp_path: Path) -> None:
    path = workbook(tmp_path, [["a"]])
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(bomb, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"<worksheet", b'<!DOCTYPE w [<!ENTITY a "aaaaaaaa">'
                                    b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><worksheet', 1)
            dst.writestr(item, data)
    with pytest.raises(TableError, match=r"bomb\.xlsx contains XML entity or DTD declarations"):
        read_table(bomb)


def test_excels_sep_line_sets_the_delimiter(tmp_path: Path) -> None:
    path = tmp_path / "lab.csv"
    path.write_text("sep=;\nRun ID;pH\nB01-01;9,1\n", encoding="utf-8")
    table = read_table(path)
    assert table.header == ["Run ID", "pH"] and table.header_row == 2
    assert [(r.number, r.cells) for r in table.rows] == [(3, ["B01-01", "9,1"])]
    assert table.decimal_mark == ","
