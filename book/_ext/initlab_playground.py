r"""The ``initlab-playground`` directive: chapter 1's tiny network, trained live in the page.

In a chapter::

    ```{initlab-playground}
    :data: chapter
    :activation: tanh
    :init: glorot_uniform
    :break: zeros + sigmoid: init=zeros activation=sigmoid; constant: init=ones scale=0.5
    :fix: Glorot + tanh: init=glorot_uniform scale=1 activation=tanh

    What to notice: the caption, in Markdown.
    ```

The options give the starting state (``data``, ``activation``, ``init``, ``scale``, ``layers``,
``units``, ``lr``, ``seed``; defaults as :data:`DEFAULTS`) and the preset buttons, written as the
explorer's (``label: key=value ...`` entries separated by ``;``; default :data:`BREAK` and
:data:`FIX`). Every name and number is checked when the book is built, with errors naming what is
valid.

The data sets are computed here, by ``initlab.tinynet``, and written into the page as JSON: the
page trains on exactly the points the chapter's Python uses, with no second implementation of
numpy's random generator to keep in step. The page gets a ``div.initlab-playground`` with the
configuration as JSON and, inside it, a picture of the starting state trained by
``tinynet.train`` when the book was built: what a reader without JavaScript sees.
``playground.js`` (loaded by ``initlab.js`` on every page) replaces it by the live playground.
"""

from __future__ import annotations

import html
import io
import json

import numpy as np
from docutils import nodes
from docutils.parsers.rst import directives
from initlab_explorer import _number, _skip, parse_presets
from matplotlib.figure import Figure
from sphinx.util.docutils import SphinxDirective

from initlab import plots, tinynet, widgets
from initlab.propagation import ACTIVATIONS

#: The initializers the playground offers: zeros, a constant (``ones`` times the scale), small and
#: large random (``random_normal`` times the scale) and the width-aware schemes of chapters 3 to 5.
INITS = ("zeros", "ones", "random_normal", "glorot_uniform", "glorot_normal", "he_uniform", "he_normal",
         "lecun_uniform", "lecun_normal")
#: The ranges of the numeric settings (the page clamps to them; the directive refuses outside).
LIMITS = {"scale": (0.01, 1000.0), "layers": (1, 3), "units": (1, 16), "lr": (0.001, 10.0), "seed": (0, 9999)}
#: The data sets, by name: chapter 1's unbalanced circles and three balanced tasks of tinynet.
DATA = ("chapter", "circles", "moons", "xor")
DATA_LABELS = {"chapter": "chapter 1's circles (75 % ones)", "circles": "circles (balanced)",
               "moons": "moons", "xor": "XOR"}
DEFAULTS = {"data": "chapter", "activation": "tanh", "init": "glorot_uniform", "scale": 1.0, "layers": 1,
            "units": 4, "lr": 1.0, "seed": 0}
#: Default presets. Break: chapter 1's four mistakes on its own network; small (N(0, 0.01²)) and large
#: (N(0, 10²), which saturates tanh) on two hidden layers of 8, where the signal passes two layers.
#: Fix: the width-aware schemes, on whatever network is set.
BREAK = ("zeros + tanh: data=chapter init=zeros activation=tanh layers=1 units=4 lr=1; "
         "zeros + sigmoid: data=chapter init=zeros activation=sigmoid layers=1 units=4 lr=1; "
         "constant 0.5: data=chapter init=ones scale=0.5 activation=tanh layers=1 units=4 lr=1; "
         "small: data=chapter init=random_normal scale=0.2 activation=tanh layers=2 units=8 lr=1; "
         "large: data=chapter init=random_normal scale=200 activation=tanh layers=2 units=8 lr=1")
FIX = ("Glorot + tanh: init=glorot_uniform scale=1 activation=tanh; "
       "He + ReLU: init=he_normal scale=1 activation=relu; "
       "LeCun + SELU: init=lecun_normal scale=1 activation=selu")
STATIC_STEPS = 400


def setting(key, text):
    """One checked playground setting, as the page accepts it.

    >>> setting("units", "8"), setting("init", "he_normal")
    (8, 'he_normal')
    """
    text = text.strip()
    choices = {"data": DATA, "activation": ACTIVATIONS, "init": INITS}
    if key in choices:
        if text not in choices[key]:
            raise ValueError(f"{key} must be one of {', '.join(choices[key])}, got {text!r}")
        return text
    if key in ("layers", "units", "seed"):
        return _number(key, text, int, LIMITS)
    if key in ("scale", "lr"):
        return _number(key, text, float, LIMITS)
    raise ValueError(f"unknown setting {key!r}; valid: {', '.join(DEFAULTS)}")


def task(name):
    """The points of one data set as ``(X, y)``: ``chapter`` is chapter 1's (all of the inner
    circle and a third of the outer one, so 75 % ones), the others ``tinynet``'s 300 points.

    >>> X, y = task("chapter")
    >>> X.shape, float(y.mean())
    ((176, 2), 0.75)
    """
    if name == "chapter":
        X, y = tinynet.circles(264, seed=3)
        keep = (y == 1) | (np.arange(len(y)) % 6 == 0)
        return X[keep], y[keep]
    if name not in tinynet.TASKS:
        raise ValueError(f"data must be one of {', '.join(DATA)}, got {name!r}")
    return tinynet.TASKS[name](300, seed=0)


