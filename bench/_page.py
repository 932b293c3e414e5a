"""Open one of the book's widgets alone in headless Chromium, for the page benchmarks.

``open_static_page(body, ready)`` copies the package's static files into a temporary folder,
writes ``index.html`` around ``body`` (the widget's element, with the explorer's and playground's
style sheets and ``initlab.js``), serves the folder on localhost and opens it with Playwright.
It returns ``(page, close)`` once the JavaScript ``ready`` expression is true, or
``(None, reason)`` when Chromium or Playwright is missing.
"""

from __future__ import annotations

import functools
import http.server
import shutil
import tempfile
import threading
from pathlib import Path

STATIC = Path(__file__).resolve().parents[1] / "src" / "initlab" / "static"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PAGE_HTML = """<!doctype html><html><head><meta charset="utf-8">
<link rel="stylesheet" href="initlab/explorer.css"><link rel="stylesheet" href="initlab/playground.css">
</head><body style="width:1000px">
%s
<script type="module" src="initlab/initlab.js"></script></body></html>"""


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def open_static_page(body, ready, viewport=(1100, 900)):
    """``(page, close)`` with ``body`` served on localhost and ``ready`` true, or ``(None, reason)``."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        return None, f"no Playwright ({exc})"
    if not chromium:
        return None, "no Chromium"
    folder = tempfile.mkdtemp(prefix="initlab-bench-")
    shutil.copytree(STATIC, folder, dirs_exist_ok=True)
    Path(folder, "index.html").write_text(PAGE_HTML % body, encoding="utf-8")
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=folder))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    pw = sync_playwright().start()
    browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
    page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
    page.goto(f"http://127.0.0.1:{httpd.server_address[1]}/index.html")
    page.wait_for_function(f"() => {ready}")

    def close():
        browser.close()
        pw.stop()
        httpd.shutdown()
        httpd.server_close()
        shutil.rmtree(folder, ignore_errors=True)

    return page, close
