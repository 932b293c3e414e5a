"""The exercise checks accept correct alternatives and name the typical mistakes."""

from __future__ import annotations

import math

import numpy as np
import pytest

from initlab import checks, initializers
from initlab.initializers import compute_fans


def glorot_std(shape):
    fan_in, fan_out = compute_fans(shape)
    return math.sqrt(2 / (fan_in + fan_out))


def he_std(shape):
    return math.sqrt(2 / compute_fans(shape)[0])


def lecun_std(shape):
    return math.sqrt(1 / compute_fans(shape)[0])


@pytest.mark.parametrize("scheme, reference", [("glorot", glorot_std), ("he", he_std), ("lecun", lecun_std),
                                               ("he_fan_out", lambda s: math.sqrt(2 / compute_fans(s)[1]))])
def test_check_std_accepts_the_formula_and_the_library(scheme, reference):
    assert checks.check_std(reference, scheme).passed
    scale, mode = checks.SCHEMES[scheme]
    assert checks.check_std(initializers.VarianceScaling(scale, mode).std, scheme).passed


@pytest.mark.parametrize("scheme, wrong, hint", [
    ("glorot", lambda s: math.sqrt(1 / sum(compute_fans(s))), "without the 2"),
    ("glorot", lambda s: math.sqrt(1 / compute_fans(s)[0]), "LeCun"),
    ("glorot", lambda s: glorot_std(s) ** 2, "variance"),
    ("glorot", lambda s: math.sqrt(3) * glorot_std(s), "uniform limit"),
    ("he", lambda s: math.sqrt(1 / compute_fans(s)[0]), "factor 2"),
    ("he", lambda s: math.sqrt(2 / compute_fans(s)[1]), "other fan"),
    ("he", lambda s: math.sqrt(2 / s[-2]), "receptive field"),
    ("lecun", lambda s: math.sqrt(2 / compute_fans(s)[0]), "He's"),
])
def test_check_std_names_the_mistake(scheme, wrong, hint):
    feedback = checks.check_std(wrong, scheme)
    assert not feedback.passed and hint in feedback.message, feedback.message


def test_check_std_survives_a_crashing_or_silly_answer():
    assert "raised ZeroDivisionError" in checks.check_std(lambda s: 1 / 0).message
    assert "single number" in checks.check_std(lambda s: [0.1]).message
    assert "finite" in checks.check_std(lambda s: float("nan")).message
    assert "expected a function" in checks.check_std(0.1).message


def _uniform(std):
    return lambda shape, rng: rng.uniform(-math.sqrt(3) * std(shape), math.sqrt(3) * std(shape), size=shape)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("scheme, std", [("glorot", glorot_std), ("he", he_std), ("lecun", lecun_std)])
def test_check_sampler_accepts_correct_alternatives(seed, scheme, std):
    name = {"glorot": "glorot", "he": "he", "lecun": "lecun"}[scheme]
    # three uniform implementations, and normal ones: untruncated, truncated (initlab's)
    alternatives = [
        ("uniform", _uniform(std)),
        ("uniform", lambda shape, rng: (2 * rng.random(shape) - 1) * math.sqrt(3) * std(shape)),
        ("uniform", lambda shape, rng: initializers.get(f"{name}_uniform")(shape, seed=rng)),
        ("normal", lambda shape, rng: rng.normal(0.0, std(shape), size=shape)),
        ("normal", lambda shape, rng: std(shape) * np.random.default_rng(seed + 7).standard_normal(shape)),
        ("normal", lambda shape, rng: initializers.get(f"{name}_normal")(shape, seed=rng)),
    ]
    for distribution, sampler in alternatives:
        feedback = checks.check_sampler(sampler, scheme, distribution, seed=seed)
        assert feedback.passed, (distribution, feedback.message)


