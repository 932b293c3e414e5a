"""Every figure is described, and every figure's colours survive colour-vision deficiencies.

* The built book: every image on every page has an alt text that says what it shows (a sentence,
  not a file name), and every figure in an executed output carries one (``plots.show``).
* The live explorer's snapshot is described with the numbers of its own simulation.
* ``plots.PALETTE`` keeps every pair of line colours apart under simulated protanopia,
  deuteranopia and tritanopia (Machado, Oliveira & Fernandes 2009, severity 1), where matplotlib's
  default red and green merge; the chapters and figure modules use it rather than named colours.
"""

from __future__ import annotations

import html
import itertools
import json
import re

import matplotlib.colors as mcolors
import numpy as np
import pytest

from initlab import plots, widgets

from _book import BUILD, HTML, ROOT, build_book, notebooks, toc_files

# Machado et al. (2009), severity 1.0, applied to linear RGB.
CVD = {
    "protanopia": [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]],
    "deuteranopia": [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.011820, 0.042940, 0.968881]],
    "tritanopia": [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602], [0.004733, 0.691367, 0.303900]],
}
#: A CIELAB distance (ΔE*ab) below which two line colours are hard to tell apart.
MIN_DELTA_E = 12.0


def _lab(colour, deficiency=None) -> np.ndarray:
    """CIELAB (D65) of a colour as seen with ``deficiency`` (None: normal vision)."""
    srgb = np.array(mcolors.to_rgb(colour))
    linear = np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4)
    if deficiency:
        linear = np.clip(np.array(CVD[deficiency]) @ linear, 0, 1)
    xyz = np.array([[0.4124564, 0.3575761, 0.1804375], [0.2126729, 0.7151522, 0.0721750],
                    [0.0193339, 0.1191920, 0.9503041]]) @ linear / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def _delta_e(a, b, deficiency) -> float:
    return float(np.linalg.norm(_lab(a, deficiency) - _lab(b, deficiency)))


@pytest.mark.parametrize("deficiency", [None, *CVD])
def test_palette_line_colours_stay_apart(deficiency):
    lines = [c for name, c in plots.PALETTE.items() if name != "yellow"]   # yellow: fills only
    worst = min(itertools.combinations(lines, 2), key=lambda pair: _delta_e(*pair, deficiency))
    assert _delta_e(*worst, deficiency) >= MIN_DELTA_E, f"{worst} merge with {deficiency}"


def test_the_check_catches_matplotlibs_red_and_green():
    assert _delta_e("tab:red", "tab:green", "deuteranopia") < MIN_DELTA_E
    assert _delta_e(plots.RED, plots.GREEN, "deuteranopia") >= MIN_DELTA_E


def test_figures_use_the_palette():
    """No chapter or figure module picks matplotlib's named colours (tab:red, "green", ...)."""
    named = re.compile(r"""["'](tab:[a-z]+|red|green|gray|grey|blue|orange|purple)["']""")
    sources = [ROOT / f"{doc}.md" for doc in notebooks()]
    sources += [ROOT / "src" / "initlab" / name for name in ("widgets.py", "training_widget.py")]
    found = {p.name: named.findall(p.read_text(encoding="utf-8")) for p in sources}
    assert not {k: v for k, v in found.items() if v}, f"named colours instead of initlab.plots' palette: {found}"


def test_live_explorer_snapshot_is_described_by_its_simulation():
    explorer = widgets.explore(activation="relu", init="glorot_normal", depth=30)
    page = explorer._repr_mimebundle_()["text/html"]
    alt = html.unescape(re.search(r'<img alt="([^"]+)"', page).group(1))
    sim = explorer.simulation
    assert "30 relu layers" in alt and "glorot_normal" in alt
    assert f"to {sim.pre_std[-1]:.2g} at layer 30" in alt, alt
    assert widgets.verdict(sim) in alt


def _is_description(alt: str) -> bool:
    words = alt.split()
    return len(words) >= 4 and not re.search(r"\.(png|jpe?g|svg|gif)\b|_images/|^\.\./", alt)


@pytest.fixture(scope="module")
def html_dir():
    result = build_book()
    assert result.returncode == 0, "the book did not build; see test_book.py"
    return HTML


@pytest.mark.parametrize("doc", toc_files())
def test_every_image_on_the_page_is_described(html_dir, doc):
    page = (html_dir / f"{doc}.html").read_text(encoding="utf-8")
    article = page[page.index("<article"):page.rindex("</article>")]   # the content, not the theme's icons
    for tag in re.findall(r"<img\b[^>]*>", article):
        alt = re.search(r'\balt="([^"]*)"', tag)
        src = re.search(r'\bsrc="([^"]{0,80})', tag)
        assert alt and _is_description(html.unescape(alt.group(1))), \
            f"{doc}: image {src.group(1) if src else tag[:80]!r} has alt {alt.group(1) if alt else None!r}"


@pytest.mark.parametrize("doc", notebooks())
def test_every_executed_figure_carries_its_description(html_dir, doc):
    nb = json.loads((BUILD / "_build" / "jupyter_execute" / f"{doc}.ipynb").read_text(encoding="utf-8"))
    for index, cell in enumerate(nb["cells"]):
        cell_alt = cell.get("metadata", {}).get("mystnb", {}).get("image", {}).get("alt")
        for out in cell.get("outputs", []):
            if "image/png" in out.get("data", {}):
                alt = out.get("metadata", {}).get("image/png", {}).get("alt") or cell_alt
                assert alt and _is_description(alt), \
                    f"{doc}, cell {index}: a figure without a description; end the cell with plots.show(fig, alt)"
