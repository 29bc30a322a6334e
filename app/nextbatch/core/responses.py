"""What the lab measures, and what it wants of each measurement."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from nextbatch.core.fields import FieldReader, put, unknown_keys

GOALS = ("maximize", "minimize", "target", "range", "observe")
GOAL_WORDS = {
    "maximize": "as high as possible",
    "minimize": "as low as possible",
    "target": "hit a target",
    "range": "keep in range",
    "observe": "just record",
}


@dataclass
class Response:
    """One measured result. `low`/`high` are the limits that define its desirability.

    `importance` (1–5) weighs it in the overall desirability; `range` goals are requirements
    (stay between `low` and `high`) rather than things to improve.
    """

    name: str
    goal: str = "maximize"
    target: float | None = None
    low: float | None = None
    high: float | None = None
    importance: float = 1
    label: str = ""
    unit: str = ""
    description: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def title(self) -> str:
        return self.label or self.name

    @property
    def header(self) -> str:
        return f"{self.title} [{self.unit}]" if self.unit else self.title

    @property
    def is_optimized(self) -> bool:
        """Whether the engine improves it (observe-only responses are just recorded)."""
        return self.goal != "observe"

    @classmethod
    def from_dict(cls, d: dict[str, Any], path: str, reader: FieldReader) -> Response:
        return cls(
            name=reader.required_text(d, "name", path),
            goal=reader.text(d, "goal", path, "maximize") or "maximize",
            target=reader.number(d, "target", path),
            low=reader.number(d, "low", path),
            high=reader.number(d, "high", path),
            importance=reader.number(d, "importance", path, 1),
            label=reader.text(d, "label", path) or "",
            unit=reader.text(d, "unit", path) or "",
            description=reader.text(d, "description", path) or "",
            extra=unknown_keys(
                d,
                {"name", "goal", "target", "low", "high", "importance", "label", "unit",
                 "description"},
            ),
        )

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name}
        put(out, "label", self.label, "")
        put(out, "unit", self.unit, "")
        out["goal"] = self.goal
        for key in ("target", "low", "high"):
            put(out, key, getattr(self, key))
        put(out, "importance", self.importance, 1)
        put(out, "description", self.description, "")
        out.update(self.extra)
        return out
