"""The page's JavaScript engine against the Python package it mirrors.

The engine (``src/initlab/static/initlab/engine.js``) runs in Node through ``tests/js/engine_cli.mjs``.

* **Theory**: ``predictVariance`` equals ``propagation.predict_variance`` to 1e-9 relative on a
  grid over every activation, initializer, depth, width and scale (both evaluate the same
  quadrature; the residue is float64 round-off in a different summation order).
* **Same inputs**: fed the same x, weights and output gradient, ``simulate`` reproduces every
  per-layer statistic of ``propagation.simulate`` up to float32 round-off.
* **Statistics**: with their own random numbers, the medians over seeds of the forward and backward
  std ratios and of the saturated and dead fractions agree on a full grid over activation ×
  initializer × depth × width × scale, within Z = 5 standard errors of the difference of two
  medians, the standard error estimated from the seed-to-seed spread of each side.
* **Words and tables**: the verdict, the number formatting, the names, aliases, variances, limits
  and errors are those of ``widgets.verdict`` and ``initializers``.

Locally the tests skip, with the reason, when Node is missing; in CI (``CI`` set) that is a failure.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from initlab import initializers as ini
from initlab import propagation as P
from initlab import widgets

from _stats import Z

ROOT = Path(__file__).resolve().parents[1]
CLI = ROOT / "tests" / "js" / "engine_cli.mjs"
NODE = shutil.which("node")
STATS = ("pre_std", "act_std", "act_mean", "grad_std", "saturation", "dead")


def _require_node():
    if NODE:
        return
    if os.environ.get("CI"):
        pytest.fail("Node.js is not installed; the engine tests need it (apt-get install nodejs)")
    pytest.skip("no Node.js found: install it (e.g. apt-get install nodejs) to test the page's engine")


def _encode(v):
    if isinstance(v, float) and not math.isfinite(v):
        return "NaN" if math.isnan(v) else ("Infinity" if v > 0 else "-Infinity")
    if isinstance(v, np.ndarray):
        return [_encode(x) for x in v.tolist()]
    if isinstance(v, (list, tuple)):
        return [_encode(x) for x in v]
    if isinstance(v, dict):
        return {k: _encode(x) for k, x in v.items()}
    return v


def _decode(v):
    if v in ("Infinity", "-Infinity", "NaN"):
        return float(v.replace("Infinity", "inf"))
    if isinstance(v, list):
        return [_decode(x) for x in v]
    if isinstance(v, dict):
        return {k: _decode(x) for k, x in v.items()}
    return v


def engine(calls):
    """Run a list of (function name, args...) in the engine; return the list of results."""
    _require_node()
    payload = json.dumps([{"fn": fn, "args": _encode(list(args))} for fn, *args in calls])
    done = subprocess.run([NODE, str(CLI)], input=payload, capture_output=True, text=True,
                          timeout=600, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    return _decode(json.loads(done.stdout))


def call(fn, *args):
    return engine([(fn, *args)])[0]


# ---------------------------------------------------------------------------------------------
# Theory

THEORY_GRID = list(itertools.product(P.ACTIVATIONS, ini.NAMES, (1, 7, 30), (4, 256), (0.3, 1.0, 3.0)))


def test_predict_variance_matches_python():
    keys = ("pre_var", "pre_std", "act_mean", "act_std", "act_sq", "grad_var", "grad_std", "weight_var")
    results = engine([("predictVariance", dict(activation=a, init=i, depth=d, width=w, scale=s))
                      for a, i, d, w, s in THEORY_GRID])
    worst = 0.0
    for (a, i, d, w, s), js in zip(THEORY_GRID, results):
        py = P.predict_variance(activation=a, init=i, depth=d, width=w, scale=s)
        assert js["valid"] == py.valid and js["note"] == py.note, (a, i, d, w, s)
        for k in keys:
            want, got = np.asarray(getattr(py, k)), np.asarray(js[k], dtype=float)
            assert np.array_equal(np.isinf(want), np.isinf(got)), (a, i, d, w, s, k)
            fin = np.isfinite(want)
            # Relative error; a mean is measured against the rms, since E f(z) may cancel to ~0.
            size = np.sqrt(py.act_sq[fin]) if k == "act_mean" else np.abs(want[fin])
            err = np.abs(got[fin] - want[fin]) / np.where(size > 0, size, 1.0)
            worst = max(worst, float(err.max(initial=0.0)))
            assert err.max(initial=0.0) < 1e-9, (a, i, d, w, s, k, err.max())
    assert worst < 1e-9


def test_predict_variance_input_var_and_errors():
    js = call("predictVariance", dict(activation="tanh", init="lecun_normal", depth=3, width=8,
                                      input_var=2.5))
    py = P.predict_variance(activation="tanh", init="lecun_normal", depth=3, width=8, input_var=2.5)
    np.testing.assert_allclose(js["pre_var"], py.pre_var, rtol=1e-12)
    bad = call("predictVariance", dict(activation="swish"))
    assert "Valid: linear, sigmoid, tanh, relu, leaky_relu, selu, scaled_tanh" in bad["error"]


# ---------------------------------------------------------------------------------------------
# Simulation, fed the same numbers

def _same_inputs(activation, init, depth, width, batch, scale, seed):
    """x, the weights and the output gradient of one Python run, reconstructed.

    With x and weights given, simulate's seed draws only g_L, first (its documented order)."""
    rng = np.random.default_rng(seed + 1000)
    x = rng.standard_normal((batch, width)).astype(np.float32)
    weights = P.sample_weights([width] * (depth + 1), init, seed=seed + 2000)
    g = np.random.default_rng(seed).standard_normal((batch, width), dtype=np.float32)
    py = P.simulate(depth=depth, width=width, activation=activation, init=init, batch=batch,
                    scale=scale, seed=seed, x=x, weights=weights)
    return x, weights, g, py


