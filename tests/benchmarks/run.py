"""Run NextBatch's engine on the shared problems and print its figures beside the peers'.

    python tests/benchmarks/run.py [--problems branin,mixture4] [--seeds 0-9] [--jobs 2]
                                   [--latency] [--json OUT] [--engine MODULE:FUNCTION]

The protocol and the peers' figures are those of `../shared/bench` (README.md, RESULTS.md);
the peers' tables are parsed from RESULTS.md, never copied. The tables go to stdout in
Markdown, followed by a verdict on the targets of issue 3; the raw per-seed results are written
as JSON to tests/benchmarks/results/ (gitignored) or to --json.
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import multiprocessing
import re
import statistics
import sys
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import problems as bench
from problems import SeedResult

RESULTS_DIR = Path(__file__).resolve().parent / "results"
PEERS = ["baybe", "ax", "skopt", "sobol", "random"]
ENGINES = ["baybe", "ax", "skopt"]  # "best peer" is the lowest median among these (issue 3)
OURS = "nextbatch"
TABLES = {  # key -> words that start the bold heading of the table in RESULTS.md
    "final": "Final normalized regret",
    "convergence": "Convergence",
    "seconds": "Seconds per batch",
    "lookup": "Lookup tables",
}
HEADINGS = {
    "final": "**Final normalized regret, median [quartiles] (seeds)**",
    "convergence": "**Convergence: mean normalized regret over the run's batches, median (seeds)**",
    "seconds": "**Seconds per batch (ours: the suggest call), median [90th percentile]**",
    "lookup": "**Lookup tables: seeds that found a top-1 % row; median evaluations to it**",
}
NUMBER = r"-?\d+(?:\.\d+)?"


# --------------------------------------------------------------------- the peers' figures
def parse_results(text: str) -> dict[str, dict[str, dict[str, str]]]:
    """RESULTS.md's tables as {table key: {problem: {peer: cell text}}}."""
    tables: dict[str, dict[str, dict[str, str]]] = {}
    key: str | None = None
    header: list[str] = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("**"):
            title = line.strip("*")
            key = next((k for k, words in TABLES.items() if title.startswith(words)), None)
            header = []
        elif key and line.startswith("|"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            if not header:
                header = cells
            elif not all(set(c) <= set("-: ") for c in cells):
                tables.setdefault(key, {})[cells[0]] = dict(zip(header[1:], cells[1:],
                                                                 strict=True))
    missing = [k for k in TABLES if k not in tables]
    if missing:
        raise ValueError(f"RESULTS.md: no table headed {', '.join(TABLES[k] for k in missing)}")
    return tables


def first_number(cell: str) -> float:
    """The leading figure of a cell: '0.0041 [0.0012–0.0068] (10)' -> 0.0041."""
    match = re.match(NUMBER, cell.strip())
    if not match:
        raise ValueError(f"RESULTS.md: expected a number at the start of {cell!r}")
    return float(match.group())


def lookup_hits(cell: str) -> tuple[int, int]:
    """'9/10, 20' -> (9, 10)."""
    match = re.match(r"(\d+)/(\d+)", cell.strip())
    if not match:
        raise ValueError(f"RESULTS.md: expected 'hits/seeds, evaluations', found {cell!r}")
    return int(match.group(1)), int(match.group(2))


def load_peers() -> dict[str, dict[str, dict[str, str]]]:
    path = bench.bench_dir() / "RESULTS.md"
    return parse_results(path.read_text(encoding="utf-8"))


# ------------------------------------------------------------------------ our figures
def summarize(results: list[SeedResult]) -> dict[str, dict[str, Any]]:
    """Per problem: medians, quartiles and counts over the seeds that ran without a crash."""
    out: dict[str, dict[str, Any]] = {}
    for name in dict.fromkeys(r.problem for r in results):
        ok = [r for r in results if r.problem == name and r.error is None]
        if not ok:
            continue
        final = [r.final_regret for r in ok]
        seconds = [s for r in ok for s in r.suggest_seconds]
        row: dict[str, Any] = {
            "seeds": len(ok),
            "final": float(np.median(final)),
            "final_q": (float(np.percentile(final, 25)), float(np.percentile(final, 75))),
            "convergence": float(np.median([r.convergence for r in ok])),
            "seconds": float(np.median(seconds)) if seconds else math.nan,
            "seconds_p90": float(np.percentile(seconds, 90)) if seconds else math.nan,
            "infeasible": sum(r.infeasible for r in ok),
            "suggestions": sum(r.suggestions for r in ok),
        }
        if ok[0].top_found is not None:
            found = [r.evals_to_top for r in ok if r.top_found]
            row["top_hits"] = len(found)
            row["top_evals"] = float(np.median(found)) if found else None
            row["best_at_check"] = float(np.median([r.best_at_check for r in ok]))
        out[name] = row
    return out


def our_cell(table: str, row: dict[str, Any]) -> str:
    if table == "final":
        q1, q3 = row["final_q"]
        return f"{row['final']:.4f} [{q1:.4f}–{q3:.4f}] ({row['seeds']})"
    if table == "convergence":
        return f"{row['convergence']:.4f} ({row['seeds']})"
    if table == "seconds":
        return f"{row['seconds']:.3f} [{row['seconds_p90']:.3f}]"
    evals = "–" if row["top_evals"] is None else f"{row['top_evals']:g}"
    return f"{row['top_hits']}/{row['seeds']}, {evals}"


def markdown_tables(ours: dict[str, dict[str, Any]], peers: dict[str, Any]) -> str:
    lines: list[str] = []
    for table, heading in HEADINGS.items():
        rows = [n for n in ours if table != "lookup" or "top_hits" in ours[n]]
        if not rows:
            continue
        lines += [heading, "", "| problem | " + " | ".join([OURS, *PEERS]) + " |",
                  "|---" * (len(PEERS) + 2) + "|"]
        for name in rows:
            theirs = peers[table].get(name, {})
            cells = [our_cell(table, ours[name])] + [theirs.get(p, "–") for p in PEERS]
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines)


