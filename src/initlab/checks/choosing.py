"""Checks for chapter 7, choosing an initializer: the decision, the edge of chaos and LSUV.

>>> check_choice(("he", "fan_in", 2 ** 0.5), "relu").passed
True
"""

from __future__ import annotations

import math

import numpy as np

from .. import beyond, initializers
from .feedback import Feedback, call_student, fail, number, ok

__all__ = ["CHOICE_ACTIVATIONS", "check_choice", "check_edge_of_chaos", "check_lsuv"]


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
        return None, fail(f"your answer is None: give {_CHOICE_SHAPE}.")
    if isinstance(answer, dict):
        parts = (answer.get("scheme", answer.get("init")), answer.get("mode"), answer.get("gain"))
    elif isinstance(answer, (tuple, list)) and len(answer) == 3:
        parts = tuple(answer)
    else:
        return None, fail(f"give three things, {_CHOICE_SHAPE}; got {answer!r:.80}")
    scheme = _choice_scheme(parts[0]) if isinstance(parts[0], str) else None
    if scheme is None:
        return None, fail(f"unknown scheme {parts[0]!r}: use 'glorot', 'lecun' or 'he' (Keras names "
                           f"such as 'he_normal' work too).")
    mode = parts[1].strip().lower() if isinstance(parts[1], str) else parts[1]
    if mode not in ("fan_in", "fan_out", "fan_avg"):
        return None, fail(f"unknown mode {parts[1]!r}: use 'fan_in', 'fan_out' or 'fan_avg'.")
    gain, bad = number(parts[2], "the gain")
    if bad is not None:
        return None, bad
    if gain <= 0:
        return None, fail(f"the gain must be > 0 (Var w = gain²/fan), got {gain:g}.")
    if mode not in _CHOICE_MODES[scheme]:
        what = {"glorot": "Glorot averages the fans: mode 'fan_avg', Var w = g²·2/(fan_in + fan_out)",
                "lecun": "LeCun's variance is g²/fan_in: mode 'fan_in'",
                "he": "He et al. use 'fan_in' (or 'fan_out'; chapter 4), never the average"}[scheme]
        return None, fail(f"scheme {scheme!r} with mode {mode!r} is not that scheme: {what}.")
    return (scheme, mode, gain), None


def _choice_targets(activation, slope):
    """(allowed modes, [(gain, note)], summary) of the chapter's table for ``activation``."""

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
        return relu_modes, [(g, "")], f"He (fan_in), gain √(2/(1 + s²)) = {g:.4f} for slope s = {slope:g}"
    if activation == "selu":
        return ("fan_in",), [(1.0, "")], "LeCun (fan_in), gain 1"
    g = beyond.moment_gain(activation)                      # gelu, swish
    caveat = (f" Caveat: in a plain deep {activation} network no fixed gain keeps the signal steady "
              "(chapter 7); pair it with normalization or residual blocks.")
    return relu_modes, [(math.sqrt(2), " √2 is the common choice, behind normalization." + caveat),
                        (g, f" That is the gain that keeps E[z²] = 1: E[{activation}(z)²] = "
                            f"{1 / g**2:.3f} for z ~ N(0, 1), an unstable balance." + caveat)], \
        f"He (fan_in) with gain √2, or the moment gain {g:.3f}"


