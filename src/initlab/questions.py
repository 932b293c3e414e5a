"""Predict, then check: the chapters' prediction questions, and their judge.

Each chapter asks at least one question the reader answers before the chapter shows the answer:
a number (with a relative tolerance) or a choice among options. A question is defined once, here:
its prompt, the right answer (computed from the package, with the chapter's parameters) and a
targeted message for each common wrong answer. Two judges read that one definition:

* in a notebook, :func:`check` returns a :class:`~initlab.checks.Feedback` (✔/✘);
* on the book's page, the ``{initlab-question}`` directive embeds :func:`spec` as JSON, and
  ``static/initlab/question.js`` judges it in the browser with the same rules and the same words.

A number may be typed as ``0.25``, ``3e-7``, ``1/6``, ``2^25`` (or ``2**25``) or ``3.4×10^7``
(also ``x`` or ``*`` for the ×). Input that is no number, or no option, gets a message naming what
is valid, never an exception.

>>> check("ch8-attention-logit-std", 8)
✔ right: q·k sums 64 independent products of variance 1, so its variance is 64 and its std √64 = 8. \
That is why attention divides the logits by √dₖ.
>>> check("ch8-attention-logit-std", "64")
✘ that is the variance: 64 independent products of variance 1 add up to 64. The std is its square root.
"""

from __future__ import annotations

import dataclasses
import math
import re

import numpy as np

from . import initializers, propagation
from .checks.feedback import Feedback, fail, ok

__all__ = ["Question", "QUESTIONS", "check", "spec", "judge", "parse_number", "EXAMPLES"]

#: What a typed number may look like, for the messages.
EXAMPLES = "0.25, 3e-7, 1/6, 2^25, 1/√2, 4% or 3.4×10^7"
_NUM = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)"
_NUM_E = rf"{_NUM}(?:[eE][+-]?\d+)?"
# A term is a number or its square root: sqrt(x), √(x) or √x.
_TERM = rf"(?:(?:sqrt|√)\s*\(\s*{_NUM_E}\s*\)|√\s*{_NUM_E}|{_NUM_E})"
_NUMBER = re.compile(rf"^({_TERM})(?:\s*(/|\^|\*\*)\s*({_TERM}))?$", re.ASCII)
_TERM_NUMBER = re.compile(_NUM_E, re.ASCII)
_TIMES_TEN = re.compile(rf"^({_NUM})\s*[x×*·]\s*10\s*(?:\^|\*\*)\s*([+-]?\d+)$", re.ASCII)
_COMMA = re.compile(r"^[+-]?\d+,\d+$", re.ASCII)


@dataclasses.dataclass(frozen=True)
class Question:
    """One prediction question. ``kind`` is ``"number"`` (``answer`` a float, judged to ``rtol``)
    or ``"choice"`` (``answer`` the key of one of ``options``, a tuple of (key, label, message)).
    ``mistakes`` are (value, message) for common wrong numbers; ``explanation`` follows "right:";
    ``hint`` is for a wrong number that matches no known mistake.

    >>> QUESTIONS["ch4-glorot-relu-factor"].kind
    'number'
    """

    id: str
    chapter: int
    kind: str
    prompt: str
    answer: float | str
    explanation: str
    rtol: float = 0.05
    mistakes: tuple = ()
    hint: str = ""
    options: tuple = ()


def _ch1():
    n, sigma, depth = 500, 0.01, 10          # the chapter's cell: n, sigma, depth = 500, 0.01, 10
    factor = math.sqrt(n) * sigma
    return Question(
        "ch1-vanishing-std", 1, "number",
        f"A unit-std input goes through {depth} tanh layers of width n = {n} with N(0, {sigma}²) weights. "
        f"What is the std of the signal after layer {depth}?",
        factor ** depth,
        f"each layer multiplies the std by √n·σ = √{n} · {sigma} ≈ {factor:.3f}, and {depth} layers "
        f"give {factor:.3f}^{depth} ≈ {factor ** depth:.1e}.",
        rtol=0.2,
        mistakes=(
            ((n * sigma**2) ** depth, f"that is the variance factor (n·σ²)^{depth}; the std is its square root."),
            (factor * depth, "the factors multiply layer after layer, they don't add."),
            (factor ** (depth - 1), f"off by one layer: the input goes through all {depth} layers."),
            ((n * sigma) ** depth, "each layer multiplies the std by √n·σ, not n·σ: variances add, stds don't."),
            (sigma ** depth, f"each unit sums n = {n} inputs, which multiplies the variance by n: "
                             "the factor is √n·σ, not σ."),
        ),
        hint="each layer multiplies the std by the same factor √n·σ: multiply it in once per layer.")


