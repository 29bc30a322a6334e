"""Qt-free domain model: variables, mixtures, constraints, responses, runs and the Study."""

from nextbatch.core.errors import (
    CancelledError,
    CommandError,
    ConstraintSyntaxError,
    InfeasibleError,
    NextBatchError,
    Problem,
    SaveConflictError,
    StudyError,
)
from nextbatch.core.responses import GOALS, Response
from nextbatch.core.runs import SOURCES, STATUSES, Run
from nextbatch.core.study import Study
from nextbatch.core.variables import KINDS, Mixture, Variable

__all__ = [
    "GOALS",
    "KINDS",
    "SOURCES",
    "STATUSES",
    "CancelledError",
    "CommandError",
    "ConstraintSyntaxError",
    "InfeasibleError",
    "Mixture",
    "NextBatchError",
    "Problem",
    "Response",
    "Run",
    "SaveConflictError",
    "Study",
    "StudyError",
    "Variable",
]