@pytest.mark.parametrize("wrong, distribution, hint", [
    (lambda shape, rng: rng.uniform(-glorot_std(shape), glorot_std(shape), size=shape), "uniform",
     "your limit is σ, but U(−limit, limit) has std limit/√3: the limit must be √3·σ"),
    (lambda shape, rng: rng.normal(0, math.sqrt(6 / sum(compute_fans(shape))), size=shape), "normal", "uniform limit"),
    (lambda shape, rng: rng.normal(0, glorot_std(shape), size=shape), "uniform", "look normal"),
    (lambda shape, rng: _uniform(glorot_std)(shape[::-1], rng), "uniform", "transposed"),
    (lambda shape, rng: rng.uniform(0, math.sqrt(6 / sum(compute_fans(shape))), size=shape), "uniform", "centred on 0"),
    (lambda shape, rng: np.clip(rng.normal(0, glorot_std(shape), size=shape),
                                -2 * glorot_std(shape), 2 * glorot_std(shape)),
     "normal", None),
    (lambda shape, rng: initializers.truncated_normal(stddev=1.0)(shape, seed=rng) * glorot_std(shape),
     "normal", "0.8796"),
    (lambda shape, rng: rng.normal(0, math.sqrt(1 / sum(compute_fans(shape))), size=shape), "normal", "without the 2"),
])
def test_check_sampler_names_the_mistake(wrong, distribution, hint):
    feedback = checks.check_sampler(wrong, "glorot", distribution)
    assert not feedback.passed
    assert hint is None or hint in feedback.message, feedback.message


def test_check_fans():
    assert checks.check_fans(compute_fans).passed
    assert "receptive field" in checks.check_fans(lambda s: (s[-2], s[-1])).message
    assert "swapped" in checks.check_fans(lambda s: compute_fans(s)[::-1]).message
    assert "pair" in checks.check_fans(lambda s: 3).message


def test_chapter_1_checks():
    assert checks.check_signal_after(lambda d, n, s: (math.sqrt(n) * s) ** d).passed
    assert checks.check_signal_after(lambda d, n, s: math.exp(d * (0.5 * math.log(n) + math.log(s)))).passed
    assert "square root" in checks.check_signal_after(lambda d, n, s: (n * s * s) ** d).message
    assert "off by one" in checks.check_signal_after(lambda d, n, s: (math.sqrt(n) * s) ** (d - 1)).message
    assert checks.check_heuristic_width(lambda limit: 3 / limit**2).passed
    # "the number of inputs" is a whole number: 33 for limit = 0.3, rounded any way, is right too
    for whole in (round, math.floor, math.ceil, int):
        assert checks.check_heuristic_width(lambda limit, whole=whole: whole(3 / limit**2)).passed, whole
    assert checks.check_heuristic_width(lambda limit: 33).passed is False   # right at 0.3 only
    assert not checks.check_heuristic_width(lambda limit: round(3 / limit**2) + 1).passed
    assert "limit²/3" in checks.check_heuristic_width(lambda limit: 1 / limit**2).message


@pytest.mark.parametrize("activation, truth", [("tanh", {"b2"}), ("relu", {"b2"}), ("sigmoid", {"W2", "b2"})])
def test_which_params_learn(activation, truth):
    assert checks.check_which_params_learn(truth, activation).passed
    assert checks.check_which_params_learn(list(truth), activation).passed
    wrong = checks.check_which_params_learn(truth ^ {"W2"}, activation)
    assert not wrong.passed and "W2" in wrong.message
    assert not checks.check_which_params_learn({"W1", "b1", "W2", "b2"}, activation).passed
    assert "choose from" in checks.check_which_params_learn({"W3"}, activation).message
    assert "set of names" in checks.check_which_params_learn("b2", activation).message


def test_relu_moments():
    rng = np.random.default_rng(0)
    z = rng.standard_normal(1_000_000)
    r = np.maximum(z, 0)
    assert checks.check_relu_moments((np.mean(r**2) / np.mean(z**2), r.var() / z.var())).passed
    assert "second moment that halves" in checks.check_relu_moments((0.5, 0.5)).message
    assert "pair" in checks.check_relu_moments(0.5).message


def test_linear_std_ratio():
    assert checks.check_linear_std_ratio(
        lambda w, v: math.sqrt(math.prod(n * x for n, x in zip(w[:-1], v)))).passed
    assert "fan_in" in checks.check_linear_std_ratio(
        lambda w, v: math.sqrt(math.prod(n * x for n, x in zip(w[1:], v)))).message


def test_feedback_displays_and_asserts():
    good, bad = checks.Feedback(True, "fine"), checks.Feedback(False, "wrong <fan>")
    assert bool(good) and not bool(bad)
    assert "&lt;fan&gt;" in bad._repr_html_()
    good.assert_passed()
    with pytest.raises(AssertionError, match="wrong <fan>"):
        bad.assert_passed()


