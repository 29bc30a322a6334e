"""The exported run sheet: what the lab sees, prints and fills in."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from nextbatch import __version__
from nextbatch.core import Mixture, Run, Study, Variable
from nextbatch.io.runsheet import (
    ExportError,
    default_runs,
    export_run_sheet,
    fingerprint,
    rounded,
    write_runs_csv,
)
from nextbatch.io.study_file import load_study
from nextbatch.io.weighout import weigh_out
from nextbatch.resources import example_path


def planned_study() -> Study:
    """The shaving-cream example plus two planned runs with float noise in their settings."""
    study = load_study(example_path("shaving-cream"))
    noisy = {"water": 71.30000000000001, "stearic_acid": 14.299999999999997, "glycerin": 6.0,
             "koh": 3.1000000000000005, "coconut_oil": 5.3, "mixing_time": 14.999999999,
             "process_temp": 70.0, "emulsifier": "lecithin"}
    study.runs.append(Run("B02-01", batch=2, source="suggested", settings=noisy,
                          notes="=HYPERLINK(\"http://x\")"))
    study.runs.append(Run("B02-02", batch=2, source="suggested",
                          settings={**noisy, "emulsifier": "+polysorbate"}))
    return study


@pytest.fixture
def sheet(tmp_path: Path) -> Path:
    return export_run_sheet(planned_study(), tmp_path / "batch2.xlsx", seed=7)


def grid(path: Path, name: str = "Runs") -> list[list[object]]:
    ws = openpyxl.load_workbook(path)[name]
    return [[c.value for c in row] for row in ws.iter_rows()]


def test_the_runs_sheet_columns_in_order(sheet: Path) -> None:
    header = grid(sheet)[0]
    assert header == [
        "Run ID", "Batch", "Run order", "Source", "Water (deionized) [%]", "Stearic acid [%]",
        "Glycerin [%]", "Potassium hydroxide (KOH) [%]", "Coconut oil [%]", "Mixing time [min]",
        "Process temperature [°C]", "Emulsifier", "Water (deionized) [g] for 500 g",
        "Stearic acid [g] for 500 g", "Glycerin [g] for 500 g",
        "Potassium hydroxide (KOH) [g] for 500 g", "Coconut oil [g] for 500 g",
        "Foam height [mm]", "Viscosity [cP]", "pH", "Status", "Notes"]


def test_only_the_planned_runs_with_values_free_of_float_noise(sheet: Path) -> None:
    rows = grid(sheet)
    assert [r[:4] for r in rows[1:3]] == [["B02-01", 2, 1, "suggested"],
                                         ["B02-02", 2, 2, "suggested"]]
    assert rows[1][4:12] == [71.3, 14.3, 6, 3.1, 5.3, 15, 70, "lecithin"]
    assert rows[1][17:20] == [None, None, None] and rows[1][20] == "planned"


def test_weigh_out_amounts_and_the_total_row_add_up(sheet: Path) -> None:
    rows = grid(sheet)
    amounts = rows[1][12:17]
    assert amounts == [356.5, 71.5, 30, 15.5, 26.5]
    assert sum(amounts) == pytest.approx(500)
    total = rows[3]
    assert total[0] == "Total"
    assert total[12:17] == [pytest.approx(2 * a) for a in amounts]


@given(st.lists(st.floats(0.01, 60, allow_nan=False), min_size=1, max_size=6),
       st.sampled_from([1, 250, 500, 1000, 20000]))
def test_rounded_weigh_outs_add_up_to_the_rounded_batch(shares: list[float], amount: int
                                                        ) -> None:
    names = [f"c{i}" for i in range(len(shares))]
    total = sum(shares)
    study = Study(variables=[Variable(n, low=0, high=100, mixture="m") for n in names],
                  mixtures=[Mixture("m", total=total, batch_amount=amount, batch_unit="g")])
    out = weigh_out(study, study.mixtures[0], dict(zip(names, shares, strict=True)))
    assert sum(out.values()) == pytest.approx(amount, abs=1e-9 * amount)
    for name, share in zip(names, shares, strict=True):
        assert out[name] == pytest.approx(share / total * amount, abs=2 * 10.0 ** -2 * amount)


def test_result_cells_are_shaded_and_validated_leniently(sheet: Path) -> None:
    ws = openpyxl.load_workbook(sheet)["Runs"]
    assert ws["R2"].fill.fgColor.rgb.endswith("FFF2CC")
    assert ws["A2"].fill.fgColor.rgb != ws["R2"].fill.fgColor.rgb
    rules = {str(dv.sqref): dv for dv in ws.data_validations.dataValidation}
    foam = rules["R2:R3"]
    assert (foam.type, foam.errorStyle, foam.formula1, foam.formula2) == (
        "decimal", "warning", "-20", "100")
    assert "expected between 20 and 60 mm" in foam.error
    assert rules["U2:U3"].formula1 == '"done,failed,skipped,planned"'
    levels = rules["L2:L3"].formula1
    meta = openpyxl.load_workbook(sheet)["Meta"]
    assert [c.value for c in meta[levels.split("!")[1].replace("$", "")][0]] == [
        "polysorbate 80", "glyceryl stearate SE", "lecithin"]


def test_header_frozen_widths_fitted_and_printable(sheet: Path) -> None:
    ws = openpyxl.load_workbook(sheet)["Runs"]
    assert ws.freeze_panes == "B2"
    assert ws.column_dimensions["E"].width >= len("Water (deionized) [%]")
    assert ws.page_setup.orientation == "landscape"


def test_the_about_sheet_says_what_and_how(sheet: Path) -> None:
    text = "\n".join(str(v) for row in grid(sheet, "About") for v in row if v is not None)
    for expected in ("Shaving cream base", "Batch\n2", f"NextBatch version\n{__version__}",
                     "Random seed\n7", "shaded", "write failed in Status",
                     "Foam height [mm]\nResult to type in", "Run ID\nStable ID"):
        assert expected in text


def test_the_hidden_meta_sheet_identifies_the_study(sheet: Path) -> None:
    wb = openpyxl.load_workbook(sheet)
    assert wb["Meta"].sheet_state == "hidden" and wb.sheetnames == ["Runs", "About", "Meta"]
    meta = {row[0]: row[1:] for row in grid(sheet, "Meta")}
    study = planned_study()
    assert meta["study"][0] == "Shaving cream base"
    assert meta["identity"][0] == fingerprint(study)
    assert meta["runs"][0] == "B02-01 B02-02"
    defs = json.loads("".join(v for v in meta["definitions"] if v))
    assert [v["name"] for v in defs["variables"]] == [v.name for v in study.variables]


def test_the_fingerprint_follows_definitions_not_runs() -> None:
    study = planned_study()
    before = fingerprint(study)
    study.runs.clear()
    assert fingerprint(study) == before
    study.variables[0].high = 81
    assert fingerprint(study) != before


def test_text_that_looks_like_a_formula_is_written_as_text(sheet: Path) -> None:
    with zipfile.ZipFile(sheet) as z:
        xml = z.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml
    ws = openpyxl.load_workbook(sheet)["Runs"]
    assert ws["V2"].value == '=HYPERLINK("http://x")' and ws["V2"].data_type == "s"
    assert ws["L3"].value == "+polysorbate" and ws["L3"].data_type == "s"


def test_csv_export_is_the_same_table_guarded_with_a_bom(tmp_path: Path, sheet: Path) -> None:
    path = write_runs_csv(planned_study(), tmp_path / "batch2.csv")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    assert rows[0] == grid(sheet)[0]
    assert len(rows) == 3  # header and two runs: no total row in CSV
    assert rows[1][4:12] == ["71.3", "14.3", "6", "3.1", "5.3", "15", "70", "lecithin"]
    assert rows[1][-1] == "'=HYPERLINK(\"http://x\")" and rows[2][11] == "'+polysorbate"


def test_export_picks_the_file_type_by_extension(tmp_path: Path) -> None:
    study = planned_study()
    export_run_sheet(study, tmp_path / "runs.CSV")
    assert (tmp_path / "runs.CSV").read_bytes().startswith(b"\xef\xbb\xbf")
    with pytest.raises(ExportError, match=r"runs.ods: cannot write .ods"):
        export_run_sheet(study, tmp_path / "runs.ods")


def test_default_runs_are_the_planned_else_the_last_batch() -> None:
    study = planned_study()
    assert [r.id for r in default_runs(study)] == ["B02-01", "B02-02"]
    for r in study.runs:
        r.status = "done"
    assert [r.id for r in default_runs(study)] == ["B02-01", "B02-02"]
    study.runs = study.runs[:8]
    assert [r.id for r in default_runs(study)] == [f"B01-0{i}" for i in range(1, 9)]


def test_nothing_to_export_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="'Empty' has no runs to export"):
        export_run_sheet(Study(name="Empty"), tmp_path / "x.xlsx")


@pytest.mark.parametrize(("variable", "value", "expected"), [
    (Variable("a", "continuous", 0, 100, resolution=0.1), 9.100000000000001, 9.1),
    (Variable("a", "continuous", 0, 100, resolution=0.25), 3.1, 3.0),
    (Variable("a", "continuous", 0, 1), 0.123456789, 0.1235),
    (Variable("a", "continuous", 0, 20000), 1234.5678, 1235),
    (Variable("a", "integer", 5, 30, step=5), 14.999999, 15),
    (Variable("a", "integer", 0, 1, step=0.05), 0.15000000000000002, 0.15),
    (Variable("a", "discrete", values=[60, 65]), 65.0, 65),
    (Variable("a", "categorical", levels=["x"]), "x", "x"),
])
def test_rounding_to_resolution_and_step(variable: Variable, value: object,
                                         expected: object) -> None:
    assert rounded(variable, value) == expected
    assert len(repr(rounded(variable, value))) < 10


def test_libreoffice_opens_the_exported_workbook(tmp_path: Path, sheet: Path) -> None:
    office = shutil.which("soffice") or shutil.which("libreoffice")
    if office is None:
        pytest.skip("LibreOffice is not installed")
    # Filter options: comma-separated, double quotes, character set 76 = UTF-8.
    to_csv = "csv:Text - txt - csv (StarCalc):44,34,76"
    subprocess.run([office, "--headless", "--convert-to", to_csv, "--outdir", str(tmp_path),
                    str(sheet)],
                   check=True, capture_output=True, timeout=120)
    rows = list(csv.reader((tmp_path / "batch2.csv").read_text("utf-8").splitlines()))
    assert rows[0][0] == "Run ID" and rows[1][0] == "B02-01"


def test_the_design_example_exports_its_last_batch_with_results(design_study: Study,
                                                                 tmp_path: Path) -> None:
    sheet = export_run_sheet(design_study, tmp_path / "design.xlsx")
    header, run, total = grid(sheet)
    assert header[10:13] == ["water [g] for 500 g", "Stearic acid [g] for 500 g",
                             "koh [g] for 500 g"]
    # 72.4 % + 9.1 % + 2.5 % of 500 g: the mixture stops at 84 %, so do the amounts
    assert run[10:13] == [362, 45.5, 12.5] and total[10:13] == [362, 45.5, 12.5]
    assert run[13:17] == [41.2, 4300, 9.1, "done"]
