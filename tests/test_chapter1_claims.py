"""Chapter 1 (what not to do): the claims the chapter makes, asserted on the chapter's own data.

The tiny-network runs are deterministic full-batch gradient descent, so most assertions are exact.
The deep-network runs use the chapter's seeds; their tolerances are wide enough for any seed.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from initlab import checks, initializers, propagation, tinynet
from initlab.widgets import verdict


@pytest.fixture(scope="module")
def data():
    """The chapter's task: the inner circle (class 1) and a third of the outer one (class 0)."""
    X, y = tinynet.circles(264, seed=3)
    keep = (y == 1) | (np.arange(len(y)) % 6 == 0)
    return X[keep], y[keep]


def base_rate_loss(y):
    p = y.mean()
    return -(p * math.log(p) + (1 - p) * math.log(1 - p))


def test_the_task_is_unbalanced_75_percent(data):
    X, y = data
    assert len(y) == 176 and y.mean() == 0.75


@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid"])
def test_zero_init_first_step_gradients(activation, data):
    X, y = data
    run = tinynet.train(X, y, sizes=(2, 4, 1), activation=activation, init="zeros", steps=0)
    (gW1, gb1), (gW2, gb2) = run.grads0
    assert not gW1.any() and not gb1.any()                 # the factor W2 = 0, whatever f
    assert gb2[0] == pytest.approx(0.5 - y.mean(), abs=1e-15) and gb2[0] != 0
    if activation == "sigmoid":                            # h = σ(0) = ½ for every unit
        np.testing.assert_allclose(gW2.ravel(), 0.5 * gb2[0], rtol=1e-12)
    else:                                                  # h = f(0) = 0
        assert not gW2.any()


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_zero_init_tanh_relu_predict_the_base_rate(activation, data):
    X, y = data
    run = tinynet.train(X, y, sizes=(2, 4, 1), activation=activation, init="zeros", steps=300)
    (W1, b1), (W2, _) = run.params
    assert not W1.any() and not b1.any() and not W2.any()
    assert np.ptp(run.predict(X)) == 0
    assert run.accuracy(X, y) == y.mean()
    # the loss falls to that of the constant prediction ȳ (its minimum over constants) and stops
    assert 0 <= run.loss[-1] - base_rate_loss(y) < 1e-4


def test_zero_init_sigmoid_learns_but_stays_one_unit(data):
    X, y = data
    run = tinynet.train(X, y, sizes=(2, 4, 1), activation="sigmoid", init="zeros", steps=300)
    (W1, b1), (W2, _) = run.params
    assert np.abs(W1).max() > 0.1
    assert tinynet.unit_spread(W1) == 0 and np.ptp(b1) == 0 and np.ptp(W2) == 0
    assert run.loss[-1] < base_rate_loss(y) - 1e-3          # "creeps just below"
    assert run.loss[-1] > base_rate_loss(y) - 0.01
    assert run.accuracy(X, y) == y.mean()
    # one unit: the output is a monotone function of x·w, so the decision boundary is a line
    order = np.argsort(X @ W1[:, 0])
    steps = np.diff(run.predict(X)[order])
    assert np.all(steps >= -1e-12) or np.all(steps <= 1e-12)


def test_constant_init_keeps_symmetry_and_random_breaks_it(data):
    X, y = data
    const = tinynet.train(X, y, sizes=(2, 4, 1), activation="tanh", init=initializers.constant(0.5),
                          steps=400, lr=1.0, seed=1)
    rand = tinynet.train(X, y, sizes=(2, 4, 1), activation="tanh", init="glorot_uniform",
                         steps=400, lr=1.0, seed=1)
    assert tinynet.unit_spread(const.params[0][0]) == 0
    assert tinynet.unit_spread(rand.params[0][0]) > 1
    assert y.mean() < const.accuracy(X, y) < 0.9 < 0.95 < rand.accuracy(X, y)


def test_small_weights_every_layer_gets_the_same_tiny_weight_gradient():
    n, sigma, depth = 500, 0.01, 10
    sim = propagation.simulate(depth=depth, width=n, activation="tanh",
                               init=initializers.random_normal(stddev=sigma), seed=0)
    factor = math.sqrt(n) * sigma
    assert factor == pytest.approx(0.2236, abs=1e-4)
    assert sim.act_std[-1] == pytest.approx(factor**depth, rel=0.1)
    assert sim.grad_std[0] / sim.grad_std[-1] == pytest.approx(factor ** (depth - 1), rel=0.1)
    dW = np.r_[1.0, sim.act_std[:-1]] * sim.grad_std
    assert dW.max() / dW.min() < 1.1                                  # the same in every layer
    assert np.median(dW) == pytest.approx(factor ** (depth - 1), rel=0.15)


