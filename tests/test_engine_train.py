"""The page's ``InitLab.train`` against ``initlab.tinynet.train``, which it mirrors.

* **Parity**: from the same starting weights, on every 2-D task of ``tinynet.TASKS``, for every
  hidden activation and several depths, the page's loss trajectory equals Python's to 1e-9 (both
  compute the same float64 sums; the residue is round-off in a different summation order).
* The same holds for the deterministic inits (zeros, a constant) without passing weights.
* **Symmetry**: with a constant init every hidden unit's incoming weights and bias stay exactly
  equal to unit 0's after training in the page, as chapter 1 shows in numpy.

The engine runs in Node through ``tests/js/engine_cli.mjs``, as in ``test_engine_parity.py``.
"""

from __future__ import annotations

import itertools
import re

import numpy as np
import pytest
from test_engine_parity import call, engine

from initlab import initializers, tinynet
from initlab.propagation import ACTIVATIONS

TOL = 1e-9
SIZES = [(2, 4, 1), (2, 8, 8, 1), (2, 5, 3, 4, 1)]
INITS = {"tanh": "glorot_uniform", "scaled_tanh": "lecun_normal", "sigmoid": "glorot_normal",
         "linear": "glorot_uniform", "relu": "he_normal", "leaky_relu": "he_uniform", "selu": "lecun_normal"}


def _data(task, n=120, seed=0):
    X, y = tinynet.TASKS[task](n, seed=seed)
    return X, y


def _params(js):
    """The page's params as Python's [(W, b)] layout."""
    return [(np.asarray(p["W"], dtype=float), np.asarray(p["b"], dtype=float)) for p in js]


def _options(X, y, **kw):
    return dict(x=X.tolist(), y=y.tolist(), **kw)


GRID = [(t, a, s) for t, a, s in itertools.product(sorted(tinynet.TASKS), ACTIVATIONS, SIZES)]


def test_loss_trajectories_match_python_from_the_same_weights():
    runs, calls = [], []
    for k, (task, act, sizes) in enumerate(GRID):
        X, y = _data(task, seed=k)
        start = tinynet.train(X, y, sizes=sizes, activation=act, init=INITS[act], steps=0, seed=k).params
        weights = [W for W, _ in start]
        py = tinynet.train(X, y, sizes=sizes, activation=act, lr=0.5, steps=60, weights=weights)
        runs.append((X, y, py))
        calls.append(("train", _options(X, y, sizes=list(sizes), activation=act, lr=0.5, steps=60,
                                        weights=[W.tolist() for W in weights])))
    worst = 0.0
    for (task, act, sizes), (X, y, py), js in zip(GRID, runs, engine(calls)):
        assert "error" not in js, js
        loss = np.asarray(js["loss"], dtype=float)
        assert loss.shape == py.loss.shape == (61,)
        worst = max(worst, float(np.abs(loss - py.loss).max()))
        assert np.abs(loss - py.loss).max() < TOL, (task, act, sizes)
        for (Wj, bj), (Wp, bp) in zip(_params(js["params"]), py.params):
            np.testing.assert_allclose(Wj.reshape(Wp.shape), Wp, rtol=0, atol=1e-8)
            np.testing.assert_allclose(bj, bp, rtol=0, atol=1e-8)
        assert js["accuracy"] == py.accuracy(X, y)
        assert js["init"] == py.init == "given"
        final = tinynet._gradients(py.params, act, X, y)[0]
        np.testing.assert_allclose(js["grad_norms"], [np.linalg.norm(gW) for gW, _ in final],
                                   rtol=1e-6, atol=1e-12)
    assert worst < TOL
    # the runs learn something, so the comparison is not between constants
    assert np.mean([r[2].loss[-1] < r[2].loss[0] for r in runs]) > 0.9


