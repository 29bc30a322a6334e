"""Build the NextBatch app as a one-folder PyInstaller bundle, then smoke-test what was built.

    python packaging/build.py            # build into build/ and dist/, then check the bundle
    python packaging/build.py --clean    # start from scratch (PyInstaller's cache too)
    python packaging/build.py --skip-build   # only check an existing dist/nextbatch/
    python packaging/build.py --archive  # and pack it as a .tar.gz with install.sh (Linux)

The checks run the built executable itself, never the source tree: `--version`; then
`--smoke-test` on both examples under QT_QPA_PLATFORM=offscreen (the real window, one
suggested batch, one exported run sheet); then `report` (a PDF with the model's plots); then
three timed launches until the window has painted. Any non-zero exit, traceback or line on
stderr fails the build, as does (on Linux) a bundle over SIZE_TARGET_MB or a kept file that
links against a Qt library the spec left out. Prints the bundle's size, the build time and
the start-up time. Exit status 0 when every check passed.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

from linked_libraries import can_read_links, needed_libraries

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "packaging" / "pyinstaller" / "nextbatch.spec"
WORK = ROOT / "build"
DIST = ROOT / "dist"
BUNDLE = DIST / "nextbatch"
EXAMPLES = ("shaving_cream.nbx", "brewing.nbx")
SIZE_TARGET_MB = 250
STARTUP_LAUNCHES = 3
TIMEOUT_S = 300
TRACEBACK = "Traceback (most recent call last)"
PROBE_LINE = "window painted"


class CheckFailed(Exception):
    """The bundle was built but does not work as it should (exit status 1)."""


# ----------------------------------------------------------------------------- building
def ensure_packaging_extra() -> None:
    """Install the app with its `packaging` extra (PyInstaller) unless both are importable."""
    if all(importlib.util.find_spec(name) for name in ("PyInstaller", "nextbatch", "PySide6")):
        return
    print("installing NextBatch with its packaging extra (PyInstaller) ...", flush=True)
    pip = subprocess.run([sys.executable, "-m", "pip", "install", "-e", f"{ROOT}[packaging]"])
    if pip.returncode != 0:
        raise SystemExit(f"pip could not install the packaging extra into {sys.executable}; "
                         "run build.py with the Python of the project's virtual environment "
                         "(.venv/bin/python packaging/build.py)")


def build(clean: bool) -> float:
    """Run PyInstaller on the spec; the seconds it took."""
    if clean:
        for path in (WORK / "nextbatch", BUNDLE, DIST / "NextBatch.app"):
            shutil.rmtree(path, ignore_errors=True)
    command = [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
               "--distpath", str(DIST), "--workpath", str(WORK), str(SPEC)]
    if clean:
        command.insert(3, "--clean")
    start = time.perf_counter()
    subprocess.run(command, check=True, cwd=ROOT)
    return time.perf_counter() - start


def executable(bundle: Path = BUNDLE) -> Path:
    """The app's executable inside a one-folder bundle."""
    return bundle / ("nextbatch.exe" if sys.platform == "win32" else "nextbatch")


def bundle_size_mb(bundle: Path) -> float:
    """The bundle's total file size in MiB, as `du` shows it: symbolic links count as links."""
    return sum(f.lstat().st_size for f in bundle.rglob("*") if not f.is_dir()) / 2**20


def linux_archive(bundle: Path, version: str) -> Path:
    """dist/NextBatch-VERSION-linux-ARCH.tar.gz: the bundle with install.sh and its files.

    Unpacked, `./install.sh` adds the menu entry, icon and .nbx type (packaging/README.md).
    """
    import platform
    import tarfile

    name = f"NextBatch-{version}"
    archive = bundle.parent / f"{name}-linux-{platform.machine()}.tar.gz"
    linux = ROOT / "packaging" / "linux"
    with tarfile.open(archive, "w:gz", compresslevel=6) as tar:
        tar.add(bundle, arcname=f"{name}/nextbatch")
        for extra in sorted(linux.iterdir()):
            tar.add(extra, arcname=f"{name}/{extra.name}")
    return archive


