"""The course's figure style, its colour-blind-safe palette, and the small helpers its chapters share.

Every chapter starts with :func:`setup`, so its figures share one look and one palette; the helpers
draw what several chapters draw the same way, and :func:`show` displays a figure with a description
of what it shows (its alt text, read aloud by screen readers). Learner-facing, light: matplotlib
only, no TensorFlow.

>>> import matplotlib.pyplot as plt
>>> with plt.rc_context():        # rc_context puts matplotlib's defaults back afterwards
...     setup()
...     print(plt.rcParams["axes.spines.top"], plt.rcParams["axes.prop_cycle"].by_key()["color"][0])
False #0072B2
"""

from __future__ import annotations

import base64
import io

import matplotlib as mpl
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, NullLocator

__all__ = ["BLACK", "BLUE", "GREEN", "GREY", "ORANGE", "PALETTE", "PURPLE", "RED", "SKY", "STYLE", "YELLOW",
           "band", "figure_bundle", "plain_log_y", "setup", "show"]

#: The Okabe–Ito palette (Okabe and Ito 2008, Color Universal Design). Its eight colours stay
#: distinguishable with the common colour-vision deficiencies (red–green and blue–yellow); the
#: figures cycle through them in this order. Here "red" is Okabe–Ito's vermillion and "green" its
#: bluish green, which differ in lightness as well as hue, unlike matplotlib's default red and green.
PALETTE = {"blue": "#0072B2", "orange": "#E69F00", "green": "#009E73", "red": "#D55E00",
           "purple": "#CC79A7", "sky": "#56B4E9", "black": "#000000", "yellow": "#F0E442"}
BLUE, ORANGE, GREEN, RED = PALETTE["blue"], PALETTE["orange"], PALETTE["green"], PALETTE["red"]
PURPLE, SKY, YELLOW, BLACK = PALETTE["purple"], PALETTE["sky"], PALETTE["yellow"], PALETTE["black"]
#: A neutral grey for reference lines and context, not one of the eight.
GREY = "#8C8C8C"

#: The rcParams every chapter's figures use. A modest resolution, no top and right spines, and
#: PALETTE as the colour cycle (the first line is blue, the second orange, and so on).
STYLE = {"figure.dpi": 90, "axes.spines.top": False, "axes.spines.right": False,
         "axes.prop_cycle": mpl.cycler(color=list(PALETTE.values()))}


def setup() -> None:
    """Apply :data:`STYLE` to matplotlib's defaults; call it once at the top of a chapter.

    Examples
    --------
    >>> import matplotlib as mpl
    >>> with mpl.rc_context():       # rc_context puts matplotlib's defaults back afterwards
    ...     setup()
    ...     print(mpl.rcParams["figure.dpi"], mpl.rcParams["axes.spines.right"])
    90.0 False
    """
    mpl.rcParams.update(STYLE)


def figure_bundle(fig, alt: str) -> tuple[dict, dict]:
    """The display data of ``fig`` as a PNG described by ``alt``: ``(data, metadata)``.

    ``data`` holds the PNG (base64, as notebooks store it) and ``alt`` as its plain-text form;
    ``metadata`` carries ``alt`` next to the image, where the book's build reads it as the image's
    alt text (``book/_ext/figure_alt.py``). ``alt`` says what the figure shows, in a sentence, not
    a file name: "std of z per layer on a log axis: Glorot falls to 4e-5 by layer 30, He stays
    near 1". Use :func:`show` in a chapter; this is its pure part.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> fig = Figure(figsize=(2, 1))
    >>> _ = fig.subplots().plot([0, 1], [0, 1])
    >>> data, metadata = figure_bundle(fig, "a line rising from 0 to 1")
    >>> data["text/plain"], metadata
    ('a line rising from 0 to 1', {'image/png': {'alt': 'a line rising from 0 to 1'}})
    >>> base64.b64decode(data["image/png"])[:4]
    b'\\x89PNG'
    >>> figure_bundle(fig, "fig1.png")  # doctest: +NORMALIZE_WHITESPACE
    Traceback (most recent call last):
    ...
    ValueError: alt text must say what the figure shows in a sentence (at least 4 words), not a file name;
    got 'fig1.png'
    """
    if not isinstance(fig, Figure):
        raise TypeError(f"fig must be a matplotlib Figure (e.g. from plt.subplots()), not {type(fig).__name__}")
    if not isinstance(alt, str):
        raise TypeError(f"alt must be a str describing what the figure shows, not {type(alt).__name__}")
    alt = " ".join(alt.split())
    if len(alt.split()) < 4 or alt.lower().endswith((".png", ".svg", ".jpg", ".jpeg", ".pdf")):
        raise ValueError("alt text must say what the figure shows in a sentence (at least 4 words), "
                         f"not a file name; got {alt!r}")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight")   # as Jupyter's inline backend draws it
    png = base64.b64encode(buffer.getvalue()).decode("ascii")
    return {"image/png": png, "text/plain": alt}, {"image/png": {"alt": alt}}


