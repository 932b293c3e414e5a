"""The claims of chapter 3 (book/03-xavier-glorot.md), checked with fixed seeds and tolerances.

The Glorot & Bengio (2010) activation and gradient ratios of the 5 x 1000 tanh network are asserted
in tests/test_propagation.py; this file checks every other number and statement the chapter makes.
Bands were set from measurements over several seeds (noted next to each) with room to spare.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest

from initlab import beyond, checks, initializers, propagation
from initlab.initializers import compute_fans
from initlab.widgets import verdict

SHAPES = [(784, 256), (256, 256), (256, 10), (3, 3, 64, 128)]


def glorot_var(shape):
    fan_in, fan_out = compute_fans(shape)
    return 2 / (fan_in + fan_out)


# ---------------------------------------------------------------------------------------------
# The compromise

@pytest.mark.parametrize("shape", SHAPES)
def test_compromise_is_the_harmonic_mean_and_the_factors_sum_to_two(shape):
    fan_in, fan_out = compute_fans(shape)
    var = initializers.get("glorot_uniform").std(shape) ** 2
    assert var == pytest.approx(glorot_var(shape), rel=1e-12)
    harmonic = 2 / (1 / (1 / fan_in) + 1 / (1 / fan_out))          # of the variances 1/n_in, 1/n_out
    assert var == pytest.approx(harmonic, rel=1e-12)
    assert min(1 / fan_in, 1 / fan_out) <= var <= max(1 / fan_in, 1 / fan_out)
    forward, backward = fan_in * var, fan_out * var
    assert forward + backward == pytest.approx(2.0, rel=1e-12)
    assert 0 < forward < 2 and 0 < backward < 2
    assert forward * backward <= 1 + 1e-12                          # AM-GM: the product never gains


def test_worked_example_of_the_compromise():
    # 100 inputs, 400 outputs: forward wants 0.01, backward 0.0025, Glorot gives 0.004.
    n_in, n_out = 100, 400
    var = 2 / (n_in + n_out)
    assert var == pytest.approx(0.004, rel=1e-12)
    assert (n_in * var, n_out * var) == (pytest.approx(0.4), pytest.approx(1.6))
    # Either pure choice is exact one way and off by n_out / n_in = 4 the other way.
    assert n_out * (1 / n_in) == pytest.approx(4) and n_in * (1 / n_out) == pytest.approx(1 / 4)
    # The ordinary average of the variances is 0.00625; Glorot's is the harmonic mean: the
    # reciprocal of the average fan, 250.
    assert (1 / n_in + 1 / n_out) / 2 == pytest.approx(0.00625, rel=1e-12)
    assert (n_in + n_out) / 2 == 250 and 1 / 250 == pytest.approx(var, rel=1e-12)
    # The speed analogy: 1 km at 100 km/h and 1 km at 25 km/h average 40 km/h, not 62.5.
    assert 2 / (1 / 100 + 1 / 25) == pytest.approx(40) and (100 + 25) / 2 == 62.5


def test_factor_table_and_monte_carlo():
    expected = {(784, 256): (1.508, 0.492), (256, 256): (1.0, 1.0), (256, 10): (1.925, 0.075),
                (3, 3, 64, 128): (0.667, 1.333)}
    for shape, (fwd, bwd) in expected.items():
        fan_in, fan_out = compute_fans(shape)
        assert fan_in * glorot_var(shape) == pytest.approx(fwd, abs=5e-4)
        assert fan_out * glorot_var(shape) == pytest.approx(bwd, abs=5e-4)
    # The chapter's cell, and two more seeds: measured 1.506 / 0.491 at seed 0.
    for seed in (0, 1, 2):
        rng = np.random.default_rng(seed)
        W = initializers.get("glorot_uniform")((784, 256), seed=rng, dtype="float64")
        x = rng.standard_normal((2000, 784))
        g = rng.standard_normal((2000, 256))
        assert (x @ W).var() == pytest.approx(2 * 784 / 1040, rel=0.02)
        assert (g @ W.T).var() == pytest.approx(2 * 256 / 1040, rel=0.02)


def test_glorot_is_lecun_only_for_square_layers():
    # Myths box: for 784 -> 256 Glorot's variance is about 1.5 x LeCun's.
    assert glorot_var((784, 256)) / (1 / 784) == pytest.approx(1.508, abs=1e-3)
    # Twin: for a square layer the two draw identical weights and give the same picture.
    a = initializers.get("glorot_uniform")((1000, 1000), seed=0)
    b = initializers.get("lecun_uniform")((1000, 1000), seed=0)
    assert np.array_equal(a, b)
    s1 = propagation.simulate(5, 1000, "tanh", "glorot_uniform", seed=0)
    s2 = propagation.simulate(5, 1000, "tanh", "lecun_uniform", seed=0)
    assert np.array_equal(s1.act_std, s2.act_std) and np.array_equal(s1.grad_std, s2.grad_std)


# ---------------------------------------------------------------------------------------------
# Uniform and normal

@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("shape", [(784, 256), (3, 3, 64, 128)])
def test_uniform_limit_is_not_the_weight(shape, seed):
    w = initializers.get("glorot_uniform")(shape, seed=seed).astype(np.float64)
    sigma = math.sqrt(glorot_var(shape))
    fan_in, fan_out = compute_fans(shape)
    limit = math.sqrt(6 / (fan_in + fan_out))
    assert limit == pytest.approx(math.sqrt(3) * sigma, rel=1e-12)
    assert initializers.get("glorot_uniform").bounds(shape)[1] == pytest.approx(limit, rel=1e-12)
    assert np.abs(w).max() <= limit * (1 + 1e-6)
    assert np.abs(w).max() >= 0.999 * limit                        # 200k+ draws reach the bound
    assert w.std() == pytest.approx(sigma, rel=0.01)
    assert np.abs(w).mean() == pytest.approx(limit / 2, rel=0.01)
    assert limit / w.std() == pytest.approx(math.sqrt(3), rel=0.01)


@pytest.mark.parametrize("seed", [0, 1])
def test_cutting_the_tails_shrinks_the_std(seed):
    # The chapter's one-line example (seed 0): a million N(0, 1) draws cut at ±2 keep 95 %
    # (exactly 2Φ(2) − 1 = 0.9545) and their std is 0.88, the constant Keras divides by.
    z = np.random.default_rng(seed).standard_normal(1_000_000)
    kept = z[np.abs(z) <= 2]
    assert kept.size / z.size == pytest.approx(math.erf(2 / math.sqrt(2)), abs=2e-3)
    assert abs(100 * kept.size / z.size - 95) <= 0.5                 # "keep 95 %"
    assert kept.std() == pytest.approx(initializers.TRUNCATION_STD, abs=2e-3)


def test_truncated_variance_formula_by_integration():
    # Going deeper: Var(Z | |Z| ≤ t) = 1 − 2tφ(t)/(2Φ(t) − 1), checked against a direct integral.
    for t in (1.0, 2.0, 3.0):
        z = np.linspace(-t, t, 400001)
        phi = np.exp(-z**2 / 2) / math.sqrt(2 * math.pi)
        mass = math.erf(t / math.sqrt(2))
        assert np.trapezoid(phi, z) == pytest.approx(mass, rel=1e-9)
        direct = np.trapezoid(z**2 * phi, z) / mass
        formula = 1 - 2 * t * math.exp(-t**2 / 2) / math.sqrt(2 * math.pi) / mass
        assert direct == pytest.approx(formula, rel=1e-9)
    phi2 = math.exp(-2) / math.sqrt(2 * math.pi)
    assert phi2 == pytest.approx(0.0540, abs=5e-5)
    assert math.erf(2 / math.sqrt(2)) == pytest.approx(0.9545, abs=5e-5)
    assert initializers.TRUNCATION_STD / math.erf(2 / math.sqrt(2)) == pytest.approx(0.92, abs=5e-3)


@pytest.mark.parametrize("seed", [0, 1])
def test_glorot_normal_is_truncated(seed):
    phi2 = math.exp(-2) / math.sqrt(2 * math.pi)
    mass = math.erf(2 / math.sqrt(2))
    c = math.sqrt(1 - 2 * 2 * phi2 / mass)
    assert c == pytest.approx(initializers.TRUNCATION_STD, rel=1e-12)
    assert c == pytest.approx(0.8796, abs=1e-4)
    assert 2 / c == pytest.approx(2.274, abs=1e-3)                 # the cut in units of σ
    tail = math.erfc(2 / c / math.sqrt(2))                          # of an untruncated N(0, σ²)
    assert 0.0225 < tail < 0.0235                                   # "2.3 %"
    assert c / mass < 1                                             # truncated peak is lower: flatter top

    shape = (784, 256)
    sigma = math.sqrt(glorot_var(shape))
    sigma0 = sigma / c
    w = initializers.get("glorot_normal")(shape, seed=seed).astype(np.float64)
    assert np.abs(w).max() <= 2 * sigma0 * (1 + 1e-6)
    assert np.abs(w).max() >= 0.99 * 2 * sigma0
    assert w.std() == pytest.approx(sigma, rel=0.01)
    kurtosis = np.mean(w**4) / np.mean(w**2) ** 2
    assert kurtosis < 2.9                                           # a normal has 3; truncated ≈ 2.59


# ---------------------------------------------------------------------------------------------
# Reproducing Glorot & Bengio (2010): the statements beyond the ratios of test_propagation.py

@pytest.fixture(scope="module")
def glorot_runs():
    return {name: [propagation.simulate(5, 1000, "tanh", name, seed=s, keep_samples=True)
                   for s in range(3)] for name in ("glorot_standard", "glorot_uniform")}


def test_paper_pattern_and_linear_prediction(glorot_runs):
    # (1/√3)^4 = 1/9: the linear prediction of exercise 3, a little above the measured 0.10.
    linear = propagation.predict_variance(5, 1000, "linear", "glorot_standard")
    assert linear.act_std[-1] / linear.act_std[0] == pytest.approx(1 / 9, rel=1e-9)
    for name, runs in glorot_runs.items():
        for sim in runs:
            # Fig. 6: activations shrink with the layer ("0-peak increases for higher layers");
            # Fig. 7: gradients grow towards the output ("0-peak decreases for higher layers").
            assert np.all(np.diff(sim.act_std) < 0)
            assert np.all(np.diff(sim.grad_std) > 0)
            if name == "glorot_standard":
                assert 0.09 < sim.act_ratio < 1 / 9
                assert sim.grad_ratio < sim.act_ratio
    std = np.mean([s.act_ratio for s in glorot_runs["glorot_standard"]])
    norm = np.mean([s.act_ratio for s in glorot_runs["glorot_uniform"]])
    assert norm > 4 * std


def test_normalized_layer_one_saturation_and_peaked_gradient(glorot_runs):
    # Measured: 3.6-3.7 % of layer-1 units saturated (seeds 0-4); layer-1 gradient kurtosis highest.
    for sim in glorot_runs["glorot_uniform"]:
        assert 0.02 < sim.saturation[0] < 0.06
    pooled = [np.concatenate([sim.samples.grad[l] for sim in glorot_runs["glorot_uniform"]]).astype(np.float64)
              for l in range(5)]
    kurt = [np.mean(g**4) / np.mean(g**2) ** 2 for g in pooled]
    assert kurt[0] == max(kurt) and kurt[0] > kurt[-1] + 1


def test_layer_one_activations_form_a_u_and_the_gradient_starts_below_one(glorot_runs):
    # Normalized, layer 1: the histogram of tanh(z_1) is taller next to ±1 than at 0 (the U), and
    # ∂ℒ/∂z_5 = ∂ℒ/∂a_5 · tanh'(z_5) has std below the unit std of ∂ℒ/∂a_5 (measured 0.905).
    # Pooled over 3 seeds (6000 samples): measured edge/centre 1.6; for N(0, 1) through tanh exactly 1.9.
    act = np.abs(np.concatenate([sim.samples.act[0] for sim in glorot_runs["glorot_uniform"]]).astype(np.float64))
    assert np.mean(act > 0.9) > 1.25 * np.mean(act < 0.1)           # equal widths, both signs
    for norm, std in zip(glorot_runs["glorot_uniform"], glorot_runs["glorot_standard"]):
        assert 0.85 < norm.grad_std[-1] < 0.95
        assert norm.grad_std[-1] < std.grad_std[-1] < 1               # smaller z_5: slope nearer 1


def test_name_table():
    # "He et al.'s Xavier" is LeCun's 1/n_in; the standard scheme has 1/(3 n_in); normalized 2/(n_in + n_out).
    for shape in [(784, 256), (256, 256)]:
        fan_in, fan_out = compute_fans(shape)
        assert initializers.get("lecun_uniform").std(shape) ** 2 == pytest.approx(1 / fan_in, rel=1e-12)
        assert initializers.get("glorot_standard").std(shape) ** 2 == pytest.approx(1 / (3 * fan_in), rel=1e-12)
        assert initializers.get("glorot_uniform").std(shape) ** 2 == pytest.approx(2 / (fan_in + fan_out), rel=1e-12)


def test_quarter_circle_mean():
    s = np.linspace(0, 2, 200001)
    density = np.sqrt(4 - s**2) / math.pi
    assert np.trapezoid(density, s) == pytest.approx(1, abs=1e-6)
    assert np.trapezoid(s * density, s) == pytest.approx(8 / (3 * math.pi), abs=1e-6)
    assert np.trapezoid(s**2 * density, s) == pytest.approx(1, abs=1e-6)   # the average square


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_stretch_factors_spread_with_depth_while_their_mean_square_stays_one(seed):
    # Measured (seeds 0-2, width 256): one layer mean s 0.844-0.846, max 1.97-1.99, mean s² 0.99;
    # 20 layers mean s² 0.91-1.005, median 9e-4-1.1e-3, max 6.2-6.9.
    one, five, twenty = (beyond.product_singular_values(d, 256, "gaussian", seed=seed) for d in (1, 5, 20))
    assert np.mean(one**2) == pytest.approx(1, abs=0.03)
    assert one.mean() == pytest.approx(8 / (3 * math.pi), abs=0.01) and one.mean() < 1
    assert 1.9 < one.max() <= 2.05 and one.min() < 0.05                  # "from almost 0 to 2"
    assert np.mean(twenty**2) == pytest.approx(1, abs=0.2)
    assert 4 < twenty.max() < 10 and np.median(twenty) < 3e-3
    medians = [np.median(s) for s in (one, five, twenty)]
    largest = [s.max() for s in (one, five, twenty)]
    assert medians[0] > medians[1] > medians[2] and largest[0] < largest[1] < largest[2]


def test_singular_values_mean_square_is_the_trace():
    # Going deeper: (1/n) Σ s_i² = (1/n) Σ J_ik², which for i.i.d. weights is about n·Var(w).
    rng = np.random.default_rng(0)
    W = initializers.get("glorot_standard")((400, 400), seed=rng, dtype="float64")
    s = np.linalg.svd(W, compute_uv=False)
    assert np.mean(s**2) == pytest.approx(np.sum(W**2) / 400, rel=1e-10)
    assert np.mean(s**2) == pytest.approx(1 / 3, rel=0.02)
    D = np.diag(rng.uniform(0, 1, 400))                                   # slopes in [0, 1]
    assert np.all(np.linalg.svd(W @ D, compute_uv=False) <= s + 1e-12)    # shrinking columns cannot stretch


@pytest.fixture(scope="module")
def jacobians():
    """{(width, seed): (standard, normalized)} mean singular values per layer; width 1000 once."""
    cases = [(500, 0), (500, 1), (500, 2), (1000, 0)]
    return {case: tuple(beyond.jacobian_singular_means(init, width=case[0], seed=case[1])
                        for init in ("glorot_standard", "glorot_uniform")) for case in cases}


def test_jacobian_singular_values(jacobians):
    # Measured, seeds 0-2, layer 5: standard 0.489 at both widths; normalized 0.762-0.772 at
    # width 500 (the chapter's cell) and 0.759-0.764 at width 1000 (the paper's).
    # The paper: "around 0.8" (normalized) and 0.5 (standard).
    qc = 8 / (3 * math.pi)
    for std, norm in jacobians.values():
        assert 0.46 < std[-1] < 0.5 and 0.72 < norm[-1] < 0.8
        assert np.all(std <= qc / math.sqrt(3) + 0.005) and np.all(norm <= qc + 0.005)
        assert np.all(np.diff(std) > 0) and np.all(np.diff(norm) > 0)
    # The chapter measures at width 500 to save time: width 1000 gives the same within 0.02.
    for small, large in zip(jacobians[(500, 0)], jacobians[(1000, 0)]):
        assert np.all(np.abs(small - large) < 0.02)


def test_weight_gradient_scale_is_level(glorot_runs):
    # Paper, Fig. 8 / eq. 14: with the standard init the back-propagated gradients shrink
    # (×0.08 over the layers) but rms(a_{l-1})·std(∂ℒ/∂z_l) stays within a few %.
    for name, limit in (("glorot_standard", 1.06), ("glorot_uniform", 1.2)):
        for sim in glorot_runs[name]:
            rms_in = np.concatenate([[1.0], np.sqrt(sim.act_std[:-1] ** 2 + sim.act_mean[:-1] ** 2)])
            scale = rms_in * sim.grad_std
            assert scale.max() / scale.min() < limit
            assert sim.grad_std.max() / sim.grad_std.min() > 2


# ---------------------------------------------------------------------------------------------
# When does Glorot fit?

def test_activation_table():
    h = 1e-6
    softsign = lambda z: z / (1 + np.abs(z))
    funcs = {"linear": None, "tanh": None, "softsign": softsign, "sigmoid": None, "relu": None}
    expected = {"linear": (0, 1, 1, True), "tanh": (0, 1, 1, True), "softsign": (0, 1, 1, True),
                "sigmoid": (0.5, 0.25, 0.25, False), "relu": (0, 0, 1, False)}
    z = np.linspace(-3, 3, 61)
    for name, f in funcs.items():
        f = f or (lambda v, name=name: propagation.activate(name, v))
        f0 = float(f(np.array(0.0)))
        left, right = (f0 - float(f(np.array(-h)))) / h, (float(f(np.array(h))) - f0) / h
        want = expected[name]
        assert f0 == pytest.approx(want[0], abs=1e-9)
        assert left == pytest.approx(want[1], abs=1e-5)
        assert right == pytest.approx(want[2], abs=1e-5)
        assert bool(np.allclose(f(-z), -f(z))) == want[3]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_glorot_uniform_on_30_layers(seed):
    run = lambda act: propagation.simulate(30, 256, act, "glorot_uniform", seed=seed)
    lin, tanh, sig, relu = run("linear"), run("tanh"), run("sigmoid"), run("relu")
    assert 0.7 < lin.ratio < 1.4 and 0.7 < lin.grad_ratio < 1.4        # flat
    assert 0.05 < tanh.act_ratio < 0.5 and 0.05 < tanh.grad_ratio < 0.5   # slow decay
    assert np.all((sig.pre_std[1:] > 0.4) & (sig.pre_std[1:] < 0.65))  # forward "looks healthy"
    assert sig.grad_ratio < 1e-15                                       # measured 6e-19
    assert relu.ratio < 1e-3 and relu.grad_ratio < 1e-3


def test_tanh_power_law():
    deep = propagation.predict_variance(depth=1000, width=256, activation="tanh", init="glorot_uniform")
    two_l_q = {l: 2 * l * deep.pre_var[l - 1] for l in (10, 30, 100, 1000)}
    assert two_l_q[1000] == pytest.approx(1, abs=0.01)
    assert two_l_q[100] == pytest.approx(1, abs=0.04)
    assert two_l_q[10] > two_l_q[30] > two_l_q[100] > two_l_q[1000] > 1
    # The step: each layer adds about 2 to 1/q_l once q_l is small.
    steps = np.diff(1 / deep.pre_var)
    assert steps[99:] == pytest.approx(2, abs=0.05) and np.all(steps[9:] < 2.3)
    # The ingredients: E[z⁴] = 3q² for a normal z, hence E[tanh² z] ≈ q − 2q² for small q.
    rng = np.random.default_rng(0)
    for q in (0.01, 0.05):
        z = rng.normal(0, math.sqrt(q), 1_000_000)
        assert np.mean(z**4) == pytest.approx(3 * q**2, rel=0.02)
        assert np.mean(np.tanh(z) ** 2) == pytest.approx(q - 2 * q**2, rel=0.01 + 5 * q**2)
    standard = propagation.predict_variance(depth=30, width=256, activation="tanh", init="glorot_standard")
    assert standard.pre_var[-1] < 1e-13
    assert standard.pre_var[-1] / standard.pre_var[-2] == pytest.approx(1 / 3, rel=1e-3)


def _sigmoid_across_inputs(seed, depth=20, width=256):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((256, width))
    out = []
    for _ in range(depth):
        a = propagation.activate("sigmoid", a @ initializers.get("glorot_uniform")((width, width), seed=rng,
                                                                                  dtype="float64"))
        out.append(a.std(axis=0).mean())
    return np.array(out)


def _per_layer(v):
    return float(np.exp(np.mean(np.log(v[1:] / v[:-1]))))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sigmoid_caveat(seed):
    # Measured at seed 0: mean 0.483-0.518, pooled std 0.107-0.130, gradient ×0.234 per layer,
    # layer 1 / layer 20 = 1.1e-12, input-dependent spread ×0.236 per layer.
    sig = propagation.simulate(20, 256, "sigmoid", "glorot_uniform", seed=seed)
    assert np.all(np.abs(sig.act_mean - 0.5) < 0.05)
    assert np.all((sig.act_std[1:] > 0.09) & (sig.act_std[1:] < 0.15))
    assert 0.21 < 1 / _per_layer(sig.grad_std) < 0.25
    assert sig.grad_ratio < 1e-10
    across = _sigmoid_across_inputs(seed)
    assert 0.21 < _per_layer(across) < 0.25
    assert abs(_per_layer(across) - 1 / _per_layer(sig.grad_std)) < 0.02   # "about as fast"
    assert across[-1] < 1e-10 and across[0] > 0.15


def test_sigmoid_theory_mean_dominates():
    theory = propagation.predict_variance(20, 256, "sigmoid", "glorot_uniform")
    share = theory.act_mean[-1] ** 2 / theory.act_sq[-1]
    assert 0.93 < share < 0.96                                        # "94 %"
    assert theory.act_sq[-1] == pytest.approx(theory.act_std[-1] ** 2 + 0.25, rel=1e-9)
    # E[σ'(z)²] ≤ σ'(0)² = 1/16: the backward factor per layer with n·Var w = 1.
    q = theory.pre_var[-1]
    z = np.random.default_rng(0).normal(0, math.sqrt(q), 200_000)
    d2 = np.mean(propagation.derivative("sigmoid", z) ** 2)
    assert d2 <= 1 / 16
    assert math.sqrt(d2) == pytest.approx(0.234, abs=0.005)


# ---------------------------------------------------------------------------------------------
# Keras' default on ReLU, and PyTorch's default

@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_relu_30_layers_shrink_by_2_to_the_minus_14_5(seed):
    # Measured, seeds 0-15: ratio / 2^-14.5 between 0.61 and 1.60.
    target = 2 ** -14.5
    assert target == pytest.approx(4.32e-5, rel=1e-3)
    xav = propagation.simulate(30, 256, "relu", "glorot_uniform", seed=seed)
    he = propagation.simulate(30, 256, "relu", "he_uniform", seed=seed)
    assert target / 3 < xav.ratio < 3 * target
    assert xav.ratio / he.ratio == pytest.approx(target, rel=1e-4)   # same draws, scaled by √2
    # ReLU(c·z) = c·ReLU(z): z_l of the Glorot network is z_l of the He network over (√2)^l.
    assert xav.pre_std * math.sqrt(2) ** xav.layers == pytest.approx(he.pre_std, rel=1e-4)
    assert propagation.predict_variance(30, 256, "relu", "glorot_uniform").ratio == pytest.approx(target, rel=1e-12)


@pytest.mark.parametrize("fan_in", [10, 256, 1000])
def test_pytorch_default_is_glorots_standard(fan_in):
    gain = initializers.gain("leaky_relu", math.sqrt(5))
    assert gain == pytest.approx(math.sqrt(1 / 3), rel=1e-12)
    bound = gain * math.sqrt(3 / fan_in)
    assert bound == pytest.approx(1 / math.sqrt(fan_in), rel=1e-12)
    standard = initializers.get("glorot_standard")
    assert standard.bounds((fan_in, 64))[1] == pytest.approx(bound, rel=1e-12)
    assert standard.std((fan_in, 64)) ** 2 == pytest.approx(1 / (3 * fan_in), rel=1e-12)


# ---------------------------------------------------------------------------------------------
# The exercises: the solutions pass, the stubs get a message

def _glorot_std(shape):
    receptive_field = math.prod(shape[:-2])
    fan_in, fan_out = shape[-2] * receptive_field, shape[-1] * receptive_field
    return math.sqrt(2 / (fan_in + fan_out))


def test_exercise_solutions_pass_and_stubs_fail():
    assert checks.check_std(_glorot_std, "glorot").passed
    sampler = lambda shape, rng: rng.uniform(-math.sqrt(3) * _glorot_std(shape), math.sqrt(3) * _glorot_std(shape),
                                             size=shape)
    assert checks.check_sampler(sampler, "glorot", "uniform").passed
    factor = lambda fan_in, limit: fan_in * limit**2 / 3
    assert checks.check_uniform_variance_factor(factor).passed
    assert factor(1000, 1 / math.sqrt(1000)) == pytest.approx(1 / 3)

    stub = lambda *args: None
    assert "return" in checks.check_std(stub, "glorot").message
    assert not checks.check_sampler(stub, "glorot", "uniform").passed
    assert "return" in checks.check_uniform_variance_factor(stub).message


# ---------------------------------------------------------------------------------------------
# Third-pass additions: the toy example, the stretch factors against the variance rule, the explorer

CHAPTER = Path(__file__).resolve().parents[1] / "book" / "03-xavier-glorot.md"


def test_sigmoid_toy_example_pooled_std_without_input_dependence():
    # The text: unit 1 gives 0.4 for each of three inputs, unit 2 gives 0.6: pooled std > 0, per-unit 0.
    text = " ".join(CHAPTER.read_text(encoding="utf-8").split())
    m = re.search(r"unit 1 outputs ([\d.]+) for each of three inputs and unit 2 outputs ([\d.]+) for each, "
                  r"the pooled std of the six numbers is ([\d.]+)", text)
    assert m, "the toy example of the sigmoid section is missing or reworded"
    first, second, pooled = map(float, m.groups())
    outputs = np.array([[first] * 3, [second] * 3])                # rows: units, columns: inputs
    assert outputs.std() == pytest.approx(pooled, rel=1e-9)
    assert np.all(outputs.std(axis=1) < 1e-12)                     # 0 up to rounding


def test_average_stretch_factor_is_below_the_per_layer_rms(jacobians):
    # The variance rule's per-layer factors, 1/√3 and 1, are root-mean-squares of the stretch factors;
    # the average is below them: 8/(3π) of them for a linear layer, lower still through tanh.
    qc = 8 / (3 * math.pi)
    rms = {name: math.sqrt(500 * initializers.get(name).std((500, 500)) ** 2)
           for name in ("glorot_standard", "glorot_uniform")}
    assert rms["glorot_standard"] == pytest.approx(1 / math.sqrt(3), rel=1e-9)
    assert rms["glorot_uniform"] == pytest.approx(1.0, rel=1e-9)
    for std, norm in jacobians.values():
        assert std[-1] < qc * rms["glorot_standard"] < rms["glorot_standard"]
        assert norm[-1] < qc * rms["glorot_uniform"] < rms["glorot_uniform"]


def test_explorer_signal_ratio_is_on_z_and_smaller_than_the_act_ratio(glorot_runs):
    # Measured, seeds 0-2: z ratio 0.081 (standard) and 0.358 (normalized); act ratios 0.101 and 0.512.
    for name, (low, high) in (("glorot_standard", (0.07, 0.09)), ("glorot_uniform", (0.33, 0.39))):
        for sim in glorot_runs[name]:
            signal = sim.pre_std[-1] / sim.pre_std[0]
            assert low < signal < high
            assert signal < sim.act_ratio                           # tanh squashes layer 1 the most
            assert f"{signal:.2g}" in verdict(sim)
