"""Chapter 2 (variance theory): the claims the chapter makes, asserted.

Every statistical assertion compares an estimate with its target within ``crit(k)`` standard
errors, where ``crit(k)`` is the two-sided 5e-7 quantile of Student's t with k − 1 degrees of
freedom (the standard error itself is estimated from the k samples). For a normal estimate a
correct claim therefore fails with probability below 5e-7 per assertion; the remaining margin up
to 1e-6 absorbs the skewness of the ratios and χ²-like quantities at these sample sizes (k ≥ 40
wherever the data are skewed). Where the chapter states an approximation (mean-field theory for
tanh and sigmoid at finite width, the truncated-normal weights of ``he_normal`` against the
Gaussian derivation) an explicit allowance is added and named.

Seeds are fixed, so the tests are deterministic; the tolerances say how far a correct claim could
be from its target for *any* seed.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.lib.stride_tricks import sliding_window_view
from scipy import stats

try:  # installed with scikit-learn; only a speed-up
    from threadpoolctl import threadpool_limits
except ImportError:  # pragma: no cover
    from contextlib import nullcontext as threadpool_limits

from initlab import initializers, propagation
from initlab.initializers import compute_fans


@pytest.fixture(autouse=True, scope="module")
def _one_blas_thread():
    """The simulations multiply small matrices; on a shared 2-core machine OpenBLAS' threads
    make them several times slower, so this module runs BLAS single-threaded."""
    with threadpool_limits(1):
        yield


def crit(k: int) -> float:
    """Two-sided 5e-7 critical value of Student's t with k − 1 degrees of freedom."""
    return float(stats.t.isf(2.5e-7, k - 1))


def mean_se(values):
    v = np.asarray(values, dtype=np.float64).ravel()
    return float(v.mean()), float(v.std(ddof=1) / math.sqrt(v.size)), v.size


def assert_mean(values, target, allowance=0.0, what=""):
    """The mean of i.i.d. (or martingale-difference) ``values`` is ``target``."""
    m, se, k = mean_se(values)
    assert abs(m - target) <= crit(k) * se + allowance, \
        f"{what}: mean {m:.5g}, target {target:.5g}, tolerance {crit(k) * se + allowance:.3g}"


def var_se(x):
    """Sample variance of x and its standard error sqrt((m4 − s⁴)/k), with k."""
    x = np.asarray(x, dtype=np.float64)
    d2 = (x - x.mean()) ** 2
    return float(x.var(ddof=1)), float(d2.std(ddof=1) / math.sqrt(x.size)), x.size


# ---------------------------------------------------------------------------------------------
# The opening example: independent terms add their variances

def test_three_inputs_add_their_variances():
    """z = Σ x_i w_i for x = (1, −2, 0.5) and Var w = 0.1: Var z = 0.1·(1 + 4 + 0.25) = 3·0.1·E[x²]."""
    x, var_w = np.array([1.0, -2.0, 0.5]), 0.1
    assert var_w * np.sum(x**2) == pytest.approx(3 * var_w * np.mean(x**2), rel=1e-12)
    w = np.random.default_rng(20).normal(0.0, math.sqrt(var_w), size=(200_000, 3))
    z = w @ x
    per_term = [var_se(w[:, i] * x[i]) for i in range(3)]
    for (v, se, k), target in zip(per_term, var_w * x**2):
        assert abs(v - target) <= crit(k) * se, f"term variance {v:.4g}, target {target:.4g}"
    v, se, k = var_se(z)
    assert abs(v - var_w * np.sum(x**2)) <= crit(k) * se


def test_pixel_exercise_normalizing_by_the_variance_gives_four():
    """Inputs U[0, 1] (E[x²] = 1/3, Var x = 1/12) with Var w = 12/n: Var z = 4, not 1; 3/n gives 1."""
    n = 784
    x = np.random.default_rng(21).uniform(0.0, 1.0, size=(2000, n))
    for var_w, target in ((12 / n, 4.0), (3 / n, 1.0)):
        per_unit = []
        for seed in range(40):                    # i.i.d. units given x: E[z_j²] = Var w·Σ_i x_i², averaged
            W = np.random.default_rng(seed).normal(0.0, math.sqrt(var_w), size=(n, 8))
            per_unit.extend(np.mean((x @ W) ** 2, axis=0))
        expected = var_w * np.mean(np.sum(x**2, axis=1))   # the exact conditional target for this x
        assert_mean(per_unit, expected, what=f"Var w = {var_w * n:g}/n")
        assert expected == pytest.approx(target, rel=0.01)   # and x's sample E[x²] is 1/3 to 1 %


