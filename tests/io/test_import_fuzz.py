"""Whatever is typed into a sheet, an import reports problems or applies cleanly: never a crash.

And a refused import leaves the study exactly as it was; an applied one can be undone exactly.
"""

from __future__ import annotations

import csv
import tempfile
from pathlib import Path

import openpyxl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nextbatch.core import NextBatchError, Run, Study
from nextbatch.io.importing import ImportRefusedError, preview_import
from nextbatch.io.runsheet import export_run_sheet
from nextbatch.io.study_file import load_study
from nextbatch.resources import example_path

SPECIAL = ["#N/A", "#DIV/0!", "=1/0", "=A1", "done", "FAILED", "skipped", "planned", "41,2",
           " 1.234,5 ", "1,234", "-", "n/a", "'=x", "@SUM(1)", "+1", "1e999", "nan", "inf",
           "B01-01", "B01-02", "b01-03 ", "Total", "lecithin", "polysorbate 80", "", "  "]
# Text a person could type: no control characters (Excel cannot hold them either).
typed = st.text(st.characters(exclude_categories=("Cc", "Cs")), max_size=12)
cells = st.one_of(st.none(), st.sampled_from(SPECIAL), typed, st.integers(-10**6, 10**6),
                  st.floats(-1e6, 1e6, allow_nan=False))
headers = st.one_of(st.sampled_from(["Foam height (cm)", "Actual koh", "Status", "Run ID",
                                     "Batch", "Emulsifier", "Glycerin [g] for 1 kg", "pH"]),
                    typed)


def base_study() -> Study:
    study = load_study(example_path("shaving-cream"))
    for i, base in enumerate(study.runs[:3], 1):
        study.runs.append(Run(f"B02-0{i}", batch=2, source="suggested",
                              settings=dict(base.settings)))
    return study


STUDY = base_study()
with tempfile.TemporaryDirectory() as folder:
    _exported = export_run_sheet(STUDY, Path(folder) / "sheet.xlsx")
    SHEET = [list(r) for r in openpyxl.load_workbook(_exported)["Runs"].iter_rows(
        values_only=True)]
    META = [list(r) for r in openpyxl.load_workbook(_exported)["Meta"].iter_rows(
        values_only=True)]


# Cell edits (row 0 is the header row), as (row, column, value).
edits = st.lists(st.tuples(st.integers(0, 5), st.integers(0, len(SHEET[0])), cells),
                 max_size=12)


def edited(changes: list[tuple[int, int, object]], header: str) -> list[list[object]]:
    grid = [[*row, None] for row in SHEET] + [[None] * (len(SHEET[0]) + 1)] * 2
    grid = [list(row) for row in grid]
    grid[0][-1] = header
    for r, c, value in changes:
        grid[r][c] = value
    return grid


def check(study: Study, path: Path) -> None:
    before = study.to_dict()
    try:
        preview = preview_import(study, path)
    except NextBatchError:
        assert study.to_dict() == before
        return
    assert study.to_dict() == before
    try:
        command = preview.as_command(accept_warnings=True)
    except ImportRefusedError:
        assert preview.errors or preview.is_empty
        assert study.to_dict() == before
        return
    command.apply(study)
    command.revert(study)
    assert study.to_dict() == before


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edits, headers)
def test_any_csv_cells_give_problems_never_a_crash(changes: list, header: str) -> None:
    study = STUDY.copy()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.csv"
        with path.open("w", encoding="utf-8", newline="") as fh:
            csv.writer(fh, delimiter=";").writerows(
                [["" if v is None else str(v) for v in row] for row in edited(changes, header)])
        check(study, path)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edits, headers)
def test_any_workbook_cells_give_problems_never_a_crash(changes: list, header: str) -> None:
    study = STUDY.copy()
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Runs"
    for row in edited(changes, header):
        ws.append(row)
    meta = wb.create_sheet("Meta")
    for row in META:
        meta.append(row)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.xlsx"
        wb.save(path)
        check(study, path)
