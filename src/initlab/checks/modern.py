"""Checks for chapter 8, initialization in modern networks, and assignment a4: attention
logits, GPT-2's residual projections, the log-prior output bias, chrono gate biases and the
diagnosis of a reader's own model.

>>> check_residual_std(lambda n_blocks, std=0.02: std / (2 * n_blocks) ** 0.5).passed
True
"""

from __future__ import annotations

import math

import numpy as np

from .feedback import Feedback, Z, call_student, compare, fail, ok

__all__ = ["check_attention_logit_std", "check_residual_std", "check_prior_bias",
           "check_chrono_bias", "check_diagnosis"]


def check_attention_logit_std(student) -> Feedback:
    """Check ``student(d_k, scaled) -> std`` of an attention logit :math:`q\\cdot k` (divided by
    √d_k when ``scaled``) for queries and keys with i.i.d. N(0, 1) entries: √d_k, or 1.

    >>> check_attention_logit_std(lambda d_k, scaled: 1.0 if scaled else d_k)  # doctest: +NORMALIZE_WHITESPACE
    ✘ for 16, False you returned 16, the std of the attention logit is 4 (4× the right value):
    that is the variance: q·k sums d_k products of variance 1, so its std is √d_k.
    """
    cases = [(d, s) for d in (1, 16, 64, 100, 512) for s in (False, True)]
    return compare(student, cases, lambda d, s: 1.0 if s else math.sqrt(d), [
        (lambda d, s: d if not s else math.sqrt(d),
         "that is the variance: q·k sums d_k products of variance 1, so its std is √d_k."),
        (lambda d, s: 1 / math.sqrt(d) if s else 1.0,
         "dividing the logit by √d_k divides its std √d_k by √d_k, which leaves 1."),
        (lambda d, s: math.sqrt(d) if s else 1.0, "you swapped the scaled and unscaled cases.")],
        "std of the attention logit")


def check_residual_std(student) -> Feedback:
    """Check ``student(n_blocks, std=0.02) -> σ`` of GPT-2's residual projections:
    ``std / √(2·n_blocks)`` (two residual sublayers per block, attention and MLP).

    >>> check_residual_std(lambda n_blocks, std=0.02: std / n_blocks ** 0.5)  # doctest: +NORMALIZE_WHITESPACE
    ✘ for 1, 0.02 you returned 0.02, the std of the residual projections is 0.0141421 (1.41× the right value):
    each block has two residual sublayers (attention and the MLP), so n_blocks blocks add 2·n_blocks branches:
    divide by √(2·n_blocks).
    """
    cases = [(n, s) for n in (1, 6, 12, 24, 48) for s in (0.02, 0.01)]
    return compare(student, cases, lambda n, s: s / math.sqrt(2 * n), [
        (lambda n, s: s / math.sqrt(n), "each block has two residual sublayers (attention and "
                                        "the MLP), so n_blocks blocks add 2·n_blocks branches: "
                                        "divide by √(2·n_blocks)."),
        (lambda n, s: s / (2 * n), "that divides the variance's scale, not the std: the std "
                                   "shrinks by √(2·n_blocks)."),
        (lambda n, s: s * math.sqrt(2 * n), "the std must shrink with depth: divide by √(2·n_blocks)."),
        (lambda n, s: s**2 / (2 * n), "that is the variance σ², not the std σ.")],
        "std of the residual projections")


def _softmax(b):
    e = np.exp(b - np.max(b))
    return e / e.sum()


def check_prior_bias(student, output="softmax") -> Feedback:
    """Check ``student(frequencies) -> b``, the output bias that makes the initial prediction the
    class frequencies. ``output="softmax"``: ``frequencies`` is an array summing to 1 and
    softmax(b) must equal it (b = log π, any constant added is fine). ``output="sigmoid"``: one
    frequency π of the positive class, and b = log(π/(1 − π)).

    >>> check_prior_bias(lambda frequencies: frequencies)  # doctest: +NORMALIZE_WHITESPACE
    ✘ for frequencies [0.5, 0.3, 0.2] your bias predicts [0.391, 0.32, 0.289] at initialization:
    the bias is the log of the frequencies, not the frequencies.
    >>> check_prior_bias(lambda p: math.log(p / (1 - p)), "sigmoid")
    ✔ correct on all 5 test inputs.
    """
    if output == "sigmoid":
        cases = [(p,) for p in (0.3, 0.1, 0.01, 0.5, 0.9)]
        return compare(student, cases, lambda p: math.log(p / (1 - p)), [
            (lambda p: math.log(p), "that is log π: for one sigmoid unit σ(b) = π needs the "
                                    "log-odds, log(π/(1 − π))."),
            (lambda p: math.log((1 - p) / p), "wrong sign: σ(b) = π needs b = log(π/(1 − π))."),
            (lambda p: p, "the bias is not the frequency itself but its log-odds.")],
            "log-odds bias")
    if output != "softmax":
        raise ValueError(f"output must be 'softmax' or 'sigmoid', got {output!r}")
    for prior in ([0.5, 0.3, 0.2], [0.97, 0.01, 0.01, 0.01], np.full(10, 0.1), [0.001, 0.999]):
        prior = np.asarray(prior, dtype=np.float64)
        got, bad = call_student(student, prior.copy())
        if bad is not None:
            return bad
        try:
            b = np.asarray(got, dtype=np.float64)
        except (TypeError, ValueError):
            return fail(f"return an array of {prior.size} biases, got {type(got).__name__}")
        if b.shape != prior.shape or not np.isfinite(b).all():
            return fail(f"for {prior.size} classes return {prior.size} finite biases, got shape "
                        f"{b.shape}")
        p = _softmax(b)
        if not np.allclose(p, prior, rtol=1e-6, atol=1e-12):
            hint = "the bias is the log of the frequencies, not the frequencies" \
                if np.allclose(b, prior) else "softmax(b) must equal the frequencies: b = log π"
            if np.allclose(b, np.log(prior / (1 - prior))):
                hint = "log(π/(1 − π)) is the single sigmoid unit's bias; for a softmax use log π"
            return fail(f"for frequencies {np.round(prior, 3).tolist()} your bias predicts "
                        f"{np.round(p, 3).tolist()} at initialization: {hint}.")
    return ok("softmax(b) equals the class frequencies on all 4 test inputs.")


