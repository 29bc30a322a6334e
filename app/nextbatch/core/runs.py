"""One experiment: what was planned, what really happened, what was measured."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from nextbatch.core.fields import FieldReader, is_number, put, unknown_keys

STATUSES = ("planned", "done", "failed", "skipped")
SOURCES = ("initial", "suggested", "manual", "imported", "replicate", "confirmation")

Value = float | int | str


def now_iso() -> str:
    """A UTC timestamp as the study file writes it: `2026-12-02T15:30:00Z`."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def run_id(batch: int, index: int) -> str:
    """Stable, sortable run IDs: batch 3, run 2 -> `B03-02`."""
    return f"B{batch:02d}-{index:02d}"


@dataclass
class Run:
    """One experiment of a study.

    `settings` are what was planned; `actual` (optional, per variable) is what really
    happened and is what the model learns from when present. `predicted` keeps the engine's
    `(mean, sd)` per response at the time the run was suggested.
    """

    id: str
    batch: int = 1
    status: str = "planned"
    source: str = "manual"
    settings: dict[str, Value] = field(default_factory=dict)
    actual: dict[str, Value] = field(default_factory=dict)
    results: dict[str, float] = field(default_factory=dict)
    predicted: dict[str, tuple[float, float]] = field(default_factory=dict)
    notes: str = ""
    created: str | None = None
    measured: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def is_pending(self) -> bool:
        return self.status == "planned"

    def effective_settings(self) -> dict[str, Value]:
        """What the recipe really was: planned settings overridden by actual ones."""
        return {**self.settings, **self.actual}

    def has_results(self) -> bool:
        return any(_finite(v) for v in self.results.values())

    @classmethod
    def from_dict(cls, d: dict[str, Any], path: str, reader: FieldReader) -> Run:
        batch = d.get("batch", 1)
        if not (isinstance(batch, int) and not isinstance(batch, bool)):
            reader.fail(f"{path}batch", batch, "expected a whole number")
            batch = 1
        predicted: dict[str, tuple[float, float]] = {}
        for key, value in reader.mapping(d.get("predicted", {}), f"{path}predicted").items():
            if (isinstance(value, list | tuple) and len(value) == 2
                    and all(is_number(v) for v in value)):
                predicted[key] = (value[0], value[1])
            else:
                reader.fail(f"{path}predicted.{key}", value, "expected [mean, sd]")
        return cls(
            id=reader.required_text(d, "id", path),
            batch=batch,
            status=reader.text(d, "status", path, "planned") or "planned",
            source=reader.text(d, "source", path, "manual") or "manual",
            settings=_values(reader, d.get("settings", {}), f"{path}settings"),
            actual=_values(reader, d.get("actual", {}), f"{path}actual"),
            results=_results(reader, d.get("results", {}), f"{path}results"),
            predicted=predicted,
            notes=reader.text(d, "notes", path) or "",
            created=reader.text(d, "created", path, None),
            measured=reader.text(d, "measured", path, None),
            extra=unknown_keys(
                d,
                {"id", "batch", "status", "source", "settings", "actual", "results",
                 "predicted", "notes", "created", "measured"},
            ),
        )

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "batch": self.batch, "status": self.status,
                               "source": self.source, "settings": dict(self.settings)}
        put(out, "actual", dict(self.actual), {})
        put(out, "results", dict(self.results), {})
        put(out, "predicted", {k: [m, s] for k, (m, s) in self.predicted.items()}, {})
        put(out, "notes", self.notes, "")
        put(out, "created", self.created)
        put(out, "measured", self.measured)
        out.update(self.extra)
        return out


def _finite(v: object) -> bool:
    return is_number(v) and math.isfinite(v)  # type: ignore[arg-type]


def _values(reader: FieldReader, raw: object, path: str) -> dict[str, Value]:
    out: dict[str, Value] = {}
    for key, value in reader.mapping(raw, path).items():
        if isinstance(value, str) or is_number(value):
            out[key] = value
        else:
            reader.fail(f"{path}.{key}", value, "expected a number or a level")
    return out


def _results(reader: FieldReader, raw: object, path: str) -> dict[str, float]:
    """Results are numbers; non-finite ones are kept so that validation can flag them."""
    out: dict[str, float] = {}
    for key, value in reader.mapping(raw, path).items():
        if is_number(value):
            out[key] = value
        else:
            reader.fail(f"{path}.{key}", value, "expected a number")
    return out
