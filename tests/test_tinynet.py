"""The tiny numpy network: exact gradients, and the chapter-1 claims about zero and constant init."""

from __future__ import annotations

import numpy as np
import pytest

from initlab import initializers, propagation, tinynet
from initlab.widgets import verdict


@pytest.fixture(scope="module")
def unbalanced():
    X, y = tinynet.circles(200, seed=3)
    return X, np.where(np.arange(len(y)) % 4 == 0, 0.0, 1.0)


@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid"])
def test_gradients_match_finite_differences(activation, unbalanced):
    X, y = unbalanced
    run = tinynet.train(X, y, sizes=(2, 3, 1), activation=activation, init="glorot_normal", steps=0, seed=5)
    params = run.params
    eps = 1e-6
    for l, (W, b) in enumerate(params):
        for arr, grad in ((W, run.grads0[l][0]), (b, run.grads0[l][1])):
            for idx in np.ndindex(arr.shape):
                old = arr[idx]
                arr[idx] = old + eps
                up = tinynet._loss(tinynet._forward(params, activation, X)[0][-1].ravel(), y)
                arr[idx] = old - eps
                down = tinynet._loss(tinynet._forward(params, activation, X)[0][-1].ravel(), y)
                arr[idx] = old
                assert grad[idx] == pytest.approx((up - down) / (2 * eps), abs=1e-7)


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_zero_init_only_output_bias_learns(activation, unbalanced):
    X, y = unbalanced
    run = tinynet.train(X, y, sizes=(2, 4, 1), activation=activation, init="zeros", steps=300)
    (W1, b1), (W2, b2) = run.params
    assert not W1.any() and not b1.any() and not W2.any()
    assert b2[0] != 0
    assert run.accuracy(X, y) == pytest.approx(y.mean())   # predicts the base rate everywhere
    assert np.ptp(run.predict(X)) == 0                       # one constant output for every input


def test_zero_init_sigmoid_learns_but_units_stay_copies(unbalanced):
    X, y = unbalanced
    run = tinynet.train(X, y, sizes=(2, 4, 1), activation="sigmoid", init="zeros", steps=300)
    (gW1, _), (gW2, _) = run.grads0
    assert not gW1.any() and np.abs(gW2).min() > 0
    assert np.abs(run.params[0][0]).max() > 0.1
    assert tinynet.unit_spread(run.params[0][0]) == 0 and np.ptp(run.params[1][0]) == 0


def test_constant_init_keeps_symmetry_and_random_breaks_it(unbalanced):
    X, y = unbalanced
    const = tinynet.train(X, y, sizes=(2, 4, 1), activation="tanh", init=initializers.constant(0.5),
                          steps=400, seed=1)
    rand = tinynet.train(X, y, sizes=(2, 4, 1), activation="tanh", init="glorot_uniform", steps=400, seed=1)
    assert tinynet.unit_spread(const.params[0][0]) == 0
    assert tinynet.unit_spread(rand.params[0][0]) > 0.5
    assert rand.accuracy(X, y) > const.accuracy(X, y)


def test_bad_input_is_refused():
    X, y = tinynet.circles(20)
    with pytest.raises(ValueError, match="sizes"):
        tinynet.train(X, y, sizes=(2, 4, 2))
    with pytest.raises(ValueError, match="shape"):
        tinynet.train(X[:, :1], y)
    with pytest.raises(ValueError, match="steps"):
        tinynet.train(X, y, steps=-1)
    with pytest.raises(ValueError, match="n must be"):
        tinynet.circles(1)
    with pytest.raises(TypeError, match="n must be an int >= 2, got float"):
        tinynet.circles(20.0)
    with pytest.raises(TypeError, match=r"sizes must be a list of ints \[n_in, hidden..., 1\]"):
        tinynet.train(X, y, sizes="2,4,1")
    with pytest.raises(ValueError, match="only the labels 0 and 1"):
        tinynet.train(X, 2 * y)
    with pytest.raises(ValueError, match="lr must be a finite number > 0"):
        tinynet.train(X, y, lr=0)
    with pytest.raises(ValueError, match="Did you mean 'tanh'"):
        tinynet.train(X, y, activation="tahn")
    with pytest.raises(ValueError, match="seed must be None, an int >= 0"):
        tinynet.train(X, y, seed=-1)


def test_chapter1_small_weights_vanish_like_the_formula():
    n, sigma, depth = 500, 0.01, 10
    sim = propagation.simulate(depth=depth, width=n, activation="tanh",
                               init=initializers.random_normal(stddev=sigma), seed=0)
    predicted = (np.sqrt(n) * sigma) ** depth
    assert sim.act_std[-1] == pytest.approx(predicted, rel=0.1)   # 512×500 samples per layer


