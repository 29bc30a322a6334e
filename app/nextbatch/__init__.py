"""NextBatch: plan the next batch of recipes to try, by Bayesian optimization.

The top level offers the few names a script needs: `Study`, `load_study`, `save_study` and
`suggest`. `suggest` is imported on first use so that importing NextBatch stays fast.
"""

from __future__ import annotations

from typing import Any

from nextbatch.core import Study

__version__ = "0.1.0"
__all__ = ["Study", "__version__", "load_study", "save_study", "suggest"]


def __getattr__(name: str) -> Any:
    if name in ("load_study", "save_study"):
        from nextbatch.io import study_file

        return getattr(study_file, name)
    if name in ("suggest", "Suggestion"):
        from nextbatch import optim

        return getattr(optim, name)
    raise AttributeError(f"module 'nextbatch' has no attribute {name!r}")