SAME = [  # (activation, init, depth, width, batch, scale): a regime each, none of them chaotic
    ("relu", "he_normal", 30, 64, 32, 1.0), ("relu", "glorot_normal", 30, 64, 32, 1.0),
    ("tanh", "glorot_uniform", 10, 48, 36, 1.0), ("tanh", "random_normal", 8, 32, 32, 20.0),
    ("sigmoid", "glorot_uniform", 10, 40, 32, 1.0), ("selu", "lecun_normal", 20, 64, 32, 1.0),
    ("leaky_relu", "he_uniform", 12, 30, 34, 1.0), ("scaled_tanh", "lecun_uniform", 12, 32, 32, 1.0),
    ("linear", "orthogonal", 12, 33, 32, 1.0), ("relu", "random_normal", 30, 64, 32, 100.0),
    ("tanh", "zeros", 5, 16, 32, 1.0), ("sigmoid", "ones", 5, 4, 32, 1.0),
    ("relu", "numpy_rand", 6, 16, 32, 1.0), ("linear", "he_normal", 30, 64, 32, 30.0),
]


@pytest.mark.parametrize("case", SAME, ids=[f"{c[0]}-{c[1]}-x{c[5]:g}" for c in SAME])
def test_simulate_matches_python_on_the_same_numbers(case):
    activation, init, depth, width, batch, scale = case
    x, weights, g, py = _same_inputs(activation, init, depth, width, batch, scale, seed=5)
    js = call("simulateVerdict", dict(activation=activation, init=init, depth=depth, width=width,
                                      batch=batch, scale=scale, x=x, weights=weights, g=g, seed=5))
    assert js["overflow_layer"] == py.overflow_layer
    assert js["grad_overflow_layer"] == py.grad_overflow_layer
    n = batch * width
    z_rms, a_rms, a = [], [], x.astype(np.float64)
    with np.errstate(all="ignore"):
        for w in weights:
            z = a @ (scale * w.astype(np.float64))
            a = P.activate(activation, z)
            z_rms.append(np.sqrt(np.mean(z * z)))
            a_rms.append(np.sqrt(np.mean(a * a)))
    z_rms, a_rms = np.array(z_rms), np.array(a_rms)
    for k in STATS:
        want, got = getattr(py, k), np.asarray(js[k], dtype=float)
        assert np.array_equal(np.isinf(want), np.isinf(got)), k
        fin = np.isfinite(want)
        if k == "saturation":    # a value within float32 round-off of the threshold may flip
            np.testing.assert_allclose(got[fin], want[fin], atol=3 / n, err_msg=k)
        elif k == "dead":
            np.testing.assert_allclose(got[fin], want[fin], atol=1 / width, err_msg=k)
        else:   # float32 round-off, compounded over the layers, relative to the values' rms
            rms = {"pre_std": z_rms, "act_std": a_rms, "act_mean": a_rms}.get(k, np.abs(want))[fin]
            assert np.all(np.abs(got[fin] - want[fin]) <= 1e-4 * np.abs(want[fin]) + 1e-5 * rms), k
    assert js["verdict"] == widgets.verdict(py)
    if py.ok:
        assert js["message"] == py.message


