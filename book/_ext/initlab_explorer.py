r"""The ``initlab-explorer`` directive: a break-it / fix-it explorer that computes in the page.

In a chapter::

    ```{initlab-explorer}
    :activation: tanh
    :init: random_normal
    :scale: 0.2
    :depth: 30
    :break: zero weights: init=zeros scale=1; small random: init=random_normal scale=0.2
    :fix: Xavier + tanh: activation=tanh init=glorot_uniform scale=1
    :draws: 1

    What to notice: the caption, in Markdown.
    ```

The options give the starting state (``init``, ``activation``, ``depth``, ``width``, ``scale``,
``batch``, ``seed``, defaults as ``initlab.widgets.DEFAULTS``) and the preset buttons: ``break`` and
``fix`` each list ``label: key=value ...`` entries separated by ``;`` (default: the explorer's
``BREAK_IT`` and ``FIX_IT``). A preset is a whole scenario: the settings it does not name are the
directive's own (its options, else the defaults), the seed included, so pressing it shows the same
picture whatever the reader did before. ``draws`` (1 to ``MAX_DRAWS``, default 1) runs that many
seeds, seed, seed + 1, ..., and shows their median with the range per layer, for explorers where a
single random draw would mislead. Every name and number is checked when the book is built.

The page gets a ``div.initlab-explorer`` with the configuration as JSON and, inside it, the
starting state drawn by the Python explorer (``initlab.widgets.render``): that picture is what a
reader without JavaScript sees. The engine and the explorer, ``src/initlab/static/initlab/*.js``,
are loaded as an ES module on every page (which publishes ``window.InitLab``); they live in the
package, not in the book's ``_static/`` folder, whose scripts Jupyter Book would add to every page
as classic scripts.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.util.docutils import SphinxDirective

import initlab
from initlab import propagation, widgets

STATIC = Path(initlab.__file__).parent / "static"
BATCHES = (32, 64, 128, 256)
#: The in-page explorer's batch: 64 examples × 256 units estimate each std to about ±0.6 %, and an
#: update stays within its 100 ms budget (make bench).
BATCH = 64
#: At most this many random draws per explorer (``explorer.js``' MAX_DRAWS).
MAX_DRAWS = 10
SETTINGS = ("activation", "init", "depth", "width", "scale", "batch", "seed")


class explorer_node(nodes.General, nodes.Element):
    """The explorer's root; its children are the caption."""


def _number(key, text, kind, limits=widgets.LIMITS):
    """``text`` as an int or float within ``limits[key]`` (default: from 0 up)."""
    try:
        value = kind(text)
    except ValueError:
        raise ValueError(f"{key} must be a{'n integer' if kind is int else ' number'}, got {text!r}") from None
    lo, hi = limits.get(key, (0, float("inf")))
    if key == "batch" and value not in BATCHES:
        raise ValueError(f"batch must be one of {', '.join(map(str, BATCHES))}, got {value}")
    if not lo <= value <= hi:
        raise ValueError(f"{key} must be in [{lo}, {hi}], got {value}")
    return value


def _setting(key, text):
    """One checked setting, as the explorer in the page accepts it."""
    text = text.strip()
    if key == "activation":
        if text not in propagation.ACTIVATIONS:
            raise ValueError(f"activation must be one of {', '.join(propagation.ACTIVATIONS)}, got {text!r}")
        return text
    if key == "init":
        if text not in widgets.INITS:
            raise ValueError(f"init must be one of {', '.join(widgets.INITS)}, got {text!r}")
        return text
    if key in ("depth", "width", "batch", "seed"):
        return _number(key, text, int)
    if key == "scale":
        return _number(key, text, float)
    raise ValueError(f"unknown setting {key!r}; valid: activation, init, depth, width, scale, batch, seed")


def parse_presets(text, kind, setting=_setting):
    """``"label: key=value key=value; label: ..."`` -> [{"label", "kind", "set"}], each value
    checked by ``setting(key, value)`` (the explorer's settings unless another widget's)."""
    presets = []
    for entry in filter(None, (e.strip() for e in text.split(";"))):
        label, sep, body = entry.partition(":")
        if not sep or not label.strip() or not body.strip():
            raise ValueError(f"a {kind} preset must read 'label: key=value ...', got {entry!r}")
        settings = {}
        for pair in body.split():
            key, eq, value = pair.partition("=")
            if not eq:
                raise ValueError(f"in the {kind} preset {label.strip()!r}, expected key=value, got {pair!r}")
            settings[key] = setting(key, value)
        presets.append({"label": label.strip(), "kind": kind, "set": settings})
    return presets


def _draws(text):
    """The ``draws`` option: an integer from 1 to MAX_DRAWS."""
    try:
        value = int(text)
    except (TypeError, ValueError):
        value = None
    if value is None or not 1 <= value <= MAX_DRAWS:
        raise ValueError(f"draws must be an integer from 1 to {MAX_DRAWS} (how many random draws to "
                         f"show), got {text!r}")
    return value


