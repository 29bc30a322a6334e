"""Everything that can be wrong with a study, and with one recipe, in plain words.

`study_problems` reports every problem at once, each with the field path (`variables[2].high`),
the value found and the rule, so that a person can fix a study in one pass; one bad variable
never hides the problems of the others. `check_recipe` says which bound, level, mixture total
or constraint a recipe breaks and by how much.
"""

from __future__ import annotations

import difflib
import keyword
import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

from nextbatch.core.constraints import LinearConstraint, parse_constraint
from nextbatch.core.errors import ConstraintSyntaxError, Problem
from nextbatch.core.fields import is_number
from nextbatch.core.responses import GOALS, Response
from nextbatch.core.runs import SOURCES, STATUSES, Run
from nextbatch.core.variables import KINDS, MAX_GRID_LEVELS, SCALES, Mixture, Variable

if TYPE_CHECKING:
    from nextbatch.core.study import Study

# Names a constraint could not use unambiguously, or that scripts and exports would trip on.
RESERVED = frozenset(keyword.kwlist)
# Tolerance relative to the magnitudes involved: values typed to 0.1 pass, 1e-6 off fails.
TOL = 1e-9


@dataclass(frozen=True)
class RecipeViolation:
    """One way a recipe breaks the study: what (`subject`), in plain words, and by how much.

    `amount` is how far off the value is, in the units of the subject; it is NaN where no
    distance applies (a missing variable, an unknown name, a wrong level).
    """

    subject: str
    message: str
    amount: float

    def __str__(self) -> str:
        return self.message


# ----------------------------------------------------------------------------- the study
def study_problems(study: Study) -> list[Problem]:
    """Every problem of `study`: errors block optimization, warnings are worth a look."""
    out: list[Problem] = []
    out += _name_problems(study)
    for i, v in enumerate(study.variables):
        out += _variable_problems(study, v, f"variables[{i}].")
    for i, m in enumerate(study.mixtures):
        out += _mixture_problems(study, m, f"mixtures[{i}].")
    out += _constraint_problems(study)
    structure_ok = not any(p.severity == "error" for p in out)
    if structure_ok:
        out += _space_problems(study)
    for i, r in enumerate(study.responses):
        out += _response_problems(r, f"responses[{i}].")
    out += _run_problems(study, structure_ok)
    out += _unknown_key_problems(study)
    batch_size = study.settings.get("batch_size")
    if batch_size is not None and not (
            is_number(batch_size) and float(batch_size).is_integer() and batch_size >= 1):
        out.append(Problem("settings.batch_size", batch_size,
                           "the batch size must be a positive whole number, e.g. 4"))
    return out


def _name_problems(study: Study) -> list[Problem]:
    """Names must be unique across variables and responses and usable in a constraint."""
    out: list[Problem] = []
    seen: dict[str, str] = {}
    entries = [(f"variables[{i}]", v.name) for i, v in enumerate(study.variables)]
    entries += [(f"responses[{i}]", r.name) for i, r in enumerate(study.responses)]
    entries += [(f"mixtures[{i}]", m.name) for i, m in enumerate(study.mixtures)]
    for where, name in entries:
        path = f"{where}.name"
        if not name.strip():
            out.append(Problem(path, name, "a name is required"))
            continue
        if where.startswith("variables") and not name.isidentifier():
            out.append(Problem(path, name, "a variable name must start with a letter or _ "
                               "and hold only letters, digits and _, so that constraints can "
                               "use it (e.g. stearic_acid)"))
        elif where.startswith("variables") and name in RESERVED:
            out.append(Problem(path, name, f"{name!r} is a reserved word; choose another "
                               f"name, e.g. {name}_amount"))
        group = where.split("[")[0]
        key = f"mixtures:{name}" if group == "mixtures" else name
        if key in seen:
            out.append(Problem(path, name, f"the name {name!r} is already used by "
                               f"{seen[key]}; names must be unique"))
        else:
            seen[key] = where
    return out


