"""How long `suggest` takes, and how much memory, as a study grows.

    python tests/benchmarks/latency.py [--repeats 3] [--sizes 20,50,100,200] [--dims 4,8,15]
                                       [--batches 1,4,8] [--engine MODULE:FUNCTION]

Each study has d continuous variables on [0, 1], one linear constraint (as a real recipe has)
and n measured runs of a smooth synthetic response. The table gives the median seconds of a
`suggest` call over the repeats (seeds 0, 1, …) and the process's peak resident memory up to
that row. Issue 3's targets: at most 2 s for n = 200, d = 15, batch 8; memory under 500 MB.
"""

from __future__ import annotations

import argparse
import importlib
import resource
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from nextbatch.core import Run, Study

CONSTRAINT = "x1 + x2 <= 1.5"
TARGET_SECONDS = 2.0
TARGET_MB = 500.0
SuggestFn = Callable[..., list[Any]]


def synthetic_study(n: int, d: int, seed: int = 12345) -> Study:
    """d continuous variables, `x1 + x2 <= 1.5`, n done runs of a smooth response."""
    rng = np.random.default_rng(seed)
    points: list[np.ndarray] = []
    while len(points) < n:
        x = rng.random(d)
        if x[0] + x[1] <= 1.5:
            points.append(x)
    study = Study.from_dict({
        "name": f"latency n={n} d={d}",
        "variables": [{"name": f"x{i + 1}", "kind": "continuous", "low": 0, "high": 1}
                      for i in range(d)],
        "constraints": [CONSTRAINT],
        "responses": [{"name": "objective", "goal": "maximize"}],
    })
    ids = study.new_run_ids(1, n)
    for run_id, x in zip(ids, points, strict=True):
        study.runs.append(Run(id=run_id, batch=1, status="done", source="manual",
                              settings={f"x{i + 1}": float(v) for i, v in enumerate(x)},
                              results={"objective": smooth(x)}))
    return study


def smooth(x: np.ndarray) -> float:
    """A smooth, multimodal response with one broad optimum near x = 0.3."""
    i = np.arange(1, x.size + 1)
    return float(np.sum(np.sin(3 * x + i)) - 2 * np.sum((x - 0.3) ** 2))


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(suggest: SuggestFn | None = None, repeats: int = 3,
            sizes: Sequence[int] = (20, 50, 100, 200), dims: Sequence[int] = (4, 8, 15),
            batches: Sequence[int] = (1, 4, 8)) -> list[dict[str, float]]:
    """One row per (n, d, batch): median seconds of `suggest` and peak memory so far."""
    if suggest is None:
        from nextbatch.optim import suggest
    suggest(synthetic_study(10, 2), batch_size=1, seed=0)  # warm-up: imports, caches
    rows = []
    for n in sizes:
        for d in dims:
            study = synthetic_study(n, d)
            for batch in batches:
                times = []
                for seed in range(repeats):
                    start = time.perf_counter()
                    suggest(study, batch_size=batch, seed=seed)
                    times.append(time.perf_counter() - start)
                rows.append({"n": n, "d": d, "batch": batch,
                             "seconds": statistics.median(times), "peak_mb": peak_rss_mb()})
                print(f"latency n={n} d={d} batch={batch}: {rows[-1]['seconds']:.3f} s",
                      file=sys.stderr, flush=True)
    return rows


def markdown(rows: list[dict[str, float]]) -> str:
    lines = ["**Latency of suggest: median seconds per call; peak resident memory so far**", "",
             "| n runs | d | batch | seconds | peak MB |", "|---|---|---|---|---|"]
    lines += [f"| {r['n']} | {r['d']} | {r['batch']} | {r['seconds']:.3f} | {r['peak_mb']:.0f} |"
              for r in rows]
    lines.append("")
    largest = max(rows, key=lambda r: (r["n"], r["d"], r["batch"]))
    ok = largest["seconds"] <= TARGET_SECONDS
    lines.append(f"- {'PASS' if ok else 'MISS'} — n = {largest['n']}, d = {largest['d']}, "
                 f"batch {largest['batch']}: {largest['seconds']:.3f} s "
                 f"(target ≤ {TARGET_SECONDS:g} s at n = 200, d = 15, batch 8)")
    peak = max(r["peak_mb"] for r in rows)
    lines.append(f"- {'PASS' if peak < TARGET_MB else 'MISS'} — peak memory {peak:.0f} MB "
                 f"(target < {TARGET_MB:g} MB)")
    return "\n".join(lines) + "\n"


def _ints(text: str) -> list[int]:
    return [int(t) for t in text.split(",") if t.strip()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sizes", type=_ints, default=[20, 50, 100, 200])
    parser.add_argument("--dims", type=_ints, default=[4, 8, 15])
    parser.add_argument("--batches", type=_ints, default=[1, 4, 8])
    parser.add_argument("--engine", default="nextbatch.optim:suggest",
                        help="MODULE:FUNCTION with suggest's signature (default: ours)")
    args = parser.parse_args(argv)
    module, _, function = args.engine.partition(":")
    suggest = getattr(importlib.import_module(module), function or "suggest")
    print(markdown(measure(suggest, args.repeats, args.sizes, args.dims, args.batches)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
