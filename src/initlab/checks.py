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