def check_choice(answer, activation, slope=None) -> Feedback:
    """Check an initializer choice ``(scheme, mode, gain)`` for ``activation`` against chapter 7's
    decision table. ``scheme`` is ``"glorot"``, ``"lecun"`` or ``"he"`` (or a Keras name such as
    ``"he_normal"``), ``mode`` one of ``"fan_in"``, ``"fan_out"``, ``"fan_avg"``, and ``gain`` the
    number g in Var w = g²/fan; a dict with keys ``scheme``, ``mode``, ``gain`` works too.

    What counts is the variance (mode and gain); the scheme must agree with the mode. Accepted:
    linear/tanh/softsign/sigmoid: fan_avg or fan_in with gain 1 (tanh also PyTorch's 5/3);
    relu, leaky_relu and prelu: fan_in or fan_out with gain √(2/(1 + s²)) (s = ``slope``: 0 for
    relu, default 0.01 for leaky_relu and 0.25, He et al.'s initial value, for prelu); selu:
    fan_in with gain 1; gelu, swish: fan_in or fan_out with gain √2 or the moment gain of
    ``initlab.beyond.moment_gain``. Gains within 1.25 % pass.

    Examples
    --------
    >>> check_choice(("glorot", "fan_avg", 1.0), "relu")  # doctest: +NORMALIZE_WHITESPACE
    ✘ for relu: He (fan_in), gain √2; you gave glorot, fan_avg, gain 1: fan_avg is Glorot's compromise;
    ReLU-like layers use fan_in (or fan_out): each layer's factor is then exactly 1 and the rest telescopes
    (chapter 4).
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
    for want, note in gains:
        if _near(g, want) and mode in modes:
            label = {"glorot": "Glorot", "lecun": "LeCun", "he": "He"}[scheme]
            if scheme == "he" and _near(g, 1.0):
                note += " With gain 1 that is LeCun's variance; He's scheme is the gain-√2 family."
            return ok(f"right: {label}, {mode}, gain {g:.4g} for {activation}.{note} Table: {summary}.")
    start = f"for {activation}: {summary}; you gave {scheme}, {mode}, gain {g:.4g}"
    hint = _choice_hint(activation, mode, g, modes, gains, slope)
    return fail(f"{start}: {hint}" if hint else start + ".")


def _near(a, b) -> bool:
    return abs(a / b - 1) <= 0.0125


def _choice_hint(activation, mode, g, modes, gains, slope) -> str | None:
    """What is wrong with a rejected (mode, gain), in the words of the chapter it comes from."""
    if any(_near(g, w * w) and not _near(w, 1.0) for w, _ in gains):
        return "that gain is g², the `scale` of VarianceScaling; the gain is its square root."
    if activation in ("relu", "leaky_relu", "prelu", "gelu", "swish") and mode == "fan_avg":
        return ("fan_avg is Glorot's compromise; ReLU-like layers use fan_in (or fan_out): each layer's "
                "factor is then exactly 1 and the rest telescopes (chapter 4).")
    family = (_selu_hint if activation == "selu" else
              _rectifier_hint if activation in ("relu", "leaky_relu", "prelu") else
              _smooth_rectifier_hint if activation in ("gelu", "swish") else _symmetric_hint)
    hint = family(activation, mode, g, gains, slope)
    if hint is None and mode not in modes:
        hint = f"the mode should be {' or '.join(modes)}."
    return hint


def _selu_hint(activation, mode, g, gains, slope):
    if mode != "fan_in":
        return ("SELU's fixed point (mean 0, variance 1) needs Var w = 1/fan_in exactly; fan_avg and "
                "fan_out agree with it only for square layers (chapter 5).")
    if _near(g, 0.75):
        return ("3/4 is PyTorch's calculate_gain('selu'), which gives up the self-normalizing fixed point; "
                "a SELU network needs gain 1, lecun_normal (chapter 5).")
    if _near(g, initializers.gain("relu")):
        return ("He's variance multiplies E[z²] by about λ² ≈ 1.1 per SELU layer: the signal explodes "
                "(chapter 5). SELU needs gain 1.")
    return None


def _rectifier_hint(activation, mode, g, gains, slope):
    if _near(g, 1.0):
        return ("gain 1 (Glorot/LeCun) loses a factor √2 of std at every ReLU layer, 2^-14.5 over 30 layers "
                "(chapter 4); the rectifier needs √(2/(1 + s²)), s its negative slope.")
    if _near(g, initializers.gain("relu")) and activation != "relu":
        return (f"√2 is plain ReLU's gain; with negative slope s = {slope:g} the negative half keeps s² of "
                f"its second moment, so g = √(2/(1 + s²)) = {gains[0][0]:.4f}.")
    return None


def _smooth_rectifier_hint(activation, mode, g, gains, slope):
    if _near(g, 1.0):
        return (f"with gain 1 each layer multiplies E[z²] by E[{activation}(z)²]/E[z²] = "
                f"{1 / gains[1][0] ** 2:.3f} (for z ~ N(0, 1)): the signal shrinks. Use √2 or {gains[1][0]:.3f}.")
    return None


def _symmetric_hint(activation, mode, g, gains, slope):
    if mode == "fan_out":
        return "for this activation the table gives Glorot (fan_avg) or LeCun (fan_in)."
    if _near(g, initializers.gain("relu")):
        extra = ""
        if activation == "tanh":
            extra = (f" For tanh it puts the network in the chaotic phase (χ₁ = "
                     f"{beyond.chi1(initializers.gain('relu')):.2f} > 1 with zero biases), where nearby "
                     f"inputs decorrelate and gradients grow with depth.")
        return ("√2 is for rectifiers, which zero half their input; an activation with f'(0) = 1 passes "
                f"E[z²] on, so gain 1.{extra}")
    if activation == "sigmoid" and _near(g, 4.0):
        return ("4 = 1/f'(0) would hold for a zero-mean activation in its linear regime, but the sigmoid's "
                "mean 1/2 dominates E[sigmoid(z)²] and gain 4 saturates it. Use gain 1 (and prefer tanh in hidden "
                "layers).")
    return None


def check_edge_of_chaos(answer, sigma_b=0.3) -> Feedback:
    """Check ``answer``, the σ_w at which a deep tanh network with weight variance σ_w²/n and bias
    variance σ_b² is at the edge of chaos, χ₁ = σ_w² E[tanh'(√q* z)²] = 1 at the variance fixed
    point q* (Schoenholz et al. 2017). Within ±0.01 of ``initlab.beyond.critical_sigma_w``
    passes (a grid of step 0.01 or a Monte-Carlo χ₁ from 10⁶ samples gets there).

    Examples
    --------
    >>> check_edge_of_chaos(1.0, sigma_b=0.3)  # doctest: +NORMALIZE_WHITESPACE
    ✘ for σ_b = 0.3 you gave σ_w = 1, the edge of chaos is at 1.3956: 1 is the answer for σ_b = 0
    (then q* = 0 and χ₁ = σ_w²). A bias puts q* > 0, into tanh's curved region, where E[tanh'²] < 1,
    so σ_w must be larger.
    """

    if answer is None:
        return fail("your answer is None: set it to the σ_w you found (a number).")
    value, bad = number(answer, "your σ_w")
    if bad is not None:
        return bad
    want = beyond.critical_sigma_w(sigma_b)
    if abs(value - want) <= 0.01:
        return ok(f"right: σ_w ≈ {want:.4f} for σ_b = {sigma_b:g}, where χ₁ = 1 "
                   f"(q* = {beyond.fixed_point_q(want, sigma_b):.4f}).")
    start = f"for σ_b = {sigma_b:g} you gave σ_w = {value:.4g}, the edge of chaos is at {want:.4f}"
    dsq = lambda q: beyond.gaussian_mean(lambda z: beyond.derivative("tanh", z) ** 2, q)
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
            return fail(f"{start}: {hint}")
    side = "ordered (χ₁ < 1)" if value < want else "chaotic (χ₁ > 1)"
    return fail(f"{start}; at your σ_w the network is in the {side} phase, χ₁ = "
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
    variance 1 on the batch (within 2 %), dividing each whole matrix by one number. Normalizing
    after the activation is accepted too, with a remark; a per-unit (per-column) rescale is
    recognised and named. Tried on two 7-layer networks (ReLU and tanh) with orthogonal weights 0.3× too small.

    Examples
    --------
    Returning the weights unchanged leaves the too-small start as it was:

    >>> check_lsuv(lambda weights, x, f: weights)  # doctest: +NORMALIZE_WHITESPACE
    ✘ (relu network) the output variances of your layers are [0.015, 0.001, 0.0, 0.0, 0.0, 0.0, 0.0]:
    you multiplied every layer by the same number; LSUV gives each layer its own factor, measured on the batch.
    """

    after = False
    for activation, seed in (("relu", 0), ("tanh", 1)):
        weights, x = _lsuv_case(seed)
        f = lambda z, _a=activation: beyond.activate(_a, z)
        original = [w.copy() for w in weights]
        out, bad = call_student(student, [w.copy() for w in weights], x.copy(), f)
        if bad is not None:
            return bad
        if out is None:
            return fail("your function returned None: did you forget to `return` the list of rescaled matrices?")
        try:
            out = [np.asarray(w, dtype=np.float64) for w in out]
        except (TypeError, ValueError):
            return fail(f"return a list of weight matrices, got {type(out).__name__}")
        if len(out) != len(original) or any(a.shape != b.shape for a, b in zip(out, original)):
            return fail(f"return one matrix per layer with the same shapes: expected "
                         f"{[w.shape for w in original]}, got {[np.shape(w) for w in out]}.")
        if not all(np.all(np.isfinite(w)) for w in out):
            return fail("some returned weights are inf or NaN.")
        scales = []
        for layer, (w, w0) in enumerate(zip(out, original), start=1):
            c = float(np.sum(w * w0) / np.sum(w0 * w0))
            if c <= 0 or np.linalg.norm(w - c * w0) > 1e-6 * np.linalg.norm(w):
                per_unit = np.sum(w * w0, axis=0) / np.sum(w0 * w0, axis=0)
                if np.linalg.norm(w - per_unit * w0) <= 1e-6 * np.linalg.norm(w):
                    return fail(f"layer {layer}: you divided each column (each unit) by its own number, "
                                 f"as batch normalization standardizes each unit; LSUV divides the whole "
                                 f"matrix by one number, the std of all of z = a·W (every example, every "
                                 f"unit), so the matrix keeps its direction.")
                return fail(f"layer {layer}: LSUV only multiplies each matrix by a positive number; yours "
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
            return fail(f"{where}: you measured every layer on a forward pass of the *original* weights. LSUV "
                         f"is sequential: rescale layer 1, then run the batch through the rescaled layer 1 "
                         f"to measure layer 2, and so on.")
        if np.isclose(scales[0], 1 / pre0[0], rtol=1e-3):
            return fail(f"{where}: you divided by the variance; divide W by the std √Var(z) so that the "
                         f"variance becomes 1.")
        if np.allclose(scales, scales[0], rtol=1e-6):
            return fail(f"{where}: you multiplied every layer by the same number; LSUV gives each layer its own "
                         f"factor, measured on the batch.")
        if after:
            return fail(f"{where}: on the ReLU network you normalized the output *after* the activation, but a "
                         f"tanh output has variance below 1 whatever the scale. Normalize z = a·W, before the "
                         f"activation.")
        return fail(f"{where}; each should be 1 (within 2 %). Divide W_l by the std of z_l = a_(l-1)·W_l, "
                     f"layer by layer from the input.")
    extra = ""
    if after:
        extra = (" You normalized the layer's output after the activation; the chapter (and "
                 "initlab.beyond.lsuv) uses z before it. Both fix the scale.")
    return ok("right: every layer's output has variance 1 on the batch, and each matrix was only rescaled, "
               "on a ReLU and a tanh network." + extra)
