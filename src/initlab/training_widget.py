"""Train-and-compare: a live explorer of short Keras runs, and a kernel-free twin for the book.

:class:`TrainingExplorer` puts :func:`initlab.training.train` behind ipywidgets controls
(initializer, activation, depth, width, epochs, optimizer, learning rate, seed) and a **train**
button. Each press trains one network on the offline digits (a few seconds) and redraws one figure
with the last few runs overlaid, so that two initializers can be compared side by side:

* the training loss per epoch on a log scale, starting from the loss before any step (epoch 0),
  against the chance level ln(#classes);
* the test accuracy per epoch, against chance 1/#classes;
* the norm of each layer's kernel gradient at step 0 on a log scale (layers whose gradient is
  exactly zero are listed instead, since a log axis cannot show 0).

:func:`figure` draws that figure for any list of :class:`~initlab.training.TrainingRun` objects,
and :func:`twin` turns precomputed runs into a self-contained HTML panel (inline PNG frames, one
``<select>`` per varied setting, a few lines of inline JavaScript): no kernel, no network.

Tests can drive the explorer without a browser: set ``explorer.controls["init"].value`` (or call
:meth:`TrainingExplorer.set`), call :meth:`TrainingExplorer.train` or press
``explorer.buttons["train"].click()``, and read ``explorer.runs``, ``explorer.png`` and
``explorer.status``.

Importing this module imports matplotlib, but neither TensorFlow nor ipywidgets.
"""

from __future__ import annotations

import html
import io
import json
import math
import uuid
from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator, NullLocator

from . import plots, validate
from .widgets import HTMLPanel, live_bundle, png_data_uri

__all__ = ["TrainingExplorer", "explore_training", "figure", "twin", "label", "INITS",
           "ACTIVATIONS", "OPTIMIZERS", "WIDTHS", "LIMITS", "DEFAULTS", "MAX_RUNS"]

#: Initializers the explorer offers (initlab names; :func:`initlab.training.keras_initializer`
#: maps each to its Keras twin).
INITS = ("zeros", "random_normal", "glorot_standard", "glorot_uniform", "glorot_normal",
         "lecun_normal", "he_uniform", "he_normal", "orthogonal")
#: Hidden activations the explorer offers (Keras names).
ACTIVATIONS = ("relu", "tanh", "sigmoid", "selu", "elu", "linear")
#: Optimizers, each with the learning rate the explorer selects when you switch to it.
OPTIMIZERS = {"adam": 1e-3, "sgd": 0.1}
#: Layer widths offered.
WIDTHS = (16, 32, 64, 128, 256)
#: The ranges of the numeric controls; values outside are clamped, with a message.
LIMITS = {"depth": (0, 30), "epochs": (1, 20), "learning_rate": (1e-4, 1.0), "seed": (0, 999)}
#: The explorer's starting settings.
DEFAULTS = dict(init="he_normal", activation="relu", depth=10, width=64, epochs=5,
                optimizer="adam", learning_rate=1e-3, seed=0)
#: How many runs the figure overlays (the oldest is dropped).
MAX_RUNS = 4

_COLOURS = tuple(plots.PALETTE.values())   # Okabe–Ito: runs stay apart with colour-vision deficiencies


# ---------------------------------------------------------------------------------------------
# Labels and the figure

def _init_name(init) -> str:
    """A short name for an initializer given as a string, an initlab object or a Keras object."""
    if isinstance(init, str):
        return init
    name = getattr(init, "name", None)                       # initlab presets carry their name
    if isinstance(name, str) and type(init).__module__.startswith("initlab"):
        return name
    cls = type(init).__name__
    if cls in ("function", "method", "builtin_function_or_method"):
        return getattr(init, "__name__", cls)
    config = {}
    try:
        config = {k: v for k, v in init.get_config().items() if k not in ("seed", "input_axes", "output_axes")
                  and v is not None}
    except Exception:                                        # no config: the class name is enough
        pass
    if cls in ("RandomNormal", "TruncatedNormal") and "stddev" in config:
        return f"{cls}({config['stddev']:g})"
    return cls