def _variable_problems(study: Study, v: Variable, path: str) -> list[Problem]:
    if v.kind not in KINDS:
        return [Problem(f"{path}kind", v.kind, f"unknown kind; expected one of {_or(KINDS)}")]
    out: list[Problem] = []
    if v.kind in ("continuous", "integer"):
        out += _range_problems(v, path)
    elif v.kind == "discrete":
        out += _list_problems(v.values, f"{path}values", "allowed value")
    else:
        out += _list_problems(v.levels, f"{path}levels", "level")
        out += [Problem(f"{path}levels[{i}]", level, "a level must not be blank")
                for i, level in enumerate(v.levels) if not level.strip()]
    if v.mixture is not None:
        names = [m.name for m in study.mixtures]
        if v.mixture not in names:
            hint = _suggest(v.mixture, names)
            out.append(Problem(f"{path}mixture", v.mixture,
                               f"there is no mixture named {v.mixture!r}{hint}"))
        elif v.kind != "continuous":
            out.append(Problem(f"{path}mixture", v.mixture, f"only continuous variables can "
                               f"be mixture components; {v.name} is {v.kind}"))
    if v.fixed is not None and not out:
        why = v.why_not(v.fixed)
        if why is not None:
            out.append(Problem(f"{path}fixed", v.fixed, f"the fixed value is not allowed: "
                               f"{why}"))
    return out


def _range_problems(v: Variable, path: str) -> list[Problem]:
    missing = [key for key in ("low", "high") if getattr(v, key) is None]
    if missing:
        return [Problem(f"{path}{key}", None, f"is missing: a {v.kind} variable needs low "
                        "and high") for key in missing]
    assert v.low is not None and v.high is not None
    if v.low >= v.high:
        return [Problem(f"{path}high", v.high, f"high must be above low ({_n(v.low)})")]
    out: list[Problem] = []
    span = v.high - v.low
    if v.scale not in SCALES:
        out.append(Problem(f"{path}scale", v.scale, f"unknown scale; expected {_or(SCALES)}"))
    elif v.scale == "log" and v.low <= 0:
        out.append(Problem(f"{path}scale", v.scale, f"a log scale needs low above 0, "
                           f"found low = {_n(v.low)}"))
    if v.kind == "integer":
        out += _step_problems(v, path, span)
    if v.kind == "continuous" and v.resolution is not None:
        if v.resolution <= 0:
            out.append(Problem(f"{path}resolution", v.resolution,
                               "the resolution must be above 0"))
        elif v.resolution >= span:
            out.append(Problem(f"{path}resolution", v.resolution, f"the resolution must be "
                               f"smaller than the range {_n(v.low)}–{_n(v.high)}"))
    return out


def _step_problems(v: Variable, path: str, span: float) -> list[Problem]:
    """An integer variable's grid (step 1 unless given) must fit between low and high."""
    step = 1 if v.step is None else v.step
    if step <= 0:
        return [Problem(f"{path}step", v.step, "the step must be above 0")]
    if step > span * (1 + TOL):
        return [Problem(f"{path}step", v.step, f"the step {_n(step)} is larger than the range "
                        f"{_n(v.low)}–{_n(v.high)}, so only {_n(v.low)} is allowed")]
    if span / step > MAX_GRID_LEVELS:
        return [Problem(f"{path}step", v.step, f"the step {_n(step)} cuts the range "
                        f"{_n(v.low)}–{_n(v.high)} into more than {MAX_GRID_LEVELS:,} levels; "
                        "use a continuous variable with a resolution instead")]
    if abs(span / step - round(span / step)) > 1e-6:
        return [Problem(f"{path}step", v.step, f"the steps of {_n(step)} from {_n(v.low)} "
                        f"stop at {_n(v.grid()[-1])}, below high = {_n(v.high)}", "warning")]
    return []


def _list_problems(items: list[Any], path: str, what: str) -> list[Problem]:
    if not items:
        return [Problem(path, [], f"at least one {what} is needed")]
    out = []
    for i, item in enumerate(items):
        if item in items[:i]:
            out.append(Problem(f"{path}[{i}]", item, f"this {what} is listed twice"))
    return out


