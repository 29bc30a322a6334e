"""Is the model trustworthy yet? Leave-one-out predictions of every measured run.

Each run is predicted by the GP conditioned on all the other runs, with the hyperparameters
of the full fit (no refit: the verdict must be instant after every result typed in). For a
GP this needs no loop: with K the training covariance (noise included) and z the latent
values, the leave-one-out mean is z_i - [K⁻¹z]_i / [K⁻¹]_ii and its variance 1 / [K⁻¹]_ii
(Rasmussen & Williams, 2006, §5.4.2). Runs the GP also believes (failed recipes at the worst
value) stay in as the engine uses them; only measured runs are left out and scored.

Q² is 1 - Σ(y - ŷ₋ᵢ)² / Σ(y - ȳ)²: near 1 when the model predicts unseen runs, near 0 (or
below) when it does no better than the average of the runs.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.linalg import cho_solve

from nextbatch.optim.insights import FittedModels, LooPoint, ModelCheck, latent_to_units, title
from nextbatch.optim.objective import ResponseModel

MIN_RUNS = 3  # below this many measured runs Q² says nothing
GOOD = 0.7  # Q² from which the model is called good
ROUGH = 0.3  # ... and rough


def check_models(fitted: FittedModels) -> dict[str, ModelCheck]:
    """A ModelCheck for every response of the study, in the study's order."""
    out = {}
    for response in fitted.study.responses:
        ids = fitted.run_ids.get(response.name, [])
        model = fitted.models.get(response.name)
        out[response.name] = _check(fitted, response.name, model, ids)
    return out


def loo_latent(model: ResponseModel, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Leave-one-out latent means and sds (measurement noise included) of the first n rows."""
    gp = model.gp
    identity = np.eye(len(gp.L_))
    inverse = cho_solve((gp.L_, True), identity, check_finite=False)
    diag = np.diag(inverse)[:n]
    mean = gp.z_train_[:n] - gp.alpha_[:n] / diag
    return mean, np.sqrt(1.0 / diag)


def _check(fitted: FittedModels, name: str, model: ResponseModel | None,
           ids: list[str]) -> ModelCheck:
    label = title(fitted.study, name)
    unit = fitted.study.response(name).unit
    n = len(ids)
    if model is None or n < 2:
        return ModelCheck(name, n, None, None, "not yet", _too_few(label, n))
    y = np.asarray(model.observed, dtype=float)
    mean, sd = loo_latent(model, n)
    predicted, sd_units = latent_to_units(model, mean, sd)
    if model.gp.transform_.log:  # the median, the value a log model calls its prediction
        predicted = model.gp.from_latent(mean)
    loo = [LooPoint(run_id, float(m), float(p), float(s))
           for run_id, m, p, s in zip(ids, y, predicted, sd_units, strict=True)]
    error = float(np.sqrt(np.mean((y - predicted) ** 2)))
    if n < MIN_RUNS:
        return ModelCheck(name, n, None, error, "not yet", _too_few(label, n), loo)
    spread = float(np.sum((y - y.mean()) ** 2))
    if spread <= 1e-12 * max(1.0, float(np.max(np.abs(y))) ** 2):
        return ModelCheck(name, n, None, error, "not yet",
                          f"Every run measured the same {label} so far: the model cannot "
                          "tell which settings matter yet; the next batch will mostly "
                          "explore.", loo)
    q2 = 1.0 - float(np.sum((y - predicted) ** 2)) / spread
    shown = error_text(error, unit)
    if q2 >= GOOD:
        verdict = "good"
        advice = (f"The model predicts {label} of runs it has not seen to within about "
                  f"{shown}: its suggestions can be trusted to aim well.")
    elif q2 >= ROUGH:
        verdict = "rough"
        advice = (f"The model sees the main trends in {label} but is often off by about "
                  f"{shown}; the next batch both aims and explores.")
    else:
        verdict = "not yet"
        advice = (f"The model cannot predict {label} yet (it is off by about {shown}); the "
                  "next batch will mostly explore.")
    return ModelCheck(name, n, q2, error, verdict, advice, loo)


def error_text(error: float, unit: str = "") -> str:
    """A small amount to two significant digits, with its unit: `4.4 mm`, `780 cP`, `0.1`."""
    if not (math.isfinite(error) and error > 0):
        return f"0 {unit}".strip()
    digits = 1 - math.floor(math.log10(error))
    text = f"{round(error, digits):.{max(0, digits)}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{text} {unit}".strip()


def _too_few(label: str, n: int) -> str:
    runs = "no measured run" if n == 0 else f"only {n} measured run{'s' if n > 1 else ''}"
    return (f"The model cannot be checked for {label} yet ({runs}; it needs at least "
            f"{MIN_RUNS}); the next batch will mostly explore.")
