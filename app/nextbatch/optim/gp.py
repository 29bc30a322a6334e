"""The Gaussian-process surrogate: one GP per optimized response, fitted by MAP in numpy.

Why our own small GP rather than scikit-learn's: the priors that make a GP trustworthy on a
handful of lab results (below) enter the objective directly, the analytic gradient makes
L-BFGS-B fast, and the prediction gradients feed the acquisition optimizer.

Model, in latent units z = (t(y) - shift) / scale, where t is the identity or the logarithm:

    z = f(x) + e,  f ~ GP(0, s2 * Matern52_ARD(lengthscales)),  e ~ N(0, noise)

Priors, chosen for a handful of points and compared on hold-out data of standard test
functions (Branin, Hartmann-6, Rosenbrock, Ackley; 8-32 points) before being fixed here:

- length-scale l_i in the [0, 1]-scaled space: LogNormal(sqrt(2) + log(d) / 2, sqrt(3)), the
  dimension-scaled prior of Hvarfner et al. (2024) that BoTorch uses by default, as a density
  of the value (as GPyTorch evaluates it; mode exp(mu - 3), from 0.2 in 1-D to 0.8 in 15-D);
  it keeps a few points in many dimensions from being explained by wiggles;
- noise variance: LogNormal(log 3e-3, 1.5) as a density of the value (mode 3e-4), bounded
  below by 1e-6 — small noise is preferred (lab responses are repeatable to a few per cent of
  their spread), a lot of noise is allowed when replicates disagree;
- signal variance: log s2 ~ N(0, 3^2), mild: smooth trends with a large variance (a mostly
  quadratic response) must stay reachable.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, ParamSpec, TypeVar

import numpy as np
from scipy.linalg import cho_solve, solve_triangular

from nextbatch.optim.kernels import (
    log_marginal_likelihood,
    matern52,
    matern52_with_slope,
    robust_cholesky,
    scaled_sqdist,
    weighted_diff_sum,
)

if TYPE_CHECKING:
    from threadpoolctl import ThreadpoolController

LENGTHSCALE_PRIOR_SD = float(np.sqrt(3.0))
SIGNAL_PRIOR = (0.0, 3.0)  # mean and sd of log s2
NOISE_PRIOR = (float(np.log(3e-3)), 1.5)  # log-normal loc and scale of the noise variance
LOG_LENGTHSCALE_BOUNDS = (float(np.log(1e-2)), float(np.log(1e3)))
LOG_SIGNAL_BOUNDS = (float(np.log(1e-3)), float(np.log(1e5)))
LOG_NOISE_BOUNDS = (float(np.log(1e-6)), float(np.log(10.0)))
MIN_LATENT_VARIANCE = 1e-12  # predictive variances are floored here (sd 1e-6 latent units)
_LOG_SPAN_RATIO = 100.0  # strictly positive responses spanning two decades are modelled in log
_SKEW_LIMIT = 2.0
_FTOL = 1e-6  # relative change of the log posterior at which L-BFGS-B stops: 1e-6 nats matter
# to no decision, and the default (2e-9) costs 50 % more evaluations
_FEW_RESTARTS_ABOVE = 100  # fit_gp: one random restart beyond this many points (speed)

_P = ParamSpec("_P")
_R = TypeVar("_R")


@functools.cache
def _blas_controller() -> ThreadpoolController:
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


_blas_state = threading.local()


@contextlib.contextmanager
def single_blas_thread() -> Iterator[None]:
    """BLAS limited to one thread for everything inside (not re-entered when nested).

    Our matrices are small (n <= a few hundred): threads cost more to wake than they save, and
    on a busy 2-core machine multithreaded OpenBLAS was measured up to 300x slower (32 ms vs
    0.1 ms for 64 prediction gradients at n = 20; 13 ms vs 2.6 ms per likelihood at n = 200).
    Entering the limit costs about 10 microseconds, which adds up over the thousands of GP
    calls of one suggestion: `suggest` enters it once and the GP methods inside skip theirs.
    """
    if getattr(_blas_state, "active", False):
        yield
        return
    with _blas_controller().limit(limits=1, user_api="blas"):
        _blas_state.active = True
        try:
            yield
        finally:
            _blas_state.active = False


def one_blas_thread(method: Callable[_P, _R]) -> Callable[_P, _R]:
    """Run `method` inside `single_blas_thread` (a plain call when already inside one)."""

    @functools.wraps(method)
    def limited(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        if getattr(_blas_state, "active", False):
            return method(*args, **kwargs)
        with single_blas_thread():
            return method(*args, **kwargs)

    return limited


def lengthscale_prior_mean(d: int) -> float:
    """Mean of log length-scale in d dimensions (Hvarfner et al. 2024)."""
    return float(np.sqrt(2.0) + 0.5 * np.log(max(d, 1)))


def _skewness(v: np.ndarray) -> float:
    centred = v - v.mean()
    m2 = float(np.mean(centred**2))
    return 0.0 if m2 <= 0.0 else float(np.mean(centred**3) / m2**1.5)


def wants_log_transform(y: np.ndarray) -> bool:
    """The automatic rule: model log(y) when y is strictly positive and spans decades.

    True when every value is > 0 and either max / min >= 100, or (with at least 8 values) y is
    strongly right-skewed (skewness >= 2) while log(y) is at most half as skewed. Such
    responses (viscosity, particle size, impurity levels) vary multiplicatively, and a GP on
    the raw values would be dominated by the few largest.
    """
    y = np.asarray(y, dtype=float)
    if y.size < 2 or not np.all(y > 0.0):
        return False
    if y.max() >= _LOG_SPAN_RATIO * y.min():
        return True
    if y.size < 8:
        return False
    skew = _skewness(y)
    return skew >= _SKEW_LIMIT and abs(_skewness(np.log(y))) <= 0.5 * skew


@dataclass(frozen=True)
class OutputTransform:
    """y -> latent z: an optional logarithm, then centring and scaling."""

    log: bool
    shift: float
    scale: float

    @classmethod
    def fit(cls, y: np.ndarray, log: bool) -> OutputTransform:
        """Centre on the mean and scale by the sd; with no spread, scale 1 (log units) or |mean|.

        The fallback keeps a constant response's prior sd on the order of the values
        themselves: unknown, rather than certain to within one unit of whatever unit it has.
        """
        t = np.log(y) if log else np.asarray(y, dtype=float)
        if t.size == 0:
            return cls(log, 0.0, 1.0)
        shift = float(t.mean())
        sd = float(t.std())
        if not np.isfinite(sd) or sd <= 1e-12 * max(abs(shift), 1.0):
            sd = 1.0 if log or shift == 0.0 else abs(shift)
        return cls(log, shift, sd)

    def to_latent(self, y: np.ndarray | float) -> np.ndarray:
        """Latent values; under the log transform, values <= 0 map to the smallest positive."""
        y = np.asarray(y, dtype=float)
        t = np.log(np.maximum(y, np.finfo(float).tiny)) if self.log else y
        return (t - self.shift) / self.scale

    def from_latent(self, z: np.ndarray | float) -> np.ndarray:
        """Inverse of `to_latent` (under the log transform: the median of the log-normal)."""
        t = np.asarray(z, dtype=float) * self.scale + self.shift
        return np.exp(np.minimum(t, 700.0)) if self.log else t


@functools.cache
def _prior_parameters(d: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Normal means and sds on theta = (log lengthscales, log s2, log noise), and a mask.

    The mask marks the log-normal priors that are densities of the value rather than of its
    logarithm: their log-density carries an extra -theta. Cached: callers must not modify.
    """
    means = np.concatenate([np.full(d, lengthscale_prior_mean(d)),
                            [SIGNAL_PRIOR[0], NOISE_PRIOR[0]]])
    sds = np.concatenate([np.full(d, LENGTHSCALE_PRIOR_SD), [SIGNAL_PRIOR[1], NOISE_PRIOR[1]]])
    on_value = np.concatenate([np.ones(d), [0.0, 1.0]])
    return means, sds, on_value


