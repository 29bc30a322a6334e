"""The whole loop: suggest, export, fill in the sheet as people do, import, find exactly that."""

from __future__ import annotations

import csv
import tempfile
import zipfile
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nextbatch.core import Study
from nextbatch.core.commands import AddRuns, History
from nextbatch.core.runs import Run
from nextbatch.io.importing import preview_import
from nextbatch.io.runsheet import export_run_sheet, write_runs_csv
from nextbatch.io.study_file import load_study, save_study
from nextbatch.optim import suggest
from nextbatch.resources import example_path

RESULTS = {  # what the lab measured, per run order
    1: {"foam_height": 41.2, "viscosity": 4300, "ph": 9.1},
    2: {"foam_height": 35.5, "ph": 8.8},  # viscosity not measured: a partial result
    3: {"foam_height": 52.25, "viscosity": 6120, "ph": 9.35},
}
HEADERS = {"foam_height": "Foam height [mm]", "viscosity": "Viscosity [cP]", "ph": "pH"}


@pytest.fixture(scope="module")
def suggested() -> Study:
    """A fresh shaving-cream study with a suggested first batch of four planned runs."""
    study = load_study(example_path("shaving-cream"))
    study.runs.clear()
    batch = suggest(study, batch_size=4, seed=3)
    ids = study.new_run_ids(1, len(batch))
    History(study).do(AddRuns([
        Run(i, batch=1, source="suggested", settings=s.settings, predicted=s.predicted)
        for i, s in zip(ids, batch, strict=True)]))
    return study


@pytest.fixture
def study(suggested: Study) -> Study:
    return suggested.copy()


def expected_runs(study: Study, failed: str = "B01-04") -> dict[str, tuple[str, dict]]:
    out = {f"B01-0{k}": ("done", v) for k, v in RESULTS.items()}
    out[failed] = ("failed", {})
    return out


def held(study: Study) -> dict[str, tuple[str, dict]]:
    return {r.id: (r.status, r.results) for r in study.runs}


def test_suggest_export_fill_import(study: Study, tmp_path: Path) -> None:
    before = study.to_dict()
    sheet = export_run_sheet(study, tmp_path / "batch1.xlsx", seed=3)
    wb = openpyxl.load_workbook(sheet)
    ws = wb["Runs"]
    header = [c.value for c in ws[1]]
    for order, results in RESULTS.items():
        for name, value in results.items():
            ws.cell(order + 1, header.index(HEADERS[name]) + 1).value = value
    ws.cell(5, header.index("Status") + 1).value = "failed"
    ws.cell(5, header.index("Notes") + 1).value = "cream split while cooling"
    wb.save(sheet)

    preview = preview_import(study, sheet)
    assert preview.is_clean, [str(p) for p in preview.problems]
    history = History(study)
    history.do(preview.as_command())
    assert held(study) == expected_runs(study)
    assert study.run("B01-04").notes == "cream split while cooling"
    assert all(r.settings == b["settings"] for r, b in zip(study.runs, before["runs"],
                                                            strict=True))
    assert [bool(r.measured) for r in study.runs] == [True, True, True, False]
    save_study(study, tmp_path / "after.nbx")
    assert held(load_study(tmp_path / "after.nbx")) == expected_runs(study)
    history.undo()
    assert study.to_dict() == before
    history.redo()
    assert held(study) == expected_runs(study)


