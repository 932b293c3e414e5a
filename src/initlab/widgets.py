"""The break-it / fix-it explorer, live in Jupyter.

:class:`Explorer` puts :func:`initlab.propagation.simulate` behind ipywidgets controls (depth,
width, activation, initializer and a weight-scale multiplier) and redraws one figure on every
change: a heat strip of per-layer activation histograms, the forward and backward std per layer on
a log scale against the theory of :func:`~initlab.propagation.predict_variance`, the saturated and
dead fractions, and a one-line :func:`verdict`.

A static HTML page has no kernel to run those callbacks. There a live explorer shows a snapshot
of its starting state (:func:`live_bundle`); the book's pages instead carry the same explorer
computing in the page, in JavaScript (``initlab/static/initlab/``, tested against this package),
with :func:`render`'s picture of its starting state for readers without JavaScript.

A slider move must feel instant. The explorer keeps the sampled network while only the scale or
the activation changes, and redraws only the data over a cached picture of each panel's axes
(``make bench`` measures the update).

In a notebook, :func:`explore` shows the book's in-page explorer instead, as an anywidget
(:class:`NotebookExplorer`): every control computes in the browser, so no click waits for the
kernel (``make bench`` times both in JupyterLab).

Only ``Explorer`` needs ipywidgets and only ``NotebookExplorer`` anywidget; matplotlib is imported
when this module is.
"""

from __future__ import annotations

import base64
import functools
import html
import io
import math
import re
from pathlib import Path

import numpy as np
import PIL.Image
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, NullLocator

from . import plots, propagation, validate

__all__ = ["Explorer", "NotebookExplorer", "PAGE_BATCH", "explore",
           "render", "verdict", "HTMLPanel", "png_data_uri", "BREAK_IT", "FIX_IT",
           "INITS", "LIMITS", "DEFAULTS", "BATCH", "live_bundle", "describe"]

#: Initializers the explorer offers (``constant`` and ``identity`` need parameters or squares).
INITS = ("zeros", "ones", "random_normal", "random_uniform", "truncated_normal", "numpy_rand",
         "uniform_pm03", "uniform_pm1", "glorot_standard", "glorot_uniform", "glorot_normal",
         "he_uniform", "he_normal", "lecun_uniform", "lecun_normal", "orthogonal")

#: The ranges the controls accept; values outside are clamped, with a message.
LIMITS = {"depth": (1, 100), "width": (4, 1024), "scale": (0.01, 100.0)}

#: "Break it" presets: each fails in its own way (chapter 1).
BREAK_IT = {
    "zero": dict(init="zeros", scale=1.0),
    "constant": dict(init="ones", scale=1.0),
    "small": dict(init="random_normal", scale=0.2),    # Keras' std 0.05 × 0.2 = N(0, 0.01²): "0.01 * randn"
    "large": dict(init="random_normal", scale=20.0),   # N(0, 1): "randn"
}

#: "Fix it" presets: the initializer each activation was derived for (chapters 3-5).
FIX_IT = {
    "Xavier + tanh": dict(activation="tanh", init="glorot_uniform", scale=1.0),
    "He + ReLU": dict(activation="relu", init="he_normal", scale=1.0),
    "LeCun + SELU": dict(activation="selu", init="lecun_normal", scale=1.0),
}

DEFAULTS = dict(depth=30, width=256, activation="relu", init="glorot_uniform", scale=1.0)
#: Inputs per simulation: 128 × 256 = 32768 samples per layer estimate each std to about ±0.4 %.
BATCH = 128
_BOUNDED_RANGE = {"tanh": (-1.0, 1.0), "sigmoid": (0.0, 1.0),
                  "scaled_tanh": (-propagation.LECUN_TANH_A, propagation.LECUN_TANH_A)}


def _fmt(x: float) -> str:
    return f"{x:.2g}" if 0.01 <= abs(x) < 100 else f"{x:.0e}"


