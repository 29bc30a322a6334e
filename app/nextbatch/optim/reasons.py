"""One plain sentence per suggestion: why this recipe, in the words of the lab.

Numbers are written with as many decimals as their uncertainty deserves (`57 ± 3 mm`,
`9.0 ± 0.3`), responses by their label and unit, never by internal names or latent units.
"""

from __future__ import annotations

import math

from nextbatch.core.responses import Response


def amount(x: float, sd: float | None = None, unit: str = "") -> str:
    """`57 ± 3 mm`: rounded to the first significant digit of the sd (or 3 digits)."""
    decimals = _decimals(sd if sd else abs(x) / 100 if x else 0.01)
    text = f"{x:.{decimals}f}"
    if sd is not None:
        text += f" ± {sd:.{decimals}f}"
    return f"{text} {unit}".strip() if unit else text


def space_filling(n_measured: int, needed: int) -> str:
    """Why a recipe of the initial design was chosen."""
    if n_measured == 0:
        return ("Space-filling: no run has results yet, so the model cannot guide; this recipe "
                "covers an untested part of the range.")
    runs = "run" if n_measured == 1 else "runs"
    return (f"Space-filling: with {n_measured} measured {runs} the model cannot guide yet (it "
            f"needs {needed}); this recipe covers an untested part of the range.")


def no_goal() -> str:
    """Why the batch is space-filling when no response has a goal."""
    return ("Space-filling: no response has a goal to optimize yet (all are recorded only); "
            "this recipe covers an untested part of the range.")


def exploit_single(r: Response, mean: float, sd: float, best: float) -> str:
    """The model expects this recipe to beat the best run so far."""
    predicted = f"predicted {_title(r)} {amount(mean, sd, r.unit)}"
    if r.goal == "target":
        return (f"Exploits: {predicted}, closer to the target {_plain(r.target, sd, r.unit)} "
                f"than the best run so far, {_plain(best, sd, r.unit)}.")
    side = "above" if r.goal == "maximize" else "below"
    return (f"Exploits: {predicted}, {side} the best so far, "
            f"{_plain(best, sd, r.unit)}.")


def explore_single(r: Response, mean: float, sd: float, near_run: bool, confident: bool,
                   best: float) -> str:
    """The recipe is chosen for what the run will teach the model."""
    if confident:
        return (f"Explores: predicted {_title(r)} {amount(mean, sd, r.unit)}, close to the best "
                f"so far ({_plain(best, sd, r.unit)}); it checks a neighbouring recipe in case "
                "the model is off here.")
    uncertain = f"Explores: {_title(r)} is still uncertain here (±{_plain(sd, sd, r.unit)})"
    if near_run:
        return f"{uncertain}; the model expects {_plain(mean, sd, r.unit)} and this run will tell."
    return f"{uncertain} and no run is close to this recipe."


def exploit_many(predicted: dict[str, tuple[float, float]], responses: list[Response],
                 desirability: float, best: float) -> str:
    """Several responses: the overall desirability is expected to beat the best so far."""
    return (f"Exploits: predicted overall desirability {desirability:.2f}, above the best so "
            f"far, {best:.2f} ({_list(predicted, responses)}).")


def explore_many(predicted: dict[str, tuple[float, float]], responses: list[Response],
                 near_run: bool, confident: bool) -> str:
    """Several responses: the predictions are uncertain here (or worth a second check)."""
    if confident:
        return (f"Explores: predicted {_list(predicted, responses)}; it checks a recipe near the "
                "best ones in case the model is off here.")
    spread = ", ".join(f"{_title(r)} ±{_sd(predicted[r.name][1], r.unit)}"
                       for r in responses if r.name in predicted)
    tail = "this run will tell which way to go" if near_run else "no run is close to this recipe"
    return f"Explores: predictions are still uncertain here ({spread}) and {tail}."


def in_range(r: Response, mean: float, sd: float, probability: float) -> str:
    """Only range goals: how likely the recipe keeps the response in range."""
    limits = f"{_plain(r.low, sd, '')}–{_plain(r.high, sd, r.unit)}" if (
        r.low is not None and r.high is not None) else (
        f"above {_plain(r.low, sd, r.unit)}" if r.low is not None
        else f"below {_plain(r.high, sd, r.unit)}")
    return (f"Seeks the range: predicted {_title(r)} {amount(mean, sd, r.unit)}, inside "
            f"{limits} with probability {probability:.0%}.")


def _title(r: Response) -> str:
    return (r.label or r.name.replace("_", " ")).strip()


def _plain(x: float | None, sd: float, unit: str) -> str:
    """A number rounded like its uncertainty, without the ± part."""
    return amount(float(x or 0.0), None, unit) if not sd else (
        f"{float(x or 0.0):.{_decimals(sd)}f} {unit}".strip())


def _sd(sd: float, unit: str) -> str:
    return _plain(sd, sd, unit)


def _list(predicted: dict[str, tuple[float, float]], responses: list[Response]) -> str:
    return ", ".join(f"{_title(r)} {amount(*predicted[r.name], r.unit)}"
                     for r in responses if r.name in predicted)


def _decimals(sd: float) -> int:
    if not math.isfinite(sd) or sd <= 0:
        return 2
    return int(min(6, max(0, -math.floor(math.log10(sd)))))
