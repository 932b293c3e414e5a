r"""Check a Keras model at initialization, layer by layer, before training it.

:func:`diagnose` runs one batch through the real model under a ``tf.GradientTape`` and returns a
:class:`Diagnosis`: a per-layer table (name, kind, fans, initializer, the std of the forward and
of the backward signal, the % of saturated and of dead units), the initial loss against
:math:`\ln C` when labels are given, and a list of **problems**, each a plain sentence that
names the layer, what is wrong, the evidence and the likely fix::

    dense_3: 92 % of tanh outputs saturated (|a| > 0.97; pre-activation std 11); use glorot_uniform …

It is the course's checklist in one call (chapters 1–8): signals that shrink or grow with depth,
weights far from the :math:`1/\sqrt{\text{fan}_\text{in}}` scale, constant (symmetric) layers,
saturated tanh/sigmoid units, dead ReLU units, an initial loss far above :math:`\ln C`,
imbalanced labels without a prior bias, and inputs far from :math:`E[x^2] \approx 1` or far
from centred (the mean input carrying more than half of :math:`E[x^2]`).

**What is measured.** For a layer with a built-in activation (``Dense(…, activation="relu")``,
``Conv2D``, an ``Activation`` layer, ``ReLU``, ``Softmax``) the forward std is that of its
pre-activation :math:`z` and the backward std that of :math:`\partial\mathcal{L}/\partial z`,
as in :func:`initlab.propagation.simulate`; for any other layer (LSTM, GRU, MultiHeadAttention,
Add, LayerNormalization, …) they are the std of its output and of the gradient with respect to
it. Without labels the loss is :math:`\mathcal{L} = \sum a_L \odot g` with a fixed random
:math:`g \sim N(0, 1)`, again as in ``simulate``; with labels it is the cross-entropy the output
implies (softmax: categorical; one sigmoid unit: binary; no activation: from logits) or, for a
regression output, the mean squared error (then ``expected_loss`` is the variance of ``y``).
Saturated: the share of outputs with :math:`|\tanh z| > 0.97` (sigmoid: outside
[0.03, 0.97]); dead: the share of ReLU units (channels, for a conv layer) that output 0 for every
example of the batch.

**It never changes the model.** The batch runs in training mode (batch normalization uses the
batch's statistics, as in the first training step) and every variable, the moving averages
included, is restored afterwards. Sequential and functional models are supported (any layer
whose output is a node of the model's graph); a nested model counts as one layer.

Reference values are those of the course: a drift of more than 100× in std between layers
(He et al. 2015; Glorot & Bengio 2010), more than 20 % of saturated or dead units, and an initial
loss more than half a nat per nat above ln C (Karpathy's "makemore" checks; chapter 8); an input
with :math:`\sqrt{E[x^2]}` outside [0.2, 5], or whose mean carries more than half of
:math:`E[x^2]` (two examples then start with a cosine similarity above 0.5), unless the model's
first layer normalizes it. The digits in [0, 1] have :math:`\sqrt{E[x^2]} = 0.49`, a scale
within the band, but their mean carries 69 % of :math:`E[x^2]`: they are flagged as not centred.

Example
-------
>>> import numpy as np
>>> from initlab.diagnose import diagnose
>>> from initlab.training import import_keras
>>> keras = import_keras()
>>> layers = [keras.layers.Dense(64, activation="tanh",
...                              kernel_initializer=keras.initializers.RandomNormal(stddev=1.0))
...           for _ in range(6)]
>>> model = keras.Sequential([keras.Input((64,)), *layers, keras.layers.Dense(10, activation="softmax")])
>>> x = np.random.default_rng(0).standard_normal((256, 64)).astype("float32")
>>> result = diagnose(model, x, y=np.arange(256) % 10)
>>> result.ok
False
>>> any("saturated" in p for p in result.problems)
True
"""

from __future__ import annotations

import dataclasses
import html
import math
import numbers
import re

import numpy as np

from .initializers import compute_fans
from .quiet_keras import import_keras

__all__ = ["diagnose", "Diagnosis", "LayerReport", "THRESHOLDS", "RECOMMENDED"]

#: The limits behind each problem (see the module docstring).
THRESHOLDS = {
    "drift": 100.0,            # forward or backward std changes by more than this between layers
    "gain": (0.1, 10.0),       # weight std × √fan_in outside this band
    "saturated": 0.20,         # share of saturated tanh/sigmoid outputs
    "dead": 0.20,              # share of ReLU units dead on the whole batch
    "loss_excess": 0.5,        # initial loss − ln C above this × max(ln C, 1)
    "input_rms": (0.2, 5.0),   # √E[x²] of a float input outside this band
    "input_mean_share": 0.5,   # |mean input|² / E[|x|²] above this: inputs not centred
}

