"""Exercise feedback, shared by the chapters and the autograder.

Each ``check_*`` function takes a student's answer (usually a function), tries it on many inputs
and returns a :class:`Feedback`: ``passed`` and a message that names the mistake when it
recognises one ("your std is 0.71× the target: did you use fan_in + fan_out without the 2?").

The checks test *properties*, never one seeded array: formulas are compared on many shapes, and
samplers by their statistics (mean, std, support and shape of the distribution) with tolerances of
five standard errors, so any correct implementation passes (false failure < 1e-6 per check).
In a notebook a Feedback displays as a coloured box; an autograder test does
``check_x(answer).assert_passed()``.
"""

from __future__ import annotations

import dataclasses
import html
import math

import numpy as np

from . import initializers
from .initializers import compute_fans
from .propagation import activate
from .tinynet import circles, train

__all__ = ["Feedback", "SCHEMES", "check_std", "check_sampler", "check_fans",
           "check_signal_after", "check_heuristic_width", "check_which_params_learn",
           "check_relu_moments", "check_linear_std_ratio"]

Z = 5.0  # tolerance in standard errors: P(|N(0,1)| > 5) = 5.7e-7


@dataclasses.dataclass(frozen=True)
class Feedback:
    """The result of a check: ``passed`` and a message for the student."""

    passed: bool
    message: str

    def __bool__(self):
        return self.passed

    def __repr__(self):
        return ("✔ " if self.passed else "✘ ") + self.message

    def _repr_html_(self):
        colour, mark = ("#1a7f37", "✔") if self.passed else ("#b42318", "✘")
        return (f'<div style="border-left:4px solid {colour};padding:4px 10px;margin:4px 0">'
                f'<b style="color:{colour}">{mark}</b> {html.escape(self.message)}</div>')

    def assert_passed(self):
        """Raise AssertionError with the message unless passed (for autograder tests)."""
        if not self.passed:
            raise AssertionError(self.message)


def _ok(message):
    return Feedback(True, message)


def _fail(message):
    return Feedback(False, message)


def _call(student, *args):
    """Call the student's function; return (value, None) or (None, Feedback)."""
    if not callable(student):
        return None, _fail(f"expected a function, got {type(student).__name__}")
    try:
        return student(*args), None
    except Exception as error:  # the student's code may raise anything: report it, don't crash
        args_text = ", ".join(map(repr, args))
        return None, _fail(f"your function raised {type(error).__name__}: {error} "
                           f"(called with {args_text})")


def _number(value, what):
    if value is None:
        return None, _fail(f"{what} is None: did you forget to `return` the result?")
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)) \
            and not (isinstance(value, np.ndarray) and value.shape == ()):
        return None, _fail(f"{what} must be a single number, got {type(value).__name__} {value!r:.80}")
    value = float(value)
    if not math.isfinite(value):
        return None, _fail(f"{what} is {value}; it must be a finite number")
    return value, None


def _close(a, b, rtol=1e-6):
    return math.isclose(a, b, rel_tol=rtol, abs_tol=1e-12)


def _compare(student, cases, expected, mistakes, what, rtol=1e-6):
    """Compare ``student(*case)`` with ``expected(*case)`` on every case; name a known mistake."""
    for case in cases:
        got, bad = _call(student, *case)
        if bad is not None:
            return bad
        got, bad = _number(got, f"the value returned for {_args(case)}")
        if bad is not None:
            return bad
        want = expected(*case)
        if _close(got, want, rtol):
            continue
        ratio = f" ({got / want:.3g}× the right value)" if want else ""
        start = f"for {_args(case)} you returned {got:.6g}, the {what} is {want:.6g}{ratio}"
        for wrong, hint in mistakes:
            try:
                if _close(got, wrong(*case), rtol):
                    return _fail(f"{start}: {hint}")
            except (ZeroDivisionError, ValueError, OverflowError):
                continue
        return _fail(start + ".")
    return _ok(f"correct on all {len(cases)} test inputs.")


def _args(case):
    return ", ".join(repr(tuple(c)) if isinstance(c, (tuple, list)) else repr(c) for c in case)


# ---------------------------------------------------------------------------------------------
# Standard deviations and samplers of the named schemes

#: The (scale, mode) of each scheme, with Var w = scale / fan.
SCHEMES = {"lecun": (1.0, "fan_in"), "glorot": (1.0, "fan_avg"), "he": (2.0, "fan_in"),
           "he_fan_out": (2.0, "fan_out")}

#: Shapes used by the checks: dense and conv, each with fan_in != fan_out.
SHAPES = ((300, 200), (784, 128), (64, 10), (3, 3, 32, 64), (5, 5, 3, 16), (7, 1, 40, 20))


def _target_std(scheme, shape):
    scale, mode = SCHEMES[scheme]
    return initializers.VarianceScaling(scale, mode).std(shape)


def _std_mistakes(scheme):
    """Wrong formulas students write for σ, each with the hint it deserves. Functions of shape."""
    scale, mode = SCHEMES[scheme]
    s = lambda shape: _target_std(scheme, shape)
    fi = lambda shape: compute_fans(shape)[0]
    fo = lambda shape: compute_fans(shape)[1]
    no_rf = lambda shape: (shape[-2], shape[-1]) if len(shape) >= 2 else compute_fans(shape)
    m = [(lambda sh: s(sh) ** 2, "you returned the variance σ², not the standard deviation σ: take the square root."),
         (lambda sh: math.sqrt(3) * s(sh), "that is the uniform limit √3·σ, not the std σ."),
         (lambda sh: s(sh) / math.sqrt(3), "you divided by √3: the std is σ itself, the uniform limit is √3·σ.")]
    if scheme == "glorot":
        m += [(lambda sh: math.sqrt(1 / (fi(sh) + fo(sh))), "did you use fan_in + fan_out without the 2? Var w = 2/(fan_in + fan_out)."),
              (lambda sh: math.sqrt(1 / fi(sh)), "that is LeCun's 1/fan_in; Glorot averages the fans: 2/(fan_in + fan_out)."),
              (lambda sh: math.sqrt(2 / fi(sh)), "that is He's 2/fan_in; Glorot is 2/(fan_in + fan_out).")]
    else:
        fan, other = (fi, fo) if mode == "fan_in" else (fo, fi)
        m += [(lambda sh: math.sqrt(scale / other(sh)), f"you used the other fan: this scheme divides by {mode}."),
              (lambda sh: math.sqrt(2 / (fi(sh) + fo(sh))), "that is Glorot's 2/(fan_in + fan_out).")]
        if scale == 2:
            m.append((lambda sh: math.sqrt(1 / fan(sh)), "you forgot He's factor 2 (ReLU zeroes half the signal): Var w = 2/fan_in. 1/fan_in is LeCun's."))
        else:
            m.append((lambda sh: math.sqrt(2 / fan(sh)), "that is He's 2/fan_in; LeCun's is 1/fan_in."))
    m.append((lambda sh: initializers.VarianceScaling(scale, mode if mode != "fan_avg" else "fan_avg").std(no_rf(sh)),
              "for a conv kernel (kh, kw, in, out) the fans include the receptive field: fan_in = kh·kw·in."))
    return m


def check_std(student, scheme="glorot") -> Feedback:
    """Check ``student(shape) -> σ`` for a scheme in :data:`SCHEMES` on dense and conv shapes."""
    if scheme not in SCHEMES:
        raise ValueError(f"scheme must be one of {', '.join(SCHEMES)}, got {scheme!r}")
    cases = [(shape,) for shape in SHAPES]
    return _compare(student, cases, lambda shape: _target_std(scheme, shape),
                    [(lambda shape, f=f: f(shape), hint) for f, hint in _std_mistakes(scheme)],
                    f"{scheme} std")


#: Kurtosis E[w⁴]/E[w²]² of each distribution: it tells the shapes apart at any scale.
_KURTOSIS = {"uniform": 9 / 5, "normal": 3.0}
_C = 2.0
_TN = (1 - 2 * _C * math.exp(-_C * _C / 2) / math.sqrt(2 * math.pi) / math.erf(_C / math.sqrt(2)))
_KURTOSIS["truncated_normal"] = (3 * _TN - 2 * _C**3 * math.exp(-_C * _C / 2) / math.sqrt(2 * math.pi)
                                 / math.erf(_C / math.sqrt(2))) / _TN**2


