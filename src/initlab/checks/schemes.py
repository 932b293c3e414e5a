"""Checks for chapters 3–5, the named schemes: Glorot's uniform factor, He's leaky gain, and
SELU's fixed point and weight scale.

>>> import math
>>> check_leaky_gain(lambda slope: math.sqrt(2 / (1 + slope**2)))
✔ correct on all 7 test inputs.
"""

from __future__ import annotations

import math

import numpy as np

from .. import initializers
from ..propagation import SELU_ALPHA, SELU_LAMBDA, predict_variance
from .feedback import Feedback, Z, compare, fail, number, ok

__all__ = ["check_uniform_variance_factor", "check_leaky_gain", "check_leaky_he_drift", "check_selu_fixed_point",
           "check_selu_scale", "selu_scale_tolerance"]


def check_uniform_variance_factor(student) -> Feedback:
    """Check ``student(fan_in, limit)``: the factor by which a linear layer with ``fan_in`` inputs
    and U[−limit, limit] weights multiplies the variance of its (zero-mean) input, fan_in·limit²/3.

    For Glorot & Bengio (2010)'s "standard" limit 1/√fan_in it is 1/3 at every width (their
    n·Var W = 1/3); the cases include that limit and arbitrary ones.

    Examples
    --------
    >>> check_uniform_variance_factor(lambda fan_in, limit: fan_in * limit ** 2)  # doctest: +NORMALIZE_WHITESPACE
    ✘ for 10, 0.316... you returned 1, the variance factor is 0.333333 (3× the right value):
    the variance of U[−limit, limit] is limit²/3, not limit²: you forgot the /3.
    """
    rng = np.random.default_rng(6)
    cases = [(n, 1 / math.sqrt(n)) for n in (10, 256, 1000)]
    cases += [(int(rng.integers(5, 2000)), float(rng.uniform(0.01, 0.5))) for _ in range(5)]
    return compare(student, cases, lambda n, limit: n * limit**2 / 3, [
        (lambda n, limit: n * limit**2, "the variance of U[−limit, limit] is limit²/3, not limit²: "
         "you forgot the /3."),
        (lambda n, limit: math.sqrt(n / 3) * limit, "that is the factor on the std; the variance factor is "
         "its square, fan_in·limit²/3."),
        (lambda n, limit: limit**2 / 3, "that is Var w alone: each output sums fan_in products w·x, and "
         "their variances add, so multiply by fan_in."),
        (lambda n, limit: n * limit**2 / 12, "U[−limit, limit] has width 2·limit, so its variance is "
         "(2·limit)²/12 = limit²/3, not limit²/12."),
        (lambda n, limit: n * limit / 3, "square the limit: Var w = limit²/3."),
        (lambda n, limit: 3 / (n * limit**2), "you inverted the factor: it is fan_in·Var w = fan_in·limit²/3."),
    ], "variance factor", rtol=1e-4)


def check_leaky_gain(student) -> Feedback:
    """Check ``student(slope)``: the gain of a leaky ReLU with negative slope s, √(2/(1 + s²)).

    The leaky ReLU is f(z) = z for z > 0 and s·z otherwise (He et al. 2015 write the slope a; the
    course keeps a for activations). Its gain g makes Var w = g²/fan_in keep E[z²] from layer to layer.

    Examples
    --------
    >>> import math
    >>> check_leaky_gain(lambda slope: math.sqrt(2))  # doctest: +NORMALIZE_WHITESPACE
    ✘ for 0.01 you returned 1.41421, the gain is 1.41414 (1× the right value):
    that is the ReLU gain; the slope s gives back part of the negative half.
    """
    cases = [(s,) for s in (0.0, 0.01, 0.1, 0.2, 0.5, 1.0, 3.0)]
    return compare(student, cases, lambda s: math.sqrt(2 / (1 + s * s)), [
        (lambda s: 2 / (1 + s * s), "that is g², the variance factor; the gain is its square root."),
        (lambda s: math.sqrt(2 / (1 + s)), "the negative side contributes s²·½E[z²], so it is 1 + s², not 1 + s."),
        (lambda s: math.sqrt(2), "that is the ReLU gain; the slope s gives back part of the negative half."),
        (lambda s: math.sqrt(1 + s * s), "E[f(z)²] = ½(1 + s²)E[z²], so g² = 2/(1 + s²): you inverted it."),
    ], "gain", rtol=1e-6)