def _ch2():
    factor, depth = 0.9, 30                  # the chapter's cell: for factor in (0.9, 1.0, 1.1): factor ** 30
    return Question(
        "ch2-variance-after-30", 2, "number",
        f"Each layer multiplies the variance of the signal by {factor}. What fraction of the "
        f"variance is left after {depth} layers?",
        factor ** depth,
        f"the factors multiply: {factor}^{depth} ≈ {factor ** depth:.3f}. A {1 - factor:.0%} loss "
        f"per layer compounds to a {1 - factor ** depth:.0%} loss.",
        rtol=0.1,
        mistakes=(
            (1 - depth * (1 - factor), f"a {1 - factor:.0%} loss per layer compounds: {factor} × {factor} × …, "
                                       f"not 1 − {depth} × {1 - factor:.1f}."),
            (factor * depth, "the factors multiply layer after layer, they don't add."),
            (math.sqrt(factor ** depth), f"that is the std ratio, √({factor}^{depth}); the question asks "
                                         "for the variance."),
        ),
        hint=f"every layer keeps {factor} of what reaches it: multiply {depth} such factors.")


def _ch2_relu():
    relu = propagation.predict_variance(depth=1, width=100, activation="relu", init="lecun_normal")
    second, mean = float(relu.act_sq[0]), float(relu.act_mean[0])     # z ~ N(0, 1): ½ and 1/√(2π)
    variance = second - mean**2
    return Question(
        "ch2-relu-second-moment", 2, "number",
        "For z ~ N(0, 1), what is E[ReLU(z)²], the second moment that the next layer receives?",
        second,
        f"ReLU keeps the positive half of z with its full square and zeroes the other half, so "
        f"E[ReLU(z)²] = ½·E[z²] = {second:.2g}. The variance is smaller, {variance:.2f}, because the mean "
        f"{mean:.2f} is not 0.",
        rtol=0.03,
        mistakes=(
            (variance, "that is the variance, E[ReLU(z)²] − E[ReLU(z)]²; the next layer sums second moments, "
                       "mean included."),
            (mean, "that is the mean, E[ReLU(z)] = 1/√(2π); square the values before averaging."),
            (1.0, "ReLU zeroes the negative half of z, so it cannot keep all of E[z²]."),
            (second**2, "each kept value keeps its full square: half the values, ½·E[z²], not (½)²."),
        ),
        hint="half the values are zeroed, the other half keep z²: average z² over both halves.")


def _ch3():
    shape = (784, 256)                       # the chapter's Monte-Carlo layer, 784 -> 256
    fan_in, fan_out = initializers.compute_fans(shape)
    var = initializers.get("glorot_uniform").std(shape) ** 2
    alpha = fan_in * var
    return Question(
        "ch3-glorot-forward-factor", 3, "number",
        f"Glorot's variance 2/(n_in + n_out) on the {fan_in} → {fan_out} first layer of an MNIST network: "
        "by what factor does this layer multiply the forward variance, Var z / E[x²]?",
        alpha,
        f"the factor is n_in·Var(w) = 2·{fan_in}/({fan_in} + {fan_out}) ≈ {alpha:.2f}: a funnel layer "
        f"amplifies the forward signal, and damps the gradient by 2 − {alpha:.2f} ≈ {fan_out * var:.2f}.",
        rtol=0.03,
        mistakes=(
            (fan_out * var, f"that is the backward factor n_out·Var(w); forward, each output sums "
                            f"n_in = {fan_in} products."),
            (1.0, "only a square layer keeps the variance: with n_in ≠ n_out, Glorot's compromise "
                  "satisfies neither condition exactly."),
            (fan_in / fan_out, "that is n_in/n_out, the factor of Var(w) = 1/n_out; Glorot's variance is "
                               "2/(n_in + n_out)."),
            (math.sqrt(alpha), "that is the factor on the std; the question asks for the variance."),
        ),
        hint="forward, each output sums n_in products: the factor is n_in·Var(w).")