def test_a_sheet_edited_the_ways_people_do(study: Study, tmp_path: Path) -> None:
    sheet = export_run_sheet(study, tmp_path / "batch1.xlsx")
    rows = list(openpyxl.load_workbook(sheet)["Runs"].iter_rows(values_only=True))
    header = list(rows[0])
    body = [list(r) for r in rows[1:5]]
    col = {name: header.index(h) for name, h in HEADERS.items()}
    body[0][col["foam_height"]] = "41.2"  # a number stored as text
    body[0][col["viscosity"]] = " 4300 "
    body[0][col["ph"]] = 9.1
    body[1][col["foam_height"]] = "=35+0.5"  # a formula; its cached value is added below
    body[1][col["ph"]] = "8,8"  # a decimal comma
    body[2][col["foam_height"]], body[2][col["viscosity"]] = 52.25, 6120
    body[2][col["ph"]] = 9.35
    body[3][header.index("Status")] = "Failed  "
    for row in body:
        row[0] = f"  {row[0]} "  # trailing and leading spaces around the ID

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Runs"
    ws.append(["Operator", *header])  # an extra column, first
    for i, row in enumerate(reversed(body)):  # re-sorted rows, with empty rows between
        ws.append(["Anna", *row])
        ws.append([])
        if i == 1:
            ws.row_dimensions[ws.max_row - 1].hidden = True  # a hidden row is still a run
    meta = openpyxl.load_workbook(sheet)["Meta"]
    copy_ws = wb.create_sheet("Meta")
    for row in meta.iter_rows(values_only=True):
        copy_ws.append(list(row))
    edited = tmp_path / "edited.xlsx"
    wb.save(edited)
    cached(edited, "35+0.5", "35.5")

    preview = preview_import(study, edited)
    assert preview.is_clean, [str(p) for p in preview.problems]
    assert preview.unmatched == ["Operator"]
    preview.as_command().apply(study)
    assert held(study) == expected_runs(study)


def cached(path: Path, formula: str, value: str) -> None:
    """Give a formula the saved result Excel would store (openpyxl writes none)."""
    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(tmp, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename.startswith("xl/worksheets/"):
                data = data.replace(f"<f>{formula}</f><v />".encode(),
                                    f"<f>{formula}</f><v>{value}</v>".encode())
            dst.writestr(item, data)
    tmp.replace(path)


def test_the_csv_round_trip_as_a_european_excel_saves_it(study: Study, tmp_path: Path) -> None:
    path = write_runs_csv(study, tmp_path / "batch1.csv")
    rows = list(csv.reader(path.read_text("utf-8-sig").splitlines()))
    header = rows[0]
    for order, results in RESULTS.items():
        for name, value in results.items():
            rows[order][header.index(HEADERS[name])] = str(value)
    rows[4][header.index("Status")] = "failed"
    # Excel with a German locale: semicolons, decimal commas, Windows-1252
    text = "\r\n".join(";".join(cell.replace(".", ",") if _numeric(cell) else cell
                                for cell in row) for row in rows)
    path.write_bytes(text.encode("cp1252"))
    preview = preview_import(study, path)
    assert preview.is_clean, [str(p) for p in preview.problems]
    preview.as_command().apply(study)
    assert held(study) == expected_runs(study)


def _numeric(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def test_a_formula_without_a_saved_result_stops_the_whole_import(study: Study,
                                                                 tmp_path: Path) -> None:
    before = study.to_dict()
    sheet = export_run_sheet(study, tmp_path / "batch1.xlsx")
    wb = openpyxl.load_workbook(sheet)
    ws = wb["Runs"]
    ws["R2"], ws["R3"] = 41.2, "=R2*2"
    wb.save(sheet)
    preview = preview_import(study, sheet)
    assert [(p.row, p.column) for p in preview.errors] == [(3, "R")]
    assert study.to_dict() == before


# What a person types: up to 12 significant digits (Excel itself keeps 15).
measured = st.one_of(st.floats(-1e6, 1e6, allow_nan=False).map(lambda x: float(f"{x:.12g}")),
                     st.integers(-10**6, 10**6))
outcomes = st.one_of(
    st.tuples(st.sampled_from(["done", "failed"]),
              st.dictionaries(st.sampled_from(list(HEADERS)), measured, min_size=1)),
    st.tuples(st.sampled_from(["planned", "failed", "skipped"]), st.just({})))


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(outcomes, min_size=4, max_size=4), st.sampled_from([".csv", ".xlsx"]))
def test_any_typed_results_come_back_exactly(suggested: Study, typed: list, suffix: str
                                             ) -> None:
    study, lab = suggested.copy(), suggested.copy()
    for run, (status, results) in zip(lab.runs, typed, strict=True):
        run.status, run.results = status, results
    with tempfile.TemporaryDirectory() as folder:
        sheet = export_run_sheet(lab, Path(folder) / f"typed{suffix}", runs=lab.runs)
        preview = preview_import(study, sheet)
        assert preview.is_clean, [str(p) for p in preview.problems]
        if not preview.is_empty:
            preview.as_command().apply(study)
    assert held(study) == held(lab)