def test_wasm_and_javascript_products_agree():
    out = call("kernelsAgree", dict(activation="tanh", init="glorot_uniform", depth=12, width=37,
                                    batch=10, seed=3))
    assert out["simd"], "Node should run WebAssembly SIMD"
    for k in STATS:
        np.testing.assert_allclose(out["wasm"][k], out["js"][k], rtol=1e-4, atol=1e-7, err_msg=k)


# ---------------------------------------------------------------------------------------------
# Simulation, statistically

SEEDS = 8
# Left out: numpy_rand (weights in [0, 1), mean ½) with a bounded activation. Its all-positive
# weights push every unit into saturation, where float32 tanh returns exactly ±1 and f' exactly 0;
# whether any gradient survives then hangs on the last bit of each library's float32 tanh near ±1
# (numpy's own SIMD routine, the browser's Math.tanh rounded), not on the statistics compared here.
GRID = [c for c in itertools.product(P.ACTIVATIONS, ini.NAMES, (3, 12), (16, 48), (0.5, 1.0, 2.0))
        if not (c[1] == "numpy_rand" and c[0] in ("sigmoid", "tanh", "scaled_tanh"))]


def _features(sim) -> list[float]:
    """log10 of the forward and backward ratios (nan when undefined), the last layer's saturated
    and dead fractions, and where each pass overflowed (depth + 1: nowhere).

    A last layer whose activations vary by less than 1e-5 of their mean (a sigmoid net stuck at
    its fixed point) has a std below float32 resolution: round-off, which BLAS and the page sum
    in different orders. Its forward ratio counts as -inf, "below resolution", on both sides."""
    def log(r):
        return math.nan if r is None else (math.inf if r == math.inf else
                                           (-math.inf if r == 0 else math.log10(r)))
    g = lambda o, k: o[k] if isinstance(o, dict) else getattr(o, k)
    depth = g(sim, "depth")
    unresolved = g(sim, "act_std")[-1] < 1e-5 * abs(g(sim, "act_mean")[-1])
    # No gradient at layer 1: whether the last layer's is 0 too (ratio 0/0) depends on float32
    # tanh rounding a saturated unit to exactly ±1, which numpy and the browser do differently.
    no_grad = g(sim, "grad_std")[0] == 0
    return [-math.inf if unresolved else log(g(sim, "ratio")),
            -math.inf if no_grad else log(g(sim, "grad_ratio")),
            g(sim, "saturation")[-1], g(sim, "dead")[-1], g(sim, "overflow_layer") or depth + 1,
            g(sim, "grad_overflow_layer") or depth + 1]


