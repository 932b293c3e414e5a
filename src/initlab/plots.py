"""The course's figure style and the small axes helpers its chapters share.

Every chapter starts with :func:`setup`, so its figures share one look; the helpers draw what
several chapters draw the same way. Learner-facing, light: matplotlib only, no TensorFlow.

>>> import matplotlib.pyplot as plt
>>> with plt.rc_context():        # rc_context puts matplotlib's defaults back afterwards
...     setup()
...     print(plt.rcParams["axes.spines.top"])
False
"""

from __future__ import annotations

import matplotlib as mpl
import numpy as np
from matplotlib.ticker import FuncFormatter, LogLocator, NullLocator

__all__ = ["STYLE", "setup", "plain_log_y", "band"]

#: The rcParams every chapter's figures use: a modest resolution, no top and right spines.
STYLE = {"figure.dpi": 90, "axes.spines.top": False, "axes.spines.right": False}


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
    >>> band(ax, runs, "loss", "tab:blue", "he_normal")
    >>> [float(v) for v in ax.lines[0].get_ydata()]
    [2.1, 0.9]
    """
    values = np.array([r.history[key] for r in runs], dtype=np.float64)
    epochs = np.arange(start, start + values.shape[1])
    ax.plot(epochs, values.mean(0), "o-", ms=3, color=colour, label=label)
    ax.fill_between(epochs, values.min(0), values.max(0), color=colour, alpha=0.2)