def test_chapter1_large_weights_saturate_tanh_explode_gradients_and_overflow_relu():
    large = initializers.random_normal(stddev=1.0)
    tanh = propagation.simulate(depth=50, width=500, activation="tanh", init=large, seed=0)
    assert tanh.saturation[-1] > 0.5 and tanh.grad_ratio > 1e6
    relu = propagation.simulate(depth=50, width=500, activation="relu", init=large, seed=0)
    assert relu.overflow_layer is not None


def test_chapter1_heuristics_plot_claims():
    run = lambda act, init: propagation.simulate(depth=20, width=256, activation=act, init=init, seed=0)
    assert np.all(run("tanh", "numpy_rand").grad_std[:-1] == 0)        # exactly zero in float32
    assert verdict(run("tanh", "numpy_rand")).startswith("saturated")
    for init in ("uniform_pm03", "uniform_pm1"):
        assert run("tanh", init).grad_ratio > 10                        # grows on the way back
        assert run("relu", init).grad_ratio > 1e3
    assert run("relu", "numpy_rand").overflow_layer is not None
    assert 0.1 < run("relu", "he_normal").grad_ratio < 10
    assert 0.05 < run("tanh", "glorot_uniform").grad_ratio < 10


@pytest.mark.parametrize("task", sorted(tinynet.TASKS))
def test_tasks_are_balanced_reproducible_and_not_linearly_separable(task):
    make = tinynet.TASKS[task]
    X, y = make(400, seed=2)
    assert X.shape == (400, 2) and y.mean() == 0.5 and set(np.unique(y)) == {0.0, 1.0}
    np.testing.assert_array_equal(make(400, seed=2)[0], X)
    assert not np.array_equal(make(400, seed=3)[0], X)
    # Logistic regression (a (2, 1) network) stays far from perfect; 8 hidden units get close.
    linear = tinynet.train(X, y, sizes=(2, 1), init="zeros", lr=1.0, steps=500)
    hidden = tinynet.train(X, y, sizes=(2, 8, 1), init="glorot_uniform", steps=2000, seed=0)
    assert linear.accuracy(X, y) < 0.9 and hidden.accuracy(X, y) > 0.95


def test_noise_free_tasks_follow_their_rule():
    X, y = tinynet.xor(200, noise=0, seed=1)
    np.testing.assert_array_equal(X[:, 0] * X[:, 1] < 0, y == 1)
    assert np.abs(X).min() >= 0.1 and np.abs(X).max() <= 1
    X, y = tinynet.moons(200, noise=0, seed=1)
    upper, lower = X[y == 0], X[y == 1]
    np.testing.assert_allclose(np.hypot(*upper.T), 1)                      # on the unit circle
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1, lower[:, 1] - 0.5), 1)
    assert upper[:, 1].min() >= 0 and lower[:, 1].max() <= 0.5


def test_given_weights_reproduce_a_drawn_run_and_are_not_modified():
    X, y = tinynet.moons(120, seed=0)
    drawn = tinynet.train(X, y, sizes=(2, 5, 3, 1), activation="relu", init="he_normal", steps=30,
                          seed=4, record_every=30)
    start = [W for W, b in drawn.history[0]]
    copies = [W.copy() for W in start]
    given = tinynet.train(X, y, sizes=(2, 5, 3, 1), activation="relu", steps=30, weights=start)
    np.testing.assert_array_equal(given.loss, drawn.loss)
    for (Wg, _), (Wd, _) in zip(given.params, drawn.params):
        np.testing.assert_array_equal(Wg, Wd)
    for W, c in zip(start, copies):
        np.testing.assert_array_equal(W, c)
    assert given.init == "given"
    nested = tinynet.train(X, y, sizes=(2, 5, 3, 1), activation="relu", steps=30,
                           weights=[W.tolist() for W in start])
    np.testing.assert_array_equal(nested.loss, drawn.loss)


def test_bad_weights_are_refused():
    X, y = tinynet.circles(20)
    good = [np.zeros((2, 4)), np.zeros((4, 1))]
    with pytest.raises(TypeError, match=r"weights must be a list of 2 weight matrices of shapes \(2, 4\), \(4, 1\)"):
        tinynet.train(X, y, weights=np.zeros((2, 4)))
    with pytest.raises(ValueError, match="got 1 matrices"):
        tinynet.train(X, y, weights=good[:1])
    with pytest.raises(ValueError,
                       match=r"weights\[1\] must be a finite real array of shape \(4, 1\), got shape \(1, 4\)"):
        tinynet.train(X, y, weights=[good[0], good[1].T])
    with pytest.raises(ValueError, match=r"weights\[0\] must be a finite"):
        tinynet.train(X, y, weights=[np.full((2, 4), np.nan), good[1]])
    with pytest.raises(TypeError, match=r"weights\[0\] must be a real \(2, 4\) array"):
        tinynet.train(X, y, weights=[[["a"] * 4] * 2, good[1]])
    with pytest.raises(ValueError, match="scale must be 1 when weights are given"):
        tinynet.train(X, y, weights=good, scale=2.0)
