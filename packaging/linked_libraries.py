"""Which shared libraries the bundle's Linux binaries link against (their ELF NEEDED entries).

Used by the spec, to leave out the libraries that only a dropped plugin needs, and by
build.py, to check that nothing kept needs a Qt library that was left out. Reads the entries
with `objdump -p` from binutils, which PyInstaller itself needs on Linux.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterable, Mapping
from pathlib import Path


def can_read_links() -> bool:
    """True where `objdump` is installed."""
    return shutil.which("objdump") is not None


def needed_libraries(binary: Path | str) -> list[str]:
    """The file names a binary asks the dynamic loader for, e.g. ['libQt6Core.so.6', ...]."""
    out = subprocess.run(["objdump", "-p", str(binary)], capture_output=True, text=True).stdout
    return [line.split()[1] for line in out.splitlines()
            if line.strip().startswith("NEEDED") and len(line.split()) == 2]


def reachable(roots: Iterable[str], needs: Mapping[str, Iterable[str]]) -> set[str]:
    """Every name in `roots` and, transitively, every name one of them needs."""
    seen: set[str] = set()
    stack = list(roots)
    while stack:
        name = stack.pop()
        if name not in seen:
            seen.add(name)
            stack.extend(needs.get(name, ()))
    return seen


def only_needed_by(dropped: Iterable[str], roots: Iterable[str],
                   needs: Mapping[str, Iterable[str]]) -> set[str]:
    """The libraries that some of `dropped` need but no other root does, directly or not.

    `roots` are what gets loaded other than by linking (extension modules, Qt plugins, the
    Python library); a library nothing links against is never in the result, so one that is
    opened at run time by name stays in the bundle.
    """
    dropped = set(dropped)
    kept_roots = [root for root in roots if root not in dropped]
    return reachable([*kept_roots, *dropped], needs) - reachable(kept_roots, needs) - dropped
