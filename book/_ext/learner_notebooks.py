"""The chapters as notebooks that read like the book, in any Jupyter front end.

The MyST chapters are read three ways: as book pages, in JupyterLab (jupytext with
jupyterlab-myst renders the MyST itself), and as plain ``.ipynb`` files: the download on each
page and the notebook that "Open in Colab" opens. Plain front ends know no MyST, so this module
converts a chapter into a notebook whose Markdown is plain:

* inline numbers, ``{eval}`glued("name:spec")` ``, become the text the build computed;
* citations, ``{eval}`cited("key")` `` (and ``{cite:p}``), become "(Author, year)"; ``{func}`` and
  ``{mod}`` become code;
* admonitions and exercises become quoted boxes with a bold title; solutions, and admonitions
  the book folds (``:class: dropdown``: hints, "Going deeper" boxes), become ``<details>``
  blocks, collapsed until asked for;
* the in-page explorer and playground (directives the book draws in the browser) become
  one-line notes;
* a predict-then-check question becomes its prompt in a quoted box, its answer in ``<details>``;
* a first cell installs the course package, and turns on Colab's widget manager, only in Colab.

As a Sphinx extension it also makes the book read ``{eval}`glued("name:spec")` `` as myst-nb's
``{glue:text}`name:spec` `` (so the book keeps its build cache) and ``{eval}`cited("key")` `` as
sphinxcontrib-bibtex's ``{cite:p}`key` `` (see :mod:`initlab.citations`), replaces each page's ``.ipynb``
download with the converted, executed notebook, and adds an "Open in Colab" launch button.

``python book/_ext/learner_notebooks.py EXECUTED_DIR OUT_DIR`` writes the Colab notebooks
(``make notebooks``): the converted chapters without outputs, numbers taken from the executed
notebooks in ``EXECUTED_DIR``.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import nbformat

from initlab.citations import bibliography, cite_text
from initlab.glue import format_plain_text  # the same formatting as the book's {glue:text}

GLUE_PREFIX = "application/papermill.record/"
COLAB = "https://colab.research.google.com"
NOTEBOOK_DIR = "notebooks"          # the committed Colab notebooks, one per chapter
GLUED = re.compile(r"""\{eval\}`glued\((["'])(?P<key>[^"'`]+)\1\)`""")
CITED = re.compile(r"""\{eval\}`cited\((["'])(?P<keys>[^"'`]+)\1\)`""")
ROLE = re.compile(r"\{(?P<role>cite:p|cite:t|func|mod|meth|class|obj|ref|numref|doc|term)\}`(?P<text>[^`]+)`")
EXPLICIT = re.compile(r"^(?P<text>.+?)\s*<(?P<target>[^<>]+)>$")
FENCE = re.compile(r"^(?P<fence>`{3,}|:{3,})\{(?P<name>[\w:-]+)\}\s*(?P<arg>.*)$")
OPTION = re.compile(r"^:(?P<key>[\w-]+):\s*(?P<value>.*)$")
TARGET = re.compile(r"^\((?P<label>[\w.:-]+)\)=\s*$")
BOXES = {"admonition", "note", "tip", "warning", "important", "caution", "attention", "hint", "seealso"}


# --- values: the numbers the build computed -----------------------------------------------------

def glue_values(executed: nbformat.NotebookNode, glue_json: Path | None = None) -> dict[str, str]:
    """name -> the plain text of every value a notebook glued: from the hidden display outputs
    of an executed notebook, and from the ``.glue.json`` file into which myst-nb moves them."""
    values = {}
    for cell in executed.cells:
        for out in cell.get("outputs", []):
            scrap = out.get("metadata", {}).get("scrapbook")
            if scrap and "name" in scrap:
                prefix = scrap.get("mime_prefix", "")
                values[scrap["name"]] = out.get("data", {}).get(prefix + "text/plain", "")
    if glue_json is not None and glue_json.exists():
        stored = json.loads(glue_json.read_text(encoding="utf-8"))
        values.update({name: out.get("data", {}).get("text/plain", "") for name, out in stored.items()})
    return values


def fill_numbers(text: str, values: dict[str, str]) -> str:
    """Replace every ``{eval}`glued("name:spec")` `` by its formatted value."""
    def number(m: re.Match) -> str:
        name, spec = (m["key"].rsplit(":", 1) + [""])[:2]
        if name not in values:
            raise KeyError(f"no glued value {name!r}: was the chapter executed?")
        return format_plain_text(values[name], spec)

    return GLUED.sub(number, text)


# --- citations and inline roles -------------------------------------------------------------------

def section_titles(book: Path) -> dict[str, str]:
    """label -> title of every ``(label)=`` target that stands above a heading in ``book/``."""
    titles = {}
    for path in sorted(book.glob("*.md")):
        found = re.findall(r"^\((?P<label>[\w.:-]+)\)=\s*\n+#+\s+(?P<title>.+)$",
                           path.read_text(encoding="utf-8"), flags=re.M)
        titles.update(dict(found))
    return titles


def plain_roles(text: str, cites: dict[str, tuple[str, str, str]], titles: dict[str, str] | None = None) -> str:
    """``{cite:p}`` as "(Author, year)", ``{cite:t}`` as "Author (year)", code roles as code,
    cross-references as the title they point to (``titles``: label -> title), glossary terms as
    their words."""
    def role(m: re.Match) -> str:
        kind, body = m["role"], m["text"]
        explicit = EXPLICIT.match(body)
        if kind in ("ref", "numref", "doc", "term"):
            if explicit:
                return explicit["text"]
            return body if kind == "term" else f"*{(titles or {}).get(body, body.replace('-', ' '))}*"
        if kind.startswith("cite"):
            return cite_text(body, cites, textual=kind == "cite:t")
        target = body.split("<")[-1].rstrip(">").strip()
        shown = target.split(".")[-1] if target.startswith("~") else target.lstrip("~")
        return f"`{shown}{'()' if kind == 'func' else ''}`"

    return ROLE.sub(role, CITED.sub(lambda m: cite_text(m["keys"], cites), text))


# --- directives: boxes, exercises, solutions, the in-page explorer ------------------------------

def _directive(lines: list[str], start: int) -> tuple[dict, int]:
    """The directive whose opening fence is ``lines[start]``: its parts and the index after it."""
    m = FENCE.match(lines[start])
    fence, i, options = m["fence"], start + 1, {}
    while i < len(lines) and OPTION.match(lines[i]):
        o = OPTION.match(lines[i])
        options[o["key"]] = o["value"].strip()
        i += 1
    body_start = i
    while i < len(lines) and not (lines[i].strip().startswith(fence[0] * len(fence))
                                   and set(lines[i].strip()) == {fence[0]}):
        i += 1
    body = "\n".join(lines[body_start:i]).strip("\n")
    return {"name": m["name"], "arg": m["arg"].strip(), "options": options, "body": body}, i + 1


def _quote(title: str, body: str) -> str:
    lines = [f"**{title}**", ""] + body.split("\n")
    return "\n".join(("> " + line).rstrip() for line in lines)


def _details(summary: str, body: str) -> str:
    return f"<details>\n<summary>{summary} (click to show)</summary>\n\n{body}\n\n</details>"


def _folded(options: dict) -> bool:
    """Whether a directive's options fold it on the book's page (``:class: dropdown``, with or
    without other classes, separated by spaces or commas)."""
    return "dropdown" in options.get("class", "").replace(",", " ").split()


def _render(d: dict, exercises: dict[str, str], references: list[str]) -> str:
    """One directive as plain Markdown (its body already converted)."""
    name, arg, body = d["name"], d["arg"], d["body"]
    if name == "bibliography":
        return "\n".join(f"- {line}" for line in references)
    if name in BOXES and "dropdown" in re.split(r"[\s,]+", d["options"].get("class", "")):
        return _details(arg or name.capitalize(), body)
    if name in BOXES:
        title = arg or name.capitalize()
        return _details(title, body) if _folded(d["options"]) else _quote(title, body)
    if name == "exercise":
        return _quote(f"Exercise: {arg}" if arg else "Exercise", body)
    if name == "solution":
        title = exercises.get(arg, "")
        return _details(f"Solution: {title}" if title else "Solution", body)
    if name == "initlab-explorer":
        return ("*On the book's page, an explorer here computes in the browser; the code cell below "
                "opens the same explorer in this notebook.*")
    if name == "initlab-playground":
        return ("*On the book's page, a playground here trains this chapter's tiny network in the browser; "
                "in this notebook, `tinynet.train` runs the same experiments.*")
    if name == "initlab-question":
        return plain_question(arg)
    raise ValueError(f"no plain-Markdown form for the {{{name}}} directive: add one to "
                     "learner_notebooks._render")


def plain_question(qid: str) -> str:
    """A predict-then-check question as a quoted box, its answer in a collapsed ``<details>``."""
    from initlab_question import answer_text, question_id  # a sibling extension in book/_ext

    from initlab import questions

    spec = questions.spec(question_id(qid))
    body = spec["prompt"]
    if spec["kind"] == "choice":
        body += "\n\n" + "\n".join(f"{i}. {o['label']}" for i, o in enumerate(spec["options"], 1))
    body += "\n\nWrite your prediction in the code cell below and run it."
    return (_quote("Predict, then check", body) + "\n\n<details>\n<summary>Show the answer</summary>\n\n"
            + answer_text(spec) + "\n\n</details>")


def plain_markdown(text: str, exercises: dict[str, str], references: list[str] = ()) -> str:
    """A Markdown cell's MyST directives and targets as plain Markdown (roles not included)."""
    lines, out, i = text.split("\n"), [], 0
    while i < len(lines):
        if TARGET.match(lines[i]):
            i += 1
            continue
        if FENCE.match(lines[i]):
            d, i = _directive(lines, i)
            d["body"] = plain_markdown(d["body"], exercises, references)
            out.append(_render(d, exercises, references))
            continue
        out.append(lines[i])
        i += 1
    return "\n".join(out)


def exercise_titles(text: str) -> dict[str, str]:
    """label -> title of every exercise in a chapter's source."""
    titles, lines = {}, text.split("\n")
    for i, line in enumerate(lines):
        m = FENCE.match(line)
        if m and m["name"] == "exercise":
            d, _ = _directive(lines, i)
            if "label" in d["options"]:
                titles[d["options"]["label"]] = d["arg"]
    return titles


# --- the notebook -------------------------------------------------------------------------------

def colab_cell(repository: str, branch: str) -> nbformat.NotebookNode:
    """A first code cell that only does something in Colab: install the course package from the
    repository (Colab already has numpy, TensorFlow, Keras and ipywidgets) and turn on the widget
    manager that the live explorers need."""
    source = "\n".join([
        "# In Colab only: install the course's helper package and enable the live widgets.",
        "import sys",
        "",
        'if "google.colab" in sys.modules:',
        "    import subprocess",
        "",
        "    from google.colab import output",
        "",
        '    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",',
        f'                    "initlab @ git+{repository}@{branch}"], check=True)',
        "    output.enable_custom_widget_manager()",
    ])
    return nbformat.v4.new_code_cell(source, metadata={"tags": ["colab"]})


def colab_note(page_url: str | None) -> nbformat.NotebookNode:
    where = f"[the book's page]({page_url})" if page_url else "the book's page"
    return nbformat.v4.new_markdown_cell(
        "*Running in Colab?* Run the next cell first: it installs the course's helper package. "
        "If a live explorer shows no sliders, its picture is still drawn by the cell, and "
        f"{where} has the same explorer computing in the browser.")


def learner_notebook(source: str, values: dict[str, str], cites: dict[str, tuple[str, str, str]],
                     repository: str, branch: str, executed: nbformat.NotebookNode | None = None,
                     page_url: str | None = None, outputs: bool = True,
                     titles: dict[str, str] | None = None) -> nbformat.NotebookNode:
    """A MyST chapter as a plain notebook: numbers filled in, boxes and solutions in plain
    Markdown, a Colab install cell first. ``executed``, the same chapter run, must have the same
    code (else its numbers may be stale); its outputs are kept if ``outputs``."""
    import jupytext

    nb = jupytext.reads(source, fmt="md:myst")
    exercises = exercise_titles(source)
    cited = dict.fromkeys(k.strip() for m in ROLE.finditer(source) if m["role"].startswith("cite")
                          for k in m["text"].split(","))
    cited.update(dict.fromkeys(k.strip() for m in CITED.finditer(source) for k in m["keys"].split(",")))
    references = sorted(f"{cites[k][0]} ({cites[k][1]}). *{cites[k][2]}*." for k in cited if k in cites)
    done_cells = [c for c in executed.cells if c.cell_type == "code"] if executed is not None else None
    code = 0
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            text = plain_roles(fill_numbers(cell.source, values), cites, titles)
            cell.source = plain_markdown(text, exercises, references)
            cell.metadata = {}
        elif cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
            if done_cells is not None:
                done = done_cells[code] if code < len(done_cells) else None
                if done is None or done.source != cell.source:
                    raise ValueError(f"the executed notebook is out of step at code cell {code}: "
                                     "build the book again")
                if outputs:
                    cell.outputs = [o for o in done.get("outputs", [])
                                    if "scrapbook" not in o.get("metadata", {})]
                    cell.execution_count = done.get("execution_count")
            code += 1
    title = nb.cells.pop(0) if nb.cells and nb.cells[0].cell_type == "markdown" else None
    nb.cells[:0] = [c for c in (title, colab_note(page_url), colab_cell(repository, branch)) if c]
    nb.metadata = {"kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python",
                                  "name": "python3"},
                   "language_info": {"name": "python"}}
    return nb


def write_notebook(nb: nbformat.NotebookNode, path: Path) -> None:
    """Write with stable formatting (no cell ids that change per run)."""
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i}"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(nbformat.writes(nb) + "\n", encoding="utf-8")


# --- the repository: where the Colab notebooks live ---------------------------------------------

def repository_from_config(config_file: Path) -> tuple[str, str]:
    """(repository URL, branch) from ``_config.yml``'s ``repository`` setting."""
    import yaml

    repo = yaml.safe_load(config_file.read_text(encoding="utf-8")).get("repository") or {}
    return repo["url"].rstrip("/"), repo.get("branch", "main")


def colab_url(repository: str, branch: str, name: str) -> str:
    """The Colab link of a chapter's committed notebook, e.g. ``01-what-not-to-do``."""
    path = repository.split("github.com/", 1)[-1]
    return f"{COLAB}/github/{path}/blob/{branch}/{NOTEBOOK_DIR}/{name}.ipynb"


def chapter_notebooks(root: Path, executed_dir: Path, out_dir: Path, with_outputs: bool) -> list[Path]:
    """Convert every executed chapter in ``executed_dir`` (``<name>.ipynb`` beside the
    ``book/<name>.md`` source) into ``out_dir``; return the written paths."""
    repository, branch = repository_from_config(root / "_config.yml")
    cites = bibliography(root / "book" / "references.bib")
    titles = section_titles(root / "book")
    written = []
    for executed_path in sorted(executed_dir.glob("*.ipynb")):
        source_path = root / "book" / (executed_path.stem + ".md")
        if not source_path.exists():
            continue
        executed = nbformat.read(executed_path, as_version=4)
        values = glue_values(executed, executed_path.with_suffix(".glue.json"))
        nb = learner_notebook(source_path.read_text(encoding="utf-8"), values, cites,
                              repository, branch, executed, outputs=with_outputs, titles=titles)
        write_notebook(nb, out_dir / executed_path.name)
        written.append(out_dir / executed_path.name)
    return written


# --- Sphinx --------------------------------------------------------------------------------------

def _eval_role():
    from myst_nb.core.variables import create_warning
    from myst_nb.ext.glue.roles import PasteTextRole

    class EvalGlued(PasteTextRole):
        """``{eval}`glued("name:spec")` `` read as ``{glue:text}`name:spec` ``, and
        ``{eval}`cited("key")` `` as ``{cite:p}`key` ``."""

        def run(self):
            role = "{eval}`" + self.text.strip() + "`"
            citation = CITED.fullmatch(role)
            if citation:
                return self._cite(citation["keys"])
            m = GLUED.fullmatch(role)
            if not m:
                message = f'the book reads {{eval}} only as glued("name:spec") or cited("key"), not {self.text!r}'
                return [], [create_warning(message, self.document, self.line, "eval")]
            self.text = m["key"]
            return super().run()

        def __call__(self, name, rawtext, text, lineno, inliner, options=None, content=()):
            self.lineno = lineno
            return super().__call__(name, rawtext, text, lineno, inliner, options, content)

        def _cite(self, keys):
            """sphinxcontrib-bibtex's ``{cite:p}`keys` ``, as if the chapter had written it."""
            cite = self.document.settings.env.get_domain("cite").role("p")
            if cite is None:
                return [], [create_warning("{eval}`cited(...)` needs sphinxcontrib-bibtex's cite:p role",
                                           self.document, self.line, "eval")]
            return cite("cite:p", f"{{cite:p}}`{keys}`", keys, self.lineno, self.inliner, {}, [])

    return EvalGlued()


def _add_colab_button(app, pagename, templatename, context, doctree):
    """An "Open in Colab" entry in the theme's launch menu of every chapter page."""
    if doctree is None or "kernelspec" not in app.env.metadata.get(pagename, {}):
        return
    repository, branch = app.config.html_theme_options.get("repository_url"), \
        app.config.html_theme_options.get("repository_branch", "main")
    if not repository:
        return
    button = {"type": "link", "text": "Colab", "tooltip": "Open in Colab",
              "icon": "_static/images/logo_colab.png",
              "url": colab_url(repository, branch, Path(pagename).name)}
    for group in context.get("header_buttons", []):
        if group.get("label") == "launch-buttons":
            group["buttons"].append(button)
            return
    context.setdefault("header_buttons", []).append(
        {"type": "group", "tooltip": "Launch interactive content", "icon": "fas fa-rocket",
         "buttons": [button], "label": "launch-buttons"})


def _write_downloads(app, exception):
    """Each chapter's ``.ipynb`` download: the converted notebook, with its executed outputs."""
    if exception is not None or app.builder.format != "html":
        return
    root = Path(app.srcdir)
    executed_dir = Path(app.outdir).parent / "jupyter_execute" / "book"
    if executed_dir.is_dir():
        chapter_notebooks(root, executed_dir, Path(app.outdir) / "_sources" / "book", with_outputs=True)


def setup(app):
    app.add_role("eval", _eval_role(), override=True)
    app.connect("html-page-context", _add_colab_button, priority=900)
    app.connect("build-finished", _write_downloads)
    return {"parallel_read_safe": True, "parallel_write_safe": True}


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: learner_notebooks.py EXECUTED_DIR OUT_DIR")
    here = Path(__file__).resolve().parents[2]
    paths = chapter_notebooks(here, Path(sys.argv[1]), Path(sys.argv[2]), with_outputs=False)
    print(json.dumps([str(p.relative_to(Path.cwd())) if p.is_relative_to(Path.cwd()) else str(p)
                      for p in paths], indent=1))
