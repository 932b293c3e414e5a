"""Checks for chapter 1, what not to do: a signal through near-linear layers, the width a
heuristic limit suits, and which parameters learn from an all-zero start.

>>> check_heuristic_width(lambda limit: 3 / limit**2)
✔ correct on all 6 test inputs.
"""

from __future__ import annotations

import math

import numpy as np

from ..propagation import activate
from ..tinynet import circles, train
from .feedback import Feedback, compare, fail, ok

__all__ = ["check_signal_after", "check_heuristic_width", "check_which_params_learn"]


def check_signal_after(student) -> Feedback:
    """Check ``student(depth, n, sigma)``: the std of the signal after ``depth`` near-linear layers
    of width n with N(0, σ²) weights, for a unit-std input: (√n·σ)^depth.

    Examples
    --------
    >>> import math
    >>> check_signal_after(lambda depth, n, sigma: math.sqrt(n) * sigma * depth)  # doctest: +NORMALIZE_WHITESPACE
    ✘ for 33, 268, 0.0603... you returned 32.6299, the std after depth layers is 0.689256 (47.3× the right value):
    the factors multiply layer after layer, they don't add.
    """
    rng = np.random.default_rng(2)
    cases = [(int(rng.integers(2, 40)), int(rng.integers(10, 1000)), float(rng.uniform(0.001, 0.2)))
             for _ in range(8)]
    return compare(student, cases, lambda d, n, s: (math.sqrt(n) * s) ** d, [
        (lambda d, n, s: (n * s * s) ** d, "that is the variance factor (n·σ²)^depth; the std is its square root."),
        (lambda d, n, s: (n * s) ** d, "each layer multiplies the std by √n·σ, not n·σ: variances add, stds don't."),
        (lambda d, n, s: (math.sqrt(n) * s) ** (d - 1), "off by one layer: the input goes through all `depth` layers."),
        (lambda d, n, s: math.sqrt(n) * s * d, "the factors multiply layer after layer, they don't add."),
    ], "std after depth layers", rtol=1e-4)


def check_heuristic_width(student) -> Feedback:
    """Check ``student(limit)``: the width n at which U[−limit, limit] weights keep n·Var w = 1, n = 3/limit².

    A number of inputs is a whole number, so 3/limit² rounded down or up passes too (33 for limit = 0.3).

    Examples
    --------
    >>> check_heuristic_width(lambda limit: 1 / limit ** 2)  # doctest: +NORMALIZE_WHITESPACE
    ✘ for 0.3 you returned 11.1111, the width is 33.3333 (0.333× the right value):
    the variance of U[−limit, limit] is limit²/3, not limit².
    """
    cases = [(limit,) for limit in (0.3, 1.0, 0.05, 0.1, 0.5, 0.4)]
    # a whole number either side of 3/limit², also when float rounding puts 3/0.1² at 299.99999999999994
    whole = [lambda limit, f=f, e=e: f(3 / limit**2 + e) for f in (math.floor, math.ceil) for e in (-1e-9, 0, 1e-9)]
    return compare(student, cases, lambda limit: 3 / limit**2, [
        (lambda limit: 1 / limit**2, "the variance of U[−limit, limit] is limit²/3, not limit²."),
        (lambda limit: math.sqrt(3) / limit, "solve n·limit²/3 = 1 for n: n = 3/limit² (no square root)."),
        (lambda limit: 1 / (3 * limit**2),
         "the variance of U[−limit, limit] is limit²/3, so n = 3/limit²; you divided by 3 instead."),
    ], "width", rtol=1e-4, also=whole)


def check_which_params_learn(answer, activation) -> Feedback:
    """Check the set of parameter names (``"W1"``, ``"b1"``, ``"W2"``, ``"b2"``) whose gradient is
    non-zero at the first step of a 1-hidden-layer net started from all-zero weights.

    The truth is computed, not stored: :func:`initlab.tinynet.train` on an unbalanced 2-D task.

    Examples
    --------
    >>> check_which_params_learn({"W1", "b1", "W2", "b2"}, "tanh")  # doctest: +NORMALIZE_WHITESPACE
    ✘ not quite: ∂L/∂W1 = xᵀ(δ W2ᵀ ⊙ f'(z1)) and W2 = 0, so the hidden layer gets no gradient at step 1;
    ∂L/∂W2 = h1ᵀ δ and h1 = f(0) = 0 for every unit.
    """
    names = ("W1", "b1", "W2", "b2")
    if isinstance(answer, str) or not all(isinstance(a, str) for a in _iter(answer)):
        return fail(f"answer with a set of names such as {{'b2'}}, chosen from {', '.join(names)}")
    answer = set(answer)
    if not answer <= set(names):
        return fail(f"unknown names {sorted(answer - set(names))}; choose from {', '.join(names)}")
    X, y = circles(200, seed=3)
    y = np.where(np.arange(len(y)) % 4 == 0, 0.0, 1.0)  # 75 % ones: the output bias has work to do
    run = train(X, y, sizes=(2, 4, 1), activation=activation, init="zeros", steps=0)
    truth = {name for name, g in zip(names, [g for pair in run.grads0 for g in pair])
             if np.any(np.abs(g) > 1e-12)}
    if answer == truth:
        return ok(f"right: with {activation} hidden units only {', '.join(sorted(truth))} "
                   f"get a non-zero gradient at the first step.")
    h0 = f"f(0) = {float(activate(activation, np.zeros(1))[0]):g}"
    notes = []
    if "W1" in answer - truth or "b1" in answer - truth:
        notes.append("∂L/∂W1 = xᵀ(δ W2ᵀ ⊙ f'(z1)) and W2 = 0, so the hidden layer gets no gradient at step 1")
    if "W2" in answer - truth:
        notes.append(f"∂L/∂W2 = h1ᵀ δ and h1 = {h0} for every unit")
    if "W2" in truth - answer:
        notes.append(f"∂L/∂W2 = h1ᵀ δ, and h1 = {h0} is not zero: W2 does learn (every unit the same amount)")
    if "b2" in truth - answer:
        notes.append("the output bias always gets ∂L/∂b2 = Σ(p − y)/m, non-zero when the classes are unbalanced")
    return fail("not quite: " + "; ".join(notes) + ".")


def _iter(x):
    try:
        return list(x)
    except TypeError:
        return [None]