def test_linear_grad_ratio():
    right = lambda w, v: math.sqrt(math.prod(n * x for n, x in zip(w[1:], v)))
    assert checks.check_linear_grad_ratio(right).passed
    # an alternative that runs the backward recursion layer by layer
    def by_recursion(w, v):
        r = 1.0
        for l in range(len(v), 0, -1):
            r *= w[l] * v[l - 1]
        return r ** 0.5
    assert checks.check_linear_grad_ratio(by_recursion).passed
    for wrong, hint in [
        (lambda w, v: math.sqrt(math.prod(n * x for n, x in zip(w[:-1], v))), "fan_out"),
        (lambda w, v: math.prod(n * x for n, x in zip(w[1:], v)), "square root"),
        (lambda w, v: 1 / right(w, v), "inverted"),
        (lambda w, v: math.sqrt(math.prod(n * x for n, x in zip(w[2:], v[1:]))), "W_1"),
        (lambda w, v: None, "return"),
    ]:
        feedback = checks.check_linear_grad_ratio(wrong)
        assert not feedback.passed and hint in feedback.message, feedback.message
    assert "check_linear_grad_ratio" in checks.__all__


def test_check_uniform_variance_factor():
    assert checks.check_uniform_variance_factor(lambda n, limit: n * limit**2 / 3).passed
    assert checks.check_uniform_variance_factor(lambda n, limit: n * (2 * limit) ** 2 / 12).passed
    assert checks.check_uniform_variance_factor(
        lambda n, limit: n * initializers.RandomUniform(-limit, limit).std((n, 1)) ** 2).passed
    for wrong, hint in [
        (lambda n, limit: n * limit**2, "limit²/3, not limit²: you forgot the /3"),
        (lambda n, limit: math.sqrt(n / 3) * limit, "std"),
        (lambda n, limit: limit**2 / 3, "multiply by fan_in"),
        (lambda n, limit: n * limit**2 / 12, "(2·limit)²/12"),
        (lambda n, limit: n * limit / 3, "square the limit"),
        (lambda n, limit: 3 / (n * limit**2), "inverted"),
        (lambda n, limit: None, "return"),
        (lambda n, limit: 1 / 0, "ZeroDivisionError"),
    ]:
        feedback = checks.check_uniform_variance_factor(wrong)
        assert not feedback.passed and hint in feedback.message, feedback.message
        # the uniform's bound is "limit": L is the depth (and ℒ the loss) everywhere in the course
        assert "L," not in feedback.message and "L²" not in feedback.message, feedback.message
    assert "check_uniform_variance_factor" in checks.__all__


def test_check_leaky_gain():
    assert checks.check_leaky_gain(lambda slope: math.sqrt(2 / (1 + slope**2))).passed
    assert checks.check_leaky_gain(lambda slope: initializers.gain("leaky_relu", slope)).passed
    assert "square root" in checks.check_leaky_gain(lambda slope: 2 / (1 + slope**2)).message
    # the negative slope is s (chapter 4); a is an activation
    assert "1 + s², not 1 + s" in checks.check_leaky_gain(lambda slope: math.sqrt(2 / (1 + slope))).message


def test_check_leaky_he_drift():
    want = (1 + 0.2**2) ** (49 / 2)
    for right in (want, round(want, 2), round(want, 1), np.float32(want)):
        assert checks.check_leaky_he_drift(right, slope=0.2, depth=50).passed, right
    assert checks.check_leaky_he_drift((1 + 0.01**2) ** 14.5, slope=0.01, depth=30).passed
    assert "square root" in checks.check_leaky_he_drift(want**2, slope=0.2, depth=50).message
    assert "49 layers apart" in checks.check_leaky_he_drift(1.04**25, slope=0.2, depth=50).message
    assert "not 1 + s" in checks.check_leaky_he_drift(1.2**24.5, slope=0.2, depth=50).message
    assert "only for s = 0" in checks.check_leaky_he_drift(1, slope=0.2, depth=50).message
    assert not checks.check_leaky_he_drift(9.0, slope=0.2, depth=50).passed
    assert "None" in checks.check_leaky_he_drift(None, slope=0.2, depth=50).message
    with pytest.raises(ValueError, match="depth"):
        checks.check_leaky_he_drift(1.0, slope=0.2, depth=1)


# ---------------------------------------------------------------------------------------------
# Chapter 5: LeCun and SELU

