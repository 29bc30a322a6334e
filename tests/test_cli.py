import json
import subprocess
import sys
import types
from pathlib import Path

import nextbatch
import pytest
from nextbatch import cli
from nextbatch.io.study_file import load_study
from nextbatch.resources import example_path

SHAVING = example_path("shaving-cream")
BREWING = example_path("brewing")


def run_cli(capsys, *argv):
    code = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


@pytest.fixture
def no_window(monkeypatch):
    """As if the GUI package were not built yet: `import nextbatch.ui.app` fails."""
    monkeypatch.setitem(sys.modules, "nextbatch.ui.app", None)


def broken_copy(tmp_path, source, edit):
    d = json.loads(source.read_text(encoding="utf-8"))
    edit(d)
    path = tmp_path / source.name
    path.write_text(json.dumps(d, indent=2), encoding="utf-8")
    return path


# ---------------------------------------------------------------------------------- check
def test_version(capsys):
    code, out, _ = run_cli(capsys, "--version")
    assert (code, out) == (0, f"nextbatch {nextbatch.__version__}\n")


def test_check_prints_a_one_line_summary_of_each_example(capsys):
    code, out, err = run_cli(capsys, "check", SHAVING)
    assert code == 0
    assert out == ("shaving_cream.nbx: 8 variables, 1 mixture, 1 rule, 3 responses, "
                   "8 runs (8 measured) — no problems\n")
    assert err == ""
    code, out, _ = run_cli(capsys, "check", BREWING)
    assert code == 0
    assert out.startswith("brewing.nbx: 7 variables, 0 mixtures, 1 rule, 3 responses, 6 runs")


def test_check_lists_every_problem_and_fails(capsys, tmp_path):
    def break_it(d):
        d["variables"][1]["low"] = 25  # stearic acid low above its high (20)
        d["constraints"].append("glycerol + koh <= 12")
    code, out, _ = run_cli(capsys, "check", broken_copy(tmp_path, SHAVING, break_it))
    assert code == 1
    lines = out.splitlines()
    assert "error" in lines[0]
    assert any(line.startswith("  variables[1].") and "25" in line for line in lines[1:])
    assert any("constraints[1]" in line and "glycerol" in line for line in lines[1:])


def test_check_reports_warnings_but_passes(capsys, tmp_path):
    def old_run(d):
        d["runs"][0]["settings"]["mash_temp"] = 72.0  # brewed before the range was narrowed
    code, out, _ = run_cli(capsys, "check", broken_copy(tmp_path, BREWING, old_run))
    assert code == 0
    assert "1 warning" in out.splitlines()[0]
    assert "runs[0]" in out and "[warning]" in out


def test_broken_json_is_one_line_with_line_and_column(capsys, tmp_path):
    path = tmp_path / "broken.nbx"
    text = SHAVING.read_text(encoding="utf-8")
    path.write_text(text.replace('"batch": 1,', '"batch": 1', 1), encoding="utf-8")
    code, out, err = run_cli(capsys, "check", path)
    assert code == 1
    assert out == ""
    assert err.startswith("nextbatch: broken.nbx: not valid JSON — line ")
    assert len(err.splitlines()) == 1


def test_wrong_field_types_are_listed(capsys, tmp_path):
    def break_it(d):
        d["responses"][0]["low"] = "twenty"
    code, _, err = run_cli(capsys, "check", broken_copy(tmp_path, SHAVING, break_it))
    assert code == 1
    assert "responses[0].low = 'twenty'" in err


def test_missing_file_and_folder_are_usage_errors(capsys, tmp_path):
    code, _, err = run_cli(capsys, "check", tmp_path / "nope.nbx")
    assert code == 2
    assert err == f"nextbatch: {tmp_path / 'nope.nbx'}: no such file\n"
    code, _, err = run_cli(capsys, "check", tmp_path)
    assert code == 2
    assert "is a folder" in err


def test_usage_errors_exit_2(capsys):
    assert cli.main(["check"]) == 2
    assert "required: file" in capsys.readouterr().err
    assert cli.main(["chekc", "study.nbx"]) == 2
    assert "unknown command 'chekc'; the commands are: check, new" in capsys.readouterr().err


# ------------------------------------------------------------------------------------ new
def test_new_writes_a_copy_of_the_example(capsys, tmp_path):
    target = tmp_path / "cream.nbx"
    code, out, _ = run_cli(capsys, "new", "--example", "shaving-cream", target)
    assert code == 0
    assert out.startswith(f"created {target} from the shaving-cream example")
    assert load_study(target) == load_study(SHAVING)


