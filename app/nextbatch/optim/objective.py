"""What the engine optimizes, as one log-scale score of model-space rows (higher is better).

* one response with goal maximize/minimize: analytic log-EI of the latent GP (sign flipped
  for minimize) against the best posterior mean among measured (and pending) recipes;
* one response with goal target: log of the exact expected improvement of the distance to
  the target (`acquisition.log_expected_triangle`);
* several such responses: the overall desirability of DESIGN §2 on posterior samples — the
  Monte-Carlo EI of desirability with fixed base samples, so the score is deterministic;
* every `range` response adds log P(staying in range), an outcome constraint;
* failed runs add log P(success) from a kernel-smoothed success rate (`SuccessModel`).

`fantasize` returns the objective after Kriging-believer fantasies (each GP conditioned on
its own mean), which is how pending runs and chosen batch members are accounted for.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from nextbatch.core.desirability import limits, overall_desirability, response_desirability
from nextbatch.core.responses import Response
from nextbatch.optim.acquisition import log_ei, log_expected_triangle, log_prob_between

if TYPE_CHECKING:
    from nextbatch.optim.gp import GaussianProcess

N_SAMPLES = 128  # base samples of the desirability's Monte-Carlo EI
_XI_SPAN = 0.4  # exploration 0 .. 1 moves the incumbent by -0.2 .. +0.2 latent sd
_XI_DESIRABILITY = 0.1  # ... and by -0.02 .. +0.02 in desirability (a 0-1 scale)
_TAU = 1e-3  # softness of the desirability improvement, in desirability units


@dataclass(frozen=True)
class ResponseModel:
    """One optimized response with its fitted GP and the values it was fitted on."""

    response: Response
    gp: GaussianProcess
    observed: np.ndarray

    @property
    def goal(self) -> str:
        return self.response.goal

    def latent_limit(self, value: float | None, missing: float) -> float:
        """A limit in the GP's latent units (`missing` when the study gives none)."""
        if value is None:
            return missing
        if self.gp.log_transform_ and value <= 0:
            return -np.inf
        return float(self.gp.to_latent(value))

    def worst_latent(self) -> float | None:
        """The worst measured value in latent units (None for range goals: no worst side)."""
        z = self.gp.to_latent(self.observed)
        if self.goal == "maximize":
            return float(z.min())
        if self.goal == "minimize":
            return float(z.max())
        if self.goal == "target":
            return float(z[np.argmax(np.abs(z - self.latent_target()))])
        return None

    def latent_target(self) -> float:
        target = self.response.target
        if target is None:
            lo, hi = limits(self.response, self.observed)
            target = 0.5 * (lo + hi)
        if self.gp.log_transform_ and target <= 0:
            target = float(np.min(self.observed))
        return float(self.gp.to_latent(target))