#: The initializer the course recommends for a hidden layer with each activation (chapter 7).
RECOMMENDED = {"relu": "he_normal", "relu6": "he_normal", "leaky_relu": "he_normal",
               "elu": "he_normal", "gelu": "he_normal", "silu": "he_normal", "swish": "he_normal",
               "tanh": "glorot_uniform or lecun_normal", "softsign": "glorot_uniform",
               "sigmoid": "glorot_uniform (and prefer tanh in hidden layers)",
               "selu": "lecun_normal", "linear": "glorot_uniform or lecun_normal"}

_SATURATION = {"tanh": 0.97, "sigmoid": 0.94}       # on the output scaled to [−1, 1]
_DEAD = ("relu", "relu6")
_NORMALIZERS = ("Normalization", "BatchNormalization", "LayerNormalization")
_ACTIVATION_LAYERS = {"Activation": None, "ReLU": "relu", "Softmax": "softmax",
                      "LeakyReLU": "leaky_relu", "ELU": "elu"}


@dataclasses.dataclass(frozen=True)
class LayerReport:
    """One row of the table. ``None`` where a value does not apply (a layer without weights has
    no fans; only tanh/sigmoid units saturate and only ReLU units die).

    * ``forward_std``, ``backward_std``: std of the pre-activation z and of ∂ℒ/∂z for a layer
      with an activation (``measured == "z"``), else of the output and of ∂ℒ/∂output;
    * ``weight_std``: std of the main kernel (the input kernel of a recurrent layer, the query
      kernel of attention, the embedding table); ``gain`` = ``weight_std·√fan_in``;
    * ``saturated``, ``dead``: fractions in [0, 1].

    >>> row = LayerReport("dense", "Dense", "relu", 256, 256, "he_normal", 0.0884, 1.4, 0.02, None,
    ...                   0.0, "z")
    >>> round(row.gain, 3)                    # He's √2
    1.414
    """

    name: str
    kind: str
    activation: str | None
    fan_in: int | None
    fan_out: int | None
    initializer: str
    weight_std: float | None
    forward_std: float
    backward_std: float
    saturated: float | None
    dead: float | None
    measured: str
    feeds_add: bool = dataclasses.field(default=False, repr=False)

    @property
    def gain(self) -> float | None:
        """``weight_std · √fan_in``: 1 for LeCun's scale, √2 for He's, 0 for a constant layer."""
        if self.weight_std is None or self.fan_in is None:
            return None
        return self.weight_std * math.sqrt(self.fan_in)