def label(run) -> str:
    """A one-line label for a run: its initializer, activation and depth × width.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> label(SimpleNamespace(settings={"init": "he_normal", "activation": "relu", "depth": 15, "width": 64}))
    'he_normal, relu, 15×64'
    """
    s = run.settings
    return f"{_init_name(s['init'])}, {s['activation']}, {s['depth']}×{s['width']}"


def _colours(labels):
    order = list(dict.fromkeys(labels))
    return {lab: _COLOURS[i % len(_COLOURS)] for i, lab in enumerate(order)}


def figure(runs, labels=None, title=None, dpi=80) -> bytes:
    """Draw ``runs`` (TrainingRun objects) as one PNG: loss, test accuracy and step-0 gradient
    norms per layer. Runs with the same label (default :func:`label`) share a colour, so seeds of
    one setting read as one group. Returns the PNG bytes.

    Examples
    --------
    A hand-made run shows what ``figure`` reads; real ones come from :func:`initlab.training.train`.

    >>> import numpy as np
    >>> from initlab.training import TrainingRun
    >>> run = TrainingRun(history={"loss": [2.0, 1.0], "accuracy": [0.5, 0.8],
    ...                            "val_loss": [1.5, 0.9], "val_accuracy": [0.6, 0.85]},
    ...                   initial_loss=2.3, chance_loss=2.3026, grad_norms=np.array([0.5, 0.2]),
    ...                   update_ratios=np.ones((2, 2)), seconds=1.0, model=None,
    ...                   settings={"init": "he_normal", "activation": "relu", "depth": 1, "width": 32})
    >>> png = figure([run])
    >>> png[1:4]
    b'PNG'
    """
    runs = list(runs)
    labels = [label(r) for r in runs] if labels is None else list(labels)
    if len(labels) != len(runs):
        raise ValueError(f"got {len(labels)} labels for {len(runs)} runs")
    fig = Figure(figsize=(10.5, 3.3), dpi=dpi)
    fig.subplots_adjust(left=0.06, right=0.99, bottom=0.15, top=0.84, wspace=0.3)
    loss_ax, acc_ax, grad_ax = fig.subplots(1, 3)
    colours, seen, zero_notes = _colours(labels), set(), []
    chance_loss, n_layers = None, 1
    for run, lab in zip(runs, labels):
        colour, first = colours[lab], lab not in seen
        seen.add(lab)
        zero = _plot_run(run, loss_ax, acc_ax, grad_ax, colour, lab if first else None)
        if zero.size and first:
            zero_notes.append((colour, lab, zero))
        n_layers = max(n_layers, len(run.grad_norms))
        chance_loss = run.chance_loss
    if chance_loss is not None:
        loss_ax.axhline(chance_loss, color="k", ls=":", lw=1, label=f"chance, ln {math.exp(chance_loss):.0f}")
        acc_ax.axhline(math.exp(-chance_loss), color="k", ls=":", lw=1, label="chance")
    _log_axis(loss_ax, subs=(1.0, 2.0, 3.0, 5.0), min_factor=4.0)
    loss_ax.set(xlabel="epoch (0 = before training)", ylabel="training loss (log)")
    loss_ax.set_title("loss", fontsize=10)
    acc_ax.set(xlabel="epoch", ylabel="test accuracy", ylim=(0, 1))
    acc_ax.set_title("test accuracy", fontsize=10)
    grad_ax.set(xlabel="layer (last = softmax output)", ylabel="‖∂L/∂W‖ at step 0 (log)")
    grad_ax.set_title("gradient norm per layer, before training", fontsize=10)
    if any(line.get_xydata().size for line in grad_ax.get_lines()):
        _log_axis(grad_ax, subs=(1.0, 2.0, 5.0), min_factor=10.0)
    else:
        grad_ax.set_yticks([])
    grad_ax.set_xlim(0.5, n_layers + 0.5)
    _note_zero_gradients(grad_ax, zero_notes, several=len(colours) > 1)
    for ax in (loss_ax, acc_ax, grad_ax):
        ax.spines[["top", "right"]].set_visible(False)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    handles, names = loss_ax.get_legend_handles_labels()
    fig.legend(handles, names, loc="upper center", ncol=max(1, min(len(names), 5)), fontsize=8,
               frameon=False, bbox_to_anchor=(0.5, 1.0))
    if title:
        fig.text(0.01, 0.99, title, fontsize=9, va="top")
    buf = io.BytesIO()
    fig.savefig(buf, format="png", pil_kwargs={"compress_level": 6})
    return buf.getvalue()


