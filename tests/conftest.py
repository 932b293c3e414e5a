"""Session-wide reporting: the chapters' wall time and peak memory, printed after the run.

``test_chapters.py`` records each chapter's numbers through the ``chapter_stats`` fixture; the
summary at the end of ``make test`` shows them, so the budgets can be read off every run without
the tests writing anything into the build folder.
"""

import pytest

_CHAPTER_STATS: dict[str, dict] = {}


@pytest.fixture(scope="session")
def chapter_stats() -> dict[str, dict]:
    """doc -> {"seconds": wall time, "peak_mb": the kernel's peak memory}, filled by the tests."""
    return _CHAPTER_STATS


def pytest_terminal_summary(terminalreporter):
    if not _CHAPTER_STATS:
        return
    terminalreporter.section("chapters: execution from a fresh kernel")
    for doc, s in sorted(_CHAPTER_STATS.items()):
        terminalreporter.write_line(f"{doc:32s} {s['seconds']:6.1f} s   peak {s['peak_mb']:6.0f} MB")
