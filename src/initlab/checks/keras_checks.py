"""Checks for chapter 6 and the coursework: Keras objects judged by their description.

A Keras model, layer or initializer is turned into plain data by
:func:`initlab.coursework.describe`, so a check runs the same on a live object in a notebook and on
an object that stayed in a grading sandbox. PyTorch's default as a Keras initializer is judged by
its samples, with ``samplers.judge_samples``.

>>> check_vanish_depth(7, width=100, sigma=0.01).passed
True
"""

from __future__ import annotations

import math

import numpy as np

from ..coursework import describe
from ..initializers import compute_fans
from ..quiet_keras import import_keras
from .feedback import Feedback, Z, call_student, close, fail, ok
from .samplers import SCHEMES, as_samples, check_sampler, judge_samples, std_mistakes, target_std

__all__ = ["RECOMMENDED", "check_vanish_depth", "check_layer_stds", "check_keras_model", "DEFAULT_KEYS",
           "check_keras_defaults", "check_seed_reuse", "KERAS_PRESETS", "check_variance_scaling",
           "check_pytorch_default"]


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
    of width ``width`` with N(0, σ²) weights has a std below ``threshold``, (√width·σ)^d < threshold.

    Examples
    --------
    >>> check_vanish_depth(3, width=100, sigma=0.01)
    ✘ you answered 3, but the std falls below 1e-06 after 7 layers (each layer multiplies the std by √100·0.01 = 0.1).
    """
    factor = math.sqrt(width) * sigma
    if not 0 < factor < 1:
        raise ValueError(f"√width·σ must be in (0, 1) for the signal to vanish, got {factor:g}")
    if isinstance(answer, (bool, np.bool_)) or not isinstance(answer, (int, float, np.integer, np.floating)) \
            or not float(answer).is_integer():
        return fail(f"the depth must be a whole number of layers, got {answer!r:.60}")
    got, want = int(answer), _first_depth_below(factor, threshold)
    if got == want:
        return ok(f"right: the std after {want} layers is {factor ** want:.3g} < {threshold:g}, "
                   f"after {want - 1} it is still {factor ** (want - 1):.3g}.")
    start = f"you answered {got}, but the std falls below {threshold:g} after {want} layers"
    variance = width * sigma * sigma
    if got == _first_depth_below(variance, threshold) and got != want:
        return fail(f"{start}: you used the variance factor n·σ² = {variance:.3g} per layer; the std "
                     f"shrinks by √n·σ = {factor:.3g} per layer.")
    if 0 < width * sigma < 1 and got == _first_depth_below(width * sigma, threshold):
        return fail(f"{start}: each layer multiplies the std by √n·σ, not n·σ.")
    if got == want - 1:
        return fail(f"{start}: after {got} layers the std is still {factor ** got:.3g}, not below {threshold:g}.")
    if got == want + 1:
        return fail(f"{start}: one layer too many, after {want} layers it is already {factor ** want:.3g}.")
    return fail(start + f" (each layer multiplies the std by √{width}·{sigma:g} = {factor:.4g}).")


def check_layer_stds(answer, widths, activation) -> Feedback:
    """Check ``answer``: one σ per weight matrix of a dense net of layer widths
    ``widths = [n_0, ..., n_L]`` with the scheme the course recommends for ``activation``
    (``RECOMMENDED``: He for relu, Glorot for tanh, LeCun for selu).

    Examples
    --------
    >>> import math
    >>> check_layer_stds([math.sqrt(1 / 784), math.sqrt(1 / 256)], [784, 256, 10], "relu")
    ✘ those are lecun's σ (Var w = 1/fan_in); for relu use he: Var w = 2/fan_in.
    """
    if activation not in RECOMMENDED:
        raise ValueError(f"activation must be one of {', '.join(RECOMMENDED)}, got {activation!r}")
    scheme, shapes = RECOMMENDED[activation], list(zip(widths[:-1], widths[1:]))
    if isinstance(answer, (str, bytes)) or not hasattr(answer, "__len__"):
        return fail(f"answer with a list of numbers, one σ per weight matrix; got {type(answer).__name__}")
    try:
        values = [float(v) for v in answer]
    except (TypeError, ValueError):
        return fail("answer with a list of numbers, one σ per weight matrix")
    if len(values) != len(shapes):
        return fail(f"{len(widths)} widths make {len(shapes)} weight matrices (widths[0] is the input), "
                     f"so give {len(shapes)} values, not {len(values)}.")
    want = [target_std(scheme, s) for s in shapes]
    if all(close(v, w, 1e-4) for v, w in zip(values, want)):
        return ok(f"right: {scheme}'s σ for {activation}, {_VARIANCE[scheme]}, on each of the {len(shapes)} layers.")
    for other in SCHEMES:
        if other != scheme and all(close(v, target_std(other, s), 1e-4) for v, s in zip(values, shapes)):
            return fail(f"those are {other}'s σ ({_VARIANCE[other]}); for {activation} use {scheme}: "
                         f"{_VARIANCE[scheme]}.")
    for wrong, hint in std_mistakes(scheme):
        try:
            if all(close(v, wrong(s), 1e-4) for v, s in zip(values, shapes)):
                return fail(f"{scheme}'s σ for {activation}: {hint}")
        except (ZeroDivisionError, ValueError):
            continue
    i = next(i for i, (v, w) in enumerate(zip(values, want)) if not close(v, w, 1e-4))
    return fail(f"layer {i + 1} (weights {shapes[i]}): you gave σ = {values[i]:.4g}, {scheme}'s "
                 f"({_VARIANCE[scheme]}) is {want[i]:.4g}.")


_KERAS_SCHEME = {"HeNormal": "he", "HeUniform": "he", "GlorotNormal": "glorot",
                 "GlorotUniform": "glorot", "LecunNormal": "lecun", "LecunUniform": "lecun"}
_KERAS_CASES = (([64, 128, 32], "relu"), ([32, 64, 64], "tanh"), ([48, 96, 24], "selu"))


def _keras_scheme(init) -> str | None:
    """The scheme of a described Keras initializer: a name of ``SCHEMES``, "other" for another
    variance scaling, None if it is not one (or unknown, e.g. a custom function)."""
    if not isinstance(init, dict):
        return None
    cls, config = init.get("class"), init.get("config") or {}
    if cls in _KERAS_SCHEME:
        return _KERAS_SCHEME[cls]
    if cls == "VarianceScaling":
        for name, (scale, mode) in SCHEMES.items():
            if close(float(config.get("scale", 1.0)), scale) and config.get("mode", "fan_in") == mode:
                return name
        return "other"
    return None


def _model(model, what):

    description = describe(model)
    if not isinstance(description, dict) or description.get("kind") != "model":
        return None, fail(f"{what} must return a Keras model (e.g. keras.Sequential), got "
                           f"{type(model).__name__}")
    return [layer for layer in description["layers"] if "kernel" in (layer.get("weights") or {})], None


def check_keras_model(build, widths=None, activation=None) -> Feedback:
    """Check ``build(widths, activation)`` returns a Keras model of ``len(widths) − 1`` Dense layers
    of ``widths[1:]`` units with that activation, zero biases and kernels drawn with the scheme of
    ``RECOMMENDED`` (judged by the initializer's class when Keras names it, and always by the
    kernels' std within five standard errors). Tried on (widths, activation) first if given,
    then on three fixed cases, one per activation.

    Examples
    --------
    Keras' Dense layers use glorot_uniform unless told otherwise, whatever the activation:

    >>> keras = import_keras()
    >>> def build(widths, activation):
    ...     layers = [keras.layers.Dense(n, activation=activation) for n in widths[1:]]
    ...     return keras.Sequential([keras.Input((widths[0],)), *layers])
    >>> check_keras_model(build)  # doctest: +NORMALIZE_WHITESPACE
    ✘ build_model([64, 128, 32], 'relu'): layer 1's kernel has std 0.10..., but he's σ for (64, 128) is 0.1768:
    for relu use he_normal or he_uniform. That is Dense's default, glorot_uniform, which Keras uses whatever
    the activation: pass kernel_initializer.
    """
    cases = ([(list(widths), activation)] if widths is not None else []) + list(_KERAS_CASES)
    for w, act in cases:
        scheme, call = RECOMMENDED[act], f"build_model({list(w)}, {act!r})"
        model, bad = call_student(build, list(w), act)
        if bad is not None:
            return bad
        dense, bad = _model(model, "build_model")
        if bad is not None:
            return bad
        if len(dense) != len(w) - 1:
            return fail(f"{call} has {len(dense)} layers with a kernel, {list(w)} needs {len(w) - 1}: "
                         f"widths[0] is the input size and each later width is one Dense layer.")
        for i, (layer, shape) in enumerate(zip(dense, zip(w[:-1], w[1:])), 1):
            kernel = np.asarray(layer["weights"]["kernel"], dtype=np.float64)
            if kernel.shape != shape:
                return fail(f"{call}: layer {i} has a kernel of shape {kernel.shape}, expected {shape}.")
            if layer.get("activation") != act:
                return fail(f"{call}: layer {i} has activation {layer.get('activation')!r}, expected {act!r}.")
            init = (layer.get("initializers") or {}).get("kernel_initializer")
            sigma, std = target_std(scheme, shape), float(kernel.std())
            found = _keras_scheme(init)
            if found not in (None, scheme) or abs(std - sigma) > Z * sigma / math.sqrt(2 * kernel.size):
                cls = (init or {}).get("class", "?")
                hint = (" That is Dense's default, glorot_uniform, which Keras uses whatever the "
                        "activation: pass kernel_initializer." if cls == "GlorotUniform" and scheme != "glorot"
                        else f" Its initializer, {cls}, follows {found}'s scheme." if found in SCHEMES else "")
                return fail(f"{call}: layer {i}'s kernel has std {std:.4g}, but {scheme}'s σ for {shape} is "
                             f"{sigma:.4g}: for {act} use {scheme}_normal or {scheme}_uniform.{hint}")
            bias = (layer.get("weights") or {}).get("bias")
            if bias is not None and np.any(np.asarray(bias) != 0):
                return fail(f"{call}: layer {i}'s biases are not zero; keep Keras' default bias_initializer='zeros'.")
    return ok(f"right on {len(cases)} networks: layers, activations, zero biases and "
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
    """Check ``answer``: a dict from each key of ``DEFAULT_KEYS`` (``"Dense.kernel"``, ...)
    to the name of the initializer Keras uses by default. Any identifier that
    ``keras.initializers.get`` turns into the same class and configuration is right; the truth is
    read from the installed Keras.

    Examples
    --------
    >>> answer = {"Dense.kernel": "glorot_uniform", "Dense.bias": "zeros",
    ...           "Conv2D.kernel": "glorot_uniform", "LSTM.recurrent": "glorot_uniform",
    ...           "Embedding.embeddings": "uniform"}
    >>> check_keras_defaults(answer)  # doctest: +NORMALIZE_WHITESPACE
    ✘ LSTM.recurrent: 'glorot_uniform' is not Keras' default, 'orthogonal'.
    The recurrent kernel is an orthogonal matrix by default.
    """
    import re

    if not isinstance(answer, dict):
        return fail(f"answer with a dict from {', '.join(DEFAULT_KEYS)} to initializer names")
    missing = [k for k in DEFAULT_KEYS if k not in answer]
    if missing:
        return fail(f"your dict has no entry for {', '.join(missing)}")

    keras = import_keras()
    config = lambda init: {k: v for k, v in init.get_config().items() if k != "seed"}
    for key, want in _keras_defaults(keras).items():
        name = answer[key]
        snake = re.sub(r"(?<!^)(?=[A-Z])", "_", type(want).__name__).lower()
        if not isinstance(name, str):
            return fail(f"{key}: give the initializer's name as a string, e.g. 'zeros'; got {name!r:.60}")
        try:
            got = keras.initializers.get(name)
        except (ValueError, TypeError):
            return fail(f"{key}: Keras knows no initializer called {name!r}.")
        if type(got) is type(want) and config(got) == config(want):
            continue
        hint = {"Dense.kernel": " Keras does not choose by activation: Dense(4, activation='relu') "
                                "still starts from glorot_uniform.",
                "Conv2D.kernel": " Conv layers share Dense's default, whatever the activation.",
                "LSTM.recurrent": " The recurrent kernel is an orthogonal matrix by default.",
                "Embedding.embeddings": " Embeddings default to a small uniform, U(−0.05, 0.05)."}.get(key, "")
        return fail(f"{key}: {name!r} is not Keras' default, {snake!r}.{hint}")
    return ok(f"right: all {len(DEFAULT_KEYS)} defaults match the installed Keras {keras.__version__}.")


def check_seed_reuse(build_pitfall, build_fixed, width=32, seed=7) -> Feedback:
    """Check two builders ``f(width, seed)`` of a model with two ``Dense(width)`` layers on a
    ``width``-wide input: in ``build_pitfall`` one int-seeded initializer object serves both layers,
    so their kernels are identical; ``build_fixed`` gives them different kernels, and stays
    reproducible (the same seed, the same kernels) and seeded (another seed, other kernels).

    Examples
    --------
    >>> keras = import_keras()
    >>> def shared_init(width, seed):
    ...     init = keras.initializers.GlorotUniform(seed=seed)        # one object, one int seed
    ...     dense = [keras.layers.Dense(width, kernel_initializer=init) for _ in range(2)]
    ...     return keras.Sequential([keras.Input((width,)), *dense])
    >>> check_seed_reuse(shared_init, shared_init)  # doctest: +NORMALIZE_WHITESPACE
    ✘ build_fixed: the two layers still get identical kernels. Give each layer its own initializer with its own
    seed (e.g. seed and seed + 1), or seed both with one keras.random.SeedGenerator(seed).
    """

    def kernels(build, what, s):
        model, bad = call_student(build, width, s)
        if bad is not None:
            return None, bad
        dense, bad = _model(model, what)
        if bad is not None:
            return None, bad
        ks = [np.asarray(layer["weights"]["kernel"]) for layer in dense[:2]]
        if len(ks) < 2 or any(k.shape != (width, width) for k in ks):
            return None, fail(f"{what}({width}, {s}) must have two Dense({width}) layers on a "
                               f"{width}-wide input, so that both kernels are ({width}, {width}); it has "
                               f"kernels of shapes {[k.shape for k in ks]}.")
        return ks, None

    pitfall, bad = kernels(build_pitfall, "build_pitfall", seed)
    if bad is not None:
        return bad
    if not np.array_equal(pitfall[0], pitfall[1]):
        return fail("build_pitfall: the two kernels differ, so this is not the pitfall. Create ONE "
                     "initializer object with an int seed, e.g. keras.initializers.GlorotUniform(seed=seed), "
                     "and pass that same object to both layers.")
    runs = []
    for s in (seed, seed, seed + 1):
        ks, bad = kernels(build_fixed, "build_fixed", s)
        if bad is not None:
            return bad
        runs.append(ks)
    if np.array_equal(runs[0][0], runs[0][1]):
        return fail("build_fixed: the two layers still get identical kernels. Give each layer its own "
                     "initializer with its own seed (e.g. seed and seed + 1), or seed both with one "
                     "keras.random.SeedGenerator(seed).")
    if not all(np.array_equal(a, b) for a, b in zip(runs[0], runs[1])):
        return fail(f"build_fixed is not reproducible: two calls with seed {seed} gave different kernels. "
                     f"Keep the initializers seeded.")
    if np.array_equal(runs[0][0], runs[2][0]) and np.array_equal(runs[0][1], runs[2][1]):
        return fail(f"build_fixed ignores its seed: seeds {seed} and {seed + 1} gave the same kernels.")
    return ok("right: the reused seeded object copies one kernel into both layers; your fix gives "
               "different, reproducible kernels.")


#: The (scheme, distribution) of each Keras variance-scaling preset name.
KERAS_PRESETS = {f"{s}_{d}": (s, d) for s in ("he", "glorot", "lecun") for d in ("uniform", "normal")}


def check_variance_scaling(init, name) -> Feedback:
    """Check ``init`` equals the Keras preset ``name`` (e.g. ``"he_normal"``, see
    ``KERAS_PRESETS``) written as ``keras.initializers.VarianceScaling(scale, mode,
    distribution)``: its configuration when it has one, and its samples always
    (:func:`check_sampler` on a dense and a conv shape).

    Examples
    --------
    >>> keras = import_keras()
    >>> check_variance_scaling(keras.initializers.VarianceScaling(2.0, "fan_avg", "truncated_normal"), "he_normal")
    ✘ mode='fan_avg': he_normal has mode='fan_in' (Var w = 2/fan_in).
    """
    import re


    if name not in KERAS_PRESETS:
        raise ValueError(f"name must be one of {', '.join(KERAS_PRESETS)}, got {name!r}")
    scheme, distribution = KERAS_PRESETS[name]
    scale, mode = SCHEMES[scheme]
    want = "truncated_normal" if distribution == "normal" else "uniform"
    description = describe(init)
    if isinstance(description, dict) and description.get("kind") == "initializer":
        cls, config = description.get("class"), description.get("config") or {}
        if cls == "VarianceScaling":
            if not close(float(config.get("scale", 1.0)), scale):
                return fail(f"scale={config.get('scale')}: {name} has scale={scale:g} ({_VARIANCE[scheme]}).")
            if config.get("mode") != mode:
                return fail(f"mode={config.get('mode')!r}: {name} has mode={mode!r} ({_VARIANCE[scheme]}).")
            if config.get("distribution") != want:
                extra = (" Keras' *_normal presets draw from a truncated normal (cut at ±2σ₀, rescaled "
                         "so the std is σ); 'normal' means the same in VarianceScaling."
                         if config.get("distribution") == "untruncated_normal" else "")
                return fail(f"distribution={config.get('distribution')!r}: {name} uses {want!r}.{extra}")
        elif cls in _KERAS_SCHEME and re.sub(r"(?<!^)(?=[A-Z])", "_", cls).lower() != name:
            return fail(f"that is {cls}, not {name}.")
    with np.errstate(all="ignore"):                     # e.g. constant samples: std 0, kurtosis 0/0
        feedback = check_sampler(lambda shape, rng: np.asarray(init(shape)), scheme, distribution)
    if not feedback.passed:
        return fail(f"samples from your initializer: {feedback.message}")
    return ok(f"right: {name} = VarianceScaling(scale={scale:g}, mode={mode!r}, distribution={want!r}); "
               f"its samples have the right shape, std and distribution.")


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
                                               "kh·kw·in (PyTorch stores (out, in, kh, kw) and reads fan_in from dim "
                                               "1)."),
        (lambda sh: 1 / math.sqrt(3 * sh[-2]), "for a conv kernel (kh, kw, in, out) fan_in includes the receptive "
                                               "field: fan_in = kh·kw·in, not in."),
        (lambda sh: 1 / math.sqrt(3 * sh[0]), "shape[0] is fan_in only for a dense kernel; for a conv kernel "
                                              "(kh, kw, in, out) it is the kernel height. Use fan_in = kh·kw·in."),
    ]


def _draw(initializer, shape, what="your initializer"):
    """``(array, None)`` from ``initializer(shape, dtype="float32")``, or ``(None, Feedback)``."""
    try:
        w = initializer(shape, dtype="float32")
    except Exception as error:  # the student's code may raise anything
        return None, fail(f"{what} raised {type(error).__name__}: {error} (called with shape {shape})")
    return as_samples(w, shape, what, layout="a Keras kernel is (..., in, out), PyTorch's weight is (out, in, ...)")


def check_pytorch_default(init) -> Feedback:
    """Check ``init(shape, dtype=None)``, a Keras initializer (a function, an ``Initializer``
    subclass or ``VarianceScaling``), draws PyTorch's ``nn.Linear``/``nn.Conv*`` default for a Keras
    kernel ``(..., in, out)``: U(±1/√fan_in), i.e. ``kaiming_uniform_(a=√5)``. Checked on a dense
    and a conv shape by the samples (shape, mean 0, std 1/√(3·fan_in) within five standard errors,
    the bound, a uniform shape); an object with ``get_config`` must also survive
    ``type(init).from_config(init.get_config())``.

    Examples
    --------
    >>> keras = import_keras()
    >>> check_pytorch_default(keras.initializers.HeUniform(seed=0))  # doctest: +NORMALIZE_WHITESPACE
    ✘ for shape (300, 200) your std is 0.08..., 2.4...× PyTorch's 1/√(3·fan_in): σ = 0.03333:
    that is He uniform, kaiming_uniform_ with a = 0. PyTorch's default uses a = √5, gain² = 2/(1 + 5) = 1/3:
    the limit is 1/√fan_in.
    """
    if init is None:
        return fail("init is None: assign your initializer (an object or a function f(shape, dtype=None)).")
    if not callable(init):
        return fail(f"init must be callable as init(shape, dtype=None), got {type(init).__name__}")
    shapes = ((300, 200), (3, 3, 32, 64))
    for shape in shapes:
        w, bad = _draw(init, shape)
        if bad is not None:
            return bad
        fan_in = compute_fans(shape)[0]
        sigma = 1 / math.sqrt(3 * fan_in)
        mistakes = [(wrong(shape), hint) for wrong, hint in _pytorch_mistakes()]
        bad = judge_samples(w, sigma, ["uniform"], mistakes, target="PyTorch's 1/√(3·fan_in):",
                            limit=1 / math.sqrt(fan_in))
        if bad is not None:
            return bad
    extra = ""
    if hasattr(init, "get_config") and not isinstance(init, type):
        try:
            clone = type(init).from_config(init.get_config())
        except Exception as error:  # a config that does not rebuild the object
            return fail(f"the samples are right, but type(init).from_config(init.get_config()) raised "
                         f"{type(error).__name__}: {error}. get_config must return the arguments of "
                         f"__init__ as a dict, so that Keras can save and reload the initializer.")
        w, bad = _draw(clone, shapes[0], "the object rebuilt from get_config()")
        if bad is not None:
            return bad
        sigma = 1 / math.sqrt(3 * compute_fans(shapes[0])[0])
        if abs(float(w.std()) - sigma) > Z * sigma * math.sqrt(2 / (4 * w.size)):
            return fail(f"the object rebuilt from get_config() draws with std {float(w.std()):.4g}, not "
                         f"{sigma:.4g}: get_config must return every argument that sets the distribution.")
        extra = " It also survives get_config() → from_config()."
    return ok("right: U(±1/√fan_in), PyTorch's kaiming_uniform_(a=√5), on a dense and a conv kernel "
               "(shape, mean, std, bound and uniform shape)." + extra)
