"""A process killed (SIGKILL) while it saves leaves a file that loads: the old or the new one."""

import random
import subprocess
import sys
import time

from nextbatch.io.study_file import load_study
from nextbatch.resources import example_path

# Saves version 0, 1, 2, … of the example as fast as it can; every version has another size,
# so a torn write could not pass for a whole one. Prints "ready" once the first save is done.
SAVER = """
import sys
from nextbatch.io.study_file import load_study, save_study
study = load_study(sys.argv[1])
path = sys.argv[2]
i = 0
while True:
    study.name = f"version {i}"
    study.description = "x" * (i % 997)
    save_study(study, path)
    if i == 0:
        print("ready", flush=True)
    i += 1
"""


def _is_whole_version(study) -> bool:
    number = int(study.name.removeprefix("version "))
    return study.description == "x" * (number % 997)


def test_killing_a_saving_process_never_leaves_a_broken_file(tmp_path):
    path = tmp_path / "study.nbx"
    rng = random.Random(2)
    example = str(example_path("shaving-cream"))
    seen = []
    for _ in range(6):
        saver = subprocess.Popen([sys.executable, "-c", SAVER, example, str(path)],
                                 stdout=subprocess.PIPE, text=True)
        try:
            assert saver.stdout.readline() == "ready\n"
            time.sleep(rng.uniform(0.02, 0.4))
        finally:
            saver.kill()  # SIGKILL on POSIX: no cleanup, no flush
            saver.wait()
            saver.stdout.close()
        study = load_study(path)
        assert _is_whole_version(study)
        backup = load_study(tmp_path / "study.nbx.bak")
        assert _is_whole_version(backup)
        seen.append(int(study.name.removeprefix("version ")))
    assert max(seen) > 0  # the saver really was killed in the middle of its loop
