"""Checks of the named schemes' σ, of samplers, and of fans; the statistical core for samples.

A sampler is judged by what any correct implementation shares, never by one seeded array: its
shape, mean 0, std σ, support and kurtosis (uniform 9/5, normal 3, Keras' truncated normal 2.54),
each within ``Z`` = 5 standard errors, so a correct sampler fails
less than once in 10⁶ draws. ``judge_samples`` does this for :func:`check_sampler` and for
:func:`check_pytorch_default` alike.

>>> from initlab import initializers
>>> check_std(lambda shape: initializers.get("glorot_normal").std(shape), "glorot")
✔ correct on all 6 test inputs.
>>> check_sampler(lambda shape, rng: initializers.get("he_uniform")(shape, seed=rng), "he", "uniform").passed
True
"""

from __future__ import annotations

import math

import numpy as np

from .. import initializers, validate
from ..initializers import TRUNCATION_STD, compute_fans
from .feedback import Feedback, Z, call_student, compare, fail, ok

__all__ = ["SCHEMES", "SHAPES", "KURTOSIS", "check_std", "check_sampler", "check_fans", "target_std",
           "std_mistakes", "as_samples", "judge_samples"]

#: The (scale, mode) of each scheme, with Var w = scale / fan.
SCHEMES = {"lecun": (1.0, "fan_in"), "glorot": (1.0, "fan_avg"), "he": (2.0, "fan_in"),
           "he_fan_out": (2.0, "fan_out")}

#: Shapes used by the checks: dense and conv, each with fan_in != fan_out.
SHAPES = ((300, 200), (784, 128), (64, 10), (3, 3, 32, 64), (5, 5, 3, 16), (7, 1, 40, 20))


def target_std(scheme, shape) -> float:
    """σ of ``scheme`` (a key of ``SCHEMES``) for a kernel ``shape``.

    Examples
    --------
    >>> import math
    >>> math.isclose(target_std("he", (300, 200)), math.sqrt(2 / 300))
    True
    """
    scale, mode = SCHEMES[scheme]
    return initializers.VarianceScaling(scale, mode).std(shape)


def std_mistakes(scheme):
    """Wrong formulas students write for σ, each with the hint it deserves. Functions of shape.

    Examples
    --------
    >>> wrong, hint = std_mistakes("glorot")[0]
    >>> hint
    'you returned the variance σ², not the standard deviation σ: take the square root.'
    """
    scale, mode = SCHEMES[scheme]
    s = lambda shape: target_std(scheme, shape)
    fi = lambda shape: compute_fans(shape)[0]
    fo = lambda shape: compute_fans(shape)[1]
    no_rf = lambda shape: (shape[-2], shape[-1]) if len(shape) >= 2 else compute_fans(shape)
    m = [(lambda sh: s(sh) ** 2, "you returned the variance σ², not the standard deviation σ: take the square root."),
         (lambda sh: math.sqrt(3) * s(sh), "that is the uniform limit √3·σ, not the std σ."),
         (lambda sh: s(sh) / math.sqrt(3), "you divided by √3: the std is σ itself, the uniform limit is √3·σ.")]
    if scheme == "glorot":
        m += [(lambda sh: math.sqrt(1 / (fi(sh) + fo(sh))), "did you use fan_in + fan_out without the 2? Var w = "
                                                            "2/(fan_in + fan_out)."),
              (lambda sh: math.sqrt(1 / fi(sh)), "that is LeCun's 1/fan_in; Glorot averages the fans: 2/(fan_in + "
                                                 "fan_out)."),
              (lambda sh: math.sqrt(2 / fi(sh)), "that is He's 2/fan_in; Glorot is 2/(fan_in + fan_out).")]
    else:
        fan, other = (fi, fo) if mode == "fan_in" else (fo, fi)
        m += [(lambda sh: math.sqrt(scale / other(sh)), f"you used the other fan: this scheme divides by {mode}."),
              (lambda sh: math.sqrt(2 / (fi(sh) + fo(sh))), "that is Glorot's 2/(fan_in + fan_out).")]
        if scale == 2:
            m.append((lambda sh: math.sqrt(1 / fan(sh)), "you forgot He's factor 2 (ReLU zeroes half the signal): Var "
                                                         "w = 2/fan_in. 1/fan_in is LeCun's."))
        else:
            m.append((lambda sh: math.sqrt(2 / fan(sh)), "that is He's 2/fan_in; LeCun's is 1/fan_in."))
    m.append((lambda sh: initializers.VarianceScaling(scale, mode if mode != "fan_avg" else "fan_avg").std(no_rf(sh)),
              "for a conv kernel (kh, kw, in, out) the fans include the receptive field: fan_in = kh·kw·in."))
    return m


