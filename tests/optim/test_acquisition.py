"""Acquisition maths: log-EI, probability of staying in range, target improvement."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nextbatch.optim.acquisition import (
    log_ei,
    log_expected_triangle,
    log_h,
    log_prob_between,
)
from scipy.stats import norm


def plain_ei(mu: float, sigma: float, best: float) -> float:
    z = (mu - best) / sigma
    return sigma * (norm.pdf(z) + z * norm.cdf(z))


@given(mu=st.floats(-5, 5), sigma=st.floats(0.01, 5), best=st.floats(-5, 5))
@settings(max_examples=60, deadline=None)
def test_log_ei_is_the_log_of_expected_improvement(mu: float, sigma: float, best: float):
    ei = plain_ei(mu, sigma, best)
    if ei > 1e-250:
        value, _, _ = log_ei(np.array([mu]), np.array([sigma]), best)
        assert value[0] == pytest.approx(math.log(ei), rel=1e-6, abs=1e-6)


def test_log_ei_stays_finite_and_ordered_far_below_the_incumbent():
    z = -np.logspace(0, 12, 200)
    values = log_h(z)
    assert np.all(np.isfinite(values))
    assert np.all(np.diff(values) < 0)  # farther below the incumbent is always worse


@pytest.mark.parametrize("mu, sigma, best", [(0.3, 0.7, 0.1), (-3.0, 0.2, 1.0), (2.0, 1.5, 0.0)])
def test_log_ei_derivatives_agree_with_finite_differences(mu, sigma, best):
    h = 1e-6
    _, d_mu, d_sigma = log_ei(np.array([mu]), np.array([sigma]), best)
    up_mu = log_ei(np.array([mu + h]), np.array([sigma]), best)[0]
    down_mu = log_ei(np.array([mu - h]), np.array([sigma]), best)[0]
    up_s = log_ei(np.array([mu]), np.array([sigma + h]), best)[0]
    down_s = log_ei(np.array([mu]), np.array([sigma - h]), best)[0]
    assert d_mu[0] == pytest.approx((up_mu - down_mu)[0] / (2 * h), rel=1e-4)
    assert d_sigma[0] == pytest.approx((up_s - down_s)[0] / (2 * h), rel=1e-4)


@given(mu=st.floats(-4, 4), sigma=st.floats(0.05, 3), lo=st.floats(-3, 1),
       width=st.floats(0.1, 4))
@settings(max_examples=60, deadline=None)
def test_probability_in_range_matches_the_normal_distribution(mu, sigma, lo, width):
    hi = lo + width
    p = norm.cdf(hi, mu, sigma) - norm.cdf(lo, mu, sigma)
    value, _, _ = log_prob_between(np.array([mu]), np.array([sigma]), lo, hi)
    if p > 1e-300:
        assert math.exp(value[0]) == pytest.approx(p, rel=1e-6, abs=1e-12)


def test_probability_in_range_with_one_open_side_and_far_in_the_tail():
    one_sided, _, _ = log_prob_between(np.array([0.0]), np.array([1.0]), -np.inf, 0.0)
    assert math.exp(one_sided[0]) == pytest.approx(0.5)
    far, _, _ = log_prob_between(np.array([0.0]), np.array([1.0]), 40.0, 41.0)
    assert np.isfinite(far[0]) and far[0] < -700  # tiny, but still ranks recipes


@pytest.mark.parametrize("mu, sigma", [(0.4, 0.8), (1.2, 0.3), (3.0, 1.0)])
def test_target_improvement_matches_monte_carlo(mu, sigma):
    rng = np.random.default_rng(0)
    target, width = 1.0, 0.5
    samples = rng.normal(mu, sigma, 400_000)
    expected = np.maximum(width - np.abs(samples - target), 0).mean()
    value, _, _ = log_expected_triangle(np.array([mu]), np.array([sigma]), target, width)
    assert math.exp(value[0]) == pytest.approx(expected, rel=2e-2)


def test_target_improvement_falls_smoothly_far_from_the_target():
    mu = np.linspace(1.0, 60.0, 300)  # target 0: ever farther away, ever worse
    value, d_mu, _ = log_expected_triangle(mu, np.full_like(mu, 0.5), 0.0, 0.2)
    assert np.all(np.isfinite(value)) and np.all(np.diff(value) < 0)
    assert np.all(d_mu < 0)
    below, _, _ = log_expected_triangle(-mu, np.full_like(mu, 0.5), 0.0, 0.2)
    assert np.allclose(below, value)  # symmetric around the target
