"""What the lab controls: continuous, integer, discrete and categorical variables."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from nextbatch.core.fields import FieldReader, put, unknown_keys

KINDS = ("continuous", "integer", "discrete", "categorical")
NUMERIC_KINDS = ("continuous", "integer", "discrete")
SCALES = ("linear", "log")
MAX_GRID_LEVELS = 100_000  # an integer grid finer than this is a continuous variable in disguise

_KNOWN = {
    "name", "kind", "label", "unit", "description", "low", "high", "step", "resolution",
    "scale", "values", "levels", "mixture", "fixed", "hold",
}


@dataclass
class Variable:
    """One thing the lab can change.

    Which fields matter depends on `kind`: `low`/`high` (+ `resolution`, `scale`) for
    continuous, `low`/`high`/`step` for integer, `values` for discrete, `levels` for
    categorical. `fixed` holds the variable at one value (not optimized); `hold` asks for one
    value shared by the whole batch; `mixture` names the mixture the variable is a component of.
    """

    name: str
    kind: str = "continuous"
    low: float | None = None
    high: float | None = None
    step: float | None = None
    resolution: float | None = None
    scale: str = "linear"
    values: list[float] = field(default_factory=list)
    levels: list[str] = field(default_factory=list)
    label: str = ""
    unit: str = ""
    description: str = ""
    mixture: str | None = None
    fixed: float | str | None = None
    hold: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    # ----------------------------------------------------------------- describing
    @property
    def title(self) -> str:
        """How people write it: the label, else the name."""
        return self.label or self.name

    @property
    def header(self) -> str:
        """Column header of run sheets and tables: `Stearic acid [%]`."""
        return f"{self.title} [{self.unit}]" if self.unit else self.title

    @property
    def is_numeric(self) -> bool:
        return self.kind in NUMERIC_KINDS

    @property
    def integer_step(self) -> float:
        return self.step if self.step else 1

    def grid(self) -> list[float]:
        """Every allowed value of an integer or discrete variable, ascending."""
        if self.kind == "discrete":
            return sorted(self.values)
        if self.kind == "integer" and self.low is not None and self.high is not None:
            step = self.integer_step
            n = math.floor((self.high - self.low) / step + 1e-9)
            return [_tidy(self.low + i * step) for i in range(n + 1)]
        return []

    def bounds(self) -> tuple[float, float] | None:
        """Smallest and largest allowed value of a numeric variable."""
        if self.kind == "discrete":
            return (min(self.values), max(self.values)) if self.values else None
        if self.kind in ("continuous", "integer") and None not in (self.low, self.high):
            return float(self.low), float(self.high)  # type: ignore[arg-type]
        return None

    def allows(self, value: object, tol: float = 1e-9) -> bool:
        """Whether `value` is one this variable may take (bounds, step, level)."""
        return self.why_not(value, tol) is None

    def why_not(self, value: object, tol: float = 1e-9) -> str | None:
        """Plain words for why `value` is not allowed, or None when it is."""
        if self.kind == "categorical":
            if value in self.levels:
                return None
            return f"{value!r} is not one of the levels {', '.join(map(repr, self.levels))}"
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(
            value
        ):
            return f"{value!r} is not a number"
        if self.kind == "discrete":
            if any(abs(value - v) <= tol * max(1.0, abs(v)) for v in self.values):
                return None
            return f"{_fmt(value)} is not one of the allowed values {_join(self.values)}"
        lo = -math.inf if self.low is None else self.low
        hi = math.inf if self.high is None else self.high
        slack = tol * max(1.0, *(abs(b) for b in (lo, hi) if math.isfinite(b)))
        if value < lo - slack:
            return f"{_fmt(value)} is below the lower bound {_fmt(lo)} by {_fmt(lo - value)}"
        if value > hi + slack:
            return f"{_fmt(value)} is above the upper bound {_fmt(hi)} by {_fmt(value - hi)}"
        if self.kind == "integer" and math.isfinite(lo):
            k = (value - lo) / self.integer_step
            if abs(k - round(k)) > 1e-6:
                nxt = _fmt(lo + self.integer_step)
                return f"{_fmt(value)} is not on the grid {_fmt(lo)}, {nxt}, …"
        return None

    # -------------------------------------------------------------- serializing
    @classmethod
    def from_dict(cls, d: dict[str, Any], path: str, reader: FieldReader) -> Variable:
        kind = reader.text(d, "kind", path, "continuous") or "continuous"
        fixed = d.get("fixed")
        if (fixed is not None and not isinstance(fixed, str | int | float)) or isinstance(
            fixed, bool
        ):
            reader.fail(f"{path}fixed", fixed, "expected a number or a level")
            fixed = None
        return cls(
            name=reader.required_text(d, "name", path),
            kind=kind,
            low=reader.number(d, "low", path),
            high=reader.number(d, "high", path),
            step=reader.number(d, "step", path),
            resolution=reader.number(d, "resolution", path),
            scale=reader.text(d, "scale", path, "linear") or "linear",
            values=reader.numbers(d, "values", path),
            levels=reader.texts(d, "levels", path),
            label=reader.text(d, "label", path) or "",
            unit=reader.text(d, "unit", path) or "",
            description=reader.text(d, "description", path) or "",
            mixture=reader.text(d, "mixture", path, None),
            fixed=fixed,
            hold=reader.flag(d, "hold", path),
            extra=unknown_keys(d, _KNOWN),
        )

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "kind": self.kind}
        put(out, "label", self.label, "")
        for key in ("low", "high", "step", "resolution"):
            put(out, key, getattr(self, key))
        put(out, "scale", self.scale, "linear")
        put(out, "values", list(self.values), [])
        put(out, "levels", list(self.levels), [])
        put(out, "unit", self.unit, "")
        put(out, "description", self.description, "")
        put(out, "mixture", self.mixture)
        put(out, "fixed", self.fixed)
        put(out, "hold", self.hold, False)
        out.update(self.extra)
        return out


@dataclass
class Mixture:
    """Components (variables naming this mixture) whose values add up to `total`."""

    name: str
    total: float = 100
    batch_amount: float | None = None
    batch_unit: str = ""
    label: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def title(self) -> str:
        return self.label or self.name

    @classmethod
    def from_dict(cls, d: dict[str, Any], path: str, reader: FieldReader) -> Mixture:
        return cls(
            name=reader.required_text(d, "name", path),
            total=reader.number(d, "total", path, 100),
            batch_amount=reader.number(d, "batch_amount", path),
            batch_unit=reader.text(d, "batch_unit", path) or "",
            label=reader.text(d, "label", path) or "",
            extra=unknown_keys(d, {"name", "total", "batch_amount", "batch_unit", "label"}),
        )

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "total": self.total}
        put(out, "label", self.label, "")
        put(out, "batch_amount", self.batch_amount)
        put(out, "batch_unit", self.batch_unit, "")
        out.update(self.extra)
        return out


def _tidy(x: float) -> float:
    """Remove float noise from grid arithmetic (0.1 * 3 -> 0.3), keep ints as ints."""
    r = round(x, 10)
    return int(r) if float(r).is_integer() else r


def _fmt(x: float) -> str:
    return f"{x:.6g}"


def _join(values: list[float]) -> str:
    return ", ".join(_fmt(v) for v in sorted(values))
