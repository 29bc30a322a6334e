"""Finding the best allowed recipe for a score: candidates, local optimization, rounding.

Continuous search happens in the encoded polytope (exact on mixtures and constraints); what
the lab cannot set exactly — integer steps, discrete levels, a `resolution` — is then rounded
and, where rounding broke a mixture total or a rule, repaired. Categorical levels are chosen
as whole combinations: up to FEW_COMBOS combinations each get their share of the random
candidates, beyond that each candidate draws one at random; the most promising combinations
then get a local optimization of their numeric part. Small fully gridded spaces (a lookup
table of reactions, up to ENUMERATE_LIMIT recipes) are scored exhaustively.

Given a `Neighbourhood` of the best measured recipes, LOCAL_STARTS of the local optimizations
start from candidates drawn around them instead: the random candidates rarely land in the narrow
peak next to a good recipe, and without them Hartmann-6 runs stayed at a local optimum (median
final regret 0.06 -> 0.006 on the shared benchmark, seeds 0-9).

The study's own `check_recipe` has the last word: a recipe it rejects is never returned.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from nextbatch.core.errors import CancelledError
from nextbatch.core.variables import Variable
from nextbatch.optim.encoding import SearchSpace, Value
from nextbatch.optim.sampling import TOL

ScoreGrad = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]
Score = Callable[[np.ndarray], np.ndarray]

ENUMERATE_LIMIT = 6000  # fully gridded spaces up to this size are scored point by point
FEW_COMBOS = 30  # categorical combinations up to this count are all tried
N_CANDIDATES = 2048
N_STARTS = 8  # local optimizations per batch member ...
N_STARTS_LARGE = 6  # ... and beyond LARGE measured runs, where each costs more
LARGE = 100
N_ROUNDED = 8  # optimized points rounded and re-scored before the best is kept
TIE_BREAK = 1e-6  # score per unit of distance to the nearest run: only decides near-ties
N_LOCAL = 512  # candidates drawn around the best measured recipes ...
LOCAL_STARTS = 3  # ... and how many of the local optimizations start from them


@dataclass(frozen=True)
class Neighbourhood:
    """Where to look closely: model-space rows of the best recipes, and a spread per column."""

    centres: np.ndarray
    spread: np.ndarray


@dataclass(frozen=True)
class Pick:
    """A recipe that passed every check, with its model-space row and its score."""

    settings: dict[str, Value]
    x: np.ndarray
    score: float


class Grid:
    """The allowed values of one numeric variable: integer steps, levels or a resolution."""

    def __init__(self, v: Variable) -> None:
        self.values: np.ndarray | None = None
        self.resolution: float | None = None
        self.lo, self.hi = v.bounds() or (0.0, 1.0)
        if v.kind in ("integer", "discrete"):
            self.values = np.asarray(v.grid(), dtype=float)
        elif v.resolution:
            self.resolution = float(v.resolution)
        # Whole numbers are written as ints: integer steps from a whole low, whole levels.
        self.whole = (self.values is not None and bool(np.all(self.values == np.round(
            self.values))))

    @property
    def is_gridded(self) -> bool:
        return self.values is not None or self.resolution is not None

    def size(self) -> float:
        if self.values is not None:
            return len(self.values)
        if self.resolution is not None:
            return math.floor(self.hi / self.resolution + 1e-9) - math.ceil(
                self.lo / self.resolution - 1e-9) + 1
        return math.inf

    def all_values(self) -> np.ndarray:
        if self.values is not None:
            return self.values
        r = self.resolution
        ks = np.arange(math.ceil(self.lo / r - 1e-9), math.floor(self.hi / r + 1e-9) + 1)
        return np.round(ks * r, 12)

    def snap(self, x: float) -> float:
        """The allowed value nearest to x."""
        if self.values is not None:
            return float(self.values[np.argmin(np.abs(self.values - x))])
        if self.resolution is not None:
            r = self.resolution
            k = min(max(round(x / r), math.ceil(self.lo / r - 1e-9)),
                    math.floor(self.hi / r + 1e-9))
            return round(k * r, 12)
        return x

    def neighbour(self, x: float, direction: int) -> float | None:
        """The next allowed value above (direction 1) or below (-1) the allowed value x."""
        if self.values is not None:
            i = int(np.argmin(np.abs(self.values - x))) + direction
            return float(self.values[i]) if 0 <= i < len(self.values) else None
        if self.resolution is not None:
            y = round(x + direction * self.resolution, 12)
            return y if self.lo - 1e-9 <= y <= self.hi + 1e-9 else None
        return None

    def tidy(self, x: float) -> Value:
        """The value as a person writes it: ints for integer steps, no float noise."""
        if not self.is_gridded:
            return float(x)
        r = round(float(x), 10)
        return int(r) if self.whole and r.is_integer() else r


class Searcher:
    """Best allowed recipes of one search space for a given score."""

    def __init__(self, space: SearchSpace, check: Callable[[dict[str, Value]], bool],
                 rng: np.random.Generator, cancel: Callable[[], bool] | None = None,
                 n_starts: int = N_STARTS, near: Neighbourhood | None = None) -> None:
        self.space = space
        self.n_starts = n_starts
        self.near = near
        self.check = check
        self.rng = rng
        self.cancel = cancel
        self.grids = [Grid(v) for v in space.numeric]
        self.gridded = np.array([g.is_gridded for g in self.grids], dtype=bool)

    # ------------------------------------------------------------- candidates
    @property
    def grid_size(self) -> float:
        """How many recipes a fully gridded space holds (inf when something is continuous)."""
        return math.prod(g.size() for g in self.grids) * self.space.n_combos

    def enumerate(self) -> tuple[np.ndarray, np.ndarray]:
        """Every grid point inside the polytope: numeric coordinates and level indices."""
        space = self.space
        axes = [np.array([float(space.encoding.maps[v.name].to_unit(x))
                          for x in g.all_values()]) for v, g in zip(space.numeric, self.grids,
                                                                    strict=True)]
        axes += [np.arange(len(v.levels), dtype=float) for v in space.categorical]
        mesh = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, len(axes)) \
            if axes else np.zeros((1, 0))
        Z, combos = mesh[:, :space.dim], mesh[:, space.dim:].astype(int)
        if space.dim:
            inside = space.polytope.contains(Z, 1e-7)
            Z, combos = Z[inside], combos[inside]
        return Z, combos

    def candidates(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """Random feasible numeric points, each with a categorical combination."""
        space = self.space
        n_combos = space.n_combos
        if space.dim == 0:
            count = min(n, n_combos)
            picks = (np.arange(n_combos) if n_combos <= n
                     else self.rng.choice(n_combos, size=count, replace=False))
            combos = np.array([space.combo_index_to_levels(int(i)) for i in picks], dtype=int)
            return np.zeros((len(combos), 0)), combos.reshape(len(picks), -1)
        Z = space.polytope.sample(n, self.rng)
        if n_combos <= FEW_COMBOS:
            index = np.arange(len(Z)) % n_combos
        else:
            index = self.rng.integers(0, n_combos, size=len(Z))
        combos = np.array([space.combo_index_to_levels(int(i)) for i in index], dtype=int)
        return Z, combos.reshape(len(Z), len(space.categorical))

    # ------------------------------------------------------------------ search
    def best(self, score: Score, score_grad: ScoreGrad, taken: set[tuple],
             existing: np.ndarray) -> Pick | None:
        """The best recipe not in `taken` (keys of `recipe_key`), or None if none is left.

        Where the model cannot tell candidates apart (equal scores, e.g. far from every
        run), the one farthest from the `existing` model-space rows wins the tie.
        """
        def scored(Z: np.ndarray, combos: np.ndarray) -> np.ndarray:
            X = self.space.to_model(Z, combos)
            return score(X) + TIE_BREAK * np.minimum(nearest_distance(X, existing), 1e3)

        if self.grid_size <= ENUMERATE_LIMIT:
            Z, combos = self.enumerate()
            return self._first_allowed(Z, combos, scored(Z, combos), taken, score, 1)
        Z, combos = self.candidates(N_CANDIDATES)
        values = scored(Z, combos)
        if not self.space.dim:
            return self._first_allowed(Z, combos, values, taken, score, N_ROUNDED)
        Z_near, c_near = self.near_candidates()
        local = LOCAL_STARTS if len(Z_near) else 0
        Z, combos, values = self._polish(Z, combos, values, score_grad, self.n_starts - local)
        if local:
            Z_near, c_near, v_near = self._polish(Z_near, c_near, scored(Z_near, c_near),
                                                  score_grad, local)
            Z, combos = np.vstack([Z, Z_near]), np.vstack([combos, c_near])
            values = np.r_[values, v_near]
        return self._first_allowed(Z, combos, values, taken, score, N_ROUNDED)

    def near_candidates(self) -> tuple[np.ndarray, np.ndarray]:
        """Feasible points drawn around the neighbourhood's centres (none without one).

        Each is a centre moved by a normal step of the neighbourhood's spread per variable,
        kept within the bounds; points that break a rule are dropped. Categorical levels are
        the centre's own.
        """
        space = self.space
        empty = np.zeros((0, space.dim)), np.zeros((0, len(space.categorical)), dtype=int)
        if self.near is None or len(self.near.centres) == 0:
            return empty
        cols = space.numeric_cols
        centres = self.near.centres[self.rng.integers(0, len(self.near.centres), N_LOCAL)]
        steps = self.rng.standard_normal((N_LOCAL, len(cols))) * self.near.spread[cols]
        Z = np.clip(centres[:, cols] + steps, space.polytope.lo, space.polytope.hi)
        inside = space.polytope.contains(Z)
        combos = np.zeros((N_LOCAL, len(space.categorical)), dtype=int)
        for j, v in enumerate(space.categorical):
            start = space.encoding.columns[v.name].start
            combos[:, j] = np.argmax(centres[:, start:start + len(v.levels)], axis=1)
        return Z[inside], combos[inside]

    def _polish(self, Z: np.ndarray, combos: np.ndarray, values: np.ndarray,
                score_grad: ScoreGrad,
                n_starts: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Local optimization from the best candidates of the most promising combinations."""
        order = np.argsort(-values, kind="stable")
        starts: list[int] = []
        seen: set[tuple] = set()
        for i in order:  # the best point of each of the best combinations first
            key = tuple(combos[i])
            if key not in seen:
                seen.add(key)
                starts.append(int(i))
            if len(starts) >= n_starts // 2:
                break
        for i in order:
            if len(starts) >= n_starts:
                break
            if int(i) not in starts:
                starts.append(int(i))
        new_Z, new_c, new_v = [], [], []
        for i in starts:
            if self.cancel is not None and self.cancel():
                raise CancelledError("the suggestion was cancelled")
            z, v = self._local(Z[i], combos[i], score_grad)
            if v > values[i]:
                new_Z.append(z)
                new_c.append(combos[i])
                new_v.append(v)
        if not new_Z:
            return Z, combos, values
        return (np.vstack([np.array(new_Z), Z]), np.vstack([np.array(new_c), combos]),
                np.r_[new_v, values])

    def _local(self, z0: np.ndarray, combo: np.ndarray,
               score_grad: ScoreGrad) -> tuple[np.ndarray, float]:
        """SLSQP on the numeric part under the polytope's linear constraints."""
        from scipy.optimize import minimize

        space = self.space
        poly = space.polytope
        cols = space.numeric_cols

        def fun(z: np.ndarray) -> tuple[float, np.ndarray]:
            v, g = score_grad(space.to_model(z, combo))
            return -float(v[0]), -g[0, cols]

        constraints = []
        if len(poly.b_eq):
            constraints.append({"type": "eq", "fun": lambda z: poly.A_eq @ z - poly.b_eq,
                                "jac": lambda z: poly.A_eq})
        if len(poly.b_ub):
            constraints.append({"type": "ineq", "fun": lambda z: poly.b_ub - poly.A_ub @ z,
                                "jac": lambda z: -poly.A_ub})
        result = minimize(fun, z0, jac=True, method="SLSQP",
                          bounds=list(zip(poly.lo, poly.hi, strict=True)),
                          constraints=constraints, options={"maxiter": 60, "ftol": 1e-9})
        z = np.clip(result.x, poly.lo, poly.hi)
        if not np.all(np.isfinite(z)) or poly.violation(z)[0] > 1e-7:
            return z0, -np.inf
        return z, -float(fun(z)[0])

    def _first_allowed(self, Z: np.ndarray, combos: np.ndarray, values: np.ndarray,
                       taken: set[tuple], score: Score, n_rounded: int) -> Pick | None:
        """Round the best points, re-score them, return the best that passes every check."""
        order = np.argsort(-values, kind="stable")
        rounded: list[tuple[float, dict[str, Value], np.ndarray]] = []
        seen: set[tuple] = set()
        for i in order:
            x = self.finalize(Z[i], combos[i])
            if x is None:
                continue
            settings = self.recipe(x, combos[i])
            key = recipe_key(settings)
            if key in taken or key in seen or not self.check(settings):
                continue
            seen.add(key)
            row = self.space.to_model(self.space.units(x), combos[i])[0]
            rounded.append((float(values[i]), settings, row))
            if len(rounded) >= n_rounded:
                break
        if not rounded:
            return None
        if len(rounded) > 1 and self.gridded.any():
            rescored = score(np.vstack([r[2] for r in rounded]))
            k = int(np.argmax(rescored))
            return Pick(rounded[k][1], rounded[k][2], float(rescored[k]))
        value, settings, row = rounded[0]
        return Pick(settings, row, value)

    def recipe(self, x: np.ndarray, combo: np.ndarray) -> dict[str, Value]:
        """Settings of a finalized point, numbers written as a person writes them."""
        tidy = np.array([g.tidy(xi) for g, xi in zip(self.grids, x, strict=True)], dtype=object)
        return self.space.settings(tidy, tuple(int(c) for c in combo))

    # ------------------------------------------------------- rounding / repair
    def finalize(self, z: np.ndarray, combo: np.ndarray) -> np.ndarray | None:
        """Lab values of a search point after rounding and repair, or None if beyond repair."""
        space = self.space
        if space.dim == 0:
            return np.zeros(0)
        raw = space.values(np.clip(z, space.polytope.lo, space.polytope.hi))
        x = np.array([g.snap(xi) for g, xi in zip(self.grids, raw, strict=True)])
        if not self.gridded.any():
            return x
        if self._violation(x) <= TOL:
            return x
        free = ~self.gridded
        if free.any():
            x = self._project(x, raw)
            if self._violation(x) <= TOL:
                return x
        for _ in range(4 * int(self.gridded.sum()) + 4):
            moved = self._best_move(x, raw)
            if moved is None:
                break
            x = moved
            if free.any():
                x = self._project(x, raw)
            if self._violation(x) <= TOL:
                return x
        return None

    def _violation(self, x: np.ndarray) -> float:
        return float(self.space.polytope.violation(self.space.units(x))[0])

    def _best_move(self, x: np.ndarray, raw: np.ndarray) -> np.ndarray | None:
        """One grid step of one rounded variable that most reduces the worst violation."""
        current = self._violation(x)
        best, best_key = None, (current, 0.0)
        for j in np.flatnonzero(self.gridded):
            for direction in (-1, 1):
                y = self.grids[j].neighbour(x[j], direction)
                if y is None:
                    continue
                trial = x.copy()
                trial[j] = y
                key = (self._violation(trial), abs(y - raw[j]) / (self.grids[j].hi
                                                                  - self.grids[j].lo or 1.0))
                if key < best_key:
                    best, best_key = trial, key
        return best

    def _project(self, x: np.ndarray, raw: np.ndarray) -> np.ndarray:
        """Move the continuous (unrounded) values as little as possible back into the rules."""
        from scipy.optimize import minimize

        space = self.space
        poly = space.polytope
        u = space.units(x)
        target = space.units(raw)
        free = np.flatnonzero(~self.gridded)

        def full(w: np.ndarray) -> np.ndarray:
            out = u.copy()
            out[free] = w
            return out

        fast = self._project_on_equalities(u, target, free)
        if fast is not None:
            return space.values(fast)
        constraints = []
        if len(poly.b_eq):
            constraints.append({"type": "eq", "fun": lambda w: poly.A_eq @ full(w) - poly.b_eq,
                                "jac": lambda w: poly.A_eq[:, free]})
        if len(poly.b_ub):
            constraints.append({"type": "ineq",
                                "fun": lambda w: poly.b_ub - poly.A_ub @ full(w),
                                "jac": lambda w: -poly.A_ub[:, free]})
        result = minimize(lambda w: (float(np.sum((w - target[free]) ** 2)),
                                     2.0 * (w - target[free])),
                          u[free], jac=True, method="SLSQP",
                          bounds=list(zip(poly.lo[free], poly.hi[free], strict=True)),
                          constraints=constraints, options={"maxiter": 100, "ftol": 1e-14})
        w = np.clip(result.x, poly.lo[free], poly.hi[free])
        return space.values(full(w))


    def _project_on_equalities(self, u: np.ndarray, target: np.ndarray,
                               free: np.ndarray) -> np.ndarray | None:
        """The closed-form projection onto the equalities, when it breaks nothing else.

        Usually a rounded mixture only needs its balance spread over the unrounded components;
        that is one least-squares step, no optimizer needed.
        """
        poly = self.space.polytope
        out = u.copy()
        out[free] = target[free]
        if len(poly.b_eq):
            A = poly.A_eq[:, free]
            residual = poly.A_eq @ out - poly.b_eq
            out[free] -= np.linalg.pinv(A) @ residual
        return out if poly.violation(out)[0] <= TOL else None


def nearest_distance(X: np.ndarray, others: np.ndarray) -> np.ndarray:
    """Distance from each row of X to the closest row of `others` (inf when none)."""
    if len(others) == 0:
        return np.full(len(X), np.inf)
    sq = (X**2).sum(axis=1)[:, None] + (others**2).sum(axis=1)[None, :] - 2.0 * X @ others.T
    return np.sqrt(np.maximum(sq.min(axis=1), 0.0))


def recipe_key(settings: dict[str, Value]) -> tuple:
    """A hashable recipe that ignores float noise below 9 significant digits."""
    return tuple(sorted((name, f"{value:.9g}" if isinstance(value, int | float) else value)
                        for name, value in settings.items()))