def explorer_config(options):
    """The explorer's configuration from the directive's options (name -> text): the starting
    ``state`` (every setting), the ``presets``, each completed into a whole state, and ``draws``.

    >>> explorer_config({"width": "16", "break": "wide: width=512"})["presets"][0]["set"]["depth"]
    30
    """
    state = {**widgets.DEFAULTS, "batch": BATCH, "seed": 0}
    state.update({k: _setting(k, v) for k, v in options.items() if k in SETTINGS})
    presets = (parse_presets(options.get("break", ""), "break")
               + parse_presets(options.get("fix", ""), "fix"))
    if "break" not in options and "fix" not in options:
        presets = _default_presets()
    for p in presets:
        p["set"] = {**state, **p["set"]}
    return {"state": state, "presets": presets, "draws": _draws(options.get("draws", "1"))}


def _default_presets():
    fmt = lambda d: " ".join(f"{k}={v}" for k, v in d.items())
    return (parse_presets("; ".join(f"{k}: {fmt(v)}" for k, v in widgets.BREAK_IT.items()), "break")
            + parse_presets("; ".join(f"{k}: {fmt(v)}" for k, v in widgets.FIX_IT.items()), "fix"))


class ExplorerDirective(SphinxDirective):
    has_content = True
    option_spec = {key: directives.unchanged_required for key in SETTINGS + ("break", "fix", "draws", "name")}

    def run(self):
        try:
            config = explorer_config(self.options)
        except ValueError as exc:
            raise self.error(f"initlab-explorer: {exc}") from None
        env = self.env
        count = env.temp_data.get("initlab_explorers", 0) + 1
        env.temp_data["initlab_explorers"] = count
        node = explorer_node()
        node["ids"] = [self.options.get("name", f"explorer-{count}" if count > 1 else "explorer")]
        node["config"] = config
        if self.content:
            caption = nodes.container(classes=["initlab-explorer-caption"])
            self.state.nested_parse(self.content, self.content_offset, caption)
            node += caption
        return [node]


def _static_picture(state) -> tuple[str, str]:
    """The starting state drawn by the Python explorer: (data URI, verdict)."""
    params = {k: v for k, v in state.items() if k in widgets.DEFAULTS}
    png, text, _ = widgets.render(seed=state.get("seed", 0), **params)
    return widgets.png_data_uri(png), text


def visit_explorer_html(self, node):
    uri, text = _static_picture(node["config"]["state"])
    config = html.escape(json.dumps(node["config"]), quote=True)
    draws = node["config"]["draws"]
    one = f" (one random draw; the live explorer shows the median and range of {draws})" if draws > 1 else ""
    self.body.append(
        f'<div class="initlab-explorer" id="{node["ids"][0]}" data-config="{config}">'
        '<div class="initlab-explorer-static">'
        f'<p><strong>{html.escape(text)}</strong></p>'
        f'<img src="{uri}" alt="The explorer\'s starting state: per-layer activation histograms, '
        'forward and backward std per layer with the theory, and the fractions of saturated units '
        '(stuck near the flat ends of the activation) and of dead units (outputting 0 for every input).">'
        f'<p class="initlab-explorer-note">This is the explorer\'s starting state{one}. With JavaScript '
        'on (and the book served over http, e.g. <code>python -m http.server</code> in its folder), '
        'the explorer computes in the page and every control responds.</p></div>')


def depart_explorer_html(self, node):
    self.body.append("</div>")


def _skip(self, node):
    raise nodes.SkipNode


def _add_static_path(app, config):
    config.html_static_path.append(str(STATIC))


def _dedupe_scripts(app, pagename, templatename, context, doctree):
    """Drop repeated scripts (same source and attributes, whatever their priority). sphinx-thebe
    and sphinx-togglebutton add theirs twice, and the second copy of thebe's configuration fails
    with "Identifier 'THEBE_JS_URL' has already been declared" in every page's console."""
    seen, kept = set(), []
    for script in context.get("script_files", []):
        key = (script.filename or "", tuple(sorted(script.attributes.items())))  # None == ""
        if key not in seen:
            seen.add(key)
            kept.append(script)
    context["script_files"][:] = kept   # in place: the builder appends later scripts to this list


def setup(app):
    app.add_node(explorer_node, html=(visit_explorer_html, depart_explorer_html),
                 latex=(_skip, None), text=(_skip, None), man=(_skip, None), texinfo=(_skip, None))
    app.add_directive("initlab-explorer", ExplorerDirective)
    app.connect("config-inited", _add_static_path)
    app.connect("html-page-context", _dedupe_scripts, priority=900)  # after the others add theirs
    app.add_js_file("initlab/initlab.js", type="module")
    app.add_css_file("initlab/explorer.css")
    # env_version: bump it whenever explorer_node's attributes change, so that a build on an old
    # _build re-reads every page instead of writing stale nodes (version 2: the node holds "config").
    return {"parallel_read_safe": True, "parallel_write_safe": True, "env_version": 2}