# ---------------------------------------------------------------------------------------------
# One layer: Var z = n_in · Var w · E[x²], and not Var x

@pytest.mark.parametrize("correlated", [False, True], ids=["independent inputs", "correlated inputs"])
def test_one_layer_second_moment_not_variance(correlated):
    rng = np.random.default_rng(10)
    n_in, n_out, batch = 400, 2000, 500
    x = 1.0 + 0.5 * rng.standard_normal((batch, n_in))         # E[x] = 1, Var x = 0.25
    if correlated:                                              # a per-example offset shared by
        x += 0.7 * rng.standard_normal((batch, 1))              # all components: Var x = 0.74
    init = initializers.lecun_normal()
    W = init((n_in, n_out), seed=11, dtype="float64")
    v = init.std((n_in, n_out)) ** 2
    z = x @ W
    # Given x, the units (columns of W) are i.i.d., and E[z_bj² | x] = v·Σ_i x_bi².
    per_unit = np.mean(z**2, axis=0)
    predicted = n_in * v * np.mean(x**2)
    assert_mean(per_unit, predicted, what="E[z²] vs n·Var w·E[x²]")
    m, se, k = mean_se(per_unit)
    variance_only = n_in * v * x.var()
    assert m - variance_only > 3 * crit(k) * se, "the input's mean must show up in Var z"
    # the decomposition printed in the chapter: offsets between units, spread within a unit
    zbar = z.mean(axis=0)
    assert_mean(zbar**2, v * np.sum(x.mean(axis=0) ** 2), what="between-unit part")
    assert_mean(np.mean((z - zbar) ** 2, axis=0), v * np.sum(x.var(axis=0)), what="within-unit part")


# ---------------------------------------------------------------------------------------------
# Many layers: forward needs 1/fan_in, backward 1/fan_out; both only if fan_in = fan_out

DOUBLING = [16, 32, 64, 128, 256, 512, 1024]


@pytest.mark.parametrize("mode, forward, backward",
                         [("fan_in", 1.0, 2.0), ("fan_out", 0.5, 1.0), ("fan_avg", 2 / 3, 4 / 3)])
def test_doubling_net_cannot_satisfy_both_conditions(mode, forward, backward):
    init = initializers.VarianceScaling(1.0, mode)
    theory = propagation.predict_variance(widths=DOUBLING, activation="linear", init=init)
    v = theory.weight_var
    np.testing.assert_allclose([DOUBLING[l] * v[l] for l in range(6)], forward, rtol=1e-12)
    np.testing.assert_allclose([DOUBLING[l + 1] * v[l] for l in range(6)], backward, rtol=1e-12)
    np.testing.assert_allclose(theory.pre_var[-1], forward ** 6, rtol=1e-12)
    np.testing.assert_allclose(theory.grad_var[0], backward ** 5, rtol=1e-12)

    # The simulation matches in expectation: mean of a_L² (= z_L² for a linear net) is unbiased
    # for q_L; the sample variance of ∂ℒ/∂z_1 is biased by a factor 1 − 1/(batch·n_1) at most.
    k, batch = 40, 64
    fwd, bwd = [], []
    for seed in range(k):
        sim = propagation.simulate(widths=DOUBLING, activation="linear", init=init, batch=batch, seed=seed)
        fwd.append((sim.act_std[-1] ** 2 + sim.act_mean[-1] ** 2) / theory.pre_var[-1])
        bwd.append(sim.grad_std[0] ** 2 / theory.grad_var[0])
    assert_mean(fwd, 1.0, what="forward E[z_6²] / theory")
    assert_mean(bwd, 1.0, allowance=1 / (batch * DOUBLING[1]), what="backward E[(∂ℒ/∂z_1)²] / theory")


def test_doubling_text_span_is_the_exercise_span_minus_w1():
    """The text's table stops at layer 1's z: 5 matrices, n_6/n_1 = 2^5. The exercise goes on to
    the input x through W_1, a sixth factor n_1·v_1 = n_1/n_0, so n_6/n_0 = 2^6 (std 8)."""
    init = initializers.VarianceScaling(1.0, "fan_in")
    theory = propagation.predict_variance(widths=DOUBLING, activation="linear", init=init)
    v = theory.weight_var
    at_z1 = theory.grad_var[0] / theory.grad_var[-1]
    assert at_z1 == pytest.approx(DOUBLING[-1] / DOUBLING[1], rel=1e-12)
    at_x = at_z1 * DOUBLING[1] * v[0]
    assert at_x == pytest.approx(DOUBLING[-1] / DOUBLING[0], rel=1e-12)


