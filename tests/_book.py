"""Shared helpers for the book tests: the chapter list, and one forced build per test run."""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "_build" / "test-book"      # kept apart from `make book`'s _build/html
HTML = BUILD / "_build" / "html"


def toc_files() -> list[str]:
    """Every document in _toc.yml, root first, as paths without suffix (e.g. 'book/intro')."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    files = [toc["root"]]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                files.append(entry["file"])
            walk(entry.get("sections"))
            walk(entry.get("chapters"))

    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    walk(toc.get("chapters"))
    return files


def is_notebook(doc: str) -> bool:
    """A MyST notebook has a jupytext/kernelspec header and code cells."""
    text = (ROOT / f"{doc}.md").read_text(encoding="utf-8")
    return "kernelspec:" in text.split("\n---", 1)[0] and "```{code-cell}" in text


def notebooks() -> list[str]:
    return [doc for doc in toc_files() if is_notebook(doc)]


def venv_bin(name: str) -> str:
    """A console script installed next to the running Python."""
    return str(Path(sys.executable).parent / name)


@functools.cache
def build_book() -> subprocess.CompletedProcess:
    """Build the whole book once per test run, with execution forced and ``-W -n --keep-going``.

    The ``cache`` mode of ``_config.yml`` would skip chapters whose cells did not change even when
    ``src/initlab`` did, so the test build uses a copy of the config with ``force``.
    """
    shutil.rmtree(BUILD, ignore_errors=True)
    BUILD.mkdir(parents=True)
    config = (ROOT / "_config.yml").read_text(encoding="utf-8")
    forced, n = re.subn(r"(?m)^(\s*execute_notebooks:\s*)cache\b", r"\1force", config)
    assert n == 1, "_config.yml must set execute_notebooks: cache exactly once"
    # Jupyter Book resolves local_extensions against the config file's folder.
    forced = forced.replace(": book/_ext", f": {ROOT / 'book' / '_ext'}")
    (BUILD / "_config.yml").write_text(forced, encoding="utf-8")
    env = dict(os.environ, PYTHONHASHSEED="0")
    return subprocess.run(
        [venv_bin("jupyter-book"), "build", str(ROOT), "--config", str(BUILD / "_config.yml"),
         "--path-output", str(BUILD), "-W", "-n", "--keep-going"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=3600)