def _selu(z, lam=None, alpha=None):
    from initlab.propagation import SELU_ALPHA, SELU_LAMBDA
    lam = SELU_LAMBDA if lam is None else lam
    alpha = SELU_ALPHA if alpha is None else alpha
    return lam * np.where(z > 0, z, alpha * np.expm1(np.minimum(z, 0)))


def test_selu_exact_moments_are_the_fixed_point():
    from initlab.checks.schemes import _selu_exact_moments

    m1, m2, m4 = _selu_exact_moments()
    assert abs(m1) < 1e-12 and abs(m2 - 1) < 1e-12
    z = np.random.default_rng(0).standard_normal(2_000_000)
    assert np.mean(_selu(z) ** 4) == pytest.approx(m4, rel=0.01)


@pytest.mark.parametrize("seed", range(8))
def test_check_selu_fixed_point_accepts_monte_carlo(seed):
    z = np.random.default_rng(seed).standard_normal(1_000_000)
    s = _selu(z)
    assert checks.check_selu_fixed_point((s.mean(), np.mean(s**2))).passed
    assert checks.check_selu_fixed_point([s.mean(), s.var()]).passed       # Var = E[·²] at mean 0
    assert checks.check_selu_fixed_point(np.array([0.0, 1.0])).passed


@pytest.mark.parametrize("make, hint", [
    (lambda z: _selu(z, 1.0, 1.0), "ELU"),
    (lambda z: _selu(z, 1.0), "left out the factor λ"),
    (lambda z: np.where(z > 0, _selu(z), _selu(z) / 1.0507009873554805), "negative branch too"),
    (lambda z: _selu(z, 1.6732632423543772, 1.0507009873554805), "swapped"),
    (lambda z: 1.0507009873554805 * np.where(z > 0, z, 1.6732632423543772 * np.exp(np.minimum(z, 0))), "not λα·e^z"),
    (lambda z: _selu(np.random.default_rng(9).random(z.size)), "not uniform"),
    (lambda z: _selu(math.sqrt(2) * z), "variance 1, not 2"),
    (lambda z: np.maximum(z, 0), "ReLU"),
])
def test_check_selu_fixed_point_names_the_mistake(make, hint):
    z = np.random.default_rng(5).standard_normal(1_000_000)
    s = make(z)
    feedback = checks.check_selu_fixed_point((s.mean(), np.mean(s**2)))
    assert not feedback.passed and hint in feedback.message, feedback.message


def test_check_selu_fixed_point_bad_input():
    assert "None" in checks.check_selu_fixed_point(None).message
    assert "pair" in checks.check_selu_fixed_point(0.5).message
    assert "pair" in checks.check_selu_fixed_point((1, 2, 3)).message
    assert "not finite" in checks.check_selu_fixed_point((float("nan"), 1.0)).message
    assert not checks.check_selu_fixed_point((0.0, 1.02)).passed
    assert not checks.check_selu_fixed_point((0.02, 1.0)).passed


def test_selu_scale_tolerance_is_the_theory_band():
    from initlab.propagation import predict_variance
    lo, hi = checks.selu_scale_tolerance()
    assert 0.98 < lo < 0.99 < 1.01 < hi < 1.02
    var = lambda s: predict_variance(100, 512, "selu", "lecun_normal", scale=s).act_std[-1] ** 2
    assert var(lo) == pytest.approx(0.9, abs=1e-6) and var(hi) == pytest.approx(1.1, abs=1e-6)


def test_check_selu_scale():
    for good in (1, 1.0, np.float32(1.0), 0.99, 1.01, np.array(1.005)):
        assert checks.check_selu_scale(good).passed, good
    for value, hint in [(math.sqrt(2), "He"), (1.414, "He"), (0.75, "PyTorch"), (math.sqrt(0.5), "collapses"),
                        (1.0507, "λ"), (0.9517, "λ"), (5 / 3, "tanh"), (1.2, "too large"),
                        (0.9, "too small"), (1 / 512, "not with a variance"), (-1.0, "positive"),
                        (None, "None"), ("1", "single number"), (float("inf"), "finite")]:
        feedback = checks.check_selu_scale(value)
        assert not feedback.passed and hint in feedback.message, (value, feedback.message)
    assert {"check_selu_fixed_point", "check_selu_scale"} <= set(checks.__all__)


# ---------------------------------------------------------------------------------------------
# Coursework checks (assignments/)

