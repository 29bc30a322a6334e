"""Shared fixtures: the DESIGN §3 example study as a dict and as a Study."""

from __future__ import annotations

import copy
import os
from typing import Any

import pytest
from nextbatch.core import Study

# Qt never needs a screen in tests (pytest-qt reads this when it creates the application).
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

DESIGN_EXAMPLE: dict[str, Any] = {
    "format": "nextbatch-study",
    "version": 1,
    "name": "Shaving cream base",
    "description": "Stable foam that still feels light",
    "variables": [
        {"name": "water", "kind": "continuous", "low": 60, "high": 80, "unit": "%",
         "mixture": "base"},
        {"name": "stearic_acid", "label": "Stearic acid", "kind": "continuous", "low": 5,
         "high": 15, "unit": "%", "mixture": "base", "resolution": 0.1},
        {"name": "koh", "kind": "continuous", "low": 1, "high": 4, "unit": "%",
         "mixture": "base"},
        {"name": "mixing_time", "kind": "integer", "low": 5, "high": 30, "step": 5,
         "unit": "min"},
        {"name": "process_temp", "kind": "discrete", "values": [60, 65, 70, 75], "unit": "°C",
         "hold": True},
        {"name": "emulsifier", "kind": "categorical", "levels": ["polysorbate 80", "lecithin"]},
    ],
    "mixtures": [{"name": "base", "total": 100, "batch_amount": 500, "batch_unit": "g"}],
    "constraints": ["stearic_acid - 2*koh >= 0"],
    "responses": [
        {"name": "foam_height", "unit": "mm", "goal": "maximize", "low": 20, "high": 60,
         "importance": 3},
        {"name": "viscosity", "unit": "cP", "goal": "target", "target": 5000, "low": 3000,
         "high": 7000, "importance": 2},
        {"name": "ph", "goal": "range", "low": 8.5, "high": 9.5},
    ],
    "runs": [
        {"id": "B01-01", "batch": 1, "status": "done", "source": "initial",
         "settings": {"water": 72.4, "stearic_acid": 9.1, "koh": 2.5, "mixing_time": 15,
                      "process_temp": 65, "emulsifier": "lecithin"},
         "results": {"foam_height": 41.2, "viscosity": 4300, "ph": 9.1},
         "created": "2026-12-01T09:00:00Z", "measured": "2026-12-02T15:30:00Z"}
    ],
    "settings": {"batch_size": 4},
}


@pytest.fixture
def design_dict() -> dict[str, Any]:
    """A fresh copy of the DESIGN §3 example (note: its mixture does not reach 100 %)."""
    return copy.deepcopy(DESIGN_EXAMPLE)


@pytest.fixture
def design_study(design_dict: dict[str, Any]) -> Study:
    return Study.from_dict(design_dict)