def check_std(student, scheme="glorot") -> Feedback:
    """Check ``student(shape) -> σ`` for a scheme in ``SCHEMES`` on dense and conv shapes.

    Examples
    --------
    >>> import math
    >>> check_std(lambda shape: math.sqrt(1 / (shape[-2] + shape[-1])), "glorot")  # doctest: +NORMALIZE_WHITESPACE
    ✘ for (300, 200) you returned 0.0447214, the glorot std is 0.0632456 (0.707× the right value):
    did you use fan_in + fan_out without the 2? Var w = 2/(fan_in + fan_out).
    """
    scheme = validate.choice("scheme", scheme, SCHEMES)
    cases = [(shape,) for shape in SHAPES]
    return compare(student, cases, lambda shape: target_std(scheme, shape),
                    [(lambda shape, f=f: f(shape), hint) for f, hint in std_mistakes(scheme)],
                    f"{scheme} std")


def _truncated_kurtosis(c=2.0) -> float:
    """E[w⁴]/E[w²]² of a standard normal cut at ±c (moments by parts): m2 is the truncated
    std² (:data:`~initlab.initializers.TRUNCATION_STD` at c = 2), m4 = 3·m2 − 2c³φ(c)/(2Φ(c) − 1)."""
    phi = math.exp(-c * c / 2) / math.sqrt(2 * math.pi)
    m2 = TRUNCATION_STD**2
    m4 = 3 * m2 - 2 * c**3 * phi / math.erf(c / math.sqrt(2))
    return m4 / m2**2


#: Kurtosis E[w⁴]/E[w²]² of each distribution: it tells the shapes apart at any scale.
KURTOSIS = {"uniform": 9 / 5, "normal": 3.0, "truncated_normal": _truncated_kurtosis()}


def as_samples(w, shape, what="your function", layout="the kernel is (fan_in, fan_out)"):
    """``(array, None)``: the student's draw as float64 of ``shape``; or ``(None, Feedback)``.

    Examples
    --------
    >>> as_samples([[1, 2]], (1, 2))
    (array([[1., 2.]]), None)
    >>> as_samples([1, 2], (1, 2))
    (None, ✘ shape mismatch: for shape (1, 2) your function returned an array of shape (2,).)
    """
    if w is None:
        return None, fail(f"{what} returned None for shape {shape}: did you forget to `return` the array?")
    try:
        w = np.asarray(w, dtype=np.float64)
    except (TypeError, ValueError):
        return None, fail(f"{what} must return a numpy array, got {type(w).__name__}")
    if w.shape != shape:
        hint = f" (transposed: {layout})" if w.shape == shape[::-1] else ""
        return None, fail(f"shape mismatch: for shape {shape} {what} returned an array of shape {w.shape}{hint}.")
    if not np.all(np.isfinite(w)):
        return None, fail(f"for shape {shape} {what} returned inf or NaN.")
    return w, None


def judge_samples(w, sigma, shapes, mistakes, target="the target", limit=None) -> Feedback | None:
    """None if the samples ``w`` look like a centred draw of std ``sigma`` whose shape is one of
    ``shapes`` (keys of ``KURTOSIS``) and that stays within ``±limit``; else a Feedback.

    ``mistakes`` is a list of ``(wrong std, hint)``: a std that matches one gets its hint.
    The std's standard error is σ·√((κ − 1)/(4n)) for the largest allowed kurtosis κ.

    Examples
    --------
    He's σ for a 300 → 200 layer is √(2/300) = 0.08165; samples with LeCun's √(1/300) are named:

    >>> import math
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> he, lecun = math.sqrt(2 / 300), math.sqrt(1 / 300)
    >>> judge_samples(rng.normal(0, he, (300, 200)), he, ["normal"], []) is None
    True
    >>> judge_samples(rng.normal(0, lecun, (300, 200)), he, ["normal"], [(lecun, "that is LeCun's std.")])
    ✘ for shape (300, 200) your std is 0.05785, 0.708× the target σ = 0.08165: that is LeCun's std.
    """
    n, shape = w.size, w.shape
    mean, std = float(w.mean()), float(w.std())
    if std == 0:
        return fail(f"for shape {shape} every weight you drew equals {mean:.3g}: a constant cannot break "
                    f"the symmetry between units (chapter 1). Draw random values.")
    if abs(mean) > Z * std / math.sqrt(n):   # the mean's SE from the samples' own spread
        return fail(f"for shape {shape} your weights have mean {mean:.3g}; they must be centred on 0 "
                    f"(std of the mean allows ±{Z * std / math.sqrt(n):.2g}). "
                    f"Is it U[0, limit) instead of U[−limit, limit]?")
    se_std = sigma * math.sqrt((max(KURTOSIS[k] for k in shapes) - 1) / (4 * n))
    if abs(std - sigma) > Z * se_std:
        start = f"for shape {shape} your std is {std:.4g}, {std / sigma:.3g}× {target} σ = {sigma:.4g}"
        for value, hint in mistakes:
            if abs(std - value) <= Z * se_std * max(1.0, value / sigma):
                return fail(f"{start}: {hint}")
        return fail(start + ".")
    kurt = float(np.mean((w - mean) ** 4) / std**4)
    nearest = min(KURTOSIS, key=lambda k: abs(kurt - KURTOSIS[k]))
    if nearest not in shapes:
        want = "uniform" if "uniform" in shapes else "normal"
        return fail(f"for shape {shape} your samples look {nearest.replace('_', ' ')} (kurtosis {kurt:.2f}), "
                    f"not {want}: use rng.{want}.")
    if limit is not None and np.max(np.abs(w)) > limit * (1 + 1e-6):
        return fail(f"for shape {shape} some weights exceed the limit {limit:.4g}.")
    return None


