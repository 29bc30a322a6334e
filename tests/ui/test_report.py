"""The PDF report and `nextbatch report`: a valid PDF, one page per part, the study's name."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from nextbatch.cli import main
from nextbatch.core.runs import Run
from nextbatch.io.study_file import load_study, save_study
from nextbatch.resources import example_path
from nextbatch.ui.report import page_count, write_report

# definition, runs, model check, what matters, progress, best recipe: one page each
FIXED_PAGES = 6


def expected_pages(study: Any, planned: bool = False) -> int:
    """One page per fixed part, one of effects per measured optimized response, one for the
    next batch."""
    measured = {name for run in study.runs for name in run.results}
    effects = sum(1 for r in study.responses if r.is_optimized and r.name in measured)
    return FIXED_PAGES + effects + int(planned)


def _title_in(data: bytes, name: str) -> bool:
    """Qt writes the document title as UTF-16 with a byte-order mark."""
    return ("\ufeff" + name).encode("utf-16-be") in data


@pytest.mark.parametrize("example", ["shaving-cream", "brewing"])
def test_the_report_is_a_pdf_with_a_page_per_part(qapp: Any, tmp_path: Path,
                                                  example: str) -> None:
    study = load_study(example_path(example))
    out = tmp_path / "report.pdf"
    pages = write_report(study, out)
    data = out.read_bytes()
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    assert pages == page_count(out) == expected_pages(study)
    assert _title_in(data, study.name)
    assert b"/Subtype /Image" in data  # the pictures are in it


def test_planned_runs_add_the_next_batch_page(qapp: Any, tmp_path: Path) -> None:
    study = load_study(example_path("brewing"))
    done = study.runs[0]
    batch = study.next_batch_number()
    study.runs.append(Run(study.new_run_ids(batch, 1)[0], batch=batch, status="planned",
                          source="suggested", settings=dict(done.settings),
                          predicted={"abv": (5.2, 0.1)}))
    out = tmp_path / "planned.pdf"
    assert write_report(study, out) == expected_pages(study, planned=True)


def test_page_count_counts_pages_not_the_page_tree(tmp_path: Path) -> None:
    pdf = tmp_path / "two.pdf"
    pdf.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Pages /Kids [2 0 R 3 0 R] >>\n"
                    b"2 0 obj << /Type /Page >>\n3 0 obj <</Type/Page/Parent 1 0 R>>\n%%EOF")
    assert page_count(pdf) == 2


def test_cli_report_writes_the_file(qapp: Any, tmp_path: Path, capsys: Any) -> None:
    study = tmp_path / "ale.nbx"
    save_study(load_study(example_path("brewing")), study, force=True)
    out = tmp_path / "ale.pdf"
    assert main(["report", str(study), str(out)]) == 0
    assert out.read_bytes().startswith(b"%PDF-")
    printed = capsys.readouterr().out
    assert "ale.pdf" in printed and "9 pages" in printed and "House pale ale" in printed


def test_cli_report_of_a_missing_study_is_a_usage_error(qapp: Any, tmp_path: Path,
                                                        capsys: Any) -> None:
    out = tmp_path / "none.pdf"
    assert main(["report", str(tmp_path / "missing.nbx"), str(out)]) == 2
    assert "missing.nbx: no such file" in capsys.readouterr().err
    assert not out.exists()


def test_cli_report_wants_a_pdf_name(qapp: Any, tmp_path: Path, capsys: Any) -> None:
    assert main(["report", str(example_path("brewing")), str(tmp_path / "r.docx")]) == 2
    assert ".pdf" in capsys.readouterr().err


def test_cli_report_refuses_a_study_with_errors(qapp: Any, tmp_path: Path,
                                                capsys: Any) -> None:
    broken = load_study(example_path("brewing"))
    broken.variables[0].low, broken.variables[0].high = 70, 60
    path = tmp_path / "broken.nbx"
    save_study(broken, path, force=True)
    out = tmp_path / "broken.pdf"
    assert main(["report", str(path), str(out)]) == 1
    assert "no report" in capsys.readouterr().out
    assert not out.exists()


def test_a_study_without_results_still_gets_its_report(qapp: Any, tmp_path: Path) -> None:
    study = load_study(example_path("shaving-cream"))
    study.runs.clear()
    out = tmp_path / "empty.pdf"
    assert write_report(study, out) == expected_pages(study) == FIXED_PAGES
