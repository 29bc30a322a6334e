"""The layer rules of DESIGN §1, checked by machine: import-linter and a clean subprocess."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_linter_contracts_hold():
    lint_imports = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run([str(lint_imports), "--no-cache"], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    for contract in ("core imports neither optim, io nor ui",
                     "optim and io are independent of each other",
                     "optim and io never touch ui or Qt"):
        assert f"{contract} KEPT" in done.stdout


def _modules_loaded_by(code: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", code + "\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"],
        capture_output=True, text=True, timeout=60, check=True)
    return {name.split(".")[0] for name in json.loads(done.stdout.splitlines()[-1])}


def test_the_qt_free_layers_load_neither_qt_nor_sklearn():
    loaded = _modules_loaded_by("import nextbatch, nextbatch.core, nextbatch.optim, nextbatch.io")
    assert not loaded & {"PySide6", "shiboken6", "pyqtgraph", "sklearn"}


def test_starting_the_command_line_loads_no_gui_and_no_engine():
    loaded = _modules_loaded_by("import nextbatch.cli, nextbatch.core.commands, "
                                "nextbatch.io.study_file, nextbatch.resources")
    assert not loaded & {"PySide6", "shiboken6", "pyqtgraph", "sklearn", "openpyxl"}


def test_core_needs_nothing_but_the_standard_library_numpy_and_scipy():
    core = ROOT / "app" / "nextbatch" / "core"
    modules = ", ".join(f"nextbatch.core.{p.stem}" for p in sorted(core.glob("*.py"))
                        if p.stem != "__init__")
    loaded = _modules_loaded_by(f"import {modules}") - _modules_loaded_by("pass")
    allowed = set(sys.stdlib_module_names) | {"nextbatch", "numpy", "scipy"}
    assert loaded - allowed == set()
