"""Every chapter executes from a fresh kernel with no error and no stderr, within the budgets.

This runs each MyST chapter exactly as a learner would (jupytext -> notebook -> kernel), independent
of the book build's cache. It also measures each chapter's wall time and the kernel's peak memory,
which the end of the run prints (conftest.py); Binder kills a session at 2 GB, the course's
budget is 1.5 GB.
"""

from __future__ import annotations

import threading
import time

import jupytext
import psutil
import pytest
from nbclient import NotebookClient

from _book import ROOT, notebooks

PEAK_MEMORY_BUDGET = 1.5 * 1024**3


class _PeakMemory(threading.Thread):
    """Samples the RSS of a process every 50 ms and keeps the maximum."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.process, self.peak, self.done = psutil.Process(pid), 0, threading.Event()

    def run(self):
        while not self.done.is_set():
            try:
                self.peak = max(self.peak, self.process.memory_info().rss)
            except psutil.Error:
                return
            self.done.wait(0.05)


@pytest.mark.parametrize("doc", notebooks())
def test_chapter_executes_cleanly(doc, chapter_stats):
    nb = jupytext.read(ROOT / f"{doc}.md")
    client = NotebookClient(nb, timeout=300, kernel_name="python3", allow_errors=False,
                            resources={"metadata": {"path": str((ROOT / doc).parent)}})
    start, monitor = time.perf_counter(), None
    with client.setup_kernel():
        monitor = _PeakMemory(client.km.provisioner.pid)
        monitor.start()
        for index, cell in enumerate(nb.cells):
            client.execute_cell(cell, index)
        monitor.done.set()
        monitor.join()
    seconds = time.perf_counter() - start

    for cell in nb.cells:
        for out in cell.get("outputs", []):
            assert out.get("name") != "stderr", f"{doc}: stderr in a cell: {out.get('text', '')[:500]}"
            assert out["output_type"] != "error", f"{doc}: {out.get('ename')}: {out.get('evalue')}"
    assert monitor.peak < PEAK_MEMORY_BUDGET, f"{doc}: peak memory {monitor.peak / 2**30:.2f} GB"

    chapter_stats[doc] = {"seconds": seconds, "peak_mb": monitor.peak / 2**20}


@pytest.mark.parametrize("doc", notebooks())
def test_saving_an_unedited_chapter_leaves_it_byte_identical(doc):
    """JupyterLab saves a chapter through jupytext: its canonical form must be the file itself, so
    that opening and saving a chapter leaves no diff in a learner's clone (the browser test checks
    the same in a real JupyterLab, at a much higher cost)."""
    text = (ROOT / f"{doc}.md").read_text(encoding="utf-8")
    assert jupytext.writes(jupytext.reads(text, fmt="md:myst"), fmt="md:myst") == text, \
        f"{doc}: jupytext would rewrite it (a code cell's options are followed by a blank line)"