def check_chrono_bias(student) -> Feedback:
    """Check ``student(units, t_max, rng) -> (forget_bias, input_bias)``: chrono initialization,
    forget = log u with u ~ U(1, t_max − 1), input = −forget. Judged on 20 000 units by the
    range and by the mean and std of exp(forget) (five standard errors).

    >>> check_chrono_bias(lambda units, t_max, rng: (lambda u: (u, -u))(rng.uniform(1, t_max - 1, units)))
    ✘ forget biases must lie in [0, ln(t_max − 1)] = [0, 4.078]; yours span [1, 59]. Did you forget the log?
    """
    units, t_max = 20_000, 60
    got, bad = call_student(student, units, t_max, np.random.default_rng(0))
    if bad is not None:
        return bad
    try:
        forget, inp = (np.asarray(v, dtype=np.float64) for v in got)
    except (TypeError, ValueError):
        return fail("return a pair (forget_bias, input_bias) of arrays")
    if forget.shape != (units,) or inp.shape != (units,):
        return fail(f"each bias must have shape ({units},) for {units} units, got "
                    f"{forget.shape} and {inp.shape}")
    if not np.allclose(inp, -forget):
        return fail("the input gate's bias is minus the forget gate's: b_i = −b_f.")
    if forget.min() < -1e-9 or forget.max() > math.log(t_max - 1) + 1e-9:
        hint = " Did you forget the log?" if forget.max() > math.log(t_max) else ""
        return fail(f"forget biases must lie in [0, ln(t_max − 1)] = [0, {math.log(t_max - 1):.3f}]; "
                    f"yours span [{forget.min():.3g}, {forget.max():.3g}].{hint}")
    u = np.exp(forget)
    mean, std = t_max / 2, (t_max - 2) / math.sqrt(12)          # U(1, t_max − 1)
    if abs(u.mean() - mean) > Z * std / math.sqrt(units):
        return fail(f"exp(forget bias) should be uniform on [1, t_max − 1] with mean {mean:g}; "
                    f"yours has mean {u.mean():.3g}. Draw u uniformly, then take log u.")
    if abs(u.std() - std) > Z * std * math.sqrt(0.8 / units):   # Var(s²) = (κ − 1)σ⁴/n, κ = 9/5
        return fail(f"exp(forget bias) has std {u.std():.3g}, a uniform on [1, {t_max - 1}] has "
                    f"{std:.3g}: draw u uniformly, then take log u.")
    return ok(f"chrono biases: memory times 1 + e^b_f uniform on [2, {t_max}], input gate −b_f.")


def check_diagnosis(result) -> Feedback:
    """Check the exercise "diagnose your own model": ``result`` is what
    ``initlab.diagnose.diagnose(model, x, y)`` returned for a model with at least three weight
    layers, called with labels, and with no problem left.

    >>> check_diagnosis(None)
    ✘ pass the result of diagnose(model, x, y), got NoneType
    """
    from ..diagnose import Diagnosis

    if not isinstance(result, Diagnosis):
        return fail(f"pass the result of diagnose(model, x, y), got {type(result).__name__}")
    weighted = [r for r in result.layers if r.fan_in is not None]
    if len(weighted) < 3:
        return fail(f"your model has {len(weighted)} layers with weights: build one with at "
                    f"least 3, so that there is a depth to get wrong.")
    if result.initial_loss is None:
        return fail("call diagnose(model, x, y) with the labels y, to check the initial loss.")
    if not result.ok:
        return fail(f"{len(result.problems)} problem(s) left; the first: {result.problems[0]}")
    return ok(f"no problem in {len(result.layers)} layers; initial loss {result.initial_loss:.3g} "
              f"against {result.expected_loss:.3g}.")
