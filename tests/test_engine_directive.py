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
