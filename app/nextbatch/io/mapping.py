"""Which column of an imported table holds which variable, response or run field.

People head columns their own way: `Foam Height (mm)`, `foam_height`, `FOAM HEIGHT [mm]` all
mean the response `foam_height`. Headers are compared with case, spaces, underscores, hyphens
and a trailing unit in brackets or parentheses ignored; the unit is then checked against the
study's, because 160 in °F is not 160 in °C and nothing is converted silently. What cannot be
matched is listed, what matches twice is refused, and an explicit mapping always wins.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from nextbatch.core.study import Study
from nextbatch.io.tables import ImportProblem, column_letter
from nextbatch.io.weighout import weigh_out_columns

_FIELD_WORDS = {
    "id": ("run id", "id", "run", "run no", "run number", "experiment", "experiment id"),
    "batch": ("batch", "batch no", "batch number"),
    "order": ("run order", "order"),
    "source": ("source",),
    "status": ("status",),
    "notes": ("notes", "note", "comment", "comments", "remarks"),
}
IGNORE_WORDS = ("", "ignore")  # normalized: "-" and " " become ""
_UNIT = re.compile(r"^(?P<text>.*?)\s*(?:\[(?P<b>[^\[\]]*)\]|\((?P<p>[^()]*)\))\s*$")
_WEIGH_OUT = re.compile(r"^(?P<text>.+?)\s+for\s+[\d.,]+\s*\S*$", re.IGNORECASE)
_ACTUAL = re.compile(r"^actual[\s_:-]+(?P<rest>.+)$", re.IGNORECASE)


@dataclass(frozen=True)
class ColumnRole:
    """What one column holds.

    `kind` is a run field (`id`, `status`, …), a planned `variable` setting, an `actual`
    setting, a `response` result or a `weighout` amount (derived, never imported).
    """

    index: int
    header: str
    kind: str
    name: str = ""
    unit: str | None = None

    @property
    def letter(self) -> str:
        return column_letter(self.index)


@dataclass
class ColumnMatch:
    """The outcome of matching a header row: roles, columns left over, and problems found."""

    roles: list[ColumnRole] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)
    ambiguous: dict[str, list[str]] = field(default_factory=dict)
    problems: list[ImportProblem] = field(default_factory=list)

    def of_kind(self, kind: str) -> list[ColumnRole]:
        return [r for r in self.roles if r.kind == kind]

    def first(self, kind: str) -> ColumnRole | None:
        return next((r for r in self.roles if r.kind == kind), None)


def normalize(text: str) -> str:
    """Header text as compared: casefolded, without spaces, underscores or hyphens."""
    return re.sub(r"[\s_\-]+", "", text).casefold()


def split_unit(header: str) -> tuple[str, str | None]:
    """`Foam Height (mm)` -> (`Foam Height`, `mm`); a header without a unit gives None."""
    m = _UNIT.match(header.strip())
    if not m or not m.group("text"):
        return header.strip(), None
    unit = m.group("b") if m.group("b") is not None else m.group("p")
    return m.group("text"), unit.strip()


def same_unit(a: str, b: str) -> bool:
    """`°C` = `C` = `degC`, `%` = `percent`; otherwise compared ignoring case and spaces."""
    def key(u: str) -> str:
        u = re.sub(r"\s+", "", u).casefold().replace("°", "").replace("º", "")
        return {"percent": "%", "degc": "c", "degf": "f"}.get(u, u.removeprefix("deg"))
    return key(a) == key(b)


def match_columns(study: Study, header: list[str], sheet: str,
                  mapping: dict[str, str] | None = None, header_row: int = 1) -> ColumnMatch:
    """Assign each header to what it holds; `mapping` ({header: name}) overrides the guess.

    A mapped name may be a variable or response name or label, a run field (`Run ID`,
    `status`, …), `actual NAME`, or `ignore`.
    """
    targets = _targets(study)
    match = ColumnMatch()
    explicit = {" ".join(k.split()).casefold(): v for k, v in (mapping or {}).items()}
    used_keys: set[str] = set()
    taken: dict[tuple[str, str], ColumnRole] = {}

    def problem(index: int, text: str, expected: str, severity: str = "error") -> None:
        match.problems.append(ImportProblem(sheet, header_row, column_letter(index), text,
                                            text, expected, severity))

    for index, text in enumerate(header):
        key = text.casefold()
        if key in explicit:
            used_keys.add(key)
            candidates = _resolve(explicit[key], targets)
            if candidates is None:
                continue
            if not candidates:
                problem(index, text, "the name of a variable, a response or a run field "
                        f"of the study; the mapping names {explicit[key]!r}")
                continue
        elif not text:
            match.unmatched.append(f"column {column_letter(index)} (no header)")
            continue
        else:
            candidates = _guess(text, targets)
        if not candidates:
            match.unmatched.append(text)
            continue
        if len(candidates) > 1:
            names = [f"{kind} {name}".strip() for kind, name in candidates]
            match.ambiguous[text] = names
            problem(index, text, "a header that names one thing; it matches "
                    + " and ".join(names) + ": choose one with a mapping (--map)")
            continue
        kind, name = candidates[0]
        unit = split_unit(text)[1]
        role = ColumnRole(index, text, kind, name, unit)
        if (kind, name) in taken:
            first = taken[(kind, name)]
            problem(index, text, f"one column per field; column {first.letter} "
                    f"({first.header}) already holds {kind} {name}".rstrip())
            continue
        taken[(kind, name)] = role
        match.roles.append(role)
        _check_unit(study, role, key in explicit, problem)
    for key, value in (mapping or {}).items():
        if " ".join(key.split()).casefold() not in used_keys:
            match.problems.append(ImportProblem(
                sheet, header_row, "", key, key,
                f"a column headed {key!r} (the mapping to {value!r} names it), but the header "
                f"row has {', '.join(repr(h) for h in header if h) or 'no headers'}"))
    return match


# ------------------------------------------------------------------------------- internals
Target = tuple[str, str]  # (kind, name)


def _targets(study: Study) -> dict[str, list[Target]]:
    """Normalized header text -> what it may mean; one text may mean several things."""
    out: dict[str, list[Target]] = {}

    def add(text: str, target: Target) -> None:
        bucket = out.setdefault(normalize(text), [])
        if target not in bucket:
            bucket.append(target)

    for kind, words in _FIELD_WORDS.items():
        for word in words:
            add(word, (kind, ""))
    for v in study.variables:
        for text in (v.name, v.label):
            if text:
                add(text, ("variable", v.name))
                add(f"actual {text}", ("actual", v.name))
    for r in study.responses:
        for text in (r.name, r.label):
            if text:
                add(text, ("response", r.name))
    for w in weigh_out_columns(study):
        add(w.header, ("weighout", w.component.name))
    return out


def _guess(header: str, targets: dict[str, list[Target]]) -> list[Target]:
    found = targets.get(normalize(header))
    if found:
        return found
    text, _unit = split_unit(header)
    found = targets.get(normalize(text))
    if found:
        return found
    weigh = _WEIGH_OUT.match(header)
    if weigh:
        base = split_unit(weigh.group("text"))[0]
        found = [("weighout", name) for kind, name in targets.get(normalize(base), [])
                 if kind == "variable"]
        if found:
            return found
    actual = _ACTUAL.match(text)
    if actual:
        rest = split_unit(actual.group("rest"))[0]
        return [("actual", name) for kind, name in targets.get(normalize(rest), [])
                if kind == "variable"]
    return []


def _resolve(name: str, targets: dict[str, list[Target]]) -> list[Target] | None:
    """Candidates for an explicit mapping value; None means "ignore this column"."""
    if normalize(name) in IGNORE_WORDS:
        return None
    found = targets.get(normalize(name), [])
    exact = [t for t in found if t[1] == name]
    return exact or [t for t in found if t[0] != "weighout"]


def _check_unit(study: Study, role: ColumnRole, explicit: bool,
                problem: Callable[..., None]) -> None:
    if role.unit is None or role.kind not in ("variable", "actual", "response"):
        return
    thing = study.response(role.name) if role.kind == "response" else study.variable(role.name)
    if thing.unit and same_unit(role.unit, thing.unit):
        return
    wanted = f"{thing.unit!r}" if thing.unit else "no unit"
    severity = "warning" if explicit or not thing.unit else "error"
    problem(role.index, role.header,
            f"values in the study's unit of {role.name} ({wanted}), but the header says "
            f"{role.unit!r}; convert the column (nothing is converted automatically)"
            + ("" if severity == "warning" else " or map it explicitly with --map"), severity)
