"""`make pdf`'s route prints the whole book: its pages, chapter titles, typeset math, figures and
exercise solutions are in the PDF.

The test prints the chapters that the test build (``_book.build_book``) already executed: their
executed notebooks replace the MyST sources in a copy of the book, which is built as one HTML page
without executing anything and printed by ``tools/book_pdf.py`` in headless Chromium, offline.
Locally the test skips, with its reason, when Chromium or poppler's pdftotext is missing; in CI
(``CI`` set; ``.ci/run`` installs both) a missing tool is a failure.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import sys

import pytest

from _book import BUILD, ROOT, build_book, notebooks, toc_files, venv_bin

PDF_BUILD = ROOT / "_build" / "test-pdf"
TOOLS = ("pdftotext", "pdfinfo", "pdfimages")


def _require_tools():
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    missing = [t for t in TOOLS if not shutil.which(t)] + ([] if chromium else ["chromium"])
    if not missing:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{missing} not installed; .ci/run installs chromium and poppler-utils")
    pytest.skip(f"{missing} not found: install chromium and poppler-utils to print the PDF")


def _executed_copy():
    """A copy of the book whose chapters are the test build's executed notebooks, with execution
    off in its config: rendering it runs no code."""
    executed = BUILD / "_build" / "jupyter_execute"
    source = PDF_BUILD / "book-source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        "_build", ".venv", ".git", "tests", "bench", "assignments", "*.ipynb", ".ipynb_checkpoints",
        "__pycache__", ".*cache"))
    for doc in notebooks():
        (source / f"{doc}.md").unlink()
        nb = json.loads((executed / f"{doc}.ipynb").read_text(encoding="utf-8"))
        for cell in nb["cells"]:
            if cell["cell_type"] == "code":
                cell["outputs"] = _merged_streams(cell["outputs"])
        nb["cells"].append(_glue_cell(executed / f"{doc}.glue.json"))
        nb["metadata"].pop("source_map", None)     # the .md's line numbers; the copy has its own
        (source / f"{doc}.ipynb").write_text(_relink(json.dumps(nb)), encoding="utf-8")
    for page in source.glob("book/*.md"):
        page.write_text(_relink(page.read_text(encoding="utf-8")), encoding="utf-8")
    config = (source / "_config.yml").read_text(encoding="utf-8")
    config, n = re.subn(r"(?m)^(\s*execute_notebooks:\s*)cache\b", r"\1'off'", config)
    assert n == 1
    (source / "_config.yml").write_text(config, encoding="utf-8")
    return source


def _relink(text: str) -> str:
    """Links to a chapter's .md point to its .ipynb in the copy."""
    for doc in notebooks():
        name = doc.rsplit("/", 1)[-1]
        text = text.replace(f"({name}.md", f"({name}.ipynb").replace(f"(book/{name}.md", f"(book/{name}.ipynb")
    return text


def _merged_streams(outputs: list) -> list:
    """myst-nb merges a cell's stream outputs into the first one (nb_merge_streams) and saves the
    notebook with that first stream already holding all the text; keep only it, or rendering the
    saved notebook again would print the later lines twice."""
    seen = set()
    kept = []
    for out in outputs:
        if out.get("output_type") == "stream":
            if out["name"] in seen:
                continue
            seen.add(out["name"])
        kept.append(out)
    return kept


def _glue_cell(path) -> dict:
    """myst-nb moves glued values out of the executed notebook into ``<doc>.glue.json``; a removed
    cell puts them back as the outputs that ``glue(..., display=False)`` made."""
    glued = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    outputs = [{**out, "data": {out["metadata"]["scrapbook"]["mime_prefix"] + mime: value
                                for mime, value in out["data"].items()}} for out in glued.values()]
    return {"cell_type": "code", "execution_count": 1, "id": "glued-values", "source": "",
            "metadata": {"tags": ["remove-cell"]}, "outputs": outputs}


@pytest.fixture(scope="module")
def pdf():
    _require_tools()
    assert build_book().returncode == 0, "the book did not build; see test_book.py"
    shutil.rmtree(PDF_BUILD, ignore_errors=True)
    source = _executed_copy()
    built = subprocess.run(
        [venv_bin("jupyter-book"), "build", str(source), "--builder", "singlehtml",
         "--path-output", str(PDF_BUILD), "-W", "-n", "--keep-going"],
        capture_output=True, text=True, timeout=1800, env=dict(os.environ, PYTHONHASHSEED="0"))
    assert built.returncode == 0, built.stdout[-4000:] + built.stderr[-4000:]
    out = PDF_BUILD / "init-lab.pdf"
    printed = subprocess.run([sys.executable, str(ROOT / "tools" / "book_pdf.py"),
                              str(PDF_BUILD / "_build" / "singlehtml"), str(out)],
                             capture_output=True, text=True, timeout=900)
    assert printed.returncode == 0, printed.stdout + printed.stderr
    return out


def _text(pdf) -> str:
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout


def _title(doc: str) -> str:
    """A document's title, as the first '# ' heading of its source."""
    text = (ROOT / f"{doc}.md").read_text(encoding="utf-8")
    return re.search(r"(?m)^# (.+)$", text).group(1).strip()


def test_pdf_holds_every_chapter(pdf):
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    pages = int(re.search(r"(?m)^Pages:\s+(\d+)", info).group(1))
    assert pages >= 5 * len(notebooks()), f"only {pages} pages for {len(notebooks())} chapters"
    text = " ".join(_text(pdf).split())
    for doc in toc_files():
        words = " ".join(re.sub(r"[`*_]", "", _title(doc)).split())
        assert words in text, f"{doc}: its title {words!r} is not in the PDF"


def test_math_is_typeset_not_raw(pdf):
    text = _text(pdf)
    assert "MathJax" not in text, "MathJax's loading or error messages were printed"
    # Every formula of the page, as TeX between MathJax's delimiters: none may be printed raw.
    page = max((PDF_BUILD / "_build" / "singlehtml").glob("**/*.html"), key=lambda p: p.stat().st_size)
    formulas = re.findall(r'class="math[^"]*">\s*(\\[(\[].*?\\[)\]])\s*</', page.read_text(encoding="utf-8"), re.S)
    assert len(formulas) > 100, f"only {len(formulas)} formulas found in the page"
    flat = "".join(text.split())
    raw = [f for f in formulas if "".join(html.unescape(f).split()) in flat]
    assert not raw, f"{len(raw)} formulas printed as raw TeX, e.g. {raw[:3]}"


def test_figures_and_solutions_are_printed(pdf):
    n_figures = 0
    for doc in notebooks():
        nb = json.loads((BUILD / "_build" / "jupyter_execute" / f"{doc}.ipynb").read_text(encoding="utf-8"))
        n_figures += sum("image/png" in o.get("data", {}) for c in nb["cells"] for o in c.get("outputs", []))
    images = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, text=True, check=True).stdout
    n_images = sum(1 for line in images.splitlines()[2:] if " image " in line)
    assert n_images >= n_figures > 0, f"{n_figures} executed figures, {n_images} images in the PDF"
    text = " ".join(_text(pdf).split())
    sources = " ".join((ROOT / f"{doc}.md").read_text(encoding="utf-8") for doc in toc_files())
    n_solutions = len(re.findall(r"(?m)^`{3,}\{solution\}", sources))
    assert n_solutions and text.count("Solution to Exercise") >= n_solutions, \
        f"{text.count('Solution to Exercise')} of {n_solutions} exercise solutions printed"
