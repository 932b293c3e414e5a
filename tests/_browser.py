"""What the browser tests share: the Chromium they drive, and a local server for a built folder.

Locally a browser test skips, with its reason, when no Chromium is installed; in CI (``CI`` set)
a missing Chromium is a failure, since ``.ci/run`` installs it.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import shutil
import threading

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
#: Headless, and no background requests: the machine's network is closed to everything else.
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def require_chromium() -> None:
    if CHROMIUM:
        return
    if os.environ.get("CI"):
        pytest.fail("Chromium is not installed; .ci/run installs it from the OS packages")
    pytest.skip("no Chromium found: install it (e.g. apt-get install chromium) to run the browser test")


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@contextlib.contextmanager
def serve(directory):
    """Serve ``directory`` on localhost for the block; yields its base URL."""
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(directory)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


@contextlib.contextmanager
def chromium(flags=FLAGS):
    """A headless Chromium (Playwright) for the block."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=flags)
        try:
            yield browser
        finally:
            browser.close()
