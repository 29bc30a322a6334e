"""Importing the engine stays light: no Qt, no scikit-learn, no optimizer until suggest runs."""

from __future__ import annotations

import subprocess
import sys


def test_importing_the_engine_loads_no_heavy_module():
    code = ("import sys, nextbatch.optim; "
            "print(','.join(m for m in ('PySide6', 'sklearn', 'scipy.optimize', "
            "'scipy.special', 'openpyxl') if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True).stdout.strip()
    assert loaded == ""