class SuccessModel:
    """P(a recipe does not fail), a kernel-smoothed success rate with a Beta(1, 1)-like prior.

    Light on purpose: a few failed runs only need to steer the search away from their
    neighbourhood. The kernel width grows with the dimension so that a failure still casts a
    shadow in a space of many variables.
    """

    def __init__(self, X_ok: np.ndarray, X_failed: np.ndarray) -> None:
        self.X = np.vstack([X_ok, X_failed])
        self.ok = np.r_[np.ones(len(X_ok)), np.zeros(len(X_failed))]
        self.prior = (len(X_ok) + 1.0) / (len(self.X) + 2.0)
        self.width = 0.15 * np.sqrt(max(self.X.shape[1], 1))

    def log_prob_grad(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        diff = X[:, None, :] - self.X[None, :, :]
        k = np.exp(-0.5 * np.sum(diff**2, axis=2) / self.width**2)
        dk = -k[:, :, None] * diff / self.width**2
        num = self.prior + k @ self.ok
        den = 1.0 + k.sum(axis=1)
        d_num = np.einsum("mnd,n->md", dk, self.ok)
        d_den = dk.sum(axis=1)
        return np.log(num / den), d_num / num[:, None] - d_den / den[:, None]


class Objective:
    """The score the search maximizes, built from the response models of one study."""

    def __init__(self, models: Sequence[ResponseModel], incumbents: np.ndarray, *,
                 exploration: float = 0.5, success: SuccessModel | None = None,
                 base_samples: np.ndarray | None = None) -> None:
        self.models = list(models)
        self.goals = [m for m in self.models if m.goal in ("maximize", "minimize", "target")]
        self.ranges = [m for m in self.models if m.goal == "range"]
        self.incumbents = incumbents
        self.exploration = exploration
        self.success = success
        self.base_samples = base_samples
        if len(self.goals) > 1 and base_samples is None:
            rng = np.random.default_rng(12345)
            self.base_samples = rng.standard_normal((N_SAMPLES, len(self.goals)))
        self.best = self._best()

    # -------------------------------------------------------------- incumbent
    @property
    def xi(self) -> float:
        return (self.exploration - 0.5) * _XI_SPAN

    def _best(self) -> float:
        """The incumbent: best posterior mean (latent) or desirability among incumbents."""
        if len(self.incumbents) == 0 or not self.goals:
            return -np.inf
        if len(self.goals) == 1:
            model = self.goals[0]
            mu, _ = model.gp.predict_latent(self.incumbents)
            if model.goal == "target":
                return float(np.min(np.abs(mu - model.latent_target())))
            sign = 1.0 if model.goal == "maximize" else -1.0
            return float(np.max(sign * mu))
        return float(np.max(self.desirability(self.incumbents)))

    def desirability(self, X: np.ndarray) -> np.ndarray:
        """Overall desirability of the posterior medians at X (goal responses only)."""
        parts, weights = {}, {}
        for m in self.goals:
            mu, _ = m.gp.predict_latent(X)
            lo, hi = limits(m.response, m.observed)
            parts[m.response.name] = response_desirability(m.response, m.gp.from_latent(mu),
                                                           lo, hi)
            weights[m.response.name] = float(m.response.importance or 1)
        return overall_desirability(parts, weights)

    # ------------------------------------------------------------------ score
    def score(self, X: np.ndarray) -> np.ndarray:
        return self.score_grad(X, with_grad=False)[0]

    def score_grad(self, X: np.ndarray,
                   with_grad: bool = True) -> tuple[np.ndarray, np.ndarray | None]:
        """Score of each row of X and (optionally) its gradient with respect to X."""
        X = np.atleast_2d(X)
        value = np.zeros(len(X))
        grad = np.zeros_like(X) if with_grad else None
        if len(self.goals) == 1:
            v, g = self._single(X, self.goals[0], with_grad)
            value += v
            if grad is not None:
                grad += g
        elif self.goals:
            value += self._mc_desirability(X)
            if grad is not None:
                grad += _finite_difference(self._mc_desirability, X)
        for model in self.ranges:
            lo = model.latent_limit(model.response.low, -np.inf)
            hi = model.latent_limit(model.response.high, np.inf)
            if np.isinf(lo) and np.isinf(hi):
                continue
            v, g = self._chain(model.gp, X, with_grad,
                               lambda mu, sd, lo=lo, hi=hi: log_prob_between(mu, sd, lo, hi))
            value += v
            if grad is not None:
                grad += g
        if self.success is not None:
            v, g = self.success.log_prob_grad(X)
            value += v
            if grad is not None:
                grad += g
        return value, grad

    def _single(self, X: np.ndarray, model: ResponseModel,
                with_grad: bool) -> tuple[np.ndarray, np.ndarray | None]:
        if model.goal == "target":
            target = model.latent_target()
            width = max(self.best + self.xi, 1e-6)

            def triangle(mu: np.ndarray, sd: np.ndarray):
                return log_expected_triangle(mu, sd, target, width)

            return self._chain(model.gp, X, with_grad, triangle)
        sign = 1.0 if model.goal == "maximize" else -1.0
        best = self.best + self.xi

        def ei(mu: np.ndarray, sd: np.ndarray):
            v, d_mu, d_sd = log_ei(sign * mu, sd, best)
            return v, sign * d_mu, d_sd

        return self._chain(model.gp, X, with_grad, ei)

    @staticmethod
    def _chain(gp: GaussianProcess, X: np.ndarray, with_grad: bool,
               fn) -> tuple[np.ndarray, np.ndarray | None]:
        """fn(mu, sd) -> (value, d/dmu, d/dsd), chained with the GP's input gradients."""
        if not with_grad:
            mu, sd = gp.predict_latent(X)
            return fn(mu, sd)[0], None
        mu, sd, dmu, dsd = gp.predict_latent_grad(X)
        v, d_mu, d_sd = fn(mu, sd)
        return v, d_mu[:, None] * dmu + d_sd[:, None] * dsd

    def _mc_desirability(self, X: np.ndarray) -> np.ndarray:
        """Log of the Monte-Carlo expected improvement of the overall desirability."""
        parts, weights = {}, {}
        for j, m in enumerate(self.goals):
            mu, sd = m.gp.predict_latent(X)
            z = mu[None, :] + sd[None, :] * self.base_samples[:, j:j + 1]
            lo, hi = limits(m.response, m.observed)
            parts[m.response.name] = response_desirability(m.response, m.gp.from_latent(z),
                                                           lo, hi)
            weights[m.response.name] = float(m.response.importance or 1)
        from scipy.special import logsumexp

        d = overall_desirability(parts, weights)
        # Smoothed improvement (softplus with temperature TAU), averaged in log space: where
        # no sample improves, the score still says how close the samples come (qLogEI).
        a = (d - (self.best + self.xi * _XI_DESIRABILITY)) / _TAU
        middle = np.log(np.log1p(np.exp(np.clip(a, -30.0, 30.0))))
        log_softplus = np.where(a < -30.0, a, np.where(a > 30.0, np.log(np.maximum(a, 30.0)),
                                                       middle))
        return logsumexp(log_softplus, axis=0) - np.log(len(d)) + np.log(_TAU)

    # -------------------------------------------------------------- fantasies
    def fantasize(self, X_new: np.ndarray) -> Objective:
        """The objective after observing each GP's own mean at X_new (Kriging believer)."""
        if len(X_new) == 0:
            return self
        models = []
        for m in self.models:
            mu, _ = m.gp.predict_latent(X_new)
            models.append(ResponseModel(m.response, m.gp.condition_on(X_new, mu), m.observed))
        return Objective(models, np.vstack([self.incumbents, X_new]),
                         exploration=self.exploration, success=self.success,
                         base_samples=self.base_samples)


def _finite_difference(fn, X: np.ndarray, step: float = 1e-6) -> np.ndarray:
    """Forward-difference gradient of a vectorized fn, all columns in one call per row."""
    m, d = X.shape
    grad = np.zeros_like(X)
    base = fn(X)
    for i in range(m):
        shifted = X[i] + step * np.eye(d)
        grad[i] = (fn(shifted) - base[i]) / step
    return grad