def test_new_refuses_to_overwrite_unless_forced(capsys, tmp_path):
    target = tmp_path / "beer.nbx"
    target.write_text("my notes", encoding="utf-8")
    code, _, err = run_cli(capsys, "new", "--example", "brewing", target)
    assert code == 2
    assert "already exists" in err and "--force" in err
    assert target.read_text(encoding="utf-8") == "my notes"
    code, _, _ = run_cli(capsys, "new", "--example", "brewing", target, "--force")
    assert code == 0
    assert load_study(target).name == "House pale ale"
    assert (tmp_path / "beer.nbx.bak").read_text(encoding="utf-8") == "my notes"


def test_new_names_the_known_examples(capsys, tmp_path):
    code, _, err = run_cli(capsys, "new", "--example", "soap", tmp_path / "x.nbx")
    assert code == 2
    assert "'shaving-cream', 'brewing'" in err


def test_an_unwritable_target_is_a_short_error(capsys, tmp_path):
    code, _, err = run_cli(capsys, "new", "--example", "brewing", tmp_path / "no" / "x.nbx")
    assert code == 2
    assert err == f"nextbatch: {tmp_path / 'no'}: no such folder\n"


# ------------------------------------------------------------------------- the window
def test_no_argument_shows_the_shaving_cream_example_until_the_window_exists(capsys,
                                                                            no_window):
    code, out, err = run_cli(capsys)
    assert code == 0
    assert out.startswith("shaving_cream.nbx: 8 variables")
    assert err == ""


def test_a_file_argument_opens_that_study(capsys, no_window):
    code, out, _ = run_cli(capsys, BREWING)
    assert code == 0
    assert out.startswith("brewing.nbx: 7 variables")


def test_the_window_is_opened_on_the_file_when_the_gui_exists(capsys, monkeypatch):
    opened = []
    fake = types.ModuleType("nextbatch.ui.app")
    fake.run = lambda path: opened.append(path) or 0
    monkeypatch.setitem(sys.modules, "nextbatch.ui.app", fake)
    assert cli.main([str(BREWING)]) == 0
    assert cli.main([]) == 0
    assert opened == [BREWING, SHAVING]


def test_a_gui_that_cannot_start_says_why_and_shows_the_summary(capsys, monkeypatch):
    class BrokenFinder:
        def find_spec(self, name, path=None, target=None):
            if name == "nextbatch.ui.app":
                raise ImportError("libEGL.so.1: cannot open shared object file")
            return None

    monkeypatch.delitem(sys.modules, "nextbatch.ui.app", raising=False)
    monkeypatch.setattr(sys, "meta_path", [BrokenFinder(), *sys.meta_path])
    code, out, err = run_cli(capsys, BREWING)
    assert code == 2
    assert "the window cannot open (libEGL.so.1" in err
    assert out.startswith("brewing.nbx: ")


# ------------------------------------------------------------------------------ crashes
def test_an_unexpected_error_is_a_short_message_with_a_hint(capsys, monkeypatch):
    def crash(path):
        raise RuntimeError("disk on fire")
    monkeypatch.setattr(cli, "load_study", crash)
    code, _, err = run_cli(capsys, "check", SHAVING)
    assert code == cli.EXIT_BUG
    assert err == ("nextbatch: unexpected error: RuntimeError: disk on fire\n"
                   "This is a bug in NextBatch; please report it with the command you ran.\n")


def _console(*args, cwd=None):
    exe = Path(sys.executable).with_name("nextbatch")
    return subprocess.run([str(exe), *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, timeout=60)


@pytest.mark.parametrize("breakage", ["bad bound", "unknown variable", "broken json"])
def test_the_installed_command_never_prints_a_traceback(tmp_path, breakage):
    edits = {
        "bad bound": lambda d: d["variables"][0].update(low=90),
        "unknown variable": lambda d: d["constraints"].append("hops_total <= 90"),
        "broken json": None,
    }
    for source in (SHAVING, BREWING):
        if edits[breakage] is None:
            path = tmp_path / source.name
            path.write_text(source.read_text(encoding="utf-8")[:-40], encoding="utf-8")
        else:
            path = broken_copy(tmp_path, source, edits[breakage])
        done = _console("check", path)
        assert done.returncode == 1, done.stdout + done.stderr
        assert "Traceback" not in done.stdout + done.stderr
        assert (done.stdout + done.stderr).strip()


def test_python_dash_m_runs_the_same_command(tmp_path):
    done = subprocess.run([sys.executable, "-m", "nextbatch", "check", str(BREWING)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0
    assert done.stdout.startswith("brewing.nbx: ")
    missing = _console("check", tmp_path / "missing.nbx")
    assert missing.returncode == 2
    assert missing.stderr.strip().endswith("missing.nbx: no such file")
