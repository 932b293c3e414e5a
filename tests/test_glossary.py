"""The glossary is used: a chapter links each glossary term on or before its first use.

A term counts as *used* when its name starts a word in the chapter's prose (case-insensitive;
"dead unit" also matches "dead units"). Prose is the Markdown outside code cells, code blocks,
math, inline code, roles and headings. A *link* is a ``{term}`...` `` role that names the term
(as ``{term}`gain` `` or ``{term}`the gain <gain>` ``). Every chapter also links the notation
page from its top. (The hover definitions are checked in a browser by test_layout_width.py.)
"""

from __future__ import annotations

import re

import pytest

from _book import ROOT, toc_files

NOTATION = ROOT / "book" / "notation.md"
CHAPTERS = [doc for doc in toc_files() if re.match(r"book/\d\d-", doc)]

ROLE = re.compile(r"\{(\w[\w:-]*)\}`([^`]*)`")


def glossary_terms() -> list[str]:
    """The terms of the notation page's glossary: its unindented lines."""
    text = NOTATION.read_text(encoding="utf-8")
    block = re.search(r"```\{glossary\}\n(.*?)\n```", text, re.S)
    assert block, "book/notation.md has no glossary"
    return [line.strip() for line in block.group(1).splitlines() if line.strip() and not line[0].isspace()]


def prose(markdown: str) -> str:
    """The chapter's running text, with everything that is not prose blanked out.

    Links stay as ``\\x00term\\x00`` markers, so that a link and a use can be told apart and
    ordered. Blanked parts keep their place, so positions are comparable.
    """
    text = re.sub(r"\A---\n.*?\n---\n", "", markdown, flags=re.S)                 # front matter
    text = re.sub(r"(?ms)^(`{3,}|~{3,})\s*(\{code-cell\}|\w*$).*?^\1\s*$", " ", text)  # code
    text = re.sub(r"(?ms)^(`{3,})\{glue.*?^\1\s*$", " ", text)
    text = re.sub(r"\$\$.*?\$\$", " ", text, flags=re.S)                          # display math
    text = re.sub(r"(?<!\\)\$[^$\n]+\$", " ", text)                               # inline math
    text = re.sub(r"(?m)^#+ .*$", " ", text)                                      # headings
    text = re.sub(r"(?m)^:[\w-]+:.*$", " ", text)                                 # directive options

    def role(m: re.Match) -> str:
        if m.group(1) != "term":
            return " "
        target = re.search(r"<([^>]+)>\s*$", m.group(2))
        return f"\x00{(target.group(1) if target else m.group(2)).strip().lower()}\x00"

    text = ROLE.sub(role, text)
    return re.sub(r"``?[^`\n]+``?", " ", text)                                      # inline code


def first_use_before_link(doc: str, terms: list[str]) -> list[str]:
    """Terms of the glossary that ``doc`` uses in prose before it links them (or never links)."""
    text = prose((ROOT / f"{doc}.md").read_text(encoding="utf-8"))
    bad = []
    for term in terms:
        link = text.find(f"\x00{term.lower()}\x00")
        outside = re.sub(r"\x00[^\x00]*\x00", lambda m: "\x00" * len(m.group(0)), text)
        use = re.search(rf"(?<![\w-]){re.escape(term)}", outside, re.I)
        if use and (link < 0 or use.start() < link):
            line = text.count("\n", 0, use.start()) + 1
            bad.append(f"{term!r} (first used near prose line {line}, " +
                       ("never linked)" if link < 0 else "linked later)"))
    return bad


def test_glossary_is_big_enough_and_every_term_is_unique():
    terms = glossary_terms()
    assert len(terms) >= 25, f"the glossary has {len(terms)} terms; the course promises at least 25"
    assert len({t.lower() for t in terms}) == len(terms), "a glossary term is defined twice"


def test_prose_parser_sees_uses_and_links():
    doc = "Intro\n\n```{code-cell} ipython3\ngain = 2\n```\n\n$gain$ and the {term}`gain` then gain.\n"
    text = prose(doc)
    assert "\x00gain\x00" in text
    assert text.lower().count("gain") == 2          # the link and the prose use; code and math left out
    assert prose("a {term}`the gain <Gain>` b") == "a \x00gain\x00 b"


@pytest.mark.parametrize("doc", CHAPTERS)
def test_chapter_links_each_term_before_using_it(doc):
    bad = first_use_before_link(doc, glossary_terms())
    assert not bad, f"{doc} uses glossary terms before linking them: {bad}"


@pytest.mark.parametrize("doc", CHAPTERS)
def test_chapter_links_the_notation_page_from_its_top(doc):
    text = (ROOT / f"{doc}.md").read_text(encoding="utf-8")
    body = text.split("\n# ", 1)[1]
    top = body.split("```{code-cell}", 1)[0]
    assert "notation" in top and re.search(r"\{ref\}`[^`]*notation>?`|\(notation\.md\)|\]\(notation", top), \
        f"{doc}: no link to the notation page before its first code cell"

