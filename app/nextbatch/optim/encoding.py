"""The study's variables as numbers the GP and the optimizer work with.

Two views of one encoding:

* the **model space** (`Encoding`): every variable, numeric ones scaled to [0, 1] (log-scaled
  where the study says `scale: "log"`), categorical ones one-hot. GPs are fitted here, so runs
  made while a variable was fixed still teach the model.
* the **search space** (`SearchSpace`): only what this batch may change. Fixed variables (the
  study's and `fixed=` overrides) and already chosen `hold` values are constants; the free
  numeric columns form a polytope (bounds, mixture totals, constraints) mapped through the same
  affine scaling, and the free categorical variables are chosen as level combinations.

A log-scaled variable that appears in a mixture or a constraint is encoded linearly: a linear
rule in the lab's units would become curved in log coordinates, and the search must stay exact
on it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from nextbatch.core.errors import InfeasibleError
from nextbatch.core.study import Study
from nextbatch.core.variables import Variable
from nextbatch.optim.sampling import Polytope

Value = float | int | str


@dataclass(frozen=True)
class NumericMap:
    """Affine (or log-affine) map of one numeric variable onto [0, 1]."""

    name: str
    lo: float
    hi: float
    log: bool

    def to_unit(self, x: np.ndarray | float) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        if self.log:
            return (np.log(np.maximum(x, 1e-300)) - math.log(self.lo)) / self.width
        return (x - self.lo) / self.width

    def from_unit(self, u: np.ndarray | float) -> np.ndarray:
        u = np.asarray(u, dtype=float)
        if self.log:
            return np.exp(math.log(self.lo) + u * self.width)
        return self.lo + u * self.width

    @property
    def width(self) -> float:
        span = math.log(self.hi) - math.log(self.lo) if self.log else self.hi - self.lo
        return span if span > 0 else 1.0


class Encoding:
    """Model space: numeric variables in [0, 1], categorical ones one-hot."""

    def __init__(self, study: Study) -> None:
        constrained = _constrained_names(study)
        self.variables = list(study.variables)
        self.maps: dict[str, NumericMap] = {}
        self.columns: dict[str, slice] = {}
        col = 0
        for v in self.variables:
            if v.is_numeric:
                lo, hi = v.bounds() or (0.0, 1.0)
                log = (v.kind == "continuous" and v.scale == "log" and lo > 0
                       and v.name not in constrained)
                self.maps[v.name] = NumericMap(v.name, float(lo), float(hi), log)
                self.columns[v.name] = slice(col, col + 1)
                col += 1
            else:
                self.columns[v.name] = slice(col, col + len(v.levels))
                col += len(v.levels)
        self.width = col

    def encode(self, settings: dict[str, Any]) -> np.ndarray:
        """One recipe as a model-space row; a missing value takes the fixed value or midpoint."""
        row = np.zeros(self.width)
        for v in self.variables:
            value = settings.get(v.name, v.fixed)
            cols = self.columns[v.name]
            if v.is_numeric:
                ok = isinstance(value, int | float) and not isinstance(value, bool)
                row[cols.start] = float(self.maps[v.name].to_unit(value)) if ok else 0.5
            elif value in v.levels:
                row[cols.start + v.levels.index(value)] = 1.0
        return row

    def encode_many(self, recipes: list[dict[str, Any]]) -> np.ndarray:
        if not recipes:
            return np.empty((0, self.width))
        return np.vstack([self.encode(r) for r in recipes])


class SearchSpace:
    """What one batch member may change, and the polytope its numeric part lives in.

    `fixed` maps variable names to the values they are held at (study `fixed`, `fixed=`
    overrides and hold values chosen earlier in the batch).
    """

    def __init__(self, study: Study, encoding: Encoding, fixed: dict[str, Value]) -> None:
        self.study = study
        self.encoding = encoding
        self.fixed = dict(fixed)
        self.base = encoding.encode(self.fixed)
        free = [v for v in study.variables if v.name not in self.fixed]
        self.numeric: list[Variable] = [v for v in free if v.is_numeric]
        self.categorical: list[Variable] = [v for v in free if not v.is_numeric]
        self.numeric_cols = np.array([encoding.columns[v.name].start for v in self.numeric],
                                     dtype=int)
        self.polytope = self._polytope()

    # ------------------------------------------------------------------ shapes
    @property
    def dim(self) -> int:
        return len(self.numeric)

    @property
    def n_combos(self) -> int:
        return math.prod(len(v.levels) for v in self.categorical)

    def combo_index_to_levels(self, index: int) -> tuple[int, ...]:
        """The `index`-th combination of categorical levels (mixed-radix digits)."""
        digits = []
        for v in reversed(self.categorical):
            index, digit = divmod(index, len(v.levels))
            digits.append(digit)
        return tuple(reversed(digits))

    # ----------------------------------------------------------------- mapping
    def to_model(self, Z: np.ndarray, combos: np.ndarray) -> np.ndarray:
        """Model-space rows from numeric search coordinates `Z` and level indices `combos`."""
        Z = np.atleast_2d(Z)
        X = np.repeat(self.base[None, :], len(Z), axis=0)
        if self.dim:
            X[:, self.numeric_cols] = Z
        combos = np.asarray(combos, dtype=int).reshape(len(Z), len(self.categorical))
        rows = np.arange(len(Z))
        for j, v in enumerate(self.categorical):
            start = self.encoding.columns[v.name].start
            X[rows, start + combos[:, j]] = 1.0
        return X

    def values(self, z: np.ndarray) -> np.ndarray:
        """Numeric search coordinates back in the lab's units (unrounded)."""
        return np.array([float(self.encoding.maps[v.name].from_unit(zi))
                         for v, zi in zip(self.numeric, z, strict=True)])

    def units(self, x: np.ndarray) -> np.ndarray:
        """Lab values of the free numeric variables as search coordinates."""
        return np.array([float(self.encoding.maps[v.name].to_unit(xi))
                         for v, xi in zip(self.numeric, x, strict=True)])

    def settings(self, x: np.ndarray, combo: tuple[int, ...]) -> dict[str, Value]:
        """A full recipe: fixed values, numeric values `x` and categorical levels `combo`."""
        out: dict[str, Value] = {}
        for v in self.study.variables:
            if v.name in self.fixed:
                out[v.name] = self.fixed[v.name]
        for v, xi in zip(self.numeric, x, strict=True):
            out[v.name] = xi
        for v, level in zip(self.categorical, combo, strict=True):
            out[v.name] = v.levels[level]
        return {v.name: out[v.name] for v in self.study.variables}

    # ---------------------------------------------------------------- polytope
    def _polytope(self) -> Polytope:
        """Bounds, mixtures and constraints of the free numeric variables, in search units."""
        from nextbatch.core.linear import linear_system

        numeric_fixed = {name: value for name, value in self.fixed.items()
                         if self.study.variable(name).is_numeric}
        system = linear_system(self.study, fixed=numeric_fixed)
        if system.is_empty:
            raise InfeasibleError(infeasible_message(system.conflicts()))
        index = {v.name: j for j, v in enumerate(self.numeric)}
        d = self.dim
        lo, hi = np.zeros(d), np.ones(d)
        for name, lb, ub in zip(system.names, system.lb, system.ub, strict=True):
            if name in index:
                m = self.encoding.maps[name]
                j = index[name]
                lo[j] = max(0.0, float(m.to_unit(lb))) if np.isfinite(lb) else 0.0
                hi[j] = min(1.0, float(m.to_unit(ub))) if np.isfinite(ub) else 1.0
        A_eq, b_eq = self._map_rows(system.names, system.A_eq, system.b_eq, index)
        A_ub, b_ub = self._map_rows(system.names, system.A_ub, system.b_ub, index)
        poly = Polytope(lo, hi, A_eq, b_eq, A_ub, b_ub)
        empty = (poly.reduced is None if d else
                 np.any(np.abs(b_eq) > 1e-9) or np.any(b_ub < -1e-9))
        if empty:
            raise InfeasibleError(infeasible_message(system.conflicts()))
        return poly

    def _map_rows(self, names: list[str], A: np.ndarray, b: np.ndarray,
                  index: dict[str, int]) -> tuple[np.ndarray, np.ndarray]:
        """`A x (op) b` in lab units as rows over search units: x = lo + width * u."""
        A = np.asarray(A, dtype=float).reshape(-1, len(names))
        rows = np.zeros((len(A), self.dim))
        rhs = np.array(b, dtype=float).reshape(-1).copy()
        for k, name in enumerate(names):
            col = A[:, k]
            if name in index:
                m = self.encoding.maps[name]
                rows[:, index[name]] += col * m.width
                rhs -= col * m.lo
            elif name in self.fixed:
                rhs -= col * float(self.fixed[name])
        return rows, rhs


def _constrained_names(study: Study) -> set[str]:
    """Variables inside a mixture or a linear constraint (those must stay linearly encoded)."""
    names = {v.name for v in study.variables if v.mixture}
    for c in study.parsed_constraints():
        names.update(c.coeffs)
    return names


def infeasible_message(conflicts: list[str]) -> str:
    """The InfeasibleError text: which rules cannot hold together."""
    rules = "; ".join(conflicts) if conflicts else "the bounds, mixtures and constraints"
    return f"no recipe satisfies all the rules together: {rules}. Relax one of them."
