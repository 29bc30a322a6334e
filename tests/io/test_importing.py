"""The import preview: every problem a filled-in sheet can have, with its cell and message."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from nextbatch.core import Run, Study
from nextbatch.core.commands import History
from nextbatch.io.importing import ImportPreview, ImportRefusedError, preview_import
from nextbatch.io.runsheet import export_run_sheet
from nextbatch.io.study_file import load_study
from nextbatch.io.tables import ImportProblem
from nextbatch.resources import example_path


def planned_study() -> Study:
    """The shaving-cream example with a second batch of three planned runs."""
    study = load_study(example_path("shaving-cream"))
    for run_id, base in zip(study.new_run_ids(2, 3), study.runs[:3], strict=True):
        study.runs.append(Run(run_id, batch=2, status="planned", source="suggested",
                              settings=dict(base.settings)))
    return study


def filled(study: Study, tmp_path: Path, cells: dict[tuple[str, str], Any],
           name: str = "filled.xlsx") -> Path:
    """Export the planned runs, then type `cells` ({(run ID, header): value}) into the sheet."""
    sheet = export_run_sheet(study, tmp_path / "sheet.xlsx")
    wb = openpyxl.load_workbook(sheet)
    ws = wb["Runs"]
    headers = [c.value for c in ws[1]]
    rows = {ws.cell(r, 1).value: r for r in range(2, ws.max_row + 1)}
    for (run_id, header), value in cells.items():
        if run_id not in rows:
            rows[run_id] = ws.max_row + 1
            ws.cell(rows[run_id], 1).value = run_id or None
        ws.cell(rows[run_id], headers.index(header) + 1).value = value
    out = tmp_path / name
    wb.save(out)
    return out


def only(preview: ImportPreview, severity: str = "error") -> ImportProblem:
    found = [p for p in preview.problems if p.severity == severity]
    assert len(found) == 1, [str(p) for p in preview.problems]
    return found[0]


def test_results_mark_runs_done_and_apply_as_one_undoable_command(tmp_path: Path) -> None:
    study = planned_study()
    before = copy.deepcopy(study.to_dict())
    path = filled(study, tmp_path, {("B02-01", "Foam height [mm]"): 44.5,
                                    ("B02-01", "Viscosity [cP]"): 5100,
                                    ("B02-02", "Foam height [mm]"): 38})
    preview = preview_import(study, path)
    assert preview.is_clean and preview.from_run_sheet
    assert [u.run_id for u in preview.runs_updated] == ["B02-01", "B02-02"]
    assert study.to_dict() == before  # a preview changes nothing
    history = History(study)
    command = preview.as_command()
    assert command.label == "Import results from filled.xlsx"
    history.do(command)
    first, second, third = (study.run(i) for i in ("B02-01", "B02-02", "B02-03"))
    assert first.results == {"foam_height": 44.5, "viscosity": 5100}
    assert first.status == "done" and first.measured
    assert second.results == {"foam_height": 38} and second.status == "done"
    assert third.status == "planned" and not third.results
    history.undo()
    assert study.to_dict() == before


def test_failed_and_skipped_are_understood_and_partial_results_kept(tmp_path: Path) -> None:
    study = planned_study()
    study.run("B02-01").results = {"ph": 9.0}
    path = filled(study, tmp_path, {("B02-01", "Status"): "Failed",
                                    ("B02-01", "Foam height [mm]"): 12,
                                    ("B02-02", "Status"): "skipped "})
    preview = preview_import(study, path)
    preview.as_command().apply(study)
    assert study.run("B02-01").status == "failed"
    assert study.run("B02-01").results == {"ph": 9.0, "foam_height": 12}
    assert study.run("B02-02").status == "skipped"


def test_a_result_that_is_not_a_number_names_its_cell(tmp_path: Path) -> None:
    study = planned_study()
    path = filled(study, tmp_path, {("B02-02", "Foam height [mm]"): "tall"})
    preview = preview_import(study, path)
    problem = only(preview)
    assert (problem.sheet, problem.row, problem.header, problem.value) == (
        "Runs", 3, "Foam height [mm]", "tall")
    assert problem.column == column_of(path, "Foam height [mm]")
    assert "expected a number (in mm)" in str(problem)
    assert str(problem).startswith(f"error: Runs!{problem.column}3 (Foam height [mm])")
    with pytest.raises(ImportRefusedError, match="1 error; nothing was imported"):
        preview.as_command()


def column_of(path: Path, header: str) -> str:
    ws = openpyxl.load_workbook(path)["Runs"]
    return next(c.column_letter for c in ws[1] if c.value == header)


@pytest.mark.parametrize("code", ["#N/A", "#DIV/0!", "#VALUE!"])
def test_excel_error_cells_are_reported_with_their_cell(tmp_path: Path, code: str) -> None:
    study = planned_study()
    path = filled(study, tmp_path, {("B02-03", "Viscosity [cP]"): code})
    problem = only(preview_import(study, path))
    assert problem.row == 4 and problem.header == "Viscosity [cP]"
    assert f"found {code} (an Excel error value)" in str(problem)


def test_a_formula_without_a_saved_result_is_reported(tmp_path: Path) -> None:
    study = planned_study()
    path = filled(study, tmp_path, {("B02-01", "pH"): "=4+5"})
    problem = only(preview_import(study, path))
    assert problem.header == "pH" and problem.row == 2
    assert "=4+5 (a formula with no saved result)" in str(problem)


def test_an_unknown_or_repeated_run_id_is_an_error(tmp_path: Path) -> None:
    study = planned_study()
    path = filled(study, tmp_path, {("B09-01", "Foam height [mm]"): 40})
    problem = only(preview_import(study, path))
    assert problem.value == "B09-01" and problem.column == "A"
    assert "no run has this ID" in problem.expected

    wb = openpyxl.load_workbook(filled(study, tmp_path, {}))
    ws = wb["Runs"]
    ws.cell(4, 1).value = "B02-01"
    wb.save(tmp_path / "twice.xlsx")
    problem = only(preview_import(study, tmp_path / "twice.xlsx"))
    assert (problem.row, problem.value) == (4, "B02-01")
    assert "each run ID once; row 2 has it too" in str(problem)


def test_a_status_word_outside_the_list_is_an_error(tmp_path: Path) -> None:
    study = planned_study()
    path = filled(study, tmp_path, {("B02-01", "Status"): "finished"})
    problem = only(preview_import(study, path))
    assert problem.value == "finished" and problem.header == "Status"
    assert "done, failed, skipped or planned" in problem.expected


def test_an_edited_planned_setting_is_a_conflict_and_its_row_is_held_back(
        tmp_path: Path) -> None:
    study = planned_study()
    planned = study.run("B02-02").settings["stearic_acid"]
    path = filled(study, tmp_path, {("B02-02", "Stearic acid [%]"): planned + 1,
                                    ("B02-02", "Foam height [mm]"): 50,
                                    ("B02-01", "Foam height [mm]"): 41})
    preview = preview_import(study, path)
    [conflict] = preview.conflicts
    assert (conflict.run_id, conflict.study_value) == ("B02-02", planned)
    assert conflict.sheet_value == pytest.approx(planned + 1)
    warning = only(preview, "warning")
    assert "the row is not imported" in warning.expected and "Actual" in warning.expected
    assert [u.run_id for u in preview.runs_updated] == ["B02-01"]
    with pytest.raises(ImportRefusedError, match="accept the warnings"):
        preview.as_command()
    preview.as_command(accept_warnings=True).apply(study)
    assert study.run("B02-01").results == {"foam_height": 41}
    assert study.run("B02-02").status == "planned" and not study.run("B02-02").results


def test_actual_columns_fill_the_actual_settings(tmp_path: Path) -> None:
    study = planned_study()
    sheet = export_run_sheet(study, tmp_path / "sheet.xlsx")
    wb = openpyxl.load_workbook(sheet)
    ws = wb["Runs"]
    ws.cell(1, ws.max_column + 1).value = "Actual Stearic acid [%]"
    ws.cell(1, ws.max_column + 1).value = "actual emulsifier"
    ws.cell(2, ws.max_column - 1).value = 13.4
    ws.cell(2, ws.max_column).value = "LECITHIN"
    wb.save(tmp_path / "actual.xlsx")
    preview = preview_import(study, tmp_path / "actual.xlsx")
    assert preview.is_clean
    preview.as_command().apply(study)
    assert study.run("B02-01").actual == {"stearic_acid": 13.4, "emulsifier": "lecithin"}


def test_a_sheet_of_another_study_is_refused_by_name(tmp_path: Path) -> None:
    brewing = load_study(example_path("brewing"))
    brewing.runs[-1].status = "planned"
    sheet = export_run_sheet(brewing, tmp_path / "brew.xlsx")
    preview = preview_import(planned_study(), sheet)
    problem = only(preview)
    assert preview.is_empty and not preview.unmatched  # its rows are not even read
    assert problem.value == "House pale ale"
    assert "this sheet belongs to the study 'House pale ale'" in str(problem)
    assert "'Shaving cream base'" in str(problem)


def test_changed_definitions_since_export_are_a_warning(tmp_path: Path) -> None:
    study = planned_study()
    path = filled(study, tmp_path, {("B02-01", "Foam height [mm]"): 40})
    study.response("foam_height").high = 70
    warning = only(preview_import(study, path), "warning")
    assert "changed since it was exported" in warning.expected


def test_a_row_without_an_id_becomes_a_new_imported_run(tmp_path: Path) -> None:
    study = planned_study()
    settings = dict(study.runs[0].settings)
    cells = {("", "Foam height [mm]"): 47, ("", "Emulsifier"): settings["emulsifier"]}
    for v in study.variables:
        if v.kind != "categorical":
            cells[("", v.header)] = settings[v.name]
    preview = preview_import(study, filled(study, tmp_path, cells))
    assert preview.is_clean, [str(p) for p in preview.problems]
    [run] = preview.runs_added
    assert (run.id, run.batch, run.source, run.status) == ("B03-01", 3, "imported", "done")
    assert run.settings == settings and run.results == {"foam_height": 47}
    preview.as_command().apply(study)
    assert study.run("B03-01").measured


def test_a_new_row_needs_every_setting_and_known_levels(tmp_path: Path) -> None:
    study = planned_study()
    path = filled(study, tmp_path, {("", "Foam height [mm]"): 47, ("", "Water (deionized) [%]"): 70,
                                    ("", "Emulsifier"): "beeswax"})
    preview = preview_import(study, path)
    messages = [str(p) for p in preview.errors]
    assert any("found 'beeswax'" in m and "one of the levels" in m for m in messages)
    assert any("a value for Stearic acid" in m for m in messages)
    assert preview.runs_added  # shown in the preview, refused as a whole
    with pytest.raises(ImportRefusedError):
        preview.as_command()


def test_a_new_row_outside_todays_bounds_is_a_warning(tmp_path: Path) -> None:
    study = planned_study()
    cells = {("", v.header): study.runs[0].settings[v.name] for v in study.variables}
    cells[("", "Glycerin [%]")] = 12
    bound, total = preview_import(study, filled(study, tmp_path, cells)).problems
    assert (bound.severity, bound.header, bound.value) == ("warning", "Glycerin [%]", 12)
    assert "glycerin = 12 % is above the upper bound 10 % by 2" in bound.expected
    assert (total.severity, total.row, total.column) == ("warning", 6, "")
    assert "mixture base adds up to 106 %" in str(total)


def test_a_result_that_replaces_an_earlier_one_is_a_warning(tmp_path: Path) -> None:
    study = planned_study()
    study.run("B02-01").results = {"foam_height": 30.0}
    study.run("B02-01").status = "done"
    path = filled(study, tmp_path, {("B02-01", "Foam height [mm]"): 31})
    warning = only(preview_import(study, path), "warning")
    assert "already holds 30" in warning.expected
    same = filled(study, tmp_path, {("B02-01", "Foam height [mm]"): 30}, "same.xlsx")
    assert preview_import(study, same).is_empty  # importing the same values twice is a no-op


def test_done_without_results_is_a_warning(tmp_path: Path) -> None:
    study = planned_study()
    path = filled(study, tmp_path, {("B02-03", "Status"): "done"})
    warning = only(preview_import(study, path), "warning")
    assert warning.header == "Status" and "none were typed" in warning.expected


def test_not_measured_marks_count_as_empty(tmp_path: Path) -> None:
    study = planned_study()
    path = filled(study, tmp_path, {("B02-01", "pH"): "n/a", ("B02-01", "Foam height [mm]"): 40})
    preview = preview_import(study, path)
    assert preview.is_clean
    assert preview.runs_updated[0].results == {"foam_height": 40}


def test_nothing_new_is_refused_as_a_command(tmp_path: Path) -> None:
    study = planned_study()
    preview = preview_import(study, filled(study, tmp_path, {}))
    assert preview.is_clean and preview.is_empty
    with pytest.raises(ImportRefusedError, match="nothing new"):
        preview.as_command()


def test_a_unit_that_differs_is_reported_not_converted(tmp_path: Path) -> None:
    study = planned_study()
    csv = tmp_path / "history.csv"
    csv.write_text("Run ID,Foam height (cm)\nB02-01,4.1\n", encoding="utf-8")
    problem = only(preview_import(study, csv))
    assert (problem.row, problem.column, problem.value) == (1, "B", "Foam height (cm)")
    assert "'mm'" in problem.expected and "'cm'" in problem.expected
    mapped = preview_import(study, csv, {"Foam height (cm)": "foam_height"})
    assert not mapped.errors and mapped.warnings  # explicit: imported, still pointed out


def test_unmatched_columns_are_listed_without_blocking(tmp_path: Path) -> None:
    study = planned_study()
    csv = tmp_path / "history.csv"
    csv.write_text("Run ID,Operator,Foam height\nB02-01,Anna,40\n", encoding="utf-8")
    preview = preview_import(study, csv)
    assert preview.is_clean and preview.unmatched == ["Operator"]
    assert "columns not imported: Operator" in "\n".join(preview.report_lines())


def test_historical_data_without_ids_is_added_as_a_batch(tmp_path: Path) -> None:
    study = planned_study()
    header = [v.header for v in study.variables] + ["Foam height (mm)", "Batch"]
    rows = []
    for i, base in enumerate(study.runs[3:6]):
        rows.append([str(base.settings[v.name]) for v in study.variables] + [f"{40 + i},5", "7"])
    csv = tmp_path / "old.csv"
    csv.write_text("\n".join(";".join(r) for r in [header, *rows]), encoding="utf-8")
    preview = preview_import(study, csv)
    assert preview.is_clean, [str(p) for p in preview.problems]
    assert [r.id for r in preview.runs_added] == ["B07-01", "B07-02", "B07-03"]
    assert [r.results["foam_height"] for r in preview.runs_added] == [40.5, 41.5, 42.5]
    assert preview.as_command().label == "Import runs from old.csv"


def test_reimporting_an_exported_sheet_of_done_runs_changes_nothing(tmp_path: Path) -> None:
    study = planned_study()
    study.runs[0].results["foam_height"] = (41.2 + 41.3 + 41.3) / 3  # 17 digits; Excel keeps 15
    sheet = export_run_sheet(study, tmp_path / "all.xlsx", runs=study.runs)
    preview = preview_import(study, sheet)
    assert preview.is_clean and preview.is_empty


def test_a_title_line_above_the_header_is_skipped(tmp_path: Path) -> None:
    study = planned_study()
    csv = tmp_path / "labbook.csv"
    csv.write_text("Lab book, spring 2026\n\nRun ID,Foam height (mm)\nB02-01,39.5\n",
                   encoding="utf-8")
    preview = preview_import(study, csv)
    assert preview.is_clean and not preview.unmatched
    assert preview.runs_updated[0].results == {"foam_height": 39.5}
    assert preview.runs_updated[0].row == 4
