"""Every number and claim of chapter 5 (LeCun initialization and self-normalizing networks) that
tests/test_propagation.py does not already assert.

test_propagation.py covers: SELU 100×400 lecun_normal variance in [0.8, 1.2], he_normal > 10,
Var w = 0.5/n < 0.1; scaled tanh ≈ 0.38 at depth 50 (fixed point 0.3824) and plain tanh < 0.05.
The simulations here use the chapter's own sizes and seeds; the bands were measured on them and
are stated next to each assertion.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import pytest

from initlab import checks, initializers, propagation
from initlab.propagation import SELU_ALPHA, SELU_LAMBDA, predict_variance, second_moment_map, simulate

PHI = lambda t: 0.5 * math.erfc(-t / math.sqrt(2))


def slope(activation, q, c=1.0, h=1e-5):
    return (second_moment_map(activation, q + h, c) - second_moment_map(activation, q - h, c)) / (2 * h)


# ---------------------------------------------------------------------------------------------
# The helper itself

@pytest.mark.parametrize("activation", ["tanh", "scaled_tanh", "selu", "sigmoid"])
def test_second_moment_map_is_the_gaussian_expectation(activation):
    z = np.random.default_rng(0).standard_normal(2_000_000)
    for q in (0.3, 1.0, 4.0):
        f = propagation.activate(activation, math.sqrt(q) * z)
        se = np.std(f**2) / math.sqrt(z.size)
        assert abs(second_moment_map(activation, q) - np.mean(f**2)) < 5 * se


# ---------------------------------------------------------------------------------------------
# LeCun's scaled tanh

def test_scaled_tanh_constants():
    f = lambda x: float(propagation.activate("scaled_tanh", x))
    assert f(1.0) == pytest.approx(1.0, abs=3e-6) and f(-1.0) == pytest.approx(-1.0, abs=3e-6)
    # |f''| ∝ t(1 − t²) with t = tanh(2x/3) is largest at t = 1/√3: x = 1.5·artanh(1/√3)
    x_peak = 1.5 * math.atanh(1 / math.sqrt(3))
    assert x_peak == pytest.approx(0.9877, abs=1e-4) and abs(x_peak - 1) < 0.02
    x = np.linspace(-4, 4, 160001)
    f2 = np.gradient(np.gradient(propagation.activate("scaled_tanh", x), x), x)
    assert x[np.argmin(f2)] == pytest.approx(x_peak, abs=1e-3)
    assert x[np.argmax(f2)] == pytest.approx(-x_peak, abs=1e-3)
    slope0 = propagation.LECUN_TANH_A * propagation.LECUN_TANH_B
    assert slope0 == pytest.approx(1.1439, abs=1e-4) and slope0**2 == pytest.approx(1.3086, abs=1e-4)
    assert float(propagation.derivative("scaled_tanh", 0.0)) == pytest.approx(slope0)


def test_unit_gaussian_through_one_layer():
    assert second_moment_map("scaled_tanh", 1.0) == pytest.approx(0.7504, abs=1e-4)
    assert second_moment_map("tanh", 1.0) == pytest.approx(0.3943, abs=1e-4)


def test_scaled_tanh_fixed_point_is_stable():
    long = predict_variance(depth=400, width=256, activation="scaled_tanh", init="lecun_normal")
    q_star = float(long.pre_var[-1])
    assert q_star == pytest.approx(0.3824, abs=1e-4)
    assert second_moment_map("scaled_tanh", q_star) == pytest.approx(q_star, abs=1e-9)
    assert long.act_std[-1] ** 2 == pytest.approx(q_star, abs=1e-9)       # odd f: mean 0
    assert abs(long.act_mean[-1]) < 1e-12
    s = slope("scaled_tanh", q_star)
    assert s == pytest.approx(0.781, abs=2e-3) and 0 < s < 1               # stable
    assert 1 - s == pytest.approx(0.2, abs=0.03)                            # "about a fifth"
    # The only other fixed point, 0, is unstable: M(q) ≈ f'(0)²·q > q near 0
    assert second_moment_map("scaled_tanh", 1e-6) / 1e-6 == pytest.approx(1.3086, abs=1e-3)


def test_plain_tanh_decays_like_one_over_2l():
    for q in (1e-2, 1e-3):          # M(q) = q − 2q² + O(q³)
        assert (q - second_moment_map("tanh", q)) / q**2 == pytest.approx(2.0, rel=0.05)
    theory = predict_variance(depth=50, width=256, activation="tanh", init="lecun_normal")
    assert theory.act_std[-1] ** 2 == pytest.approx(0.0102, abs=2e-4)
    assert theory.act_std[-1] ** 2 == pytest.approx(1 / (2 * 50), rel=0.05)
    assert np.all(np.diff(theory.act_std**2) < 0)                           # keeps falling


@functools.cache
def lecun_tanh_runs(activation):
    return np.array([simulate(depth=50, width=256, activation=activation, init="lecun_normal",
                              seed=s).act_std ** 2 for s in range(4)])


def test_scaled_tanh_and_tanh_simulated_at_depth_50():
    # Measured, seeds 0-3: scaled tanh 0.3616 .. 0.3856, tanh 0.0084 .. 0.0104.
    scaled, plain = lecun_tanh_runs("scaled_tanh"), lecun_tanh_runs("tanh")
    assert np.all((0.34 <= scaled[:, -1]) & (scaled[:, -1] <= 0.42))
    assert np.all(plain[:, -1] < 0.012)
    theory = predict_variance(depth=50, width=256, activation="scaled_tanh", init="lecun_normal")
    assert np.all(np.abs(scaled[:, 19:] - theory.act_std[19:] ** 2) < 0.06)   # on the theory line


def test_glorot_equals_lecun_for_square_layers():
    for n in (64, 256, 400):
        assert initializers.glorot_normal().std((n, n)) == pytest.approx(initializers.lecun_normal().std((n, n)))


# ---------------------------------------------------------------------------------------------
# SELU's constants and fixed point

def selu_constants():
    alpha = (1 / math.sqrt(2 * math.pi)) / (0.5 - math.exp(0.5) * PHI(-1))
    lam = (0.5 + alpha**2 * (math.exp(2) * PHI(-2) - 2 * math.exp(0.5) * PHI(-1) + 0.5)) ** -0.5
    return alpha, lam


def test_selu_constants_solve_the_fixed_point_equations():
    alpha, lam = selu_constants()
    assert alpha == pytest.approx(SELU_ALPHA, abs=1e-12) and lam == pytest.approx(SELU_LAMBDA, abs=1e-12)
    assert alpha == pytest.approx(1.6733, abs=5e-5) and lam == pytest.approx(1.0507, abs=5e-5)
    # Klambauer et al.'s eq. 14 form of α
    assert math.sqrt(2 / math.pi) / (1 - math.exp(0.5) * math.erfc(1 / math.sqrt(2))) == pytest.approx(alpha, abs=1e-12)
    # The Gaussian integral E[e^{kz}; z <= 0] = e^{k²/2}Φ(−k), against quadrature
    z = np.linspace(-40, 0, 400001)
    dens = np.exp(-z**2 / 2) / math.sqrt(2 * math.pi)
    for k in (1, 2):
        assert np.trapezoid(np.exp(k * z) * dens, z) == pytest.approx(math.exp(k * k / 2) * PHI(-k), rel=1e-7)


def test_selu_fixed_point_by_quadrature_and_monte_carlo():
    one = predict_variance(depth=1, width=256, activation="selu", init="lecun_normal")
    assert abs(one.act_mean[0]) < 1e-9 and one.act_sq[0] == pytest.approx(1.0, abs=1e-9)
    s = propagation.activate("selu", np.random.default_rng(0).standard_normal(1_000_000))
    assert abs(s.mean()) < 5e-3 and abs(np.mean(s**2) - 1) < 6.2e-3      # 5 standard errors
    assert s.std() / 1e3 == pytest.approx(1e-3, rel=0.01)                   # the printed SEs
    assert np.std(s**2) / 1e3 == pytest.approx(1.2e-3, abs=0.05e-3)


def test_random_lecun_weights_have_tau_1_not_omega_0():
    W = initializers.lecun_normal()((512, 512), seed=0)
    tau, omega = (W**2).sum(axis=0), W.sum(axis=0)
    assert tau.mean() == pytest.approx(1.0, abs=0.01) and tau.std() < 0.1    # "a few percent"
    assert 0.85 < omega.std() < 1.15 and abs(omega.mean()) < 0.15           # std about 1


def test_selu_maps_for_four_weight_variances():
    lam2 = SELU_LAMBDA**2
    assert lam2 == pytest.approx(1.1040, abs=1e-4)
    he = predict_variance(depth=2000, width=256, activation="selu", init=initializers.VarianceScaling(2.0))
    assert he.pre_var[-1] / he.pre_var[-2] == pytest.approx(lam2, abs=1e-4)   # no fixed point
    assert np.all(np.array([second_moment_map("selu", q, 2.0) / q for q in np.logspace(-4, 3, 50)]) > 1)
    assert second_moment_map("selu", 1.0, 2.0) == pytest.approx(2.0, abs=1e-9)   # "doubles E[z²] at q = 1"
    expected = {1.0: (1.0, 0.0, 1.0), 0.5: (0.001707, -0.0109, 0.003295),
                0.5625: (0.02303, -0.0335, 0.03983)}
    for c, (q_star, mean, var) in expected.items():
        p = predict_variance(depth=2000, width=256, activation="selu", init=initializers.VarianceScaling(c))
        assert abs(p.pre_var[-1] / p.pre_var[-2] - 1) < 1e-6
        assert p.pre_var[-1] == pytest.approx(q_star, rel=1e-3)
        assert p.act_mean[-1] == pytest.approx(mean, abs=1e-4)
        assert p.act_std[-1] ** 2 == pytest.approx(var, rel=1e-3)
        assert 0 < slope("selu", float(p.pre_var[-1]), c) < 1                  # stable
    assert initializers.gain("selu") ** 2 == 0.5625
    assert slope("selu", 1.0) == pytest.approx(0.783, abs=2e-3)
    small_q = SELU_LAMBDA**2 * (1 + SELU_ALPHA**2) / 2
    assert small_q == pytest.approx(2.10, abs=0.005)
    assert second_moment_map("selu", 1e-10) / 1e-10 == pytest.approx(small_q, rel=1e-4)
    assert 0.5 * small_q > 1 and 0.5625 * small_q > 1                       # 0 is unstable


def test_selu_near_zero_is_piecewise_linear_not_linear():
    """Near 0 SELU has two slopes, λ and λα (the chapter's 1.05 and 1.76), so it is not close to
    a linear function; at 0.5/n a small signal grows until the exponential branch bends."""
    from initlab.propagation import activate

    h = 1e-7
    right = float((activate("selu", np.array(h)) - activate("selu", np.array(0.0))) / h)
    left = float((activate("selu", np.array(0.0)) - activate("selu", np.array(-h))) / h)
    assert right == pytest.approx(SELU_LAMBDA, rel=1e-6)
    assert left == pytest.approx(SELU_LAMBDA * SELU_ALPHA, rel=1e-6)
    assert left / right == pytest.approx(SELU_ALPHA) and SELU_ALPHA > 1.5      # a real kink
    p = predict_variance(depth=2000, width=256, activation="selu", init=initializers.VarianceScaling(0.5))
    q_star = float(p.pre_var[-1])
    qs = np.logspace(-8, math.log10(q_star), 30)
    growth = np.array([second_moment_map("selu", q, 0.5) / q for q in qs])
    assert growth[0] > 1 and np.all(np.diff(growth) < 0)                       # grows, ever less ...
    assert growth[-1] == pytest.approx(1.0, abs=1e-5)                          # ... until q*


@functools.cache
def selu_runs(name):
    init = {"lecun_normal": "lecun_normal", "he_normal": "he_normal",
            "half": initializers.VarianceScaling(0.5)}[name]
    return [simulate(depth=100, width=400, activation="selu", init=init, batch=128, seed=s)
            for s in range(3)]


def test_selu_100_layers_lecun_holds_mean_and_variance():
    # Measured, seeds 0-2: variance 0.989 .. 1.04, largest |mean| over all layers 0.026.
    for sim in selu_runs("lecun_normal"):
        assert 0.9 <= sim.act_std[-1] ** 2 <= 1.1
        assert np.abs(sim.act_mean).max() < 0.05
        assert np.all(np.abs(sim.act_std**2 - 1) < 0.15)


def test_selu_100_layers_he_explodes_with_its_mean():
    # Measured, seeds 0-2: variance 2.6e5 .. 3.5e5 (theory 1.57e5), mean +337 .. +357 (theory +269).
    theory = predict_variance(depth=100, width=400, activation="selu", init="he_normal")
    assert theory.act_std[-1] ** 2 == pytest.approx(1.57e5, rel=0.01)
    assert theory.act_mean[-1] == pytest.approx(269, rel=0.01)
    for sim in selu_runs("he_normal"):
        assert sim.ok and sim.act_std[-1] ** 2 > 1e4 and sim.act_mean[-1] > 100


def test_selu_100_layers_half_variance_collapses_to_small_fixed_point():
    # Measured, seeds 0-2: variance 0.0031 .. 0.0076 (theory 0.0040), mean -0.022 .. -0.011.
    theory = predict_variance(depth=100, width=400, activation="selu", init=initializers.VarianceScaling(0.5))
    assert theory.act_std[-1] ** 2 == pytest.approx(0.0040, abs=2e-4)
    assert theory.act_mean[-1] == pytest.approx(-0.012, abs=1e-3)
    for sim in selu_runs("half"):
        assert 0.001 < sim.act_std[-1] ** 2 < 0.012 and -0.05 < sim.act_mean[-1] < 0


def test_selu_backward_pass_is_not_normalized():
    alpha, lam = selu_constants()
    chi = lam**2 * (0.5 + alpha**2 * math.exp(2) * PHI(-2))
    assert chi == pytest.approx(1.0716, abs=1e-4) and math.sqrt(chi) == pytest.approx(1.035, abs=1e-3)
    z = np.random.default_rng(0).standard_normal(2_000_000)
    d2 = propagation.derivative("selu", z) ** 2
    assert abs(d2.mean() - chi) < 5 * d2.std() / math.sqrt(z.size)
    lecun = predict_variance(depth=100, width=400, activation="selu", init="lecun_normal")
    assert lecun.grad_ratio == pytest.approx(30.6, abs=0.2)                # "31-fold"
    assert lecun.grad_var[-2] / lecun.grad_var[-1] == pytest.approx(chi, rel=1e-6)
    # Measured, seeds 0-2 at width 400: 33 .. 36 (width 256: 33 .. 36 as well)
    for sim in selu_runs("lecun_normal"):
        assert 20 < sim.grad_ratio < 50
    torch = predict_variance(depth=100, width=400, activation="selu", init=initializers.VarianceScaling(0.5625))
    assert torch.grad_var[-2] / torch.grad_var[-1] == pytest.approx(1.004, abs=1e-3)   # close to 1
    assert torch.grad_ratio == pytest.approx(0.27, abs=0.01)


def test_truncated_exponential_moment_by_completing_the_square():
    # E[e^{kz}; z <= 0] = e^{k^2/2} Phi(-k), checked against a direct quadrature of the integral
    z = np.linspace(-40.0, 0.0, 400_001)
    density = np.exp(-z**2 / 2) / math.sqrt(2 * math.pi)
    for k in (1.0, 2.0, 0.5):
        integral = np.trapezoid(np.exp(k * z) * density, z)
        assert integral == pytest.approx(math.exp(k**2 / 2) * PHI(-k), rel=1e-7)


def test_he_normal_offset_at_layer_100_is_spread_not_bias():
    # Measured, seeds 0-15: ratios 0.10 .. 5.25, 8 of 16 above 1, mean log -0.21 (se 0.29), std 1.14.
    theory = predict_variance(depth=100, width=400, activation="selu", init="he_normal").act_std[-1] ** 2
    ratio = np.array([simulate(depth=100, width=400, activation="selu", init="he_normal", batch=128,
                               seed=s).act_std[-1] ** 2 for s in range(16)]) / theory
    log = np.log(ratio)
    se = log.std(ddof=1) / 4
    assert np.all(ratio[:3] > 1)                              # the first three seeds all sit above
    assert abs(log.mean()) < se                               # "less than its standard error from 0"
    assert 4 <= np.sum(ratio > 1) <= 12 and ratio.min() < 1 < ratio.max()
    assert 0.5 < log.std(ddof=1) < 2


def test_pytorch_gain_gradient_shrinks_in_the_early_layers():
    torch = predict_variance(depth=100, width=400, activation="selu", init=initializers.VarianceScaling(0.5625))
    step = np.sqrt(torch.grad_var[:-1] / torch.grad_var[1:])        # std factor from layer l + 1 back to l
    assert np.prod(step) == pytest.approx(torch.grad_ratio, rel=1e-9)
    assert step[0] < 0.9 and np.prod(step[:10]) < 0.5 < np.prod(step[10:]) < 1
    assert torch.pre_var[9] > 2 * torch.pre_var[-1]                  # layer 10 is far from q*
    assert abs(step[-1] - 1) < 0.005                                  # at q*, close to 1


def test_explorer_gradient_is_one_draw_at_width_256():
    from initlab.widgets import render
    theory = [predict_variance(depth=100, width=w, activation="selu", init="lecun_normal").grad_ratio
              for w in (256, 400)]
    assert theory[0] == pytest.approx(theory[1], rel=1e-9)            # the theory ignores the width
    explorer = render(activation="selu", init="lecun_normal", depth=100, width=256)[2]
    assert explorer.widths[1] == 256 and explorer.depth == 100
    assert 20 < explorer.grad_ratio < 60 and abs(explorer.grad_ratio - theory[0]) > 1


def test_finite_width_relu_accumulates_selu_damps():
    # Measured with the chapter's 16 seeds: Var[log] = 6.78 (ReLU, 32), 1.15 (ReLU, 256),
    # 0.048 (SELU, 32), 0.001 (SELU, 256); ReLU width 32 ranges 0.0015 .. 9.1.
    spread, ranges = {}, {}
    for act, init in (("relu", "he_normal"), ("selu", "lecun_normal")):
        for width in (32, 256):
            expected = predict_variance(depth=50, width=width, activation=act, init=init).pre_var[-1]
            ratio = np.array([simulate(depth=50, width=width, activation=act, init=init, batch=64,
                                       seed=s).pre_std[-1] ** 2 / expected for s in range(16)])
            spread[act, width] = np.var(np.log(ratio), ddof=1)
            ranges[act, width] = ratio.min(), ratio.max()
    assert spread["relu", 32] > 2 and spread["relu", 256] > 0.3
    assert spread["selu", 32] < 0.2 and spread["selu", 256] < 0.01
    assert ranges["relu", 32][0] < 0.01                                      # orders of magnitude
    assert spread["relu", 32] > 20 * spread["selu", 32]
    # ReLU + He: every q is a fixed point (slope exactly 1); SELU + LeCun: slope 0.78
    assert second_moment_map("relu", 0.3, 2.0) == pytest.approx(0.3)
    assert second_moment_map("relu", 3.0, 2.0) == pytest.approx(3.0)


# ---------------------------------------------------------------------------------------------
# The notes' table and the gains

def test_notes_table_values():
    shape = (784, 256)
    fan_in, fan_out = initializers.compute_fans(shape)
    fan_avg = (fan_in + fan_out) / 2
    for name, scale, mode, var in (("glorot_normal", 1, "fan_avg", 1 / fan_avg),
                                   ("he_normal", 2, "fan_in", 2 / fan_in),
                                   ("lecun_normal", 1, "fan_in", 1 / fan_in)):
        init = initializers.get(name)
        assert (init.scale, init.mode) == (scale, mode)
        assert init.std(shape) ** 2 == pytest.approx(var)
    assert 1 / fan_avg == pytest.approx(2 / (fan_in + fan_out))
    ratio = math.sqrt(1 / fan_in) / initializers.glorot_normal().std(shape)
    assert ratio == pytest.approx(0.814, abs=1e-3)
    wide = initializers.glorot_normal().std((784, 256)) ** 2 / initializers.lecun_normal().std((784, 256)) ** 2
    assert wide == pytest.approx(2 * 784 / (784 + 256), rel=1e-9) and wide == pytest.approx(1.5, abs=0.01)


def test_gain_table():
    g = initializers.gain
    assert (g("linear"), g("sigmoid"), g("selu")) == (1.0, 1.0, 0.75)
    assert g("relu") == pytest.approx(math.sqrt(2)) and g("tanh") == pytest.approx(5 / 3)
    assert g("leaky_relu") == pytest.approx(math.sqrt(2 / (1 + 0.01**2)))
    run = lambda act, gain_of: predict_variance(100, 256, act, initializers.VarianceScaling(g(gain_of) ** 2))
    for act in ("linear", "relu", "leaky_relu"):              # E[z²] kept for 100 layers
        p = run(act, act)
        assert p.pre_var[-1] == pytest.approx(p.pre_var[0], rel=1e-9)
    tanh = run("tanh", "tanh")
    assert tanh.pre_var[-1] == pytest.approx(1.178, abs=1e-3)
    assert tanh.pre_var[-1] == pytest.approx(tanh.pre_var[-2], rel=1e-6)   # a fixed point of its own
    sig = run("sigmoid", "sigmoid")
    assert sig.act_mean[-1] == pytest.approx(0.5) and sig.act_std[-1] ** 2 < 0.02
    assert sig.act_mean[-1] ** 2 > 0.9 * sig.act_sq[-1]                     # the mean dominates E[a²]
    torch = run("selu", "selu")
    assert torch.act_std[-1] ** 2 == pytest.approx(0.0399, abs=2e-4)
    lecun = run("selu", "linear")
    assert lecun.act_std[-1] ** 2 == pytest.approx(1.0, abs=1e-9) and abs(lecun.act_mean[-1]) < 1e-9


# ---------------------------------------------------------------------------------------------
# The exercises: stubs fail with a message, solutions pass

def test_exercise_stubs_and_solutions():
    assert not checks.check_std(lambda shape: None, "lecun").passed
    assert checks.check_std(lambda shape: 1 / math.sqrt(initializers.compute_fans(shape)[0]), "lecun").passed

    assert not checks.check_selu_fixed_point(None).passed
    z = np.random.default_rng(1).standard_normal(1_000_000)
    s = SELU_LAMBDA * np.where(z > 0, z, SELU_ALPHA * np.expm1(np.minimum(z, 0)))
    assert checks.check_selu_fixed_point((s.mean(), np.mean(s**2))).passed

    assert not checks.check_selu_scale(None).passed
    grid = np.linspace(0.9, 1.1, 81)
    var = [predict_variance(100, 512, "selu", "lecun_normal", scale=x).act_std[-1] ** 2 for x in grid]
    scale = grid[np.argmin(np.abs(np.log(var)))]
    assert scale == pytest.approx(1.0) and checks.check_selu_scale(scale).passed
    # "a change ε in s² moves the fixed point by about ε/(1 − 0.78) ≈ 4.6ε"
    assert 1 / (1 - slope("selu", 1.0)) == pytest.approx(4.6, abs=0.1)
    lo, hi = checks.selu_scale_tolerance()
    assert lo == pytest.approx(0.986, abs=5e-4) and hi == pytest.approx(1.013, abs=5e-4)
    for wrong in (math.sqrt(2), 0.75):
        assert not lo <= wrong <= hi
