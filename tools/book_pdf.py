"""Print the book as one PDF, offline: its single-page HTML build, opened in headless Chromium.

``make pdf`` runs it after ``jupyter-book build --builder singlehtml``::

    python tools/book_pdf.py _build/singlehtml _build/pdf/init-lab.pdf

The page is served from localhost (MathJax loads its parts over http, not from ``file://``) and
every request off localhost is refused, so the PDF is made with no network. Before printing, every
dropdown (exercise solutions, hidden cells) is opened and MathJax has typeset every formula. The
in-page explorers' scripts are not loaded: each explorer prints as its static picture.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import os
import shutil
import sys
import threading
from pathlib import Path

# Open what is folded: <details> (sphinx-design dropdowns, hidden code) and sphinx-togglebutton's
# dropdown admonitions (exercise solutions); hide MathJax's status box and the live-page notes.
EXPAND = """() => {
  document.querySelectorAll('details').forEach(d => { d.open = true; });
  document.querySelectorAll('.toggle-hidden').forEach(e => e.classList.remove('toggle-hidden'));
  document.querySelectorAll('.toggle-button').forEach(b => b.remove());
  const style = document.createElement('style');
  style.textContent = '#MathJax_Message, .initlab-explorer-note, .initlab-playground-note, .headerlink'
    + ' { display: none !important; }'
    + ' .cell_output img, .initlab-explorer-static img, .initlab-playground-static img'
    + ' { max-width: 100% !important; break-inside: avoid; }'
    + ' .cell_input, .admonition, figure, table { break-inside: avoid; }'
    + ' pre { white-space: pre-wrap !important; overflow-wrap: anywhere; }'
    + ' .pst-scrollable-table-container, .table-wrapper { overflow: visible !important; }'
    + ' table { width: 100% !important; font-size: 0.85em; }'
    + ' td, th { overflow-wrap: anywhere; } td code, td span.pre { white-space: normal !important; }';
  document.head.appendChild(style);
}"""

# True once MathJax has started and typeset everything queued: every formula on the page.
MATHJAX_DONE = """() => window.MathJax && MathJax.isReady && MathJax.Hub.queue.pending === 0
  && !document.querySelector('.MathJax_Processing, .MathJax_Preview:not(:empty)')"""

FOOTER = ('<div style="font-size:8px;width:100%;text-align:center;color:#555">'
          '<span class="title"></span> · <span class="pageNumber"></span> / <span class="totalPages"></span></div>')


def find_chromium() -> str:
    """The Chromium the browser tests use: ``$CHROMIUM``, else ``chromium`` on the PATH."""
    for candidate in (os.environ.get("CHROMIUM"), "chromium", "chromium-browser"):
        path = candidate and shutil.which(candidate)
        if path:
            return path
    sys.exit("no Chromium found: install it (e.g. apt-get install chromium) or set CHROMIUM=/path/to/it")


class _Site(http.server.SimpleHTTPRequestHandler):
    """Serves the build, with the single page at ``/print.html``: Sphinx writes its links relative
    to the build's root even when the page itself lies deeper (``book/intro.html``)."""

    page = ""

    def translate_path(self, path):
        if path.split("?")[0] == "/print.html":
            path = "/" + self.page
        return super().translate_path(path)

    def log_message(self, *args):
        pass


class _Server(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        """A request the browser gave up on (it closed the connection) is not an error here."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def _page(site: Path) -> str:
    """The single page: the largest HTML file of the build (index.html may only redirect to it)."""
    pages = [p for p in site.glob("**/*.html") if "_static" not in p.parts
             and p.name not in {"genindex.html", "search.html", "py-modindex.html"}]
    if not pages:
        sys.exit(f"no HTML in {site}: run jupyter-book build . --builder singlehtml")
    return max(pages, key=lambda p: p.stat().st_size).relative_to(site).as_posix()


def print_pdf(site: Path, out: Path) -> int:
    """Print ``site``'s single page to ``out``; returns the number of math formulas typeset."""
    from playwright.sync_api import sync_playwright

    handler = type("Handler", (_Site,), {"page": _page(site)})
    httpd = _Server(("127.0.0.1", 0), functools.partial(handler, directory=str(site)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=find_chromium(), args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_page(viewport={"width": 1000, "height": 1400})
            page.route("**/*", lambda r: r.continue_() if r.request.url.startswith((base, "data:", "blob:"))
                       and "/_static/initlab/" not in r.request.url else r.abort())
            page.goto(f"{base}/print.html", wait_until="networkidle", timeout=120_000)
            page.evaluate(EXPAND)
            if not page.evaluate("() => !!window.MathJax"):
                sys.exit("MathJax did not load: is the build's _static/mathjax there?")
            page.wait_for_function(MATHJAX_DONE, polling=1000, timeout=1_800_000)  # ~1 min on a quiet machine
            n_math = page.evaluate("() => document.querySelectorAll('.MathJax, .MathJax_Display').length")
            page.wait_for_function("() => [...document.images].every(i => i.complete)", timeout=60_000)
            out.parent.mkdir(parents=True, exist_ok=True)
            page.emulate_media(media="print")
            page.pdf(path=str(out), format="A4", print_background=True, display_header_footer=True,
                     header_template="<span></span>", footer_template=FOOTER,
                     margin={"top": "15mm", "bottom": "15mm", "left": "14mm", "right": "14mm"})
            browser.close()
    finally:
        httpd.shutdown()
        httpd.server_close()
    return n_math


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("site", type=Path, help="the single-page HTML build, e.g. _build/singlehtml")
    parser.add_argument("out", type=Path, help="the PDF to write")
    args = parser.parse_args(argv)
    n_math = print_pdf(args.site, args.out)
    print(f"{args.out}: {args.out.stat().st_size / 1e6:.1f} MB, {n_math} formulas typeset")


if __name__ == "__main__":
    main()
