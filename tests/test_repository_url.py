"""One setting for where the book lives: ``repository.url`` (and ``repository.branch``) in
``_config.yml``. No other source names the repository, and every link of the built book that
points at it (repository and issue buttons, Binder, Colab, the install command for students)
is derived from that setting."""

from __future__ import annotations

import html
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from _book import HTML, ROOT, build_book, notebooks

CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
URL = CONFIG["repository"]["url"].rstrip("/")
BRANCH = CONFIG["repository"].get("branch", "main")
OWNER_REPO = URL.split("github.com/", 1)[1]
TEXT = {".md", ".py", ".yml", ".yaml", ".toml", ".txt", ".cfg", ".js", ".css", ".html", ".json", ".sh", ""}


def _sources() -> list[Path]:
    """The repository's text files (generated notebooks are derived from the setting, so skipped)."""
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            capture_output=True, text=True)
    paths = [ROOT / p for p in listed.stdout.splitlines()] if listed.returncode == 0 else \
        [p for p in ROOT.rglob("*") if not {"_build", ".venv", ".git"} & set(p.parts)]
    return [p for p in paths if p.is_file() and p.suffix in TEXT and p.name != "_config.yml"]


def test_the_repository_is_named_once():
    assert URL.startswith("https://github.com/") and OWNER_REPO.count("/") == 1, URL
    named = [str(p.relative_to(ROOT)) for p in _sources()
             if OWNER_REPO in p.read_text(encoding="utf-8", errors="replace")]
    assert not named, f"{named} name the repository: derive it from repository.url in _config.yml"


@pytest.fixture(scope="module")
def pages():
    assert build_book().returncode == 0, "the book did not build; see test_book.py"
    return HTML


def _links(page: Path) -> list[str]:
    return [html.unescape(h) for h in re.findall(r'href="([^"]+)"', page.read_text(encoding="utf-8"))]


@pytest.mark.parametrize("doc", notebooks())
def test_chapter_links_follow_the_setting(pages, doc):
    links = _links(pages / f"{doc}.html")
    assert URL in links, f"{doc}: no repository button to {URL}"
    assert any(h.startswith(f"{URL}/issues") for h in links), f"{doc}: no issue link"
    binder = [h for h in links if "mybinder.org" in h or CONFIG["launch_buttons"]["binderhub_url"] in h]
    assert binder and all(f"/v2/gh/{OWNER_REPO}/{BRANCH}?" in h for h in binder), binder
    assert all(f"/github/{OWNER_REPO}/blob/{BRANCH}/" in h for h in links if "colab.research.google.com" in h)
    # Any other link into github.com/<owner>/<repo> of ours is the configured one.
    ours = [h for h in links if re.match(rf"https://github\.com/[^/]+/{re.escape(OWNER_REPO.split('/')[1])}\b", h)]
    assert all(h.startswith(URL) for h in ours), ours


def test_students_install_from_the_setting(pages):
    text = html.unescape(re.sub(r"<[^>]+>", "", (pages / "book" / "instructors.html").read_text(encoding="utf-8")))
    assert f'pip install "initlab[course] @ git+{URL}"' in text