def check_leaky_he_drift(answer, slope, depth, rtol=0.01) -> Feedback:
    """Check ``answer``: the predicted ratio std(z_depth)/std(z_1) of a wide leaky-ReLU network
    with negative slope s = ``slope`` initialized with plain He (gain √2, made for ReLU).

    Each layer multiplies E[z²] by g²·½(1 + s²) = 1 + s², so the std by √(1 + s²), over the
    depth − 1 layers between layer 1 and the last: (1 + s²)^((depth − 1)/2). A prediction rounded
    to three significant digits passes (``rtol`` 1 %).

    Examples
    --------
    >>> check_leaky_he_drift(1.0, slope=0.2, depth=50)  # doctest: +NORMALIZE_WHITESPACE
    ✘ you predicted 1, the std ratio is 2.61: He's gain √2 is right only for s = 0; with slope s
    each layer keeps ½(1 + s²) of E[z²], not ½, so E[z²] grows by 1 + s² = 1.04 per layer.
    """
    if not (slope >= 0 and depth >= 2):
        raise ValueError(f"slope must be >= 0 and depth >= 2, got slope={slope!r}, depth={depth!r}")
    got, bad = number(answer, "your prediction")
    if bad is not None:
        return bad
    per_layer = 1 + slope * slope
    want = per_layer ** ((depth - 1) / 2)
    start = f"you predicted {got:.3g}, the std ratio is {want:.3g}"
    if math.isclose(got, want, rel_tol=rtol):
        return ok(f"right: {start.split(', ')[1]} = (1 + s²)^(({depth} − 1)/2): He's gain gives "
                  f"E[z²] a factor 1 + s² = {per_layer:.4g} per layer, and small factors compound.")
    mistakes = [
        (per_layer ** (depth - 1), "that is the ratio of E[z²]; the std is its square root."),
        (per_layer ** (depth / 2), f"layer 1 to layer {depth} is {depth - 1} layers apart, not {depth}."),
        ((1 + slope) ** ((depth - 1) / 2), "the negative half keeps s²·½E[z²] (the slope squared), so the "
         "factor is 1 + s², not 1 + s."),
        (1.0, f"He's gain √2 is right only for s = 0; with slope s each layer keeps ½(1 + s²) of E[z²], not "
         f"½, so E[z²] grows by 1 + s² = {per_layer:.4g} per layer."),
    ]
    for wrong, hint in mistakes:
        if math.isclose(got, wrong, rel_tol=rtol):
            return fail(f"{start}: {hint}")
    return fail(f"{start}: work out the factor one layer applies to E[z²] with gain √2, then compound it "
                f"over the {depth - 1} layers.")


def _selu_exact_moments():
    """(E[selu(z)], E[selu(z)²], E[selu(z)⁴]) for z ~ N(0, 1), in closed form (Klambauer et al.
    2017): with Φ the normal cdf, E[z; z>0] = 1/√(2π), E[e^z; z≤0] = e^{1/2}Φ(−1),
    E[e^{2z}; z≤0] = e²Φ(−2), E[e^{kz}; z≤0] = e^{k²/2}Φ(−k)."""
    a, lam = SELU_ALPHA, SELU_LAMBDA
    phi = lambda x: 0.5 * math.erfc(-x / math.sqrt(2))
    ek = lambda k: math.exp(k * k / 2) * phi(-k)            # E[e^{kz}; z <= 0]
    # E[(e^z − 1)^m; z <= 0] by the binomial theorem
    neg = lambda m: sum(math.comb(m, j) * (-1) ** (m - j) * (ek(j) if j else 0.5) for j in range(m + 1))
    pos = {1: 1 / math.sqrt(2 * math.pi), 2: 0.5, 4: 1.5}   # E[z^m; z > 0]
    return tuple(lam ** m * (pos[m] + a ** m * neg(m)) for m in (1, 2, 4))