def check_sampler(student, scheme="glorot", distribution="uniform", seed=0) -> Feedback:
    """Check ``student(shape, rng) -> array`` draws the scheme's weights.

    ``distribution`` is ``"uniform"`` or ``"normal"``; for ``"normal"`` both an untruncated normal
    and Keras' truncated one (±2σ₀, std σ) are accepted. Checked on a dense and a conv shape: the
    shape, finiteness, mean 0, std σ (±5 standard errors), the support and the kurtosis.
    """
    if scheme not in SCHEMES:
        raise ValueError(f"scheme must be one of {', '.join(SCHEMES)}, got {scheme!r}")
    if distribution not in ("uniform", "normal"):
        raise ValueError(f"distribution must be 'uniform' or 'normal', got {distribution!r}")
    for shape in ((300, 200), (3, 3, 32, 64)):
        w, bad = _call(student, shape, np.random.default_rng(seed))
        if bad is not None:
            return bad
        if w is None:
            return _fail("your function returned None: did you forget to `return` the array?")
        try:
            w = np.asarray(w, dtype=np.float64)
        except (TypeError, ValueError):
            return _fail(f"return a numpy array, got {type(w).__name__}")
        if w.shape != shape:
            hint = (" (transposed: the kernel is (fan_in, fan_out))" if w.shape == shape[::-1] else "")
            return _fail(f"shape mismatch: for shape {shape} you returned an array of shape {w.shape}{hint}.")
        if not np.all(np.isfinite(w)):
            return _fail("your weights contain inf or NaN.")
        n, sigma = w.size, _target_std(scheme, shape)
        mean, std = float(w.mean()), float(w.std())
        if std == 0:
            return _fail(f"every weight you drew equals {mean:.3g}: a constant cannot break the "
                         f"symmetry between units (chapter 1). Draw random values.")
        if abs(mean) > Z * sigma / math.sqrt(n):
            return _fail(f"your weights have mean {mean:.3g}; they must be centred on 0 "
                         f"(std of the mean allows ±{Z * sigma / math.sqrt(n):.2g}). "
                         f"Is it U[0, L) instead of U[−L, L]?")
        kurt = float(np.mean((w - mean) ** 4) / std**4)
        shapes = ["uniform"] if distribution == "uniform" else ["normal", "truncated_normal"]
        # SE of the sample std ≈ σ·√((κ − 1)/(4n)), SE of the kurtosis ≤ √(24/n) for these shapes
        se_std = sigma * math.sqrt((max(_KURTOSIS[k] for k in shapes) - 1) / (4 * n))
        if abs(std - sigma) > Z * se_std:
            ratio = std / sigma
            start = (f"for shape {shape} your std is {std:.4g}, {ratio:.3g}× the target "
                     f"σ = {sigma:.4g}")
            hints = [(f(shape), hint) for f, hint in _std_mistakes(scheme)]
            if distribution == "uniform":  # the classic: U(−σ, σ), whose std is σ/√3
                hints.insert(0, (sigma / math.sqrt(3), "your limit is σ, but U(−L, L) has std "
                                 "L/√3: the limit must be L = √3·σ."))
            hints.append((sigma * 0.87962566103423978, "you truncated at ±2σ without correcting: draw with "
                          "σ₀ = σ/0.8796 and cut at ±2σ₀, so the final std is σ."))
            for value, hint in hints:
                if abs(std - value) <= Z * se_std * max(1.0, value / sigma):
                    return _fail(f"{start}: {hint}")
            return _fail(start + ".")
        nearest = min(_KURTOSIS, key=lambda k: abs(kurt - _KURTOSIS[k]))
        if nearest not in shapes:
            want = "uniform" if distribution == "uniform" else "normal"
            return _fail(f"your samples look {nearest.replace('_', ' ')} (kurtosis {kurt:.2f}), "
                         f"not {want}: use rng.{'uniform' if want == 'uniform' else 'normal'}.")
        if distribution == "uniform" and np.max(np.abs(w)) > math.sqrt(3) * sigma * (1 + 1e-6):
            return _fail(f"some weights exceed the limit L = √3·σ = {math.sqrt(3) * sigma:.4g}.")
    return _ok(f"{scheme} {distribution}: shape, mean, std and distribution are right on a dense "
               f"and a conv kernel.")


def check_fans(student) -> Feedback:
    """Check ``student(shape) -> (fan_in, fan_out)`` in the Keras layout ``(..., in, out)``."""
    rng = np.random.default_rng(1)
    cases = [((int(rng.integers(2, 500)), int(rng.integers(2, 500))),) for _ in range(4)]
    cases += [(tuple(int(d) for d in rng.integers(1, 8, size=k)) + (int(rng.integers(2, 70)), int(rng.integers(2, 70))),)
              for k in (1, 2, 3) for _ in range(3)]
    cases = [c for c in cases if compute_fans(c[0])[0] != compute_fans(c[0])[1]]
    for (shape,) in cases:
        got, bad = _call(student, shape)
        if bad is not None:
            return bad
        try:
            got = tuple(int(v) for v in got)
        except (TypeError, ValueError):
            return _fail(f"return a pair (fan_in, fan_out), got {got!r:.80}")
        want = compute_fans(shape)
        if got == want:
            continue
        start = f"for shape {shape} you returned {got}, the fans are {want}"
        rf = math.prod(shape[:-2])
        if got == want[::-1]:
            return _fail(f"{start}: swapped. In Keras the kernel is (..., in, out): fan_in comes from shape[-2].")
        if got == (shape[-2], shape[-1]):
            return _fail(f"{start}: multiply by the receptive field, the product of the leading "
                         f"dims (here {rf}): each output sees kh·kw·in inputs.")
        if got == (shape[1] * math.prod(shape[2:]), shape[0] * math.prod(shape[2:])):
            return _fail(f"{start}: that is PyTorch's layout (out, in, kh, kw); Keras puts in and out last.")
        return _fail(start + ".")
    return _ok(f"correct on all {len(cases)} dense and conv shapes.")


# ---------------------------------------------------------------------------------------------
# Chapter 1: what not to do

def check_signal_after(student) -> Feedback:
    """Check ``student(depth, n, sigma)``: the std of the signal after ``depth`` near-linear layers
    of width n with N(0, σ²) weights, for a unit-std input: (√n·σ)^depth."""
    rng = np.random.default_rng(2)
    cases = [(int(rng.integers(2, 40)), int(rng.integers(10, 1000)), float(rng.uniform(0.001, 0.2)))
             for _ in range(8)]
    return _compare(student, cases, lambda d, n, s: (math.sqrt(n) * s) ** d, [
        (lambda d, n, s: (n * s * s) ** d, "that is the variance factor (n·σ²)^depth; the std is its square root."),
        (lambda d, n, s: (n * s) ** d, "each layer multiplies the std by √n·σ, not n·σ: variances add, stds don't."),
        (lambda d, n, s: (math.sqrt(n) * s) ** (d - 1), "off by one layer: the input goes through all `depth` layers."),
        (lambda d, n, s: math.sqrt(n) * s * d, "the factors multiply layer after layer, they don't add."),
    ], "std after depth layers", rtol=1e-4)


def check_heuristic_width(student) -> Feedback:
    """Check ``student(limit)``: the width n at which U[−L, L] weights keep n·Var w = 1, n = 3/L²."""
    cases = [(L,) for L in (0.3, 1.0, 0.05, 0.1, 0.5)]
    return _compare(student, cases, lambda L: 3 / L**2, [
        (lambda L: 1 / L**2, "the variance of U[−L, L] is L²/3, not L²."),
        (lambda L: math.sqrt(3) / L, "solve n·L²/3 = 1 for n: n = 3/L² (no square root)."),
        (lambda L: 1 / (3 * L**2), "the variance of U[−L, L] is L²/3, so n = 3/L²; you divided by 3 instead."),
    ], "width", rtol=1e-4)


