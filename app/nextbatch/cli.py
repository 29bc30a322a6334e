"""The `nextbatch` command: open a study, check it, start one from an example.

Each subcommand is a pair of small functions — one adds its arguments to the parser, one runs
it and returns the exit status — registered in `SUBCOMMANDS`. Exit status: 0 fine, 1 the study
is bad, 2 usage or file errors, 70 a bug in NextBatch. Errors are a few lines a person can act
on, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from nextbatch import __version__
from nextbatch.core.errors import NextBatchError, Problem
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


def _run_check(args: argparse.Namespace) -> int:
    study = _load(args.file)
    problems = study.problems()
    print(summary_line(args.file.name, study, problems))
    for problem in problems:
        print(f"  {problem}")
    return EXIT_BAD_STUDY if any(p.severity == "error" for p in problems) else EXIT_OK


def _add_new(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("new", help="start a study file from a bundled example",
                       description="Write a new study file, copied from an example.")
    p.add_argument("--example", required=True, choices=example_names(),
                   help="which example to start from")
    p.add_argument("file", type=Path, help="the .nbx file to create")
    p.add_argument("--force", action="store_true", help="overwrite FILE if it exists")


def _run_new(args: argparse.Namespace) -> int:
    if args.file.exists() and not args.force:
        raise UsageError(f"{args.file} already exists; choose another name or add --force "
                         "to overwrite it (the old file is kept as .bak)")
    study = load_study(example_path(args.example))
    study.origin = None
    save_study(study, args.file, force=True)
    print(f"created {args.file} from the {args.example} example: "
          f"{summary_line(args.file.name, study, study.problems())}")
    return EXIT_OK


Adder = Callable[[argparse._SubParsersAction], None]
Runner = Callable[[argparse.Namespace], int]
# name -> (adds the subcommand's arguments, runs it and returns the exit status)
SUBCOMMANDS: dict[str, tuple[Adder, Runner]] = {
    "check": (_add_check, _run_check),
    "new": (_add_new, _run_new),
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
