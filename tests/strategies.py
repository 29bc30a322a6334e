"""Hypothesis strategies for the study model: valid-looking variables, mixtures, responses,
runs and whole studies, for round-trip properties and command sequences.

"Valid-looking" means every field has the right type and the obvious rules hold (low below
high, unique names, settings inside the space); the strategies do not promise that a study
passes every check of `Study.problems()`.
"""

from __future__ import annotations

import keyword
import math

from hypothesis import strategies as st
from nextbatch.core import GOALS, SOURCES, STATUSES, Mixture, Response, Run, Study, Variable
from nextbatch.core.runs import run_id

# Names rules can use: mostly ASCII, sometimes with letters such as é or ß.
names = st.from_regex(r"[a-zéß_][a-z0-9_ü]{0,10}", fullmatch=True).filter(
    lambda n: not keyword.iskeyword(n))
# Labels and notes: any text a person might type (lone surrogates cannot be typed or saved).
labels = st.text(st.characters(exclude_categories=("Cs",)), max_size=20)
units = st.sampled_from(["", "%", "g", "mL", "min", "°C", "cP", "mm", "IBU", "µS/cm"])
# Numbers as JSON holds them: whole numbers stay ints, others are floats.
numbers = st.one_of(
    st.integers(-1000, 1000),
    st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False),
)
spans = st.one_of(st.integers(1, 500), st.floats(1e-3, 1e5))
timestamps = st.datetimes(timezones=st.none()).map(
    lambda t: t.replace(microsecond=0).isoformat() + "Z")


@st.composite
def variables(draw: st.DrawFn, name: str | None = None, kind: str | None = None,
              mixture: str | None = None) -> Variable:
    """One variable of `kind` (any kind by default) with a domain that is not empty."""
    kind = kind or draw(st.sampled_from(["continuous", "integer", "discrete", "categorical"]))
    v = Variable(
        name=name or draw(names), kind=kind, label=draw(labels), unit=draw(units),
        description=draw(labels), mixture=mixture, hold=draw(st.booleans()),
    )
    if kind == "continuous":
        v.low = draw(numbers)
        v.high = v.low + draw(spans)
        v.resolution = draw(st.none() | st.sampled_from([0.001, 0.01, 0.1, 0.5, 1]))
    elif kind == "integer":
        v.low = draw(st.integers(-100, 100))
        v.step = draw(st.none() | st.integers(1, 10))
        v.high = v.low + (v.step or 1) * draw(st.integers(1, 20))
    elif kind == "discrete":
        v.values = sorted(draw(st.lists(numbers, min_size=1, max_size=6, unique=True)))
    else:
        v.levels = draw(st.lists(labels.filter(str.strip), min_size=1, max_size=4,
                                 unique=True))
    return v


@st.composite
def values_of(draw: st.DrawFn, v: Variable) -> float | str:
    """A value inside the variable's domain (on its grid, one of its levels)."""
    if v.kind == "categorical":
        return draw(st.sampled_from(v.levels))
    if v.kind in ("integer", "discrete"):
        return draw(st.sampled_from(v.grid()))
    assert v.low is not None and v.high is not None
    return draw(st.floats(v.low, v.high))


@st.composite
def mixtures(draw: st.DrawFn, name: str | None = None) -> Mixture:
    return Mixture(
        name=name or draw(names), total=draw(st.sampled_from([100, 1, 1000.0])),
        batch_amount=draw(st.none() | st.sampled_from([250, 500, 1.5])),
        batch_unit=draw(st.sampled_from(["", "g", "kg", "L"])), label=draw(labels),
    )


@st.composite
def responses(draw: st.DrawFn, name: str | None = None) -> Response:
    goal = draw(st.sampled_from(GOALS))
    low = draw(numbers)
    high = low + draw(spans)
    return Response(
        name=name or draw(names), goal=goal, high=high,
        low=draw(st.none() | st.just(low)) if goal in ("maximize", "observe") else low,
        target=(low + high) / 2 if goal == "target" else None,
        importance=draw(st.integers(1, 5) | st.floats(1, 5)), label=draw(labels),
        unit=draw(units), description=draw(labels),
    )


@st.composite
def runs(draw: st.DrawFn, study: Study, id: str | None = None) -> Run:
    """A run of `study`: settings inside its variables' domains, some results, maybe notes."""
    batch = draw(st.integers(1, 9))
    status = draw(st.sampled_from(STATUSES))
    measured = status == "done"
    result_names = draw(st.lists(st.sampled_from([r.name for r in study.responses]),
                                 unique=True)) if study.responses and measured else []
    predicted_names = draw(st.lists(st.sampled_from([r.name for r in study.responses]),
                                    unique=True)) if study.responses else []
    return Run(
        id=id or draw(st.from_regex(r"B\d\d-\d\d", fullmatch=True)),
        batch=batch, status=status, source=draw(st.sampled_from(SOURCES)),
        settings={v.name: draw(values_of(v)) for v in study.variables},
        results={name: draw(numbers) for name in result_names},
        predicted={name: (draw(numbers), draw(st.floats(0, 100))) for name in predicted_names},
        notes=draw(labels), created=draw(st.none() | timestamps),
        measured=draw(timestamps) if measured and draw(st.booleans()) else None,
    )


@st.composite
def studies(draw: st.DrawFn, max_variables: int = 5, max_runs: int = 4) -> Study:
    """A whole study: a few variables (perhaps a mixture), rules, responses and runs."""
    # Variables and responses share one namespace.
    all_names = draw(st.lists(names, min_size=2, max_size=max_variables + 3, unique=True))
    cut = draw(st.integers(1, min(max_variables, len(all_names) - 1)))
    var_names, response_names = all_names[:cut], all_names[cut:cut + 3]
    study = Study(name=draw(labels), description=draw(labels),
                  settings={"batch_size": draw(st.integers(1, 8))})
    study.variables = [draw(variables(name=n)) for n in var_names]
    continuous = [v for v in study.variables if v.kind == "continuous"]
    if len(continuous) >= 2 and draw(st.booleans()):
        _add_mixture(draw, study, continuous[:3])
    study.constraints = draw(_rules(study))
    study.responses = [draw(responses(name=n)) for n in response_names]
    count = draw(st.integers(0, max_runs))
    study.runs = [draw(runs(study, id=run_id(1, i + 1))) for i in range(count)]
    study.extra = draw(st.sampled_from([{}, {"lab": "north"}]))
    return study


def _add_mixture(draw: st.DrawFn, study: Study, members: list[Variable]) -> None:
    """Make `members` a mixture whose total their bounds can reach."""
    mixture = draw(mixtures())
    share = mixture.total / len(members)
    for v in members:
        v.mixture, v.low, v.high = mixture.name, 0, share * 2
    study.mixtures = [mixture]


@st.composite
def _rules(draw: st.DrawFn, study: Study) -> list[str]:
    """Rules that every recipe of the space satisfies, so the space stays non-empty."""
    numeric = [v for v in study.variables if v.is_numeric]
    if not numeric:
        return []
    out: list[str] = []
    for _ in range(draw(st.integers(0, 2))):
        a, b = draw(st.sampled_from(numeric)), draw(st.sampled_from(numeric))
        if a.name == b.name:
            continue
        (_, ahi), (blo, _) = a.bounds(), b.bounds()  # type: ignore[misc]
        out.append(f"{a.name} - 2*{b.name} <= {math.ceil(ahi - 2 * blo) + 1}")
    return out