def check_sampler(student, scheme="glorot", distribution="uniform", seed=0) -> Feedback:
    """Check ``student(shape, rng) -> array`` draws the scheme's weights.

    ``distribution`` is ``"uniform"`` or ``"normal"``; for ``"normal"`` both an untruncated normal
    and Keras' truncated one (±2σ₀, std σ) are accepted. Checked on a dense and a conv shape: the
    shape, finiteness, mean 0, std σ (±5 standard errors), the support and the kurtosis.

    Examples
    --------
    >>> import math
    >>> def glorot_uniform(shape, rng):      # forgot the receptive field of a conv kernel
    ...     limit = math.sqrt(6 / (shape[-2] + shape[-1]))
    ...     return rng.uniform(-limit, limit, shape)
    >>> check_sampler(glorot_uniform, "glorot", "uniform")  # doctest: +NORMALIZE_WHITESPACE
    ✘ for shape (3, 3, 32, 64) your std is 0.1441, 3× the target σ = 0.04811:
    for a conv kernel (kh, kw, in, out) the fans include the receptive field: fan_in = kh·kw·in.
    """
    scheme = validate.choice("scheme", scheme, SCHEMES)
    distribution = validate.choice("distribution", distribution, ("uniform", "normal"))
    shapes = ["uniform"] if distribution == "uniform" else ["normal", "truncated_normal"]
    for shape in ((300, 200), (3, 3, 32, 64)):
        w, bad = call_student(student, shape, validate.rng(seed))
        w, bad = (None, bad) if bad is not None else as_samples(w, shape)
        if bad is not None:
            return bad
        sigma = target_std(scheme, shape)
        hints = [(f(shape), hint) for f, hint in std_mistakes(scheme)]
        if distribution == "uniform":  # the classic: U(−σ, σ), whose std is σ/√3
            hints.insert(0, (sigma / math.sqrt(3), "your limit is σ, but U(−limit, limit) has std "
                             "limit/√3: the limit must be √3·σ."))
        hints.append((sigma * TRUNCATION_STD, f"you truncated at ±2σ without correcting: draw with "
                      f"σ₀ = σ/{TRUNCATION_STD:.4f} and cut at ±2σ₀, so the final std is σ."))
        limit = math.sqrt(3) * sigma if distribution == "uniform" else None
        bad = judge_samples(w, sigma, shapes, hints, limit=limit)
        if bad is not None:
            return bad
    return ok(f"{scheme} {distribution}: shape, mean, std and distribution are right on a dense "
              f"and a conv kernel.")


def check_fans(student) -> Feedback:
    """Check ``student(shape) -> (fan_in, fan_out)`` in the Keras layout ``(..., in, out)``.

    Examples
    --------
    >>> check_fans(lambda shape: (shape[-2], shape[-1]))  # doctest: +NORMALIZE_WHITESPACE
    ✘ for shape (2, 23, 61) you returned (23, 61), the fans are (46, 122): multiply by the receptive field,
    the product of the leading dims (here 2): each output sees kh·kw·in inputs.
    >>> from initlab.initializers import compute_fans
    >>> check_fans(compute_fans)
    ✔ correct on all 13 dense and conv shapes.
    """
    rng = np.random.default_rng(1)      # fixed test shapes
    cases = [((int(rng.integers(2, 500)), int(rng.integers(2, 500))),) for _ in range(4)]
    cases += [(tuple(int(d) for d in rng.integers(1, 8, size=k))
               + (int(rng.integers(2, 70)), int(rng.integers(2, 70))),)
              for k in (1, 2, 3) for _ in range(3)]
    cases = [c for c in cases if compute_fans(c[0])[0] != compute_fans(c[0])[1]]
    for (shape,) in cases:
        got, bad = call_student(student, shape)
        if bad is not None:
            return bad
        try:
            got = tuple(int(v) for v in got)
        except (TypeError, ValueError):
            return fail(f"return a pair (fan_in, fan_out), got {got!r:.80}")
        want = compute_fans(shape)
        if got == want:
            continue
        start = f"for shape {shape} you returned {got}, the fans are {want}"
        rf = math.prod(shape[:-2])
        if got == want[::-1]:
            return fail(f"{start}: swapped. In Keras the kernel is (..., in, out): fan_in comes from shape[-2].")
        if got == (shape[-2], shape[-1]):
            return fail(f"{start}: multiply by the receptive field, the product of the leading "
                         f"dims (here {rf}): each output sees kh·kw·in inputs.")
        if got == (shape[1] * math.prod(shape[2:]), shape[0] * math.prod(shape[2:])):
            return fail(f"{start}: that is PyTorch's layout (out, in, kh, kw); Keras puts in and out last.")
        return fail(start + ".")
    return ok(f"correct on all {len(cases)} dense and conv shapes.")


