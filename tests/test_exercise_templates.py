"""The static page never shows a check's verdict on an empty exercise template.

An exercise's template cell (``...  # your code here`` followed by a ``checks.check_...`` call) runs
at build time with nothing filled in, so its output is a red "✘ ... is None" or, worse, a hint that
gives the answer away. Every such cell carries ``tags: [remove-output]``: the HTML shows the code
only, while a learner running the notebook still sees the verdict live.
"""

from __future__ import annotations

import re

import jupytext
import pytest

from _book import ROOT, toc_files

CHAPTERS = [doc for doc in toc_files() if re.match(r"book/\d\d-", doc)]
CHECK_CALL = re.compile(r"(?m)^\W*checks\.check_\w+\(")


def template_cells(doc: str) -> list:
    """The code cells of ``doc`` that call an exercise check."""
    nb = jupytext.read(ROOT / f"{doc}.md")
    return [cell for cell in nb.cells if cell.cell_type == "code" and CHECK_CALL.search(cell.source)]


def test_the_template_pattern_finds_plain_and_displayed_checks():
    assert CHECK_CALL.search("x = 1\nchecks.check_std(f, 'he')")
    assert CHECK_CALL.search("display(checks.check_a(x),\n        checks.check_b(y))")
    assert not CHECK_CALL.search("# compare with checks.check_std later")


@pytest.mark.parametrize("doc", CHAPTERS)
def test_every_exercise_template_hides_its_output_on_the_page(doc):
    cells = template_cells(doc)
    assert cells, f"{doc} has no exercise template cell calling checks.check_..."
    untagged = [cell.source.splitlines()[0] for cell in cells
                if "remove-output" not in cell.metadata.get("tags", [])]
    assert not untagged, f"{doc}: exercise templates without tags: [remove-output]: {untagged}"


@pytest.mark.parametrize("doc", CHAPTERS)
def test_every_solution_comes_after_a_hint(doc):
    """A collapsed hint right before each solution: a nudge before the answer."""
    text = (ROOT / f"{doc}.md").read_text(encoding="utf-8")
    hint = "```{admonition} Hint\n:class: dropdown, hint\n\n"
    blocks = re.split(r"(?m)^````\{solution\}", text)
    assert len(blocks) > 1, f"{doc} has no solution"
    unhinted = [i for i, before in enumerate(blocks[:-1], 1)
                if hint not in before[-2000:] or not re.search(r"```\s*\n\s*\Z", before)
                or before.rfind(hint) < before.rfind("{code-cell}")]
    assert not unhinted, f"{doc}: solutions number {unhinted} have no hint dropdown right before them"
