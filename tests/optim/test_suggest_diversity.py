"""Members of one batch are meaningfully different recipes, not one recipe with a nudge.

A lab that runs four recipes differing only by half a degree learns what one run would have
taught. The spread is measured in the engine's encoded space (every variable scaled to
[0, 1], categorical levels one-hot): 0.1 is a tenth of a variable's range. With Kriging
believer fantasies the examples gave 0.07 (brewing: mash temperature 66 / 66.5 / 67) and
0.02 (shaving cream: two recipes 0.1 % apart) for every seed. When the model is sure (a
smooth noiseless response measured densely) close members are still allowed: that is where
the gain is.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from nextbatch.core import Run, Study
from nextbatch.io.study_file import load_study
from nextbatch.optim import suggest
from nextbatch.optim.encoding import Encoding
from nextbatch.resources import example_path

SPREAD = 0.1  # the closest two members of a batch, in encoded units


def closest_pair(study: Study, batch_size: int, seed: int) -> float:
    batch = suggest(study, batch_size, seed=seed)
    assert len(batch) == batch_size
    X = Encoding(study).encode_many([s.settings for s in batch])
    return min(float(np.linalg.norm(a - b)) for a, b in itertools.combinations(X, 2))


@pytest.mark.parametrize(("example", "batch_size", "seed"),
                         [("brewing", 3, 0), ("brewing", 3, 1), ("shaving-cream", 4, 0)])
def test_example_batches_spread_out(example: str, batch_size: int, seed: int) -> None:
    study = load_study(example_path(example))
    assert closest_pair(study, batch_size, seed) >= SPREAD


def bowl_study() -> Study:
    """Three continuous settings, a smooth response with its best inside, eight results."""
    names = ["a", "b", "c"]
    study = Study.from_dict({
        "name": "bowl",
        "variables": [{"name": n, "kind": "continuous", "low": 0, "high": 1} for n in names],
        "responses": [{"name": "y", "goal": "maximize"}],
        "settings": {"batch_size": 4},
    })
    rng = np.random.default_rng(7)
    for i, x in enumerate(rng.uniform(size=(8, 3))):
        y = 10.0 - 8.0 * float(np.sum((x - np.array([0.6, 0.4, 0.5])) ** 2))
        study.runs.append(Run(id=f"R{i:02d}", batch=1, status="done", source="suggested",
                              settings=dict(zip(names, map(float, x), strict=True)),
                              results={"y": y}))
    return study


@pytest.mark.parametrize("seed", range(3))
def test_smooth_problem_batch_spreads_out(seed: int) -> None:
    assert closest_pair(bowl_study(), 4, seed) >= SPREAD