def _plot_run(run, loss_ax, acc_ax, grad_ax, colour, legend) -> np.ndarray:
    """One run's loss, test accuracy and step-0 gradient norms; returns the layers whose
    gradient is exactly 0 (not drawable on a log axis)."""
    h = run.history
    epochs = np.arange(len(h["loss"]) + 1)
    loss = np.array([run.initial_loss] + list(h["loss"]), dtype=float)
    style = dict(ms=2.5, lw=1.2, color=colour, label=legend)
    loss_ax.plot(epochs, np.where(loss > 0, loss, np.nan), "o-", **style)
    acc_ax.plot(epochs[1:], h["val_accuracy"], "o-", **style)
    g = np.asarray(run.grad_norms, dtype=float)
    layers = np.arange(1, len(g) + 1)
    positive = np.isfinite(g) & (g > 0)
    grad_ax.plot(layers[positive], g[positive], "o-", **style)
    return layers[~positive]


def _note_zero_gradients(grad_ax, zero_notes, several) -> None:
    """Say in the gradient panel which layers of which run had a gradient of exactly 0."""
    for i, (colour, lab, zero) in enumerate(zero_notes[:4]):
        text = (f"exactly 0 at layer{'s' if len(zero) > 1 else ''} {_ranges(zero)}"
                + (f"\n({lab})" if several else ""))
        grad_ax.text(0.5, 0.04 + 0.17 * i, text, transform=grad_ax.transAxes, fontsize=8,
                     color=colour, ha="center", va="bottom",
                     bbox=dict(facecolor="white", edgecolor="none", alpha=0.8, pad=1))


def _tick(value, _=None) -> str:
    return f"{value:g}" if 1e-3 <= value < 1e4 else f"{value:.0e}"


def _log_axis(ax, subs, min_factor):
    """A log y axis with plain tick labels, spanning at least ``min_factor`` so it has ticks."""
    values = np.concatenate([line.get_ydata() for line in ax.get_lines()
                             if len(line.get_ydata()) > 1] or [np.ones(1)])
    values = values[np.isfinite(values) & (values > 0)]
    ax.set_yscale("log")
    if values.size:
        low, high = float(values.min()), float(values.max())
        pad = max(1.15, math.sqrt(min_factor * low / high))
        ax.set_ylim(low / pad, high * pad)
        if high / low > 300:                       # many decades: label powers of ten only
            subs = (1.0,)
    ax.yaxis.set_major_locator(LogLocator(base=10, subs=subs, numticks=8))
    ax.yaxis.set_minor_locator(NullLocator())
    ax.yaxis.set_major_formatter(FuncFormatter(_tick))


def _ranges(values) -> str:
    """[1, 2, 3, 5] -> '1–3, 5'."""
    values, parts, start = sorted(int(v) for v in values), [], None
    for i, v in enumerate(values):
        if start is None:
            start = v
        if i + 1 == len(values) or values[i + 1] != v + 1:
            parts.append(f"{start}" if start == v else f"{start}–{v}")
            start = None
    return ", ".join(parts)


