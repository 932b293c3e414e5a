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
    (lambda shape, rng: rng.uniform(-glorot_std(shape), glorot_std(shape), size=shape), "uniform", "√3"),
    (lambda shape, rng: rng.normal(0, math.sqrt(6 / sum(compute_fans(shape))), size=shape), "normal", "uniform limit"),
    (lambda shape, rng: rng.normal(0, glorot_std(shape), size=shape), "uniform", "look normal"),
    (lambda shape, rng: _uniform(glorot_std)(shape[::-1], rng), "uniform", "transposed"),
    (lambda shape, rng: rng.uniform(0, math.sqrt(6 / sum(compute_fans(shape))), size=shape), "uniform", "centred on 0"),
    (lambda shape, rng: np.clip(rng.normal(0, glorot_std(shape), size=shape), -2 * glorot_std(shape), 2 * glorot_std(shape)),
     "normal", None),
    (lambda shape, rng: initializers.truncated_normal(stddev=1.0)(shape, seed=rng) * glorot_std(shape), "normal", "0.8796"),
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
    assert checks.check_heuristic_width(lambda L: 3 / L**2).passed
    assert "L²/3" in checks.check_heuristic_width(lambda L: 1 / L**2).message


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
