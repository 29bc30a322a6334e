"""The command line of the Excel round trip: suggest, export, import; exit codes and messages."""

from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
import pytest
from nextbatch.cli import main
from nextbatch.io.study_file import load_study, save_study
from nextbatch.resources import example_path


@pytest.fixture(scope="module")
def planned_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A results-free shaving-cream study after `suggest --save`: three planned runs."""
    folder = tmp_path_factory.mktemp("cli")
    study = load_study(example_path("shaving-cream"))
    study.runs.clear()
    study.origin = None
    path = folder / "cream.nbx"
    save_study(study, path, force=True)
    assert main(["suggest", str(path), "--batch", "3", "--seed", "2", "--save"]) == 0
    return path


@pytest.fixture
def study_file(planned_file: Path, tmp_path: Path) -> Path:
    return Path(shutil.copy(planned_file, tmp_path / "cream.nbx"))


def filled_sheet(study_file: Path, tmp_path: Path, cells: dict[str, object]) -> Path:
    out = tmp_path / "sheet.xlsx"
    assert main(["export", str(study_file), str(out)]) == 0
    wb = openpyxl.load_workbook(out)
    for ref, value in cells.items():
        wb["Runs"][ref] = value
    wb.save(out)
    return out


def test_suggest_prints_the_recipes_with_units_predictions_and_reasons(
        planned_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = planned_file.read_bytes()
    xlsx, csv = tmp_path / "next.xlsx", tmp_path / "next.csv"
    code = main(["suggest", str(planned_file), "--batch", "2", "--seed", "5", "--xlsx",
                 str(xlsx), "--csv", str(csv)])
    out, err = capsys.readouterr()
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "Shaving cream base: 2 suggested recipes for batch 2 (seed 5)"
    assert lines[1].startswith("Run ID  Water (deionized) [%]  Stearic acid [%]")
    assert lines[2].startswith("B02-01") and lines[3].startswith("B02-02")
    assert "Foam height [mm]" in lines[1] and "B02-01: " in out
    assert xlsx.exists() and csv.exists()
    assert "add --save" in err
    assert planned_file.read_bytes() == before  # without --save the study is untouched


def test_suggest_save_adds_planned_suggested_runs(planned_file: Path) -> None:
    study = load_study(planned_file)
    assert [(r.id, r.status, r.source) for r in study.runs] == [
        ("B01-01", "planned", "suggested"), ("B01-02", "planned", "suggested"),
        ("B01-03", "planned", "suggested")]
    assert all(study.check_recipe(r.settings) == [] for r in study.runs)


def test_export_chooses_runs(study_file: Path, tmp_path: Path,
                             capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", str(study_file), str(tmp_path / "b.xlsx"), "--batch", "1"]) == 0
    assert "wrote " in capsys.readouterr().out
    rows = list(openpyxl.load_workbook(tmp_path / "b.xlsx")["Runs"].iter_rows(values_only=True))
    assert [r[0] for r in rows] == ["Run ID", "B01-01", "B01-02", "B01-03", "Total"]
    assert main(["export", str(study_file), str(tmp_path / "p.csv"), "--planned"]) == 0
    assert main(["export", str(study_file), str(tmp_path / "x.xlsx"), "--batch", "4"]) == 1
    assert "has no batch 4 to export (batches: 1)" in capsys.readouterr().err
    assert main(["export", str(study_file), str(tmp_path / "x.ods")]) == 2
    assert "expected a file name ending in .xlsx or .csv" in capsys.readouterr().err
    assert main(["export", str(study_file), "x.csv", "--planned", "--all"]) == 2


def test_import_dry_run_then_for_real(study_file: Path, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    sheet = filled_sheet(study_file, tmp_path, {"R2": 44.5, "S2": 5100, "T2": 9.0,
                                                "U3": "failed"})
    before = study_file.read_bytes()
    capsys.readouterr()
    assert main(["import", str(study_file), str(sheet), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == ("sheet.xlsx (Runs): 2 runs updated, 0 runs added, "
                                   "0 conflicts, 0 errors, 0 warnings")
    assert "B01-01  done, foam_height 44.5, viscosity 5100, ph 9" in out
    assert "dry run" in out and study_file.read_bytes() == before
    assert main(["import", str(study_file), str(sheet)]) == 0
    study = load_study(study_file)
    assert study.run("B01-01").results == {"foam_height": 44.5, "viscosity": 5100, "ph": 9.0}
    assert study.run("B01-02").status == "failed"
    assert main(["import", str(study_file), str(sheet)]) == 0
    assert "nothing new to import" in capsys.readouterr().out


def test_an_import_with_errors_exits_1_and_leaves_the_file(study_file: Path, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]
                                                           ) -> None:
    sheet = filled_sheet(study_file, tmp_path, {"R2": 44.5, "R3": "high"})
    before = study_file.read_bytes()
    assert main(["import", str(study_file), str(sheet)]) == 1
    out, err = capsys.readouterr()
    assert "error: Runs!R3 (Foam height [mm]): found 'high'; expected a number (in mm)" in out
    assert "nothing imported" in out and "Traceback" not in out + err
    assert study_file.read_bytes() == before


def test_warnings_need_accepting(study_file: Path, tmp_path: Path,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    sheet = filled_sheet(study_file, tmp_path, {"R2": 44.5, "R3": 40, "F3": 0.5})
    assert main(["import", str(study_file), str(sheet)]) == 1
    assert "add --accept-warnings" in capsys.readouterr().out
    assert main(["import", str(study_file), str(sheet), "--accept-warnings"]) == 0
    study = load_study(study_file)
    assert study.run("B01-01").results == {"foam_height": 44.5}
    assert not study.run("B01-02").results  # the conflicting row was held back


def test_import_with_an_explicit_mapping(study_file: Path, tmp_path: Path) -> None:
    table = tmp_path / "labbook.csv"
    table.write_text("Probe;Schaum\nB01-03;38,5\n", encoding="utf-8")
    assert main(["import", str(study_file), str(table), "--map", "Probe=Run ID",
                 "--map", "Schaum=foam_height"]) == 0
    assert load_study(study_file).run("B01-03").results == {"foam_height": 38.5}


@pytest.mark.parametrize(("args", "message"), [
    (["old.xls"], "save it as .xlsx"),
    (["missing.csv"], "no such file"),
    (["t.csv", "--map", "Schaum"], "expected COLUMN=NAME"),
])
def test_file_and_usage_errors_exit_2(study_file: Path, tmp_path: Path, args: list[str],
                                      message: str, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0" + bytes(64))
    (tmp_path / "t.csv").write_text("Run ID\n", encoding="utf-8")
    argv = ["import", str(study_file), str(tmp_path / args[0]), *args[1:]]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_suggest_refuses_a_study_with_errors(study_file: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    study = load_study(study_file)
    study.variables[0].low, study.variables[0].high = 90, 10
    save_study(study, study_file)
    before = study_file.read_bytes()
    assert main(["suggest", str(study_file), "--save"]) == 1
    out = capsys.readouterr().out
    assert "nothing suggested: fix these first" in out and "variables[0]" in out
    assert study_file.read_bytes() == before