def show(fig, alt: str) -> None:
    """Display ``fig`` with ``alt`` as its description, and close it (so it is not shown twice).

    Ends every figure cell of the chapters, in place of letting Jupyter draw the figure: screen
    readers read ``alt`` where the page shows the picture. Write ``alt`` as the reader would
    describe the figure, with the numbers that matter formatted from the computation. Outside
    Jupyter it prints ``alt``.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> _ = ax.plot([1, 2, 4])
    >>> show(fig, f"a line that doubles each step, ending at {4}")
    a line that doubles each step, ending at 4
    >>> plt.fignum_exists(fig.number)
    False
    """
    import matplotlib.pyplot as plt
    from IPython import get_ipython
    from IPython.display import display

    described = _Described(*figure_bundle(fig, alt))
    plt.close(fig)
    if get_ipython() is None:       # plain Python: say what the figure shows
        print(described)
    else:
        display(described)


class _Described:
    """A figure's display data; Jupyter shows the PNG, plain-text output its description."""

    def __init__(self, data: dict, metadata: dict):
        self.data, self.metadata = data, metadata

    def _repr_mimebundle_(self, include=None, exclude=None):
        return self.data, self.metadata

    def __repr__(self) -> str:
        return self.data["text/plain"]


def plain_log_y(ax, subs=(1.0, 2.0, 5.0)) -> None:
    """Make ``ax``'s y axis logarithmic, labelled 0.2, 0.5, 1, 2 instead of 2×10⁻¹.

    >>> from matplotlib.figure import Figure
    >>> ax = Figure().subplots()
    >>> plain_log_y(ax)
    >>> ax.get_yscale()
    'log'
    """
    ax.set_yscale("log")
    ax.yaxis.set_major_locator(LogLocator(subs=subs))
    ax.yaxis.set_minor_locator(NullLocator())
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))


def band(ax, runs, key, colour, label, start=1) -> None:
    """Plot ``run.history[key]`` of several training runs (one per seed) against the epoch: the
    mean as a line with markers, min–max as a shaded band. ``start`` is the first epoch's number.

    >>> from types import SimpleNamespace
    >>> from matplotlib.figure import Figure
    >>> ax = Figure().subplots()
    >>> runs = [SimpleNamespace(history={"loss": [2.0, 1.0]}), SimpleNamespace(history={"loss": [2.2, 0.8]})]
    >>> band(ax, runs, "loss", BLUE, "he_normal")
    >>> [float(v) for v in ax.lines[0].get_ydata()]
    [2.1, 0.9]
    """
    values = np.array([r.history[key] for r in runs], dtype=np.float64)
    epochs = np.arange(start, start + values.shape[1])
    ax.plot(epochs, values.mean(0), "o-", ms=3, color=colour, label=label)
    ax.fill_between(epochs, values.min(0), values.max(0), color=colour, alpha=0.2)