# ---------------------------------------------------------------------------------------------
# The live explorer

def _settings(messages=None, **params) -> dict:
    """Validate settings: clamp numbers into :data:`LIMITS`, refuse unknown names and choices."""
    messages = [] if messages is None else messages
    out = dict(DEFAULTS)
    choices = {"init": INITS, "activation": ACTIVATIONS, "optimizer": tuple(OPTIMIZERS)}
    for key, value in params.items():
        if key not in DEFAULTS:
            raise TypeError(f"unknown setting {key!r}; the explorer has {', '.join(DEFAULTS)}")
        if key in choices:
            value = validate.choice(key, value, choices[key])
        elif key == "width":
            if validate.integer("width", value) not in WIDTHS:
                raise ValueError(f"width must be one of {', '.join(map(str, WIDTHS))}, got {value!r}")
        else:
            lo, hi = LIMITS[key]
            value = (validate.real(key, value, low=None, what=f"(clamped to [{lo:g}, {hi:g}])")
                     if key == "learning_rate" else validate.integer(key, value))
            clamped = min(max(value, lo), hi)
            if clamped != value:
                messages.append(f"{key} {value:g} is outside [{lo:g}, {hi:g}]: clamped to {clamped:g}")
            value = clamped
        out[key] = value
    return out


class TrainingExplorer:
    """Pick an initializer, an activation and a depth, press **train**, compare the runs.

    ``TrainingExplorer(depth=15)`` then display it. ``train_now=True`` (the default) trains the
    starting settings once, so the figure is not empty. ``data`` is an
    :class:`initlab.data.Dataset` or a name for :func:`initlab.data.load` (default: the offline
    digits).

    Examples
    --------
    >>> explorer = TrainingExplorer(train_now=False, depth=15)
    >>> explorer.settings()["depth"], explorer.runs
    (15, [])
    >>> explorer.set(depth=99)                       # out of range: clamped, with a message
    >>> explorer.settings()["depth"]
    30
    """

    def __init__(self, data="digits", train_now=True, **params):
        import ipywidgets as w

        from . import data as data_module

        messages = []
        s = _settings(messages, **params)
        self.data = data_module.load(data) if isinstance(data, str) else data
        self.runs, self.png, self.status = [], b"", ""
        style = {"description_width": "95px"}
        lr = s["learning_rate"]
        self.controls = {
            "init": w.Dropdown(options=INITS, value=s["init"], description="initializer", style=style),
            "activation": w.Dropdown(options=ACTIVATIONS, value=s["activation"],
                                     description="activation", style=style),
            "depth": w.IntSlider(value=s["depth"], min=LIMITS["depth"][0], max=LIMITS["depth"][1],
                                 description="hidden layers", style=style),
            "width": w.Dropdown(options=WIDTHS, value=s["width"], description="width", style=style),
            "epochs": w.IntSlider(value=s["epochs"], min=LIMITS["epochs"][0],
                                  max=LIMITS["epochs"][1], description="epochs", style=style),
            "optimizer": w.Dropdown(options=tuple(OPTIMIZERS), value=s["optimizer"],
                                    description="optimizer", style=style),
            "learning_rate": w.FloatLogSlider(value=lr, base=10, min=-4, max=0, step=0.25,
                                              description="learning rate", readout_format=".0e",
                                              style=style),
            "seed": w.BoundedIntText(value=s["seed"], min=LIMITS["seed"][0], max=LIMITS["seed"][1],
                                     description="seed", style=style),
        }
        self.controls["optimizer"].observe(self._optimizer_changed, names="value")
        self.buttons = {"train": w.Button(description="train", icon="play", button_style="success"),
                        "clear": w.Button(description="clear runs", icon="trash")}
        self.buttons["train"].on_click(lambda _: self.train())
        self.buttons["clear"].on_click(lambda _: self.clear())
        self.image = w.Image(format="png", layout=w.Layout(width="100%"))
        self.message = w.HTML()
        c = self.controls
        self.widget = w.VBox([
            w.HBox([w.VBox([c["init"], c["activation"], c["optimizer"]]),
                    w.VBox([c["depth"], c["epochs"], c["learning_rate"]]),
                    w.VBox([c["width"], c["seed"]])]),
            w.HBox([self.buttons["train"], self.buttons["clear"]]),
            self.message, self.image])
        self._show(messages)
        if train_now:
            self.train()

    def _optimizer_changed(self, change):
        self.controls["learning_rate"].value = OPTIMIZERS[change["new"]]

    def settings(self) -> dict:
        """The current control values, as :func:`initlab.training.train` arguments."""
        return {k: c.value for k, c in self.controls.items()}

    def set(self, **params):
        """Change several controls at once (no training); values are clamped, with a message."""
        messages = []
        if "optimizer" in params and "learning_rate" not in params:  # its own default rate
            params = {**params, "learning_rate": OPTIMIZERS.get(params["optimizer"], 1e-3)}
        s = _settings(messages, **{**self.settings(), **params})
        for key in ("optimizer",) + tuple(k for k in s if k != "optimizer"):  # lr after optimizer
            self.controls[key].value = s[key]
        self._show(messages)

    def train(self):
        """Train with the current settings, add the run to the figure and return it."""
        from . import training

        s = _settings(**self.settings())
        self._show([f"training {s['depth']} hidden layers × {s['width']} for {s['epochs']} "
                    f"epochs…"])
        run = training.train(self.data, init=s["init"], activation=s["activation"],
                             depth=s["depth"], width=s["width"], epochs=s["epochs"],
                             optimizer=s["optimizer"], learning_rate=s["learning_rate"],
                             seed=s["seed"])
        self.runs = (self.runs + [run])[-MAX_RUNS:]
        h = run.history
        self.status = (f"{label(run)}: loss {run.initial_loss:.3g} → {h['loss'][-1]:.3g} "
                       f"(chance {run.chance_loss:.3g}), test accuracy {h['val_accuracy'][-1]:.1%} "
                       f"after {len(h['loss'])} epochs, {run.seconds:.1f} s")
        self._redraw()
        self._show([self.status])
        return run

    def clear(self):
        """Forget the runs shown in the figure."""
        self.runs, self.status = [], ""
        self._redraw()
        self._show(["cleared: press train"])

    def _redraw(self):
        self.png = figure(self.runs)
        self.image.value = self.png

    def _show(self, messages):
        self.message.value = "<br>".join(html.escape(m) for m in messages)

    def _repr_mimebundle_(self, include=None, exclude=None):
        return live_bundle(self.widget, self.png, self.status)