def test_backward_product_telescopes_with_fan_in():
    """With Var w = 1/fan_in, ∏ n_l·v_l = n_L/n_0, whatever the widths in between."""
    rng = np.random.default_rng(12)
    for _ in range(20):
        widths = [int(w) for w in rng.integers(4, 600, size=int(rng.integers(3, 12)))]
        v = propagation.predict_variance(widths=widths, activation="linear",
                                         init=initializers.VarianceScaling(1.0, "fan_in")).weight_var
        product = math.prod(n * x for n, x in zip(widths[1:], v))
        assert product == pytest.approx(widths[-1] / widths[0], rel=1e-9)
    # a network that goes up and comes back down: the gradient at z_1 has the scale of z_L
    widths, k = [64, 256, 64, 256, 64], 40
    ratios = []
    for seed in range(k):
        sim = propagation.simulate(widths=widths, activation="linear", init="lecun_normal", batch=64, seed=seed)
        ratios.append((sim.grad_std[0] / sim.grad_std[-1]) ** 2)
    assert_mean(ratios, widths[-1] / widths[1], allowance=0.01, what="up-down net, backward")


# ---------------------------------------------------------------------------------------------
# Fans of dense and conv kernels

def test_fans_of_the_chapter_kernels():
    assert compute_fans((784, 128)) == (784, 128)
    assert compute_fans((3, 3, 64, 128)) == (576, 1152) == (3 * 3 * 64, 3 * 3 * 128)
    assert compute_fans((5, 5, 3, 32)) == (75, 800)
    assert compute_fans((3, 3, 3, 16, 32)) == (432, 864)


def test_conv_output_variance_needs_the_receptive_field():
    rng = np.random.default_rng(2)
    images = rng.standard_normal((8, 18, 18, 64))
    patches = sliding_window_view(images, (3, 3), axis=(1, 2))
    patches = patches.transpose(0, 1, 2, 4, 5, 3).reshape(-1, 3 * 3 * 64)
    mean_patch_norm = np.mean(np.sum(patches**2, axis=1))     # E over positions of ‖patch‖²
    seconds = {}
    for fan in (576, 64):
        kernel = rng.standard_normal((3, 3, 64, 128)) / math.sqrt(fan)
        out = patches @ kernel.reshape(-1, 128)
        per_channel = np.mean(out**2, axis=0)                 # channels are i.i.d. given the images
        assert_mean(per_channel, mean_patch_norm / fan, what=f"conv output, fan {fan}")
        seconds[fan] = per_channel
    # leaving out the receptive field multiplies the variance by 3·3 = 9
    m576, se576, _ = mean_se(seconds[576])
    m64, se64, k = mean_se(seconds[64])
    assert abs(m64 / m576 - 9) <= crit(k) * 9 * math.hypot(se64 / m64, se576 / m576)


# ---------------------------------------------------------------------------------------------
# ReLU: the second moment halves, the variance falls to ½ − 1/(2π)

SAMPLERS = {
    "gaussian": (lambda rng, n: rng.standard_normal(n), 0.5 - 1 / (2 * math.pi)),
    "uniform": (lambda rng, n: rng.uniform(-1, 1, n), 5 / 16),
    "laplace": (lambda rng, n: rng.laplace(0, 1, n), 3 / 8),
}


@pytest.mark.parametrize("name", SAMPLERS)
def test_relu_halves_the_second_moment_not_the_variance(name):
    sampler, exact_var_ratio = SAMPLERS[name]
    rng = np.random.default_rng(13)
    second, var = [], []
    for _ in range(50):                       # 50 independent batches: ratio estimates, i.i.d.
        z = sampler(rng, 100_000)
        r = np.maximum(z, 0)
        second.append(np.mean(r**2) / np.mean(z**2))
        var.append(r.var() / z.var())
    assert_mean(second, 0.5, what=f"{name}: E[ReLU²]/E[z²]")
    assert_mean(var, exact_var_ratio, what=f"{name}: Var ReLU / Var z")
    m, se, k = mean_se(var)
    assert 0.5 - m > 20 * crit(k) * se, "the variance does not halve"


