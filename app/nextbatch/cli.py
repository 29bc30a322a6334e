"""The `nextbatch` command: open, check or start a study; suggest, export, import run sheets.

Each subcommand is a pair of small functions — one adds its arguments to the parser, one runs
it and returns the exit status — registered in `SUBCOMMANDS`. Exit status: 0 fine, 1 the study
is bad, 2 usage or file errors, 70 a bug in NextBatch. Errors are a few lines a person can act
on, never a traceback.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from nextbatch import __version__
from nextbatch.core.errors import NextBatchError, Problem
from nextbatch.core.runs import Run
from nextbatch.core.study import Study
from nextbatch.io.study_file import load_study, save_study
from nextbatch.resources import example_names, example_path

EXIT_OK, EXIT_BAD_STUDY, EXIT_USAGE, EXIT_BUG = 0, 1, 2, 70


class UsageError(Exception):
    """A command line or file the user must fix (exit status 2)."""


# ------------------------------------------------------------------------------ summary
def _count(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else plural or word + 's'}"


def summary_line(file_name: str, study: Study, problems: Sequence[Problem]) -> str:
    """One line: what the study holds and whether anything is wrong with it."""
    measured = sum(1 for r in study.runs if r.has_results())
    parts = [
        _count(len(study.variables), "variable"),
        _count(len(study.mixtures), "mixture"),
        _count(len(study.constraints), "rule"),
        _count(len(study.responses), "response"),
        f"{_count(len(study.runs), 'run')} ({measured} measured)",
    ]
    errors = sum(1 for p in problems if p.severity == "error")
    warnings = len(problems) - errors
    verdict = ", ".join(
        part for part in (_count(errors, "error") if errors else "",
                          _count(warnings, "warning") if warnings else "") if part
    ) or "no problems"
    return f"{file_name}: {', '.join(parts)} — {verdict}"


def _load(path: Path) -> Study:
    """Load a study, turning a missing file into a usage error (exit 2)."""
    if not path.exists():
        raise UsageError(f"{path}: no such file")
    if path.is_dir():
        raise UsageError(f"{path}: is a folder, not a study file")
    return load_study(path)


# ----------------------------------------------------------------------------- commands
def _add_check(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("check", help="check a study file and list every problem",
                       description="Check a study file: exit 0 with a one-line summary, or "
                                   "list every problem (one per line) and exit 1.")
    p.add_argument("file", type=Path, help="the .nbx study file")
    p.add_argument("--model", action="store_true",
                   help="also check the model of each response: how well it predicts runs "
                        "it has not seen (leave-one-out R², typical error, verdict)")


def _run_check(args: argparse.Namespace) -> int:
    study = _load(args.file)
    problems = study.problems()
    print(summary_line(args.file.name, study, problems))
    for problem in problems:
        print(f"  {problem}")
    bad = any(p.severity == "error" for p in problems)
    if args.model:
        if bad:
            print("model check: not possible until the errors above are fixed")
        else:
            for line in model_check_lines(study):
                print(line)
    return EXIT_BAD_STUDY if bad else EXIT_OK


def model_check_lines(study: Study) -> list[str]:
    """The model check per response: R² (Q²), typical error with unit, verdict, advice."""
    from nextbatch.optim.insights import model_check
    from nextbatch.optim.model_check import error_text

    lines = ["model check (each run predicted from the others):"]
    for name, check in model_check(study).items():
        response = study.response(name)
        q2 = "-" if check.q2 is None else f"{check.q2:.2f}"
        error = ("-" if check.typical_error is None
                 else error_text(check.typical_error, response.unit))
        lines.append(f"  {response.header}: R² (Q²) {q2}, typical error {error}, "
                     f"{_count(check.n_runs, 'run')} — {check.verdict}. {check.advice}")
    return lines


def _add_new(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("new", help="start a study file from a bundled example",
                       description="Write a new study file, copied from an example.")
    p.add_argument("--example", required=True, choices=example_names(),
                   help="which example to start from")
    p.add_argument("file", type=Path, help="the .nbx file to create")
    p.add_argument("--force", action="store_true", help="overwrite FILE if it exists")


def _run_new(args: argparse.Namespace) -> int:
    if not args.file.parent.is_dir():
        raise UsageError(f"{args.file.parent}: no such folder")
    if args.file.exists() and not args.force:
        raise UsageError(f"{args.file} already exists; choose another name or add --force "
                         "to overwrite it (the old file is kept as .bak)")
    study = load_study(example_path(args.example))
    study.origin = None
    save_study(study, args.file, force=True)
    print(f"created {args.file} from the {args.example} example: "
          f"{summary_line(args.file.name, study, study.problems())}")
    return EXIT_OK


# ---------------------------------------------------------------- the Excel round trip
def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of 1 or more")
    return value


def _sheet_path(text: str, suffixes: tuple[str, ...] = (".xlsx", ".csv")) -> Path:
    path = Path(text)
    if path.suffix.lower() not in suffixes:
        raise argparse.ArgumentTypeError(f"{text}: expected a file name ending in "
                                         + " or ".join(suffixes))
    return path


def _add_suggest(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("suggest", help="suggest the next batch of recipes",
                       description="Suggest the next batch of recipes and print them with "
                                   "their predictions. --save adds them to FILE as planned "
                                   "runs; --xlsx/--csv write the run sheet to fill in.")
    p.add_argument("file", type=Path, help="the .nbx study file")
    p.add_argument("--batch", type=_positive, metavar="N",
                   help="how many recipes (default: the study's batch size)")
    p.add_argument("--seed", type=int, default=0, metavar="S",
                   help="random seed: the same study and seed give the same batch")
    p.add_argument("--save", action="store_true",
                   help="add the recipes to FILE as planned runs of a new batch")
    p.add_argument("--xlsx", type=lambda t: _sheet_path(t, (".xlsx",)), metavar="OUT",
                   help="write the run sheet as an Excel workbook")
    p.add_argument("--csv", type=lambda t: _sheet_path(t, (".csv",)), metavar="OUT",
                   help="write the run sheet as CSV")


def _has_errors(path: Path, study: Study, refusal: str) -> bool:
    """Print the study's errors and what was refused because of them; True if there were any."""
    errors = study.errors()
    if errors:
        print(summary_line(path.name, study, errors))
        for problem in errors:
            print(f"  {problem}")
        print(f"{refusal}: fix these first (nextbatch check lists them all)")
    return bool(errors)