def test_large_weights_saturate_tanh_and_grow_its_gradient():
    large = initializers.random_normal(stddev=1.0)
    tanh = propagation.simulate(depth=50, width=500, activation="tanh", init=large, seed=0)
    assert tanh.pre_std[0] == pytest.approx(math.sqrt(500), rel=0.05)   # "std √500 ≈ 22"
    assert tanh.saturation[-1] > 0.9
    assert 2 < tanh.grad_ratio ** (1 / 49) < 5                       # grows at every layer
    # "the slopes shrink the sum, the weights grow it": on the way back a layer multiplies the
    # gradient's variance by n·Var(w)·E[f'(z)²] = 500 · 1 · E[f'(z)²]. The chapter measures E[f'(z)²]
    # on the sampled z of layers 2–50 (98,000 values, relative standard error about 1.5 %); the
    # square root of the product is the measured growth per layer.
    sampled = propagation.simulate(depth=50, width=500, activation="tanh", init=large, seed=0, keep_samples=True)
    assert sampled.grad_ratio == tanh.grad_ratio                        # same run, samples kept
    slope_sq = np.mean(propagation.derivative("tanh", np.concatenate(sampled.samples.pre[1:])) ** 2)
    assert 0.01 < slope_sq < 0.05                                       # "only 0.024", "about 12 of 500"
    assert math.sqrt(500 * 1.0 * slope_sq) == pytest.approx(tanh.grad_ratio ** (1 / 49), rel=0.05)
    # "a width-aware initialization would use 1/√500 ≈ 0.045: the weight's variance is 500 times too large"
    assert initializers.get("lecun_normal").std((500, 500)) == pytest.approx(0.045, abs=5e-4)
    assert 1.0**2 / initializers.get("lecun_normal").std((500, 500)) ** 2 == pytest.approx(500)
    relu = propagation.simulate(depth=50, width=500, activation="relu", init=large, seed=0)
    # std × √(500/2) per layer reaches float32's maximum after about 32 layers
    assert relu.overflow_layer is not None
    assert abs(relu.overflow_layer - math.log(np.finfo(np.float32).max) / math.log(math.sqrt(250))) < 3


def test_heuristics_on_a_20_layer_net():
    run = lambda act, init: propagation.simulate(depth=20, width=256, activation=act, init=init, seed=0)
    rand01 = run("tanh", "numpy_rand")
    assert not rand01.grad_std.any() and rand01.saturation[-1] == 1.0
    w = initializers.get("numpy_rand")((256, 256), seed=0, dtype="float64")
    assert w.min() >= 0 and np.mean(w**2) == pytest.approx(1 / 3, rel=0.02)
    pm1 = run("tanh", "uniform_pm1")
    assert verdict(pm1).startswith("saturated") and pm1.grad_ratio > 1e4   # both at once
    assert run("tanh", "uniform_pm03").grad_ratio > 10
    assert run("relu", "numpy_rand").overflow_layer < 20
    for init in ("uniform_pm03", "uniform_pm1"):
        assert run("relu", init).grad_ratio > 1e3
    assert 0.1 < run("tanh", "glorot_uniform").grad_ratio < 1
    assert 0.5 < run("relu", "he_normal").grad_ratio < 2


def test_a_heuristic_range_suits_one_width():
    var = 0.3**2 / 3
    assert var == pytest.approx(0.03)
    assert 1 / var == pytest.approx(33, abs=0.5)


def test_every_symbol_of_the_deep_network_passage_is_defined_before_use():
    """a_l, z_l and L are defined (with a link to the notation page) before the chapter first uses
    them; the hints write the uniform's bound as a limit and the sigmoid by name (σ is a std)."""
    from _book import ROOT

    text = (ROOT / "book" / "01-what-not-to-do.md").read_text(encoding="utf-8")
    definition = text.index("Number them $l = 1, \\dots, L$")
    assert "{ref}`notation`" in text[definition:definition + 600]
    for symbol in ("a_{l-1}", "z_l", "(\\sqrt{n}\\,\\sigma)^{L-1}"):
        assert text.index(symbol) > definition, symbol
    assert "U[-L" not in text and "L^2" not in text and "\\sigma(0)" not in text


def test_exercise_solutions_pass_their_checks():
    assert checks.check_which_params_learn({"b2"}, "tanh").passed
    assert checks.check_which_params_learn({"W2", "b2"}, "sigmoid").passed
    assert checks.check_signal_after(lambda depth, n, sigma: (n**0.5 * sigma) ** depth).passed
    assert checks.check_heuristic_width(lambda limit: 3 / limit**2).passed
    # the stubs the chapter ships give feedback instead of crashing
    assert not checks.check_which_params_learn(set(), "tanh").passed
    assert not checks.check_signal_after(lambda depth, n, sigma: None).passed
    assert not checks.check_heuristic_width(lambda limit: None).passed
