"""The shared benchmark problems as NextBatch studies, and the protocol that runs an engine on them.

The problems live outside this repository, in `../shared/bench` relative to the project root
(DESIGN §6), so that every optimizer is measured on the very same code. This module turns a
bench `Problem` into a `Study` and runs the protocol of `../shared/bench/README.md`: suggest a
batch, check it, evaluate it exactly, record it as done runs, until the budget is spent.
"""

from __future__ import annotations

import importlib
import math
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from nextbatch.core import Run, Study
from nextbatch.core.constraints import LinearConstraint, format_constraint

PROJECT_ROOT = Path(__file__).resolve().parents[2]
BENCH_DIR = PROJECT_ROOT.parent / "shared" / "bench"
RESPONSE = "objective"
TOP_CHECK = 50  # a top-1 % row should be found within this many evaluations (issue 3)
YIELD_CHECK = 30  # the best yield after this many evaluations is compared with EDBO's

SuggestFn = Callable[..., list[Any]]


class BenchUnavailableError(RuntimeError):
    """The shared benchmark folder is not where DESIGN §6 puts it."""


def bench_dir() -> Path:
    """The shared bench folder, or a clear error when the clone has no `../shared` beside it."""
    if not (BENCH_DIR / "bench_problems" / "__init__.py").is_file():
        raise BenchUnavailableError(
            f"the shared benchmark problems were not found at {BENCH_DIR}: expected "
            "../shared/bench/bench_problems beside the project root (DESIGN §6); check out "
            "the shared folder next to this clone"
        )
    return BENCH_DIR


def bench_module(submodule: str = "") -> Any:
    """The shared `bench_problems` package (NAMES, get_problem), or one of its modules."""
    path = str(bench_dir())
    if path not in sys.path:
        sys.path.insert(0, path)
    return importlib.import_module("bench_problems" + (f".{submodule}" if submodule else ""))


def problem_names() -> list[str]:
    return list(bench_module().NAMES)


def get_problem(name: str) -> Any:
    return bench_module().get_problem(name)


# --------------------------------------------------------------------------- conversion
def to_study(problem: Any) -> Study:
    """The Study a chemist would type in for `problem`: its variables, rules and one response.

    An equality whose coefficients are all 1 over continuous variables becomes a mixture with
    that total (when it is positive, as a mixture's total must be); every other linear
    constraint becomes constraint text. A lookup table is a full
    factorial of its factor levels, so its study is just those factors.
    """
    if problem.is_lookup:
        _require_full_factorial(problem)
    mixtures: list[dict[str, Any]] = []
    member_of: dict[str, str] = {}
    constraints: list[str] = []
    kinds = {v.name: v.kind for v in problem.variables}
    for c in problem.constraints:
        names = [n for n, coef in c.coeffs.items() if coef != 0]
        is_mixture = (
            c.op == "=="
            and c.rhs > 0
            and all(c.coeffs[n] == 1 for n in names)
            and all(kinds.get(n) == "continuous" and n not in member_of for n in names)
        )
        if is_mixture:
            mixture = f"mixture{len(mixtures) + 1}"
            mixtures.append({"name": mixture, "total": c.rhs})
            member_of.update(dict.fromkeys(names, mixture))
        else:
            constraints.append(constraint_text(c.coeffs, c.op, c.rhs))
    variables = [_variable(v, member_of.get(v.name)) for v in problem.variables]
    return Study.from_dict({
        "name": problem.name,
        "description": problem.description,
        "variables": variables,
        "mixtures": mixtures,
        "constraints": constraints,
        "responses": [{"name": RESPONSE,
                       "goal": "maximize" if problem.direction == "max" else "minimize"}],
        "settings": {"batch_size": problem.batch_size},
    })


def _variable(v: Any, mixture: str | None) -> dict[str, Any]:
    if v.kind == "continuous":
        out: dict[str, Any] = {"name": v.name, "kind": "continuous", "low": v.low,
                               "high": v.high}
        if mixture:
            out["mixture"] = mixture
        return out
    if v.kind == "categorical":
        return {"name": v.name, "kind": "categorical", "levels": [str(x) for x in v.levels]}
    step = integer_grid_step(v.values)
    if step is not None:
        return {"name": v.name, "kind": "integer", "low": int(min(v.values)),
                "high": int(max(v.values)), "step": step}
    return {"name": v.name, "kind": "discrete", "values": sorted(float(x) for x in v.values)}


def integer_grid_step(values: Sequence[float]) -> int | None:
    """The step of an evenly spaced grid of whole numbers (30, 35, …, 90 -> 5), else None."""
    vals = sorted(float(x) for x in values)
    if len(vals) < 2 or not all(x.is_integer() for x in vals):
        return None
    steps = {vals[i + 1] - vals[i] for i in range(len(vals) - 1)}
    return int(steps.pop()) if len(steps) == 1 else None


def constraint_text(coeffs: dict[str, float], op: str, rhs: float) -> str:
    """A linear constraint as a person writes it: {x1: 2, x2: -1}, "<=", 3 -> "2*x1 - x2 <= 3"."""
    kept = {name: float(c) for name, c in coeffs.items() if c != 0}
    return format_constraint(LinearConstraint(kept, op, float(rhs), text=""))