def _run_suggest(args: argparse.Namespace) -> int:
    from nextbatch.core.commands import AddRuns, History
    from nextbatch.core.runs import now_iso
    from nextbatch.io.runsheet import export_run_sheet
    from nextbatch.optim import suggest

    study = _load(args.file)
    if _has_errors(args.file, study, "nothing suggested"):
        return EXIT_BAD_STUDY
    batch = study.next_batch_number()
    suggestions = suggest(study, batch_size=args.batch or study.batch_size, seed=args.seed)
    ids = study.new_run_ids(batch, len(suggestions))
    runs = [Run(run_id, batch=batch, status="planned", source="suggested",
                settings=dict(s.settings), predicted=dict(s.predicted), created=now_iso())
            for run_id, s in zip(ids, suggestions, strict=True)]
    for line in suggestion_lines(study, runs, [s.reason for s in suggestions], args.seed):
        print(line)
    if args.save:
        History(study).do(AddRuns(runs))
        save_study(study, args.file)
        print(f"saved {len(runs)} planned runs of batch {batch} to {args.file}")
    elif args.xlsx or args.csv:
        print(f"note: the runs are not in {args.file.name}; add --save so that the filled "
              "sheet can be imported", file=sys.stderr)
    for out in (args.xlsx, args.csv):
        if out is not None:
            export_run_sheet(study, out, runs, seed=args.seed)
            print(f"wrote {out}")
    return EXIT_OK


def suggestion_lines(study: Study, runs: Sequence[Run], reasons: Sequence[str],
                     seed: int) -> list[str]:
    """The suggested recipes as an aligned table (units in the headers), then why each."""
    from nextbatch.io.runsheet import rounded

    header = ["Run ID", *(v.header for v in study.variables),
              *(r.header for r in study.responses)]
    rows = [[run.id, *(_plain(rounded(v, run.settings.get(v.name, ""))) for v in study.variables),
             *(_prediction(run.predicted.get(r.name)) for r in study.responses)]
            for run in runs]
    widths = [max(len(row[j]) for row in [header, *rows]) for j in range(len(header))]
    lines = [f"{study.name}: {_count(len(runs), 'suggested recipe')} for batch "
             f"{runs[0].batch if runs else study.next_batch_number()} (seed {seed})"]
    lines += ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
              for row in [header, *rows]]
    lines += [f"  {run.id}: {reason}" for run, reason in zip(runs, reasons, strict=True)]
    return lines


def _plain(value: object) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def _prediction(value: tuple[float, float] | None) -> str:
    """`52.9 ± 0.4`: the mean to the precision its uncertainty allows."""
    if value is None:
        return "-"
    mean, sd = value
    digits = 1 - math.floor(math.log10(sd)) if sd > 0 and math.isfinite(sd) else 2
    digits = min(6, max(0, digits))
    return f"{mean:.{digits}f} ± {sd:.{digits}f}"


