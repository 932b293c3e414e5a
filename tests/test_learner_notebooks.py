"""The chapters as plain notebooks (downloads, Colab) read like the book; their numbers agree.

The conversion lives in ``book/_ext/learner_notebooks.py``. These tests check it on small MyST
samples, on every chapter (no MyST left, solutions collapsed, code unchanged, the Colab cell only
acting in Colab), that initlab.glue formats exactly as myst-nb does, and that the committed Colab
notebooks in ``notebooks/`` are what the conversion makes from the current sources and a fresh
build (numbers may differ by one unit in their last shown digit).
"""

from __future__ import annotations

import math
import re
import sys

import nbformat
import pytest
from myst_nb.core.variables import format_plain_text as myst_nb_format

from _book import ROOT, build_book, notebooks

sys.path.insert(0, str(ROOT / "book" / "_ext"))
import learner_notebooks as ln

from initlab import glue as initlab_glue

MYST_MARKERS = ("{eval}", "{glue", "{cite", "{mod}", "{func}", "{ref}", "{term}", ":class:", ":label:", ":nonumber:",
                "```{", "````{")
CHAPTERS = notebooks()
NUMBER = re.compile(r"[−-]?\d+(?:\.\d+)?(?:e[+−-]?\d+)?")


def _source(doc: str) -> str:
    return (ROOT / f"{doc}.md").read_text(encoding="utf-8")


def _fake_values(source: str) -> dict[str, str]:
    return {m["key"].rsplit(":", 1)[0]: "0.5" for m in ln.GLUED.finditer(source)}


def _convert(doc: str, values=None, executed=None) -> nbformat.NotebookNode:
    source = _source(doc)
    repository, branch = ln.repository_from_config(ROOT / "_config.yml")
    return ln.learner_notebook(source, values if values is not None else _fake_values(source),
                               ln.bibliography(ROOT / "book" / "references.bib"), repository, branch,
                               executed, outputs=False, titles=ln.section_titles(ROOT / "book"))


# --- the pieces --------------------------------------------------------------------------------

@pytest.mark.parametrize("value", [0.5623351446188083, 2.9841524845294114e-07, 30, 1234567, -0.25,
                                   "glorot_uniform", 0.83, True])
@pytest.mark.parametrize("spec", ["", ".2f", ".1e", ".0%", ".3g", "s"])
def test_numbers_read_the_same_in_the_book_jupyterlab_and_the_notebooks(value, spec):
    if isinstance(value, str) and spec not in ("", "s"):
        pytest.skip("a text value takes no number format")
    initlab_glue.glue("v", value, display=False)
    key = f"v:{spec}" if spec else "v"
    book = myst_nb_format(repr(value), spec or "s")
    assert initlab_glue.glued(key) == book
    assert ln.fill_numbers(f'{{eval}}`glued("{key}")`', {"v": repr(value)}) == book


def test_glued_names_what_is_valid():
    with pytest.raises(ValueError, match="no value named 'nope'"):
        initlab_glue.glued("nope:.2f")
    with pytest.raises(TypeError, match="must be a str"):
        initlab_glue.glued(3)


def test_boxes_exercises_and_solutions_become_plain_markdown():
    text = ("```{admonition} Myths corrected\n:class: warning\n\nA **myth**.\n```\n\n"
            "```{exercise} Which parameters learn?\n:nonumber:\n:label: ex-a\n\nGive the set.\n```\n\n"
            "````{solution} ex-a\n:class: dropdown\n\nOnly `b2`:\n\n```python\nx = 1\n```\n````\n")
    out = ln.plain_markdown(text, ln.exercise_titles(text))
    assert out.startswith("> **Myths corrected**\n>\n> A **myth**.")
    assert "> **Exercise: Which parameters learn?**\n>\n> Give the set." in out
    assert ("<details>\n<summary>Solution: Which parameters learn? (click to show)</summary>\n\n"
            "Only `b2`:\n\n```python\nx = 1\n```\n\n</details>") in out
    assert not any(marker in out for marker in MYST_MARKERS)