def _log_prior(theta: np.ndarray, d: int) -> tuple[float, np.ndarray]:
    """Log prior density at theta (up to a constant) and its gradient."""
    means, sds, on_value = _prior_parameters(d)
    u = (theta - means) / sds
    return float(-0.5 * np.sum(u * u) - on_value @ theta), -u / sds - on_value


def neg_log_posterior(theta: np.ndarray, x: np.ndarray,
                      z: np.ndarray) -> tuple[float, np.ndarray]:
    """What L-BFGS-B minimizes: -(log marginal likelihood + log prior), with gradient."""
    lml, g_lml = log_marginal_likelihood(theta, x, z)
    lp, g_lp = _log_prior(theta, x.shape[1])
    return -(lml + lp), -(g_lml + g_lp)


def _bounds(d: int) -> np.ndarray:
    return np.array([LOG_LENGTHSCALE_BOUNDS] * d + [LOG_SIGNAL_BOUNDS, LOG_NOISE_BOUNDS])


def _prior_mode(d: int) -> np.ndarray:
    """Where the prior density is highest: the default start, and the answer for one point."""
    means, sds, on_value = _prior_parameters(d)
    return means - on_value * sds**2


def _prior_draw(d: int, rng: np.random.Generator) -> np.ndarray:
    means, sds, _ = _prior_parameters(d)
    return means + sds * rng.standard_normal(d + 2)