@dataclasses.dataclass(frozen=True)
class Diagnosis:
    """What :func:`diagnose` found. ``ok`` is True when ``problems`` is empty.

    ``initial_loss`` and ``expected_loss`` (ln C for C classes, Var y for a regression) are
    None without labels. ``str(d)`` is a plain-text report; in a notebook it shows as a table.

    >>> d = Diagnosis(layers=(), problems=["dense: 90 % of tanh outputs saturated"], initial_loss=None,
    ...               expected_loss=None, batch=64, model_name="mlp")
    >>> d.ok
    False
    >>> print(d.report().splitlines()[1])
      • dense: 90 % of tanh outputs saturated
    """

    layers: tuple
    problems: list
    initial_loss: float | None
    expected_loss: float | None
    batch: int
    model_name: str

    @property
    def ok(self) -> bool:
        return not self.problems

    def rows(self) -> list[dict]:
        """The table as a list of dicts, one per layer (e.g. for ``pandas.DataFrame``)."""
        return [{**{f.name: getattr(r, f.name) for f in dataclasses.fields(r) if f.repr},
                 "gain": r.gain} for r in self.layers]

    def _summary(self) -> str:
        head = f"model {self.model_name!r}, batch of {self.batch}"
        if self.initial_loss is not None:
            head += f", initial loss {self.initial_loss:.3g}"
            if self.expected_loss is not None:
                head += f" (expected {self.expected_loss:.3g})"
        verdict = "no problem found" if self.ok else \
            f"{len(self.problems)} problem{'s' * (len(self.problems) > 1)}"
        return f"{verdict}: {head}"

    def report(self) -> str:
        """The plain-text report: the verdict, the problems, then the table."""
        lines = [("✔ " if self.ok else "✘ ") + self._summary()]
        lines += [f"  • {p}" for p in self.problems]
        cells = [_HEADER] + [_cells(r) for r in self.layers]
        widths = [max(len(row[i]) for row in cells) for i in range(len(_HEADER))]
        lines.append("")
        lines += ["  ".join(c.ljust(w) if i < 3 or i == 5 else c.rjust(w)
                            for i, (c, w) in enumerate(zip(row, widths))).rstrip()
                  for row in cells]
        return "\n".join(lines)

    __str__ = report

    def __repr__(self):
        return f"<Diagnosis ok={self.ok}: {self._summary()}>"

    def _repr_html_(self):
        colour = "#1a7f37" if self.ok else "#b42318"
        items = "".join(f"<li>{html.escape(p)}</li>" for p in self.problems)
        head = "".join(f"<th style='text-align:{'left' if i in (0, 1, 2, 5) else 'right'}'>"
                       f"{html.escape(h)}</th>" for i, h in enumerate(_HEADER))
        body = "".join("<tr>" + "".join(
            f"<td style='text-align:{'left' if i in (0, 1, 2, 5) else 'right'}'>{html.escape(c)}</td>"
            for i, c in enumerate(_cells(r))) + "</tr>" for r in self.layers)
        return (f"<div class='initlab-diagnosis'><p style='color:{colour};font-weight:bold'>"
                f"{'✔' if self.ok else '✘'} {html.escape(self._summary())}</p>"
                + (f"<ul>{items}</ul>" if items else "")
                + f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>")


_HEADER = ["layer", "kind", "activation", "fan_in", "fan_out", "initializer", "w·√fan_in",
           "forward std", "backward std", "saturated %", "dead %"]


def _num(v, fmt=".3g"):
    return "–" if v is None else format(v, fmt)


def _cells(r: LayerReport) -> list[str]:
    pct = lambda v: "–" if v is None else f"{100 * v:.1f}"
    return [r.name, r.kind, r.activation or "–", _num(r.fan_in, "d"), _num(r.fan_out, "d"),
            r.initializer, _num(r.gain, ".2f"), _num(r.forward_std), _num(r.backward_std),
            pct(r.saturated), pct(r.dead)]


# ---------------------------------------------------------------------------------------------
# Checking the arguments

def _check_model(keras, model):
    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a keras.Model (Sequential or functional), "
                        f"got {type(model).__name__}")
    if not model.built:
        raise ValueError(f"model {model.name!r} was never built, so it has no weights yet: start "
                         f"it with keras.Input(shape), or call model.build((None, n_features)) "
                         f"or model(x) once before diagnosing it")
    try:
        inputs = model.inputs
    except (AttributeError, ValueError):
        inputs = None
    if not inputs:
        raise ValueError(f"model {model.name!r} has no graph of layers (a subclassed model): "
                         f"diagnose needs a Sequential or functional model")
    if len(inputs) != 1 or len(model.outputs) != 1:
        raise ValueError(f"diagnose needs a model with one input and one output; "
                         f"{model.name!r} has {len(inputs)} and {len(model.outputs)}")
    return inputs[0]


def _check_x(model_input, x):
    if hasattr(x, "numpy"):
        x = x.numpy()
    if not isinstance(x, np.ndarray) or x.dtype == object:
        raise TypeError(f"x must be a numpy array (or a tensor) of numbers, "
                        f"got {type(x).__name__}")
    want = tuple(model_input.shape)
    if x.ndim != len(want) or any(w is not None and w != s for w, s in zip(want[1:], x.shape[1:])):
        shown = ", ".join("batch" if w is None else str(w) for w in want)
        raise ValueError(f"x has shape {x.shape}, but the model expects ({shown})")
    if x.shape[0] < 2:
        raise ValueError(f"x must hold a batch of at least 2 examples, got {x.shape[0]}")
    if np.issubdtype(x.dtype, np.floating) and not np.isfinite(x).all():
        raise ValueError("x holds inf or NaN")
    return x.astype(model_input.dtype)


def _check_y(y, batch):
    if y is None:
        return None
    if hasattr(y, "numpy"):
        y = y.numpy()
    y = np.asarray(y)
    if y.dtype == object or not (np.issubdtype(y.dtype, np.number) or y.dtype == bool):
        raise TypeError(f"y must be an array of labels or targets, got {y.dtype}")
    if y.shape[0] != batch:
        raise ValueError(f"y has {y.shape[0]} rows, x has {batch}: give one label per example")
    return y