def verdict(sim: propagation.Simulation) -> str:
    """One line that says what happened to the signal, e.g. ``"vanishing: the signal shrinks
    ×3e-05 by layer 30"``. Overflow, dead signals, saturation and dead ReLUs come first.

    Examples
    --------
    >>> from initlab import propagation
    >>> print(verdict(propagation.simulate(depth=30, activation="relu", init="glorot_normal", seed=0)))
    vanishing: the signal shrinks ×...e-05 by layer 30
    >>> print(verdict(propagation.simulate(depth=100, activation="relu", init="uniform_pm1", seed=0)))
    overflow: the signal reaches inf at layer ...
    """
    last = sim.depth
    if sim.overflow_layer is not None:
        return f"overflow: the signal reaches inf at layer {sim.overflow_layer}"
    if np.all(sim.act_std == 0):
        if sim.act_mean[-1] == 0:
            return "no signal: every activation is exactly 0 (zero weights pass nothing on)"
        return (f"no signal: every unit outputs the same value ({sim.act_mean[-1]:.3g}), "
                f"whatever the input")
    if sim.grad_overflow_layer is not None:
        return f"exploding gradients: the backward pass reaches inf at layer {sim.grad_overflow_layer}"
    ratio, grad = sim.ratio, sim.grad_ratio
    if sim.activation in _BOUNDED_RANGE and sim.saturation[-1] > 0.5:
        return f"saturated: {sim.saturation[-1]:.0%} of {sim.activation} units at their bounds by layer {last}"
    if sim.activation == "relu" and sim.dead[-1] > 0.5:
        return f"dying: {sim.dead[-1]:.0%} of ReLU units are dead for the whole batch at layer {last}"
    if ratio is not None and ratio < 0.1:
        return f"vanishing: the signal shrinks ×{_fmt(ratio)} by layer {last}"
    if ratio is not None and ratio > 10:
        return f"exploding: the signal grows ×{_fmt(ratio)} by layer {last}"
    if grad is not None and grad < 0.1:
        return f"vanishing gradients: ×{_fmt(grad)} from layer {last} back to layer 1"
    if grad is not None and grad > 10:
        return f"exploding gradients: ×{_fmt(grad)} from layer {last} back to layer 1"
    return (f"healthy: signal ×{_fmt(ratio)} and gradient ×{_fmt(grad)} across {last} layers")


class _Panel:
    """One panel of the explorer's figure, drawn in two layers so that a redraw is cheap.

    The axes, ticks, labels and legend (most of the drawing time is their text) are drawn once per
    *layout*, the axis limits, and kept as a bitmap. A redraw with the same limits restores that
    bitmap and draws only the data artists over it (matplotlib's "blitting").
    """

    def __init__(self, dpi, left):
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        self.fig = Figure(figsize=(10 / 3, 3.3), dpi=dpi)
        self.agg = FigureCanvasAgg(self.fig)
        self.fig.subplots_adjust(left=left, right=0.97, bottom=0.15, top=0.79)
        self.ax = self.fig.add_subplot()
        self.dynamic, self.layout, self._background = [], None, None

    def animate(self, *artists):
        """Mark artists as data: drawn over the cached background on every redraw, in order."""
        for artist in artists:
            artist.set_animated(True)
            self.dynamic.append(artist)

    def draw(self, xlim, ylim) -> np.ndarray:
        """The panel as an RGB array, redrawing the background only if the limits changed."""
        if (xlim, ylim) != self.layout:
            self.ax.set_xlim(*xlim)
            self.ax.set_ylim(*ylim)
            self.agg.draw()
            self.layout, self._background = (xlim, ylim), self.agg.copy_from_bbox(self.fig.bbox)
        else:
            self.agg.restore_region(self._background)
        for artist in self.dynamic:
            self.ax.draw_artist(artist)
        return np.asarray(self.agg.buffer_rgba())[..., :3]


def _decades(values) -> tuple[float, float]:
    """Log-axis limits snapped to whole decades, with at least a fifth of a decade of margin, so
    that they stay put while the signal moves within them."""
    logs = np.log10(values)
    return 10.0 ** math.floor(logs.min() - 0.2), 10.0 ** math.ceil(logs.max() + 0.2)