def test_check_vanish_depth():
    assert checks.check_vanish_depth(10, 500, 0.01).passed          # 0.2236**10 < 1e-6 < 0.2236**9
    assert checks.check_vanish_depth(np.int64(10), 500, 0.01).passed
    for answer, hint in [(5, "variance factor"), (9, "still"), (11, "one layer too many"),
                         (9.5, "whole number"), ("10", "whole number"), (True, "whole number")]:
        feedback = checks.check_vanish_depth(answer, 500, 0.01)
        assert not feedback.passed and hint in feedback.message, (answer, feedback.message)
    with pytest.raises(ValueError, match="vanish"):
        checks.check_vanish_depth(3, 500, 0.1)


def test_check_layer_stds_by_activation():
    widths = [784, 256, 128, 10]
    shapes = list(zip(widths[:-1], widths[1:]))
    for activation, reference in [("relu", he_std), ("tanh", glorot_std), ("selu", lecun_std)]:
        assert checks.check_layer_stds([reference(s) for s in shapes], widths, activation).passed
        assert checks.check_layer_stds(np.array([reference(s) for s in shapes]), widths, activation).passed
    for answer, hint in [([glorot_std(s) for s in shapes], "those are glorot's"),
                         ([he_std(s) ** 2 for s in shapes], "variance"),
                         ([he_std(s) for s in shapes[:2]], "3 weight matrices"),
                         ([he_std(s) for s in shapes[:2]] + [1.0], "layer 3"),
                         (0.05, "list of numbers"), (["a", "b", "c"], "list of numbers")]:
        feedback = checks.check_layer_stds(answer, widths, "relu")
        assert not feedback.passed and hint in feedback.message, feedback.message
    with pytest.raises(ValueError, match="activation"):
        checks.check_layer_stds([], widths, "sigmoid")


@pytest.fixture(scope="module")
def keras():
    from initlab.training import import_keras
    return import_keras()


def test_check_keras_model_judges_kernels_and_layers(keras):
    L = keras.layers
    schemes = {"relu": "he_uniform", "tanh": keras.initializers.GlorotNormal(), "selu": "lecun_normal"}

    def good(widths, activation):
        return keras.Sequential([keras.Input((widths[0],))] + [
            L.Dense(n, activation=activation, kernel_initializer=schemes[activation]) for n in widths[1:]])

    def custom(widths, activation):                  # a plain function with the right statistics
        scale = {"relu": 2.0, "tanh": None, "selu": 1.0}[activation]
        def init(shape, dtype=None):
            fan_in, fan_out = shape
            var = 2 / (fan_in + fan_out) if scale is None else scale / fan_in
            return np.random.default_rng(fan_in).normal(0, math.sqrt(var), shape).astype("float32")
        return keras.Sequential([keras.Input((widths[0],))] + [
            L.Dense(n, activation=activation, kernel_initializer=init) for n in widths[1:]])

    def default(widths, activation):
        return keras.Sequential([keras.Input((widths[0],))] + [L.Dense(n, activation=activation) for n in widths[1:]])

    assert checks.check_keras_model(good, [20, 40, 30], "relu").passed
    assert checks.check_keras_model(custom).passed
    for build, hint in [(default, "Dense's default"), (lambda w, a: good(w[:-1], a), "layers with a kernel"),
                        (lambda w, a: good(w, "relu"), "activation"), (lambda w, a: None, "Keras model"),
                        (lambda w, a: 1 / 0, "ZeroDivisionError")]:
        feedback = checks.check_keras_model(build)
        assert not feedback.passed and hint in feedback.message, feedback.message


def test_check_keras_defaults(keras):
    right = {"Dense.kernel": "glorot_uniform", "Dense.bias": "zeros", "Conv2D.kernel": "GlorotUniform",
             "LSTM.recurrent": "orthogonal", "Embedding.embeddings": "uniform"}
    assert checks.check_keras_defaults(right).passed
    for key, wrong, hint in [("Dense.kernel", "he_normal", "does not choose by activation"),
                             ("LSTM.recurrent", "glorot_uniform", "orthogonal"),
                             ("Embedding.embeddings", "no_such_init", "knows no initializer")]:
        feedback = checks.check_keras_defaults(dict(right, **{key: wrong}))
        assert not feedback.passed and hint in feedback.message, feedback.message
    assert "no entry for Dense.bias" in checks.check_keras_defaults({"Dense.kernel": "zeros"}).message