def _mixture_problems(study: Study, m: Mixture, path: str) -> list[Problem]:
    out: list[Problem] = []
    if m.batch_amount is not None and m.batch_amount <= 0:
        out.append(Problem(f"{path}batch_amount", m.batch_amount,
                           "the batch amount must be above 0"))
    if m.total <= 0:
        return [*out, Problem(f"{path}total", m.total, "the total must be above 0")]
    members = study.components(m.name)
    if not members:
        return [*out, Problem(f"{path}name", m.name, f"no variable belongs to mixture "
                              f"{m.name!r}; set its components' mixture to {m.name!r}")]
    spans = [_span(v) for v in members]
    if any(s is None for s in spans):
        return out  # the broken component is reported on its own
    low = math.fsum(s[0] for s in spans if s)
    high = math.fsum(s[1] for s in spans if s)
    slack = TOL * max(1.0, abs(m.total), high)
    if not low - slack <= m.total <= high + slack:
        unit = _common_unit(members)
        parts = ", ".join(f"{v.name} {_n(s[0])}–{_n(s[1])}" for v, s in
                          zip(members, spans, strict=True) if s)
        out.append(Problem(f"{path}total", m.total, f"the components can add up to "
                           f"{_n(low)}{unit} at least and {_n(high)}{unit} at most ({parts}), "
                           f"so they never reach the total {_n(m.total)}{unit}"))
    return out


def _span(v: Variable) -> tuple[float, float] | None:
    """The range a component may take, or a single point when it is fixed."""
    if is_number(v.fixed):
        return float(v.fixed), float(v.fixed)  # type: ignore[arg-type]
    return v.bounds()


def _constraint_problems(study: Study) -> list[Problem]:
    out: list[Problem] = []
    kinds = {v.name: v.kind for v in study.variables}
    for i, text in enumerate(study.constraints):
        path = f"constraints[{i}]"
        try:
            rule = parse_constraint(text, list(kinds))
        except ConstraintSyntaxError as exc:
            out.append(Problem(path, text, f"{exc.reason} (at position {exc.position + 1})"))
            continue
        for name in rule.variables:
            if kinds[name] not in ("continuous", "integer", "discrete"):
                out.append(Problem(path, text, f"{name!r} is {kinds[name]}: constraints can "
                                   "only use numeric variables"))
    return out


def _space_problems(study: Study) -> list[Problem]:
    """The LP check, then the grid check: whether any recipe satisfies everything together."""
    from nextbatch.core.linear import grid_point, linear_system

    system = linear_system(study)
    if system.is_empty:
        return [Problem("constraints", None, "no recipe satisfies all of these together: "
                        + "; ".join(system.conflicts()) + " — loosen one of them")]
    try:
        if grid_point(study) is not None:
            return []
    except TimeoutError:
        return []  # undecided: say nothing rather than something unproven
    on_grid = [v.name for v in study.variables if v.fixed is None and (
        v.kind in ("integer", "discrete") or (v.kind == "continuous" and v.resolution))]
    return [Problem("constraints", None, "no recipe satisfies the bounds, mixtures and "
                    f"constraints with {_and(on_grid)} on their allowed values (steps, levels "
                    "or resolution): recipes exist only between them — widen a range or "
                    "make a step finer")]


def _response_problems(r: Response, path: str) -> list[Problem]:
    if r.goal not in GOALS:
        return [Problem(f"{path}goal", r.goal, f"unknown goal; expected one of {_or(GOALS)}")]
    out: list[Problem] = []
    if r.low is not None and r.high is not None and r.low >= r.high:
        out.append(Problem(f"{path}high", r.high, f"high must be above low ({_n(r.low)})"))
    if r.goal == "target":
        if r.target is None:
            out.append(Problem(f"{path}target", None, "a target goal needs the target value"))
        elif ((r.low is not None and r.target < r.low)
              or (r.high is not None and r.target > r.high)):
            out.append(Problem(f"{path}target", r.target, f"the target must lie between low "
                               f"and high ({_n_or(r.low)}–{_n_or(r.high)})"))
    if r.goal == "range":
        out += [Problem(f"{path}{key}", None, "a range goal needs low and high")
                for key in ("low", "high") if getattr(r, key) is None]
    if not (is_number(r.importance) and 1 <= r.importance <= 5):
        out.append(Problem(f"{path}importance", r.importance,
                           "importance goes from 1 (a little) to 5 (very important)"))
    return out