def _se_of_median(values):
    """Standard error of a median of n values, 1.2533·σ/√n, σ from the MAD (robust to a stray
    seed); the MAD of an all-equal sample is 0."""
    v = np.asarray(values)
    mad = np.median(np.abs(v - np.median(v))) * 1.4826
    return 1.2533 * mad / math.sqrt(len(v))


def _compare(a, b, fraction):
    """(difference, tolerance) of two samples over seeds: medians for the ratios and layers, means
    for the fractions (whole units saturate or die together, so they come in steps of 1/width and
    a median of such steps jumps; a mean does not)."""
    fa, fb = a[np.isfinite(a)], b[np.isfinite(b)]
    if fraction:
        se = math.sqrt((np.var(fa, ddof=1) + np.var(fb, ddof=1)) / len(fa))
        return abs(fa.mean() - fb.mean()), Z * se
    return abs(np.median(a) - np.median(b)), Z * math.hypot(_se_of_median(fa), _se_of_median(fb))


def test_simulate_statistics_match_python_over_a_grid():
    batch = 32
    calls, py_runs = [], []
    for a, i, d, w, s in GRID:
        opts = dict(activation=a, init=i, depth=d, width=w, batch=batch, scale=s)
        calls += [("simulate", {**opts, "seed": seed}) for seed in range(SEEDS)]
        py_runs.append([_features(P.simulate(**opts, seed=seed)) for seed in range(SEEDS)])
    js_runs = engine(calls)
    failures = []
    names = ("log10 ratio", "log10 grad_ratio", "saturation", "dead", "overflow_layer",
             "grad_overflow_layer")
    for c, (case, py) in enumerate(zip(GRID, py_runs)):
        js = [_features(r) for r in js_runs[c * SEEDS:(c + 1) * SEEDS]]
        width = case[3]
        # Round-off floors: a hundredth of a decade, one value flipping at a threshold, one layer.
        floors = (0.01, 0.01, 1 / (batch * width), 1 / (batch * width), 1.0, 1.0)
        for k, name in enumerate(names):
            a, b = np.array([r[k] for r in py]), np.array([r[k] for r in js])
            ma, mb = np.median(a), np.median(b)
            if not (np.isfinite(ma) and np.isfinite(mb)):
                if not (ma == mb or (np.isnan(ma) and np.isnan(mb))):
                    failures.append((case, name, ma, mb))
                continue
            diff, tol = _compare(a, b, fraction=name in ("saturation", "dead"))
            if diff > tol + floors[k]:
                failures.append((case, name, round(ma, 4), round(mb, 4), round(tol + floors[k], 4)))
    assert not failures, f"{len(failures)} of {len(GRID) * len(names)} disagree, e.g. {failures[:8]}"


def test_the_same_seed_gives_the_same_run_and_depth_keeps_the_layers():
    base = dict(activation="tanh", init="glorot_normal", width=24, batch=8, seed=11)
    a, b, deeper, other = engine([("simulate", {**base, "depth": 6}), ("simulate", {**base, "depth": 6}),
                                  ("simulate", {**base, "depth": 9}),
                                  ("simulate", {**base, "depth": 6, "seed": 12})])
    assert a["pre_std"] == b["pre_std"] and a["grad_std"] == b["grad_std"]
    assert deeper["pre_std"][:6] == a["pre_std"]          # layer l's weights depend on (seed, l)
    assert other["pre_std"] != a["pre_std"]


# ---------------------------------------------------------------------------------------------
# Words, numbers and tables

def _python_sim(**fields):
    depth = len(fields["pre_std"])
    base = dict(depth=depth, widths=(4,) * (depth + 1), activation="relu", init="he_normal",
                initializer=ini.get("he_normal"), scale=1.0, batch=8, dtype="float32",
                overflow_layer=None, grad_overflow_layer=None, message="")
    base.update(fields)
    for k in STATS:
        base[k] = np.asarray(base[k], dtype=float)
    return P.Simulation(**base)


