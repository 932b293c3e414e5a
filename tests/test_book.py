"""The book builds with -W from a forced execution, and the HTML holds what a reader needs."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from _book import BUILD, HTML, ROOT, build_book, notebooks, toc_files


@pytest.fixture(scope="module")
def build_log() -> str:
    """One forced build of the whole book; its output."""
    result = build_book()
    log = result.stdout + result.stderr
    assert result.returncode == 0, "jupyter-book build -W -n --keep-going failed:\n" + log[-12000:]
    return log


@pytest.fixture(scope="module")
def html(build_log) -> Path:
    return HTML


def test_build_has_no_warnings(build_log):
    assert "build succeeded" in build_log
    assert not re.findall(r"(?m)^.*WARNING: .*$", build_log), "Sphinx warnings in the build"


@pytest.mark.parametrize("doc", toc_files())
def test_every_toc_page_exists(html, doc):
    page = html / f"{doc}.html"
    assert page.is_file(), f"{doc} is in _toc.yml but {page.name} was not built"
    assert "<h1" in page.read_text(encoding="utf-8")


def _executed(doc: str) -> dict:
    """The executed notebook myst-nb saved for a chapter."""
    path = BUILD / "_build" / "jupyter_execute" / f"{doc}.ipynb"
    assert path.is_file(), f"no executed notebook for {doc}"
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("doc", notebooks())
def test_chapter_pages_hold_their_executed_figures(html, doc):
    nb = _executed(doc)
    outputs = [o for c in nb["cells"] if c["cell_type"] == "code" for o in c.get("outputs", [])]
    assert all(c.get("execution_count") for c in nb["cells"] if c["cell_type"] == "code"), \
        f"{doc}: a code cell was not executed"
    n_figures = sum("image/png" in o.get("data", {}) for o in outputs)
    page = (html / f"{doc}.html").read_text(encoding="utf-8")
    images = re.findall(r'<img[^>]+src="([^"]*_images/[^"]+\.png)"', page)
    assert len(images) >= n_figures, f"{doc}: {n_figures} figures executed, {len(images)} shown"
    for src in images:
        target = (html / doc).parent / src
        assert target.resolve().is_file() and target.stat().st_size > 1000, f"{doc}: broken {src}"


@pytest.mark.parametrize("doc", notebooks())
def test_no_error_or_stderr_in_outputs(html, doc):
    for cell in _executed(doc)["cells"]:
        for out in cell.get("outputs", []):
            assert out["output_type"] != "error", f"{doc}: error output {out.get('ename')}"
            assert out.get("name") != "stderr", f"{doc}: stderr output {out.get('text')!r:.300}"
    page = (html / f"{doc}.html").read_text(encoding="utf-8")
    assert "Traceback (most recent call last)" not in page
    assert 'class="output traceback' not in page and 'class="output stderr' not in page


def test_no_machine_paths_leak(html):
    home = str(Path.home())
    leaks = [str(ROOT), "site-packages", "/tmp/", home + "/"] if home != "/" else [str(ROOT)]
    pages = [p for p in html.rglob("*") if p.suffix in {".html", ".ipynb", ".md", ".txt"}
             and "_static" not in p.parts]
    assert pages
    for page in pages:
        text = page.read_text(errors="replace")
        for leak in leaks:
            assert leak not in text, f"{page.relative_to(html)} contains {leak!r}"


def test_math_is_served_from_the_build(html):
    page = (html / "book" / "intro.html").read_text(encoding="utf-8")
    src = re.search(r'<script[^>]+src="([^"]*MathJax\.js[^"]*)"', page)
    assert src, "no MathJax script on the page"
    assert not src.group(1).startswith(("http:", "https:", "//")), src.group(1)
    assert (html / "_static" / "mathjax" / "MathJax.js").is_file()
    assert (html / "_static" / "mathjax" / "jax" / "output" / "HTML-CSS" / "fonts" / "STIX-Web").is_dir()


def test_pages_need_no_widget_javascript_and_show_snapshots(html):
    """No page pulls ipywidgets' JavaScript from a CDN; each explorer shows a static picture
    without JavaScript: the snapshot of a live explorer (the widget view needs a kernel), or the
    starting state an in-page explorer replaces once its script runs."""
    for doc in notebooks():
        page = (html / f"{doc}.html").read_text(encoding="utf-8")
        assert "html-manager" not in page and "require.min.js" not in page, doc
        assert ('class="initlab-live-snapshot"' in page
                or 'class="initlab-explorer-static"' in page), f"{doc}: no static explorer picture"


def test_citations_link_to_the_bibliography(html):
    """The chapters cite with {eval}`cited("key")` (so that JupyterLab shows them too); the book
    still renders each as sphinxcontrib-bibtex's linked "(Author, year)" with its entry listed."""
    from initlab.citations import bibliography

    refs = bibliography(ROOT / "book" / "references.bib")
    page = (html / "book" / "03-xavier-glorot.html").read_text(encoding="utf-8")
    who, year, _ = refs["glorot2010understanding"]
    link = re.search(rf'<a class="reference internal" href="references.html#[^"]+"[^>]*>{re.escape(who)}, {year}</a>',
                     page)
    assert link, "chapter 3 does not link its Glorot and Bengio citation to the bibliography"
    assert "cited(" not in page and "{eval}" not in page
    bibliography_page = (html / "book" / "references.html").read_text(encoding="utf-8")
    assert "Understanding the difficulty of training deep feedforward neural networks" in bibliography_page
