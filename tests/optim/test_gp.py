"""The GP surrogate: it fits what it sees, knows what it does not know, and never falls over."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nextbatch.optim.gp import (
    LOG_NOISE_BOUNDS,
    GaussianProcess,
    OutputTransform,
    fit_gp,
    neg_log_posterior,
    wants_log_transform,
)
from nextbatch.optim.kernels import matern52, scaled_sqdist

SEEDS = [0, 1, 2]


def smooth(x: np.ndarray) -> np.ndarray:
    return np.sin(3.0 * x[:, 0]) + np.cos(2.0 * x[:, 1]) + x[:, 1] ** 2


def sample_data(seed: int, n: int, d: int, noise_sd: float = 0.0):
    rng = np.random.default_rng(seed)
    x = rng.random((n, d))
    y = smooth(x) + noise_sd * rng.standard_normal(n)
    return x, y


def finite_difference(f, x: np.ndarray, h: float = 1e-6) -> np.ndarray:
    grad = np.empty_like(x)
    for i in range(x.size):
        step = np.zeros_like(x)
        step.flat[i] = h
        grad.flat[i] = (f(x + step) - f(x - step)) / (2.0 * h)
    return grad


# ---------------------------------------------------------------- fitting what it sees
@pytest.mark.parametrize("seed", SEEDS)
def test_interpolates_noiseless_smooth_data(seed):
    x, y = sample_data(seed, n=20, d=2)
    gp = GaussianProcess(random_state=seed).fit(x, y)
    mean, sd = gp.predict(x)
    assert np.max(np.abs(mean - y)) < 0.01 * np.std(y)
    assert np.max(sd) < 0.05 * np.std(y)
    x_new = np.random.default_rng(seed + 100).random((200, 2))
    mean_new, _ = gp.predict(x_new)
    rmse = np.sqrt(np.mean((mean_new - smooth(x_new)) ** 2))
    assert rmse < 0.05 * np.std(y)


@pytest.mark.parametrize("seed", [0, 1])
def test_recovers_known_noise_level(seed):
    x, y = sample_data(seed, n=200, d=2, noise_sd=0.1)
    gp = fit_gp(x, y, random_state=seed)
    noise_sd = np.sqrt(gp.noise_variance_) * gp.transform_.scale
    assert 0.1 / 1.5 < noise_sd < 0.1 * 1.5


@pytest.mark.parametrize("seed", SEEDS)
def test_replicates_that_disagree_are_read_as_noise_around_a_trend(seed):
    x = np.repeat(np.linspace(0.0, 1.0, 6)[:, None], 3, axis=0)
    truth = 10.0 + 10.0 * x[:, 0]
    y = truth + np.random.default_rng(seed).normal(0.0, 1.0, size=18)
    gp = GaussianProcess(random_state=0).fit(x, y)
    mean, sd = gp.predict(x[::3])
    assert np.max(np.abs(mean - truth[::3])) < 1.5  # a group mean of 3 has sd 0.58
    assert np.all(sd > 0.1)
    assert 0.4 < np.sqrt(gp.noise_variance_) * gp.transform_.scale < 2.0


def test_fit_improves_the_log_posterior_over_the_prior_start():
    x, y = sample_data(4, n=30, d=3, noise_sd=0.05)
    gp = GaussianProcess(random_state=0).fit(x, y)
    single_start = GaussianProcess(n_restarts=0).fit(x, y)
    prior_mode = GaussianProcess().fit(x[:1], y[:1]).theta_  # one point: stays at the mode
    z = gp.z_train_
    assert neg_log_posterior(gp.theta_, x, z)[0] < neg_log_posterior(prior_mode, x, z)[0] - 1.0
    # restarts only ever add candidates to the default start
    assert (neg_log_posterior(gp.theta_, x, z)[0]
            <= neg_log_posterior(single_start.theta_, x, z)[0] + 1e-9)


@pytest.mark.parametrize("seed", SEEDS)
def test_same_random_state_gives_the_same_fit(seed):
    x, y = sample_data(seed, n=25, d=4, noise_sd=0.1)
    a = GaussianProcess(random_state=seed).fit(x, y)
    b = GaussianProcess(random_state=seed).fit(x, y)
    np.testing.assert_array_equal(a.theta_, b.theta_)
    np.testing.assert_array_equal(a.predict(x)[0], b.predict(x)[0])


def test_warm_start_reaches_the_same_optimum():
    x, y = sample_data(5, n=30, d=3, noise_sd=0.05)
    cold = fit_gp(x[:25], y[:25], random_state=0)
    warm = fit_gp(x, y, random_state=0, warm_start=cold)
    fresh = fit_gp(x, y, random_state=0)
    assert warm.log_marginal_likelihood_ == pytest.approx(fresh.log_marginal_likelihood_,
                                                         abs=0.05)


# ---------------------------------------------------------------- gradients
@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(2, 12), d=st.integers(1, 5))
def test_log_posterior_gradient_matches_finite_differences(seed, n, d):
    rng = np.random.default_rng(seed)
    x = rng.random((n, d))
    x[-1] = x[0]  # a duplicate row, as real run lists have
    z = rng.standard_normal(n)
    theta = np.concatenate([rng.uniform(-2.0, 1.5, d), rng.uniform(-1.0, 1.0, 1),
                            rng.uniform(-6.0, -1.0, 1)])
    _, grad = neg_log_posterior(theta, x, z)
    numeric = finite_difference(lambda t: neg_log_posterior(t, x, z)[0], theta)
    np.testing.assert_allclose(grad, numeric, rtol=1e-4, atol=1e-5)


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000), d=st.integers(1, 6))
def test_prediction_gradients_match_finite_differences(seed, d):
    rng = np.random.default_rng(seed)
    x = rng.random((12, d))
    y = np.sin(4.0 * x).sum(axis=1) + 0.05 * rng.standard_normal(12)
    gp = GaussianProcess(n_restarts=0, random_state=seed).fit(x, y)
    query = np.vstack([rng.random((3, d)), x[:1] + 1e-3])  # also right next to a data point
    mu, sigma, dmu, dsigma = gp.predict_latent_grad(query)
    mu_ref, sigma_ref = gp.predict_latent(query)
    np.testing.assert_allclose(mu, mu_ref, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(sigma, sigma_ref, rtol=1e-8, atol=1e-12)
    for row in range(len(query)):
        def at(v, row=row, which=0):
            q = query.copy()
            q[row] = v
            return gp.predict_latent(q)[which][row]
        num_mu = finite_difference(lambda v, row=row: at(v, row, 0), query[row], h=1e-6)
        num_sd = finite_difference(lambda v, row=row: at(v, row, 1), query[row], h=1e-6)
        np.testing.assert_allclose(dmu[row], num_mu, rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(dsigma[row], num_sd, rtol=1e-4, atol=1e-6)


# ---------------------------------------------------------------- posterior samples
@pytest.mark.parametrize("seed", SEEDS)
def test_posterior_samples_have_the_predicted_mean_and_sd(seed):
    x, y = sample_data(seed, n=10, d=2, noise_sd=0.05)
    gp = GaussianProcess(random_state=seed).fit(x, y)
    query = np.vstack([x[:2], np.random.default_rng(seed).random((4, 2))])
    mu, sigma = gp.predict_latent(query)
    draws = gp.posterior_latent_samples(query, 4000, np.random.default_rng(seed))
    assert draws.shape == (4000, 6)
    assert np.all(np.abs(draws.mean(axis=0) - mu) < 5.0 * sigma / np.sqrt(4000) + 1e-6)
    np.testing.assert_allclose(np.sqrt(np.diag(np.cov(draws.T))), sigma, rtol=0.1, atol=1e-5)


def test_posterior_samples_are_joint_not_independent():
    x, y = sample_data(0, n=8, d=2)
    gp = GaussianProcess(random_state=0).fit(x, y)
    near = np.array([[0.5, 0.5], [0.5, 0.501]])
    draws = gp.posterior_latent_samples(near, 2000, np.random.default_rng(1))
    assert np.corrcoef(draws.T)[0, 1] > 0.99


# ---------------------------------------------------------------- fantasies
@pytest.mark.parametrize("seed", SEEDS)
def test_condition_on_reduces_uncertainty_and_keeps_hyperparameters(seed):
    x, y = sample_data(seed, n=12, d=3, noise_sd=0.05)
    gp = GaussianProcess(random_state=seed).fit(x, y)
    pending = np.random.default_rng(seed + 7).random((2, 3))
    mu_before, sd_before = gp.predict_latent(pending)
    believer = gp.condition_on(pending, mu_before)
    mu_after, sd_after = believer.predict_latent(pending)
    assert np.all(sd_after < sd_before)
    assert np.all(sd_after**2 < gp.noise_variance_)  # as if observed there
    np.testing.assert_allclose(mu_after, mu_before, atol=0.05 * sd_before.max())
    np.testing.assert_array_equal(believer.theta_, gp.theta_)
    assert len(believer.X_train_) == 14 and len(gp.X_train_) == 12
    np.testing.assert_array_equal(gp.predict_latent(pending)[1], sd_before)


def test_sampled_fantasies_are_one_posterior_per_draw_with_exact_mean_gradients():
    x, y = sample_data(4, n=10, d=2, noise_sd=0.05)
    gp = GaussianProcess(random_state=0).fit(x, y)
    x_new = np.array([[0.3, 0.7], [0.9, 0.1]])
    z = gp.sample_observations(x_new, np.random.default_rng(3).standard_normal((2, 5)))
    assert z.shape == (2, 5) and np.ptp(z, axis=1).min() > 0  # the draws differ
    fantasies = gp.condition_on(x_new, z)
    query = np.random.default_rng(1).random((4, 2))
    mu, sigma = fantasies.predict_latent(query)
    assert mu.shape == (4, 5)
    for s in range(5):  # each column is the posterior after observing its own draw
        mu_s, sigma_s = gp.condition_on(x_new, z[:, s]).predict_latent(query)
        np.testing.assert_allclose(mu[:, s], mu_s, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(sigma, sigma_s, rtol=1e-9)
    more = fantasies.condition_on(np.array([[0.5, 0.5]]),
                                  fantasies.sample_observations(np.array([[0.5, 0.5]]),
                                                                np.zeros((1, 5))))
    assert more.predict_latent(query)[0].shape == (4, 5)
    _, _, dmu, _ = fantasies.predict_latent_grad(query)
    for s in range(5):
        expected = finite_difference(lambda q, s=s: fantasies.predict_latent(q)[0][:, s].sum(),
                                     query)
        np.testing.assert_allclose(dmu[:, s, :], expected, rtol=1e-5, atol=1e-7)


def test_condition_on_equals_an_exact_posterior_on_the_augmented_data():
    x, y = sample_data(9, n=10, d=2, noise_sd=0.05)
    gp = GaussianProcess(random_state=0).fit(x, y)
    x_new, z_new = np.array([[0.3, 0.7], [0.9, 0.1]]), np.array([1.5, -2.0])
    fantasy = gp.condition_on(x_new, z_new)
    x_all, z_all = np.vstack([x, x_new]), np.concatenate([gp.z_train_, z_new])

    def kernel(a, b):
        return matern52(scaled_sqdist(a, b, gp.lengthscales_), gp.signal_variance_)

    k = kernel(x_all, x_all) + (gp.noise_variance_ + gp.jitter_) * np.eye(12)
    query = np.random.default_rng(0).random((5, 2))
    k_star = kernel(query, x_all)
    mean = k_star @ np.linalg.solve(k, z_all)
    var = gp.signal_variance_ - np.einsum("ij,ji->i", k_star, np.linalg.solve(k, k_star.T))
    mu, sigma = fantasy.predict_latent(query)
    np.testing.assert_allclose(mu, mean, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(sigma, np.sqrt(var), rtol=1e-6)
    np.testing.assert_allclose(fantasy.y_train_[-2:], gp.from_latent(z_new))


# ---------------------------------------------------------------- degenerate data
def one_hot_only(rng):
    levels = rng.integers(0, 3, size=9)
    return np.eye(3)[levels], levels * 2.0 + rng.normal(0.0, 0.1, size=9)


DEGENERATE = {
    "one point": lambda rng: (rng.random((1, 3)), np.array([4.2])),
    "two points": lambda rng: (rng.random((2, 3)), np.array([1.0, 2.0])),
    "duplicates": lambda rng: (np.repeat(rng.random((3, 2)), 4, axis=0), np.repeat(
        [1.0, 2.0, 3.0], 4)),
    "replicates differ": lambda rng: (np.zeros((5, 2)), np.array([1.0, 1.3, 0.8, 1.1, 0.9])),
    "constant y": lambda rng: (rng.random((6, 2)), np.full(6, 7.5)),
    "constant zero": lambda rng: (rng.random((6, 2)), np.zeros(6)),
    "huge": lambda rng: (rng.random((8, 2)), 1e9 + 1e7 * rng.random(8)),
    "tiny": lambda rng: (rng.random((8, 2)), 1e-9 * (1.0 + rng.random(8))),
    "huge negative": lambda rng: (rng.random((8, 2)), -1e9 * (1.0 + rng.random(8))),
    "1e-9 to 1e9": lambda rng: (rng.random((8, 2)), np.logspace(-9, 9, 8)),
    "signed 1e-9 to 1e9": lambda rng: (rng.random((8, 2)),
                                       np.logspace(-9, 9, 8) * (-1.0) ** np.arange(8)),
    "1e-300 to 1e300": lambda rng: (rng.random((3, 1)), np.array([1e-300, 1e300, 1.0])),
    "one-hot only": one_hot_only,
    "30 dimensions": lambda rng: (rng.random((5, 30)), rng.random(5)),
    "1 dimension": lambda rng: (rng.random((4, 1)), rng.random(4)),
}


@pytest.mark.parametrize("case", sorted(DEGENERATE))
def test_degenerate_data_fit_and_predict_without_raising(case):
    rng = np.random.default_rng(0)
    x, y = DEGENERATE[case](rng)
    gp = fit_gp(x, y, random_state=0)
    query = np.vstack([x[:2], rng.random((3, x.shape[1]))])
    mean, sd = gp.predict(query)
    assert np.all(np.isfinite(mean)) and np.all(np.isfinite(sd)) and np.all(sd > 0.0)
    assert np.all((mean >= y.min() - 3 * sd) & (mean <= y.max() + 3 * sd))
    mu, sigma, dmu, dsigma = gp.predict_latent_grad(query)
    assert np.all(np.isfinite(dmu)) and np.all(np.isfinite(dsigma))
    draws = gp.posterior_latent_samples(query, 16, np.random.default_rng(0))
    assert np.all(np.isfinite(draws))
    fantasy = gp.condition_on(query[-1:], mu[-1:])
    assert fantasy.predict_latent(query[-1:])[1][0] <= sigma[-1]


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(0, 7), d=st.integers(1, 6),
       magnitude=st.sampled_from([1e-9, 1.0, 1e9]), levels=st.integers(1, 3),
       signed=st.booleans())
def test_any_small_data_set_gives_finite_predictions(seed, n, d, magnitude, levels, signed):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, levels, size=(n, d)) / max(levels - 1, 1)  # coarse grid: duplicates
    y = magnitude * rng.choice([1.0, 1.0, 2.0, 1e3], size=n)
    if signed:
        y = y * rng.choice([-1.0, 1.0], size=n)
    gp = fit_gp(x, y, random_state=seed)
    mean, sd = gp.predict(rng.random((4, d)))
    assert np.all(np.isfinite(mean)) and np.all(np.isfinite(sd)) and np.all(sd > 0.0)


def test_constant_response_is_predicted_as_that_constant():
    x = np.random.default_rng(0).random((6, 2))
    gp = fit_gp(x, np.full(6, 7.5), random_state=0)
    mean, _ = gp.predict(np.array([[0.2, 0.9], [0.5, 0.5]]))
    np.testing.assert_allclose(mean, 7.5)


def test_without_data_the_gp_is_its_prior():
    gp = GaussianProcess().fit(np.zeros((0, 3)), np.zeros(0))
    mean, sd = gp.predict(np.random.default_rng(0).random((4, 3)))
    np.testing.assert_allclose(mean, 0.0)
    np.testing.assert_allclose(sd, 1.0)
    fantasy = gp.condition_on(np.array([[0.5, 0.5, 0.5]]), np.array([2.0]))
    assert fantasy.predict_latent(np.array([[0.5, 0.5, 0.5]]))[0][0] == pytest.approx(2.0, rel=0.02)


@pytest.mark.parametrize(("x", "y", "message"), [
    (np.zeros(3), np.zeros(3), "2-D"),
    (np.zeros((3, 2)), np.zeros(2), "3 rows"),
    (np.zeros((2, 2)), np.array([1.0, np.nan]), "NaN"),
    (np.array([[0.0], [np.inf]]), np.zeros(2), "NaN or infinite"),
])
def test_malformed_input_is_refused_with_a_message(x, y, message):
    with pytest.raises(ValueError, match=message):
        GaussianProcess().fit(x, y)


def test_prediction_width_must_match_the_fit():
    gp = fit_gp(np.random.default_rng(0).random((4, 2)), np.arange(4.0), random_state=0)
    with pytest.raises(ValueError, match="3 features; the GP was fitted on 2"):
        gp.predict(np.zeros((1, 3)))


def test_noise_never_drops_below_its_floor():
    x = np.repeat(np.random.default_rng(0).random((4, 2)), 2, axis=0)
    gp = fit_gp(x, np.repeat([1.0, 2.0, 3.0, 4.0], 2), random_state=0)
    assert gp.noise_variance_ >= np.exp(LOG_NOISE_BOUNDS[0]) * (1 - 1e-9)


# ---------------------------------------------------------------- the log transform
@pytest.mark.parametrize("seed", SEEDS)
def test_positive_response_spanning_decades_is_modelled_in_log(seed):
    rng = np.random.default_rng(seed)
    x = rng.random((15, 2))
    y = 10.0 ** (1.0 + 4.0 * x[:, 0]) * (1.0 + 0.3 * x[:, 1])  # viscosity-like, 10 to 1e5
    gp = fit_gp(x, y, random_state=seed)
    assert gp.log_transform_
    query = np.vstack([x[:3], rng.random((20, 2))])
    mean, sd = gp.predict(query)
    assert np.all(mean > 0.0) and np.all(sd > 0.0)
    np.testing.assert_allclose(mean[:3], y[:3], rtol=0.05)
    median = gp.from_latent(gp.predict_latent(query)[0])
    assert np.all(median <= mean)  # log-normal: the mean lies above the median
    np.testing.assert_allclose(gp.to_latent(gp.from_latent([-1.0, 0.0, 2.0])), [-1.0, 0.0, 2.0])


def test_log_transform_can_be_forced_off_and_on():
    x = np.random.default_rng(0).random((10, 2))
    wide, narrow = 10.0 ** (4.0 * x[:, 0]), 5.0 + x[:, 0]
    assert not GaussianProcess(log_transform=False).fit(x, wide).log_transform_
    assert GaussianProcess(log_transform=True).fit(x, narrow).log_transform_
    assert not GaussianProcess().fit(x, narrow).log_transform_
    with pytest.raises(ValueError, match="needs y > 0"):
        GaussianProcess(log_transform=True).fit(x, narrow - 5.5)


@settings(deadline=None)
@given(values=st.lists(st.floats(-1e6, 1e6).filter(lambda v: v == 0 or abs(v) > 1e-290),
                       min_size=2, max_size=20),
       power=st.integers(-10, 10))
def test_log_rule_needs_positive_values_and_ignores_units(values, power):
    # Values near the smallest float are left out: scaled down, they round to zero or lose
    # digits, which is no change of unit.
    y = np.array(values)
    if np.any(y <= 0.0):
        assert not wants_log_transform(y)
    else:  # a change of unit (by an exact power of two here) never changes the decision
        assert wants_log_transform(y) == wants_log_transform(y * 2.0**power)


@settings(deadline=None)
@given(values=st.lists(st.floats(1e-9, 1e9), min_size=1, max_size=20), log=st.booleans())
def test_output_transform_round_trips(values, log):
    y = np.array(values)
    transform = OutputTransform.fit(y, log)
    np.testing.assert_allclose(transform.from_latent(transform.to_latent(y)), y, rtol=1e-9,
                               atol=1e-12 * np.abs(y).max())
    if y.size > 1 and np.ptp(y) > 1e-6 * np.abs(y).max():
        assert np.std(transform.to_latent(y)) == pytest.approx(1.0)


@pytest.mark.parametrize(("factor", "offset"), [(1e-9, 0.0), (1e6, -3e6), (-2.0, 10.0)])
def test_a_change_of_units_changes_nothing_but_the_units(factor, offset):
    x, y = sample_data(6, n=15, d=2, noise_sd=0.05)
    gp = GaussianProcess(random_state=0, log_transform=False).fit(x, y)
    scaled = GaussianProcess(random_state=0, log_transform=False).fit(x, factor * y + offset)
    query = np.random.default_rng(6).random((10, 2))
    mean, sd = gp.predict(query)
    mean_s, sd_s = scaled.predict(query)
    np.testing.assert_allclose(mean_s, factor * mean + offset, rtol=1e-6,
                               atol=1e-6 * abs(factor) * np.std(y))
    np.testing.assert_allclose(sd_s, abs(factor) * sd, rtol=1e-6)


def test_conditioning_on_nothing_changes_nothing():
    x, y = sample_data(7, n=8, d=2)
    gp = GaussianProcess(random_state=0).fit(x, y)
    same = gp.condition_on(np.zeros((0, 2)), np.zeros(0))
    query = np.random.default_rng(7).random((5, 2))
    np.testing.assert_allclose(same.predict(query), gp.predict(query))


def test_hyperparameters_from_a_subset_still_condition_on_every_point():
    x, y = sample_data(8, n=60, d=2)
    gp = GaussianProcess(random_state=0, max_fit_points=25).fit(x, y)
    mean, sd = gp.predict(x)
    assert np.max(np.abs(mean - y)) < 0.01 * np.std(y)
    assert np.max(sd) < 0.05 * np.std(y)
    again = GaussianProcess(random_state=0, max_fit_points=25).fit(x, y)
    np.testing.assert_array_equal(again.theta_, gp.theta_)