def test_relu_moments_in_the_theory_are_exact():
    for q in (1e-3, 1.0, 50.0):
        p = propagation.predict_variance(depth=1, width=100, activation="relu", init="lecun_normal", input_var=q)
        assert p.pre_var[0] == pytest.approx(q, rel=1e-12)
        assert p.act_sq[0] == pytest.approx(q / 2, rel=1e-12)
        assert p.act_std[0] ** 2 == pytest.approx((0.5 - 1 / (2 * math.pi)) * q, rel=1e-9)
        assert p.grad_var[0] == pytest.approx(0.5, rel=1e-12)


@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
def test_activation_moments_table_matches_monte_carlo(activation):
    """The chapter's table: predict_variance's E[f(z)²], E[f′(z)²] agree with Monte Carlo."""
    p = propagation.predict_variance(depth=1, width=100, activation=activation, init="lecun_normal")
    rng = np.random.default_rng(14)
    f2, d2 = [], []
    for _ in range(40):
        g = rng.standard_normal(50_000)
        f2.append(np.mean(propagation.activate(activation, g) ** 2))
        d2.append(np.mean(propagation.derivative(activation, g) ** 2))
    assert_mean(f2, p.act_sq[0], what=f"{activation} E[f²]")
    assert_mean(d2, p.grad_var[0], what=f"{activation} E[f′²]")


# ---------------------------------------------------------------------------------------------
# Sigmoid: the mean ½ dominates the second moment

def test_sigmoid_mean_is_half_and_dominates():
    for q in (0.01, 0.1, 1.0, 4.0):
        p = propagation.predict_variance(depth=1, width=100, activation="sigmoid", init="lecun_normal", input_var=q)
        assert p.act_mean[0] == pytest.approx(0.5, abs=1e-12)            # σ(z) − ½ is odd
        assert p.act_sq[0] == pytest.approx(p.act_std[0] ** 2 + 0.25, rel=1e-9)
        assert 0.25 / p.act_sq[0] > 0.7                                  # the chapter's table
    grid = np.linspace(-30, 30, 100_001)
    assert propagation.derivative("sigmoid", grid).max() == pytest.approx(0.25, abs=1e-12)


def test_sigmoid_variance_is_about_q_over_16_for_small_q():
    """σ'(0) = ¼, so Var σ(z) ≈ q/16 for small q = Var z (and below it, since |σ'| ≤ ¼)."""
    for q in (1e-4, 1e-3, 0.01):
        p = propagation.predict_variance(depth=1, width=100, activation="sigmoid", init="lecun_normal", input_var=q)
        assert p.act_std[0] ** 2 <= q / 16
        assert p.act_std[0] ** 2 == pytest.approx(q / 16, rel=0.02)
    assert propagation.derivative("sigmoid", np.zeros(1))[0] == pytest.approx(0.25, abs=1e-15)


def _variance_only_recursion(depth):
    nodes, weights = np.polynomial.hermite_e.hermegauss(80)
    weights = weights / weights.sum()
    q = [1.0]
    for _ in range(depth - 1):
        q.append(0.25 * weights @ np.tanh(math.sqrt(q[-1]) * nodes / 2) ** 2)
    return np.array(q)


def test_deep_sigmoid_net_pooled_scale_follows_the_second_moment():
    """The pooled std of z_l follows the E[σ²] recursion; the variance-only one misses the scale."""
    depth, width, k = 20, 256, 40
    theory = propagation.predict_variance(depth=depth, width=width, activation="sigmoid", init="lecun_normal")
    dev = []
    for seed in range(k):
        sim = propagation.simulate(depth=depth, width=width, activation="sigmoid", init="lecun_normal",
                                   batch=64, seed=seed)
        dev.append(np.log(sim.pre_std[-1] / theory.pre_std[-1]))
        assert sim.grad_ratio < 16.0 ** (-(depth - 1) / 2)        # at least 16-fold in variance per layer
    # mean-field theory at width 256: allow a finite-width bias of 3 %
    assert_mean(dev, 0.0, allowance=0.03, what="sigmoid z_20 vs E[σ²] recursion")
    var_only = _variance_only_recursion(depth)
    assert math.sqrt(var_only[-1]) < 1e-10 < 0.1 < theory.pre_std[-1]
    assert 0.25 / theory.act_sq[-1] > 0.9                   # the mean is > 90 % of E[σ²] there
    # √E[σ′(z)²] at the recursion's scale: below ¼ (the slope is at most ¼ and smaller off 0)
    slope = math.sqrt(theory.grad_var[-2] / theory.grad_var[-1])
    assert 0.2 < slope < 0.25