def _as_inputs(x: np.ndarray, d: int | None = None) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    if x.ndim != 2:
        raise ValueError(f"X must be a 2-D array (points, features); got shape {x.shape}")
    if d is not None and x.shape[1] != d:
        raise ValueError(f"X has {x.shape[1]} features; the GP was fitted on {d}")
    if not np.all(np.isfinite(x)):
        raise ValueError("X contains NaN or infinite values; encode missing settings first")
    return x


class GaussianProcess:
    """GP regression on encoded recipes (features in [0, 1], one-hot 0/1 columns).

    Hyperparameters of the estimator are set in `__init__`; everything learned by `fit` ends
    in `_` (scikit-learn's convention). `predict` speaks the response's own units; the
    `*_latent` methods speak the latent units the acquisition works in.

    Args:
        n_restarts: random starts drawn from the priors, besides the default (or warm) start.
        random_state: seed of the generator that draws the restarts; fixed seed, same fit.
        log_transform: model log(y) (True), never (False), or by `wants_log_transform` (None).
        max_fit_points: hyperparameters are learned on a random subset of at most this many
            points (for speed); predictions always use every point.

    """

    def __init__(self, *, n_restarts: int = 3, random_state: int | None = None,
                 log_transform: bool | None = None, max_fit_points: int = 200) -> None:
        self.n_restarts = n_restarts
        self.random_state = random_state
        self.log_transform = log_transform
        self.max_fit_points = max_fit_points

    # ------------------------------------------------------------------ fitting
    @one_blas_thread
    def fit(self, X: np.ndarray, y: np.ndarray, *,
            warm_start: GaussianProcess | None = None) -> GaussianProcess:
        """Learn hyperparameters by MAP and condition on (X, y); returns self.

        With no points the GP is its prior (mean 0, sd 1 in latent units); with one point
        the hyperparameters stay at the prior mode, since one value says nothing about them.
        `warm_start` (a fitted GP of the same width) gives the first start of the search.
        """
        x = _as_inputs(X)
        y = np.asarray(y, dtype=float).ravel()
        if y.shape[0] != x.shape[0]:
            raise ValueError(f"X has {x.shape[0]} rows but y has {y.shape[0]} values")
        if not np.all(np.isfinite(y)):
            raise ValueError("y contains NaN or infinite values; leave unmeasured runs out")
        log = wants_log_transform(y) if self.log_transform is None else bool(self.log_transform)
        if log and np.any(y <= 0.0):
            raise ValueError(f"log_transform=True needs y > 0; the smallest value is {y.min():g}")
        n, d = x.shape
        self.n_features_in_ = d
        self.transform_ = OutputTransform.fit(y, log)
        self.X_train_, self.y_train_ = x, y
        self.z_train_ = self.transform_.to_latent(y)
        start = _prior_mode(d)
        if warm_start is not None and getattr(warm_start, "n_features_in_", None) == d:
            start = warm_start.theta_.copy()
        self.theta_ = start if n < 2 else self._optimize(start)
        self._factorize()
        return self

    def _optimize(self, start: np.ndarray) -> np.ndarray:
        """Best of L-BFGS-B runs from `start` and from `n_restarts` prior draws.

        Above `max_fit_points` points the hyperparameters are learned on a random subset: a
        few hundred points pin them down as well as more would, at a fraction of the O(n^3)
        cost per step; the posterior still conditions on every point.
        """
        from scipy.optimize import minimize

        d = self.n_features_in_
        bounds = _bounds(d)
        rng = np.random.default_rng(self.random_state)
        x, z = self.X_train_, self.z_train_
        if len(x) > self.max_fit_points:
            keep = np.sort(rng.choice(len(x), size=self.max_fit_points, replace=False))
            x, z = x[keep], z[keep]
        starts = [start] + [_prior_draw(d, rng) for _ in range(self.n_restarts)]
        best_theta, best_value = np.clip(start, bounds[:, 0], bounds[:, 1]), np.inf
        for theta0 in starts:
            result = minimize(neg_log_posterior, np.clip(theta0, bounds[:, 0], bounds[:, 1]),
                              args=(x, z), jac=True, method="L-BFGS-B", bounds=bounds,
                              options={"ftol": _FTOL})
            if np.isfinite(result.fun) and result.fun < best_value:
                best_theta, best_value = result.x, float(result.fun)
        return best_theta

    def _factorize(self) -> None:
        """Cholesky factor, weights and reported hyperparameters for the current theta_."""
        d = self.n_features_in_
        self.lengthscales_ = np.exp(self.theta_[:d])
        self.signal_variance_ = float(np.exp(self.theta_[d]))
        self.noise_variance_ = float(np.exp(self.theta_[d + 1]))
        k = self._kernel(self.X_train_, self.X_train_)
        n = k.shape[0]
        self.L_, self.jitter_ = robust_cholesky(k + self.noise_variance_ * np.eye(n))
        self.alpha_ = cho_solve((self.L_, True), self.z_train_, check_finite=False)
        self.log_marginal_likelihood_ = float(
            -0.5 * self.z_train_ @ self.alpha_ - np.sum(np.log(np.diag(self.L_)))
            - 0.5 * n * np.log(2.0 * np.pi))

    def _kernel(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return matern52(scaled_sqdist(a, b, self.lengthscales_), self.signal_variance_)

    # ------------------------------------------------------------------ output transform
    @property
    def log_transform_(self) -> bool:
        """Whether the fitted model works on log(y)."""
        return self.transform_.log

    def to_latent(self, y: np.ndarray | float) -> np.ndarray:
        """Response values (original units) to latent units."""
        return self.transform_.to_latent(y)

    def from_latent(self, z: np.ndarray | float) -> np.ndarray:
        """Latent values back to the response's units (the log-normal median under log)."""
        return self.transform_.from_latent(z)

    # ------------------------------------------------------------------ prediction
    @one_blas_thread
    def predict_latent(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Posterior mean and sd of f (noise excluded) in latent units, shapes (m,).

        After `condition_on` with sampled values (one column per fantasy) the mean is (m, S).
        """
        x = _as_inputs(X, self.n_features_in_)
        k_star = self._kernel(x, self.X_train_)
        mu = k_star @ self.alpha_
        v = solve_triangular(self.L_, k_star.T, lower=True, check_finite=False)
        var = self.signal_variance_ - np.sum(v * v, axis=0)
        return mu, np.sqrt(np.maximum(var, MIN_LATENT_VARIANCE))

    @one_blas_thread
    def predict_latent_grad(
            self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Latent mean and sd with their gradients with respect to the inputs, (m, d) each.

        Where the variance is at its floor the sd gradient is zero (the sd is flat there).
        After `condition_on` with sampled values the mean is (m, S) and its gradient (m, S, d).
        """
        x = _as_inputs(X, self.n_features_in_)
        r2 = scaled_sqdist(x, self.X_train_, self.lengthscales_)
        k_star, slope = matern52_with_slope(r2, self.signal_variance_)
        inv_l2 = 1.0 / self.lengthscales_**2
        mu = k_star @ self.alpha_
        w = cho_solve((self.L_, True), k_star.T, check_finite=False).T
        var = self.signal_variance_ - np.sum(k_star * w, axis=1)
        floored = var <= MIN_LATENT_VARIANCE
        sigma = np.sqrt(np.maximum(var, MIN_LATENT_VARIANCE))
        if self.alpha_.ndim == 1:
            dmu = -weighted_diff_sum(slope * self.alpha_, x, self.X_train_) * inv_l2
        else:  # one mean per fantasy: (m, S, d)
            sa = slope @ self.alpha_
            weighted = (slope[:, :, None] * self.alpha_[None, :, :]).transpose(0, 2, 1)
            dmu = -(sa[:, :, None] * x[:, None, :] - weighted @ self.X_train_) * inv_l2
        dvar = 2.0 * weighted_diff_sum(slope * w, x, self.X_train_) * inv_l2
        dsigma = np.where(floored[:, None], 0.0, dvar / (2.0 * sigma[:, None]))
        return mu, sigma, dmu, dsigma

    @one_blas_thread
    def predict(self, X: np.ndarray,
                return_std: bool = True) -> tuple[np.ndarray, np.ndarray] | np.ndarray:
        """Posterior mean (and sd) of the response in its own units.

        Under the log transform these are the mean and sd of the log-normal posterior.
        """
        mu, sigma = self.predict_latent(X)
        t_mean = mu * self.transform_.scale + self.transform_.shift
        t_sd = sigma * self.transform_.scale
        if self.transform_.log:  # in log space, so that far from the data nothing overflows
            s2 = np.clip(t_sd**2, 1e-300, 700.0)
            log_mean = t_mean + 0.5 * s2
            mean = np.exp(np.minimum(log_mean, 700.0))
            sd = np.exp(np.minimum(log_mean + 0.5 * np.log(np.expm1(s2)), 700.0))
        else:
            mean, sd = t_mean, t_sd
        return (mean, sd) if return_std else mean

    @one_blas_thread
    def posterior_latent_samples(self, X: np.ndarray, n_samples: int,
                                 rng: np.random.Generator) -> np.ndarray:
        """Joint samples (n_samples, m) of f at the rows of X, in latent units."""
        x = _as_inputs(X, self.n_features_in_)
        k_star = self._kernel(x, self.X_train_)
        mu = k_star @ self.alpha_
        v = solve_triangular(self.L_, k_star.T, lower=True, check_finite=False)
        cov = self._kernel(x, x) - v.T @ v
        chol, _ = robust_cholesky(0.5 * (cov + cov.T) + MIN_LATENT_VARIANCE * np.eye(len(x)))
        return mu + rng.standard_normal((n_samples, len(x))) @ chol.T

    # ------------------------------------------------------------------ fantasies
    @one_blas_thread
    def sample_observations(self, X_new: np.ndarray, normals: np.ndarray) -> np.ndarray:
        """Joint draws of noisy observations at X_new, (k, S), from standard normals (k, S).

        The fantasies of Monte-Carlo batch selection: each column is one possible outcome of
        the k planned runs, to be passed to `condition_on`. Fixed `normals` make them
        deterministic.
        """
        x = _as_inputs(X_new, self.n_features_in_)
        k_star = self._kernel(x, self.X_train_)
        mu = k_star @ self.alpha_
        v = solve_triangular(self.L_, k_star.T, lower=True, check_finite=False)
        cov = self._kernel(x, x) - v.T @ v + self.noise_variance_ * np.eye(len(x))
        chol, _ = robust_cholesky(0.5 * (cov + cov.T))
        return (mu if mu.ndim == 2 else mu[:, None]) + chol @ normals

    @one_blas_thread
    def condition_on(self, X_new: np.ndarray, z_new_latent: np.ndarray) -> GaussianProcess:
        """A copy that also observed z_new (latent units) at X_new, same hyperparameters.

        The Cholesky factor is extended by a block (O(n^2 k) for k new points), not
        recomputed; `log_marginal_likelihood_` stays that of the fit. A 2-D z_new (k, S)
        gives S fantasies at once: they share the factor and differ only in their weights,
        so the mean is then (m, S) and the sd stays one column.
        """
        x_new = _as_inputs(X_new, self.n_features_in_)
        z_new = np.asarray(z_new_latent, dtype=float)
        z_new = z_new.reshape(len(z_new), -1) if z_new.ndim == 2 else z_new.ravel()
        if z_new.shape[0] != x_new.shape[0]:
            raise ValueError(f"X_new has {x_new.shape[0]} rows but z has {z_new.shape[0]}")
        other = copy.copy(self)
        k_cross = self._kernel(self.X_train_, x_new)
        b = solve_triangular(self.L_, k_cross, lower=True, check_finite=False)
        k_new = self._kernel(x_new, x_new) + (self.noise_variance_ + self.jitter_) * np.eye(
            len(x_new))
        corner, _ = robust_cholesky(k_new - b.T @ b)
        n, k = len(self.X_train_), len(x_new)
        chol = np.zeros((n + k, n + k))
        chol[:n, :n], chol[n:, :n], chol[n:, n:] = self.L_, b.T, corner
        other.L_ = chol
        other.X_train_ = np.vstack([self.X_train_, x_new])
        z_old, y_old = self.z_train_, self.y_train_
        if z_old.ndim != z_new.ndim:  # one side sampled: every fantasy shares the other
            width = z_new.shape[1] if z_new.ndim == 2 else z_old.shape[1]
            z_old = np.broadcast_to(z_old.reshape(n, -1), (n, width))
            y_old = np.broadcast_to(y_old.reshape(n, -1), (n, width))
            z_new = np.broadcast_to(z_new.reshape(k, -1), (k, width))
        other.z_train_ = np.concatenate([z_old, z_new])
        other.y_train_ = np.concatenate([y_old, self.from_latent(z_new)])
        other.alpha_ = cho_solve((chol, True), other.z_train_, check_finite=False)
        return other


def fit_gp(X: np.ndarray, y: np.ndarray, *, random_state: int | None = None,
           warm_start: GaussianProcess | None = None,
           log_transform: bool | None = None) -> GaussianProcess:
    """The engine's one call: default priors, 3 random restarts (1 if warm or above 100 points).

    `warm_start`, a GP fitted on the previous data of the same response, makes its optimum
    the first start, so that refits after a new batch converge in a few iterations.
    `log_transform` as in `GaussianProcess` (None: the automatic rule).
    """
    n_restarts = 1 if warm_start is not None or len(X) > _FEW_RESTARTS_ABOVE else 3
    gp = GaussianProcess(n_restarts=n_restarts, random_state=random_state,
                         log_transform=log_transform)
    return gp.fit(X, y, warm_start=warm_start)
