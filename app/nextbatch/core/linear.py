"""The search space as linear algebra: bounds, mixture totals and constraints as matrices.

`linear_system(study)` turns a study into `lb <= x <= ub`, `A_eq x = b_eq`, `A_ub x <= b_ub`
over its numeric variables; validation asks it whether the space is empty and which rules
conflict, the engine asks it for feasible and well-interior starting points. Integer and
discrete variables enter with their smallest and largest allowed value, so this is the
continuous relaxation of the space: a study it calls empty certainly is. `grid_point` then
asks the sharper question, whether a recipe exists with every variable on its allowed values.

Every linear program is solved in scaled coordinates (each bounded variable mapped to [0, 1],
each row divided by its largest coefficient) so that a tolerance of 1e-9 means the same for
grams and for fractions.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from nextbatch.core.constraints import parse_constraint

if TYPE_CHECKING:
    from nextbatch.core.study import Study
    from nextbatch.core.variables import Variable

_TOL = 1e-9


@dataclass
class LinearSystem:
    """`lb <= x <= ub`, `A_eq @ x == b_eq`, `A_ub @ x <= b_ub` over the columns `names`.

    Each row carries a label a person recognizes: the constraint as the user wrote it, or
    `mixture base: components add up to 100`; `>=` rules are stored flipped into `<=` rows.
    """

    names: list[str]
    lb: np.ndarray
    ub: np.ndarray
    A_eq: np.ndarray
    b_eq: np.ndarray
    eq_labels: list[str]
    A_ub: np.ndarray
    b_ub: np.ndarray
    ub_labels: list[str]
    bound_labels: list[str]

    @property
    def is_empty(self) -> bool:
        """Whether no point satisfies every bound, mixture total and constraint together."""
        return self.feasible_point() is None

    def feasible_point(self) -> np.ndarray | None:
        """Some point of the space (a vertex, as the LP solver finds it), or None if empty."""
        return self._solve(list(range(len(self.names))), list(range(len(self.eq_labels))),
                           list(range(len(self.ub_labels))))

    def chebyshev_center(self) -> np.ndarray | None:
        """A point well inside the space, in every direction it can be; None if empty.

        First the centre of the largest ball (in scaled units) that fits; then, as long as
        some rules are not yet touching a ball, the rules that block it are frozen at that
        radius and the ball grows along the others (a max-min of the slacks, one level at a
        time). So a narrow mixture does not leave the other variables at an arbitrary edge.
        The balls live in the subspace that equalities and fixed variables leave free, so a
        mixture still adds up to its total: a good start for a sampler that must stay inside.
        """
        from scipy.linalg import null_space
        from scipy.optimize import linprog

        n = len(self.names)
        if n == 0:
            return np.zeros(0)
        if self.feasible_point() is None:
            return None
        offset, scale = self._scaling()
        lo, hi = (self.lb - offset) / scale, (self.ub - offset) / scale
        fixed = np.isclose(self.lb, self.ub, rtol=_TOL, atol=0.0)
        # Fixed variables join the equalities: the ball must not need room along them.
        a_eq, b_eq = self._scaled_rows(self.A_eq, self.b_eq, offset, scale)
        a_eq = np.vstack([a_eq, np.eye(n)[fixed]])
        b_eq = np.concatenate([b_eq, lo[fixed]])
        a_ub, b_ub = self._scaled_rows(self.A_ub, self.b_ub, offset, scale)
        top, bottom = ~fixed & np.isfinite(hi), ~fixed & np.isfinite(lo)
        a_ub = np.vstack([a_ub, np.eye(n)[top], -np.eye(n)[bottom]])
        b_ub = np.concatenate([b_ub, hi[top], -lo[bottom]])
        basis = null_space(a_eq) if len(a_eq) else np.eye(n)
        norms = np.linalg.norm(a_ub @ basis, axis=1)
        radius = np.zeros(len(a_ub))  # the slack each frozen rule keeps
        growing = norms > _TOL  # rules whose slack may still grow
        x = None
        while True:
            result = linprog(
                c=np.r_[np.zeros(n), -1.0],
                A_ub=np.c_[a_ub, norms * growing] if len(a_ub) else None,
                b_ub=b_ub - radius * norms if len(a_ub) else None,
                A_eq=np.c_[a_eq, np.zeros(len(a_eq))] if len(a_eq) else None,
                b_eq=b_eq if len(a_eq) else None,
                bounds=[*_pairs(lo, hi), (0.0, 1.0)],
                method="highs",
                options={"primal_feasibility_tolerance": _TOL},
            )
            if result.status != 0:
                break
            x = result.x[:n]
            marginals = result.ineqlin.marginals if len(a_ub) else np.zeros(0)
            blocking = growing & (np.abs(marginals) > _TOL)
            if not blocking.any():
                break
            radius[blocking] = result.x[n]
            growing &= ~blocking
        if x is None:
            return None
        return np.clip(self._unscale(x, offset, scale), self.lb, self.ub)

    def conflicts(self) -> list[str]:
        """Labels of an irreducible set of bounds, mixtures and constraints that conflict.

        A deletion filter: drop each rule in turn and keep it out when the rest still
        conflicts. What remains is irreducible: removing any one of its rules makes the space
        non-empty. Bounds are tried first, so that the answer names mixtures and constraints
        where it can. Empty when the space is not empty.
        """
        bounds = list(range(len(self.names)))
        eqs = list(range(len(self.eq_labels)))
        ubs = list(range(len(self.ub_labels)))
        if self._solve(bounds, eqs, ubs) is not None:
            return []
        for kept in (bounds, eqs, ubs):
            for index in list(kept):
                kept.remove(index)
                if self._solve(bounds, eqs, ubs) is not None:
                    kept.append(index)
            kept.sort()
        return ([self.bound_labels[i] for i in bounds] + [self.eq_labels[i] for i in eqs]
                + [self.ub_labels[i] for i in ubs])

    # ------------------------------------------------------------------ solving
    def _solve(self, bounds: list[int], eqs: list[int], ubs: list[int]) -> np.ndarray | None:
        """A feasible point using only the given bound pairs and rows, or None."""
        from scipy.optimize import linprog

        n = len(self.names)
        if n == 0:
            return np.zeros(0)
        offset, scale = self._scaling()
        lo = np.full(n, -np.inf)
        hi = np.full(n, np.inf)
        lo[bounds] = ((self.lb - offset) / scale)[bounds]
        hi[bounds] = ((self.ub - offset) / scale)[bounds]
        if np.any(lo > hi):
            return None
        a_eq, b_eq = self._scaled_rows(self.A_eq[eqs], self.b_eq[eqs], offset, scale)
        a_ub, b_ub = self._scaled_rows(self.A_ub[ubs], self.b_ub[ubs], offset, scale)
        result = linprog(
            c=np.zeros(n),
            A_ub=a_ub if len(ubs) else None,
            b_ub=b_ub if len(ubs) else None,
            A_eq=a_eq if len(eqs) else None,
            b_eq=b_eq if len(eqs) else None,
            bounds=list(_pairs(lo, hi)),
            method="highs",
            options={"primal_feasibility_tolerance": _TOL},
        )
        if result.status != 0:
            return None
        x = self._unscale(result.x, offset, scale)
        return np.clip(x, self.lb, self.ub) if len(bounds) == n else x

    def _scaling(self) -> tuple[np.ndarray, np.ndarray]:
        """`x = offset + scale * z` maps each bounded variable's range onto [0, 1]."""
        both = np.isfinite(self.lb) & np.isfinite(self.ub) & (self.ub > self.lb)
        offset = np.where(np.isfinite(self.lb), self.lb,
                          np.where(np.isfinite(self.ub), self.ub, 0.0))
        scale = np.where(both, self.ub - self.lb, 1.0)
        return offset, scale

    @staticmethod
    def _scaled_rows(a: np.ndarray, b: np.ndarray, offset: np.ndarray,
                     scale: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Rows in scaled coordinates, each divided by its largest coefficient."""
        a_z = a * scale
        b_z = b - a @ offset
        size = np.max(np.abs(a_z), axis=1, initial=0.0)
        size = np.where(size > 0, size, 1.0)
        return a_z / size[:, None], b_z / size

    @staticmethod
    def _unscale(z: np.ndarray, offset: np.ndarray, scale: np.ndarray) -> np.ndarray:
        return offset + scale * z


def linear_system(study: Study, fixed: Mapping[str, float] | None = None) -> LinearSystem:
    """The linear description of `study`'s numeric space, with `fixed` variables pinned.

    Raises ConstraintSyntaxError when a constraint does not parse and KeyError when `fixed`
    names no variable of the study; entries of `fixed` for categorical variables are ignored
    (they are not columns of the system).
    """
    fixed = dict(fixed or {})
    for name in fixed:
        study.variable(name)
    numeric = [v for v in study.variables if v.is_numeric]
    names = [v.name for v in numeric]
    column = {name: j for j, name in enumerate(names)}
    n = len(names)
    lb, ub, bound_labels = np.empty(n), np.empty(n), []
    for j, v in enumerate(numeric):
        pinned = fixed.get(v.name, v.fixed)
        if pinned is not None and not isinstance(pinned, str):
            lb[j] = ub[j] = float(pinned)
            bound_labels.append(f"{v.name} fixed at {_num(float(pinned))}")
        else:
            lb[j], ub[j] = _range(v)
            bound_labels.append(f"{v.name} between {_num(lb[j])} and {_num(ub[j])}")

    eq_rows: list[np.ndarray] = []
    eq_rhs: list[float] = []
    eq_labels: list[str] = []
    for mixture in study.mixtures:
        members = [column[v.name] for v in study.components(mixture.name) if v.name in column]
        if members:
            row = np.zeros(n)
            row[members] = 1.0
            eq_rows.append(row)
            eq_rhs.append(float(mixture.total))
            eq_labels.append(f"mixture {mixture.name}: components add up to "
                             f"{_num(float(mixture.total))}")
    ub_rows: list[np.ndarray] = []
    ub_rhs: list[float] = []
    ub_labels: list[str] = []
    for text in study.constraints:
        rule = parse_constraint(text, names)
        row = np.zeros(n)
        for name, coeff in rule.coeffs.items():
            row[column[name]] = coeff
        if rule.op == "==":
            eq_rows.append(row)
            eq_rhs.append(rule.rhs)
            eq_labels.append(text)
        else:
            sign = 1.0 if rule.op == "<=" else -1.0
            ub_rows.append(sign * row + 0.0)
            ub_rhs.append(sign * rule.rhs + 0.0)
            ub_labels.append(text)
    return LinearSystem(
        names=names, lb=lb, ub=ub,
        A_eq=np.array(eq_rows).reshape(len(eq_rows), n), b_eq=np.array(eq_rhs, dtype=float),
        eq_labels=eq_labels,
        A_ub=np.array(ub_rows).reshape(len(ub_rows), n), b_ub=np.array(ub_rhs, dtype=float),
        ub_labels=ub_labels, bound_labels=bound_labels,
    )


@dataclass(frozen=True)
class _Grid:
    """Where one variable may sit on its grid.

    Either `origin + step * k` for whole k in [first, last], or one of `values`.
    """

    column: int
    origin: float = 0.0
    step: float = 0.0
    first: int = 0
    last: int = 0
    values: tuple[float, ...] = ()

    @property
    def width(self) -> int:
        """How many solver columns it needs: one whole number, or one binary per value."""
        return len(self.values) if self.values else 1


def grid_point(study: Study, fixed: Mapping[str, float] | None = None,
               time_limit: float = 2.0) -> np.ndarray | None:
    """A point of the space with every variable on its allowed values, or None if none exists.

    `LinearSystem` treats integer and discrete variables as intervals and ignores resolution;
    this mixed-integer search puts integers on their steps, discrete variables on their
    values and continuous ones with a `resolution` on its multiples, so that it also catches
    a space whose only recipes lie between the allowed values. Columns as in
    `linear_system(study, fixed)`. Raises TimeoutError when it cannot decide within
    `time_limit` seconds.
    """
    from scipy.optimize import Bounds, milp
    from scipy.optimize import LinearConstraint as Rows

    system = linear_system(study, fixed)
    if system.is_empty:
        return None
    if not system.names:  # nothing numeric: any choice of levels is a recipe
        return np.empty(0)
    grids = _grids(study, system)
    n, extra = len(system.names), sum(g.width for g in grids)
    a = np.vstack([np.c_[system.A_eq, np.zeros((len(system.b_eq), extra))],
                   np.c_[system.A_ub, np.zeros((len(system.b_ub), extra))]])
    lows = [*system.b_eq, *np.full(len(system.b_ub), -np.inf)]
    highs = [*system.b_eq, *system.b_ub]
    lb, ub = [*system.lb], [*system.ub]
    links = []
    start = n
    for g in grids:
        link = np.zeros(n + extra)
        link[g.column] = 1.0
        if g.values:  # x equals the value whose binary is 1, and exactly one is 1
            link[start:start + g.width] = -np.asarray(g.values)
            one = np.zeros(n + extra)
            one[start:start + g.width] = 1.0
            links += [(link, 0.0), (one, 1.0)]
            lb += [0.0] * g.width
            ub += [1.0] * g.width
        else:  # x = origin + step * k
            link[start] = -g.step
            links.append((link, g.origin))
            lb.append(g.first)
            ub.append(g.last)
        start += g.width
    a = np.vstack([a, *(row for row, _ in links)])
    lows += [rhs for _, rhs in links]
    highs += [rhs for _, rhs in links]
    size = np.max(np.abs(a), axis=1, initial=0.0)
    size = np.where(size > 0, size, 1.0)
    problem = {
        "c": np.zeros(n + extra),
        "integrality": np.r_[np.zeros(n), np.ones(extra)],
        "bounds": Bounds(lb, ub),
        "constraints": Rows(a / size[:, None], np.array(lows) / size, np.array(highs) / size),
    }
    # Without presolve: HiGHS's MIP presolve fails ("Solve error") on some tiny infeasible
    # problems, and these feasibility problems are small enough not to need it.
    result = milp(**problem, options={"time_limit": time_limit, "presolve": False})
    if result.status == 2:
        return None
    if result.status != 0:
        raise TimeoutError(f"no answer within {time_limit} s ({result.message})")
    snapped = dict(fixed or {})
    start = n
    for g in grids:
        chosen = result.x[start:start + g.width]
        name = system.names[g.column]
        snapped[name] = (g.values[int(np.argmax(chosen))] if g.values
                         else g.origin + g.step * round(float(chosen[0])))
        start += g.width
    # The values on a grid are now exact; the free variables are solved for around them.
    rest = linear_system(study, snapped).feasible_point()
    return rest if rest is not None else result.x[:n]


def _grids(study: Study, system: LinearSystem) -> list[_Grid]:
    """The grid of each variable that may not take any value of its interval."""
    out = []
    for j, name in enumerate(system.names):
        lo, hi = system.lb[j], system.ub[j]
        v = study.variable(name)
        if lo == hi or not (math.isfinite(lo) and math.isfinite(hi)):
            continue
        if v.kind == "discrete":
            out.append(_Grid(j, values=tuple(float(x) for x in v.grid())))
        elif v.kind == "integer":
            out.append(_Grid(j, lo, v.integer_step, 0, len(v.grid()) - 1))
        elif v.kind == "continuous" and v.resolution and v.resolution > 0:
            out.append(_Grid(j, 0.0, v.resolution, math.ceil(lo / v.resolution - _TOL),
                             math.floor(hi / v.resolution + _TOL)))
    return out


def _range(v: Variable) -> tuple[float, float]:
    """Smallest and largest allowed value; unbounded where the study leaves it open."""
    grid = v.grid()
    if grid:
        return float(grid[0]), float(grid[-1])
    low = -math.inf if v.low is None else float(v.low)
    high = math.inf if v.high is None else float(v.high)
    return low, high


def _pairs(lo: np.ndarray, hi: np.ndarray) -> list[tuple[float | None, float | None]]:
    return [(None if math.isinf(a) else float(a), None if math.isinf(b) else float(b))
            for a, b in zip(lo, hi, strict=True)]


def _num(x: float) -> str:
    return f"{x:.6g}"