def _add_export(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("export", help="write a run sheet (.xlsx or .csv) to fill in",
                       description="Write the run sheet of some runs: by default the planned "
                                   "runs, else the last batch.")
    p.add_argument("file", type=Path, help="the .nbx study file")
    p.add_argument("out", type=_sheet_path, help="the sheet to write: OUT.xlsx or OUT.csv")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--batch", type=_positive, metavar="K", help="the runs of batch K")
    which.add_argument("--planned", action="store_true", help="the planned runs")
    which.add_argument("--all", action="store_true", help="every run of the study")


def _run_export(args: argparse.Namespace) -> int:
    from nextbatch.io.runsheet import default_runs, export_run_sheet

    study = _load(args.file)
    if args.batch is not None:
        runs = [r for r in study.runs if r.batch == args.batch]
        what = f"batch {args.batch}"
    elif args.planned:
        runs = [r for r in study.runs if r.is_pending]
        what = "planned runs"
    else:
        runs = list(study.runs) if args.all else default_runs(study)
        what = "runs"
    if not runs:
        batches = ", ".join(str(b) for b in sorted({r.batch for r in study.runs})) or "none"
        print(f"nextbatch: {args.file.name} has no {what} to export (batches: {batches})",
              file=sys.stderr)
        return EXIT_BAD_STUDY
    export_run_sheet(study, args.out, runs)
    print(f"wrote {args.out}: {_count(len(runs), 'run')} of {study.name}")
    return EXIT_OK


def _add_import(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("import", help="import results or historical runs from a table",
                       description="Preview what importing TABLE (.xlsx, .xlsm or .csv) into "
                                   "FILE would do, then apply it and save FILE, unless it has "
                                   "errors (or warnings not accepted) or --dry-run is given.")
    p.add_argument("file", type=Path, help="the .nbx study file")
    p.add_argument("table", type=Path, help="the filled run sheet or any table of runs")
    p.add_argument("--dry-run", action="store_true", help="only print the preview")
    p.add_argument("--map", action="append", default=[], metavar="COLUMN=NAME",
                   help="read column COLUMN as NAME (a variable, a response, 'Run ID', "
                        "'status', 'notes', 'actual NAME' or 'ignore'); repeatable")
    p.add_argument("--accept-warnings", action="store_true",
                   help="import even though the preview has warnings")


def _run_import(args: argparse.Namespace) -> int:
    from nextbatch.core.commands import History
    from nextbatch.io.importing import preview_import
    from nextbatch.io.tables import TableError

    mapping = {}
    for item in args.map:
        column, sep, name = item.rpartition("=")
        if not sep or not column.strip():
            raise UsageError(f"--map {item!r}: expected COLUMN=NAME, e.g. "
                             "--map 'Schaum (mm)=foam_height'")
        mapping[column.strip()] = name.strip()
    study = _load(args.file)
    if not args.table.is_file():
        raise UsageError(f"{args.table}: no such file")
    try:
        preview = preview_import(study, args.table, mapping)
    except TableError as exc:
        raise UsageError(str(exc)) from exc
    for line in preview.report_lines():
        print(line)
    if preview.errors:
        print(f"nothing imported: fix the {_count(len(preview.errors), 'error')} above; "
              f"{args.file.name} is unchanged")
        return EXIT_BAD_STUDY
    if preview.warnings and not args.accept_warnings:
        print(f"nothing imported: check the {_count(len(preview.warnings), 'warning')} above "
              "and add --accept-warnings to import anyway")
        return EXIT_BAD_STUDY
    if preview.is_empty:
        print(f"nothing new to import; {args.file.name} is unchanged")
        return EXIT_OK
    if args.dry_run:
        print(f"dry run: {args.file.name} is unchanged")
        return EXIT_OK
    History(study).do(preview.as_command(accept_warnings=args.accept_warnings))
    save_study(study, args.file)
    print(f"imported into {args.file} (updated {len(preview.runs_updated)}, added "
          f"{len(preview.runs_added)})")
    return EXIT_OK


# --------------------------------------------------------------------------- the report
def _add_report(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("report", help="write a PDF report of the study and its model",
                       description="Write a PDF report a lab can file or email: the set-up, "
                                   "the runs, how far the model can be trusted, what matters, "
                                   "the effects, progress, the best recipe, and the next "
                                   "batch when runs are planned.")
    p.add_argument("file", type=Path, help="the .nbx study file")
    p.add_argument("out", type=lambda t: _sheet_path(t, (".pdf",)), help="the PDF to write")
    p.add_argument("--seed", type=int, default=0, metavar="S",
                   help="random seed of the model fit (the same seed, the same report)")


def _run_report(args: argparse.Namespace) -> int:
    study = _load(args.file)
    if _has_errors(args.file, study, "no report"):
        return EXIT_BAD_STUDY
    if not args.out.parent.is_dir():
        raise UsageError(f"{args.out.parent}: no such folder")
    from nextbatch.ui.report import ensure_app, write_report

    _app = ensure_app()  # kept alive while the report is drawn
    pages = write_report(study, args.out, seed=args.seed)
    print(f"wrote {args.out}: {_count(pages, 'page')} about {study.name}")
    return EXIT_OK


Adder = Callable[[argparse._SubParsersAction], None]
Runner = Callable[[argparse.Namespace], int]
# name -> (adds the subcommand's arguments, runs it and returns the exit status)
SUBCOMMANDS: dict[str, tuple[Adder, Runner]] = {
    "check": (_add_check, _run_check),
    "new": (_add_new, _run_new),
    "suggest": (_add_suggest, _run_suggest),
    "export": (_add_export, _run_export),
    "import": (_add_import, _run_import),
    "report": (_add_report, _run_report),
}


# ---------------------------------------------------------------------------- the window
def open_app(path: Path) -> int:
    """Open the window on `path`; until the GUI exists (or when Qt cannot start) print a summary."""
    try:
        from nextbatch.ui.app import run
    except ImportError as exc:
        not_built = isinstance(exc, ModuleNotFoundError) and exc.name == "nextbatch.ui.app"
        if not not_built:
            print(f"nextbatch: the window cannot open ({exc}); showing a summary instead",
                  file=sys.stderr)
        study = _load(path)
        print(summary_line(path.name, study, study.problems()))
        return EXIT_OK if not_built else EXIT_USAGE
    return int(run(path) or 0)


def smoke_test_app(path: Path | None) -> int:
    """`--smoke-test [FILE]`: the real window, one suggestion, one run sheet; 0 when all worked."""
    from nextbatch.ui.app import smoke_test

    return smoke_test(path)


# ------------------------------------------------------------------------------ parsing
def build_parser() -> argparse.ArgumentParser:
    """The whole command line; `nextbatch FILE` is handled in `main` before parsing."""
    parser = argparse.ArgumentParser(
        prog="nextbatch",
        description="Plan the next batch of experiments by Bayesian optimization. With no "
                    "command, opens FILE (or the shaving-cream example) in the window.",
        epilog="exit status: 0 fine, 1 the study has problems, 2 usage or file error",
    )
    parser.add_argument("--version", action="version", version=f"nextbatch {__version__}")
    parser.add_argument("--smoke-test", nargs="?", const="", metavar="FILE",
                        help="build the real window, open FILE (default: the shaving-cream "
                             "example), suggest one batch, export its run sheet, print each "
                             "step's time and exit (used by packaging and CI)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for add, _ in SUBCOMMANDS.values():
        add(sub)
    return parser


def _dispatch(argv: list[str]) -> int:
    if argv and not argv[0].startswith("-") and argv[0] not in SUBCOMMANDS:
        if len(argv) > 1:
            raise UsageError(f"unknown command {argv[0]!r}; the commands are: "
                             f"{', '.join(SUBCOMMANDS)} (or give just a study file)")
        path = Path(argv[0])
        if not path.exists():
            raise UsageError(f"{path}: no such file (and not a command: "
                             f"{', '.join(SUBCOMMANDS)})")
        return open_app(path)
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # --help, --version, or a usage error argparse has printed
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    if args.smoke_test is not None:
        return smoke_test_app(Path(args.smoke_test) if args.smoke_test else None)
    if args.command is None:
        return open_app(example_path("shaving-cream"))
    return SUBCOMMANDS[args.command][1](args)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `nextbatch` console script; returns the exit status."""
    try:
        return _dispatch(list(sys.argv[1:] if argv is None else argv))
    except UsageError as exc:
        print(f"nextbatch: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except NextBatchError as exc:
        print(f"nextbatch: {exc}", file=sys.stderr)
        return EXIT_BAD_STUDY
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"nextbatch: {where}{exc.strerror or exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("nextbatch: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        print(f"nextbatch: unexpected error: {type(exc).__name__}: {exc}\n"
              "This is a bug in NextBatch; please report it with the command you ran.",
              file=sys.stderr)
        return EXIT_BUG