def _ch4():
    shape = (256, 256)                       # any square layer: Glorot's variance is then 1/n
    n = initializers.compute_fans(shape)[0]
    second_moment = 0.5                      # E[ReLU(z)²] = ½ E[z²] for a symmetric z
    factor = math.sqrt(second_moment * n * initializers.get("glorot_normal").std(shape) ** 2)
    relu_var = 0.5 - 1 / (2 * math.pi)       # Var[ReLU(z)] / Var z for a Gaussian z
    moment = ("the next layer sums second moments, E[a²] = ½ Var z, not Var[ReLU(z)] = "
              f"{relu_var:.2f} Var z.")
    return Question(
        "ch4-glorot-relu-factor", 4, "number",
        "Put Glorot's variance on a square ReLU layer (n_in = n_out = n, so Var(w) = 1/n). By what factor "
        "does each such layer multiply the std of z?",
        factor,
        f"Var z_l = ½ · n · (1/n) · Var z_(l−1): each layer halves the variance, so the std shrinks by "
        f"√½ ≈ {factor:.3f}. He's factor 2 gives back what ReLU takes away.",
        rtol=0.03,
        mistakes=(
            (factor ** 2, "that is the factor on the variance, ½; the std is multiplied by its square root."),
            (1.0, "1/n keeps the scale of a linear layer, but ReLU halves the second moment."),
            (math.sqrt(relu_var), moment),
            (relu_var, moment),
            (1 / factor, "ReLU halves the second moment, it doesn't double it: √2 is what He's 2/n adds back."),
        ),
        hint="use Var(z_l) = ½ · n · Var(w) · Var(z_(l−1)), then take the square root.")


def _ch5():
    shape = (512, 256)                       # a layer that is not square
    fan_in = initializers.compute_fans(shape)[0]
    tau = {name: fan_in * initializers.get(name).std(shape) ** 2
           for name in ("glorot_normal", "he_normal", "lecun_normal", "random_normal")}
    right = [name for name, t in tau.items() if math.isclose(t, 1.0)]
    options = (
        ("glorot_normal", "glorot_normal, Var(w) = 2/(n_in + n_out)",
         f"Glorot gives E[τ] = n_in·Var(w) = 2·{fan_in}/{sum(shape)} ≈ {tau['glorot_normal']:.2f} here: "
         "1 only for a square layer."),
        ("he_normal", "he_normal, Var(w) = 2/n_in",
         f"He gives E[τ] = n_in · 2/n_in = {tau['he_normal']:.0f}: the variance of z doubles at every layer."),
        ("lecun_normal", "lecun_normal, Var(w) = 1/n_in",
         f"E[τ] = n_in · 1/n_in = {tau['lecun_normal']:.0f} whatever the layer's shape: LeCun normal is "
         "SELU's initializer."),
        ("random_normal", "random_normal, σ = 0.05 for every layer",
         f"a fixed σ ignores the width: E[τ] = {fan_in} · 0.05² = {tau['random_normal']:.2f} here, and "
         "another width gives another value."),
    )
    return Question(
        "ch5-selu-initializer", 5, "choice",
        f"SELU's fixed point (mean 0, variance 1) assumes τ = Σᵢ wᵢ² = 1 for every unit. For a dense layer "
        f"with {shape[0]} inputs and {shape[1]} outputs, which initializer gives E[τ] = 1?",
        right[0] if len(right) == 1 else "", "", options=options)


def _ch6():
    shape = (784, 128)                       # the chapter's nn.Linear(784, 128)
    fan_in = initializers.compute_fans(shape)[0]
    torch_var = initializers.get("pytorch_linear").std(shape) ** 2   # U(±1/√fan_in): 1/(3·fan_in)
    he_var = initializers.get("he_uniform").std(shape) ** 2
    ratio = torch_var / he_var
    return Question(
        "ch6-pytorch-over-he", 6, "number",
        f"PyTorch's nn.Linear({fan_in}, {shape[1]}) draws its weights from U(−1/√fan_in, 1/√fan_in). "
        "What fraction of He's variance, 2/fan_in, is that?",
        ratio,
        f"U(−limit, limit) has variance limit²/3, here (1/√fan_in)²/3 = 1/(3·fan_in); divided by He's "
        f"2/fan_in that is 1/6 ≈ {ratio:.3f}.",
        rtol=0.05,
        mistakes=(
            (3 * ratio, "the variance of U(−limit, limit) is limit²/3, not limit²."),
            (math.sqrt(ratio), "that is the ratio of the stds; the question asks for the variances."),
            (2 * ratio, "1/(3·fan_in) is a third of LeCun's 1/fan_in; He's variance is twice LeCun's."),
            (1 / ratio, "upside down: PyTorch's variance is the smaller one."),
        ),
        hint="first the variance of U(−limit, limit), which is limit²/3, then divide by 2/fan_in.")