# ---------------------------------------------------------------------------------------------
# Describing layers

def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _init_name(init) -> str:
    if init is None:
        return "–"
    if isinstance(init, str):
        return init
    kind = type(init).__name__
    cfg = init.get_config() if hasattr(init, "get_config") else {}
    if kind in ("RandomNormal", "TruncatedNormal"):
        return f"{_snake(kind)}(σ={cfg['stddev']:g})"
    if kind == "RandomUniform":
        return f"random_uniform({cfg['minval']:g}, {cfg['maxval']:g})"
    if kind == "Constant":
        return f"constant({np.asarray(cfg['value']).item():g})"
    if kind == "VarianceScaling":
        return f"variance_scaling({cfg['scale']:g}, {cfg['mode']}, {cfg['distribution']})"
    if kind in ("Orthogonal", "Identity") and cfg.get("gain", 1.0) != 1.0:
        return f"{_snake(kind)}(gain={cfg['gain']:g})"
    return _snake(kind) if kind[:1].isupper() else getattr(init, "__name__", kind)


def _activation_name(layer) -> str | None:
    kind = type(layer).__name__
    if kind in _ACTIVATION_LAYERS and _ACTIVATION_LAYERS[kind]:
        return _ACTIVATION_LAYERS[kind]
    act = getattr(layer, "activation", None)
    if act is None or isinstance(layer, _recurrent_types()):
        return None
    name = getattr(act, "__name__", type(act).__name__)
    return {"silu": "silu", "swish": "silu"}.get(name, name)


def _recurrent_types():
    keras = import_keras()
    return (keras.layers.RNN, keras.layers.Bidirectional)


def _weights(layer):
    """(fan_in, fan_out, initializer, weight std) of a layer's main kernel, or Nones."""
    kind = type(layer).__name__
    cell = getattr(layer, "cell", None) or getattr(getattr(layer, "forward_layer", None), "cell", None)
    if kind == "MultiHeadAttention":
        kernel = next(w for w in layer.weights if w.path.endswith("query/kernel"))
        shape = tuple(kernel.shape)
        fans = (shape[0], int(np.prod(shape[1:])))
        init = _init_name(getattr(layer, "_kernel_initializer", None))
    elif cell is not None and hasattr(cell, "kernel"):
        kernel, fans = cell.kernel, compute_fans(tuple(cell.kernel.shape))
        init = f"{_init_name(cell.kernel_initializer)} + {_init_name(cell.recurrent_initializer)}"
    elif hasattr(layer, "embeddings"):
        kernel, fans = layer.embeddings, (None, None)
        init = _init_name(getattr(layer, "embeddings_initializer", None))
    elif getattr(layer, "kernel", None) is not None and len(layer.kernel.shape) >= 2:
        kernel, fans = layer.kernel, compute_fans(tuple(layer.kernel.shape))
        init = _init_name(getattr(layer, "kernel_initializer", None))
    else:
        return None, None, "–", None
    w = np.asarray(kernel.numpy(), dtype=np.float64)
    return (None if fans[0] is None else int(fans[0]), None if fans[1] is None else int(fans[1]),
            init, float(w.std()))


def _feeds_add(layer) -> bool:
    try:
        return any(type(node.operation).__name__ == "Add" for node in layer._outbound_nodes)
    except AttributeError:
        return False


def _linear_clone(layer):
    """A copy of ``layer`` with no activation and the same weights, to compute z = W·x + b."""
    config = dict(layer.get_config(), activation="linear", name=layer.name + "_linear")
    clone = type(layer).from_config(config)
    clone.build(tuple(layer.input.shape))
    clone.set_weights(layer.get_weights())
    return clone


# ---------------------------------------------------------------------------------------------
# Measuring: one batch forward and backward

@dataclasses.dataclass
class _Probe:
    layer: object
    output: object                 # the layer's output node in the model's graph
    z_input: object = None         # the node z is computed from, for a layer with an activation
    activation: object = None      # a callable f with a = f(z)
    clone: object = None           # the layer without its activation, to compute z


def _plan(keras, model) -> list[_Probe]:
    plan = []
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        try:
            out = layer.output
        except (AttributeError, ValueError):         # a shared layer has several outputs
            continue
        probe = _Probe(layer, out[0] if isinstance(out, (list, tuple)) else out)
        act = _activation_name(layer)
        if act not in (None, "linear"):
            if type(layer).__name__ in _ACTIVATION_LAYERS:
                probe.z_input, probe.activation = layer.input, layer
            elif "activation" in layer.get_config() and not isinstance(layer.input, (list, tuple)):
                probe.z_input, probe.activation = layer.input, layer.activation
                probe.clone = _linear_clone(layer)
        plan.append(probe)
    return plan