class _Canvas:
    """The explorer's figure: a heat strip of activation histograms, the forward and backward std
    per layer against the theory, and the saturated and dead fractions, side by side.

    The panels are separate figures joined into one PNG, so that a slider move redraws the
    background of only the panel whose limits changed (usually just the std panel); see
    :class:`_Panel`.
    """

    BINS = 41
    LEGEND_PT = 9.5   # at 80 dpi, about the size of the notebook's own text at 100 % zoom
    HEAT_RANGE = 3.0  # unbounded activations: the heat strip spans ±3 std of layer 1's

    def __init__(self, dpi=80):
        heat_panel, std_panel, frac_panel = self.panels = (
            _Panel(dpi, left=0.2), _Panel(dpi, left=0.25), _Panel(dpi, left=0.2))
        heat, std, frac = self.axes = tuple(p.ax for p in self.panels)
        self.image = heat.imshow(np.zeros((self.BINS, 1)), aspect="auto", origin="lower",
                                 cmap="magma", vmin=-3, vmax=0, interpolation="nearest")
        heat.set_title("activations per layer\n(histogram; brighter = more units)", fontsize=self.LEGEND_PT)
        heat.set_xlabel("layer")
        std.set_yscale("log")
        std.yaxis.set_major_locator(LogLocator(numticks=6))
        std.yaxis.set_minor_locator(NullLocator())
        std.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.0e}"))  # no mathtext: faster
        self.fwd, = std.plot([], [], "o-", ms=2.5, color=plots.BLUE, label="forward: std(z)")
        self.bwd, = std.plot([], [], "s-", ms=2.5, color=plots.ORANGE, label="backward: std(∂L/∂z)")
        self.theory, = std.plot([], [], "k:", lw=1.5, label="theory")
        self.theory_bwd, = std.plot([], [], "k:", lw=1.5)
        # Legends sit above the axes, where no data line can cross them.
        std.legend(fontsize=self.LEGEND_PT, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=1,
                   frameon=False, handlelength=1.6, borderaxespad=0.2, labelspacing=0.2)
        std.set_ylabel("std (log scale)")
        std.set_xlabel("layer")
        self.note = std.text(0.97, 0.95, "", ha="right", va="top", color=plots.RED, fontsize=9,
                             transform=std.transAxes)
        self.sat, = frac.plot([], [], color=plots.PURPLE, label="saturated (bounded act.)")
        self.dead, = frac.plot([], [], color=plots.GREY, label="dead ReLUs")
        frac.legend(fontsize=self.LEGEND_PT, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=1,
                    frameon=False, handlelength=1.6, borderaxespad=0.2, labelspacing=0.2)
        frac.set_ylabel("fraction of units")
        frac.set_xlabel("layer")
        self.marks = [ax.axvline(0, color=plots.RED, lw=2, visible=False) for ax in (std, frac)]
        heat_panel.animate(self.image)
        std_panel.animate(self.theory, self.theory_bwd, self.fwd, self.bwd, self.note, self.marks[0])
        frac_panel.animate(self.sat, self.dead, self.marks[1])

    def draw(self, sim: propagation.Simulation, theory) -> bytes:
        layers = sim.layers
        xlim = (0.5, sim.depth + 0.5)
        lo, hi, counts = self._histograms(sim)
        self.image.set_data(np.log10(counts + 1e-3))
        self.image.set_extent((*xlim, lo, hi))
        self.axes[0].set_ylabel("a = f(z)" if sim.activation in _BOUNDED_RANGE
                                else "a / std(a at layer 1)")

        shown = []
        for line, y in ((self.fwd, sim.pre_std), (self.bwd, sim.grad_std),
                        (self.theory, None if theory is None else np.asarray(theory.pre_std)),
                        (self.theory_bwd, None if theory is None else np.asarray(theory.grad_std))):
            keep = np.zeros(sim.depth, bool) if y is None else np.isfinite(y) & (y > 0) & (y < 1e300)
            line.set_data(layers[keep], y[keep] if y is not None else [])
            if keep.any():
                shown.append(y[keep])
        notes = []
        if sim.overflow_layer is not None:
            notes.append(f"overflow at layer {sim.overflow_layer}")
        if not shown:
            notes.append("every std is 0")
        self.note.set_text("\n".join(notes))
        for mark in self.marks:
            mark.set_visible(sim.overflow_layer is not None)
            mark.set_xdata([sim.overflow_layer or 0] * 2)
        finite = np.isfinite(sim.saturation)
        self.sat.set_data(layers[finite], sim.saturation[finite])
        self.dead.set_data(layers[finite], sim.dead[finite])

        heat, std, frac = self.panels
        rgb = np.concatenate([heat.draw(xlim, (lo, hi)),
                              std.draw(xlim, _decades(np.concatenate(shown)) if shown else (0.1, 10.0)),
                              frac.draw(xlim, (-0.03, 1.03))], axis=1)
        buf = io.BytesIO()
        PIL.Image.fromarray(rgb).save(buf, format="png", compress_level=1)
        return buf.getvalue()

    def _histograms(self, sim):
        """Per-layer histograms of the activations: rows are values, columns are layers. Unbounded
        activations are measured in units of layer 1's std, so shrinking and growing both show
        and the axis stays put as the weights are rescaled."""
        acts = sim.samples.act
        if sim.activation in _BOUNDED_RANGE:
            lo, hi = _BOUNDED_RANGE[sim.activation]
            unit = 1.0
        else:
            lo, hi = -self.HEAT_RANGE, self.HEAT_RANGE
            first = acts[0][np.isfinite(acts[0])] if acts[0].size else acts[0]
            unit = float(np.std(first)) if first.size and np.std(first) > 0 else 1.0
        edges = np.linspace(lo, hi, self.BINS + 1)
        counts = np.zeros((self.BINS, sim.depth))
        for l, a in enumerate(acts):
            a = a[np.isfinite(a)]
            if a.size:
                counts[:, l] = np.histogram(np.clip(a / unit, lo, hi), bins=edges)[0] / a.size
        return lo, hi, counts


