"""The ``initlab-playground`` directive (book/_ext/initlab_playground.py) and the claims chapter 1
makes about its presets.

* Settings and presets are checked when the book is built, with errors naming what is valid; the
  page's playground.js offers the same menus, ranges and defaults.
* The data the page trains on are ``tinynet``'s, to the last bit.
* Each "predict, then run" answer of chapter 1 holds for the presets, trained by the page's engine
  (in Node, through ``tests/js/engine_cli.mjs``) on the embedded data, for several seeds.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import numpy as np
import pytest
from test_engine_parity import engine

from initlab import tinynet

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "book" / "_ext"))
import initlab_playground as ext  # noqa: E402

JS = (ROOT / "src" / "initlab" / "static" / "initlab" / "playground.js").read_text(encoding="utf-8")
SEEDS = (0, 1, 2)


def _js_const(name):
    return re.search(rf"export const {name} = (.*?);\n", JS, re.S).group(1)


def test_the_page_offers_the_directives_menus_ranges_and_defaults():
    assert json.loads(_js_const("PLAYGROUND_INITS")) == list(ext.INITS)
    assert json.loads(_js_const("PLAYGROUND_DATA")) == list(ext.DATA)
    as_json = lambda js: json.loads(re.sub(r"(\w+):", r'"\1":', js))
    assert as_json(_js_const("PLAYGROUND_LIMITS")) == {k: list(v) for k, v in ext.LIMITS.items()}
    assert as_json(_js_const("PLAYGROUND_DEFAULTS")) == ext.DEFAULTS


@pytest.mark.parametrize("text, message", [
    ("zeros data=chapter", "must read 'label: key=value ...'"),
    ("a: init=xavier", "init must be one of zeros, ones, random_normal"),
    ("a: data=spiral", "data must be one of chapter, circles, moons, xor"),
    ("a: activation=swish", "activation must be one of linear, sigmoid"),
    ("a: layers=4", r"layers must be in \[1, 3\]"),
    ("a: units=2.5", "units must be an integer"),
    ("a: lr=0", r"lr must be in \[0.001, 10.0\]"),
    ("a: scale=5000", r"scale must be in \[0.01, 1000.0\]"),
    ("a: depth=3", "unknown setting 'depth'; valid: data, activation, init, scale, layers, units, lr, seed"),
])
def test_bad_presets_name_what_is_valid(text, message):
    with pytest.raises(ValueError, match=message):
        ext.parse_presets(text, "break", ext.setting)


def _presets():
    presets = ext.parse_presets(ext.BREAK, "break", ext.setting) + ext.parse_presets(ext.FIX, "fix", ext.setting)
    return {p["label"]: p["set"] for p in presets}


def test_default_presets_parse_and_cover_the_chapters_mistakes():
    presets = _presets()
    assert list(presets)[:5] == ["zeros + tanh", "zeros + sigmoid", "constant 0.5", "small", "large"]
    assert presets["small"]["scale"] * 0.05 == pytest.approx(0.01)      # random_normal's std is 0.05
    assert presets["constant 0.5"] == {"data": "chapter", "init": "ones", "scale": 0.5, "activation": "tanh",
                                       "layers": 1, "units": 4, "lr": 1.0}


def test_the_page_trains_on_tinynets_points():
    data = ext.tasks_json()
    assert list(data) == list(ext.DATA)
    for name, task in data.items():
        X, y = (tinynet.TASKS[name](300, seed=0) if name != "chapter" else ext.task("chapter"))
        assert np.array_equal(np.array(task["x"]).reshape(-1, 2), X)    # float64 round-trips through JSON
        assert np.array_equal(task["y"], y)
    X, y = data["chapter"]["x"], data["chapter"]["y"]
    assert len(y) == 176 and np.mean(y) == 0.75                        # chapter 1's unbalanced task


def _run(preset, steps, seed=0, **changes):
    """One preset trained by the page's engine on the page's data; returns the engine's result."""
    s = {**ext.DEFAULTS, **_presets()[preset], **changes, "seed": seed}
    task = ext.tasks_json()[s["data"]]
    return dict(fn="train", args=[dict(x=task["x"], y=task["y"], sizes=[2, *[s["units"]] * s["layers"], 1],
                                       activation=s["activation"], init=s["init"], scale=s["scale"], lr=s["lr"],
                                       seed=seed, steps=steps)])


def _call(runs):
    out = engine([(r["fn"], r["args"][0]) for r in runs])
    assert not any("error" in o for o in out), out
    return out


def _W1(result):
    return np.asarray(result["params"][0]["W"]).reshape(2, -1)


BASE = float(-(0.75 * np.log(0.75) + 0.25 * np.log(0.25)))


def test_answer_1_zeros():
    tanh, sigmoid = _call([_run("zeros + tanh", 1000), _run("zeros + sigmoid", 1000)])
    assert not _W1(tanh).any() and tanh["grad_norms"][0] == 0            # the dots stay at the origin
    assert 0 <= tanh["loss"][-1] - BASE < 1e-4                           # on the base-rate line
    assert _W1(sigmoid).any() and tinynet.unit_spread(_W1(sigmoid)) == 0  # they move, as one dot


def test_answer_2_a_constant_whatever_the_seed_and_the_fix():
    runs = _call([_run("constant 0.5", 1000, seed) for seed in SEEDS]
                 + [_run("Glorot + tanh", 1000, seed, data="chapter", layers=1, units=4) for seed in SEEDS])
    for const in runs[:3]:
        assert tinynet.unit_spread(_W1(const)) == 0
        assert np.array_equal(const["loss"], runs[0]["loss"])            # the seed is not used
    for fixed in runs[3:]:
        assert tinynet.unit_spread(_W1(fixed)) > 0.1 and fixed["accuracy"] > 0.9


def test_answer_3_small_weights_plateau_and_large_weights_start_high():
    n = len(SEEDS)
    glorot_2x8 = dict(layers=2, units=8)
    assert _presets()["large"]["layers"] == 2 and _presets()["large"]["units"] == 8      # the same layers
    out = _call([_run("small", 400, seed) for seed in SEEDS]
                + [_run("Glorot + tanh", 1000, seed, **glorot_2x8) for seed in SEEDS]
                + [_run("large", 1000, seed) for seed in SEEDS])
    small, glorot, large = out[:n], out[n:2 * n], out[2 * n:]
    for s, g, big in zip(small, glorot, large):
        assert max(abs(v - BASE) for v in s["loss"][50:]) < 1e-3          # flat on the base-rate line
        assert g["loss"][100] < 0.5 * BASE                               # Glorot learns at once
        assert big["loss"][0] > 3 * BASE                                 # confidently wrong at the start
        assert big["loss"][-1] > 10 * g["loss"][-1]                      # and stays well above Glorot's


def test_small_weights_give_tiny_gradients_at_the_start():
    out = _call([_run("small", 0, seed) for seed in SEEDS]
                + [_run("Glorot + tanh", 0, seed, layers=2, units=8) for seed in SEEDS])
    small, glorot = out[:len(SEEDS)], out[len(SEEDS):]
    assert max(max(r["grad_norms"]) for r in small) < 1e-3 < min(min(r["grad_norms"]) for r in glorot)
