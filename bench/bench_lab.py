"""The live explorer as a learner feels it: from a click or key press to a new picture, in JupyterLab.

JupyterLab (started as ``make lab`` starts it) runs a notebook with the explorer at its default
size in headless Chromium. The page records the time of each input event (a click on "new random
draw", or an arrow key on the depth slider) and the time the explorer's picture has changed and
been decoded, ready to paint: that is the path through widget messages, the kernel's compute and
redraw, and the browser. The same run also times the kernel's compute and redraw alone
(``Explorer.update``), the figure the propagation bench reports, for comparison.

Run: ``make bench`` (or ``python bench/bench_lab.py``). Needs Chromium.
"""

from __future__ import annotations

import shutil
import statistics
import sys
import tempfile
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from _lab import open_lab, start_lab, stop

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ROUNDS = 15          # per kind of input
NOTEBOOK = """---
jupytext:
  text_representation: {extension: .md, format_name: myst, format_version: 0.13}
kernelspec: {display_name: Python 3 (ipykernel), language: python, name: python3}
---

```{code-cell} ipython3
import time
from initlab.widgets import explore

ex = explore()
ex
```

```{code-cell} ipython3
times = []
for _ in range(15):
    start = time.perf_counter()
    ex.update()
    times.append(time.perf_counter() - start)
sorted(times)[len(times) // 2] * 1000
```
"""

MEASURE = """async ([kind, index]) => {
  const panel = window.jupyterapp.shell.currentWidget;
  const img = panel.node.querySelector('img.widget-image');
  const before = img.getAttribute('src');
  let t0 = null;
  const mark = () => { if (t0 === null) t0 = performance.now(); };
  window.addEventListener(kind === 'click' ? 'pointerdown' : 'keydown', mark, {capture: true, once: true});
  const changed = new Promise(resolve => {
    const obs = new MutationObserver(() => {
      if (img.getAttribute('src') !== before) { obs.disconnect(); resolve(); }
    });
    obs.observe(img, {attributes: true, attributeFilter: ['src']});
  });
  window.__measure = changed.then(() => img.decode()).then(
    () => new Promise(r => requestAnimationFrame(() => r(performance.now() - t0))));
  return true;
}"""


def measure(page, kind: str, i: int = 0) -> float:
    """One input of ``kind`` ("click" or "key"); milliseconds until the new picture is ready.
    Key presses alternate right and left, so the slider stays inside its range."""
    page.evaluate(MEASURE, [kind, i])
    if kind == "click":
        page.locator("button:has-text('new random draw')").first.click()
    else:
        page.locator(".widget-slider .noUi-handle, .widget-slider [role='slider']").first.focus()
        page.keyboard.press("ArrowRight" if i % 2 == 0 else "ArrowLeft")
    return page.evaluate("() => window.__measure")


def main() -> None:
    if not CHROMIUM:
        sys.exit("bench_lab: no Chromium found (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    token = uuid.uuid4().hex
    with tempfile.TemporaryDirectory() as tmp:
        root, home = Path(tmp) / "root", Path(tmp) / "home"
        root.mkdir()
        home.mkdir()
        (root / "explorer.md").write_text(NOTEBOOK, encoding="utf-8")
        proc, url = start_lab(root, home, token)
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
                page = open_lab(browser, url, token)
                page.evaluate("""async () => {
                  const app = window.jupyterapp;
                  const panel = await app.commands.execute('docmanager:open',
                    {path: 'explorer.md', factory: 'Jupytext Notebook'});
                  await panel.sessionContext.ready;
                  await app.commands.execute('notebook:run-all-cells');
                }""")
                page.wait_for_selector("img.widget-image", timeout=300_000)
                page.wait_for_function("""() => { const c = window.jupyterapp.shell.currentWidget.content.widgets;
                    return c.every(x => x.model.type !== 'code' || x.model.executionCount !== null)
                      && window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.status === 'idle'; }""",
                                       timeout=300_000)
                kernel_ms = float(page.evaluate("""() => window.jupyterapp.shell.currentWidget.content.widgets[1]
                    .model.outputs.get(0).data['text/plain']"""))
                for kind in ("click", "key"):           # one untimed warm-up each
                    measure(page, kind)
                clicks = [measure(page, "click", i) for i in range(ROUNDS)]
                keys = [measure(page, "key", i) for i in range(ROUNDS)]
                browser.close()
        finally:
            stop(proc)
    both = clicks + keys
    print("explorer in JupyterLab (headless Chromium), default size:")
    print(f"  compute + redraw in the kernel (Explorer.update), median: {kernel_ms:6.1f} ms")
    print(f"  click -> new picture, median of {ROUNDS}:                   {statistics.median(clicks):6.1f} ms")
    print(f"  arrow key -> new picture, median of {ROUNDS}:               {statistics.median(keys):6.1f} ms")
    print(f"  input -> new picture, median of both (budget 100 ms):  {statistics.median(both):6.1f} ms"
          f"  (range {min(both):.0f}-{max(both):.0f} ms)")


if __name__ == "__main__":
    main()