def test_check_seed_reuse(keras):
    L, I = keras.layers, keras.initializers

    def model(width, first, second):
        return keras.Sequential([keras.Input((width,)), L.Dense(width, kernel_initializer=first),
                                 L.Dense(width, kernel_initializer=second)])

    def pitfall(width, seed):
        init = I.GlorotUniform(seed=seed)
        return model(width, init, init)

    def two_seeds(width, seed):
        return model(width, I.GlorotUniform(seed=seed), I.GlorotUniform(seed=seed + 1))

    def seed_generator(width, seed):
        generator = keras.random.SeedGenerator(seed)
        return model(width, I.GlorotUniform(seed=generator), I.GlorotUniform(seed=generator))

    assert checks.check_seed_reuse(pitfall, two_seeds).passed
    assert checks.check_seed_reuse(pitfall, seed_generator, width=16, seed=3).passed
    for builds, hint in [((two_seeds, two_seeds), "not the pitfall"), ((pitfall, pitfall), "identical kernels"),
                         ((pitfall, lambda w, s: model(w, "glorot_uniform", "glorot_uniform")), "not reproducible"),
                         ((pitfall, lambda w, s: two_seeds(w, 1)), "ignores its seed"),
                         ((pitfall, lambda w, s: model(w + 1, "zeros", "zeros")), "two Dense(32)")]:
        feedback = checks.check_seed_reuse(*builds)
        assert not feedback.passed and hint in feedback.message, feedback.message


def test_check_variance_scaling(keras):
    VS = keras.initializers.VarianceScaling
    assert checks.check_variance_scaling(VS(2.0, "fan_in", "uniform"), "he_uniform").passed
    assert checks.check_variance_scaling(VS(1.0, "fan_avg", "normal"), "glorot_normal").passed
    assert checks.check_variance_scaling(keras.initializers.LecunNormal(), "lecun_normal").passed
    assert checks.check_variance_scaling(                 # a custom function with the right samples
        lambda shape, dtype=None: (np.random.default_rng(0).uniform(-1, 1, shape)
                                   * math.sqrt(6 / compute_fans(shape)[0])),
        "he_uniform").passed
    for init, name, hint in [(VS(2.0, "fan_in", "untruncated_normal"), "he_normal", "truncated normal"),
                             (VS(1.0, "fan_in", "uniform"), "he_uniform", "scale"),
                             (VS(2.0, "fan_avg", "uniform"), "he_uniform", "mode"),
                             (keras.initializers.GlorotNormal(), "he_normal", "not he_normal"),
                             (lambda shape, dtype=None: np.zeros(shape), "lecun_uniform", "samples")]:
        feedback = checks.check_variance_scaling(init, name)
        assert not feedback.passed and hint in feedback.message, feedback.message
    assert {"check_keras_model", "check_variance_scaling", "check_seed_reuse"} <= set(checks.__all__)


def test_check_pytorch_default(keras):
    K, VS = keras.initializers, keras.initializers.VarianceScaling
    uniform = lambda scale: (lambda shape, dtype=None: np.random.default_rng(0).uniform(-1, 1, shape) * scale(shape))
    fan_in = lambda shape: compute_fans(shape)[0]

    class TorchDefault(K.Initializer):
        def __init__(self, seed=None):
            self.seed = seed

        def __call__(self, shape, dtype=None):
            limit = 1 / math.sqrt(fan_in(shape))
            return keras.random.uniform(shape, -limit, limit, dtype=dtype, seed=self.seed)

        def get_config(self):
            return {"seed": self.seed}

    class BadConfig(TorchDefault):
        def get_config(self):
            return {"sead": self.seed}

    for good in (VS(1 / 3, "fan_in", "uniform", seed=0), TorchDefault(seed=1),
                 uniform(lambda shape: 1 / math.sqrt(fan_in(shape)))):
        feedback = checks.check_pytorch_default(good)
        assert feedback.passed, feedback.message
    assert "from_config" in checks.check_pytorch_default(TorchDefault(seed=1)).message
    for init, hint in [(VS(1.0, "fan_in", "uniform", seed=0), "LeCun uniform"),
                       (K.HeUniform(seed=0), "He uniform"),
                       (K.GlorotUniform(seed=0), "glorot_uniform"),
                       (VS(1 / 3, "fan_out", "uniform", seed=0), "fan_out"),
                       (VS(1 / 3, "fan_in", "untruncated_normal", seed=0), "not uniform"),
                       (uniform(lambda shape: 1 / math.sqrt(shape[0])), "kernel height"),
                       (uniform(lambda shape: 1 / math.sqrt(shape[-2])), "receptive field"),
                       (lambda shape, dtype=None: (np.random.default_rng(0).uniform(0, 1, shape)
                                                   / math.sqrt(fan_in(shape))),
                        "centred"),
                       (lambda shape, dtype=None: (np.random.default_rng(0).uniform(-1, 1, shape[::-1])
                                                   / math.sqrt(fan_in(shape))),
                        "transposed"),
                       (BadConfig(seed=1), "get_config must return"),
                       (K.Zeros(), "constant"), (None, "None"), (3, "callable"),
                       (lambda shape, dtype=None: None, "return")]:
        feedback = checks.check_pytorch_default(init)
        assert not feedback.passed and hint in feedback.message, (hint, feedback.message)
    assert "check_pytorch_default" in checks.__all__


