"""The ``initlab-explorer`` directive (book/_ext/initlab_explorer.py): presets and settings are
checked when the book is built, with errors that name what is valid, and the defaults are the
Python explorer's."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

from initlab import widgets

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "book" / "_ext"))
import initlab_explorer as ext  # noqa: E402


def test_presets_parse_into_labelled_settings():
    got = ext.parse_presets("zero weights: init=zeros scale=1; He + ReLU: activation=relu init=he_normal",
                            "break")
    assert got == [
        {"label": "zero weights", "kind": "break", "set": {"init": "zeros", "scale": 1.0}},
        {"label": "He + ReLU", "kind": "break", "set": {"activation": "relu", "init": "he_normal"}},
    ]


@pytest.mark.parametrize("text, message", [
    ("zero init=zeros", "must read 'label: key=value ...'"),
    ("zero: init", "expected key=value"),
    ("zero: init=xavier", "init must be one of zeros, ones"),
    ("a: activation=swish", "activation must be one of linear, sigmoid"),
    ("a: depth=0", r"depth must be in \[1, 100\]"),
    ("a: depth=2.5", "depth must be an integer"),
    ("a: scale=1000", r"scale must be in \[0.01, 100.0\]"),
    ("a: batch=48", "batch must be one of 32, 64, 128, 256"),
    ("a: colour=red", "unknown setting 'colour'; valid: activation, init"),
])
def test_bad_presets_name_what_is_valid(text, message):
    with pytest.raises(ValueError, match=message):
        ext.parse_presets(text, "fix")


def test_default_presets_are_the_python_explorers():
    presets = ext._default_presets()
    assert [p["label"] for p in presets if p["kind"] == "break"] == list(widgets.BREAK_IT)
    assert [p["label"] for p in presets if p["kind"] == "fix"] == list(widgets.FIX_IT)
    for p in presets:
        source = {**widgets.BREAK_IT, **widgets.FIX_IT}[p["label"]]
        assert p["set"] == source


def test_the_in_page_explorer_offers_the_python_explorers_menus():
    """explorer.js lists the same initializers and limits as initlab.widgets."""
    js = (ROOT / "src" / "initlab" / "static" / "initlab" / "explorer.js").read_text(encoding="utf-8")
    inits = json.loads(re.search(r"export const INITS = (\[.*?\]);", js, re.S).group(1))
    assert inits == list(widgets.INITS)
    limits = re.search(r"export const LIMITS = \{ depth: \[(\d+), (\d+)\], width: \[(\d+), (\d+)\], "
                       r"scale: \[([\d.]+), ([\d.]+)\] \};", js).groups()
    assert [float(v) for v in limits] == [float(v) for k in ("depth", "width", "scale")
                                          for v in widgets.LIMITS[k]]
    batches = json.loads(re.search(r"export const BATCHES = (\[.*?\]);", js).group(1))
    assert batches == list(ext.BATCHES) and ext.BATCH in batches


def test_a_preset_is_a_whole_scenario():
    """Every preset names every setting: the ones it leaves out, the seed included, are the
    directive's own, so its picture does not depend on what the reader did before."""
    config = ext.explorer_config({"activation": "tanh", "depth": "12", "seed": "3",
                                  "break": "narrow: width=16", "fix": "He: activation=relu init=he_normal"})
    start = config["state"]
    assert start == {**widgets.DEFAULTS, "activation": "tanh", "depth": 12, "seed": 3, "batch": ext.BATCH}
    narrow, he = config["presets"]
    assert narrow["set"] == {**start, "width": 16}
    assert he["set"] == {**start, "activation": "relu", "init": "he_normal"}
    assert config["draws"] == 1
    defaults = ext.explorer_config({"width": "64"})["presets"]      # the default presets, completed too
    assert defaults and all(set(p["set"]) == set(start) and p["set"]["width"] == 64 for p in defaults
                            if "width" not in {**widgets.BREAK_IT, **widgets.FIX_IT}[p["label"]])


@pytest.mark.parametrize("text", ["0", "11", "2.5", "many"])
def test_draws_outside_1_to_10_is_a_build_error_naming_the_range(text):
    with pytest.raises(ValueError, match=r"draws must be an integer from 1 to 10 .*got"):
        ext.explorer_config({"draws": text})
    assert ext.explorer_config({"draws": "10"})["draws"] == 10
    page_js = (ROOT / "src/initlab/static/initlab/explorer.js").read_text(encoding="utf-8")
    assert re.search(r"export const MAX_DRAWS = (\d+);", page_js).group(1) == str(ext.MAX_DRAWS)  # one limit


def _book_explorers():
    """(page, directive options) of every initlab-explorer block in the book's pages."""
    found = []
    for md in sorted((ROOT / "book").glob("*.md")):
        for block in re.findall(r"^```\{initlab-explorer\}\n(.*?)^```$", md.read_text(encoding="utf-8"),
                                re.S | re.M):
            found.append((md.stem, dict(re.findall(r"^:(\w+):[ \t]*(.*)$", block, re.M))))
    return found


def test_every_break_preset_breaks_and_every_fix_preset_is_healthy():
    """For every preset of every explorer in the book, what the page shows (the engine in Node,
    median over the explorer's draws): a "break it" button never ends *healthy*, a "fix it" one
    always does."""
    from test_engine_parity import engine

    runs = [(page, p, config["draws"]) for page, options in _book_explorers()
            for config in [ext.explorer_config(options)] for p in config["presets"]]
    assert len({page for page, *_ in runs}) >= 9 and len(runs) >= 40
    results = engine([("explore", p["set"], draws) for _, p, draws in runs])
    wrong = [(page, p["kind"], p["label"], r.get("verdict", r)) for (page, p, _), r in zip(runs, results)
             if "verdict" not in r or r["verdict"].startswith("healthy") != (p["kind"] == "fix")]
    assert not wrong, wrong


def test_the_captions_claims_about_states_without_a_button():
    """Chapter 5: the weight scale dragged to about 0.75 (the slider's neighbours 0.741, 0.759)
    gives *healthy* with the forward std settled well below 1. Chapter 7: at the edge over 50
    layers the verdict tips between *vanishing* and *healthy* from draw to draw."""
    from test_engine_parity import engine

    selu = dict(activation="selu", init="lecun_normal", depth=100, width=256, batch=64, seed=0)
    edge = dict(activation="tanh", init="lecun_normal", depth=50, width=256, batch=64, scale=1)
    got = engine([("explore", {**selu, "scale": s}, 1) for s in (0.741, 0.759)]
                 + [("explore", {**edge, "seed": s}, 1) for s in range(6)])
    for r in got[:2]:
        assert r["verdict"].startswith("healthy"), r["verdict"]
        assert max(r["sim"]["pre_std"][50:]) < 0.5 * r["sim"]["pre_std"][0]
    tips = {r["verdict"].split(":")[0] for r in got[2:]}
    assert tips == {"vanishing", "healthy"}, tips