def _ch7():
    blocks, alpha_sq = 50, 1.0               # the chapter's 50 blocks with He branches, α² = 1
    std = (1 + alpha_sq) ** (blocks / 2)
    constant = ("a He branch adds as much variance as the stream already has, not a fixed amount: "
                "the variance doubles at every block.")
    return Question(
        "ch7-residual-std-50", 7, "number",
        f"{blocks} residual blocks x_(l+1) = x_l + F(x_l), each branch a He-initialized ReLU layer "
        f"(α² = {alpha_sq:g}). The input has std 1. What std do you predict for x after block {blocks}?",
        std,
        f"each block multiplies E[x²] by 1 + α² = 2, so after {blocks} blocks the variance is 2^{blocks} "
        f"and the std 2^{blocks // 2} ≈ {std:.1e}.",
        rtol=0.25,
        mistakes=(
            (std ** 2, f"that is the variance, 2^{blocks}; the std is its square root."),
            (math.sqrt(1 + blocks * alpha_sq), constant),
            (1 + blocks * alpha_sq, constant),
            (2.0 * blocks, "the factors of 2 multiply, they don't add."),
            (1.0, "the identity path carries the signal, but each branch adds its variance on top."),
        ),
        hint="E[x_(l+1)²] = (1 + α²)·E[x_l²]: multiply once per block, then take the square root.")


def _ch8():
    d_k = 64                                 # the chapter's d_k = 64
    std = math.sqrt(d_k)
    return Question(
        "ch8-attention-logit-std", 8, "number",
        f"The dₖ = {d_k} entries of a query q and a key k are independent, with mean 0 and variance 1. "
        "What is the std of the attention logit q·k?",
        std,
        f"q·k sums {d_k} independent products of variance 1, so its variance is {d_k} and its std "
        f"√{d_k} = {std:g}. That is why attention divides the logits by √dₖ.",
        rtol=0.05,
        mistakes=(
            (float(d_k), f"that is the variance: {d_k} independent products of variance 1 add up to {d_k}. "
                         "The std is its square root."),
            (1.0, "that is the std after dividing by √dₖ, the scaling attention adds; q·k itself sums "
                  f"{d_k} variances."),
            (1 / std, "1/√dₖ is the factor attention multiplies by; the unscaled logit is the larger one."),
            (0.0, "the mean of q·k is 0, but its spread is not."),
        ),
        hint="variances of independent terms add: find Var(q·k), then its square root.")


#: Every question, by id, in the order of the chapters.
QUESTIONS: dict[str, Question] = {q.id: q for q in (f() for f in (_ch1, _ch2, _ch2_relu, _ch3, _ch4, _ch5, _ch6,
                                                                  _ch7, _ch8))}


def _question(id) -> Question:
    if id not in QUESTIONS:
        raise ValueError(f"unknown question {id!r}; valid: {', '.join(QUESTIONS)}")
    return QUESTIONS[id]


def spec(id) -> dict:
    """The question as JSON-ready data: what the page's judge reads (the directive embeds it).

    >>> spec("ch5-selu-initializer")["answer"]
    'lecun_normal'
    >>> spec("ch9")
    Traceback (most recent call last):
    ...
    ValueError: unknown question 'ch9'; valid: ch1-vanishing-std, ch2-variance-after-30, \
ch2-relu-second-moment, ch3-glorot-forward-factor, ch4-glorot-relu-factor, ch5-selu-initializer, ch6-pytorch-over-he, \
ch7-residual-std-50, ch8-attention-logit-std
    """
    q = _question(id)
    out = {"id": q.id, "chapter": q.chapter, "kind": q.kind, "prompt": q.prompt, "answer": q.answer,
           "explanation": q.explanation}
    if q.kind == "number":
        out.update(rtol=q.rtol, hint=q.hint, mistakes=[{"value": v, "message": m} for v, m in q.mistakes])
    else:
        out["options"] = [{"key": k, "label": label, "message": m} for k, label, m in q.options]
    return out


def parse_number(text) -> tuple[float | None, str | None]:
    """A typed number: ``(value, None)``, or ``(None, message)`` naming what is valid.

    >>> parse_number("2^25"), parse_number(" 1/6 ")[0], parse_number("3.4×10^7")
    ((33554432.0, None), 0.16666666666666666, (34000000.0, None))
    >>> parse_number("1/√2")[0], parse_number("sqrt(0.5)")[0], parse_number("4%")
    (0.7071067811865475, 0.7071067811865476, (0.04, None))
    >>> parse_number("0,5")
    (None, "write 0.5 with a decimal point, not a comma ('0,5')")
    """
    text = str(text).strip().replace("\u2212", "-")
    if not text:
        return None, f"type a number first, such as {EXAMPLES}"
    if text.endswith("%"):
        value, error = parse_number(text[:-1])
        return (None, error) if error else (value / 100, None)
    if _COMMA.match(text):
        return None, f"write {text.replace(',', '.')} with a decimal point, not a comma ('{text}')"
    m = _TIMES_TEN.match(text)
    if m:
        value = float(f"{m[1]}e{m[2]}")
    else:
        m = _NUMBER.match(text)
        if not m:
            return None, f"'{text}' is not a number: type one such as {EXAMPLES}"
        a = _term(m[1])
        if m[2] is None:
            value = a
        elif m[2] == "/":
            value = a / _term(m[3]) if _term(m[3]) != 0 else math.nan
        else:
            try:
                value = math.pow(a, _term(m[3]))
            except (ValueError, OverflowError):
                value = math.nan
    if not math.isfinite(value):
        return None, f"'{text}' is not a finite number: type one such as {EXAMPLES}"
    return value, None


