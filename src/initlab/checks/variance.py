"""Checks for chapter 2, variance theory: ReLU's moments and the linear-network ratios.

>>> import math
>>> check_linear_std_ratio(lambda widths, v: math.sqrt(math.prod(n * w for n, w in zip(widths, v)))).passed
True
"""

from __future__ import annotations

import math

import numpy as np

from .feedback import Feedback, compare, fail, ok

__all__ = ["check_relu_moments", "check_linear_std_ratio", "check_linear_grad_ratio"]


def check_relu_moments(answer) -> Feedback:
    """Check ``answer = (E[ReLU(z)²]/E[z²], Var[ReLU(z)]/Var[z])`` for z ~ N(0, σ²).

    Exact: ½ and ½ − 1/(2π) ≈ 0.341. A Monte-Carlo estimate within 0.005 is accepted.

    Examples
    --------
    >>> check_relu_moments((0.5, 0.5))  # doctest: +NORMALIZE_WHITESPACE
    ✘ Var[ReLU(z)] is not ½Var z: ReLU(z) has mean σ/√(2π), so Var = ½σ² − σ²/(2π) ≈ 0.34σ².
    It is the second moment that halves.
    """
    try:
        second, var = (float(v) for v in answer)
    except (TypeError, ValueError):
        return fail("answer with a pair of numbers: (second-moment ratio, variance ratio)")
    want = (0.5, 0.5 - 1 / (2 * math.pi))
    if abs(second - want[0]) > 0.005:
        return fail(f"E[ReLU(z)²]/E[z²] is {second:.4g}, expected ½: by symmetry the positive half "
                     f"of z carries half of E[z²], and ReLU keeps exactly that half.")
    if abs(var - want[1]) > 0.005:
        if abs(var - 0.5) <= 0.005:
            return fail("Var[ReLU(z)] is not ½Var z: ReLU(z) has mean σ/√(2π), so "
                         "Var = ½σ² − σ²/(2π) ≈ 0.34σ². It is the second moment that halves.")
        return fail(f"Var[ReLU(z)]/Var z is {var:.4g}, expected ½ − 1/(2π) ≈ {want[1]:.4f}: "
                     f"subtract the squared mean E[ReLU(z)]² = σ²/(2π).")
    return ok("right: the second moment halves, the variance falls to ≈ 0.34 of Var z.")


def check_linear_std_ratio(student) -> Feedback:
    """Check ``student(widths, weight_vars)``: the std of the last layer's z over the input's std
    in a linear net, √(∏ n_{l−1}·v_l), with ``widths = [n_0, ..., n_L]`` and ``weight_vars[l−1] = v_l``.

    Examples
    --------
    >>> import math
    >>> check_linear_std_ratio(lambda widths, v: math.prod(n * w for n, w in zip(widths, v)))
    ✘ for ... (1.1× the right value): that is the variance ratio; the std ratio is its square root.
    """
    rng = np.random.default_rng(4)
    cases = []
    for _ in range(6):
        depth = int(rng.integers(2, 8))
        widths = [int(v) for v in rng.integers(5, 500, size=depth + 1)]
        cases.append((widths, [float(v) for v in rng.uniform(0.5, 1.5, size=depth) / np.array(widths[:-1])]))
    prod = lambda ns, vs: math.prod(n * v for n, v in zip(ns, vs))
    return compare(student, cases, lambda w, v: math.sqrt(prod(w[:-1], v)), [
        (lambda w, v: prod(w[:-1], v), "that is the variance ratio; the std ratio is its square root."),
        (lambda w, v: math.sqrt(prod(w[1:], v)), "layer l sums over its n_{l−1} inputs (fan_in), not its n_l outputs."),
        (lambda w, v: math.sqrt(sum(n * x for n, x in zip(w[:-1], v))), "the per-layer factors multiply, they don't "
                                                                        "add."),
    ], "std ratio", rtol=1e-4)


def check_linear_grad_ratio(student) -> Feedback:
    """Check ``student(widths, weight_vars)``: in a linear net, the std of the gradient that reaches
    the input, ∂L/∂x, over the std of ∂L/∂z_L, √(∏ n_l·v_l) for l = 1..L: going back through W_l
    (shape n_{l−1} × n_l) sums over its n_l outputs, its fan_out. Same arguments as
    :func:`check_linear_std_ratio`: ``widths = [n_0, ..., n_L]``, ``weight_vars[l−1] = v_l``.

    Examples
    --------
    The forward ratio is not the backward one:

    >>> import math
    >>> check_linear_grad_ratio(  # doctest: +NORMALIZE_WHITESPACE
    ...     lambda widths, v: math.sqrt(math.prod(n * w for n, w in zip(widths, v))))
    ✘ for ...: that is the forward ratio:
    going back through W_l sums over its n_l outputs (fan_out), not its n_{l−1} inputs.
    """
    rng = np.random.default_rng(5)
    cases = []
    for _ in range(6):
        depth = int(rng.integers(2, 8))
        widths = [int(v) for v in rng.integers(5, 500, size=depth + 1)]
        cases.append((widths, [float(v) for v in rng.uniform(0.5, 1.5, size=depth) / np.array(widths[1:])]))
    prod = lambda ns, vs: math.prod(n * v for n, v in zip(ns, vs))
    return compare(student, cases, lambda w, v: math.sqrt(prod(w[1:], v)), [
        (lambda w, v: prod(w[1:], v), "that is the variance ratio; the std ratio is its square root."),
        (lambda w, v: math.sqrt(prod(w[:-1], v)), "that is the forward ratio: going back through W_l "
         "sums over its n_l outputs (fan_out), not its n_{l−1} inputs."),
        (lambda w, v: 1 / math.sqrt(prod(w[1:], v)), "you inverted the ratio: it is std(∂L/∂x) over std(∂L/∂z_L)."),
        (lambda w, v: math.sqrt(prod(w[2:], v[1:])), "that stops at ∂L/∂z_1 (simulate's grad_ratio); the "
         "gradient reaching x also goes back through W_1, so include n_1·v_1."),
        (lambda w, v: math.sqrt(sum(n * x for n, x in zip(w[1:], v))), "the per-layer factors multiply, they don't "
                                                                       "add."),
    ], "std ratio", rtol=1e-4)
