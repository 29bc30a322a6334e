"""The Study: one optimization campaign, exactly what one `.nbx` file holds."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from nextbatch.core.errors import StudyError
from nextbatch.core.fields import FieldReader, unknown_keys
from nextbatch.core.responses import Response
from nextbatch.core.runs import Run, run_id
from nextbatch.core.variables import Mixture, Variable

if TYPE_CHECKING:
    from nextbatch.core.constraints import LinearConstraint
    from nextbatch.core.errors import Problem
    from nextbatch.core.validation import RecipeViolation

FORMAT = "nextbatch-study"
VERSION = 1
_KNOWN = {"format", "version", "name", "description", "variables", "mixtures", "constraints",
          "responses", "runs", "settings"}


@dataclass
class Study:
    """Variables, mixtures, constraints (as text), responses, runs and settings.

    A Study is plain data: every user edit goes through a command of `nextbatch.core.commands`
    so that it can be undone. `from_dict` and `to_dict` are exact inverses.
    """

    name: str = "Untitled study"
    description: str = ""
    variables: list[Variable] = field(default_factory=list)
    mixtures: list[Mixture] = field(default_factory=list)
    constraints: list[str] = field(default_factory=list)
    responses: list[Response] = field(default_factory=list)
    runs: list[Run] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    # Where the study was loaded from (set by nextbatch.io.study_file); never saved, never
    # compared: it lets a save notice that the file changed on disk since it was read.
    origin: Any = field(default=None, compare=False, repr=False)

    # ------------------------------------------------------------------ lookups
    def variable(self, name: str) -> Variable:
        for v in self.variables:
            if v.name == name:
                return v
        raise KeyError(f"no variable named {name!r}")

    def response(self, name: str) -> Response:
        for r in self.responses:
            if r.name == name:
                return r
        raise KeyError(f"no response named {name!r}")

    def mixture(self, name: str) -> Mixture:
        for m in self.mixtures:
            if m.name == name:
                return m
        raise KeyError(f"no mixture named {name!r}")

    def run(self, id: str) -> Run:
        for r in self.runs:
            if r.id == id:
                return r
        raise KeyError(f"no run with ID {id!r}")

    def components(self, mixture: str) -> list[Variable]:
        """The variables of one mixture, in the study's order."""
        return [v for v in self.variables if v.mixture == mixture]

    def numeric_names(self) -> list[str]:
        return [v.name for v in self.variables if v.is_numeric]

    def parsed_constraints(self) -> list[LinearConstraint]:
        """Constraints as linear relations; raises ConstraintSyntaxError on the first bad one."""
        from nextbatch.core.constraints import parse_constraint

        names = self.numeric_names()
        return [parse_constraint(text, names) for text in self.constraints]

    @property
    def batch_size(self) -> int:
        return int(self.settings.get("batch_size", 4))

    def next_batch_number(self) -> int:
        return max((r.batch for r in self.runs), default=0) + 1

    def new_run_ids(self, batch: int, count: int) -> list[str]:
        """IDs for `count` new runs of `batch` that no existing run uses."""
        taken = {r.id for r in self.runs}
        out: list[str] = []
        index = 1
        while len(out) < count:
            candidate = run_id(batch, index)
            if candidate not in taken:
                out.append(candidate)
            index += 1
        return out

    # ---------------------------------------------------------------- checking
    def problems(self) -> list[Problem]:
        """Every problem of the study at once, each with field path, value found and rule."""
        from nextbatch.core.validation import study_problems

        return study_problems(self)

    def errors(self) -> list[Problem]:
        return [p for p in self.problems() if p.severity == "error"]

    def check_recipe(self, settings: dict[str, Any]) -> list[RecipeViolation]:
        """Each bound, step, level, mixture total or constraint `settings` breaks, and by how much.

        An empty list means the recipe may be run as it is.
        """
        from nextbatch.core.validation import check_recipe

        return check_recipe(self, settings)

    def copy(self) -> Study:
        """A deep copy that shares nothing with this study (the origin stamp is kept)."""
        twin = copy.deepcopy(self)
        twin.origin = self.origin
        return twin

    # ------------------------------------------------------------- serializing
    @classmethod
    def from_dict(cls, d: Any) -> Study:
        """Build a Study from the JSON structure of DESIGN §3.

        Raises StudyError listing every field of the wrong type; semantic problems (bounds,
        names, feasibility) are left to `problems()` so that a study can be opened and fixed.
        """
        reader = FieldReader()
        d = reader.mapping(d, "study")
        fmt = d.get("format", FORMAT)
        if fmt != FORMAT:
            raise StudyError(f"this is not a NextBatch study (format is {fmt!r}, "
                             f"expected {FORMAT!r})")
        version = d.get("version", VERSION)
        if not isinstance(version, int) or isinstance(version, bool):
            raise StudyError(f"version: {version!r} is not a whole number")
        if version > VERSION:
            raise StudyError(f"this study was written by a newer NextBatch (file version "
                             f"{version}, this app reads up to {VERSION}); update NextBatch "
                             "to open it")
        study = cls(
            name=reader.text(d, "name", "", "Untitled study") or "",
            description=reader.text(d, "description", "") or "",
            variables=[Variable.from_dict(reader.mapping(v, f"variables[{i}]"),
                                          f"variables[{i}].", reader)
                       for i, v in enumerate(reader.items(d, "variables", ""))],
            mixtures=[Mixture.from_dict(reader.mapping(m, f"mixtures[{i}]"),
                                        f"mixtures[{i}].", reader)
                      for i, m in enumerate(reader.items(d, "mixtures", ""))],
            constraints=reader.texts(d, "constraints", ""),
            responses=[Response.from_dict(reader.mapping(r, f"responses[{i}]"),
                                          f"responses[{i}].", reader)
                       for i, r in enumerate(reader.items(d, "responses", ""))],
            runs=[Run.from_dict(reader.mapping(r, f"runs[{i}]"), f"runs[{i}].", reader)
                  for i, r in enumerate(reader.items(d, "runs", ""))],
            settings=copy.deepcopy(reader.mapping(d.get("settings", {}), "settings")),
            extra=copy.deepcopy(unknown_keys(d, _KNOWN)),
        )
        if reader.problems:
            lines = "\n".join(f"  {p}" for p in reader.problems)
            raise StudyError(f"the study has {len(reader.problems)} field(s) of the wrong "
                             f"type:\n{lines}", reader.problems)
        return study

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"format": FORMAT, "version": VERSION, "name": self.name}
        if self.description:
            out["description"] = self.description
        out["variables"] = [v.to_dict() for v in self.variables]
        out["mixtures"] = [m.to_dict() for m in self.mixtures]
        out["constraints"] = list(self.constraints)
        out["responses"] = [r.to_dict() for r in self.responses]
        out["runs"] = [r.to_dict() for r in self.runs]
        out["settings"] = copy.deepcopy(self.settings)
        out.update(copy.deepcopy(self.extra))
        return out