def check_selu_fixed_point(answer) -> Feedback:
    """Check ``answer = (E[selu(z)], E[selu(z)²])`` for z ~ N(0, 1): SELU's fixed point (0, 1).

    Klambauer et al. (2017) chose α and λ so that a unit-variance Gaussian input gives an output
    of mean 0 and second moment 1. A Monte-Carlo estimate from 10⁶ samples is accepted: the
    tolerance is five standard errors at n = 10⁶ (std of selu(z) = 1, of selu(z)² ≈ 1.23), i.e.
    ±0.005 on the mean and ±0.0062 on the second moment.

    Examples
    --------
    >>> check_selu_fixed_point((0.0, 0.5))  # doctest: +NORMALIZE_WHITESPACE
    ✘ you found E[selu(z)] = 0, E[selu(z)²] = 0.5; E[selu(z)²] should be 1 (within ±0.0061 for 10⁶ samples).
    Check the formula of selu, that z ~ N(0, 1), and use at least 10⁶ samples.
    """
    if answer is None:
        return fail("your answer is None: estimate the pair (E[selu(z)], E[selu(z)²]) from samples "
                     "z ~ N(0, 1) and pass it in.")
    try:
        mean, second = (float(v) for v in answer)
    except (TypeError, ValueError):
        return fail("answer with a pair of numbers: (E[selu(z)], E[selu(z)²]) for z ~ N(0, 1)")
    if not (math.isfinite(mean) and math.isfinite(second)):
        return fail(f"your estimates ({mean}, {second}) are not finite numbers.")
    m1, m2, m4 = _selu_exact_moments()
    n = 10**6
    tol_mean, tol_second = Z * math.sqrt((m2 - m1 * m1) / n), Z * math.sqrt((m4 - m2 * m2) / n)
    start = f"you found E[selu(z)] = {mean:.4g}, E[selu(z)²] = {second:.4g}"
    # Values produced by typical mistakes (computed with 4·10⁶ samples; closed form where easy).
    mistakes = [
        ((0.1603, 0.6447), "that is ELU (α = λ = 1), not SELU: use α ≈ 1.6733 and λ ≈ 1.0507."),
        ((0.0, 1 / SELU_LAMBDA**2), "you left out the factor λ ≈ 1.0507 that multiplies both branches."),
        ((0.0200, 0.9574), "λ multiplies the negative branch too: selu(z) = λ·α(e^z − 1) for z ≤ 0."),
        ((0.2480, 1.8472), "α and λ are swapped: α ≈ 1.6733 is inside the negative branch, λ ≈ 1.0507 outside."),
        ((0.8793, 1.0720), "the negative branch is λα(e^z − 1), not λα·e^z: it must be 0 at z = 0."),
        ((0.5253, 0.3680), "z must be a standard normal (rng.standard_normal), not uniform on [0, 1)."),
        ((0.0893, 1.7219), "z must have variance 1, not 2: the fixed point is for unit-variance inputs."),
        ((0.3989, 0.5), "that is ReLU: SELU keeps a negative branch λα(e^z − 1)."),
    ]
    for (wm, ws), hint in mistakes:
        if abs(mean - wm) <= 3 * tol_mean and abs(second - ws) <= 3 * tol_second:
            return fail(f"{start}: {hint}")
    if abs(mean - m1) > tol_mean:
        return fail(f"{start}; E[selu(z)] should be 0 (within ±{tol_mean:.2g} for 10⁶ samples). "
                     f"Check the formula of selu and that z ~ N(0, 1).")
    if abs(second - m2) > tol_second:
        return fail(f"{start}; E[selu(z)²] should be 1 (within ±{tol_second:.2g} for 10⁶ samples). "
                     f"Check the formula of selu, that z ~ N(0, 1), and use at least 10⁶ samples.")
    return ok(f"{start}: mean 0 and second moment 1 (so variance 1 too), the fixed point the "
               f"constants α and λ were solved for.")


_SELU_SCALE_DEPTH, _SELU_SCALE_WIDTH, _SELU_SCALE_BAND = 100, 512, (0.9, 1.1)


def _selu_variance_at_depth(scale):
    p = predict_variance(_SELU_SCALE_DEPTH, _SELU_SCALE_WIDTH, "selu", "lecun_normal", scale=scale)
    return float(p.act_std[-1] ** 2)


_SELU_SCALE_CACHE = []


