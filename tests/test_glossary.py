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

# Glossary terms added while other chapters are being edited: (chapter, term) pairs that chapter's
# next edit links at first use. Checked once linked (the list is then emptied): a pair whose
# chapter already links the term, or no longer uses it, fails test_not_yet_linked_is_current.
NOT_YET_LINKED: set[tuple[str, str]] = set()

ROLE = re.compile(r"\{(\w[\w:-]*)\}`([^`]*)`")


def glossary_terms() -> list[str]:
    """The terms of the notation page's glossary: its unindented lines."""
    text = NOTATION.read_text(encoding="utf-8")
    block = re.search(r"```\{glossary\}\n(.*?)\n```", text, re.S)
    assert block, "book/notation.md has no glossary"
    return [line.strip() for line in block.group(1).splitlines() if line.strip() and not line[0].isspace()]


FENCE = re.compile(r"^(?P<fence>`{3,}|~{3,}|:{3,})\s*(?P<info>.*?)\s*$")


def blank_code(text: str) -> str:
    """``text`` with its code (code cells, code blocks, glue directives) blanked, line by line.

    A fence with a directive (```` ```{exercise} ````) opens prose, and the bare fence of the same
    length closes it again; any other opening fence starts code, which runs to its own closing
    fence. (A single regular expression cannot tell a directive's closing ```` ```` ```` from the
    opening of a code block.)
    """
    out, directives, code = [], [], None
    for line in text.split("\n"):
        m = FENCE.match(line)
        if code is not None:
            if m and m["fence"] == code and not m["info"]:
                code = None
            out.append("")
        elif m and m["info"].startswith("{") and not m["info"].startswith(("{code-cell}", "{glue")):
            directives.append(m["fence"])
            out.append(line)
        elif m and not m["info"] and directives and m["fence"] == directives[-1]:
            directives.pop()
            out.append(line)
        elif m and not m["fence"].startswith(":"):
            code = m["fence"]
            out.append("")
        else:
            out.append(line)
    return "\n".join(out)


def prose(markdown: str) -> str:
    """The chapter's running text, with everything that is not prose blanked out.

    Links stay as ``\\x00term\\x00`` markers, so that a link and a use can be told apart and
    ordered. Blanked parts keep their place, so positions are comparable.
    """
    text = re.sub(r"\A---\n.*?\n---\n", "", markdown, flags=re.S)                 # front matter
    text = blank_code(text)
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


def test_prose_parser_reads_the_prose_between_dropdowns():
    """The text between two 4-backtick directives is prose, and code inside a directive is code."""
    doc = ("````{solution} ex-a\n:class: dropdown\n\n```python\ngain = 1\n```\n````\n\n"
           "Here the gain is used.\n\n````{solution} ex-b\n:class: dropdown\n\nNo term.\n````\n")
    text = prose(doc)
    assert "Here the gain is used." in text and "gain = 1" not in text


def test_prose_parser_sees_uses_and_links():
    doc = "Intro\n\n```{code-cell} ipython3\ngain = 2\n```\n\n$gain$ and the {term}`gain` then gain.\n"
    text = prose(doc)
    assert "\x00gain\x00" in text
    assert text.lower().count("gain") == 2          # the link and the prose use; code and math left out
    assert prose("a {term}`the gain <Gain>` b") == "a \x00gain\x00 b"


@pytest.mark.parametrize("doc", CHAPTERS)
def test_chapter_links_each_term_before_using_it(doc):
    terms = [term for term in glossary_terms() if (doc, term) not in NOT_YET_LINKED]
    bad = first_use_before_link(doc, terms)
    assert not bad, f"{doc} uses glossary terms before linking them: {bad}"


def test_not_yet_linked_is_current():
    terms = glossary_terms()
    stale = [(doc, term) for doc, term in sorted(NOT_YET_LINKED)
             if term not in terms or not first_use_before_link(doc, [term])]
    assert not stale, f"remove these from NOT_YET_LINKED, the chapter links the term (or no longer uses it): {stale}"


@pytest.mark.parametrize("doc", CHAPTERS)
def test_chapter_links_the_notation_page_from_its_top(doc):
    text = (ROOT / f"{doc}.md").read_text(encoding="utf-8")
    body = text.split("\n# ", 1)[1]
    top = body.split("```{code-cell}", 1)[0]
    assert "notation" in top and re.search(r"\{ref\}`[^`]*notation>?`|\(notation\.md\)|\]\(notation", top), \
        f"{doc}: no link to the notation page before its first code cell"