@pytest.mark.parametrize("task", sorted(tinynet.TASKS))
@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu"])
def test_deterministic_inits_match_without_weights(task, activation):
    X, y = _data(task)
    cases = [("zeros", 1.0, "zeros"), ("ones", 0.5, initializers.constant(0.5)), ("ones", 1.0, "ones")]
    results = engine([("train", _options(X, y, sizes=[2, 4, 3, 1], activation=activation, init=js_init,
                                         scale=scale, steps=80)) for js_init, scale, _ in cases])
    for (js_init, scale, py_init), js in zip(cases, results):
        py = tinynet.train(X, y, sizes=(2, 4, 3, 1), activation=activation, init=py_init, steps=80)
        assert np.abs(np.asarray(js["loss"], dtype=float) - py.loss).max() < TOL, (js_init, scale)
        assert js["accuracy"] == py.accuracy(X, y)


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu", "selu"])
def test_constant_init_keeps_every_hidden_unit_a_copy_in_the_page(activation):
    X, y = _data("circles", n=200)
    js = call("train", _options(X, y, sizes=[2, 4, 3, 1], activation=activation, init="ones", scale=0.3,
                                lr=1.0, steps=300))
    params = _params(js["params"])
    sizes = (2, 4, 3, 1)
    for l, (W, b) in enumerate(params[:-1]):
        W = W.reshape(sizes[l], sizes[l + 1])
        assert tinynet.unit_spread(W) == 0 and np.ptp(b) == 0, (activation, l)
    assert np.ptp(params[0][0]) > 0 or activation == "relu"   # the copies did move (ReLU may die)
    assert js["loss"][-1] != js["loss"][0]


def test_random_inits_are_drawn_by_the_engine_and_reproducible():
    X, y = _data("moons")
    opts = _options(X, y, sizes=[2, 8, 8, 1], init="he_normal", seed=3, steps=20)
    a, b, c, start = engine([("train", opts), ("train", opts), ("train", {**opts, "seed": 4}),
                             ("train", {**opts, "steps": 0})])
    assert a["loss"] == b["loss"] and a["loss"] != c["loss"]
    drawn = [np.asarray(p["W"], dtype=float) for p in start["params"]]
    for l, W in enumerate(drawn):           # the engine's initializer: std √(2/fan_in)
        assert 0 < W.std() < 4 * np.sqrt(2 / (2, 8, 8)[l])
    again = call("train", {**opts, "weights": [W.tolist() for W in drawn], "seed": 0})
    assert again["loss"] == a["loss"]


def test_bad_input_names_what_is_valid():
    X, y = _data("circles", n=10)
    ok = _options(X, y)
    bad = engine([
        ("train", {**ok, "sizes": [2, 4, 2]}),
        ("train", {**ok, "activation": "tahn"}),
        ("train", {**ok, "init": "glorot"}),
        ("train", {**ok, "lr": 0}),
        ("train", {**ok, "steps": -1}),
        ("train", {**ok, "y": [2] * 10}),
        ("train", {**ok, "x": X[:, :1].tolist()}),
        ("train", {**ok, "weights": [[[0] * 4] * 2]}),
        ("train", {**ok, "weights": [[[0] * 4] * 2, [[0] * 4]]}),
        ("train", {**ok, "weights": [[[0] * 4] * 2, [[0]] * 4], "scale": 2}),
        ("train", {**ok, "steps": 5, "epochs": 3}),
    ])
    want = [r"sizes must be a list \[n_in, hidden\.\.\., 1\]", "Valid: linear, sigmoid, tanh", "Valid: zeros, ones",
            "lr must be a finite number > 0", "steps must be an integer >= 0", "labels 0 and 1",
            "x must be a 10 × 2 matrix", r"weights must be a list of 2 matrices of shapes \(2, 4\), \(4, 1\)",
            "weights\\[1\\] must be a 4 × 1 matrix", "scale must be 1 when weights are given",
            "unknown option 'epochs'.* Valid: x, y, sizes"]
    for got, pattern in zip(bad, want):
        assert "error" in got, pattern
        assert re.search(pattern, got["error"]), (pattern, got["error"])