def check_which_params_learn(answer, activation) -> Feedback:
    """Check the set of parameter names (``"W1"``, ``"b1"``, ``"W2"``, ``"b2"``) whose gradient is
    non-zero at the first step of a 1-hidden-layer net started from all-zero weights.

    The truth is computed, not stored: :func:`initlab.tinynet.train` on an unbalanced 2-D task.
    """
    names = ("W1", "b1", "W2", "b2")
    if isinstance(answer, str) or not all(isinstance(a, str) for a in _iter(answer)):
        return _fail(f"answer with a set of names such as {{'b2'}}, chosen from {', '.join(names)}")
    answer = set(answer)
    if not answer <= set(names):
        return _fail(f"unknown names {sorted(answer - set(names))}; choose from {', '.join(names)}")
    X, y = circles(200, seed=3)
    y = np.where(np.arange(len(y)) % 4 == 0, 0.0, 1.0)  # 75 % ones: the output bias has work to do
    run = train(X, y, sizes=(2, 4, 1), activation=activation, init="zeros", steps=0)
    truth = {name for name, g in zip(names, [g for pair in run.grads0 for g in pair])
             if np.any(np.abs(g) > 1e-12)}
    if answer == truth:
        return _ok(f"right: with {activation} hidden units only {', '.join(sorted(truth))} "
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
    return _fail("not quite: " + "; ".join(notes) + ".")


def _iter(x):
    try:
        return list(x)
    except TypeError:
        return [None]


# ---------------------------------------------------------------------------------------------
# Chapter 2: variance theory

def check_relu_moments(answer) -> Feedback:
    """Check ``answer = (E[ReLU(z)²]/E[z²], Var[ReLU(z)]/Var[z])`` for z ~ N(0, σ²).

    Exact: ½ and ½ − 1/(2π) ≈ 0.341. A Monte-Carlo estimate within 0.005 is accepted.
    """
    try:
        second, var = (float(v) for v in answer)
    except (TypeError, ValueError):
        return _fail("answer with a pair of numbers: (second-moment ratio, variance ratio)")
    want = (0.5, 0.5 - 1 / (2 * math.pi))
    if abs(second - want[0]) > 0.005:
        return _fail(f"E[ReLU(z)²]/E[z²] is {second:.4g}, expected ½: by symmetry the positive half "
                     f"of z carries half of E[z²], and ReLU keeps exactly that half.")
    if abs(var - want[1]) > 0.005:
        if abs(var - 0.5) <= 0.005:
            return _fail("Var[ReLU(z)] is not ½Var z: ReLU(z) has mean σ/√(2π), so "
                         "Var = ½σ² − σ²/(2π) ≈ 0.34σ². It is the second moment that halves.")
        return _fail(f"Var[ReLU(z)]/Var z is {var:.4g}, expected ½ − 1/(2π) ≈ {want[1]:.4f}: "
                     f"subtract the squared mean E[ReLU(z)]² = σ²/(2π).")
    return _ok("right: the second moment halves, the variance falls to ≈ 0.34 of Var z.")


def check_linear_std_ratio(student) -> Feedback:
    """Check ``student(widths, weight_vars)``: the std of the last layer's z over the input's std
    in a linear net, √(∏ n_{l−1}·v_l), with ``widths = [n_0, ..., n_L]`` and ``weight_vars[l−1] = v_l``."""
    rng = np.random.default_rng(4)
    cases = []
    for _ in range(6):
        depth = int(rng.integers(2, 8))
        widths = [int(v) for v in rng.integers(5, 500, size=depth + 1)]
        cases.append((widths, [float(v) for v in rng.uniform(0.5, 1.5, size=depth) / np.array(widths[:-1])]))
    prod = lambda ns, vs: math.prod(n * v for n, v in zip(ns, vs))
    return _compare(student, cases, lambda w, v: math.sqrt(prod(w[:-1], v)), [
        (lambda w, v: prod(w[:-1], v), "that is the variance ratio; the std ratio is its square root."),
        (lambda w, v: math.sqrt(prod(w[1:], v)), "layer l sums over its n_{l−1} inputs (fan_in), not its n_l outputs."),
        (lambda w, v: math.sqrt(sum(n * x for n, x in zip(w[:-1], v))), "the per-layer factors multiply, they don't add."),
    ], "std ratio", rtol=1e-4)


def check_linear_grad_ratio(student) -> Feedback:
    """Check ``student(widths, weight_vars)``: in a linear net, the std of the gradient that reaches
    the input, ∂L/∂x, over the std of ∂L/∂z_L, √(∏ n_l·v_l) for l = 1..L: going back through W_l
    (shape n_{l−1} × n_l) sums over its n_l outputs, its fan_out. Same arguments as
    :func:`check_linear_std_ratio`: ``widths = [n_0, ..., n_L]``, ``weight_vars[l−1] = v_l``."""
    rng = np.random.default_rng(5)
    cases = []
    for _ in range(6):
        depth = int(rng.integers(2, 8))
        widths = [int(v) for v in rng.integers(5, 500, size=depth + 1)]
        cases.append((widths, [float(v) for v in rng.uniform(0.5, 1.5, size=depth) / np.array(widths[1:])]))
    prod = lambda ns, vs: math.prod(n * v for n, v in zip(ns, vs))
    return _compare(student, cases, lambda w, v: math.sqrt(prod(w[1:], v)), [
        (lambda w, v: prod(w[1:], v), "that is the variance ratio; the std ratio is its square root."),
        (lambda w, v: math.sqrt(prod(w[:-1], v)), "that is the forward ratio: going back through W_l "
         "sums over its n_l outputs (fan_out), not its n_{l−1} inputs."),
        (lambda w, v: 1 / math.sqrt(prod(w[1:], v)), "you inverted the ratio: it is std(∂L/∂x) over std(∂L/∂z_L)."),
        (lambda w, v: math.sqrt(prod(w[2:], v[1:])), "that stops at ∂L/∂z_1 (simulate's grad_ratio); the "
         "gradient reaching x also goes back through W_1, so include n_1·v_1."),
        (lambda w, v: math.sqrt(sum(n * x for n, x in zip(w[1:], v))), "the per-layer factors multiply, they don't add."),
    ], "std ratio", rtol=1e-4)


__all__ += ["check_linear_grad_ratio"]


# ---------------------------------------------------------------------------------------------
# Chapter 3: Xavier/Glorot

def check_uniform_variance_factor(student) -> Feedback:
    """Check ``student(fan_in, limit)``: the factor by which a linear layer with ``fan_in`` inputs
    and U[−limit, limit] weights multiplies the variance of its (zero-mean) input, fan_in·limit²/3.

    For Glorot & Bengio (2010)'s "standard" limit 1/√fan_in it is 1/3 at every width (their
    n·Var W = 1/3); the cases include that limit and arbitrary ones.
    """
    rng = np.random.default_rng(6)
    cases = [(n, 1 / math.sqrt(n)) for n in (10, 256, 1000)]
    cases += [(int(rng.integers(5, 2000)), float(rng.uniform(0.01, 0.5))) for _ in range(5)]
    return _compare(student, cases, lambda n, L: n * L * L / 3, [
        (lambda n, L: n * L * L, "the variance of U[−L, L] is L²/3, not L²: you forgot the /3."),
        (lambda n, L: math.sqrt(n / 3) * L, "that is the factor on the std; the variance factor is its "
         "square, fan_in·L²/3."),
        (lambda n, L: L * L / 3, "that is Var w alone: each output sums fan_in products w·x, and their "
         "variances add, so multiply by fan_in."),
        (lambda n, L: n * L * L / 12, "U[−L, L] has width 2L, so its variance is (2L)²/12 = L²/3, not L²/12."),
        (lambda n, L: n * L / 3, "square the limit: Var w = L²/3."),
        (lambda n, L: 3 / (n * L * L), "you inverted the factor: it is fan_in·Var w = fan_in·L²/3."),
    ], "variance factor", rtol=1e-4)


__all__ += ["check_uniform_variance_factor"]


# ---------------------------------------------------------------------------------------------
# Chapter 5: LeCun and SELU

def _selu_exact_moments():
    """(E[selu(z)], E[selu(z)²], E[selu(z)⁴]) for z ~ N(0, 1), in closed form (Klambauer et al.
    2017): with Φ the normal cdf, E[z; z>0] = 1/√(2π), E[e^z; z≤0] = e^{1/2}Φ(−1),
    E[e^{2z}; z≤0] = e²Φ(−2), E[e^{kz}; z≤0] = e^{k²/2}Φ(−k)."""
    from .propagation import SELU_ALPHA as a, SELU_LAMBDA as lam
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
    """
    if answer is None:
        return _fail("your answer is None: estimate the pair (E[selu(z)], E[selu(z)²]) from samples "
                     "z ~ N(0, 1) and pass it in.")
    try:
        mean, second = (float(v) for v in answer)
    except (TypeError, ValueError):
        return _fail("answer with a pair of numbers: (E[selu(z)], E[selu(z)²]) for z ~ N(0, 1)")
    if not (math.isfinite(mean) and math.isfinite(second)):
        return _fail(f"your estimates ({mean}, {second}) are not finite numbers.")
    m1, m2, m4 = _selu_exact_moments()
    n = 10**6
    tol_mean, tol_second = Z * math.sqrt((m2 - m1 * m1) / n), Z * math.sqrt((m4 - m2 * m2) / n)
    start = f"you found E[selu(z)] = {mean:.4g}, E[selu(z)²] = {second:.4g}"
    # Values produced by typical mistakes (computed with 4·10⁶ samples; closed form where easy).
    mistakes = [
        ((0.1603, 0.6447), "that is ELU (α = λ = 1), not SELU: use α ≈ 1.6733 and λ ≈ 1.0507."),
        ((0.0, 1 / 1.0507009873554805 ** 2), "you left out the factor λ ≈ 1.0507 that multiplies both branches."),
        ((0.0200, 0.9574), "λ multiplies the negative branch too: selu(z) = λ·α(e^z − 1) for z ≤ 0."),
        ((0.2480, 1.8472), "α and λ are swapped: α ≈ 1.6733 is inside the negative branch, λ ≈ 1.0507 outside."),
        ((0.8793, 1.0720), "the negative branch is λα(e^z − 1), not λα·e^z: it must be 0 at z = 0."),
        ((0.5253, 0.3680), "z must be a standard normal (rng.standard_normal), not uniform on [0, 1)."),
        ((0.0893, 1.7219), "z must have variance 1, not 2: the fixed point is for unit-variance inputs."),
        ((0.3989, 0.5), "that is ReLU: SELU keeps a negative branch λα(e^z − 1)."),
    ]
    for (wm, ws), hint in mistakes:
        if abs(mean - wm) <= 3 * tol_mean and abs(second - ws) <= 3 * tol_second:
            return _fail(f"{start}: {hint}")
    if abs(mean - m1) > tol_mean:
        return _fail(f"{start}; E[selu(z)] should be 0 (within ±{tol_mean:.2g} for 10⁶ samples). "
                     f"Check the formula of selu and that z ~ N(0, 1).")
    if abs(second - m2) > tol_second:
        return _fail(f"{start}; E[selu(z)²] should be 1 (within ±{tol_second:.2g} for 10⁶ samples). "
                     f"Check the formula of selu, that z ~ N(0, 1), and use at least 10⁶ samples.")
    return _ok(f"{start}: mean 0 and second moment 1 (so variance 1 too), the fixed point the "
               f"constants α and λ were solved for.")


_SELU_SCALE_DEPTH, _SELU_SCALE_WIDTH, _SELU_SCALE_BAND = 100, 512, (0.9, 1.1)


def _selu_variance_at_depth(scale):
    from .propagation import predict_variance
    p = predict_variance(_SELU_SCALE_DEPTH, _SELU_SCALE_WIDTH, "selu", "lecun_normal", scale=scale)
    return float(p.act_std[-1] ** 2)


_SELU_SCALE_CACHE = []


def selu_scale_tolerance() -> tuple[float, float]:
    """The multipliers s on ``lecun_normal`` weights (Var w = s²/n) for which the mean-field theory
    puts the activation variance of a 100-layer SELU network (width 512) within ±10 % of 1.

    Found by bisection on :func:`initlab.propagation.predict_variance`; about (0.985, 1.013).
    The band is narrow because the fixed point moves fast with s: the map q ↦ s²·E[selu(z)²] has
    slope ≈ 0.78 at q = 1, so a change ε in s² moves the fixed point by ≈ ε/(1 − 0.78).
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
    """
    if answer is None:
        return _fail("your answer is None: replace it with the scale you found (a number).")
    s, bad = _number(answer, "your answer")
    if bad is not None:
        return bad
    if s <= 0:
        return _fail(f"the scale must be a positive multiplier on the weights, got {s:g}.")
    lo, hi = selu_scale_tolerance()
    if lo <= s <= hi:
        near = "" if abs(s - 1) < 1e-9 else (f" (accepted: [{lo:.3f}, {hi:.3f}] keeps the variance "
                                              f"within ±10 % of 1; the exact answer is s = 1)")
        return _ok(f"s = {s:.4g} keeps the variance at 1{near}: Var w = 1/fan_in, i.e. lecun_normal, "
                   f"the init for which α and λ were solved.")
    var = _selu_variance_at_depth(s)
    start = f"with s = {s:.4g} (Var w = {s * s:.3g}/n) the theory gives variance {var:.3g} at layer 100"
    if s < 0.1:
        return _fail(f"{start}. Answer with the multiplier on lecun_normal's weights (1 means "
                     f"lecun_normal unchanged), not with a variance or a std such as 1/√n.")
    hints = [
        (math.sqrt(2), "√2 is He's factor (Var w = 2/n) for ReLU, which zeroes half of its input. "
                       "SELU keeps both halves: its variance grows by ≈ λ² ≈ 1.10 per layer."),
        (0.75, "3/4 is PyTorch's gain('selu'): it trades the fixed point for steadier gradients in "
               "rectangular layers. Self-normalization needs gain 1 (nonlinearity='linear')."),
        (math.sqrt(0.5), "Var w = 0.5/n is too small: the variance collapses to a tiny fixed point."),
        (1.0507009873554805, "λ ≈ 1.0507 is already inside selu; the weights need no extra factor."),
        (1 / 1.0507009873554805, "λ ≈ 1.0507 is part of selu's design, not something to divide out."),
        (5 / 3, "5/3 is PyTorch's gain for tanh, not for SELU."),
    ]
    for value, hint in hints:
        if abs(s - value) <= 0.01 * value:
            return _fail(f"{start}: {hint}")
    direction = "too large: the variance settles above 1" if s > hi else "too small: the variance settles below 1"
    return _fail(f"{start}, {direction}. Try predict_variance or simulate over a few scales.")


__all__ += ["check_selu_fixed_point", "check_selu_scale", "selu_scale_tolerance"]


# ---------------------------------------------------------------------------------------------
# Chapter 4: He/Kaiming

def check_leaky_gain(student) -> Feedback:
    """Check ``student(a)``: the gain of a leaky ReLU with negative slope a, √(2/(1 + a²))."""
    cases = [(a,) for a in (0.0, 0.01, 0.1, 0.2, 0.5, 1.0, 3.0)]
    return _compare(student, cases, lambda a: math.sqrt(2 / (1 + a * a)), [
        (lambda a: 2 / (1 + a * a), "that is g², the variance factor; the gain is its square root."),
        (lambda a: math.sqrt(2 / (1 + a)), "the negative side contributes a²·½E[z²], so it is 1 + a², not 1 + a."),
        (lambda a: math.sqrt(2), "that is the ReLU gain; the slope a gives back part of the negative half."),
        (lambda a: math.sqrt(1 + a * a), "E[f(z)²] = ½(1 + a²)E[z²], so g² = 2/(1 + a²): you inverted it."),
    ], "gain", rtol=1e-6)


__all__ += ["check_leaky_gain"]


# ---------------------------------------------------------------------------------------------
# Coursework (assignments/): per-student numbers, and Keras objects judged by their description
# (initlab.coursework.describe), so a check runs the same on a live object and on a graded one.

#: The scheme the course recommends for each activation.
RECOMMENDED = {"relu": "he", "tanh": "glorot", "selu": "lecun"}
_VARIANCE = {"he": "Var w = 2/fan_in", "glorot": "Var w = 2/(fan_in + fan_out)",
             "lecun": "Var w = 1/fan_in", "he_fan_out": "Var w = 2/fan_out"}


def _first_depth_below(factor, threshold):
    depth, value = 1, factor
    while value >= threshold:
        depth, value = depth + 1, value * factor
    return depth


def check_vanish_depth(answer, width, sigma, threshold=1e-6) -> Feedback:
    """Check ``answer``: the smallest depth d at which a unit-std signal through near-linear layers
    of width ``width`` with N(0, σ²) weights has a std below ``threshold``, (√width·σ)^d < threshold."""
    factor = math.sqrt(width) * sigma
    if not 0 < factor < 1:
        raise ValueError(f"√width·σ must be in (0, 1) for the signal to vanish, got {factor:g}")
    if isinstance(answer, (bool, np.bool_)) or not isinstance(answer, (int, float, np.integer, np.floating)) \
            or not float(answer).is_integer():
        return _fail(f"the depth must be a whole number of layers, got {answer!r:.60}")
    got, want = int(answer), _first_depth_below(factor, threshold)
    if got == want:
        return _ok(f"right: the std after {want} layers is {factor ** want:.3g} < {threshold:g}, "
                   f"after {want - 1} it is still {factor ** (want - 1):.3g}.")
    start = f"you answered {got}, but the std falls below {threshold:g} after {want} layers"
    variance = width * sigma * sigma
    if got == _first_depth_below(variance, threshold) and got != want:
        return _fail(f"{start}: you used the variance factor n·σ² = {variance:.3g} per layer; the std "
                     f"shrinks by √n·σ = {factor:.3g} per layer.")
    if 0 < width * sigma < 1 and got == _first_depth_below(width * sigma, threshold):
        return _fail(f"{start}: each layer multiplies the std by √n·σ, not n·σ.")
    if got == want - 1:
        return _fail(f"{start}: after {got} layers the std is still {factor ** got:.3g}, not below {threshold:g}.")
    if got == want + 1:
        return _fail(f"{start}: one layer too many, after {want} layers it is already {factor ** want:.3g}.")
    return _fail(start + f" (each layer multiplies the std by √{width}·{sigma:g} = {factor:.4g}).")


def check_layer_stds(answer, widths, activation) -> Feedback:
    """Check ``answer``: one σ per weight matrix of a dense net of layer widths
    ``widths = [n_0, ..., n_L]`` with the scheme the course recommends for ``activation``
    (:data:`RECOMMENDED`: He for relu, Glorot for tanh, LeCun for selu)."""
    if activation not in RECOMMENDED:
        raise ValueError(f"activation must be one of {', '.join(RECOMMENDED)}, got {activation!r}")
    scheme, shapes = RECOMMENDED[activation], list(zip(widths[:-1], widths[1:]))
    if isinstance(answer, (str, bytes)) or not hasattr(answer, "__len__"):
        return _fail(f"answer with a list of numbers, one σ per weight matrix; got {type(answer).__name__}")
    try:
        values = [float(v) for v in answer]
    except (TypeError, ValueError):
        return _fail("answer with a list of numbers, one σ per weight matrix")
    if len(values) != len(shapes):
        return _fail(f"{len(widths)} widths make {len(shapes)} weight matrices (widths[0] is the input), "
                     f"so give {len(shapes)} values, not {len(values)}.")
    want = [_target_std(scheme, s) for s in shapes]
    if all(_close(v, w, 1e-4) for v, w in zip(values, want)):
        return _ok(f"right: {scheme}'s σ for {activation}, {_VARIANCE[scheme]}, on each of the {len(shapes)} layers.")
    for other in SCHEMES:
        if other != scheme and all(_close(v, _target_std(other, s), 1e-4) for v, s in zip(values, shapes)):
            return _fail(f"those are {other}'s σ ({_VARIANCE[other]}); for {activation} use {scheme}: "
                         f"{_VARIANCE[scheme]}.")
    for wrong, hint in _std_mistakes(scheme):
        try:
            if all(_close(v, wrong(s), 1e-4) for v, s in zip(values, shapes)):
                return _fail(f"{scheme}'s σ for {activation}: {hint}")
        except (ZeroDivisionError, ValueError):
            continue
    i = next(i for i, (v, w) in enumerate(zip(values, want)) if not _close(v, w, 1e-4))
    return _fail(f"layer {i + 1} (weights {shapes[i]}): you gave σ = {values[i]:.4g}, {scheme}'s "
                 f"({_VARIANCE[scheme]}) is {want[i]:.4g}.")


_KERAS_SCHEME = {"HeNormal": "he", "HeUniform": "he", "GlorotNormal": "glorot",
                 "GlorotUniform": "glorot", "LecunNormal": "lecun", "LecunUniform": "lecun"}
_KERAS_CASES = (([64, 128, 32], "relu"), ([32, 64, 64], "tanh"), ([48, 96, 24], "selu"))


def _keras_scheme(init) -> str | None:
    """The scheme of a described Keras initializer: a name of :data:`SCHEMES`, "other" for another
    variance scaling, None if it is not one (or unknown, e.g. a custom function)."""
    if not isinstance(init, dict):
        return None
    cls, config = init.get("class"), init.get("config") or {}
    if cls in _KERAS_SCHEME:
        return _KERAS_SCHEME[cls]
    if cls == "VarianceScaling":
        for name, (scale, mode) in SCHEMES.items():
            if _close(float(config.get("scale", 1.0)), scale) and config.get("mode", "fan_in") == mode:
                return name
        return "other"
    return None


def _model(model, what):
    from .coursework import describe

    description = describe(model)
    if not isinstance(description, dict) or description.get("kind") != "model":
        return None, _fail(f"{what} must return a Keras model (e.g. keras.Sequential), got "
                           f"{type(model).__name__}")
    return [layer for layer in description["layers"] if "kernel" in (layer.get("weights") or {})], None


def check_keras_model(build, widths=None, activation=None) -> Feedback:
    """Check ``build(widths, activation)`` returns a Keras model of ``len(widths) − 1`` Dense layers
    of ``widths[1:]`` units with that activation, zero biases and kernels drawn with the scheme of
    :data:`RECOMMENDED` (judged by the initializer's class when Keras names it, and always by the
    kernels' std within five standard errors). Tried on (widths, activation) first if given,
    then on three fixed cases, one per activation."""
    cases = ([(list(widths), activation)] if widths is not None else []) + list(_KERAS_CASES)
    for w, act in cases:
        scheme, call = RECOMMENDED[act], f"build_model({list(w)}, {act!r})"
        model, bad = _call(build, list(w), act)
        if bad is not None:
            return bad
        dense, bad = _model(model, "build_model")
        if bad is not None:
            return bad
        if len(dense) != len(w) - 1:
            return _fail(f"{call} has {len(dense)} layers with a kernel, {list(w)} needs {len(w) - 1}: "
                         f"widths[0] is the input size and each later width is one Dense layer.")
        for i, (layer, shape) in enumerate(zip(dense, zip(w[:-1], w[1:])), 1):
            kernel = np.asarray(layer["weights"]["kernel"], dtype=np.float64)
            if kernel.shape != shape:
                return _fail(f"{call}: layer {i} has a kernel of shape {kernel.shape}, expected {shape}.")
            if layer.get("activation") != act:
                return _fail(f"{call}: layer {i} has activation {layer.get('activation')!r}, expected {act!r}.")
            init = (layer.get("initializers") or {}).get("kernel_initializer")
            sigma, std = _target_std(scheme, shape), float(kernel.std())
            found = _keras_scheme(init)
            if found not in (None, scheme) or abs(std - sigma) > Z * sigma / math.sqrt(2 * kernel.size):
                cls = (init or {}).get("class", "?")
                hint = (" That is Dense's default, glorot_uniform, which Keras uses whatever the "
                        "activation: pass kernel_initializer." if cls == "GlorotUniform" and scheme != "glorot"
                        else f" Its initializer, {cls}, follows {found}'s scheme." if found in SCHEMES else "")
                return _fail(f"{call}: layer {i}'s kernel has std {std:.4g}, but {scheme}'s σ for {shape} is "
                             f"{sigma:.4g}: for {act} use {scheme}_normal or {scheme}_uniform.{hint}")
            bias = (layer.get("weights") or {}).get("bias")
            if bias is not None and np.any(np.asarray(bias) != 0):
                return _fail(f"{call}: layer {i}'s biases are not zero; keep Keras' default bias_initializer='zeros'.")
    return _ok(f"right on {len(cases)} networks: layers, activations, zero biases and "
               f"{', '.join(sorted({RECOMMENDED[a] for _, a in cases}))} kernels.")


#: The weights whose default initializer check_keras_defaults asks for.
DEFAULT_KEYS = ("Dense.kernel", "Dense.bias", "Conv2D.kernel", "LSTM.recurrent", "Embedding.embeddings")


def _keras_defaults(keras):
    layers = keras.layers
    lstm = layers.LSTM(4)
    return {"Dense.kernel": layers.Dense(4, activation="relu").kernel_initializer,
            "Dense.bias": layers.Dense(4).bias_initializer,
            "Conv2D.kernel": layers.Conv2D(4, 3, activation="relu").kernel_initializer,
            "LSTM.recurrent": getattr(lstm, "cell", lstm).recurrent_initializer,
            "Embedding.embeddings": layers.Embedding(10, 4).embeddings_initializer}


def check_keras_defaults(answer) -> Feedback:
    """Check ``answer``: a dict from each key of :data:`DEFAULT_KEYS` (``"Dense.kernel"``, ...)
    to the name of the initializer Keras uses by default. Any identifier that
    ``keras.initializers.get`` turns into the same class and configuration is right; the truth is
    read from the installed Keras."""
    import re

    if not isinstance(answer, dict):
        return _fail(f"answer with a dict from {', '.join(DEFAULT_KEYS)} to initializer names")
    missing = [k for k in DEFAULT_KEYS if k not in answer]
    if missing:
        return _fail(f"your dict has no entry for {', '.join(missing)}")
    from .training import import_keras

    keras = import_keras()
    config = lambda init: {k: v for k, v in init.get_config().items() if k != "seed"}
    for key, want in _keras_defaults(keras).items():
        name = answer[key]
        snake = re.sub(r"(?<!^)(?=[A-Z])", "_", type(want).__name__).lower()
        if not isinstance(name, str):
            return _fail(f"{key}: give the initializer's name as a string, e.g. 'zeros'; got {name!r:.60}")
        try:
            got = keras.initializers.get(name)
        except (ValueError, TypeError):
            return _fail(f"{key}: Keras knows no initializer called {name!r}.")
        if type(got) is type(want) and config(got) == config(want):
            continue
        hint = {"Dense.kernel": " Keras does not choose by activation: Dense(4, activation='relu') "
                                "still starts from glorot_uniform.",
                "Conv2D.kernel": " Conv layers share Dense's default, whatever the activation.",
                "LSTM.recurrent": " The recurrent kernel is an orthogonal matrix by default.",
                "Embedding.embeddings": " Embeddings default to a small uniform, U(−0.05, 0.05)."}.get(key, "")
        return _fail(f"{key}: {name!r} is not Keras' default, {snake!r}.{hint}")
    return _ok(f"right: all {len(DEFAULT_KEYS)} defaults match the installed Keras {keras.__version__}.")


def check_seed_reuse(build_pitfall, build_fixed, width=32, seed=7) -> Feedback:
    """Check two builders ``f(width, seed)`` of a model with two ``Dense(width)`` layers on a
    ``width``-wide input: in ``build_pitfall`` one int-seeded initializer object serves both layers,
    so their kernels are identical; ``build_fixed`` gives them different kernels, and stays
    reproducible (the same seed, the same kernels) and seeded (another seed, other kernels)."""

    def kernels(build, what, s):
        model, bad = _call(build, width, s)
        if bad is not None:
            return None, bad
        dense, bad = _model(model, what)
        if bad is not None:
            return None, bad
        ks = [np.asarray(layer["weights"]["kernel"]) for layer in dense[:2]]
        if len(ks) < 2 or any(k.shape != (width, width) for k in ks):
            return None, _fail(f"{what}({width}, {s}) must have two Dense({width}) layers on a "
                               f"{width}-wide input, so that both kernels are ({width}, {width}); it has "
                               f"kernels of shapes {[k.shape for k in ks]}.")
        return ks, None

    pitfall, bad = kernels(build_pitfall, "build_pitfall", seed)
    if bad is not None:
        return bad
    if not np.array_equal(pitfall[0], pitfall[1]):
        return _fail("build_pitfall: the two kernels differ, so this is not the pitfall. Create ONE "
                     "initializer object with an int seed, e.g. keras.initializers.GlorotUniform(seed=seed), "
                     "and pass that same object to both layers.")
    runs = []
    for s in (seed, seed, seed + 1):
        ks, bad = kernels(build_fixed, "build_fixed", s)
        if bad is not None:
            return bad
        runs.append(ks)
    if np.array_equal(runs[0][0], runs[0][1]):
        return _fail("build_fixed: the two layers still get identical kernels. Give each layer its own "
                     "initializer with its own seed (e.g. seed and seed + 1), or seed both with one "
                     "keras.random.SeedGenerator(seed).")
    if not all(np.array_equal(a, b) for a, b in zip(runs[0], runs[1])):
        return _fail(f"build_fixed is not reproducible: two calls with seed {seed} gave different kernels. "
                     f"Keep the initializers seeded.")
    if np.array_equal(runs[0][0], runs[2][0]) and np.array_equal(runs[0][1], runs[2][1]):
        return _fail(f"build_fixed ignores its seed: seeds {seed} and {seed + 1} gave the same kernels.")
    return _ok("right: the reused seeded object copies one kernel into both layers; your fix gives "
               "different, reproducible kernels.")


#: The (scheme, distribution) of each Keras variance-scaling preset name.
KERAS_PRESETS = {f"{s}_{d}": (s, d) for s in ("he", "glorot", "lecun") for d in ("uniform", "normal")}


def check_variance_scaling(init, name) -> Feedback:
    """Check ``init`` equals the Keras preset ``name`` (e.g. ``"he_normal"``, see
    :data:`KERAS_PRESETS`) written as ``keras.initializers.VarianceScaling(scale, mode,
    distribution)``: its configuration when it has one, and its samples always
    (:func:`check_sampler` on a dense and a conv shape)."""
    import re

    from .coursework import describe

    if name not in KERAS_PRESETS:
        raise ValueError(f"name must be one of {', '.join(KERAS_PRESETS)}, got {name!r}")
    scheme, distribution = KERAS_PRESETS[name]
    scale, mode = SCHEMES[scheme]
    want = "truncated_normal" if distribution == "normal" else "uniform"
    description = describe(init)
    if isinstance(description, dict) and description.get("kind") == "initializer":
        cls, config = description.get("class"), description.get("config") or {}
        if cls == "VarianceScaling":
            if not _close(float(config.get("scale", 1.0)), scale):
                return _fail(f"scale={config.get('scale')}: {name} has scale={scale:g} ({_VARIANCE[scheme]}).")
            if config.get("mode") != mode:
                return _fail(f"mode={config.get('mode')!r}: {name} has mode={mode!r} ({_VARIANCE[scheme]}).")
            if config.get("distribution") != want:
                extra = (" Keras' *_normal presets draw from a truncated normal (cut at ±2σ₀, rescaled "
                         "so the std is σ); 'normal' means the same in VarianceScaling."
                         if config.get("distribution") == "untruncated_normal" else "")
                return _fail(f"distribution={config.get('distribution')!r}: {name} uses {want!r}.{extra}")
        elif cls in _KERAS_SCHEME and re.sub(r"(?<!^)(?=[A-Z])", "_", cls).lower() != name:
            return _fail(f"that is {cls}, not {name}.")
    with np.errstate(all="ignore"):                     # e.g. constant samples: std 0, kurtosis 0/0
        feedback = check_sampler(lambda shape, rng: np.asarray(init(shape)), scheme, distribution)
    if not feedback.passed:
        return _fail(f"samples from your initializer: {feedback.message}")
    return _ok(f"right: {name} = VarianceScaling(scale={scale:g}, mode={mode!r}, distribution={want!r}); "
               f"its samples have the right shape, std and distribution.")


__all__ += ["RECOMMENDED", "check_vanish_depth", "check_layer_stds", "check_keras_model",
            "DEFAULT_KEYS", "check_keras_defaults", "check_seed_reuse", "KERAS_PRESETS",
            "check_variance_scaling"]


# ---------------------------------------------------------------------------------------------
# Chapter 6: PyTorch's nn.Linear / nn.Conv default as a Keras initializer

def _pytorch_mistakes():
    """Wrong σ a translation of PyTorch's default gives, as functions of a Keras shape, with hints."""
    fi = lambda shape: compute_fans(shape)[0]
    fo = lambda shape: compute_fans(shape)[1]
    return [
        (lambda sh: 1 / math.sqrt(fi(sh)), "that is U(±√3/√fan_in), LeCun uniform: in PyTorch's default "
                                           "1/√fan_in is the *limit* of the uniform, so σ = 1/√(3·fan_in)."),
        (lambda sh: math.sqrt(2 / fi(sh)), "that is He uniform, kaiming_uniform_ with a = 0. PyTorch's "
                                           "default uses a = √5, gain² = 2/(1 + 5) = 1/3: the limit is 1/√fan_in."),
        (lambda sh: math.sqrt(2 / (fi(sh) + fo(sh))), "that is Keras' default, glorot_uniform; PyTorch's "
                                                      "default divides by fan_in only."),
        (lambda sh: 1 / math.sqrt(3 * fo(sh)), "you used fan_out. In Keras' layout (..., in, out) fan_in is "
                                               "kh·kw·in (PyTorch stores (out, in, kh, kw) and reads fan_in from dim 1)."),
        (lambda sh: 1 / math.sqrt(3 * sh[-2]), "for a conv kernel (kh, kw, in, out) fan_in includes the receptive "
                                               "field: fan_in = kh·kw·in, not in."),
        (lambda sh: 1 / math.sqrt(3 * sh[0]), "shape[0] is fan_in only for a dense kernel; for a conv kernel "
                                              "(kh, kw, in, out) it is the kernel height. Use fan_in = kh·kw·in."),
    ]


def check_pytorch_default(init) -> Feedback:
    """Check ``init(shape, dtype=None)``, a Keras initializer (a function, an ``Initializer``
    subclass or ``VarianceScaling``), draws PyTorch's ``nn.Linear``/``nn.Conv*`` default for a Keras
    kernel ``(..., in, out)``: U(±1/√fan_in), i.e. ``kaiming_uniform_(a=√5)``. Checked on a dense
    and a conv shape by the samples (shape, mean 0, std 1/√(3·fan_in) within five standard errors,
    the bound, a uniform shape); an object with ``get_config`` must also survive
    ``type(init).from_config(init.get_config())``."""
    if init is None:
        return _fail("init is None: assign your initializer (an object or a function f(shape, dtype=None)).")
    if not callable(init):
        return _fail(f"init must be callable as init(shape, dtype=None), got {type(init).__name__}")
    shapes = ((300, 200), (3, 3, 32, 64))

    def draw(initializer, shape, what="your initializer"):
        try:
            w = initializer(shape, dtype="float32")
        except Exception as error:  # the student's code may raise anything
            return None, _fail(f"{what} raised {type(error).__name__}: {error} (called with shape {shape})")
        if w is None:
            return None, _fail(f"{what} returned None for shape {shape}: did you forget to `return`?")
        try:
            w = np.asarray(w, dtype=np.float64)
        except (TypeError, ValueError):
            return None, _fail(f"{what} must return an array or tensor, got {type(w).__name__}")
        if w.shape != shape:
            hint = (" (transposed: a Keras kernel is (..., in, out), PyTorch's weight is (out, in, ...))"
                    if w.shape == shape[::-1] else "")
            return None, _fail(f"for shape {shape} {what} returned an array of shape {w.shape}{hint}.")
        if not np.all(np.isfinite(w)):
            return None, _fail(f"{what} returned inf or NaN for shape {shape}.")
        return w, None

    for shape in shapes:
        w, bad = draw(init, shape)
        if bad is not None:
            return bad
        fan_in = compute_fans(shape)[0]
        limit, sigma, n = 1 / math.sqrt(fan_in), 1 / math.sqrt(3 * fan_in), w.size
        mean, std = float(w.mean()), float(w.std())
        if std == 0:
            return _fail(f"for shape {shape} every weight is {mean:.4g}: a constant is not random.")
        if abs(mean) > Z * std / math.sqrt(n):
            return _fail(f"for shape {shape} your weights have mean {mean:.3g}; they must be centred on 0. "
                         f"Is it U[0, L) instead of U[−L, L]?")
        se = sigma * math.sqrt((_KURTOSIS["normal"] - 1) / (4 * n))
        if abs(std - sigma) > Z * se:
            start = (f"for shape {shape} your std is {std:.4g}, {std / sigma:.3g}× PyTorch's "
                     f"1/√(3·fan_in) = {sigma:.4g}")
            for wrong, hint in _pytorch_mistakes():
                value = wrong(shape)
                if abs(std - value) <= Z * se * max(1.0, value / sigma):
                    return _fail(f"{start}: {hint}")
            return _fail(start + ".")
        kurt = float(np.mean((w - mean) ** 4) / std**4)
        nearest = min(_KURTOSIS, key=lambda k: abs(kurt - _KURTOSIS[k]))
        if nearest != "uniform":
            return _fail(f"for shape {shape} your samples look {nearest.replace('_', ' ')} (kurtosis "
                         f"{kurt:.2f}), not uniform: PyTorch's default is U(±1/√fan_in).")
        if np.max(np.abs(w)) > limit * (1 + 1e-5):
            return _fail(f"for shape {shape} some weights exceed the limit 1/√fan_in = {limit:.4g}.")
    extra = ""
    if hasattr(init, "get_config") and not isinstance(init, type):
        try:
            clone = type(init).from_config(init.get_config())
        except Exception as error:  # a config that does not rebuild the object
            return _fail(f"the samples are right, but type(init).from_config(init.get_config()) raised "
                         f"{type(error).__name__}: {error}. get_config must return the arguments of "
                         f"__init__ as a dict, so that Keras can save and reload the initializer.")
        w, bad = draw(clone, shapes[0], "the object rebuilt from get_config()")
        if bad is not None:
            return bad
        sigma = 1 / math.sqrt(3 * compute_fans(shapes[0])[0])
        if abs(float(w.std()) - sigma) > Z * sigma * math.sqrt(2 / (4 * w.size)):
            return _fail(f"the object rebuilt from get_config() draws with std {float(w.std()):.4g}, not "
                         f"{sigma:.4g}: get_config must return every argument that sets the distribution.")
        extra = " It also survives get_config() → from_config()."
    return _ok("right: U(±1/√fan_in), PyTorch's kaiming_uniform_(a=√5), on a dense and a conv kernel "
               "(shape, mean, std, bound and uniform shape)." + extra)


__all__ += ["check_pytorch_default"]


# ---------------------------------------------------------------------------------------------
# Chapter 7: choosing an initializer

#: Activations :func:`check_choice` knows; ``leaky_relu`` and ``prelu`` take a ``slope``.
CHOICE_ACTIVATIONS = ("linear", "tanh", "softsign", "sigmoid", "relu", "leaky_relu", "prelu",
                      "selu", "gelu", "swish")
_CHOICE_SCHEMES = {"glorot": "glorot", "xavier": "glorot", "lecun": "lecun", "he": "he",
                   "kaiming": "he"}
_CHOICE_MODES = {"glorot": ("fan_avg",), "lecun": ("fan_in",), "he": ("fan_in", "fan_out")}
_CHOICE_SHAPE = "(scheme, mode, gain), e.g. (\"glorot\", \"fan_avg\", 1.0)"


def _choice_scheme(name):
    key = str(name).strip().lower().replace("-", "_").replace(" ", "_")
    for suffix in ("_uniform", "_normal"):
        key = key[:-len(suffix)] if key.endswith(suffix) else key
    return _CHOICE_SCHEMES.get(key)


def _parse_choice(answer):
    """(scheme, mode, gain) from a tuple/list or a dict; or (None, Feedback)."""
    if answer is None:
        return None, _fail(f"your answer is None: give {_CHOICE_SHAPE}.")
    if isinstance(answer, dict):
        parts = (answer.get("scheme", answer.get("init")), answer.get("mode"), answer.get("gain"))
    elif isinstance(answer, (tuple, list)) and len(answer) == 3:
        parts = tuple(answer)
    else:
        return None, _fail(f"give three things, {_CHOICE_SHAPE}; got {answer!r:.80}")
    scheme = _choice_scheme(parts[0]) if isinstance(parts[0], str) else None
    if scheme is None:
        return None, _fail(f"unknown scheme {parts[0]!r}: use 'glorot', 'lecun' or 'he' (Keras names "
                           f"such as 'he_normal' work too).")
    mode = parts[1].strip().lower() if isinstance(parts[1], str) else parts[1]
    if mode not in ("fan_in", "fan_out", "fan_avg"):
        return None, _fail(f"unknown mode {parts[1]!r}: use 'fan_in', 'fan_out' or 'fan_avg'.")
    gain, bad = _number(parts[2], "the gain")
    if bad is not None:
        return None, bad
    if gain <= 0:
        return None, _fail(f"the gain must be > 0 (Var w = gain²/fan), got {gain:g}.")
    if mode not in _CHOICE_MODES[scheme]:
        what = {"glorot": "Glorot averages the fans: mode 'fan_avg', Var w = g²·2/(fan_in + fan_out)",
                "lecun": "LeCun's variance is g²/fan_in: mode 'fan_in'",
                "he": "He et al. use 'fan_in' (or 'fan_out'; chapter 4), never the average"}[scheme]
        return None, _fail(f"scheme {scheme!r} with mode {mode!r} is not that scheme: {what}.")
    return (scheme, mode, gain), None


def _choice_targets(activation, slope):
    """(allowed modes, [(gain, note)], summary) of the chapter's table for ``activation``."""
    from . import beyond

    linear_modes = ("fan_avg", "fan_in")
    relu_modes = ("fan_in", "fan_out")
    if activation in ("linear", "tanh", "softsign"):
        gains = [(1.0, "")]
        if activation == "tanh":
            gains.append((5 / 3, " 5/3 is PyTorch's empirical tanh gain; with zero biases it puts the "
                                 f"network slightly on the chaotic side, χ₁ = {beyond.chi1(5 / 3):.2f}, "
                                 "where gain 1 is the edge of chaos."))
        return linear_modes, gains, "Glorot (fan_avg) or LeCun (fan_in), gain 1"
    if activation == "sigmoid":
        return linear_modes, [(1.0, " Caveat: no derivation backs this for the sigmoid (f'(0) = 1/4, mean "
                                    "1/2); it is Keras' default, fine for an output layer, and tanh is the "
                                    "better hidden activation.")], "Glorot or LeCun, gain 1, with a caveat"
    if activation == "relu":
        return relu_modes, [(math.sqrt(2), "")], "He (fan_in), gain √2"
    if activation in ("leaky_relu", "prelu"):
        g = math.sqrt(2 / (1 + slope * slope))
        return relu_modes, [(g, "")], f"He (fan_in), gain √(2/(1 + a²)) = {g:.4f} for a = {slope:g}"
    if activation == "selu":
        return ("fan_in",), [(1.0, "")], "LeCun (fan_in), gain 1"
    g = beyond.moment_gain(activation)                      # gelu, swish
    return relu_modes, [(math.sqrt(2), " √2 is the common choice."),
                        (g, f" That is the gain that keeps E[z²] = 1: E[{activation}(z)²] = "
                            f"{1 / g**2:.3f} for z ~ N(0, 1).")], \
        f"He (fan_in) with gain √2, or the moment gain {g:.3f}"


def check_choice(answer, activation, slope=None) -> Feedback:
    """Check an initializer choice ``(scheme, mode, gain)`` for ``activation`` against chapter 7's
    decision table. ``scheme`` is ``"glorot"``, ``"lecun"`` or ``"he"`` (or a Keras name such as
    ``"he_normal"``), ``mode`` one of ``"fan_in"``, ``"fan_out"``, ``"fan_avg"``, and ``gain`` the
    number g in Var w = g²/fan; a dict with keys ``scheme``, ``mode``, ``gain`` works too.

    What counts is the variance (mode and gain); the scheme must agree with the mode. Accepted:
    linear/tanh/softsign/sigmoid: fan_avg or fan_in with gain 1 (tanh also PyTorch's 5/3);
    relu, leaky_relu and prelu: fan_in or fan_out with gain √(2/(1 + a²)) (a = ``slope``: 0 for
    relu, default 0.01 for leaky_relu and 0.25, He et al.'s initial value, for prelu); selu:
    fan_in with gain 1; gelu, swish: fan_in or fan_out with gain √2 or the moment gain of
    ``initlab.beyond.moment_gain``. Gains within 1.25 % pass.
    """
    if activation not in CHOICE_ACTIVATIONS:
        raise ValueError(f"activation must be one of {', '.join(CHOICE_ACTIVATIONS)}, got {activation!r}")
    if slope is None:
        slope = {"leaky_relu": 0.01, "prelu": 0.25}.get(activation, 0.0)
    elif activation not in ("leaky_relu", "prelu"):
        raise ValueError(f"slope is only used by leaky_relu and prelu, not by {activation!r}")
    parsed, bad = _parse_choice(answer)
    if bad is not None:
        return bad
    scheme, mode, g = parsed
    modes, gains, summary = _choice_targets(activation, slope)
    near = lambda a, b: abs(a / b - 1) <= 0.0125                       # noqa: E731
    for want, note in gains:
        if near(g, want) and mode in modes:
            label = {"glorot": "Glorot", "lecun": "LeCun", "he": "He"}[scheme]
            if scheme == "he" and near(g, 1.0):
                note += " With gain 1 that is LeCun's variance; He's scheme is the gain-√2 family."
            return _ok(f"right: {label}, {mode}, gain {g:.4g} for {activation}.{note} Table: {summary}.")
    start = f"for {activation}: {summary}; you gave {scheme}, {mode}, gain {g:.4g}"
    relu_like = activation in ("relu", "leaky_relu", "prelu", "gelu", "swish")
    if any(near(g, w * w) and not near(w, 1.0) for w, _ in gains):
        return _fail(f"{start}: that gain is g², the `scale` of VarianceScaling; the gain is its square root.")
    if relu_like and mode == "fan_avg":
        return _fail(f"{start}: fan_avg is Glorot's compromise; ReLU-like layers use fan_in (or fan_out): "
                     f"each layer's factor is then exactly 1 and the rest telescopes (chapter 4).")
    if activation == "selu":
        if mode != "fan_in":
            return _fail(f"{start}: SELU's fixed point (mean 0, variance 1) needs Var w = 1/fan_in exactly; "
                         f"fan_avg and fan_out agree with it only for square layers (chapter 5).")
        if near(g, 0.75):
            return _fail(f"{start}: 3/4 is PyTorch's calculate_gain('selu'), which gives up the self-normalizing "
                         f"fixed point; a SELU network needs gain 1, lecun_normal (chapter 5).")
        if near(g, math.sqrt(2)):
            return _fail(f"{start}: He's variance multiplies E[z²] by about λ² ≈ 1.1 per SELU layer: the signal "
                         f"explodes (chapter 5). SELU needs gain 1.")
    if activation in ("relu", "leaky_relu", "prelu"):
        if near(g, 1.0):
            return _fail(f"{start}: gain 1 (Glorot/LeCun) loses a factor √2 of std at every ReLU layer, "
                         f"2^-14.5 over 30 layers (chapter 4); the rectifier needs √(2/(1 + a²)).")
        if near(g, math.sqrt(2)) and activation != "relu":
            return _fail(f"{start}: √2 is plain ReLU's gain; with negative slope a = {slope:g} the negative half "
                         f"keeps a² of its second moment, so g = √(2/(1 + a²)) = {gains[0][0]:.4f}.")
    if activation in ("gelu", "swish") and near(g, 1.0):
        return _fail(f"{start}: with gain 1 each layer multiplies E[z²] by E[{activation}(z)²]/E[z²] = "
                     f"{1 / gains[1][0] ** 2:.3f} (for z ~ N(0, 1)): the signal shrinks. Use √2 or "
                     f"{gains[1][0]:.3f}.")
    if activation in ("linear", "tanh", "softsign", "sigmoid"):
        if mode == "fan_out":
            return _fail(f"{start}: for this activation the table gives Glorot (fan_avg) or LeCun (fan_in).")
        if near(g, math.sqrt(2)):
            extra = ""
            if activation == "tanh":
                from . import beyond
                extra = (f" For tanh it puts the network in the chaotic phase (χ₁ = {beyond.chi1(math.sqrt(2)):.2f} "
                         f"> 1 with zero biases), where nearby inputs decorrelate and gradients grow with depth.")
            return _fail(f"{start}: √2 is for rectifiers, which zero half their input; an activation with "
                         f"f'(0) = 1 passes E[z²] on, so gain 1.{extra}")
        if activation == "sigmoid" and near(g, 4.0):
            return _fail(f"{start}: 4 = 1/f'(0) would hold for a zero-mean activation in its linear regime, but "
                         f"the sigmoid's mean 1/2 dominates E[σ(z)²] and gain 4 saturates it. Use gain 1 "
                         f"(and prefer tanh in hidden layers).")
    if mode not in modes:
        return _fail(f"{start}: the mode should be {' or '.join(modes)}.")
    return _fail(start + ".")


def check_edge_of_chaos(answer, sigma_b=0.3) -> Feedback:
    """Check ``answer``, the σ_w at which a deep tanh network with weight variance σ_w²/n and bias
    variance σ_b² is at the edge of chaos, χ₁ = σ_w² E[tanh'(√q* z)²] = 1 at the variance fixed
    point q* (Schoenholz et al. 2017). Within ±0.01 of ``initlab.beyond.critical_sigma_w``
    passes (a grid of step 0.01 or a Monte-Carlo χ₁ from 10⁶ samples gets there)."""
    from . import beyond

    if answer is None:
        return _fail("your answer is None: set it to the σ_w you found (a number).")
    value, bad = _number(answer, "your σ_w")
    if bad is not None:
        return bad
    want = beyond.critical_sigma_w(sigma_b)
    if abs(value - want) <= 0.01:
        return _ok(f"right: σ_w ≈ {want:.4f} for σ_b = {sigma_b:g}, where χ₁ = 1 "
                   f"(q* = {beyond.fixed_point_q(want, sigma_b):.4f}).")
    start = f"for σ_b = {sigma_b:g} you gave σ_w = {value:.4g}, the edge of chaos is at {want:.4f}"
    dsq = lambda q: beyond.gaussian_mean(lambda z: beyond.derivative("tanh", z) ** 2, q)  # noqa: E731
    mistakes = [(1.0, "1 is the answer for σ_b = 0 (then q* = 0 and χ₁ = σ_w²). A bias puts q* > 0, into "
                      "tanh's curved region, where E[tanh'²] < 1, so σ_w must be larger."),
                (5 / 3, "5/3 is PyTorch's tanh gain, an empirical choice, not the edge of chaos."),
                (math.sqrt(2), "√2 is He's gain for ReLU."),
                (1 / math.sqrt(dsq(1.0)), "you evaluated E[tanh'(√q z)²] at q = 1; use the fixed point q* of "
                                          "q = σ_w² E[tanh(√q z)²] + σ_b², which depends on σ_w."),
                (1 / math.sqrt(dsq(sigma_b ** 2)), "you evaluated E[tanh'²] at q = σ_b², leaving out the σ_w² "
                                                   "E[tanh²] part of the fixed point q*."),
                (beyond.critical_sigma_w(math.sqrt(sigma_b)) if sigma_b > 0 else math.nan,
                 f"that is the answer for σ_b² = {sigma_b:g}: σ_b is the bias *std*, its variance is σ_b².")]
    for wrong, hint in mistakes:
        if abs(value - wrong) <= 0.01:
            return _fail(f"{start}: {hint}")
    side = "ordered (χ₁ < 1)" if value < want else "chaotic (χ₁ > 1)"
    return _fail(f"{start}; at your σ_w the network is in the {side} phase, χ₁ = "
                 f"{beyond.chi1(value, sigma_b):.3f}.")


def _lsuv_case(seed):
    """A deep net that LSUV must fix: orthogonal weights, badly scaled, on a non-centred batch."""
    rng = np.random.default_rng(seed)
    widths = [32, 64, 64, 48, 64, 64, 64, 64]
    weights = [0.3 * initializers.Orthogonal()((a, b), seed=rng, dtype="float64")
               for a, b in zip(widths[:-1], widths[1:])]
    x = rng.random((256, widths[0]))
    return weights, x


def _lsuv_variances(weights, x, f):
    """The variance of each layer's output before (pre) and after (post) the activation."""
    pre, post, a = [], [], x
    for w in weights:
        z = a @ w
        a = f(z)
        pre.append(float(z.var()))
        post.append(float(a.var()))
    return np.array(pre), np.array(post)


def check_lsuv(student) -> Feedback:
    """Check ``student(weights, x, f)``, an LSUV initialization (Mishkin & Matas 2016): given a
    list of weight matrices, a data batch ``x`` and the activation ``f`` (a numpy function), it
    returns the matrices rescaled, layer after layer, so that each layer's output z = a·W has
    variance 1 on the batch (within 2 %). Normalizing after the activation is accepted too, with
    a remark. Tried on two 7-layer networks (ReLU and tanh) with orthogonal weights 0.3× too small.
    """
    from . import beyond

    after = False
    for activation, seed in (("relu", 0), ("tanh", 1)):
        weights, x = _lsuv_case(seed)
        f = lambda z, _a=activation: beyond.activate(_a, z)            # noqa: E731
        original = [w.copy() for w in weights]
        out, bad = _call(student, [w.copy() for w in weights], x.copy(), f)
        if bad is not None:
            return bad
        if out is None:
            return _fail("your function returned None: did you forget to `return` the list of rescaled matrices?")
        try:
            out = [np.asarray(w, dtype=np.float64) for w in out]
        except (TypeError, ValueError):
            return _fail(f"return a list of weight matrices, got {type(out).__name__}")
        if len(out) != len(original) or any(a.shape != b.shape for a, b in zip(out, original)):
            return _fail(f"return one matrix per layer with the same shapes: expected "
                         f"{[w.shape for w in original]}, got {[np.shape(w) for w in out]}.")
        if not all(np.all(np.isfinite(w)) for w in out):
            return _fail("some returned weights are inf or NaN.")
        scales = []
        for layer, (w, w0) in enumerate(zip(out, original), start=1):
            c = float(np.sum(w * w0) / np.sum(w0 * w0))
            if c <= 0 or np.linalg.norm(w - c * w0) > 1e-6 * np.linalg.norm(w):
                return _fail(f"layer {layer}: LSUV only multiplies each matrix by a positive number; yours "
                             f"changed its direction (did you re-draw or re-orthogonalize it?).")
            scales.append(c)
        pre, post = _lsuv_variances(out, x, f)
        if np.all(np.abs(pre - 1) < 0.02):
            continue
        if np.all(np.abs(post - 1) < 0.02):
            after = True
            continue
        pre0, _ = _lsuv_variances(original, x, f)
        where = f"({activation} network) the output variances of your layers are {np.round(pre, 3).tolist()}"
        if abs(pre[0] - 1) < 0.02 and np.allclose(scales, 1 / np.sqrt(pre0), rtol=1e-3):
            return _fail(f"{where}: you measured every layer on a forward pass of the *original* weights. LSUV "
                         f"is sequential: rescale layer 1, then run the batch through the rescaled layer 1 "
                         f"to measure layer 2, and so on.")
        if np.isclose(scales[0], 1 / pre0[0], rtol=1e-3):
            return _fail(f"{where}: you divided by the variance; divide W by the std √Var(z) so that the "
                         f"variance becomes 1.")
        if np.allclose(scales, scales[0], rtol=1e-6):
            return _fail(f"{where}: you multiplied every layer by the same number; LSUV gives each layer its own "
                         f"factor, measured on the batch.")
        if after:
            return _fail(f"{where}: on the ReLU network you normalized the output *after* the activation, but a "
                         f"tanh output has variance below 1 whatever the scale. Normalize z = a·W, before the "
                         f"activation.")
        return _fail(f"{where}; each should be 1 (within 2 %). Divide W_l by the std of z_l = a_(l-1)·W_l, "
                     f"layer by layer from the input.")
    extra = ""
    if after:
        extra = (" You normalized the layer's output after the activation; the chapter (and "
                 "initlab.beyond.lsuv) uses z before it. Both fix the scale.")
    return _ok("right: every layer's output has variance 1 on the batch, and each matrix was only rescaled, "
               "on a ReLU and a tanh network." + extra)


__all__ += ["CHOICE_ACTIVATIONS", "check_choice", "check_edge_of_chaos", "check_lsuv"]