def _loss(keras, tf, model, y, seed):
    """(loss function of the model's output, expected loss, class prior or None)."""
    out_layer = model.layers[-1]
    act, units = _activation_name(out_layer), int(model.outputs[0].shape[-1])
    if y is None:         # as propagation.simulate: ℒ = Σ a_L·g, g ~ N(0, 1) in float32
        rng = np.random.default_rng(seed)
        return (lambda out, z: tf.reduce_sum(out * tf.constant(
            rng.standard_normal(tuple(out.shape), dtype=np.float32), dtype=out.dtype))), None, None
    integer = np.issubdtype(y.dtype, np.integer) or y.dtype == bool
    losses = keras.losses
    if act == "softmax" or (act in (None, "linear") and integer and units > 1):
        logits = act != "softmax"
        onehot = y.ndim == 2 and y.shape[1] == units and units > 1 and not integer
        labels = y.argmax(axis=1) if onehot else y.reshape(-1).astype(np.int64)
        if labels.min() < 0 or labels.max() >= units:
            raise ValueError(f"labels must lie in 0..{units - 1} for an output of {units} units, "
                             f"got {labels.min()}..{labels.max()}")
        def fn(out, z):
            pred, from_logits = (out, logits) if z is None else (z, True)
            if onehot:
                return tf.reduce_mean(losses.categorical_crossentropy(
                    y.astype(np.float32), pred, from_logits=from_logits))
            return tf.reduce_mean(losses.sparse_categorical_crossentropy(
                labels, pred, from_logits=from_logits))
        return fn, math.log(units), np.bincount(labels, minlength=units) / labels.size
    if units == 1 and (act == "sigmoid" or (act in (None, "linear") and integer)):
        target = y.reshape(-1, 1).astype(np.float32)
        if not np.isin(target, (0.0, 1.0)).all():
            raise ValueError("a single sigmoid (or logit) output needs labels 0 and 1")
        fn = lambda out, z: tf.reduce_mean(losses.binary_crossentropy(
            target, out if z is None else z, from_logits=z is not None or act != "sigmoid"))
        p = float(target.mean())
        return fn, math.log(2), np.array([1 - p, p])
    target = y.astype(np.float32).reshape(y.shape[0], -1)
    fn = lambda out, z: tf.reduce_mean(
        tf.square(tf.reshape(out, target.shape) - target))
    return fn, float(target.var(axis=0).mean()), None


def _run(keras, tf, model, plan, x, loss_fn, training):
    """Per probe: (z or output, ∂ℒ/∂ of it, the layer's output) as numpy arrays; and the loss.

    The output layer's z is computed inside the tape and the loss takes it as logits when it can:
    Keras' cross-entropy on softmax probabilities reads the logits behind them, so no gradient
    would reach the probabilities themselves."""
    nodes, index = [], {}
    for node in [p.output for p in plan] + [p.z_input for p in plan if p.z_input is not None] \
            + [model.outputs[0]]:
        if id(node) not in index:
            index[id(node)] = len(nodes)
            nodes.append(node)
    probe_model = keras.Model(model.inputs[0], nodes)
    last = plan[-1] if plan and plan[-1].output is model.outputs[0] else None
    with tf.GradientTape() as tape:
        values = probe_model(x, training=training)
        values = list(values) if isinstance(values, (list, tuple)) else [values]
        z_out, out = None, values[index[id(model.outputs[0])]]
        if last is not None and last.z_input is not None:
            z_out = values[index[id(last.z_input)]]
            z_out = last.clone(z_out) if last.clone is not None else tf.identity(z_out)
            out = last.activation(z_out)
        loss = loss_fn(out, z_out)
    outs = [values[index[id(p.output)]] for p in plan]
    targets = outs + ([z_out] if z_out is not None else [])
    grads = tape.gradient(loss, targets, unconnected_gradients=tf.UnconnectedGradients.ZERO)
    results = []
    for p, out, grad in zip(plan, outs, grads):
        signal, back = out, grad
        if p is last and z_out is not None:
            signal, back = z_out, grads[-1]
        elif p.z_input is not None:
            z = values[index[id(p.z_input)]]
            z = p.clone(z) if p.clone is not None else tf.identity(z)
            with tf.GradientTape() as inner:
                inner.watch(z)
                a = p.activation(z)
            signal, back = z, inner.gradient(a, z, output_gradients=grad)
        results.append((np.asarray(signal), np.asarray(back), np.asarray(out)))
    return results, float(loss)


