"""How long the window takes to appear: the median of 5 launches of `nextbatch`.

Each launch starts a fresh Python process with NEXTBATCH_STARTUP_PROBE set; the app prints a
line once its window has painted itself (and quits). The time counted runs from starting the
process to reading that line: Python start-up, imports, building and painting the window.

    .venv/bin/python packaging/startup_time.py [--runs 5]

Prints each launch, the median, and which heavy modules were loaded by then (should be none).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

TARGET_S = 1.0


def launch_once(env: dict[str, str]) -> tuple[float, str]:
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "nextbatch"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    elapsed = time.perf_counter() - start
    _out, err = proc.communicate(timeout=60)
    if "window painted" not in line:
        raise SystemExit(f"the app did not report its window (exit {proc.returncode}):\n{err}")
    return elapsed, line.strip()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "NEXTBATCH_STARTUP_PROBE": "1", "XDG_CONFIG_HOME": home,
               "XDG_DATA_HOME": home, "HOME": home}
        env.setdefault("QT_QPA_PLATFORM", "offscreen")
        times = []
        for i in range(args.runs):
            elapsed, line = launch_once(env)
            times.append(elapsed)
            print(f"launch {i + 1}: {elapsed:.2f} s   ({line})")
    median = statistics.median(times)
    verdict = "within" if median <= TARGET_S else "over"
    print(f"median of {len(times)}: {median:.2f} s ({verdict} the {TARGET_S:.0f} s target)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