def _run_problems(study: Study, space_known: bool) -> list[Problem]:
    out: list[Problem] = []
    seen: dict[str, int] = {}
    responses = [r.name for r in study.responses]
    for i, run in enumerate(study.runs):
        path = f"runs[{i}]."
        if not run.id.strip():
            out.append(Problem(f"{path}id", run.id, "a run needs an ID, e.g. B01-01"))
        elif run.id in seen:
            out.append(Problem(f"{path}id", run.id, f"the ID is already used by "
                               f"runs[{seen[run.id]}]; run IDs must be unique"))
        else:
            seen[run.id] = i
        if run.status not in STATUSES:
            out.append(Problem(f"{path}status", run.status,
                               f"unknown status; expected one of {_or(STATUSES)}"))
        if run.source not in SOURCES:
            out.append(Problem(f"{path}source", run.source,
                               f"unknown source; expected one of {_or(SOURCES)}"))
        if run.batch < 1:
            out.append(Problem(f"{path}batch", run.batch, "batch numbers start at 1"))
        if space_known:
            out += _run_settings_problems(study, run, path)
        for name, value in run.results.items():
            if name not in responses:
                out.append(Problem(f"{path}results.{name}", value, f"there is no response "
                                   f"named {name!r}{_suggest(name, responses)}; the result "
                                   "is kept but not used", "warning"))
            elif not math.isfinite(value):
                out.append(Problem(f"{path}results.{name}", value,
                                   "a result must be a finite number"))
        if run.status == "done" and not run.has_results():
            out.append(Problem(f"{path}results", None, "the run is done but has no result; "
                               "enter its results or mark it failed", "warning"))
    return out


def _run_settings_problems(study: Study, run: Run, path: str) -> list[Problem]:
    """Historical settings outside today's space are kept, but flagged."""
    out = []
    for violation in check_recipe(study, run.effective_settings()):
        name = violation.subject
        if name in run.actual:
            where, value = f"{path}actual.{name}", run.actual[name]
        elif name in run.settings:
            where, value = f"{path}settings.{name}", run.settings[name]
        else:  # a missing variable, a mixture total or a constraint
            where, value = f"{path}settings", None
        out.append(Problem(where, value, f"{violation.message} (kept: historical data may "
                           "lie outside today's bounds)", "warning"))
    return out


def _unknown_key_problems(study: Study) -> list[Problem]:
    groups: list[tuple[str, list[Any], type]] = [
        ("variables", study.variables, Variable), ("mixtures", study.mixtures, Mixture),
        ("responses", study.responses, Response), ("runs", study.runs, Run)]
    top = _keys_of(type(study)) | {"format", "version"}
    out = [_unknown_key(key, value, top) for key, value in study.extra.items()]
    for group, items, cls in groups:
        out += [_unknown_key(f"{group}[{i}].{key}", value, _keys_of(cls))
                for i, item in enumerate(items) for key, value in item.extra.items()]
    return out


def _keys_of(cls: type) -> set[str]:
    return {f.name for f in fields(cls)} - {"extra", "origin"}


def _unknown_key(path: str, value: object, known: set[str]) -> Problem:
    name = path.rsplit(".", 1)[-1]
    return Problem(path, value, f"unknown key {name!r}{_suggest(name, sorted(known))}; it "
                   "is kept as it is but NextBatch does not use it", "warning")


# ---------------------------------------------------------------------------- one recipe
def check_recipe(study: Study, settings: Mapping[str, object]) -> list[RecipeViolation]:
    """Each way `settings` break the study, with the amount; empty when the recipe is fine.

    Checks that every variable is present and known, bounds, steps, levels, resolution, fixed
    values, mixture totals and constraints; a value out of bounds still takes part in the
    mixture and constraint checks, so that every broken rule is named.

    Raises ConstraintSyntaxError when a constraint of the study does not parse, because a
    recipe cannot be said to satisfy a rule that cannot be read.
    """
    out: list[RecipeViolation] = []
    known = {v.name for v in study.variables}
    for name in settings:
        if name not in known:
            out.append(RecipeViolation(name, f"{name!r} is not a variable of this study"
                                       f"{_suggest(name, sorted(known))}", math.nan))
    numbers: dict[str, float] = {}
    for v in study.variables:
        if v.name not in settings:
            out.append(RecipeViolation(v.name, f"{v.name} is missing", math.nan))
            continue
        value = settings[v.name]
        problem = _value_violation(v, value)
        if problem is not None:
            out.append(problem)
        if v.is_numeric and is_number(value) and math.isfinite(value):  # type: ignore[arg-type]
            numbers[v.name] = float(value)  # type: ignore[arg-type]
    for m in study.mixtures:
        out += _mixture_violation(study, m, numbers)
    for rule in study.parsed_constraints():
        if all(name in numbers for name in rule.variables):
            out += _rule_violation(rule, numbers)
    return out


