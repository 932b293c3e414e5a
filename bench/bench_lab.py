"""The live explorer as a learner feels it: from a click or key press to a new picture, in JupyterLab.

JupyterLab (started as ``make lab`` starts it) runs a notebook with both explorers at their default
size in headless Chromium: ``explore()``, which computes in the browser (the book's JavaScript
engine as an anywidget, batch 64), and ``Explorer()``, which computes in the kernel (ipywidgets and
matplotlib, batch 128). The page records the time of each input event (a click on "new random
draw", or an arrow key on the depth slider) and the time the new picture is ready to paint: for
the kernel's explorer, its image changed and decoded (widget messages, the kernel's compute and
redraw, the browser); for the browser's, its canvases redrawn (the worker's compute, the drawing).
The same run also times the kernel's compute and redraw alone (``Explorer.update``).

Run: ``make bench`` (or ``python bench/bench_lab.py``). Needs Chromium.
"""

from __future__ import annotations

import os
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
from initlab.widgets import Explorer, explore

ex = Explorer()
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

```{code-cell} ipython3
explore()
```
"""

# The input's time, then a promise of the milliseconds until the new picture is ready to paint.
MEASURE = """async ([engine, kind]) => {
  const panel = window.jupyterapp.shell.currentWidget;
  let t0 = null, changed;
  window.addEventListener(kind === 'click' ? 'pointerdown' : 'keydown',
    () => { if (t0 === null) t0 = performance.now(); }, {capture: true, once: true});
  if (engine === 'kernel') {
    const img = panel.node.querySelector('img.widget-image');
    const before = img.getAttribute('src');
    changed = new Promise(resolve => {
      const obs = new MutationObserver(() => {
        if (img.getAttribute('src') !== before) { obs.disconnect(); resolve(); }
      });
      obs.observe(img, {attributes: true, attributeFilter: ['src']});
    }).then(() => img.decode());
  } else {
    const explorer = panel.node.querySelector('.ilx-notebook').initlabExplorer;
    const frames = explorer.timings.length;
    changed = new Promise(resolve => {
      const poll = () => explorer.timings.length > frames ? resolve() : requestAnimationFrame(poll);
      poll();
    });
  }
  window.__measure = changed.then(() => new Promise(r => requestAnimationFrame(() => r(performance.now() - t0))));
  return true;
}"""
CONTROLS = {("kernel", "click"): ".widget-button:has-text('new random draw')",
            ("kernel", "key"): ".widget-slider .noUi-handle, .widget-slider [role='slider']",
            ("browser", "click"): ".ilx-notebook .ilx-resample",
            ("browser", "key"): ".ilx-notebook input[name='depth']"}


def measure(page, engine: str, kind: str, i: int = 0) -> float:
    """One input of ``kind`` ("click" or "key") to the ``engine`` ("kernel" or "browser") explorer;
    milliseconds until its new picture is ready. Key presses alternate right and left, so the
    slider stays inside its range."""
    page.evaluate(MEASURE, [engine, kind])
    control = page.locator(CONTROLS[engine, kind]).first
    if kind == "click":
        control.click()
    else:
        control.focus()
        page.keyboard.press("ArrowRight" if i % 2 == 0 else "ArrowLeft")
    return page.evaluate("() => window.__measure")


def _summary(times) -> str:
    return f"{statistics.median(times):6.1f} ms (range {min(times):.0f}-{max(times):.0f})"


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
                page.wait_for_selector("img.widget-image, .ilx-notebook canvas", timeout=300_000)
                page.wait_for_function("""() => { const c = window.jupyterapp.shell.currentWidget.content.widgets;
                    const ex = document.querySelector('.ilx-notebook');
                    return c.every(x => x.model.type !== 'code' || x.model.executionCount !== null)
                      && ex && ex.initlabExplorer && ex.initlabExplorer.timings.length > 0
                      && window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.status === 'idle'; }""",
                                       timeout=300_000)
                kernel_ms = float(page.evaluate("""() => window.jupyterapp.shell.currentWidget.content.widgets[1]
                    .model.outputs.get(0).data['text/plain']"""))
                times = {}
                for engine in ("kernel", "browser"):
                    for kind in ("click", "key"):
                        measure(page, engine, kind)           # one untimed warm-up each
                        times[engine, kind] = [measure(page, engine, kind, i) for i in range(ROUNDS)]
                page_compute = page.evaluate("""() => document.querySelector('.ilx-notebook').initlabExplorer
                    .timings.slice(-2 * ROUNDS).map(t => t.compute)""".replace("ROUNDS", str(ROUNDS)))
                browser.close()
        finally:
            stop(proc)
    print("explorer in JupyterLab (headless Chromium), default size 30 x 256, median of "
          f"{ROUNDS} each (range):")
    print(f"  kernel's explorer, compute + redraw in the kernel (Explorer.update): {kernel_ms:6.1f} ms")
    print(f"  browser's explorer, compute in its worker:                          {_summary(page_compute)}")
    for engine, name in (("kernel", "kernel's explorer (Explorer(), batch 128)"),
                         ("browser", "browser's explorer (explore(), batch 64)")):
        print(f"  {name}:")
        print(f"    click -> new picture:      {_summary(times[engine, 'click'])}")
        print(f"    arrow key -> new picture:  {_summary(times[engine, 'key'])}")
        print(f"    both (budget 100 ms):      {_summary(times[engine, 'click'] + times[engine, 'key'])}")
    print(f"  load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