def _std(v) -> float:
    v = np.asarray(v, dtype=np.float64)
    return float(v.std()) if np.isfinite(v).all() else math.inf


def _unit_stats(act, a):
    """(saturated share, dead share) of a layer's output ``a``; None where not applicable."""
    a = np.asarray(a, dtype=np.float64)
    saturated = dead = None
    if act == "tanh":
        saturated = float(np.mean(np.abs(a) > _SATURATION["tanh"]))
    elif act == "sigmoid":
        saturated = float(np.mean(np.abs(2 * a - 1) > _SATURATION["sigmoid"]))
    elif act in _DEAD:
        alive = (a.reshape(-1, a.shape[-1]) > 0).any(axis=0)
        dead = float(1 - alive.mean())
    return saturated, dead


def _report(p: _Probe, signal, back, out) -> LayerReport:
    fan_in, fan_out, init, w_std = _weights(p.layer)
    act = _activation_name(p.layer)
    saturated, dead = _unit_stats(act, out)
    return LayerReport(name=p.layer.name, kind=type(p.layer).__name__, activation=act,
                       fan_in=fan_in, fan_out=fan_out, initializer=init, weight_std=w_std,
                       forward_std=_std(signal), backward_std=_std(back), saturated=saturated,
                       dead=dead, measured="z" if p.z_input is not None else "output",
                       feeds_add=_feeds_add(p.layer))


def diagnose(model, x, y=None, *, seed: int = 0, training: bool = True) -> Diagnosis:
    """Diagnose a Keras model at initialization on the batch ``x`` (and labels ``y``).

    Use it before training any model of your own, after building it and before ``fit``: it
    takes one forward and one backward pass. ``x`` is a batch of inputs (a few hundred examples
    give stable numbers); ``y``, optional, the labels or targets of that batch, for the initial
    loss. ``seed`` fixes the random output gradient used without labels; ``training`` runs the
    batch in training mode (batch normalization on batch statistics, dropout on), as the first
    training step would. The model's weights and state are left exactly as they were.

    Returns a :class:`Diagnosis` (``ok``, ``problems``, ``layers``, ``initial_loss``,
    ``expected_loss``). Raises ``TypeError`` for a ``model`` that is not a Keras model or an
    ``x`` that is not an array, and ``ValueError`` for a model that was never built (with how to
    build it), a subclassed or multi-input model, an ``x`` of the wrong shape (naming the
    expected one) or labels that do not fit the output. See the module docstring for the
    measurements and :data:`THRESHOLDS` for the limits.

    >>> import numpy as np
    >>> from initlab.training import import_keras
    >>> keras = import_keras()
    >>> model = keras.Sequential([keras.Input((32,)),
    ...     keras.layers.Dense(64, activation="relu", kernel_initializer="he_normal"),
    ...     keras.layers.Dense(10, activation="softmax", kernel_initializer="zeros")])
    >>> x = np.random.default_rng(0).standard_normal((200, 32)).astype("float32")
    >>> d = diagnose(model, x, y=np.arange(200) % 10)
    >>> d.ok, round(d.initial_loss, 4) == round(d.expected_loss, 4)   # zero output layer: ln 10
    (True, True)
    """
    keras = import_keras()
    import tensorflow as tf  # loaded by import_keras

    model_input = _check_model(keras, model)
    x = _check_x(model_input, x)
    y = _check_y(y, x.shape[0])
    if not isinstance(training, (bool, np.bool_)):
        raise TypeError(f"training must be True or False, got {training!r}")
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(f"seed must be an int >= 0, got {seed!r}")
    saved = [(v, np.array(v.numpy())) for v in model.variables]
    try:
        plan = _plan(keras, model)
        loss_fn, expected, prior = _loss(keras, tf, model, y, seed)
        results, loss = _run(keras, tf, model, plan, x, loss_fn, bool(training))
    finally:
        for v, value in saved:
            if not np.array_equal(np.asarray(v.numpy()), value):
                v.assign(value)
    layers = tuple(_report(p, *r) for p, r in zip(plan, results))
    initial = loss if y is not None else None
    problems = _problems(layers, x, initial, expected, prior)
    return Diagnosis(layers=layers, problems=problems, initial_loss=initial,
                     expected_loss=expected, batch=int(x.shape[0]), model_name=model.name)