# ---------------------------------------------------------------------------------------------
# Chapter 7: check_choice, check_edge_of_chaos, check_lsuv

@pytest.mark.parametrize("answer, activation, slope", [
    (("he", "fan_in", math.sqrt(2)), "relu", None),
    (("he_normal", "fan_out", 1.414), "relu", None),
    ({"scheme": "kaiming", "mode": "fan_in", "gain": math.sqrt(2 / 1.04)}, "leaky_relu", 0.2),
    (("he", "fan_in", math.sqrt(2 / 1.0625)), "prelu", None),              # He et al.'s a = 0.25
    (("lecun_normal", "fan_in", 1.0), "selu", None),
    (("glorot", "fan_avg", 1.0), "tanh", None),
    (("lecun", "fan_in", 1.0), "tanh", None),
    (("xavier_uniform", "fan_avg", 5 / 3), "tanh", None),                 # PyTorch's gain, with a remark
    (("glorot", "fan_avg", 1.0), "softsign", None),
    (("glorot", "fan_avg", 1.0), "linear", None),
    (("glorot", "fan_avg", 1.0), "sigmoid", None),                        # with the caveat
    (("he", "fan_in", math.sqrt(2)), "gelu", None),
    (("he", "fan_in", 1.533), "gelu", None),
    (("he", "fan_in", 1.677), "swish", None),
])
def test_check_choice_accepts_the_table(answer, activation, slope):
    feedback = checks.check_choice(answer, activation, slope=slope)
    assert feedback.passed, feedback.message
    if activation == "sigmoid":
        assert "Caveat" in feedback.message
    if isinstance(answer, tuple) and answer[2] == 5 / 3:
        assert "chaotic" in feedback.message


@pytest.mark.parametrize("answer, activation, slope, hint", [
    (None, "relu", None, "None"),
    (("he", "fan_in"), "relu", None, "three things"),
    (("uniform", "fan_in", 1.0), "relu", None, "unknown scheme"),
    (("he", "fan_mean", 1.0), "relu", None, "unknown mode"),
    (("he", "fan_in", None), "relu", None, "None"),
    (("he", "fan_in", -1.0), "relu", None, "> 0"),
    (("glorot", "fan_in", 1.0), "tanh", None, "fan_avg"),
    (("lecun", "fan_avg", 1.0), "selu", None, "LeCun's variance"),
    (("he", "fan_avg", math.sqrt(2)), "relu", None, "never the average"),
    (("he", "fan_in", 2.0), "relu", None, "g²"),
    (("glorot", "fan_avg", 1.0), "relu", None, "telescopes"),
    (("lecun", "fan_in", 1.0), "relu", None, "2^-14.5"),
    (("he", "fan_in", math.sqrt(2)), "leaky_relu", 0.2, "plain ReLU's gain"),
    (("he", "fan_in", 2 / 1.04), "leaky_relu", 0.2, "g²"),
    (("glorot", "fan_avg", 1.0), "selu", None, "square layers"),
    (("lecun", "fan_in", 0.75), "selu", None, "calculate_gain"),
    (("he", "fan_in", math.sqrt(2)), "selu", None, "explodes"),
    (("he", "fan_in", math.sqrt(2)), "tanh", None, "chaotic phase"),
    (("he", "fan_out", 1.0), "tanh", None, "Glorot (fan_avg) or LeCun"),
    (("glorot", "fan_avg", 4.0), "sigmoid", None, "saturates"),
    (("lecun", "fan_in", 1.0), "gelu", None, "shrinks"),
    (("lecun", "fan_in", 1.2), "selu", None, "LeCun (fan_in), gain 1"),
])
def test_check_choice_names_the_mistake(answer, activation, slope, hint):
    feedback = checks.check_choice(answer, activation, slope=slope)
    assert not feedback.passed and hint in feedback.message, feedback.message