def test_folded_admonitions_stay_folded():
    """Hints and "Going deeper" boxes are dropdowns on the page, so collapsed in the notebook."""
    text = ("```{admonition} Hint\n:class: dropdown hint\n\nTry $n = 3$.\n```\n\n"
            "```{admonition} Going deeper: why\n:class: dropdown\n\nBecause.\n```\n\n"
            "```{admonition} Open\n:class: tip\n\nShown.\n```\n")
    out = ln.plain_markdown(text, {})
    assert "<details>\n<summary>Hint (click to show)</summary>\n\nTry $n = 3$.\n\n</details>" in out
    assert "<details>\n<summary>Going deeper: why (click to show)</summary>\n\nBecause.\n\n</details>" in out
    assert "> **Open**\n>\n> Shown." in out
    assert out.count("<details>") == 2


def test_an_unknown_directive_is_an_error_naming_it():
    with pytest.raises(ValueError, match=r"\{figure\}"):
        ln.plain_markdown("```{figure} a.png\n:alt: x\n```", {})


def test_citations_and_code_roles():
    cites = ln.bibliography(ROOT / "book" / "references.bib")
    who, year, _ = cites["glorot2010understanding"]
    text = ln.plain_roles("see {cite:p}`glorot2010understanding` and {func}`initlab.glue.glued`", cites)
    assert text == f"see ({who}, {year}) and `initlab.glue.glued()`"
    assert ln.plain_roles("{mod}`~initlab.tinynet`", cites) == "`tinynet`"
    titles = ln.section_titles(ROOT / "book")
    assert ln.plain_roles("listed in {ref}`notation`", cites, titles) == f"listed in *{titles['notation']}*"
    assert ln.plain_roles("{term}`telescopes <telescope>` and {term}`variance`", cites) == "telescopes and variance"
    with pytest.raises(KeyError, match="nobody1999"):
        ln.plain_roles("{cite:p}`nobody1999`", cites)
    # The chapters cite as {eval}`cited("keys")`, which JupyterLab evaluates: plain text here too.
    he = cites["he2015delving"]
    both = ln.plain_roles('see {eval}`cited("glorot2010understanding, he2015delving")`.', cites)
    assert both == f"see ({who}, {year}; {he[0]}, {he[1]})."
    with pytest.raises(KeyError, match="nobody1999"):
        ln.plain_roles('{eval}`cited("nobody1999")`', cites)


def test_colab_links_come_from_the_repository_setting():
    repository, branch = ln.repository_from_config(ROOT / "_config.yml")
    url = ln.colab_url(repository, branch, "01-what-not-to-do")
    org_repo = repository.split("github.com/", 1)[1]
    assert url == (f"https://colab.research.google.com/github/{org_repo}/blob/{branch}/"
                   "notebooks/01-what-not-to-do.ipynb")


def test_the_colab_cell_only_acts_in_colab():
    cell = ln.colab_cell("https://github.com/o/r", "main")
    namespace: dict = {}
    sys.modules.pop("google.colab", None)
    exec(compile(cell.source, "colab-cell", "exec"), namespace)     # outside Colab: nothing at all
    assert "subprocess" not in namespace and "output" not in namespace
    assert "initlab @ git+https://github.com/o/r@main" in cell.source


#: A box the page folds: an admonition whose options include ``:class: ... dropdown``.
FOLDED_BOX = re.compile(r"(?m)^(?:`{3,}|:{3,})\{(?:admonition|note|tip|hint)\}.*\n"
                        r"(?::[\w-]+:.*\n)*?:class:.*\bdropdown\b")

# --- every chapter -----------------------------------------------------------------------------