def _verdict_cases():
    rng = np.random.default_rng(0)
    cases = []
    for activation in P.ACTIVATIONS:
        for _ in range(40):
            depth = int(rng.integers(1, 6))
            pre = 10.0 ** rng.uniform(-6, 6, depth)
            cases.append(dict(activation=activation, pre_std=pre, act_std=pre / 2,
                              act_mean=rng.standard_normal(depth), grad_std=10.0 ** rng.uniform(-6, 6, depth),
                              saturation=rng.choice([0.0, 0.4, 0.5, 0.625, 0.9], depth),
                              dead=rng.choice([0.0, 0.5, 0.505, 0.875], depth)))
    cases += [
        dict(activation="tanh", pre_std=[0.0, 0.0], act_std=[0.0, 0.0], act_mean=[0.0, 0.0],
             grad_std=[0.0, 0.0], saturation=[0.0, 0.0], dead=[0.0, 0.0]),
        dict(activation="sigmoid", pre_std=[0.0, 0.0], act_std=[0.0, 0.0], act_mean=[0.5, 0.5],
             grad_std=[0.0, 0.0], saturation=[0.0, 0.0], dead=[0.0, 0.0]),
        dict(activation="relu", pre_std=[1.0, math.inf], act_std=[1.0, math.inf],
             act_mean=[1.0, math.inf], grad_std=[math.inf, math.inf], saturation=[0.0, math.inf],
             dead=[0.0, math.inf], overflow_layer=2),
        dict(activation="relu", pre_std=[1.0, 2.0], act_std=[1.0, 2.0], act_mean=[1.0, 1.0],
             grad_std=[math.inf, 2.0], saturation=[0.0, 0.0], dead=[0.0, 0.0], grad_overflow_layer=1),
        dict(activation="relu", pre_std=[1.0, 99.5], act_std=[1.0, 99.5], act_mean=[1.0, 1.0],
             grad_std=[1.0, 1.0], saturation=[0.0, 0.0], dead=[0.0, 0.0]),
    ]
    return cases


def test_verdict_reads_as_in_python():
    cases = _verdict_cases()
    sims = [_python_sim(**c) for c in cases]
    js_in = [{**{k: np.asarray(getattr(s, k)) for k in STATS}, "depth": s.depth,
              "activation": s.activation, "overflow_layer": s.overflow_layer,
              "grad_overflow_layer": s.grad_overflow_layer, "ratio": s.ratio,
              "grad_ratio": s.grad_ratio} for s in sims]
    got = engine([("verdict", s) for s in js_in])
    for sim, js in zip(sims, got):
        assert js["value"] == widgets.verdict(sim)


def test_python_number_formats():
    values = [0.0, -0.0, 0.125, 0.135, 2.5, 99.5, 0.01, 1234.5, 3.14159e-5, 0.625, 62.5, 1e300,
              math.inf, -math.inf, 1.0, 100.0, 1e-4, 9.999, 0.5, 5e-324, 123456789.0]
    values += list(np.random.default_rng(1).lognormal(0, 6, 300))
    specs = (".2g", ".0e", ".3g", ".4g", ".0%", ".1f")
    got = engine([("pyFormat", v, s) for v in values for s in specs])
    want = [format(float(v), s) for v in values for s in specs]
    bad = [(v, s, w, g["value"]) for (v, s), w, g in
           zip(itertools.product(values, specs), want, got) if w != g["value"]]
    assert not bad, bad[:10]


