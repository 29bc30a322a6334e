"""What the engine optimizes, as one log-scale score of model-space rows (higher is better).

* one response with goal maximize/minimize: analytic log-EI of the latent GP (sign flipped
  for minimize) against the best posterior mean among measured (and pending) recipes;
* one response with goal target: log of the exact expected improvement of the distance to
  the target (`acquisition.log_expected_triangle`);
* several such responses: the overall desirability of DESIGN §2 on posterior samples — the
  Monte-Carlo EI of desirability with fixed base samples, so the score is deterministic;
* every `range` response adds log P(staying in range), an outcome constraint;
* failed runs add log P(success) from a kernel-smoothed success rate (`SuccessModel`).

Pending runs and chosen batch members are accounted for by fantasies: `fantasize_samples`
conditions each GP on joint draws of their outcomes and averages the score over the draws
(what suggest uses); `fantasize` conditions on the GP's own mean (Kriging believer, what the
insights use for a single picture of the model with the planned runs).
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
N_FANTASIES = 64  # sampled outcomes of the pending recipes (divides N_SAMPLES)
_XI_SPAN = 0.4  # exploration 0 .. 1 moves the incumbent by -0.2 .. +0.2 latent sd
_XI_DESIRABILITY = 0.1  # ... and by -0.02 .. +0.02 in desirability (a 0-1 scale)
_TAU = 1e-3  # softness of the desirability improvement, in desirability units
_STEP = 1e-6  # finite-difference step in latent units (the desirability's gradient)


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
        self.bests = self._bests()
        self.best = float(np.mean(self.bests))  # the incumbent (one value without fantasies)

    # -------------------------------------------------------------- incumbent
    @property
    def xi(self) -> float:
        return (self.exploration - 0.5) * _XI_SPAN

    @property
    def n_fantasies(self) -> int:
        """How many sampled outcomes of the pending recipes the models carry (1: none)."""
        return max((_columns(m.gp) for m in self.models), default=1)

    def _bests(self) -> np.ndarray:
        """The incumbent of each fantasy: best posterior mean (latent) or desirability."""
        if len(self.incumbents) == 0 or not self.goals:
            return np.full(self.n_fantasies, -np.inf)
        if len(self.goals) == 1:
            model = self.goals[0]
            mu = _latent(model.gp, self.incumbents, False)[0]
            if model.goal == "target":
                return np.min(np.abs(mu - model.latent_target()), axis=0)
            sign = 1.0 if model.goal == "maximize" else -1.0
            return np.max(sign * mu, axis=0)
        return np.max(self._desirability_columns(self.incumbents), axis=0)

    def desirability(self, X: np.ndarray) -> np.ndarray:
        """Overall desirability of the posterior medians at X (goal responses only)."""
        return self._desirability_columns(X).mean(axis=1)

    def _desirability_columns(self, X: np.ndarray) -> np.ndarray:
        """Overall desirability of the medians at X under each fantasy, (m, S)."""
        parts, weights = {}, {}
        for m in self.goals:
            mu = _latent(m.gp, X, False)[0]
            lo, hi = limits(m.response, m.observed)
            parts[m.response.name] = response_desirability(m.response, m.gp.from_latent(mu),
                                                           lo, hi)
            weights[m.response.name] = float(m.response.importance or 1)
        return np.broadcast_to(overall_desirability(parts, weights),
                               (len(X), self.n_fantasies))

    # ------------------------------------------------------------------ score
    def score(self, X: np.ndarray) -> np.ndarray:
        return self.score_grad(X, with_grad=False)[0]

    def score_grad(self, X: np.ndarray,
                   with_grad: bool = True) -> tuple[np.ndarray, np.ndarray | None]:
        """Score of each row of X and (optionally) its gradient with respect to X.

        Each term is computed per fantasy, (m, S); the score is the log of their mean over
        the fantasies, so a recipe whose gain the pending recipes would already have made
        (their fantasy outcomes raise the incumbent or lower its mean) scores low.
        """
        X = np.atleast_2d(X)
        m, d = X.shape
        S = self.n_fantasies
        value = np.zeros((m, S))
        grad = np.zeros((m, S, d)) if with_grad else None
        terms = []
        if len(self.goals) == 1:
            terms.append(self._single(X, self.goals[0], with_grad))
        elif self.goals:
            terms.append(self._moment_chain(X, with_grad, self._mc_from_moments))
        terms += self._range_terms(X, with_grad)
        for v, g in terms:
            value = value + v
            if grad is not None:
                grad = grad + g
        total = _log_mean_exp(value, axis=1)
        total_grad = None
        if grad is not None:  # the weights of the log-mean-exp: each fantasy's share
            weights = np.exp(value - total[:, None]) / S
            total_grad = np.einsum("ms,msd->md", np.nan_to_num(weights), grad)
        if self.success is not None:
            v, g = self.success.log_prob_grad(X)
            total = total + v
            if total_grad is not None:
                total_grad = total_grad + g
        return total, total_grad

    def _single(self, X: np.ndarray, model: ResponseModel,
                with_grad: bool) -> tuple[np.ndarray, np.ndarray | None]:
        if model.goal == "target":
            target = model.latent_target()
            width = np.maximum(self.bests + self.xi, 1e-6)

            def triangle(mu: np.ndarray, sd: np.ndarray):
                return log_expected_triangle(mu, sd, target, width)

            return self._chain(model.gp, X, with_grad, triangle)
        sign = 1.0 if model.goal == "maximize" else -1.0
        best = self.bests + self.xi

        def ei(mu: np.ndarray, sd: np.ndarray):
            v, d_mu, d_sd = log_ei(sign * mu, sd, best)
            return v, sign * d_mu, d_sd

        return self._chain(model.gp, X, with_grad, ei)

    @staticmethod
    def _chain(gp: GaussianProcess, X: np.ndarray, with_grad: bool,
               fn) -> tuple[np.ndarray, np.ndarray | None]:
        """fn(mu, sd) -> (value, d/dmu, d/dsd) per fantasy, chained with the input gradients."""
        mu, sd, dmu, dsd = _latent(gp, X, with_grad)
        v, d_mu, d_sd = fn(mu, sd)
        if dmu is None:
            return v, None
        return v, d_mu[:, :, None] * dmu + d_sd[:, :, None] * dsd

    def _range_terms(self, X: np.ndarray, with_grad: bool) -> list:
        """Log P(staying in range) of every range response, per fantasy."""
        terms = []
        for model in self.ranges:
            lo = model.latent_limit(model.response.low, -np.inf)
            hi = model.latent_limit(model.response.high, np.inf)
            if np.isinf(lo) and np.isinf(hi):
                continue
            terms.append(self._chain(model.gp, X, with_grad,
                                     lambda mu, sd, lo=lo, hi=hi: log_prob_between(mu, sd, lo,
                                                                                   hi)))
        return terms

    def _moment_chain(self, X: np.ndarray, with_grad: bool,
                      fn) -> tuple[np.ndarray, np.ndarray | None]:
        """fn(means, sds) of the goal GPs at X, (m, S), with its gradient along X.

        The gradient chains finite differences in each GP's mean and sd (cheap: no GP call)
        with the GPs' analytic input gradients, instead of one GP call per input dimension.
        """
        moments = [_latent(m.gp, X, with_grad) for m in self.goals]
        mus = [mo[0] for mo in moments]
        sds = [mo[1] for mo in moments]
        if not with_grad:
            return fn(mus, sds), None
        # One call for the value and every shifted copy: rows [value, mu_0 + h, sd_0 + h, ...].
        k = 1 + 2 * len(moments)
        shift = np.zeros((k, 1, 1))
        stacked_mus, stacked_sds = [], []
        for j, (mu, sd) in enumerate(zip(mus, sds, strict=True)):
            up_mu, up_sd = shift.copy(), shift.copy()
            up_mu[1 + 2 * j] = _STEP
            up_sd[2 + 2 * j] = _STEP
            stacked_mus.append((mu[None] + up_mu).reshape(-1, mu.shape[1]))
            stacked_sds.append((sd[None] + up_sd).reshape(-1, 1))
        out = fn(stacked_mus, stacked_sds).reshape(k, *mus[0].shape)
        value = out[0]
        grad = np.zeros((*value.shape, X.shape[1]))
        for j, (_, _, dmu, dsd) in enumerate(moments):
            grad += ((out[1 + 2 * j] - value) / _STEP)[:, :, None] * dmu
            grad += ((out[2 + 2 * j] - value) / _STEP)[:, :, None] * dsd
        return value, grad

    def _mc_from_moments(self, mus: list[np.ndarray], sds: list[np.ndarray]) -> np.ndarray:
        """Log MC expected improvement of the overall desirability, (m, S).

        From each goal's latent mean (m, S) and sd (m, 1).
        The base samples are split into S equal consecutive groups, one per fantasy; each
        fantasy's value is the log mean over its own group, against its own incumbent.
        """
        S = self.n_fantasies
        owner = np.repeat(np.arange(S), len(self.base_samples) // S)
        parts, weights = {}, {}
        for j, (m, mu, sd) in enumerate(zip(self.goals, mus, sds, strict=True)):
            z = mu[:, owner].T + sd[:, 0][None, :] * self.base_samples[:, j:j + 1]
            lo, hi = limits(m.response, m.observed)
            parts[m.response.name] = response_desirability(m.response, m.gp.from_latent(z),
                                                           lo, hi)
            weights[m.response.name] = float(m.response.importance or 1)
        d = overall_desirability(parts, weights)
        # Smoothed improvement (softplus with temperature TAU), averaged in log space: where
        # no sample improves, the score still says how close the samples come (qLogEI).
        best = self.bests[owner][:, None] + self.xi * _XI_DESIRABILITY
        a = (d - best) / _TAU
        middle = np.log(np.log1p(np.exp(np.clip(a, -30.0, 30.0))))
        log_softplus = np.where(a < -30.0, a, np.where(a > 30.0, np.log(np.maximum(a, 30.0)),
                                                       middle))
        groups = log_softplus.reshape(S, -1, len(mus[0]))
        return _log_mean_exp(groups, axis=1).T + np.log(_TAU)

    # -------------------------------------------------------------- fantasies
    def fantasize(self, X_new: np.ndarray) -> Objective:
        """The objective after observing each GP's own mean at X_new (Kriging believer)."""
        if len(X_new) == 0:
            return self
        models = []
        for m in self.models:
            mu = _latent(m.gp, X_new, False)[0]
            models.append(ResponseModel(m.response, m.gp.condition_on(X_new, mu), m.observed))
        return self._with(models, X_new)

    def fantasize_samples(self, X_new: np.ndarray, rng: np.random.Generator) -> Objective:
        """The objective after sampled outcomes at X_new: N_FANTASIES joint draws per GP.

        Monte-Carlo fantasies (sequential greedy q-EI): a recipe close to a pending one is
        worth little in the draws where the pending one did well (the incumbent rose) and
        in those where it did badly (the mean there fell), so batch members spread out
        unless the model is sure of the gain. The draws continue the existing ones, if any.
        """
        if len(X_new) == 0:
            return self
        S = self.n_fantasies if self.n_fantasies > 1 else N_FANTASIES
        models = []
        for m in self.models:
            z = m.gp.sample_observations(X_new, rng.standard_normal((len(X_new), S)))
            models.append(ResponseModel(m.response, m.gp.condition_on(X_new, z), m.observed))
        return self._with(models, X_new)

    def _with(self, models: list[ResponseModel], X_new: np.ndarray) -> Objective:
        return Objective(models, np.vstack([self.incumbents, X_new]),
                         exploration=self.exploration, success=self.success,
                         base_samples=self.base_samples)


def _columns(gp: GaussianProcess) -> int:
    return 1 if gp.alpha_.ndim == 1 else gp.alpha_.shape[1]


def _latent(gp: GaussianProcess, X: np.ndarray, with_grad: bool):
    """Mean (m, S) and sd (m, 1) in latent units, with gradients (m, S, d), (m, 1, d)."""
    m = len(X)
    if not with_grad:
        mu, sd = gp.predict_latent(X)
        return mu.reshape(m, -1), sd[:, None], None, None
    mu, sd, dmu, dsd = gp.predict_latent_grad(X)
    return mu.reshape(m, -1), sd[:, None], dmu.reshape(m, -1, X.shape[1]), dsd[:, None, :]


def _log_mean_exp(a: np.ndarray, axis: int) -> np.ndarray:
    """log(mean(exp(a))) along `axis` without overflow (-inf where every term is -inf).

    Plain numpy: scipy's logsumexp costs more in checks than in arithmetic on these small
    arrays, and the search calls this thousands of times.
    """
    top = np.max(a, axis=axis, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    with np.errstate(divide="ignore"):
        return np.log(np.mean(np.exp(a - top), axis=axis)) + np.squeeze(top, axis=axis)