def test_sigmoid_recursion_is_a_quarter_plus_a_little():
    """With n·Var(w) = 1 the recursion's E[z²] is E[σ(z)²] of the previous layer: ¼ plus σ's
    variance (small: σ′ ≤ ¼), so its std is just above ½ at every layer after the first."""
    theory = propagation.predict_variance(depth=20, width=256, activation="sigmoid", init="lecun_normal")
    q = np.asarray(theory.pre_std[1:]) ** 2
    assert np.all(q > 0.25) and np.all(q < 0.25 * 1.2)        # "a little": under a fifth of ¼


def test_relu_he_theory_lines_sit_at_root_two_and_its_inverse():
    """ReLU + He with a unit-scale input: E[z_1²] = fan_in·(2/fan_in)·1 = 2 and every later layer
    keeps it; the output gradient, of variance 1, is halved once by the last ReLU (E[ReLU′(z)²] = ½)
    and then kept."""
    width = 256
    theory = propagation.predict_variance(depth=30, width=width, activation="relu", init="he_normal")
    he_var = initializers.he_normal().std((width, width)) ** 2
    q1 = width * he_var * 1.0
    np.testing.assert_allclose(np.asarray(theory.pre_std) ** 2, q1, rtol=1e-9)
    relu_slope_sq = np.mean(np.random.default_rng(8).standard_normal(400_000) > 0)  # E[ReLU′(z)²]
    np.testing.assert_allclose(np.asarray(theory.grad_std) ** 2, relu_slope_sq, atol=0.005)

def _split_spread(depth, width, seed):
    """The chapter's float64 split: per layer, the std of the per-unit offsets of z_l and the mean
    over units of each unit's std over the batch."""
    rng = np.random.default_rng(seed)
    a, offsets, per_unit = rng.standard_normal((256, width)), [], []
    for _ in range(depth):
        z = a @ initializers.lecun_normal()((width, width), seed=rng, dtype="float64")
        offsets.append(z.mean(axis=0).std())
        per_unit.append(z.std(axis=0).mean())
        a = propagation.activate("sigmoid", z)
    return np.array(offsets), np.array(per_unit)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_sigmoid_input_dependent_part_shrinks_like_the_slope(seed):
    """Chapter 2's split (seed 0 is the chapter's network): the pooled spread is offsets, the
    input-dependent part shrinks by about √E[σ′²] per layer, and the variance-only recursion
    tracks it within a factor of about 3 after 20 layers while missing the pooled scale."""
    depth, width = 20, 256
    theory = propagation.predict_variance(depth=depth, width=width, activation="sigmoid", init="lecun_normal")
    offsets, per_unit = _split_spread(depth, width, seed)
    var_only = np.sqrt(_variance_only_recursion(depth))
    # the offsets carry the pooled scale: within 15 % of the E[σ²] recursion from layer 2 on
    assert np.all(np.abs(np.log(offsets[1:] / theory.pre_std[1:])) < math.log(1.15))
    # the input-dependent part vanishes ...
    assert per_unit[-1] < 1e-11 * offsets[-1]
    factor = (per_unit[-1] / per_unit[1]) ** (1 / (depth - 2))
    slope = math.sqrt(theory.grad_var[-2] / theory.grad_var[-1])
    assert factor == pytest.approx(slope, rel=0.02)           # ... at the backward factor's rate
    var_only_factor = (var_only[-1] / var_only[1]) ** (1 / (depth - 2))
    assert factor < var_only_factor < 0.25 + 1e-12              # the variance-only rate is a bit slower
    assert 2 < var_only[-1] / per_unit[-1] < 4                   # "within a factor of about 3" (seeds 0-7: 2.7-3.1)
    assert var_only[-1] < 1e-10 * theory.pre_std[-1]             # and far off the pooled scale


# ---------------------------------------------------------------------------------------------
# Theory against simulation at width 256: exact in expectation for linear and ReLU, a few % for
# tanh and sigmoid; single ReLU networks spread more than linear ones.