# ---------------------------------------------------------------------------------------------
# Problems: one plain sentence per finding, naming the layer, the evidence and the fix

def _fix(act) -> str:
    return f"use {RECOMMENDED.get(act, 'a variance-scaling initializer for its activation')}"


def _names(rows) -> str:
    """'dense_3' or 'dense_3 (and 4 more layers)': the worst layer first."""
    more = len(rows) - 1
    return rows[0].name + (f" (and {more} more layer{'s' * (more > 1)})" if more else "")


def _scale_problems(layers) -> list[str]:
    """Weights far from the 1/√fan_in scale, and constant (symmetric) layers."""
    low, high = THRESHOLDS["gain"]
    hidden = [r for r in layers[:-1] if r.fan_in is not None and r.weight_std is not None]
    problems = []
    bad = sorted([r for r in hidden if r.weight_std > 0 and not low <= r.gain <= high],
                 key=lambda r: -abs(math.log(r.gain)))
    if bad:
        r = bad[0]
        problems.append(
            f"{_names(bad)}: weights have std {r.weight_std:.3g}, {r.gain:.3g}× the 1/√fan_in "
            f"scale (fan_in {r.fan_in}), so the layer scales its input's std by about that "
            f"factor, where a variance-preserving layer has 1 to 1.4; {_fix(r.activation)}.")
    const = [r for r in hidden if r.weight_std == 0 and not r.feeds_add]
    if const:
        problems.append(
            f"{_names(const)}: all weights are equal (std 0), so the units of the layer compute "
            f"the same thing and get the same update: the symmetry is never broken; draw random "
            f"weights ({_fix(const[0].activation)}). A zero last layer is right only at the end "
            f"of a residual branch or for the output layer.")
    return problems


def _drift_problems(layers) -> list[str]:
    """Forward signals that shrink or grow with depth; gradients that do so backwards."""
    limit, residual = THRESHOLDS["drift"], any(r.kind == "Add" for r in layers)
    body = [r for r in layers[:-1] if r.weight_std != 0 and math.isfinite(r.forward_std)]
    weighted = [r for r in body if r.fan_in is not None]
    problems = []
    if weighted and weighted[0].forward_std > 0:
        ref = weighted[0]
        after = body[body.index(ref) + 1:]
        for word, pick in (("shrunk", min), ("grown", max)):
            r = pick(after, key=lambda r: r.forward_std, default=None)
            if r is None:
                continue
            ratio = r.forward_std / ref.forward_std
            if (ratio < 1 / limit) if word == "shrunk" else (ratio > limit):
                steps = sum(1 for q in weighted if body.index(ref) < body.index(q) <= body.index(r))
                per = f", about ×{ratio ** (1 / steps):.2g} per layer over {steps} layers" if steps else ""
                fix = ("scale each residual branch by 1/√(number of blocks) or zero-initialize its "
                       "last layer" if residual and word == "grown" else _fix(ref.activation))
                problems.append(
                    f"{r.name}: the forward signal has {word} to {ratio:.2g}× its size at "
                    f"{ref.name} (std {ref.forward_std:.3g} → {r.forward_std:.3g}{per}); {fix}.")
    live = [r for r in layers if r.fan_in is not None and r.weight_std != 0
            and math.isfinite(r.backward_std)]
    if len(live) >= 2 and live[-1].backward_std > 0:
        first, last = live[0], live[-1]
        ratio = first.backward_std / last.backward_std
        if not 1 / limit <= ratio <= limit:
            word = "vanish" if ratio < 1 else "explode"
            problems.append(
                f"{first.name}: gradients {word} on the way back: the std of the backward signal "
                f"is {ratio:.2g}× that at {last.name} ({last.backward_std:.3g} → "
                f"{first.backward_std:.3g}); {_fix(first.activation)}.")
    return problems