def _value_violation(v: Variable, value: object) -> RecipeViolation | None:
    unit = f" {v.unit}" if v.unit else ""
    if v.fixed is not None and value != v.fixed and not (
            is_number(value) and is_number(v.fixed)
            and _close(float(value), float(v.fixed))):  # type: ignore[arg-type]
        amount = (abs(float(value) - float(v.fixed))  # type: ignore[arg-type]
                  if is_number(value) and is_number(v.fixed) else math.nan)
        return RecipeViolation(v.name, f"{v.name} = {_shown(value)}{unit} is not its fixed "
                               f"value {_shown(v.fixed)}{unit}", amount)
    why = v.why_not(value, TOL)
    if why is None:
        return _resolution_violation(v, float(value), unit) if (
            v.kind == "continuous" and v.resolution) else None  # type: ignore[arg-type]
    if not (is_number(value) and math.isfinite(value)) or v.kind == "categorical":  # type: ignore[arg-type]
        return RecipeViolation(v.name, f"{v.name}: {why}", math.nan)
    x = float(value)  # type: ignore[arg-type]
    if v.kind in ("continuous", "integer") and v.bounds() is not None:
        lo, hi = v.bounds()  # type: ignore[misc]
        if x > hi or x < lo:
            side, edge = ("above the upper", hi) if x > hi else ("below the lower", lo)
            return RecipeViolation(v.name, f"{v.name} = {_n(x)}{unit} is {side} bound "
                                   f"{_n(edge)}{unit} by {_n(abs(x - edge))}", abs(x - edge))
    nearest = min(v.grid(), key=lambda g: abs(g - x), default=x)
    return RecipeViolation(v.name, f"{v.name} = {_n(x)}{unit}: {why}; nearest allowed "
                           f"{_n(nearest)}{unit}", abs(x - nearest))


def _resolution_violation(v: Variable, x: float, unit: str) -> RecipeViolation | None:
    step = float(v.resolution)  # type: ignore[arg-type]
    nearest = round(x / step) * step
    if _close(x, nearest):
        return None
    return RecipeViolation(v.name, f"{v.name} = {_n(x)}{unit} is not a multiple of the "
                           f"resolution {_n(step)}{unit} (nearest {_n(nearest)}{unit})",
                           abs(x - nearest))


def _mixture_violation(study: Study, m: Mixture,
                       numbers: dict[str, float]) -> list[RecipeViolation]:
    members = study.components(m.name)
    if not members or any(v.name not in numbers for v in members):
        return []
    values = [numbers[v.name] for v in members]
    total = math.fsum(values)
    if _close(total, m.total, sum(abs(x) for x in values)):
        return []
    unit = _common_unit(members)
    off = abs(total - m.total)
    return [RecipeViolation(m.name, f"mixture {m.name} adds up to {_n(total)}{unit}, not "
                            f"{_n(m.total)}{unit} (off by {_n(off)})", off)]


def _rule_violation(rule: LinearConstraint, numbers: dict[str, float]) -> list[RecipeViolation]:
    broken = rule.violation(numbers)
    size = max(abs(rule.rhs), sum(abs(c * numbers[n]) for n, c in rule.coeffs.items()))
    if broken <= TOL * max(1.0, size):
        return []
    return [RecipeViolation(rule.text, f"rule {rule.text!r} is broken by {_n(broken)}",
                            broken)]


# ------------------------------------------------------------------------------- wording
def _close(a: float, b: float, size: float = 0.0) -> bool:
    return abs(a - b) <= TOL * max(1.0, abs(a), abs(b), size)


def _common_unit(members: list[Variable]) -> str:
    units = {v.unit for v in members}
    return f" {units.pop()}" if len(units) == 1 and "" not in units else ""


def _suggest(name: str, known: list[str]) -> str:
    close = difflib.get_close_matches(name, known, n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def _or(options: tuple[str, ...]) -> str:
    return ", ".join(options[:-1]) + f" or {options[-1]}"


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + f" and {names[-1]}"


def _n(x: float) -> str:
    return f"{x:.6g}"


def _n_or(x: float | None) -> str:
    return "…" if x is None else _n(x)


def _shown(value: object) -> str:
    return _n(value) if is_number(value) else repr(value)  # type: ignore[arg-type]