# ----------------------------------------------------------------------------- verdict
def no_worse(ours: float, best: float) -> bool:
    """Issue 3's tolerance: within 10 % of the best peer's median, or within 0.005."""
    return ours <= max(best * 1.1, best + 0.005)


def best_peer(peers: dict[str, Any], table: str, name: str) -> tuple[str, float]:
    row = peers[table][name]
    return min(((p, first_number(row[p])) for p in ENGINES), key=lambda pv: pv[1])


def verdict(ours: dict[str, dict[str, Any]], peers: dict[str, Any],
            results: list[SeedResult]) -> tuple[str, bool]:
    """The issue's targets, each with our figure, the target and PASS/MISS; and whether all pass."""
    lines = ["**Verdict against the targets of issue 3**", ""]
    passed: list[bool] = []

    def check(ok: bool, text: str) -> None:
        passed.append(ok)
        lines.append(f"- {'PASS' if ok else 'MISS'} — {text}")

    infeasible = sum(r.infeasible for r in results)
    total = sum(r.suggestions for r in results)
    check(infeasible == 0, f"infeasible suggestions: {infeasible} of {total} (target 0)")
    crashed = [r for r in results if r.error]
    check(not crashed, f"seeds that crashed: {len(crashed)} (target 0)")
    compared = [n for n in ours if n in peers["final"]]
    need = math.ceil(0.8 * len(compared))
    ratios = []
    for table, label in (("final", "median final regret"), ("convergence", "median convergence")):
        details, hits = [], 0
        for name in compared:
            peer, best = best_peer(peers, table, name)
            mine = ours[name][table]
            hits += no_worse(mine, best)
            details.append(f"{name} {mine:.4f} vs {peer} {best:.4f}"
                           f"{'' if no_worse(mine, best) else ' (worse)'}")
            if table == "convergence" and best > 0:
                ratios.append(mine / best)
        check(hits >= need, f"{label} no worse than the best peer (within 10 % or 0.005) on "
                            f"{hits} of {len(compared)} problems (target ≥ {need}): "
                            + "; ".join(details))
    if ratios:
        geo = math.exp(statistics.fmean(math.log(max(r, 1e-12)) for r in ratios))
        check(geo <= 0.8, f"geometric mean of our convergence / best peer's: {geo:.3f} over "
                          f"{len(ratios)} problems (target ≤ 0.8)")
    if "arylation" in ours:
        row = ours["arylation"]
        check(row["best_at_check"] >= 97, f"arylation median best yield after "
              f"{bench.YIELD_CHECK} evaluations: {row['best_at_check']:.2f} (target ≥ 97)")
        need_top = math.ceil(0.9 * row["seeds"])
        check(row["top_hits"] >= need_top, f"arylation top-1 % row found within "
              f"{bench.TOP_CHECK} evaluations in {row['top_hits']}/{row['seeds']} seeds "
              f"(target ≥ {need_top})")
    seconds = [s for r in results for s in r.suggest_seconds]
    baybe = [first_number(peers["seconds"][n]["baybe"]) for n in compared]
    if seconds and baybe:
        mine, theirs = statistics.median(seconds), statistics.median(baybe)
        check(mine <= 0.2 * theirs, f"median suggest call {mine:.3f} s over {len(seconds)} "
                                    f"calls; 0.2 × BayBE's median {theirs:.3f} s = "
                                    f"{0.2 * theirs:.3f} s")
    return "\n".join(lines) + "\n", all(passed)