def _require_full_factorial(problem: Any) -> None:
    sizes = [len(v.levels if v.kind == "categorical" else v.values) for v in problem.variables]
    combos = math.prod(sizes)
    names = [v.name for v in problem.variables]
    rows = len({tuple(str(c[n]) for n in names) for c in problem.candidates})
    if combos != rows:
        raise ValueError(
            f"{problem.name}: the lookup table has {rows} distinct rows but its factor levels "
            f"make {combos} combinations; only full-factorial tables can be a study"
        )


# ----------------------------------------------------------------------------- protocol
@dataclass
class SeedResult:
    """What one (problem, seed) run of the protocol measured."""

    problem: str
    seed: int
    evaluations: int = 0
    suggestions: int = 0
    infeasible: int = 0
    infeasible_examples: list[dict[str, Any]] = field(default_factory=list)
    best_trace: list[float] = field(default_factory=list)  # best value so far after each batch
    regret_trace: list[float] = field(default_factory=list)  # its normalized regret
    values: list[float] = field(default_factory=list)  # every evaluation, in order
    suggest_seconds: list[float] = field(default_factory=list)
    strategies: list[str] = field(default_factory=list)
    top_found: bool | None = None  # lookup tables only
    evals_to_top: int | None = None
    best_at_check: float | None = None  # lookup tables: best after YIELD_CHECK evaluations
    error: str | None = None

    @property
    def final_regret(self) -> float:
        return self.regret_trace[-1] if self.regret_trace else math.nan

    @property
    def convergence(self) -> float:
        """Mean normalized regret after each batch: the area under the best-so-far curve."""
        trace = self.regret_trace
        return sum(trace) / len(trace) if trace else math.nan

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["final_regret"] = self.final_regret
        out["convergence"] = self.convergence
        return out


def default_suggest() -> SuggestFn:
    from nextbatch.optim import suggest

    return suggest


def run_protocol(problem: Any, seed: int, suggest: SuggestFn | None = None,
                 max_examples: int = 5) -> SeedResult:
    """Run one seed of the shared protocol on `problem` with `suggest` (default: NextBatch's).

    Each suggestion is checked with the problem's own feasibility test and `Study.check_recipe`;
    an infeasible one is counted and dropped, never evaluated. Calls are capped at twice the
    number of batches the budget needs, so an engine that keeps failing cannot loop forever.
    """
    suggest = suggest or default_suggest()
    study = to_study(problem)
    result = SeedResult(problem=problem.name, seed=seed)
    max_calls = 2 * math.ceil(problem.budget / problem.batch_size)
    best: float | None = None
    for iteration in range(max_calls):
        remaining = problem.budget - result.evaluations
        if remaining <= 0:
            break
        size = min(problem.batch_size, remaining)
        start = time.perf_counter()
        batch = suggest(study, batch_size=size, seed=seed * 1000 + iteration)
        result.suggest_seconds.append(time.perf_counter() - start)
        number = study.next_batch_number()
        feasible = []
        for s in batch[:size]:
            result.suggestions += 1
            result.strategies.append(str(getattr(s, "strategy", "")))
            why = _why_infeasible(problem, study, s.settings)
            if why:
                result.infeasible += 1
                if len(result.infeasible_examples) < max_examples:
                    result.infeasible_examples.append({"settings": dict(s.settings),
                                                       "why": why})
            else:
                feasible.append(s)
        for run_id, s in zip(study.new_run_ids(number, len(feasible)), feasible, strict=True):
            value = problem.evaluate(s.settings)
            _record(result, problem, value)
            best = value if best is None or problem.better(value, best) else best
            study.runs.append(Run(id=run_id, batch=number, status="done", source="suggested",
                                  settings=dict(s.settings), results={RESPONSE: value},
                                  predicted=dict(s.predicted)))
        if best is not None:
            result.best_trace.append(best)
            result.regret_trace.append(problem.normalized_regret(best))
    if problem.is_lookup:
        result.top_found = result.evals_to_top is not None and result.evals_to_top <= TOP_CHECK
        first = result.values[:YIELD_CHECK]
        result.best_at_check = problem.best_of(first) if first else None
    return result


def _why_infeasible(problem: Any, study: Study, settings: dict[str, Any]) -> str:
    reasons = []
    try:
        problem.canonical(settings)
    except ValueError as exc:
        reasons.append(f"bench problem: {exc}")
    else:
        if not problem.is_feasible(settings):
            reasons.append("breaks the bench problem's bounds, levels or constraints")
    reasons.extend(str(v) for v in study.check_recipe(settings))
    return "; ".join(reasons)


def _record(result: SeedResult, problem: Any, value: float) -> None:
    result.values.append(value)
    result.evaluations += 1
    if problem.is_lookup and result.evals_to_top is None and problem.is_top(value):
        result.evals_to_top = result.evaluations


def run_seed(name: str, seed: int, suggest: SuggestFn | None = None) -> SeedResult:
    """`run_protocol` for a problem given by name; an engine crash is recorded, not raised."""
    problem = get_problem(name)
    try:
        return run_protocol(problem, seed, suggest)
    except Exception as exc:  # the benchmark reports a crash per seed and goes on
        import traceback

        failed = SeedResult(problem=name, seed=seed)
        failed.error = "".join(traceback.format_exception(exc))
        return failed
