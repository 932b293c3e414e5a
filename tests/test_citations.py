"""initlab.citations: the "(Author, year)" a notebook shows for {eval}`cited("key")`."""

from __future__ import annotations

import re

import pytest

from initlab import citations

from _book import ROOT

BIB = ROOT / "book" / "references.bib"
PAGES = sorted((ROOT / "book").glob("0*.md")) + [ROOT / "book" / "intro.md"]   # the executed pages


def test_every_key_the_chapters_cite_is_in_the_bibliography():
    refs = citations.bibliography(BIB)
    keys = set()
    for path in PAGES:
        for m in re.finditer(r"""\{eval\}`cited\((["'])([^"'`]+)\1\)`""", path.read_text(encoding="utf-8")):
            keys.update(k.strip() for k in m[2].split(","))
    assert len(keys) > 20
    assert not keys - set(refs), sorted(keys - set(refs))
    assert not any("{cite:p}" in p.read_text(encoding="utf-8") for p in PAGES), \
        "a page cites with {cite:p}, which JupyterLab cannot render: use {eval}`cited(...)`"


def test_cited_reads_the_bibliography_of_the_chapters_folder(monkeypatch):
    monkeypatch.chdir(ROOT / "book")
    who, year, _ = citations.bibliography(BIB)["he2015delving"]
    assert citations.cited("he2015delving") == f"({who}, {year})"
    assert citations.cited(" he2015delving ,glorot2010understanding").startswith(f"({who}, {year}; Glorot")


def test_bad_keys_are_clear_errors(monkeypatch, tmp_path):
    monkeypatch.chdir(ROOT)
    with pytest.raises(KeyError, match="nobody1999"):
        citations.cited("nobody1999")
    with pytest.raises(TypeError, match="must be a str"):
        citations.cited(["he2015delving"])
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FileNotFoundError, match="references.bib"):
        citations.cited("he2015delving")