def _clamp(name, value, messages):
    lo, hi = LIMITS[name]
    clamped = min(max(value, lo), hi)
    if clamped != value:
        messages.append(f"{name} {value} is outside [{lo}, {hi}]: clamped to {clamped}")
    return type(lo)(clamped) if name != "scale" else float(clamped)


def _settings(messages=None, **params):
    """Validate explorer settings: clamp numbers into LIMITS, refuse unknown names."""
    messages = [] if messages is None else messages
    out = dict(DEFAULTS)
    for key, value in params.items():
        if key not in DEFAULTS:
            raise TypeError(f"unknown setting {key!r}; the explorer has {', '.join(DEFAULTS)}")
        if key in LIMITS:
            lo, hi = LIMITS[key]
            value = validate.real(key, value, low=None, what=f"(clamped to [{lo}, {hi}])")
            value = _clamp(key, round(value) if key != "scale" else value, messages)
        elif key == "activation":
            value = validate.choice("activation", value, propagation.ACTIVATIONS)
        elif key == "init":
            value = validate.choice("init", value, INITS)
        out[key] = value
    return out


class _Engine:
    """Simulate and draw explorer states on one canvas, keeping the sampled network.

    The weights depend only on (seed, init, depth, width), so moving the scale slider or changing
    the activation reruns the same network instead of drawing a new one: frames differ only by what
    the reader changed, and the update skips the sampling (about half of a run's time).
    """

    def __init__(self):
        self.canvas = _Canvas()
        self._key, self._weights = None, None

    def run(self, seed, s) -> tuple[bytes, str, propagation.Simulation]:
        seed = validate.int_seed(seed)
        key = (seed, s["init"], s["depth"], s["width"])
        if key != self._key:  # the weights get their own stream, independent of x and g
            self._weights = propagation.sample_weights([s["width"]] * (s["depth"] + 1), s["init"],
                                                       seed=np.random.default_rng((seed, 1)))
            self._key = key
        sim = propagation.simulate(**s, batch=BATCH, seed=seed, weights=self._weights,
                                   keep_samples=True)
        theory = propagation.predict_variance(**s)
        return self.canvas.draw(sim, theory), verdict(sim), sim


def render(seed=0, **params) -> tuple[bytes, str, propagation.Simulation]:
    """Simulate and draw one explorer state; return ``(png_bytes, verdict, simulation)``.

    Examples
    --------
    >>> png, text, sim = render(depth=30, activation="relu", init="he_normal")
    >>> png[1:4], text.split(":")[0], sim.depth
    (b'PNG', 'healthy', 30)
    """
    return _Engine().run(seed, _settings(**params))


