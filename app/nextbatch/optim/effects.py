"""Effects: the prediction along one variable, over two, or over three mixture components.

Everything is held at one recipe `at` (by default the best measured run) except what the plot
moves. Moving a mixture component changes the other free components of its mixture in
proportion to their amounts (the Cox direction), so the total stays exact and every point of
a curve is a recipe the lab could make; a curve ends where any bound or rule would break. The
2-D map moves both variables over their whole ranges and marks where recipes are allowed;
the ternary map keeps only allowed recipes.

Geometry happens in the engine's search units (`SearchSpace`): free numeric variables scaled
to [0, 1], where mixtures and rules are linear, so a straight move stays straight.
"""

from __future__ import annotations

import numpy as np

from nextbatch.core.errors import NextBatchError
from nextbatch.core.variables import Variable
from nextbatch.optim.encoding import SearchSpace, Value
from nextbatch.optim.insights import (
    DESIRABILITY,
    EffectCurve,
    EffectMap,
    FittedModels,
    TernaryMap,
    band,
)

_TOL = 1e-9


# ---------------------------------------------------------------------------- geometry
def default_at(fitted: FittedModels) -> dict[str, Value]:
    """The best measured run's recipe when the current rules allow it, else a central one."""
    from nextbatch.optim.progress import best_measured

    study, space = fitted.study, fitted.space
    run = best_measured(study)
    if run is not None:
        settings = {**space.fixed, **run.effective_settings()}
        if _inside(space, settings):
            return {v.name: settings[v.name] for v in study.variables}
    centre = space.polytope.interior_point()
    u = np.zeros(space.dim) if centre is None else centre
    chosen = run.effective_settings() if run is not None else {}
    combo = tuple(v.levels.index(chosen[v.name]) if chosen.get(v.name) in v.levels else 0
                  for v in space.categorical)
    return space.settings(space.values(u), combo)


def resolve_at(fitted: FittedModels, at: dict[str, Value] | None) -> dict[str, Value]:
    """`at` completed from the default recipe and checked against the rules."""
    base = default_at(fitted)
    if not at:
        return base
    unknown = [name for name in at if name not in base]
    if unknown:
        raise NextBatchError(f"at: {unknown[0]!r} is not a variable of the study; expected "
                             f"one of {', '.join(base)}")
    settings = {**base, **at, **fitted.space.fixed}
    if not _inside(fitted.space, settings):
        problems = "; ".join(str(p) for p in fitted.study.check_recipe(settings))
        raise NextBatchError(f"at: the recipe to hold breaks the study's rules ({problems}); "
                             "expected an allowed recipe")
    return settings


def point(space: SearchSpace, settings: dict[str, Value]) -> tuple[np.ndarray, np.ndarray]:
    """Search units of the free numeric values and level indices of the free categorical."""
    u = space.units(np.array([float(settings[v.name]) for v in space.numeric]))
    combo = np.array([v.levels.index(settings[v.name]) for v in space.categorical], dtype=int)
    return u, combo


def _inside(space: SearchSpace, settings: dict[str, Value]) -> bool:
    try:
        u, _ = point(space, settings)
    except (KeyError, ValueError, TypeError):
        return False
    return bool(space.polytope.contains(u, 1e-7)[0]) if space.dim else True


def directions(space: SearchSpace, j: int, U: np.ndarray,
               exclude: frozenset[int] = frozenset()) -> np.ndarray:
    """Per row of U, the move of free numeric variable j in search units (Cox for mixtures).

    Along the direction, variable j grows by one search unit; the other free components of
    its mixture (but those in `exclude`) shrink in proportion to their amounts (equally when
    they are all zero).
    """
    D = np.zeros_like(U)
    D[:, j] = 1.0
    v = space.numeric[j]
    if not v.mixture:
        return D
    maps = [space.encoding.maps[w.name] for w in space.numeric]
    others = [k for k, w in enumerate(space.numeric)
              if w.mixture == v.mixture and k != j and k not in exclude]
    if not others:
        return D
    amounts = np.column_stack([maps[k].from_unit(U[:, k]) for k in others])
    total = amounts.sum(axis=1, keepdims=True)
    share = np.where(total > _TOL, amounts / np.where(total > _TOL, total, 1.0),
                     1.0 / len(others))
    for col, k in enumerate(others):  # dx_k = -share_k * dx_j, in each one's search units
        D[:, k] = -share[:, col] * maps[j].width / maps[k].width
    return D


