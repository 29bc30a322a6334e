"""Qt-free engine: encoding, initial design, GP surrogate, acquisition, suggest().

`suggest(study)` is the one call the app and scripts need; the modules below it are the
steps it takes (see `nextbatch.optim.suggest`).
"""

from nextbatch.optim.suggest import Suggestion, suggest

__all__ = ["Suggestion", "suggest"]