class Explorer:
    """The live explorer. ``Explorer(depth=30, activation="tanh")`` then display it.

    Every control change calls :meth:`update`, which re-runs the simulation and redraws. Tests can
    drive it without a browser: set ``explorer.controls["depth"].value = 50`` (or call
    :meth:`set`) and read ``explorer.simulation``, ``explorer.verdict`` and ``explorer.png``.

    Examples
    --------
    >>> explorer = Explorer(depth=30, activation="relu", init="glorot_normal")
    >>> explorer.verdict.split(":")[0]
    'vanishing'
    >>> explorer.set(init="he_normal")                # what moving the dropdown does
    >>> explorer.verdict.split(":")[0]
    'healthy'
    """

    def __init__(self, seed=0, **params):
        import ipywidgets as w

        messages = []
        s = _settings(messages, **params)
        self.seed = seed
        self.engine = _Engine()
        self.canvas = self.engine.canvas
        style = {"description_width": "90px"}
        self.controls = {
            "depth": w.IntSlider(value=s["depth"], min=LIMITS["depth"][0], max=LIMITS["depth"][1],
                                 description="depth", style=style),
            "width": w.IntSlider(value=s["width"], min=LIMITS["width"][0], max=LIMITS["width"][1],
                                 step=4, description="width", style=style),
            "activation": w.Dropdown(options=propagation.ACTIVATIONS, value=s["activation"],
                                     description="activation", style=style),
            "init": w.Dropdown(options=INITS, value=s["init"], description="initializer", style=style),
            "scale": w.FloatLogSlider(value=s["scale"], base=10, min=-2, max=2, step=0.05,
                                      description="weight × ", readout_format=".3g", style=style),
        }
        self.image = w.Image(format="png", layout=w.Layout(width="100%"))
        self.status = w.HTML()
        self.message = w.HTML()
        buttons = []
        for label, preset in {**{f"break: {k}": v for k, v in BREAK_IT.items()},
                              **{f"fix: {k}": v for k, v in FIX_IT.items()}}.items():
            b = w.Button(description=label, layout=w.Layout(width="auto"),
                         button_style="danger" if label.startswith("break") else "success")
            b.on_click(lambda _, p=preset: self.set(**p))
            buttons.append(b)
        resample = w.Button(description="new random draw", icon="refresh", layout=w.Layout(width="auto"))
        resample.on_click(lambda _: self._reseed())
        self.widget = w.VBox([
            w.HBox([w.VBox([self.controls["depth"], self.controls["width"], self.controls["scale"]]),
                    w.VBox([self.controls["activation"], self.controls["init"], resample])]),
            w.HBox(buttons, layout=w.Layout(flex_flow="row wrap")),
            self.status, self.image, self.message])
        self._busy = False
        for c in self.controls.values():
            c.observe(lambda _: self.update(), names="value")
        self.update(messages)

    def _reseed(self):
        self.seed += 1
        self.update()

    def settings(self) -> dict:
        return {k: c.value for k, c in self.controls.items()}

    def set(self, **params):
        """Change several controls at once (one redraw); values are clamped, with a message."""
        messages = []
        s = _settings(messages, **{**self.settings(), **params})
        self._busy = True
        try:
            for k, v in s.items():
                self.controls[k].value = v
        finally:
            self._busy = False
        self.update(messages)

    def update(self, messages=None):
        """Re-run the simulation for the current controls and redraw."""
        if self._busy:
            return
        self.png, self.verdict, self.simulation = self.engine.run(self.seed, self.settings())
        self.image.value = self.png
        colour = "#1a7f37" if self.verdict.startswith("healthy") else "#b42318"
        self.status.value = f'<b style="color:{colour}">{html.escape(self.verdict)}</b>'
        self.message.value = "<br>".join(f"<i>{html.escape(m)}</i>" for m in messages or [])

    def _repr_mimebundle_(self, include=None, exclude=None):
        return live_bundle(self.widget, self.png, self.verdict, describe(self.simulation))