@pytest.mark.parametrize("doc", CHAPTERS)
def test_every_chapter_converts_to_plain_markdown(doc):
    source = _source(doc)
    assert "{glue:" not in source, f"{doc}: use {{eval}}`glued(\"name:spec\")`, which JupyterLab renders"
    nb = _convert(doc)
    markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    left = [m for m in MYST_MARKERS if m in markdown]
    assert not left, f"{doc}: MyST left in the plain notebook: {left}"
    folded = len(FOLDED_BOX.findall(source))
    questions = source.count("```{initlab-question}")
    assert markdown.count("<details>") == source.count("{solution}") + folded + questions
    assert markdown.count("> **Predict, then check**") == questions
    hints = source.count("```{admonition} Hint\n:class: dropdown hint\n")
    assert markdown.count("<summary>Hint (click to show)</summary>") == hints
    assert markdown.count("> **Exercise: ") == source.count("```{exercise}")
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    assert code[0] == ln.colab_cell(*ln.repository_from_config(ROOT / "_config.yml")).source
    original = [c.source for c in __import__("jupytext").reads(source, fmt="md:myst").cells
                if c.cell_type == "code"]
    assert code[1:] == original, f"{doc}: the code cells must be the chapter's own"


# --- the committed Colab notebooks and the book's downloads --------------------------------------

def _executed_dir():
    assert build_book().returncode == 0, "the book did not build; see test_book.py"
    from _book import BUILD

    return BUILD / "_build" / "jupyter_execute" / "book"


def _same_up_to_rounding(committed: str, fresh: str) -> bool:
    """Equal text, where each number may differ by one unit in its last shown digit (another CPU
    may round a training result the other way), and numbers below 1e-12 on both sides count as
    equal: at that size they are float rounding (e.g. "1 to within 1e-15"), which depends on the
    CPU's BLAS kernels digit for digit."""
    a, b = NUMBER.split(committed), NUMBER.split(fresh)
    if a != b:
        return False
    for x, y in zip(NUMBER.findall(committed), NUMBER.findall(fresh)):
        x, y = x.replace("−", "-"), y.replace("−", "-")
        decimals = len(x.split("e")[0].partition(".")[2])
        unit = 10.0 ** -decimals * (10.0 ** int(x.split("e")[1]) if "e" in x else 1.0)
        if max(abs(float(x)), abs(float(y))) < 1e-12:
            continue
        if not math.isclose(float(x), float(y), abs_tol=unit * 1.0001):
            return False
    return True


@pytest.mark.parametrize("doc", CHAPTERS)
def test_committed_colab_notebook_is_fresh(doc):
    name = doc.split("/")[-1]
    committed_path = ROOT / ln.NOTEBOOK_DIR / f"{name}.ipynb"
    assert committed_path.exists(), f"{committed_path.name} missing: run `make notebooks`"
    executed_path = _executed_dir() / f"{name}.ipynb"
    executed = nbformat.read(executed_path, as_version=4)
    fresh = _convert(doc, ln.glue_values(executed, executed_path.with_suffix(".glue.json")))
    committed = nbformat.read(committed_path, as_version=4)
    assert len(committed.cells) == len(fresh.cells), f"{name}: stale, run `make notebooks`"
    for i, (c, f) in enumerate(zip(committed.cells, fresh.cells)):
        assert c.cell_type == f.cell_type and not c.get("outputs"), f"{name} cell {i}: run `make notebooks`"
        assert _same_up_to_rounding(c.source, f.source), f"{name} cell {i} is stale: run `make notebooks`"


@pytest.mark.parametrize("doc", CHAPTERS)
def test_the_books_download_is_the_converted_executed_notebook(doc):
    from _book import HTML

    _executed_dir()
    name = doc.split("/")[-1]
    nb = nbformat.read(HTML / "_sources" / "book" / f"{name}.ipynb", as_version=4)
    markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert not [m for m in MYST_MARKERS if m in markdown]
    assert any(o.get("output_type") == "display_data" for c in nb.cells for o in c.get("outputs", []))
    page = (HTML / f"{doc}.html").read_text(encoding="utf-8")
    repository, branch = ln.repository_from_config(ROOT / "_config.yml")
    assert ln.colab_url(repository, branch, name) in page
    assert f"_sources/book/{name}.ipynb" in page
