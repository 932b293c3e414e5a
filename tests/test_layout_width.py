"""Code and math fit the page: measured in headless Chromium on every page of the book.

At 1024 and 1280 px wide (a laptop; at 1280 the page also shows its right-hand contents column,
so the text column is narrower than at 1024), no visible code block (a code cell, its printed
output, a code example) scrolls sideways, and no display equation is clipped: either the
typeset equation fits in its box, or the box scrolls far enough to show all of it.

The stylesheet ``_static/initlab.css`` makes this so; without it, MathJax 2.7 caps a wide
display equation at the column's width and hides the rest.

A glossary link pops up its definition on hover, from JavaScript the book serves itself.

Locally the test skips when no Chromium is installed; in CI (``CI`` set) that is a failure.
"""

from __future__ import annotations

import pytest

from _book import HTML, build_book, toc_files
from _browser import chromium, require_chromium, serve

WIDTHS = (1024, 1280)

# For every visible <pre> in the article: does it scroll sideways? For every display equation:
# the extent of what MathJax drew (its hidden MathML copy for screen readers left out) against
# the equation's box, and whether that box scrolls far enough to show all of it.
MEASURE = """() => {
  const visible = e => e.getClientRects().length > 0 && getComputedStyle(e).visibility !== 'hidden';
  const snippet = e => e.textContent.trim().slice(0, 60);
  const code = [...document.querySelectorAll('main pre')].filter(visible);
  const wide = code.filter(p => p.scrollWidth > p.clientWidth + 1)
    .map(p => `${p.scrollWidth} px in ${p.clientWidth} px: ${snippet(p)}`);
  const eqs = [...document.querySelectorAll('main div.math')].filter(visible);
  const clipped = [];
  for (const eq of eqs) {
    const box = eq.querySelector('.MathJax_Display') || eq;
    let left = Infinity, right = -Infinity;
    for (const part of box.querySelectorAll('*')) {
      if (part.closest('.MJX_Assistive_MathML')) continue;
      const r = part.getBoundingClientRect();
      if (r.width > 0) { left = Math.min(left, r.left); right = Math.max(right, r.right); }
    }
    const drawn = right - left;
    const overflow = getComputedStyle(box).overflowX;
    const scrolls = (overflow === 'auto' || overflow === 'scroll') && box.scrollWidth + 1 >= drawn;
    if (drawn > box.clientWidth + 1 && !scrolls)
      clipped.push(`${Math.round(drawn)} px drawn, ${box.clientWidth} px shown, ` +
                   `scrolls to ${box.scrollWidth} px: ${snippet(eq)}`);
  }
  return {code: code.length, wide, eqs: eqs.length, clipped};
}"""


@pytest.fixture(scope="module")
def server():
    require_chromium()
    assert build_book().returncode == 0, "the book did not build; see test_book.py"
    with serve(HTML) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("doc", toc_files())
def test_code_and_math_fit(server, browser, doc, width):
    page = browser.new_page(viewport={"width": width, "height": 900})
    try:
        page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(
            ("http://127.0.0.1", "data:", "blob:")) else r.abort())
        page.goto(f"{server}/{doc}.html", wait_until="load")
        if page.evaluate("() => document.querySelectorAll('main .math').length"):
            page.wait_for_function(
                "() => window.MathJax && MathJax.Hub && MathJax.Hub.queue.pending === 0 && "
                "document.querySelectorAll('main .MathJax, main .MathJax_Display').length > 0",
                timeout=30000)
        found = page.evaluate(MEASURE)
    finally:
        page.close()
    assert not found["wide"], f"{doc} at {width} px: code blocks scroll sideways: {found['wide']}"
    assert not found["clipped"], f"{doc} at {width} px: display equations clipped: {found['clipped']}"


def test_term_link_shows_its_definition_on_hover(server, browser):
    """In the built book, hovering a term link pops up the glossary's definition (sphinx-tippy,
    with its JavaScript served from the book itself: no request leaves localhost)."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors, blocked = [], []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))

    def route(r):
        if r.request.url.startswith(("http://127.0.0.1", "data:", "blob:")):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    try:
        page.route("**/*", route)
        page.goto(f"{server}/book/01-what-not-to-do.html", wait_until="networkidle")
        page.locator("a[href$='#term-symmetry-problem']").first.hover()
        page.wait_for_selector(".tippy-box", timeout=10000)
        tip = page.locator(".tippy-box").first.inner_text()
    finally:
        page.close()
    assert "units of a layer differ" in tip, f"the tooltip shows {tip[:200]!r}"
    assert not blocked and not errors, f"requests off localhost {blocked}, console errors {errors}"