def live_bundle(widget, png: bytes, caption: str, alt: str = "") -> dict:
    """The display data of a live explorer: the ipywidgets view for Jupyter, plus a static HTML
    snapshot of its current state (figure and caption) that a page without a kernel or network
    shows instead (the book renders ``text/html`` in place of widget views; see ``_config.yml``).
    ``alt`` describes the figure for screen readers (default: the caption).

    Examples
    --------
    >>> import ipywidgets
    >>> bundle = live_bundle(ipywidgets.HTML("controls"), b"...png bytes...", "He + ReLU: healthy")
    >>> sorted(bundle)
    ['application/vnd.jupyter.widget-view+json', 'text/html', 'text/plain']
    >>> 'alt="Explorer figure. He + ReLU: healthy"' in bundle["text/html"]
    True
    """
    bundle = widget._repr_mimebundle_()
    bundle = dict(bundle[0] if isinstance(bundle, tuple) else bundle)   # anywidget: (data, metadata)
    if png:
        alt = alt or f"Explorer figure. {caption}"
        bundle["text/html"] = (
            '<div class="initlab-live-snapshot" style="border:1px dashed #bbb;border-radius:6px;'
            'padding:8px;margin:8px 0"><div style="font-size:0.9em;color:#555">Live explorer, '
            'shown in its starting state: its controls need a running kernel (open this chapter '
            'in Binder or JupyterLab with the launch button at the top).</div>'
            f'<div style="font-weight:bold">{html.escape(caption)}</div>'
            f'<img alt="{html.escape(alt, quote=True)}" src="{png_data_uri(png)}" '
            'style="width:100%;max-width:1000px"></div>')
    return bundle


def describe(sim: propagation.Simulation) -> str:
    """The explorer's figure in words, for its alt text: the network, what each panel shows, and
    the numbers that matter (first and last layer's std forward and backward, the last layer's
    saturated and dead fractions).

    Examples
    --------
    >>> _, _, sim = render(depth=30, activation="relu", init="glorot_normal")
    >>> print(describe(sim).split(". ")[0])
    Explorer figure for 30 relu layers of width 256, glorot_normal weights
    """
    def value(x) -> str:
        return f"{x:.2g}" if np.isfinite(x) else "overflow"

    n = sim.depth
    text = (f"Explorer figure for {n} {sim.activation} layers of width {sim.widths[1]}, {sim.init} weights"
            + (f" × {sim.scale:g}" if sim.scale != 1 else "") + ". Left: histograms of each layer's "
            f"activations. Middle, log scale: std of z from {value(sim.pre_std[0])} at layer 1 to "
            f"{value(sim.pre_std[-1])} at layer {n}; std of the gradient from {value(sim.grad_std[-1])} "
            f"at layer {n} to {value(sim.grad_std[0])} at layer 1; dotted lines: the theory. Right: "
            f"at layer {n}, {100 * sim.saturation[-1]:.0f} % of units saturated and "
            f"{100 * sim.dead[-1]:.0f} % dead ReLUs.")
    if sim.overflow_layer is not None:
        text += f" The forward signal overflows at layer {sim.overflow_layer}."
    return f"{text} Verdict: {verdict(sim)}."


def explore(seed=0, **params) -> NotebookExplorer:
    """The break-it / fix-it explorer for a notebook (display it as the last expression of a cell):
    a :class:`NotebookExplorer`, which computes in the browser as on the book's pages, so a click
    never waits for the kernel. :class:`Explorer` is the same explorer computing in the kernel.

    Examples
    --------
    >>> explore(activation="tanh").verdict.split(":")[0]   # its starting state
    'healthy'

    A misspelt setting is an error that lists the valid ones:

    >>> explore(dpeth=3)
    Traceback (most recent call last):
    ...
    TypeError: unknown setting 'dpeth'; the explorer has depth, width, activation, init, scale
    """
    return NotebookExplorer(seed=seed, **params)


