"""A reader's view: headless Chromium loads the built pages with no network at all.

Locally the test skips, with its reason, when no Chromium is installed; in CI (``CI`` set) a
missing Chromium is a failure. Screenshots go to ``_build/screenshots/`` for a human to look at.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
from pathlib import Path

import pytest

from _book import HTML, ROOT, build_book, notebooks, toc_files

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-quic", "--no-first-run", "--disable-component-update", "--disable-sync"]
SHOTS = ROOT / "_build" / "screenshots"


def _require_chromium():
    if CHROMIUM:
        return
    if os.environ.get("CI"):
        pytest.fail("Chromium is not installed; .ci/run installs it from the OS packages")
    pytest.skip("no Chromium found: install it (e.g. apt-get install chromium) to run the browser test")


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    _require_chromium()
    assert build_book().returncode == 0, "the book did not build; see test_book.py"
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(HTML)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def browser():
    _require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield b
        b.close()


def _open(browser, url):
    """Open a page with every request off localhost refused: the reader has no network."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    blocked = []

    def route(r):
        if r.request.url.startswith(("http://127.0.0.1", "data:", "blob:")):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.goto(url, wait_until="load")
    return page, blocked


@pytest.mark.parametrize("doc", toc_files())
def test_page_renders_offline(server, browser, doc):
    page, blocked = _open(browser, f"{server}/{doc}.html")
    try:
        page.wait_for_load_state("networkidle")
        assert not blocked, f"{doc}: the page asked the network for {blocked}"
        assert "Init Lab" in page.title()
        h1 = page.locator("main h1").first.inner_text()
        assert h1.strip(), f"{doc}: empty title"
        # Every image on the page decoded (executed figures are PNGs in _images/).
        broken = page.evaluate("""() => [...document.querySelectorAll('main img')]
            .filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)""")
        assert not broken, f"{doc}: images that did not load: {broken}"
        if doc in notebooks():
            n = page.evaluate("() => document.querySelectorAll('main .cell_output img').length")
            assert n >= 1, f"{doc}: no executed figure shown"
        # Math: MathJax typesets every math node, from the copy served by the build.
        n_math = page.evaluate("() => document.querySelectorAll('main .math').length")
        if n_math:
            page.wait_for_function(
                "() => window.MathJax && MathJax.Hub && MathJax.Hub.queue.pending === 0 && "
                "document.querySelectorAll('main .MathJax, main .MathJax_Display').length > 0",
                timeout=30000)
            state = page.evaluate("""() => ({
                typeset: document.querySelectorAll('main .MathJax, main .MathJax_Display').length,
                errors: document.querySelectorAll('main .MathJax_Error, main merror').length,
                raw: [...document.querySelectorAll('main .math')].filter(
                    m => !m.querySelector('.MathJax, .MathJax_Display, .MathJax_Preview')
                         && /\\\\[a-zA-Z]/.test(m.textContent)).length})""")
            assert state["errors"] == 0, f"{doc}: MathJax errors {state}"
            assert state["raw"] == 0, f"{doc}: untypeset math {state}"
        _check_twins(page, doc)
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{doc.replace('/', '_')}.png"), full_page=True)
    finally:
        page.close()


def _check_twins(page, doc):
    """Each kernel-free twin responds to its slider: it shows the frame, label and verdict of the
    chosen position (two positions may legitimately share a picture, e.g. equal schemes)."""
    for i in range(page.locator(".initlab-twin").count()):
        twin = page.locator(".initlab-twin").nth(i)
        n = int(twin.locator("input").get_attribute("max"))
        start = twin.locator("input").input_value()
        for target in {0, n}:
            twin.locator("input").fill(str(target))
            shown = twin.evaluate("""t => {const d = JSON.parse(t.querySelector('.initlab-twin-data').textContent);
                return [t.querySelector('img').src === d.frames[%d],
                        t.querySelector('.initlab-twin-label').textContent === d.labels[%d],
                        t.querySelector('.initlab-twin-verdict').textContent === d.verdicts[%d],
                        t.querySelector('img').src.startsWith('data:image/png')]}""" % (target, target, target))
            assert all(shown), f"{doc}: twin {i} did not show position {target}: {shown}"
        twin.locator("input").fill(start)   # the screenshot shows the twin as a reader finds it
        decoded = twin.evaluate("t => new Promise(r => { const im = t.querySelector('img'); "
                                "im.decode().then(() => r(im.naturalWidth)); })")
        assert decoded > 0