def _term(text: str) -> float:
    """The value of one term of a typed number: a number, or the square root of one (nan below 0)."""
    x = float(_TERM_NUMBER.search(text)[0])
    if text[0] not in "s√":
        return x
    return math.sqrt(x) if x >= 0 else math.nan


def _shown(answer) -> str:
    return f"'{answer}'" if isinstance(answer, str) else repr(answer)


def _near(x, target, rtol) -> bool:
    return abs(x - target) <= rtol * abs(target)


def _judge_number(s, answer) -> tuple[bool, str]:
    refused = f"answer with one number (or a string such as '1/6'), not {type(answer).__name__}"
    if isinstance(answer, (bool, np.bool_)):
        return False, refused
    if not isinstance(answer, (int, float, str)):
        try:                                 # a numpy number or 0-d array counts
            answer = float(answer)
        except (TypeError, ValueError):
            return False, refused
    if isinstance(answer, str):
        value, error = parse_number(answer)
        if error:
            return False, error
    else:
        value = float(answer)
        if not math.isfinite(value):
            return False, f"{value} is not a finite number: type one such as {EXAMPLES}"
    if _near(value, s["answer"], s["rtol"]):
        return True, "right: " + s["explanation"]
    for mistake in s["mistakes"]:
        if _near(value, mistake["value"], s["rtol"]):
            return False, mistake["message"]
    return False, ("too large" if value > s["answer"] else "too small") + ": " + s["hint"]


def _judge_choice(s, answer) -> tuple[bool, str]:
    keys = [o["key"] for o in s["options"]]
    valid = "; ".join(f"{i} = {k}" for i, k in enumerate(keys, 1))
    chosen = None
    if isinstance(answer, str):
        text = answer.strip()
        if text in keys:
            chosen = text
        elif re.fullmatch(r"\d+", text) and 1 <= int(text) <= len(keys):
            chosen = keys[int(text) - 1]
    elif isinstance(answer, int) and not isinstance(answer, bool) and 1 <= answer <= len(keys):
        chosen = keys[answer - 1]
    if chosen is None:
        return False, f"choose one of the options by its name or number ({valid}); got {_shown(answer)}"
    message = s["options"][keys.index(chosen)]["message"]
    return (True, "right: " + message) if chosen == s["answer"] else (False, message)


def judge(s: dict, answer) -> tuple[bool, str]:
    """Judge ``answer`` against a question's :func:`spec`: ``(passed, message)``. The page's
    ``question.js`` implements the same rules.

    >>> judge(spec("ch2-variance-after-30"), 27)
    (False, "the factors multiply layer after layer, they don't add.")
    >>> judge(spec("ch5-selu-initializer"), 7)
    (False, 'choose one of the options by its name or number (1 = glorot_normal; 2 = he_normal; \
3 = lecun_normal; 4 = random_normal); got 7')
    """
    return _judge_number(s, answer) if s["kind"] == "number" else _judge_choice(s, answer)


def check(id, answer=None) -> Feedback:
    """Check a prediction for question ``id``: a number (or a string such as ``"1/6"``) or, for a
    choice, the option's name or number. Without an answer it shows the question.

    >>> check("ch2-variance-after-30", "0.9^30")
    ✔ right: the factors multiply: 0.9^30 ≈ 0.042. A 10% loss per layer compounds to a 96% loss.
    >>> check("ch5-selu-initializer", "he_normal")
    ✘ He gives E[τ] = n_in · 2/n_in = 2: the variance of z doubles at every layer.
    """
    q = _question(id)
    if answer is None:
        what = ("the name or number of an option: "
                + "; ".join(f"{i} = {label}" for i, (_, label, _) in enumerate(q.options, 1))
                if q.kind == "choice" else f"a number such as {EXAMPLES}")
        return fail(f"predict, then check: {q.prompt} Replace None with your answer ({what}) and run "
                    "the cell again.")
    passed, message = judge(spec(id), answer)
    return ok(message) if passed else fail(message)