# ------------------------------------------------------------------------------- checks
def isolated_env(home: Path) -> dict[str, str]:
    """The environment of a checked launch: offscreen Qt, an empty home, no Python paths.

    An empty home means no saved settings and no recovery copies to ask about, so nothing
    modal can stop a launch; without PYTHONPATH the bundle cannot borrow the source tree. The
    temporary folder is the home too, so the smoke tests' run sheets go when it goes.
    """
    env = {key: value for key, value in os.environ.items()
           if key not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    runtime = home / "runtime"
    runtime.mkdir(mode=0o700, exist_ok=True)
    env.update(QT_QPA_PLATFORM="offscreen", HOME=str(home), USERPROFILE=str(home),
               APPDATA=str(home), LOCALAPPDATA=str(home), XDG_CONFIG_HOME=str(home / "config"),
               XDG_DATA_HOME=str(home / "data"), XDG_CACHE_HOME=str(home / "cache"),
               XDG_RUNTIME_DIR=str(runtime), TMPDIR=str(home), TEMP=str(home), TMP=str(home))
    return env


def output_problems(returncode: int, stdout: str, stderr: str) -> list[str]:
    """What is wrong with one launch of the bundle: its exit status, tracebacks, stderr."""
    problems = []
    if returncode != 0:
        problems.append(f"exit status {returncode}, expected 0")
    if TRACEBACK in stdout or TRACEBACK in stderr:
        problems.append("it printed a traceback")
    unexpected = [line for line in stderr.splitlines() if line.strip()]
    if unexpected:
        problems.append(f"{len(unexpected)} unexpected line(s) on stderr:\n    "
                        + "\n    ".join(unexpected[:20]))
    return problems


def launch(exe: Path, args: list[str], env: dict[str, str], cwd: Path) -> str:
    """Run the bundle with `args`; its stdout, or CheckFailed saying what went wrong."""
    try:
        proc = subprocess.run([str(exe), *args], capture_output=True, text=True, env=env,
                              cwd=cwd, timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired as exc:
        raise CheckFailed(f"{exe.name} {' '.join(args)}: still running after {TIMEOUT_S} s"
                          ) from exc
    problems = output_problems(proc.returncode, proc.stdout, proc.stderr)
    if problems:
        raise CheckFailed(f"{exe.name} {' '.join(args)}: " + "; ".join(problems)
                          + f"\n--- stdout ---\n{proc.stdout}--- stderr ---\n{proc.stderr}")
    return proc.stdout


def check_version(exe: Path, env: dict[str, str], cwd: Path) -> None:
    """`--version` names the version being bundled (the source's `nextbatch.__version__`)."""
    from nextbatch import __version__

    out = launch(exe, ["--version"], env, cwd).strip()
    if out != f"nextbatch {__version__}":
        raise CheckFailed(f"--version printed {out!r}, expected 'nextbatch {__version__}'")
    print(f"ok  {out}")


def smoke_test(exe: Path, example: Path, env: dict[str, str], cwd: Path) -> None:
    """The built app's own `--smoke-test` on one study file; prints its step lines."""
    out = launch(exe, ["--smoke-test", str(example)], env, cwd)
    steps = [line for line in out.splitlines() if line.startswith("ok ")]
    if len(steps) < 4:
        raise CheckFailed(f"--smoke-test {example.name}: expected 4 'ok' steps, got:\n{out}")
    print(f"ok  smoke test of {example.name}")
    for line in out.splitlines():
        print(f"      {line}")


def check_report(exe: Path, example: Path, env: dict[str, str], cwd: Path) -> None:
    """`nextbatch report` writes a PDF: the model insights, pyqtgraph plots and QPdfWriter,
    which the smoke test's window does not reach."""
    pdf = cwd / f"{example.stem}-report.pdf"
    out = launch(exe, ["report", str(example), str(pdf)], env, cwd)
    if not pdf.is_file() or pdf.read_bytes()[:5] != b"%PDF-":
        raise CheckFailed(f"report {example.name}: no PDF was written; it printed:\n{out}")
    print(f"ok  {out.strip()}")


def startup_seconds(exe: Path, env: dict[str, str], cwd: Path) -> float:
    """Seconds from starting the bundle until its window has painted (median of launches).

    NEXTBATCH_STARTUP_PROBE makes the app print one line once the window is painted and quit.
    """
    times = []
    for _ in range(STARTUP_LAUNCHES):
        start = time.perf_counter()
        proc = subprocess.Popen([str(exe)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, env={**env, "NEXTBATCH_STARTUP_PROBE": "1"},
                                cwd=cwd)
        assert proc.stdout is not None
        line = proc.stdout.readline()
        times.append(time.perf_counter() - start)
        try:
            rest, err = proc.communicate(timeout=TIMEOUT_S)
        except subprocess.TimeoutExpired as exc:
            proc.kill()
            raise CheckFailed("the app did not quit after reporting its window") from exc
        problems = output_problems(proc.returncode, line + rest, err)
        if PROBE_LINE not in line:
            problems.append(f"its first line was {line.strip()!r}, expected {PROBE_LINE!r}")
        if problems:
            raise CheckFailed("start-up probe: " + "; ".join(problems))
    return statistics.median(times)


def missing_qt_libraries(bundle: Path, needed: dict[Path, Iterable[str]]) -> list[str]:
    """'file needs libQt6X' for every Qt library some bundled file links against but is absent."""
    present = {f.name for f in bundle.rglob("*")}
    return [f"{path.relative_to(bundle)} needs {lib}" for path, libs in needed.items()
            for lib in libs if lib.startswith("libQt6") and lib not in present]


def check_links(bundle: Path) -> None:
    """On Linux: no kept plugin or library needs a Qt library the spec filtered out."""
    if not sys.platform.startswith("linux"):
        return
    if not can_read_links():
        print("note: objdump not found (binutils); Qt link check skipped")
        return
    binaries = [f for f in bundle.rglob("*.so*") if f.is_file()]
    missing = missing_qt_libraries(bundle, {f: needed_libraries(f) for f in binaries})
    if missing:
        raise CheckFailed("Qt libraries left out of the bundle but needed:\n  "
                          + "\n  ".join(missing))
    print(f"ok  every Qt library that {len(binaries)} bundled binaries link against is there")


def check_bundle(bundle: Path) -> tuple[float, float]:
    """Every check of a built bundle; (size in MiB, start-up seconds)."""
    exe = executable(bundle)
    if not exe.is_file():
        raise CheckFailed(f"{exe}: no such file; build the bundle first (without --skip-build)")
    size = bundle_size_mb(bundle)
    if sys.platform.startswith("linux") and size > SIZE_TARGET_MB:
        raise CheckFailed(f"the bundle is {size:.0f} MiB, over the {SIZE_TARGET_MB} MiB target")
    check_links(bundle)
    with tempfile.TemporaryDirectory(prefix="nextbatch-build-check-") as tmp:
        home = Path(tmp)
        env = isolated_env(home)
        check_version(exe, env, home)
        for name in EXAMPLES:
            smoke_test(exe, ROOT / "resources" / "examples" / name, env, home)
        check_report(exe, ROOT / "resources" / "examples" / EXAMPLES[-1], env, home)
        startup = startup_seconds(exe, env, home)
    print(f"ok  start-up until the window has painted: {startup:.2f} s "
          f"(median of {STARTUP_LAUNCHES})")
    return size, startup


# ---------------------------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Build the one-folder NextBatch app with PyInstaller (build/, dist/) and "
                    "smoke-test the built executable on both examples.")
    parser.add_argument("--skip-build", action="store_true",
                        help="do not build; only check the bundle already in dist/nextbatch/")
    parser.add_argument("--clean", action="store_true",
                        help="delete the previous build and PyInstaller's cache first")
    parser.add_argument("--archive", action="store_true",
                        help="on Linux, also pack the checked bundle with install.sh into "
                             "dist/NextBatch-VERSION-linux-ARCH.tar.gz")
    args = parser.parse_args(argv)
    if args.skip_build and args.clean:
        parser.error("--clean and --skip-build exclude each other")
    if args.archive and not sys.platform.startswith("linux"):
        parser.error("--archive packs Linux bundles; packaging/README.md shows how Windows "
                     "(Inno Setup) and macOS builds are packed")
    ensure_packaging_extra()
    build_s = None if args.skip_build else build(args.clean)
    try:
        size, startup = check_bundle(BUNDLE)
    except CheckFailed as exc:
        print(f"FAILED  {exc}", file=sys.stderr)
        return 1
    built = f"built in {build_s:.0f} s, " if build_s is not None else ""
    print(f"\n{BUNDLE.relative_to(ROOT)}: {built}{size:.0f} MiB, "
          f"window painted {startup:.2f} s after launch; all checks passed")
    if args.archive:
        from nextbatch import __version__

        archive = linux_archive(BUNDLE, __version__)
        print(f"wrote {archive.relative_to(ROOT)} ({archive.stat().st_size / 2**20:.0f} MiB)")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except subprocess.CalledProcessError as exc:
        print(f"FAILED  {' '.join(map(str, exc.cmd))} exited with status {exc.returncode}",
              file=sys.stderr)
        sys.exit(2)