def chords(space: SearchSpace, U: np.ndarray, D: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """How far each row of U can move along D (t_min <= 0 <= t_max) and stay allowed.

    Zero length where the move would break an equality (a rule `a + b = 40`) or where the
    row is not allowed to begin with.
    """
    poly = space.polytope
    d = space.dim
    G = np.vstack([np.eye(d), -np.eye(d), poly.A_ub])
    h = np.concatenate([poly.hi, -poly.lo, poly.b_ub])
    slack = h[None, :] - U @ G.T
    rate = D @ G.T
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = slack / rate
    t_max = np.where(rate > 1e-12, ratio, np.inf).min(axis=1)
    t_min = np.where(rate < -1e-12, ratio, -np.inf).max(axis=1)
    stuck = (slack.min(axis=1) < -1e-7) | ~np.isfinite(t_max) | ~np.isfinite(t_min)
    if len(poly.b_eq):
        stuck |= np.abs(D @ poly.A_eq.T).max(axis=1) > 1e-9
    t_min = np.where(stuck, 0.0, np.minimum(t_min, 0.0))
    t_max = np.where(stuck, 0.0, np.maximum(t_max, 0.0))
    return t_min, t_max


def _check_response(fitted: FittedModels, response: str) -> None:
    if response != DESIRABILITY:
        fitted.model(response)


# -------------------------------------------------------------------------------- curve
def curve(fitted: FittedModels, variable: str, response: str,
          at: dict[str, Value] | None = None, n: int = 60) -> EffectCurve:
    """The prediction of `response` along `variable`, the rest held at `at`."""
    v = fitted.variable(variable)
    _check_response(fitted, response)
    at = resolve_at(fitted, at)
    space = fitted.space
    empty = np.zeros(0)
    if v.name in space.fixed:
        return EffectCurve(v.name, response, empty, empty, empty, empty, at,
                           f"{v.title} is fixed at {space.fixed[v.name]} in this study")
    u, combo = point(space, at)
    if not v.is_numeric:
        k = [w.name for w in space.categorical].index(v.name)
        combos = np.repeat(combo[None, :], len(v.levels), axis=0)
        combos[:, k] = np.arange(len(v.levels))
        U = np.repeat(u[None, :], len(v.levels), axis=0)
        mean, low, high, _ = band(fitted, response, space.to_model(U, combos))
        recipes = [{**at, v.name: level} for level in v.levels]
        return EffectCurve(v.name, response, np.array(v.levels), mean, low, high, at, "",
                           recipes)
    j = [w.name for w in space.numeric].index(v.name)
    d_up, d_down, t_min, t_max = _sides(space, j, u)
    if t_max - t_min <= _TOL:
        return EffectCurve(v.name, response, empty, empty, empty, empty, at,
                           f"{v.title} cannot change here without breaking a rule of the "
                           "study")
    m = space.encoding.maps[v.name]
    if v.kind in ("integer", "discrete"):
        values = np.array([g for g in v.grid()
                           if t_min - 1e-9 <= float(m.to_unit(g)) - u[j] <= t_max + 1e-9])
        t = np.asarray(m.to_unit(values)) - u[j]
    else:
        t = np.linspace(t_min, t_max, max(n, 2))
    U = u[None, :] + t[:, None] * np.where(t[:, None] >= 0, d_up, d_down)
    X = space.to_model(U, np.repeat(combo[None, :], len(U), axis=0))
    mean, low, high, _ = band(fitted, response, X)
    recipes = [space.settings(space.values(row), tuple(combo)) for row in U]
    return EffectCurve(v.name, response, np.asarray(m.from_unit(U[:, j])), mean, low, high, at,
                       "", recipes)


def _sides(space: SearchSpace, j: int,
           u: np.ndarray) -> tuple[np.ndarray, np.ndarray, float, float]:
    """Directions and reach of raising and of lowering variable j from u.

    Raising a mixture component takes from the other components in proportion, except from
    those already at their lower bound; lowering it gives to the others, except to those at
    their upper bound. So a component next to a recipe on the edge of the mixture still has
    a curve, made of two straight pieces that meet at u.
    """
    poly = space.polytope
    at_low = frozenset(np.flatnonzero(u <= poly.lo + 1e-9).tolist()) - {j}
    at_high = frozenset(np.flatnonzero(u >= poly.hi - 1e-9).tolist()) - {j}
    d_up = directions(space, j, u[None, :], at_low)
    d_down = directions(space, j, u[None, :], at_high)
    _, t_max = chords(space, u[None, :], d_up)
    t_min, _ = chords(space, u[None, :], d_down)
    return d_up[0], d_down[0], float(t_min[0]), float(t_max[0])


# ---------------------------------------------------------------------------------- map
def grid_map(fitted: FittedModels, var_x: str, var_y: str, response: str,
             at: dict[str, Value] | None = None, n: int = 30) -> EffectMap:
    """The prediction over the ranges of two numeric variables, the rest held at `at`.

    A mixture component's change is absorbed by the other free components of its mixture in
    proportion to their amounts; cells where that breaks a rule are marked infeasible.
    """
    vx, vy = fitted.variable(var_x), fitted.variable(var_y)
    _check_response(fitted, response)
    if vx.name == vy.name:
        raise NextBatchError(f"var_y: {vy.name!r} is the same variable as var_x; expected two "
                             "different variables")
    at = resolve_at(fitted, at)
    space = fitted.space
    names = [w.name for w in space.numeric]
    for v in (vx, vy):
        if v.name not in names:
            why = "is fixed" if v.name in space.fixed else "is not a number"
            raise NextBatchError(f"variable: {v.name} {why}; a map needs two numeric "
                                 "variables the study lets change")
    xs, ys = _axis(vx, n), _axis(vy, n)
    values = np.array([float(at[name]) for name in names])
    grid = np.repeat(values[None, :], len(xs) * len(ys), axis=0)
    gx, gy = np.meshgrid(xs, ys)
    jx, jy = names.index(vx.name), names.index(vy.name)
    grid[:, jx], grid[:, jy] = gx.ravel(), gy.ravel()
    for mixture in {vx.mixture, vy.mixture} - {None}:
        _absorb(space, grid, values, mixture, {jx, jy})
    U = np.column_stack([space.encoding.maps[name].to_unit(grid[:, k])
                         for k, name in enumerate(names)])
    _, combo = point(space, at)
    X = space.to_model(U, np.repeat(combo[None, :], len(U), axis=0))
    mean, _, _, sd = band(fitted, response, X)
    feasible = space.polytope.contains(U, 1e-7)
    shape = (len(ys), len(xs))
    return EffectMap(vx.name, vy.name, response, xs, ys, mean.reshape(shape),
                     sd.reshape(shape), feasible.reshape(shape), at)


def _axis(v: Variable, n: int) -> np.ndarray:
    grid = v.grid()
    if v.kind in ("integer", "discrete") and len(grid) <= n:
        return np.asarray(grid, dtype=float)
    lo, hi = v.bounds() or (0.0, 1.0)
    return np.linspace(lo, hi, max(n, 2))


def _absorb(space: SearchSpace, grid: np.ndarray, at: np.ndarray, mixture: str,
            moved: set[int]) -> None:
    """Scale the unmoved free components of `mixture` so its free total stays as at `at`."""
    members = [k for k, w in enumerate(space.numeric) if w.mixture == mixture]
    others = [k for k in members if k not in moved]
    if not others:
        return
    budget = at[members].sum() - grid[:, [k for k in members if k in moved]].sum(axis=1)
    held = at[others].sum()
    for k in others:
        share = at[k] / held if held > _TOL else 1.0 / len(others)
        grid[:, k] = share * budget


# ------------------------------------------------------------------------------ ternary
def ternary(fitted: FittedModels, mixture: str, components: tuple[str, str, str],
            response: str, at: dict[str, Value] | None = None, n: int = 30) -> TernaryMap:
    """The prediction over three components of `mixture`, only where recipes are allowed.

    The three move on a triangular lattice over the amounts they share at `at` (each at
    least its lower bound, and at least what the other two cannot hold); everything else
    stays as at `at`.
    """
    study, space = fitted.study, fitted.space
    try:
        study.mixture(mixture)
    except KeyError:
        known = ", ".join(m.name for m in study.mixtures) or "none"
        raise NextBatchError(f"mixture: {mixture!r} is not a mixture of the study; expected "
                             f"one of {known}") from None
    names = [w.name for w in space.numeric]
    parts = tuple(components)
    if len(parts) != 3 or len(set(parts)) != 3:
        raise NextBatchError(f"components: {components!r}; expected three different "
                             f"components of {mixture}")
    for name in parts:
        v = fitted.variable(name)
        if v.mixture != mixture or name not in names:
            why = "is fixed" if name in space.fixed else f"is not a component of {mixture}"
            raise NextBatchError(f"components: {name} {why}; expected three free components "
                                 f"of {mixture}")
    _check_response(fitted, response)
    at = resolve_at(fitted, at)
    cols = [names.index(name) for name in parts]
    values = np.array([float(at[name]) for name in names])
    bounds = np.array([study.variable(name).bounds() for name in parts], dtype=float)
    share = values[cols].sum()
    # Each component needs at least what the other two cannot hold: the lattice then spans
    # the corner of the triangle the bounds leave, however small, not the whole triangle.
    lows = np.maximum(bounds[:, 0], share - (bounds[:, 1].sum() - bounds[:, 1]))
    room = share - lows.sum()
    steps = max(n, 1)
    lattice = np.array([(i, j, steps - i - j) for i in range(steps + 1)
                        for j in range(steps + 1 - i)], dtype=float) / steps
    amounts = lows[None, :] + max(room, 0.0) * lattice
    grid = np.repeat(values[None, :], len(amounts), axis=0)
    grid[:, cols] = amounts
    U = np.column_stack([space.encoding.maps[name].to_unit(grid[:, k])
                         for k, name in enumerate(names)])
    keep = space.polytope.contains(U, 1e-9) if room >= 0 else np.zeros(len(U), dtype=bool)
    empty = np.zeros(0)
    if not keep.any():
        return TernaryMap(mixture, parts, response, np.zeros((0, 3)), empty, empty, at,
                          f"with the rest of the recipe as held, no allowed recipe varies "
                          f"{', '.join(parts)}")
    _, combo = point(space, at)
    X = space.to_model(U[keep], np.repeat(combo[None, :], int(keep.sum()), axis=0))
    mean, _, _, sd = band(fitted, response, X)
    return TernaryMap(mixture, parts, response, amounts[keep], mean, sd, at)