def explore_training(**params) -> TrainingExplorer:
    """Create a :class:`TrainingExplorer` (display it as the last expression of a cell).

    Examples
    --------
    A misspelt setting is an error that lists the valid ones:

    >>> explore_training(widht=64)  # doctest: +NORMALIZE_WHITESPACE
    Traceback (most recent call last):
    ...
    TypeError: unknown setting 'widht';
    the explorer has init, activation, depth, width, epochs, optimizer, learning_rate, seed
    """
    return TrainingExplorer(**params)


# ---------------------------------------------------------------------------------------------
# The kernel-free twin

def twin(runs: Mapping, names: Sequence[str], labels: Mapping | None = None,
         caption: str = "") -> HTMLPanel:
    """A kernel-free selector over precomputed runs.

    ``runs`` maps a key, a tuple of one value per entry of ``names`` (e.g.
    ``("HeNormal", "15")`` for ``names=("initializer", "hidden layers")``), to a TrainingRun or a
    list of them (e.g. several seeds, drawn in one colour). Each key becomes one PNG frame drawn by
    :func:`figure`; the panel has one ``<select>`` per name, and a combination that was not
    precomputed says so. ``labels`` optionally maps a key to the legend label of its runs. The
    returned object displays as self-contained HTML (frames inlined as data URIs, inline
    JavaScript), so it works in a static page with no kernel and no network.

    Examples
    --------
    >>> import numpy as np
    >>> from initlab.training import TrainingRun
    >>> def run(loss):               # a hand-made run; real ones come from initlab.training.train
    ...     return TrainingRun({"loss": loss, "accuracy": [0.5, 0.8], "val_loss": loss,
    ...                         "val_accuracy": [0.6, 0.85]}, 2.3, 2.3026, np.array([0.5, 0.2]),
    ...                        np.ones((2, 2)), 1.0, {"init": "he_normal", "activation": "relu",
    ...                                               "depth": 1, "width": 32}, None)
    >>> panel = twin({"he_normal": run([2.0, 1.0]), "zeros": run([2.3, 2.3])}, names=["initializer"])
    >>> panel.html.count("<option")                  # one choice per precomputed key
    2
    """
    names = [str(n) for n in names]
    if not names:
        raise ValueError("names must not be empty")
    if not runs:
        raise ValueError("runs must not be empty")
    frames, options = {}, [[] for _ in names]
    for key, group in runs.items():
        key = (key,) if isinstance(key, str) or not isinstance(key, Sequence) else tuple(key)
        if len(key) != len(names):
            raise ValueError(f"key {key!r} has {len(key)} values, names {names} need {len(names)}")
        key = tuple(str(k) for k in key)
        group = [group] if hasattr(group, "history") else list(group)
        if not group:
            raise ValueError(f"no runs for {key!r}")
        for values, k in zip(options, key):
            if k not in values:
                values.append(k)
        text = None if labels is None else labels.get(key if len(key) > 1 else key[0])
        png = figure(group, labels=None if text is None else [text] * len(group))
        frames["\u241f".join(key)] = png_data_uri(png)
    first = next(iter(frames))
    uid = "trainingtwin-" + uuid.uuid4().hex[:8]
    selects = "".join(
        f'<label style="margin-right:14px">{html.escape(n)} <select data-index="{i}">'
        + "".join(f'<option{" selected" if v == first.split(chr(0x241f))[i] else ""}>'
                  f'{html.escape(v)}</option>' for v in values)
        + "</select></label>" for i, (n, values) in enumerate(zip(names, options)))
    data = {"frames": frames, "sep": "\u241f"}
    note = f'<div style="font-size:0.9em;color:#555">{html.escape(caption)}</div>' if caption else ""
    return HTMLPanel(f"""<div class="initlab-training-twin" id="{uid}"
style="border:1px solid #ccc;border-radius:6px;padding:8px;margin:8px 0">
{note}<div style="margin:6px 0">{selects}</div>
<div class="initlab-twin-missing"
style="color:#b42318;font-weight:bold;display:none">This combination was not precomputed.</div>
<img class="initlab-twin-frame"
alt="Training runs of the setting chosen above, one line per seed: the training loss and the test accuracy per epoch,
and the gradient norm of each layer before training." src="{frames[first]}" style="width:100%;max-width:1000px">
<script type="application/json" class="initlab-twin-data">{json.dumps(data)}</script>
<script>(function(){{var root=document.getElementById("{uid}");
var d=JSON.parse(root.querySelector(".initlab-twin-data").textContent);
var sel=root.querySelectorAll("select"),img=root.querySelector(".initlab-twin-frame"),
miss=root.querySelector(".initlab-twin-missing");
function show(){{var k=Array.prototype.map.call(sel,function(s){{return s.value;}}).join(d.sep);var f=d.frames[k];
if(f){{img.src=f;img.style.display="";miss.style.display="none";}}else{{img.style.display="none";miss.style.display="";}}}}
Array.prototype.forEach.call(sel,function(s){{s.addEventListener("change",show);}});}})();</script>
</div>""")
