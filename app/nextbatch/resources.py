"""Where the app's bundled files live: the source tree, or a PyInstaller bundle.

Qt-free so that the CLI and the tests can find the examples without loading a GUI.
"""

from __future__ import annotations

import sys
from pathlib import Path

from nextbatch.core.errors import NextBatchError

EXAMPLES = {"shaving-cream": "shaving_cream.nbx", "brewing": "brewing.nbx"}
# The square sizes of the app icon's PNGs in resources/icons/ (packaging/make_icons.py).
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def resources_dir() -> Path:
    """The `resources/` folder: inside the frozen bundle when frozen, else at the repo root."""
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle is not None:
        return Path(bundle) / "resources"
    return Path(__file__).resolve().parent.parent.parent / "resources"


def example_names() -> list[str]:
    """The names `example_path` and `nextbatch new --example` accept."""
    return list(EXAMPLES)


def example_path(name: str) -> Path:
    """The `.nbx` file of a bundled example, e.g. `example_path("brewing")`."""
    try:
        file_name = EXAMPLES[name]
    except KeyError:
        known = ", ".join(EXAMPLES)
        raise NextBatchError(f"unknown example {name!r}; the examples are: {known}") from None
    return resources_dir() / "examples" / file_name


def icon_path(size: int = 256) -> Path:
    """The app icon's PNG at `size` pixels, or at the next larger size there is (else 512)."""
    fitting = [s for s in ICON_SIZES if s >= size] or [ICON_SIZES[-1]]
    return resources_dir() / "icons" / f"nextbatch-{fitting[0]}.png"