def test_initializer_tables_match_python():
    names = ini.NAMES + tuple(ini.ALIASES)
    tables = engine([("initializerName", n) for n in names]
                    + [("initializerName", "HeNormal"), ("initializerName", "kaiming-normal"),
                       ("initializerName", "GlorotUniform"), ("initializerName", "he_nromal")])
    assert [t["value"] for t in tables[:len(names)]] == [ini.get(n).name for n in names]
    assert [t["value"] for t in tables[len(names):-1]] == ["he_normal", "he_normal", "glorot_uniform"]
    assert "Did you mean 'he_normal'?" in tables[-1]["error"] and "glorot_standard" in tables[-1]["error"]
    assert call("NAMES")["value"] == list(ini.NAMES) and call("ALIASES") == ini.ALIASES
    shapes = [(1, 1), (3, 7), (256, 256), (1000, 10)]
    calls = [(fn, n, a, b) for n in ini.NAMES for a, b in shapes
             for fn in ("initializerStd", "initializerBounds", "initializerMean")]
    for (fn, n, a, b), js in zip(calls, engine(calls)):
        init = ini.get(n)
        if fn == "initializerStd":
            want = init.std((a, b))
        elif fn == "initializerBounds":
            want = list(init.bounds((a, b)))
        else:
            want = P._weight_mean(init, (a, b))
        assert js["value"] == pytest.approx(want, rel=1e-14, abs=0), (fn, n, a, b)


@pytest.mark.parametrize("shape", [(300, 300), (120, 500), (500, 120)])
def test_sampled_weights_have_the_promised_std_and_support(shape):
    """Each initializer's draws in the page have the std and the support of the Python tables:
    the sample std within Z standard errors, SE = σ·√((κ − 1)/(4n)) for n draws of kurtosis κ
    (κ ≤ 3 here: uniform 1.8, truncated normal 2.4, normal 3, orthogonal ≈ 3)."""
    rows, cols = shape
    got = engine([("sampleWeights", dict(widths=[rows, cols], init=n, seed=4)) for n in ini.NAMES])
    for name, js in zip(ini.NAMES, got):
        init = ini.get(name)
        w = np.asarray(js["value"][0], dtype=np.float64)
        assert w.shape == (rows * cols,), name
        low, high = init.bounds((rows, cols))
        assert low - 1e-6 * abs(low) <= w.min() and w.max() <= high + 1e-6 * abs(high), name
        sigma = init.std((rows, cols))
        se = sigma * math.sqrt((3 - 1) / (4 * w.size))
        assert abs(w.std() - sigma) <= Z * se + 1e-7, (name, w.std(), sigma)
        if name == "orthogonal":
            m = w.reshape(rows, cols)
            gram = m.T @ m if rows >= cols else m @ m.T
            np.testing.assert_allclose(gram, np.eye(min(rows, cols)), atol=1e-5)


def test_bad_parameters_name_what_is_valid():
    bad = engine([
        ("simulate", dict(depth=0)), ("simulate", dict(width=2.5)), ("simulate", dict(batch=1)),
        ("simulate", dict(scale=-1)), ("simulate", dict(init="xavier")), ("simulate", dict(activation=3)),
        ("simulate", dict(depht=3)), ("simulate", dict(depth=100, width=4096, batch=8)),
        ("simulate", dict(width=4, depth=2, batch=2, x=[[1, 2, 3]])),
    ])
    messages = [b.get("error", "") for b in bad]
    assert "depth must be an integer >= 1" in messages[0]
    assert "width must be an integer >= 1" in messages[1]
    assert "batch must be an integer >= 2" in messages[2]
    assert "scale must be a finite number > 0" in messages[3]
    assert "Valid: zeros, ones" in messages[4]
    assert "one of linear, sigmoid" in messages[5]
    assert "Did you mean 'depth'?" in messages[6] and "Valid: depth, width" in messages[6]
    assert "MAX_BYTES" in messages[7]
    assert "x must be a 2 × 4 matrix" in messages[8]


def test_the_engine_tests_pass_in_node():
    """tests/js/engine.test.mjs: the engine alone (streams, weights, kernels, overflow, errors)."""
    _require_node()
    done = subprocess.run([NODE, "--test", str(ROOT / "tests" / "js")], capture_output=True,
                          text=True, timeout=600, cwd=ROOT)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