def selu_scale_tolerance() -> tuple[float, float]:
    """The multipliers s on ``lecun_normal`` weights (Var w = s²/n) for which the mean-field theory
    puts the activation variance of a 100-layer SELU network (width 512) within ±10 % of 1.

    Found by bisection on :func:`initlab.propagation.predict_variance`; about (0.986, 1.013).
    The band is narrow because the fixed point moves fast with s: the map q ↦ s²·E[selu(z)²] has
    slope ≈ 0.78 at q = 1, so a change ε in s² moves the fixed point by ≈ ε/(1 − 0.78).

    Examples
    --------
    >>> low, high = selu_scale_tolerance()
    >>> round(low, 3), round(high, 3)
    (0.986, 1.013)
    """
    def solve(target, lo, hi):
        for _ in range(32):
            mid = (lo + hi) / 2
            if (_selu_variance_at_depth(mid) < target) == (lo < hi):
                lo = mid
            else:
                hi = mid
        return (lo + hi) / 2
    if not _SELU_SCALE_CACHE:
        _SELU_SCALE_CACHE.append((solve(_SELU_SCALE_BAND[0], 0.8, 1.0), solve(_SELU_SCALE_BAND[1], 1.0, 1.2)))
    return _SELU_SCALE_CACHE[0]


def check_selu_scale(answer) -> Feedback:
    """Check ``answer``: the multiplier s on ``lecun_normal`` weights that keeps a 100-layer SELU
    network (width 512) at activation variance 1. Exact answer: s = 1, i.e. Var w = 1/n.

    Accepted: any s in :func:`selu_scale_tolerance`, where the theory's variance at layer 100 is
    within ±10 % of 1 (a grid search by simulation lands well inside it). Known wrong answers get
    their own hint: He's √2, PyTorch's gain("selu") = 3/4, √0.5, λ, 1/λ and the tanh gain 5/3.

    Examples
    --------
    >>> import math
    >>> check_selu_scale(math.sqrt(2))  # doctest: +NORMALIZE_WHITESPACE
    ✘ with s = 1.414 (Var w = 2/n) the theory gives variance 1.57e+05 at layer 100:
    √2 is He's factor (Var w = 2/n) for ReLU, which zeroes half of its input.
    SELU keeps both halves: its variance grows by ≈ λ² ≈ 1.10 per layer.
    """
    if answer is None:
        return fail("your answer is None: replace it with the scale you found (a number).")
    s, bad = number(answer, "your answer")
    if bad is not None:
        return bad
    if s <= 0:
        return fail(f"the scale must be a positive multiplier on the weights, got {s:g}.")
    lo, hi = selu_scale_tolerance()
    if lo <= s <= hi:
        near = "" if abs(s - 1) < 1e-9 else (f" (accepted: [{lo:.3f}, {hi:.3f}] keeps the variance "
                                              f"within ±10 % of 1; the exact answer is s = 1)")
        return ok(f"s = {s:.4g} keeps the variance at 1{near}: Var w = 1/fan_in, i.e. lecun_normal, "
                   f"the init for which α and λ were solved.")
    var = _selu_variance_at_depth(s)
    start = f"with s = {s:.4g} (Var w = {s * s:.3g}/n) the theory gives variance {var:.3g} at layer 100"
    if s < 0.1:
        return fail(f"{start}. Answer with the multiplier on lecun_normal's weights (1 means "
                     f"lecun_normal unchanged), not with a variance or a std such as 1/√n.")
    hints = [
        (initializers.gain("relu"), "√2 is He's factor (Var w = 2/n) for ReLU, which zeroes half of its input. "
                       "SELU keeps both halves: its variance grows by ≈ λ² ≈ 1.10 per layer."),
        (0.75, "3/4 is PyTorch's gain('selu'): it trades the fixed point for steadier gradients in "
               "rectangular layers. Self-normalization needs gain 1 (nonlinearity='linear')."),
        (math.sqrt(0.5), "Var w = 0.5/n is too small: the variance collapses to a tiny fixed point."),
        (SELU_LAMBDA, "λ ≈ 1.0507 is already inside selu; the weights need no extra factor."),
        (1 / SELU_LAMBDA, "λ ≈ 1.0507 is part of selu's design, not something to divide out."),
        (initializers.gain("tanh"), "5/3 is PyTorch's gain for tanh, not for SELU."),
    ]
    for value, hint in hints:
        if abs(s - value) <= 0.01 * value:
            return fail(f"{start}: {hint}")
    direction = "too large: the variance settles above 1" if s > hi else "too small: the variance settles below 1"
    return fail(f"{start}, {direction}. Try predict_variance or simulate over a few scales.")