# ----------------------------------------------------------------------------- running
def parse_seeds(text: str) -> list[int]:
    """'0-9' -> 0..9; '0,3,5-7' -> 0, 3, 5, 6, 7."""
    seeds: list[int] = []
    for part in text.split(","):
        low, _, high = part.strip().partition("-")
        if not low.isdigit() or (high and not high.isdigit()):
            raise argparse.ArgumentTypeError(f"--seeds: {part!r} is not N or N-M")
        seeds += range(int(low), int(high or low) + 1)
    return seeds


def resolve_engine(spec: str) -> Callable[..., list[Any]]:
    module, _, function = spec.partition(":")
    return getattr(importlib.import_module(module), function or "suggest")


def _job(args: tuple[str, int, str]) -> SeedResult:
    name, seed, engine = args
    return bench.run_seed(name, seed, resolve_engine(engine))


def _one_blas_thread() -> None:
    """Pool initializer: with one worker per core, each keeps to one BLAS thread."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)


def run_all(names: Iterable[str], seeds: list[int], jobs: int, engine: str) -> list[SeedResult]:
    tasks = [(n, s, engine) for n in names for s in seeds]
    done: list[SeedResult] = []

    def report(r: SeedResult) -> None:
        done.append(r)
        what = "CRASHED" if r.error else (f"final regret {r.final_regret:.4f}, "
                                          f"convergence {r.convergence:.4f}")
        print(f"[{len(done)}/{len(tasks)}] {r.problem} seed {r.seed}: {what}, "
              f"{sum(r.suggest_seconds):.1f} s in suggest", file=sys.stderr, flush=True)

    if jobs <= 1:
        for task in tasks:
            report(_job(task))
    else:
        with multiprocessing.get_context("fork").Pool(jobs, _one_blas_thread) as pool:
            for r in pool.imap_unordered(_job, tasks):
                report(r)
    order = {t[:2]: i for i, t in enumerate(tasks)}
    return sorted(done, key=lambda r: order[(r.problem, r.seed)])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--problems", default=",".join(bench.problem_names()),
                        help="comma-separated problem names (default: all)")
    parser.add_argument("--seeds", type=parse_seeds, default=parse_seeds("0-9"),
                        help="seeds as N, N-M or a comma list of those (default 0-9)")
    parser.add_argument("--jobs", type=int, default=1,
                        help="(problem, seed) runs in parallel (default 1: the machine is shared)")
    parser.add_argument("--latency", action="store_true",
                        help="also print the latency table of latency.py")
    parser.add_argument("--json", type=Path, help="where to write the raw per-seed results")
    parser.add_argument("--engine", default="nextbatch.optim:suggest",
                        help="MODULE:FUNCTION with suggest's signature (default: ours)")
    args = parser.parse_args(argv)
    names = [n for n in args.problems.split(",") if n]
    unknown = sorted(set(names) - set(bench.problem_names()))
    if unknown:
        parser.error(f"--problems: unknown {', '.join(unknown)}; known: "
                     f"{', '.join(bench.problem_names())}")
    peers = load_peers()
    started = time.perf_counter()
    results = run_all(names, args.seeds, args.jobs, args.engine)
    ours = summarize(results)
    print(markdown_tables(ours, peers))
    text, all_passed = verdict(ours, peers, results)
    print(text)
    for r in results:
        if r.error:
            print(f"{r.problem} seed {r.seed} crashed:\n{r.error}", file=sys.stderr)
        for example in r.infeasible_examples:
            print(f"{r.problem} seed {r.seed} infeasible: {example}", file=sys.stderr)
    print(f"Wall time {time.perf_counter() - started:.0f} s with --jobs {args.jobs}.")
    if args.latency:
        import latency

        print()
        print(latency.markdown(latency.measure(resolve_engine(args.engine))))
    out = args.json or RESULTS_DIR / f"bench-{datetime.now(UTC):%Y%m%d-%H%M%S}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"engine": args.engine, "seeds": args.seeds, "summary": ours,
                               "results": [r.to_dict() for r in results]}, indent=1),
                   encoding="utf-8")
    print(f"Raw results: {out}", file=sys.stderr)
    return 0 if all_passed else 1


if __name__ == "__main__":
    sys.exit(main())
