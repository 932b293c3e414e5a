"""Numbers computed in a cell, shown in the text, so that the book and the notebook read alike.

A chapter computes a number in a code cell and names it, ``glue("ratio", r)``; its text then
says ``{eval}`glued("ratio:.2e")` ``. Each place a chapter is read shows the same digits:

* the rendered book pastes the value the build computed (``book/_ext/learner_notebooks.py`` reads
  the ``{eval}`` role as myst-nb's ``{glue:text}``, which this :func:`glue` feeds);
* JupyterLab (with jupyterlab-myst) evaluates ``glued("ratio:.2e")`` in the kernel when the
  Markdown cell runs, so Run All fills in every number;
* the downloadable and Colab notebooks carry the formatted text itself.

All three format alike: the value's plain-text form (what a notebook displays), then Python's
format specification (``.2e``, ``.0%``, ``d``, ...), as myst-nb's ``{glue:text}`` does.
"""

from __future__ import annotations

from ast import literal_eval
from typing import Any

__all__ = ["glue", "glued", "format_plain_text"]

GLUE_PREFIX = "application/papermill.record/"   # myst-nb's marker for a stored, undisplayed value
_VALUES: dict[str, Any] = {}


def _plain_text(value: Any) -> tuple[dict, dict]:
    """The value's display bundle and metadata, as the running kernel would show it."""
    try:
        from IPython import get_ipython
        from IPython.core.formatters import format_display_data
    except ImportError:
        return {"text/plain": repr(value)}, {}
    if get_ipython() is None:
        return {"text/plain": repr(value)}, {}
    return format_display_data(value)


def glue(name: str, value: Any, display: bool = True) -> None:
    """Keep ``value`` under ``name`` for the text of the chapter, and record it for the book.

    The book build finds it exactly as it finds myst-nb's ``glue`` (same display message), and
    :func:`glued` finds it in the kernel. Use it for every number a sentence of a chapter states.

    Args:
        name: the key the text uses, e.g. ``"he_ratio"``.
        value: any object; numbers are formatted by the text's format specification.
        display: also show the value under the cell, as myst-nb's glue does by default.

    >>> glue("depth", 30, display=False)
    >>> glued("depth")
    '30'
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"glue: the name must be a non-empty str, not {name!r}")
    _VALUES[name] = value
    try:
        from IPython import get_ipython
        from IPython.display import display as show
    except ImportError:
        return
    if get_ipython() is None:
        return
    bundle, metadata = _plain_text(value)
    prefix = "" if display else GLUE_PREFIX
    metadata["scrapbook"] = {"name": name, "mime_prefix": prefix}
    show({prefix + k: v for k, v in bundle.items()}, raw=True, metadata=metadata)


def format_plain_text(text: str, spec: str) -> str:
    """Format a value's plain-text form by a format specification, as myst-nb's ``{glue:text}``.

    The text is read back as a Python literal where it is one (so ``'abc'`` loses its quotes);
    the last character of ``spec`` says how to convert it: ``s`` str, ``d``/``x``/... int,
    ``e``/``f``/``g``/``%``/... float.

    >>> format_plain_text("0.123456", ".1%")
    '12.3%'
    >>> format_plain_text("'glorot_uniform'", "")
    'glorot_uniform'
    """
    try:
        value = literal_eval(text)
    except (SyntaxError, ValueError):
        value = text
    if spec == "":
        return str(value)
    kind = spec[-1]
    if kind == "s":
        value = str(value)
    elif kind in "bcdoxX":
        value = int(value)
    elif kind in "eEfFgGn%":
        value = float(value)
    return format(value, spec)


def glued(key: str) -> str:
    """The text of a glued value: ``"name"`` or ``"name:spec"`` with a Python format spec.

    This is what ``{eval}`glued("name:spec")` `` shows in a chapter's text.

    >>> glue("he_ratio", 0.8123, display=False)
    >>> glued("he_ratio:.2f"), glued("he_ratio:.0%")
    ('0.81', '81%')
    """
    if not isinstance(key, str):
        raise TypeError(f"glued: the key must be a str like 'name' or 'name:.2f', not {key!r}")
    name, spec = (key.rsplit(":", 1) + [""])[:2]
    if name not in _VALUES:
        known = ", ".join(sorted(_VALUES)) or "none yet: run the cells above first"
        raise ValueError(f"glued: no value named {name!r}; glued so far: {known}")
    bundle, _ = _plain_text(_VALUES[name])
    return format_plain_text(bundle.get("text/plain", repr(_VALUES[name])), spec)