def _page_modules() -> dict[str, str]:
    """The in-page explorer's ES modules, explorer.js and worker.js with what they import."""
    folder = Path(__file__).parent / "static" / "initlab"
    sources, todo = {}, ["explorer.js", "worker.js"]
    while todo:
        name = todo.pop()
        if name not in sources:
            sources[name] = (folder / name).read_text(encoding="utf-8")
            todo += re.findall(r"""(?:\bfrom|\bimport)\s*\(?\s*["']\./([\w.-]+\.js)["']""", sources[name])
    return sources


#: The in-page explorer's batch (its default, as the book's pages): 64 inputs × 256 units estimate
#: each std to about ±0.6 %; the batch menu offers 32 to 256.
PAGE_BATCH = 64

_NOTEBOOK_CSS = """
.initlab-explorer.ilx-notebook {
  --ilx-text: var(--jp-content-font-color1, #222); --ilx-muted: var(--jp-content-font-color2, #666);
  --ilx-grid: var(--jp-border-color2, #ddd); --ilx-bg: var(--jp-layout-color0, #fff);
  --ilx-theory: var(--jp-content-font-color1, #222);
}
body[data-jp-theme-light="false"] .initlab-explorer.ilx-notebook {
  --ilx-fwd: #6cb6ff; --ilx-bwd: #ffa657; --ilx-sat: #d2a8ff; --ilx-dead: #a0a0a0; --ilx-alert: #ff7b72;
  --ilx-good: #56d364; --ilx-bad: #ff7b72;
}
"""


@functools.cache
def _notebook_widget_class():
    """:class:`NotebookExplorer`'s base, built on first use so that importing this module does not
    import anywidget."""
    import anywidget
    import traitlets

    folder = Path(__file__).parent / "static" / "initlab"

    class _Base(anywidget.AnyWidget):
        _esm = (folder / "notebook.js").read_text(encoding="utf-8")
        _css = (folder / "explorer.css").read_text(encoding="utf-8") + _NOTEBOOK_CSS
        modules = traitlets.Dict().tag(sync=True)
        config = traitlets.Dict().tag(sync=True)
        name = traitlets.Unicode("explorer").tag(sync=True)

        def __repr__(self):
            return "initlab explorer (computes in the browser)"

    return _Base


class NotebookExplorer:
    """The in-page explorer in a notebook: the book's JavaScript explorer (``static/initlab/``) as
    an anywidget, which computes every state in the browser, in a worker. The kernel sends the
    modules and the starting state once; no control waits for it. Where no widget can show (the
    book's pages, a notebook viewer), its display is a picture of the starting state drawn by
    :func:`render`, whose ``png``, ``verdict`` and ``simulation`` it keeps.

    Examples
    --------
    >>> explorer = NotebookExplorer(activation="relu", init="he_normal")
    >>> explorer.widget.config["state"]["init"], explorer.verdict.split(":")[0]
    ('he_normal', 'healthy')
    """

    def __init__(self, seed=0, **params):
        s = _settings(**params)
        self.png, self.verdict, self.simulation = _Engine().run(seed, s)
        presets = ([{"label": k, "kind": "break", "set": v} for k, v in BREAK_IT.items()]
                   + [{"label": k, "kind": "fix", "set": v} for k, v in FIX_IT.items()])
        self.widget = _notebook_widget_class()(
            modules=_page_modules(),
            config={"state": {**s, "batch": PAGE_BATCH, "seed": validate.int_seed(seed)}, "presets": presets})

    def _repr_mimebundle_(self, include=None, exclude=None):
        return live_bundle(self.widget, self.png, self.verdict, describe(self.simulation))


class HTMLPanel:
    """Self-contained HTML that a notebook displays as is (the kernel-free twins).

    Examples
    --------
    >>> panel = HTMLPanel("<b>He + ReLU: healthy</b>")
    >>> panel._repr_html_()                           # what Jupyter and the book display
    '<b>He + ReLU: healthy</b>'
    """

    def __init__(self, html_text):
        self.html = html_text

    def _repr_html_(self):
        return self.html


def png_data_uri(png: bytes) -> str:
    """A PNG inlined as a data URI, so a static page needs no image file and no network.

    Examples
    --------
    >>> png_data_uri(b"abc")
    'data:image/png;base64,YWJj'
    """
    return "data:image/png;base64," + base64.b64encode(png).decode()