def test_check_choice_rejects_bad_arguments():
    with pytest.raises(ValueError, match="activation"):
        checks.check_choice(("he", "fan_in", 1.4), "elu")
    with pytest.raises(ValueError, match="slope"):
        checks.check_choice(("he", "fan_in", 1.4), "relu", slope=0.1)
    assert set(checks.CHOICE_ACTIVATIONS) >= {"relu", "selu", "tanh", "gelu"}


def test_check_edge_of_chaos():
    from initlab import beyond

    want = beyond.critical_sigma_w(0.3)
    assert want == pytest.approx(1.3956, abs=1e-4)
    for ok in (want, want + 0.009, want - 0.009, 1.40):
        assert checks.check_edge_of_chaos(ok, sigma_b=0.3).passed
    assert checks.check_edge_of_chaos(1.0, sigma_b=0.0).passed
    for value, hint in [(None, "None"), ("1.4", "single number"), (1.0, "σ_b = 0"), (5 / 3, "PyTorch"),
                        (math.sqrt(2), "He's"), (1.4674, "q = 1"), (1.0777, "q = σ_b²"),
                        (beyond.critical_sigma_w(math.sqrt(0.3)), "std"), (1.2, "ordered"), (1.8, "chaotic")]:
        feedback = checks.check_edge_of_chaos(value, sigma_b=0.3)
        assert not feedback.passed and hint in feedback.message, (value, feedback.message)


def _lsuv_right(weights, x, f):
    a, out = x, []
    for w in weights:
        w = w / (a @ w).std()
        out.append(w)
        a = f(a @ w)
    return out


def test_check_lsuv():
    assert checks.check_lsuv(_lsuv_right).passed

    def after_activation(weights, x, f):                  # normalizes f(z): fine for ReLU, impossible for tanh
        a, out = x, []
        for w in weights:
            for _ in range(30):
                w = w / f(a @ w).std()
            out.append(w)
            a = f(a @ w)
        return out

    def not_sequential(weights, x, f):
        a, out = x, []
        for w in weights:
            out.append(w / (a @ w).std())
            a = f(a @ w)
        return out

    def by_variance(weights, x, f):
        a, out = x, []
        for w in weights:
            w = w / (a @ w).var()
            out.append(w)
            a = f(a @ w)
        return out

    def per_unit(weights, x, f):                          # standardizes each unit, as batch norm does
        a, out = x, []
        for w in weights:
            w = w / (a @ w).std(axis=0)
            out.append(w)
            a = f(a @ w)
        return out

    for student, hint in [(per_unit, "each column (each unit)"),
                          (lambda w, x, f: None, "return"), (lambda w, x, f: 1 / 0, "ZeroDivisionError"),
                          (lambda w, x, f: w[:-1], "one matrix per layer"),
                          (lambda w, x, f: [np.ones_like(v) for v in w], "direction"),
                          (lambda w, x, f: [v * np.nan for v in w], "NaN"),
                          (lambda w, x, f: [3 * v for v in w], "same number"),
                          (not_sequential, "original"), (by_variance, "variance"),
                          (after_activation, "before the activation")]:
        feedback = checks.check_lsuv(student)
        assert not feedback.passed and hint in feedback.message, (hint, feedback.message)
    assert {"check_choice", "check_edge_of_chaos", "check_lsuv"} <= set(checks.__all__)


@pytest.mark.parametrize("activation", ["gelu", "swish"])
@pytest.mark.parametrize("gain", [math.sqrt(2), None])
def test_choice_for_a_smooth_rectifier_passes_with_chapter_7s_caveat(activation, gain):
    """Chapter 7 shows that no fixed gain keeps a plain deep GELU network stable: an accepted
    answer says so instead of reading as a clean bill of health."""
    from initlab import beyond
    g = beyond.moment_gain(activation) if gain is None else gain
    feedback = checks.check_choice(("he", "fan_in", g), activation)
    assert feedback.passed and "no fixed gain keeps the signal steady" in str(feedback)
    assert "normalization or residual blocks" in str(feedback)
