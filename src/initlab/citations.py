"""Citations that read alike in the book, in JupyterLab and in the plain notebooks.

A chapter cites with the ``{eval}`` role around ``cited("glorot2010understanding")`` (several
keys separated by commas). Each place a chapter is read shows a citation:

* the rendered book reads the role as sphinxcontrib-bibtex's ``{cite:p}`` (a linked
  "(Glorot and Bengio, 2010)" and an entry in the bibliography; ``book/_ext/learner_notebooks.py``);
* JupyterLab (jupyterlab-myst, which has no bibliography) evaluates :func:`cited` in the kernel,
  which reads the book's ``references.bib`` and writes the same "(Author, year)";
* the downloadable and Colab notebooks carry that text itself.

Authors are cited as the book cites them: one or two last names, or the first one and "et al.".
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

__all__ = ["bibliography", "cite_text", "cited"]

BIBFILE = "references.bib"


def bibliography(bibfile: str | Path) -> dict[str, tuple[str, str, str]]:
    """``key -> (authors as cited, year, title)`` for every entry of a BibTeX file.

    >>> refs = bibliography(Path(__file__).parents[2] / "book" / "references.bib")
    >>> refs["glorot2010understanding"][:2]
    ('Glorot and Bengio', '2010')
    """
    from pybtex.database import parse_file

    def last(person) -> str:
        return " ".join(person.last_names).replace("{", "").replace("}", "")

    cites = {}
    for key, entry in parse_file(str(bibfile)).entries.items():
        people = entry.persons.get("author") or entry.persons.get("editor") or []
        names = [last(p) for p in people]
        who = (names[0] if len(names) == 1 else f"{names[0]} and {names[1]}" if len(names) == 2
               else f"{names[0]} et al." if names else key)
        title = entry.fields.get("title", "").replace("{", "").replace("}", "")
        cites[key] = (who, entry.fields.get("year", "n.d."), title)
    return cites


def cite_text(keys: str, cites: dict[str, tuple[str, str, str]], textual: bool = False) -> str:
    """``"(Author, year; Author, year)"`` for comma-separated ``keys``; ``textual``: "Author (year)".

    >>> cite_text("a, b", {"a": ("Glorot and Bengio", "2010", ""), "b": ("He et al.", "2015", "")})
    '(Glorot and Bengio, 2010; He et al., 2015)'
    >>> cite_text("a", {"a": ("Glorot and Bengio", "2010", "")}, textual=True)
    'Glorot and Bengio (2010)'
    """
    if not isinstance(keys, str):
        raise TypeError(f"citation keys must be a str such as 'glorot2010understanding', not {keys!r}")
    wanted = [k.strip() for k in keys.split(",")]
    missing = [k for k in wanted if k not in cites]
    if missing:
        raise KeyError(f"citation keys not in the bibliography: {missing}")
    if textual:
        return "; ".join(f"{cites[k][0]} ({cites[k][1]})" for k in wanted)
    return "(" + "; ".join(f"{cites[k][0]}, {cites[k][1]}" for k in wanted) + ")"


@cache
def _book_bibliography(folder: Path) -> dict[str, tuple[str, str, str]]:
    for candidate in (folder / BIBFILE, folder / "book" / BIBFILE):
        if candidate.is_file():
            return bibliography(candidate)
    raise FileNotFoundError(f"no {BIBFILE} in {folder} or its book/ folder: open the chapter from the course's "
                            "book/ folder, where its bibliography is")


def cited(keys: str) -> str:
    """The citation a chapter's text shows in a notebook: ``"(Author, year)"`` from the book's
    ``references.bib`` (in the working folder, the chapter's, or its ``book/`` folder).

    >>> import os; here = os.getcwd(); os.chdir(Path(__file__).parents[2])
    >>> cited("glorot2010understanding")
    '(Glorot and Bengio, 2010)'
    >>> os.chdir(here)
    """
    return cite_text(keys, _book_bibliography(Path.cwd().resolve()))