def tasks_json():
    """Every data set as ``{name: {label, x, y}}``: full float64 precision, so the page trains on
    the very numbers ``tinynet`` returns."""
    out = {}
    for name in DATA:
        X, y = task(name)
        out[name] = {"label": DATA_LABELS[name], "x": X.ravel().tolist(), "y": y.astype(int).tolist()}
    return out


class playground_node(nodes.General, nodes.Element):
    """The playground's root; its children are the caption."""


class PlaygroundDirective(SphinxDirective):
    has_content = True
    option_spec = {key: directives.unchanged_required for key in (*DEFAULTS, "break", "fix", "name")}

    def run(self):
        try:
            state = dict(DEFAULTS)
            state.update({k: setting(k, v) for k, v in self.options.items() if k in DEFAULTS})
            presets = (parse_presets(self.options.get("break", BREAK), "break", setting)
                       + parse_presets(self.options.get("fix", FIX), "fix", setting))
        except ValueError as exc:
            raise self.error(f"initlab-playground: {exc}") from None
        count = self.env.temp_data.get("initlab_playgrounds", 0) + 1
        self.env.temp_data["initlab_playgrounds"] = count
        node = playground_node()
        node["ids"] = [self.options.get("name", f"playground-{count}" if count > 1 else "playground")]
        node["state"] = state
        node["presets"] = presets
        if self.content:
            caption = nodes.container(classes=["initlab-playground-caption"])
            self.state.nested_parse(self.content, self.content_offset, caption)
            node += caption
        return [node]


def static_picture(state, steps=STATIC_STEPS) -> tuple[str, str]:
    """The starting state trained by ``tinynet.train`` for ``steps`` steps, drawn as the page draws
    it (decision boundary over the data, loss against the base rate): ``(data URI, description)``."""
    X, y = task(state["data"])
    sizes = (2, *[state["units"]] * state["layers"], 1)
    run = tinynet.train(X, y, sizes=sizes, activation=state["activation"], init=state["init"],
                        lr=state["lr"], steps=steps, seed=state["seed"], scale=state["scale"])
    rate = y.mean()
    base = -(rate * np.log(rate) + (1 - rate) * np.log(1 - rate))
    fig = Figure(figsize=(7, 3), dpi=90)
    left, right = fig.subplots(1, 2)
    lo, hi = X.min(axis=0) - 0.3, X.max(axis=0) + 0.3
    g0, g1 = np.meshgrid(np.linspace(lo[0], hi[0], 80), np.linspace(lo[1], hi[1], 80))
    p = run.predict(np.c_[g0.ravel(), g1.ravel()]).reshape(g0.shape)
    left.contourf(g0, g1, p, levels=np.linspace(0, 1, 11), cmap="coolwarm", alpha=0.35)
    left.contour(g0, g1, p, levels=[0.5], colors="k", linewidths=1)
    left.scatter(*X.T, c=np.where(y == 1, plots.RED, plots.BLUE), s=8)
    left.set(aspect="equal", title=f"after {steps} steps: accuracy {run.accuracy(X, y):.2f}")
    right.plot(run.loss, color=plots.BLUE, label="loss")
    right.axhline(base, color=plots.GREY, ls="--", label="base-rate loss")
    right.set(xlabel="step", title="loss", ylim=(0, max(1.5 * base, min(run.loss[0], 5) * 1.05)))
    right.legend(fontsize=8)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    text = (f"The playground's starting settings ({state['init']} weights, {state['activation']} hidden units, "
            f"sizes {sizes}) trained for {steps} steps on {DATA_LABELS[state['data']]} when the book was built. "
            f"Left, the decision boundary over the data: accuracy {run.accuracy(X, y):.2f}. Right, the loss "
            f"from {run.loss[0]:.3f} to {run.loss[-1]:.3f} against the base-rate loss {base:.3f} (dashed).")
    return widgets.png_data_uri(buffer.getvalue()), text


def visit_playground_html(self, node):
    uri, text = static_picture(node["state"])
    config = {"state": node["state"], "presets": node["presets"], "tasks": tasks_json()}
    self.body.append(
        f'<div class="initlab-playground" id="{node["ids"][0]}" '
        f'data-config="{html.escape(json.dumps(config), quote=True)}">'
        '<div class="initlab-playground-static">'
        f'<img src="{uri}" alt="{html.escape(text, quote=True)}">'
        '<p class="initlab-playground-note">This picture was computed when the book was built. With '
        'JavaScript on (and the book served over http, e.g. <code>python -m http.server</code> in its '
        'folder), the playground trains the network in the page.</p></div>')


def depart_playground_html(self, node):
    self.body.append("</div>")


def setup(app):
    app.setup_extension("initlab_explorer")     # the static path and initlab.js, which boots playgrounds
    app.add_node(playground_node, html=(visit_playground_html, depart_playground_html),
                 latex=(_skip, None), text=(_skip, None), man=(_skip, None), texinfo=(_skip, None))
    app.add_directive("initlab-playground", PlaygroundDirective)
    app.add_css_file("initlab/playground.css")
    return {"parallel_read_safe": True, "parallel_write_safe": True}