def _factor_ratios(activation, init, seeds, width=256, depth=30, batch=64):
    """Per-layer factors M_l/M_{l−1} divided by the theory's, for layers 1..depth and each seed.

    M_l is the pooled mean of a_l²; given layer l − 1 its expectation is exactly the theory's
    factor times M_{l−1} (zero-mean symmetric weights), so these ratios are martingale
    differences around 1: uncorrelated, with mean 1.
    """
    theory = propagation.predict_variance(depth=depth, width=width, activation=activation, init=init)
    t = np.concatenate([[1.0], theory.act_sq])
    out = []
    for seed in seeds:
        x = np.random.default_rng(1000 + seed).standard_normal((batch, width))
        sim = propagation.simulate(depth=depth, width=width, activation=activation, init=init, x=x, seed=seed)
        m = np.concatenate([[np.mean(x.astype(np.float32).astype(np.float64) ** 2)],
                            sim.act_std**2 + sim.act_mean**2])
        out.append((m[1:] / m[:-1]) / (t[1:] / t[:-1]))
    return np.array(out)


@pytest.mark.parametrize("activation, init", [("linear", "lecun_normal"), ("relu", "he_normal")])
def test_recursion_is_exact_in_expectation(activation, init):
    ratios = _factor_ratios(activation, init, range(20))
    assert_mean(ratios, 1.0, what=f"{activation}: per-layer factor / theory")


@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
def test_recursion_within_a_few_percent_for_bounded_activations(activation):
    k = 40
    theory = propagation.predict_variance(depth=30, width=256, activation=activation, init="lecun_normal")
    fwd, bwd = [], []
    for seed in range(k):
        sim = propagation.simulate(depth=30, width=256, activation=activation, init="lecun_normal",
                                   batch=64, seed=seed)
        fwd.append(np.log(sim.pre_std / theory.pre_std))
        bwd.append(np.log(sim.grad_std / theory.grad_std))
    fwd, bwd = np.array(fwd), np.array(bwd)
    for layer in (0, 9, 29):                  # "a few %": 3 % finite-width allowance
        assert_mean(fwd[:, layer], 0.0, allowance=0.03, what=f"{activation} forward, layer {layer + 1}")
        assert_mean(bwd[:, layer], 0.0, allowance=0.03, what=f"{activation} backward, layer {layer + 1}")


def test_single_relu_networks_spread_more_than_linear_ones():
    """At width 256 (batch 64) the log of a single ReLU network's last-layer std varies more from
    draw to draw than a linear network's. For normal samples the observed variance ratio is the
    true one times F(k−1, k−1); it falls below 1 with probability < 1e-7 whenever the true ratio
    exceeds F.isf(1e-7, 39, 39) ≈ 5.9. The estimated true ratio is about 14 (5/n against 2/n
    per layer for one input, and a batch averages the linear network's fluctuation further)."""
    k = 40
    spread = {}
    for activation, init in (("linear", "lecun_normal"), ("relu", "he_normal")):
        theory = propagation.predict_variance(depth=30, width=256, activation=activation, init=init)
        logs = [np.log(propagation.simulate(depth=30, width=256, activation=activation, init=init,
                                            batch=64, seed=seed).pre_std[-1] / theory.pre_std[-1])
                for seed in range(k)]
        spread[activation] = np.var(logs, ddof=1)
    assert spread["relu"] > spread["linear"]


# ---------------------------------------------------------------------------------------------
# Finite width (Hanin & Rolnick 2018): log M_L is a random walk with variance ≈ 5 Σ 1/n_l

def log_mean_square(widths, seeds, init="he_normal"):
    """log M_l for l = 1..L and each seed, M_l = mean over units of a_l², one fixed input."""
    x0 = np.random.default_rng(0).standard_normal(widths[0])
    x0 /= np.sqrt(np.mean(x0**2))
    rows = []
    for seed in seeds:
        sim = propagation.simulate(widths=widths, activation="relu", init=init,
                                   x=np.stack([x0, x0]), seed=seed)
        rows.append(np.log(sim.act_std**2 + sim.act_mean**2))
    return np.array(rows)


