"""Weigh-out amounts: a mixture recipe in % turned into grams (or kg, ml) for one batch.

The bench does not weigh percentages. For a mixture with a `batch_amount` (500 g), each
component's share of the mixture total becomes an amount to weigh. The amounts are rounded to
a balance-like precision and then nudged by the largest-remainder rule so that they add up to
exactly the rounded total, as a person checking the sum on a calculator expects. Qt-free, so the
run sheet, the report and the GUI show the same numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from nextbatch.core.fields import is_number
from nextbatch.core.study import Study
from nextbatch.core.variables import Mixture, Variable

SIGNIFICANT_DIGITS = 5  # 500 g -> 0.01 g, 20 kg -> 1 g: what a bench balance resolves


@dataclass(frozen=True)
class WeighOutColumn:
    """One weigh-out column of a run sheet: which component, of which mixture, headed how."""

    mixture: Mixture
    component: Variable

    @property
    def unit(self) -> str:
        return self.mixture.batch_unit

    @property
    def header(self) -> str:
        """`Water [g] for 500 g`: the component, its amount's unit and the batch it is for."""
        unit = f" [{self.unit}]" if self.unit else ""
        amount = f"{_number(self.mixture.batch_amount)} {self.unit}".strip()
        return f"{self.component.title}{unit} for {amount}"


def weigh_out_columns(study: Study) -> list[WeighOutColumn]:
    """A column for each component of each mixture that has a batch amount."""
    return [WeighOutColumn(m, v) for m in study.mixtures if _has_amount(m)
            for v in study.components(m.name)]


def decimals_for(mixture: Mixture) -> int:
    """Decimal places for amounts of this mixture's batch (5 significant digits of the batch)."""
    amount = abs(mixture.batch_amount or 0)
    if amount == 0:
        return 2
    return max(0, SIGNIFICANT_DIGITS - (math.floor(math.log10(amount)) + 1))


def weigh_out(study: Study, mixture: Mixture, settings: dict[str, object]
              ) -> dict[str, float | None]:
    """Amount of each component (by variable name) for the mixture's batch amount.

    A component without a numeric setting gets None; the others still add up, so a
    half-planned recipe is shown as far as it goes.
    """
    if not _has_amount(mixture):
        return {}
    scale = float(mixture.batch_amount) / float(mixture.total)  # type: ignore[arg-type]
    exact = {v.name: float(settings[v.name]) * scale  # type: ignore[arg-type]
             for v in study.components(mixture.name)
             if is_number(settings.get(v.name)) and math.isfinite(settings[v.name])}  # type: ignore[arg-type]
    rounded = _round_to_sum(exact, decimals_for(mixture))
    return {v.name: rounded.get(v.name) for v in study.components(mixture.name)}


def batch_total(amounts: list[float | None], mixture: Mixture) -> float:
    """Sum of one weigh-out column (or of one recipe's amounts), free of float noise."""
    return round(sum(a for a in amounts if a is not None), decimals_for(mixture))


def _round_to_sum(exact: dict[str, float], decimals: int) -> dict[str, float]:
    """Round each amount to `decimals` places so that the parts add up to the rounded total."""
    if not exact:
        return {}
    unit = 10.0 ** -decimals
    target = round(sum(exact.values()) / unit)
    floors = {k: math.floor(v / unit + 1e-9) for k, v in exact.items()}
    short = target - sum(floors.values())
    by_remainder = sorted(exact, key=lambda k: exact[k] / unit - floors[k], reverse=True)
    for k in by_remainder[:max(0, short)]:
        floors[k] += 1
    return {k: round(n * unit, decimals) for k, n in floors.items()}


def _has_amount(mixture: Mixture) -> bool:
    return bool(mixture.batch_amount) and bool(mixture.total)


def _number(x: float | None) -> str:
    if x is None:
        return ""
    return f"{x:g}"
