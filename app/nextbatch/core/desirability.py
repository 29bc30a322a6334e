"""Desirability: how good a measured (or predicted) value is, from 0 (useless) to 1 (ideal).

Each optimized response maps to [0, 1] by its goal and limits (Derringer–Suich style, linear
ramps); several responses combine into one overall desirability, the geometric mean weighted
by importance (DESIGN §2). Works elementwise on numpy arrays so the engine can apply it to
posterior samples.
"""

from __future__ import annotations

import numpy as np

from nextbatch.core.responses import Response

FLOOR = 1e-3  # keeps the geometric mean informative when one response is at its worst


def limits(response: Response, observed: np.ndarray | None = None) -> tuple[float, float]:
    """The response's `low`/`high`, filled from the observed values where the study has none."""
    obs = np.asarray([] if observed is None else observed, dtype=float)
    obs = obs[np.isfinite(obs)]
    lo, hi = response.low, response.high
    if response.goal == "target" and response.target is not None:
        spread = float(np.ptp(obs)) if obs.size > 1 else abs(response.target) * 0.5 or 1.0
        lo = response.target - spread if lo is None else lo
        hi = response.target + spread if hi is None else hi
    if lo is None:
        lo = float(obs.min()) if obs.size else 0.0
    if hi is None:
        hi = float(obs.max()) if obs.size else lo + 1.0
    if hi <= lo:
        hi = lo + max(abs(lo) * 1e-3, 1e-9)
    return float(lo), float(hi)


def response_desirability(response: Response, y: np.ndarray | float,
                          lo: float, hi: float) -> np.ndarray:
    """Desirability in [0, 1] of values `y` of one response with limits `lo` < `hi`."""
    y = np.asarray(y, dtype=float)
    goal = response.goal
    if goal == "maximize":
        d = (y - lo) / (hi - lo)
    elif goal == "minimize":
        d = (hi - y) / (hi - lo)
    elif goal == "target":
        t = response.target if response.target is not None else 0.5 * (lo + hi)
        below = (y - lo) / max(t - lo, 1e-12)
        above = (hi - y) / max(hi - t, 1e-12)
        d = np.where(y <= t, below, above)
    elif goal == "range":
        d = ((y >= lo) & (y <= hi)).astype(float)
    else:
        d = np.ones_like(y)
    return np.clip(d, 0.0, 1.0)


def overall_desirability(parts: dict[str, np.ndarray], weights: dict[str, float]) -> np.ndarray:
    """Importance-weighted geometric mean of per-response desirabilities (same shapes)."""
    if not parts:
        raise ValueError("no optimized response to combine")
    total = sum(weights[name] for name in parts)
    log_sum = sum(weights[name] * np.log(np.maximum(d, FLOOR)) for name, d in parts.items())
    return np.exp(log_sum / total)
