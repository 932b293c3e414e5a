"""The explorer: callbacks driven without a browser, clamping, verdicts and the static snapshot."""

from __future__ import annotations

import re

import pytest

from initlab import widgets


@pytest.fixture
def explorer():
    return widgets.Explorer(depth=10, width=64)


def test_a_control_change_reruns_the_simulation_and_redraws(explorer):
    before_png, before_sim = explorer.png, explorer.simulation
    explorer.controls["depth"].value = 20
    assert explorer.simulation is not before_sim
    assert explorer.simulation.depth == 20 and len(explorer.simulation.pre_std) == 20
    assert explorer.png != before_png and explorer.image.value == explorer.png
    assert explorer.png.startswith(b"\x89PNG")


@pytest.mark.parametrize("control, value, attribute, expected", [
    ("width", 128, "widths", (128,) * 11),
    ("activation", "tanh", "activation", "tanh"),
    ("init", "he_normal", "init", "he_normal"),
    ("scale", 2.0, "scale", 2.0),
])
def test_every_control_reaches_the_simulation(explorer, control, value, attribute, expected):
    explorer.controls[control].value = value
    assert getattr(explorer.simulation, attribute) == expected


def test_weight_scale_moves_the_signal(explorer):
    explorer.set(activation="linear", init="lecun_normal", scale=1.0)
    healthy = explorer.simulation.ratio
    explorer.set(scale=0.5)
    # linear net: every layer multiplies the std by the scale, so 10 layers give 0.5**9 last/first
    assert explorer.simulation.ratio == pytest.approx(healthy * 0.5**9, rel=1e-4)
    assert explorer.verdict.startswith("vanishing")


def test_break_and_fix_presets(explorer):
    explorer.set(depth=30, width=256, activation="relu", **widgets.BREAK_IT["zero"])
    assert explorer.verdict.startswith("no signal")
    explorer.set(**widgets.BREAK_IT["large"])
    assert explorer.verdict.startswith(("exploding", "overflow"))
    explorer.set(**widgets.BREAK_IT["small"])
    assert explorer.verdict.startswith("vanishing")
    for preset in widgets.FIX_IT.values():
        explorer.set(**preset)
        assert explorer.verdict.startswith("healthy"), (preset, explorer.verdict)


def test_preset_buttons_are_wired(explorer):
    buttons = [b for b in explorer.widget.children[1].children]
    labels = [b.description for b in buttons]
    assert len(buttons) == len(widgets.BREAK_IT) + len(widgets.FIX_IT)
    buttons[labels.index("fix: He + ReLU")].click()
    assert (explorer.simulation.activation, explorer.simulation.init) == ("relu", "he_normal")


def test_out_of_range_values_are_clamped_with_a_message(explorer):
    explorer.set(depth=1000, scale=1e6)
    assert explorer.simulation.depth == widgets.LIMITS["depth"][1]
    assert explorer.simulation.scale == widgets.LIMITS["scale"][1]
    assert "clamped" in explorer.message.value and "depth" in explorer.message.value
    explorer.set(depth=10)
    assert explorer.message.value == ""


@pytest.mark.parametrize("bad, error", [
    (dict(depth=float("nan")), ValueError), (dict(depth="deep"), TypeError), (dict(scale=None), TypeError),
    (dict(activation="relu6"), ValueError), (dict(init="glorot"), ValueError),
    (dict(colour="red"), TypeError),
])
def test_bad_settings_are_refused(explorer, bad, error):
    with pytest.raises(error, match="must be|unknown (setting|activation|init)"):
        explorer.set(**bad)


def test_overflow_shows_in_verdict_and_figure(explorer):
    explorer.set(depth=60, activation="relu", init="ones", scale=1.0)
    layer = explorer.simulation.overflow_layer
    assert layer is not None
    assert explorer.verdict == f"overflow: the signal reaches inf at layer {layer}"
    assert explorer.canvas.note.get_text() == f"overflow at layer {layer}"
    assert all(m.get_visible() for m in explorer.canvas.marks)


def test_verdict_numbers_come_from_the_simulation():
    png, text, sim = widgets.render(depth=30, activation="relu", init="glorot_uniform")
    assert text == f"vanishing: the signal shrinks ×{widgets._fmt(sim.ratio)} by layer 30"
    assert sim.ratio < 1e-3


def test_import_initlab_stays_light():
    import subprocess
    import sys

    # What makes an import slow is what it drags in: the package and its core modules need numpy
    # and the standard library only (the time itself is for `make bench`, not for a test).
    code = ("import sys; before = set(sys.modules); import initlab, initlab.initializers, initlab.propagation; "
            "print(' '.join(sorted({m.split('.')[0] for m in set(sys.modules) - before})))")
    loaded = set(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                check=True).stdout.split())
    third_party = {m for m in loaded - set(sys.stdlib_module_names) if not m.startswith("_")}
    assert third_party <= {"initlab", "numpy"}, sorted(third_party)