def var_log_factor(n, draws=200_000, seed=0):
    """Var[log F] of one layer's factor F = (2/n) Σ ReLU(g_i)² (Gaussian weights)."""
    rng = np.random.default_rng(seed)
    logs = np.concatenate([np.log(2 / n * np.sum(np.maximum(rng.standard_normal((draws // 10, n)), 0) ** 2, axis=1))
                           for _ in range(10)])
    return float(logs.var())


def test_the_factor_of_a_relu_layer_has_mean_1_and_variance_5_over_n():
    """The derivation: with Gaussian weights of variance 2/fan_in and one fixed input,
    M_l = M_{l−1}·F_l with F_l i.i.d., E F = 1, Var F = 5/n, so log M is a random walk."""
    gaussian_he = initializers.VarianceScaling(2.0, "fan_in", "untruncated_normal")
    n = 30
    logM = log_mean_square([n] * 31, range(400), init=gaussian_he)
    steps = np.diff(np.concatenate([np.zeros((len(logM), 1)), logM], axis=1), axis=1)   # log F_l
    F = np.exp(steps)
    assert_mean(F, 1.0, what="E[F]")
    v, se, k = var_se(F.ravel())
    assert abs(v - 5 / n) <= crit(k) * se, f"Var F = {v:.4f}, 5/n = {5 / n:.4f}"
    v, se, k = var_se(steps.ravel())
    assert abs(v - var_log_factor(n)) <= crit(k) * se + 0.005
    # independent steps: successive log F are uncorrelated
    r = np.corrcoef(steps[:, :-1].ravel(), steps[:, 1:].ravel())[0, 1]
    assert abs(r) <= crit(steps[:, 1:].size) / math.sqrt(steps[:, 1:].size)


def test_he_init_keeps_the_mean_at_any_width():
    """E[M_l | M_{l−1}] = M_{l−1} needs only symmetric weights of variance 2/fan_in, so it holds for
    Keras' truncated normal too, at width 30."""
    logM = log_mean_square([30] * 31, range(300))
    F = np.exp(np.diff(np.concatenate([np.zeros((len(logM), 1)), logM], axis=1), axis=1))
    assert_mean(F, 1.0, what="E[F] with he_normal")


@pytest.fixture(scope="module")
def hanin_rolnick():
    """The chapter's experiment (he_normal, depth 30, one fixed input), with the chapter's seeds."""
    nets = {"30": ([30] * 31, 400), "300": ([300] * 31, 80), "mixed": ([300] + [30, 300] * 15, 200)}
    c = {n: var_log_factor(n) for n in (30, 300)}
    out = {}
    for key, (widths, n_nets) in nets.items():
        logM = log_mean_square(widths, range(n_nets))
        walk = np.cumsum([c[n] for n in widths[1:]])
        beta = np.cumsum(1 / np.array(widths[1:]))
        out[key] = (logM, walk, beta)
    return out


def test_fluctuation_matches_the_random_walk(hanin_rolnick):
    """Var log M_30 ≈ Σ_l Var log F_l; 10 % allowance for he_normal's truncation (Gaussian theory).

    The steps log M_l − log M_{l−1} of the constant-width nets, pooled over layers and networks,
    pin the per-layer variance down tightly; the depth-30 totals are checked as well."""
    c = {30: var_log_factor(30), 300: var_log_factor(300)}
    for key, n in (("30", 30), ("300", 300)):
        logM = hanin_rolnick[key][0]
        steps = np.diff(np.concatenate([np.zeros((len(logM), 1)), logM], axis=1), axis=1)
        v, se, k = var_se(steps.ravel())
        assert abs(v - c[n]) <= crit(k) * se + 0.1 * c[n], (key, v, c[n])
    for key, (logM, walk, beta) in hanin_rolnick.items():
        v, se, k = var_se(logM[:, -1])
        assert abs(v - walk[-1]) <= crit(k) * se + 0.1 * walk[-1], (key, v, walk[-1])
        assert walk[-1] == pytest.approx(5 * beta[-1], rel=0.2)       # ≈ 5β to first order


def test_log_steps_are_a_little_wider_than_5_over_n_at_small_width():
    """The text's "about 5 × depth/width, a little more at small width": Var log F exceeds Var F = 5/n by the
    curvature of the log, by more than 10 % at width 30 and by under 3 % at width 300."""
    rng = np.random.default_rng(12)
    for n, low, high in ((30, 1.1, 1.25), (300, 1.0, 1.03)):
        logs = np.concatenate([np.log(2 / n * np.sum(np.maximum(rng.standard_normal((50_000, n)), 0) ** 2, axis=1))
                               for _ in range(10)])
        v, se, k = var_se(logs)
        assert low * 5 / n < v - crit(k) * se and v + crit(k) * se < high * 5 / n, (n, v * n / 5)


def test_fluctuation_shrinks_with_width(hanin_rolnick):
    v30, se30, k30 = var_se(hanin_rolnick["30"][0][:, -1])
    v300, se300, k300 = var_se(hanin_rolnick["300"][0][:, -1])
    assert v30 - v300 > crit(min(k30, k300)) * math.hypot(se30, se300)
    # the chapter's reference values (about 6 and about 0.5) are within the tolerance too
    assert abs(v30 - 6) <= crit(k30) * se30 + 0.6
    assert abs(v300 - 0.5) <= crit(k300) * se300 + 0.05


def test_fluctuation_grows_with_depth(hanin_rolnick):
    """Var log M_30 > Var log M_10 at width 30: a paired test on squared deviations."""
    logM = hanin_rolnick["30"][0]
    a, b = logM[:, 29], logM[:, 9]
    u = (a - a.mean()) ** 2 - (b - b.mean()) ** 2
    m, se, k = mean_se(u)
    assert m > crit(k) * se


def test_fluctuation_depends_on_the_sum_of_reciprocal_widths(hanin_rolnick):
    """The 30/300 net (β = 0.55 at layer 30) fluctuates like a width-30 net at the same β, and far
    more than depth over its average width (5·30/165) would say."""
    logM_mixed, walk_mixed, beta_mixed = hanin_rolnick["mixed"]
    logM_30, walk_30, beta_30 = hanin_rolnick["30"]
    v_mixed, se_mixed, k_mixed = var_se(logM_mixed[:, -1])
    # width-30 net at β = 0.55: between layers 16 (β = 0.533) and 17 (β = 0.567)
    v16, se16, _ = var_se(logM_30[:, 15])
    v17, se17, k30 = var_se(logM_30[:, 16])
    w = (beta_mixed[-1] - beta_30[15]) / (beta_30[16] - beta_30[15])
    v_same_beta = (1 - w) * v16 + w * v17
    se_same_beta = max(se16, se17)
    model_gap = abs(walk_mixed[-1] - ((1 - w) * walk_30[15] + w * walk_30[16]))
    assert abs(v_mixed - v_same_beta) <= crit(min(k_mixed, k30)) * math.hypot(se_mixed, se_same_beta) \
        + model_gap + 0.1 * v_same_beta
    average_width = np.mean([300] + [30, 300] * 15)
    assert v_mixed - crit(k_mixed) * se_mixed > 5 * 30 / average_width


def test_typical_narrow_network_ends_with_a_small_signal(hanin_rolnick):
    M = np.exp(hanin_rolnick["30"][0][:, -1])
    k = len(M)
    below_1, below_01 = np.mean(M < 1), np.mean(M < 0.1)
    assert below_1 - crit(k) * math.sqrt(below_1 * (1 - below_1) / k) > 0.5   # median < 1
    assert below_01 - crit(k) * math.sqrt(below_01 * (1 - below_01) / k) > 0.25


# ---------------------------------------------------------------------------------------------
# The exercise solutions of the chapter are right

def test_exercise_solutions_pass_their_checks():
    from initlab import checks

    def forward_ratio(widths, weight_vars):
        return math.sqrt(math.prod(n * v for n, v in zip(widths[:-1], weight_vars)))

    def backward_ratio(widths, weight_vars):
        return math.sqrt(math.prod(n * v for n, v in zip(widths[1:], weight_vars)))

    def fans(shape):
        receptive_field = math.prod(shape[:-2])
        return shape[-2] * receptive_field, shape[-1] * receptive_field

    assert checks.check_linear_std_ratio(forward_ratio).passed
    assert checks.check_linear_grad_ratio(backward_ratio).passed
    assert checks.check_fans(fans).passed
    lecun = [1 / n for n in DOUBLING[:-1]]
    assert forward_ratio(DOUBLING, lecun) == pytest.approx(1.0)
    assert backward_ratio(DOUBLING, lecun) == pytest.approx(8.0)
    # exercise 2's comparison: Var w = 1/fan_out, the value simulate's pre_std[-1] scatters around
    fan_out = initializers.VarianceScaling(1.0, "fan_out")
    theory = propagation.predict_variance(widths=DOUBLING, activation="linear", init=fan_out)
    assert forward_ratio(DOUBLING, [1 / n for n in DOUBLING[1:]]) == pytest.approx(theory.pre_std[-1])
    z = np.random.default_rng(0).normal(0.0, 3.0, size=1_000_000)
    r = np.maximum(z, 0)
    assert checks.check_relu_moments((np.mean(r**2) / np.mean(z**2), r.var() / z.var())).passed
    # the stubs the chapter ships give feedback instead of crashing
    assert not checks.check_linear_std_ratio(lambda w, v: None).passed
    assert not checks.check_linear_grad_ratio(lambda w, v: None).passed
    assert not checks.check_fans(lambda s: None).passed
    assert not checks.check_relu_moments((None, None)).passed