def _unit_problems(layers) -> list[str]:
    """Saturated tanh/sigmoid units and dead ReLU units (hidden layers: an output sigmoid near 0
    or 1 is a confident prediction, judged by the loss)."""
    problems, layers = [], layers[:-1]
    sat = sorted([r for r in layers if r.saturated is not None
                  and r.saturated > THRESHOLDS["saturated"]], key=lambda r: -r.saturated)
    if sat:
        r = sat[0]
        bound = "|a| > 0.97" if r.activation == "tanh" else "a outside [0.03, 0.97]"
        problems.append(
            f"{_names(sat)}: {100 * r.saturated:.0f} % of {r.activation} outputs saturated "
            f"({bound}; pre-activation std {r.forward_std:.3g}), where the slope is almost 0 "
            f"and gradients stop; {_fix(r.activation)}, or smaller weights.")
    dead = sorted([r for r in layers if r.dead is not None and r.dead > THRESHOLDS["dead"]],
                  key=lambda r: -r.dead)
    if dead:
        r = dead[0]
        problems.append(
            f"{_names(dead)}: {100 * r.dead:.0f} % of the ReLU units output 0 for every example "
            f"of the batch (dead at initialization: they get no gradient); use he_normal with "
            f"zero biases and centred inputs.")
    return problems


def _loss_problems(layers, initial, expected, prior) -> list[str]:
    """An initial loss far above ln C; imbalanced labels without a prior bias."""
    if initial is None or expected is None or prior is None:
        return []
    out, classes = layers[-1], len(prior)
    if initial - expected > THRESHOLDS["loss_excess"] * max(expected, 1.0):
        return [f"{out.name}: the initial loss is {initial:.3g}, but a uniform guess over "
                f"{classes} classes scores ln {classes} = {expected:.3g}: the initial logits are "
                f"too large (std {out.forward_std:.3g}); make the output layer small or zero "
                f"(e.g. kernel_initializer='zeros') and check the input scale."]
    p = prior[prior > 0]
    entropy = float(-(p * np.log(p)).sum())
    if expected - entropy > 0.25 * expected and initial > entropy + 0.5 * (expected - entropy):
        rare = float(prior.min())
        return [f"{out.name}: the labels are imbalanced (rarest class {100 * rare:.2g} %): "
                f"predicting the class frequencies would score {entropy:.3g}, the model starts at "
                f"{initial:.3g}; set the output bias to the log of the class frequencies "
                f"(one sigmoid unit: log(π/(1 − π)) = {math.log(prior[1] / prior[0]):.3g})."
                if classes == 2 else
                f"{out.name}: the labels are imbalanced (rarest class {100 * rare:.2g} %): "
                f"predicting the class frequencies would score {entropy:.3g}, the model starts at "
                f"{initial:.3g}; set the output bias to the log of the class frequencies."]
    return []


_STANDARDIZE = "standardize each feature (subtract the training mean, divide by the training std)."


def _input_problems(x, layers) -> list[str]:
    """Inputs far from E[x²] ≈ 1, or far from centred, unless the model normalizes them itself.

    Scale: a factor s in √E[x²] is a factor s in the first layer's std (and, through a
    homogeneous activation such as ReLU, in every layer's), so the band [0.2, 5] accepts what
    about four layers of a 1/√2 mismatch (Glorot's init under ReLU) would do and leaves milder
    offsets to the loss and saturation checks. Mean: for inputs with mean vector μ,
    E[x·x'] = |μ|² for two independent examples, so the share |μ|²/E[|x|²] is about the cosine
    similarity any two inputs start with; above ``input_mean_share`` the examples are more alike
    than different before the first layer, and ReLU layers only pull them closer (chapter 8).
    """
    if not np.issubdtype(x.dtype, np.floating) or (layers and layers[0].kind in _NORMALIZERS):
        return []
    flat = np.asarray(x, dtype=np.float64).reshape(len(x), -1)
    low, high = THRESHOLDS["input_rms"]
    rms = float(np.sqrt(np.mean(np.square(flat))))
    if not low <= rms <= high:
        return [f"input: √E[x²] = {rms:.3g}, but every variance-preserving initializer assumes "
                f"E[x²] ≈ 1, so the first layer starts {rms:.3g}× off; {_STANDARDIZE}"]
    share = float(np.sum(flat.mean(axis=0) ** 2) / np.mean(np.sum(flat ** 2, axis=1))) if rms else 0.0
    if share <= THRESHOLDS["input_mean_share"]:
        return []
    return [f"input: not centred: the mean input carries {100 * share:.0f} % of E[x²], so two "
            f"different examples start with a cosine similarity of about {share:.2f} and ReLU "
            f"layers pull them closer; {_STANDARDIZE}"]


def _problems(layers, x, initial, expected, prior) -> list[str]:
    return (_input_problems(x, layers) + _scale_problems(layers) + _drift_problems(layers)
            + _unit_problems(layers) + _loss_problems(layers, initial, expected, prior))