def test_intro_claim_scale_near_sqrt2_turns_glorot_into_he_for_relu():
    """The intro says: ReLU + glorot_uniform vanishes; near ×1.4 (√2) it stops vanishing."""
    verdicts = {s: widgets.render(scale=s)[1] for s in (1.0, 1.2, 1.414, 2.0, 3.0)}
    assert verdicts[1.0].startswith("vanishing") and verdicts[1.2].startswith("vanishing")
    assert verdicts[1.414].startswith("healthy")
    assert verdicts[2.0].startswith("exploding") and verdicts[3.0].startswith("exploding")


def test_scale_and_activation_moves_rerun_the_same_network(explorer):
    """A weight-scale or activation change keeps the sampled weights (the same network, rescaled);
    a new draw or a new initializer samples new ones."""
    weights = explorer.engine._weights
    explorer.set(activation="linear", scale=1.0)
    first = explorer.simulation.pre_std[0]
    explorer.controls["scale"].value = 2.0
    assert explorer.engine._weights is weights
    assert explorer.simulation.pre_std[0] == pytest.approx(2 * first, rel=1e-5)
    explorer.controls["init"].value = "he_normal"
    assert explorer.engine._weights is not weights
    weights = explorer.engine._weights
    explorer._reseed()
    assert explorer.engine._weights is not weights


def test_redraws_reuse_the_background_only_while_the_limits_hold(explorer):
    """The cached background (axes, ticks, legends) is redrawn exactly when the layout changes,
    and a blitted frame is pixel-identical to a full redraw of the same state."""
    explorer.set(activation="relu", init="he_normal", scale=1.0)
    heat, std, frac = explorer.canvas.panels
    layouts = [p.layout for p in explorer.canvas.panels]
    explorer._reseed()                      # same limits: every panel blitted
    assert [p.layout for p in explorer.canvas.panels] == layouts
    blitted = explorer.png
    for panel in explorer.canvas.panels:    # force the full redraw of the same state
        panel.layout = None
    explorer.update()
    assert explorer.png == blitted
    explorer.set(scale=10.0)                # the signal explodes: new y-limits for the std panel
    assert std.layout != layouts[1]
    assert (heat.layout, frac.layout) == (layouts[0], layouts[2])


def test_render_refuses_a_bad_seed():
    with pytest.raises(ValueError, match="seed must be an int >= 0, got -1"):
        widgets.render(seed=-1)
    with pytest.raises(TypeError, match="seed must be an int >= 0, got float"):
        widgets.render(seed=1.5)


def test_live_explorer_carries_a_static_snapshot(explorer):
    """Jupyter shows the widget view; a page without a kernel shows the text/html snapshot of the
    same state (the book is configured to prefer it), so the live widget is never a blank box."""
    bundle = explorer._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    snapshot = bundle["text/html"]
    assert widgets.png_data_uri(explorer.png) in snapshot
    assert explorer.verdict in snapshot and "<script" not in snapshot


def test_the_notebook_explorer_gets_every_module_it_imports():
    """The browser-side explorer cannot fetch files: the kernel sends explorer.js, worker.js and
    every module they import (the page's boot script, initlab.js, stays out)."""
    explorer = widgets.explore(activation="tanh", depth=5)
    sent = explorer.widget.modules
    assert {"explorer.js", "worker.js", "simulate.js", "kernels.js"} <= set(sent) and "initlab.js" not in sent
    for name, text in sent.items():
        for target in re.findall(r"""(?:\bfrom|\bimport)\s*\(?\s*["']\./([\w.-]+\.js)["']""", text):
            assert target in sent, f"{name} imports {target}, which is not sent"


def test_the_notebook_explorer_starts_where_asked_and_clamps():
    explorer = widgets.explore(activation="tanh", init="lecun_normal", depth=1000, seed=3)
    state = explorer.widget.config["state"]
    assert state == {**widgets.DEFAULTS, "activation": "tanh", "init": "lecun_normal",
                     "depth": widgets.LIMITS["depth"][1], "batch": widgets.PAGE_BATCH, "seed": 3}
    assert explorer.simulation.depth == widgets.LIMITS["depth"][1]   # the snapshot shows that state
    labels = [p["label"] for p in explorer.widget.config["presets"]]
    assert labels == [*widgets.BREAK_IT, *widgets.FIX_IT]
    bundle = explorer._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert widgets.png_data_uri(explorer.png) in bundle["text/html"]
    with pytest.raises(ValueError, match="unknown init .glorot.. Did you mean .glorot_normal."):
        widgets.explore(init="glorot")
