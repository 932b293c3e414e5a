"""initlab.beyond: Gaussian moments, orthogonal products, LSUV and the edge of chaos.

Each quantity is checked against something computed independently: a closed form, a Monte-Carlo
estimate (tolerance 5 standard errors), a finite difference, or initlab.propagation's own
mean-field recursion.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from initlab import beyond, initializers, propagation

PHI = lambda t: 0.5 * math.erfc(-t / math.sqrt(2))


# ---------------------------------------------------------------------------------------------
# Activations and Gaussian moments

def test_extra_activations_values_and_derivatives():
    z = np.linspace(-6, 6, 241)
    assert np.allclose(beyond.activate("gelu", z), z * np.array([PHI(t) for t in z]), atol=1e-15)
    assert np.allclose(beyond.activate("swish", z), z / (1 + np.exp(-z)), atol=1e-14)
    assert np.allclose(beyond.activate("silu", z), beyond.activate("swish", z))
    assert np.allclose(beyond.activate("softsign", z), z / (1 + np.abs(z)))
    h = 1e-6
    for name in ("gelu", "swish", "softsign", "tanh", "selu"):
        numeric = (beyond.activate(name, z + h) - beyond.activate(name, z - h)) / (2 * h)
        keep = np.abs(z) > 1e-3                                   # softsign and selu kink at 0
        assert np.allclose(beyond.derivative(name, z)[keep], numeric[keep], atol=1e-7), name
    assert float(beyond.derivative("gelu", 0.0)) == pytest.approx(0.5)
    assert float(beyond.derivative("swish", 0.0)) == pytest.approx(0.5)
    assert float(beyond.derivative("softsign", 0.0)) == 1.0
    assert np.array_equal(beyond.activate("relu", z), propagation.activate("relu", z))


def test_unknown_activation_lists_the_valid_ones():
    with pytest.raises(ValueError, match="gelu"):
        beyond.activate("gleu", 1.0)
    with pytest.raises(TypeError):
        beyond.activate(3, 1.0)


def test_gaussian_mean_closed_forms():
    for q in (1e-4, 0.3, 1.0, 7.0, 400.0):
        assert beyond.gaussian_mean(lambda z: z**2, q) == pytest.approx(q, rel=1e-10)
        assert beyond.gaussian_mean(lambda z: np.maximum(z, 0) ** 2, q) == pytest.approx(q / 2, rel=1e-9)
        # Stein's lemma: E[z Φ(z)] = q E[φ(z)] = q / √(2π(1 + q)) for z ~ N(0, q)
        assert beyond.gaussian_mean(lambda z: beyond.activate("gelu", z), q) == pytest.approx(
            q / math.sqrt(2 * math.pi * (1 + q)), rel=1e-8)
    # E[f(z)²] for z ~ N(0, 1), against Monte Carlo
    z = np.random.default_rng(0).standard_normal(2_000_000)
    for name in ("tanh", "gelu", "swish", "softsign"):
        f2 = beyond.activate(name, z) ** 2
        assert abs(beyond.second_moment_ratio(name) - f2.mean()) < 5 * f2.std() / math.sqrt(z.size)
    with pytest.raises(ValueError):
        beyond.gaussian_mean(np.cos, -1.0)


def test_second_moment_ratios_and_gains():
    for q in (1e-3, 1.0, 1e3):
        assert beyond.second_moment_ratio("relu", q) == pytest.approx(0.5, rel=1e-9)
        assert beyond.second_moment_ratio("leaky_relu", q) == pytest.approx((1 + 0.01**2) / 2, rel=1e-9)
        assert beyond.second_moment_ratio("linear", q) == pytest.approx(1.0, rel=1e-9)
    assert beyond.moment_gain("relu") == pytest.approx(math.sqrt(2), rel=1e-9)
    assert beyond.second_moment_ratio("selu", 1.0) == pytest.approx(1.0, abs=1e-9)
    # GELU and Swish climb from 1/4 (slope 1/2 at 0) to 1/2 (ReLU far out)
    for name in ("gelu", "swish"):
        assert beyond.second_moment_ratio(name, 1e-6) == pytest.approx(0.25, abs=1e-5)
        assert beyond.second_moment_ratio(name, 1e6) == pytest.approx(0.5, abs=1e-3)
        r = [beyond.second_moment_ratio(name, q) for q in np.logspace(-3, 3, 25)]
        assert np.all(np.diff(r) > 0)
    assert beyond.second_moment_ratio("gelu") == pytest.approx(0.42522, abs=1e-5)
    assert beyond.moment_gain("gelu") == pytest.approx(1.5335, abs=1e-4)
    assert beyond.moment_gain("swish") == pytest.approx(1.6765, abs=1e-4)
    # tanh falls from 1
    r = [beyond.second_moment_ratio("tanh", q) for q in np.logspace(-3, 3, 25)]
    assert r[0] == pytest.approx(1, abs=3e-3) and np.all(np.diff(r) < 0)


# ---------------------------------------------------------------------------------------------
# Orthogonal products (Saxe et al. 2014)

def test_orthogonal_products_keep_every_singular_value():
    s = beyond.product_singular_values(50, 128, "orthogonal", seed=3)
    assert s.shape == (128,) and np.abs(s - 1).max() < 1e-12


def test_gaussian_products_keep_only_the_average():
    one = beyond.product_singular_values(1, 256, "gaussian", seed=0)
    # Marchenko–Pastur for a square 1/n Gaussian matrix: mean s² = 1, largest s ≈ 2
    assert np.mean(one**2) == pytest.approx(1, abs=5 * math.sqrt(2) / 256)
    assert one.max() == pytest.approx(2, abs=0.15)
    many = beyond.product_singular_values(50, 256, "gaussian", seed=0)
    assert np.mean(many < 1e-3 * many.max()) > 0.5
    with pytest.raises(ValueError, match="orthogonal"):
        beyond.product_singular_values(2, 8, "uniform")


# ---------------------------------------------------------------------------------------------
# forward_stds and LSUV

def test_forward_stds_linear_orthogonal_and_standardized():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((500, 64))
    W = [initializers.Orthogonal()((64, 64), seed=s, dtype="float64") for s in range(10)]
    stds = beyond.forward_stds(W, x, "linear")
    assert np.allclose(stds, x.std(), rtol=0.05)          # orthogonal maps keep the norm of each row
    small = [0.2 * w for w in W]
    assert beyond.forward_stds(small, x, "linear")[-1] == pytest.approx(0.2**10 * stds[-1], rel=1e-9)
    bn = beyond.forward_stds(small, x, "linear", batchnorm=True)
    assert np.allclose(bn[1:], 0.2, rtol=0.02)             # every layer sees a standardized input


@pytest.mark.parametrize("activation", ["relu", "tanh", "gelu", "selu"])
def test_lsuv_gives_unit_variance_and_only_rescales(activation):
    rng = np.random.default_rng(1)
    widths = [32] + [64] * 12
    W = [0.3 * initializers.Orthogonal()((a, b), seed=rng, dtype="float64") for a, b in zip(widths[:-1], widths[1:])]
    x = rng.random((200, 32))
    copy = [w.copy() for w in W]
    result = beyond.lsuv(W, x, activation)
    assert all(np.array_equal(a, b) for a, b in zip(W, copy))          # input untouched
    assert np.allclose(result.stds, 1.0, atol=1e-9)
    assert np.all(result.iterations == 1)                              # pre-activation: one pass is exact
    for w0, w, c in zip(W, result.weights, result.scales):
        assert c > 0 and np.allclose(w, c * w0)
    if activation != "tanh":                                          # a tanh output cannot reach variance 1
        post = beyond.lsuv(W, x, activation, where="post", tol=1e-3)
        a = x
        for w in post.weights:
            a = beyond.activate(activation, a @ w)
            assert a.var() == pytest.approx(1, abs=1e-3)


def test_lsuv_errors():
    x = np.random.default_rng(0).random((10, 4))
    with pytest.raises(ValueError, match="variance"):
        beyond.lsuv([np.zeros((4, 4))], x, "relu")
    with pytest.raises(ValueError, match="where"):
        beyond.lsuv([np.eye(4)], x, "relu", where="middle")


# ---------------------------------------------------------------------------------------------
# The edge of chaos (Poole et al. 2016; Schoenholz et al. 2017)

@pytest.mark.parametrize("sigma_w, sigma_b", [(1.5, 0.0), (0.8, 0.05), (1.2, 0.05), (2.0, 0.3)])
def test_fixed_point_solves_its_equation(sigma_w, sigma_b):
    q = beyond.fixed_point_q(sigma_w, sigma_b)
    m = sigma_w**2 * beyond.gaussian_mean(lambda z: np.tanh(z) ** 2, q) + sigma_b**2
    assert q > 0 and m == pytest.approx(q, rel=1e-10)


def test_no_bias_ordered_side_has_q_zero_and_chi1_sigma_w_squared():
    for s in (0.3, 0.7, 1.0):
        assert beyond.fixed_point_q(s, 0.0) == 0.0
        assert beyond.chi1(s, 0.0) == pytest.approx(s * s, rel=1e-12)
    assert beyond.critical_sigma_w(0.0) == 1.0
    for s in (1.01, 1.5, 3.0):
        assert beyond.chi1(s, 0.0) > 1


def test_chi1_is_the_backward_factor_of_propagation():
    """χ₁ = σ_w² E[tanh'(√q* z)²] is the per-layer factor of E[(∂L/∂z)²] in predict_variance
    (an independent quadrature) once its forward recursion has reached q*."""
    for s in (1.3, 2.0):
        p = propagation.predict_variance(depth=200, width=256, activation="tanh", init="lecun_normal", scale=s)
        assert p.pre_var[-1] == pytest.approx(beyond.fixed_point_q(s, 0.0), rel=1e-6)
        factor = p.grad_var[-101] / p.grad_var[-100]
        assert factor == pytest.approx(beyond.chi1(s, 0.0), rel=1e-6)


@pytest.mark.parametrize("sigma_w, sigma_b", [(0.8, 0.05), (1.2, 0.05), (2.0, 0.05), (1.6, 0.3)])
def test_correlation_map_fixed_point_one_with_slope_chi1(sigma_w, sigma_b):
    assert beyond.correlation_map(1.0, sigma_w, sigma_b) == pytest.approx(1.0, abs=1e-9)
    h = 1e-4
    slope = (1.0 - beyond.correlation_map(1 - h, sigma_w, sigma_b)) / h
    assert slope == pytest.approx(beyond.chi1(sigma_w, sigma_b), rel=2e-3)
    c = beyond.correlation_fixed_point(sigma_w, sigma_b)
    if beyond.chi1(sigma_w, sigma_b) < 1:
        assert c == 1.0
        assert beyond.depth_scale(sigma_w, sigma_b) == pytest.approx(-1 / math.log(beyond.chi1(sigma_w, sigma_b)))
    else:
        assert 0 <= c < 1 and beyond.correlation_map(c, sigma_w, sigma_b) == pytest.approx(c, abs=1e-8)


def test_correlation_map_against_monte_carlo():
    s_w, s_b, c = 1.5, 0.1, 0.4
    q = beyond.fixed_point_q(s_w, s_b)
    rng = np.random.default_rng(0)
    z1, z2 = rng.standard_normal((2, 2_000_000))
    u1, u2 = math.sqrt(q) * z1, math.sqrt(q) * (c * z1 + math.sqrt(1 - c * c) * z2)
    prod = np.tanh(u1) * np.tanh(u2)
    mc = (s_w**2 * prod.mean() + s_b**2) / q
    assert abs(beyond.correlation_map(c, s_w, s_b) - mc) < 5 * s_w**2 * prod.std() / math.sqrt(z1.size) / q


def test_no_bias_chaotic_correlation_goes_to_zero():
    assert beyond.correlation_fixed_point(1.5, 0.0) == 0.0
    assert beyond.correlation_map(0.0, 1.5, 0.0) == pytest.approx(0.0, abs=1e-12)
    assert math.isfinite(beyond.depth_scale(1.5, 0.0))


def test_critical_sigma_w_and_diverging_depth_scale():
    prev = 1.0
    for sb in (0.05, 0.1, 0.3, 0.5):
        s = beyond.critical_sigma_w(sb)
        assert beyond.chi1(s, sb) == pytest.approx(1.0, abs=1e-9) and s > prev
        prev = s
        assert beyond.depth_scale(s - 0.005, sb) > 100 and beyond.depth_scale(s + 0.005, sb) > 100
        assert beyond.depth_scale(s - 0.3, sb) < 20 and beyond.depth_scale(s + 0.3, sb) < 40
    with pytest.raises(ValueError):
        beyond.chi1(-1.0, 0.0)


def test_simulation_follows_the_correlation_map():
    for s_w in (0.8, 2.0):
        theory = beyond.correlation_curve(0.5, 15, s_w, 0.05)
        sims = np.array([beyond.simulate_correlation(0.5, 15, s_w, 0.05, width=1000, seed=k) for k in range(3)])
        assert np.abs(sims.mean(axis=0) - theory).max() < 0.1
    with pytest.raises(ValueError, match="q\\* = 0"):
        beyond.correlation_map(0.5, 0.9, 0.0)
