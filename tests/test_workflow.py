"""The publishing workflow (.github/workflows/): valid by GitHub's schema, checked offline, and
doing what the README says: `make test` on pull requests; on main, the book and its PDF built and
deployed to GitHub Pages, with pip and the execution cache kept between runs."""

from __future__ import annotations

import re
import subprocess

import pytest
import yaml

from _book import ROOT, venv_bin

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))


def _lint(path) -> subprocess.CompletedProcess:
    """check-jsonschema with its vendored copy of the workflow schema: no network needed."""
    return subprocess.run([venv_bin("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(path)],
                          capture_output=True, text=True, timeout=120)


def _workflow() -> dict:
    assert len(WORKFLOWS) == 1, f"expected one workflow, found {[p.name for p in WORKFLOWS]}"
    return yaml.safe_load(WORKFLOWS[0].read_text(encoding="utf-8"))


def _runs(job: dict) -> str:
    return "\n".join(step.get("run", "") for step in job["steps"])


def _uses(job: dict) -> list[str]:
    return [step["uses"].split("@")[0] for step in job["steps"] if "uses" in step]


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_passes_the_schema(path):
    result = _lint(path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_linter_rejects_a_broken_workflow(tmp_path):
    broken = WORKFLOWS[0].read_text(encoding="utf-8").replace("runs-on:", "run-on:", 1)
    (tmp_path / "broken.yml").write_text(broken, encoding="utf-8")
    result = _lint(tmp_path / "broken.yml")
    assert result.returncode != 0 and "run-on" in result.stdout, result.stdout


def test_pull_requests_run_the_tests():
    wf = _workflow()
    triggers = wf[True] if True in wf else wf["on"]        # YAML 1.1 reads the key `on` as True
    assert "pull_request" in triggers and triggers["push"]["branches"] == ["main"]
    tests = [j for j in wf["jobs"].values() if "pull_request" in j.get("if", "") and "==" in j["if"]]
    assert len(tests) == 1 and ".ci/run" in _runs(tests[0]), "a pull request must run .ci/run (make test)"


def test_main_builds_the_book_and_pdf_and_deploys_pages():
    jobs = _workflow()["jobs"]
    build = next(j for j in jobs.values() if "make book" in _runs(j))
    assert "!=" in build["if"] and "pull_request" in build["if"], "the book is published from main only"
    runs = _runs(build)
    assert runs.index("make book") < runs.index("make pdf")
    upload = next(s for s in build["steps"] if s.get("uses", "").startswith("actions/upload-pages-artifact"))
    assert upload["with"]["path"] == "_build/html"
    deploy = next(j for j in jobs.values() if "actions/deploy-pages" in _uses(j))
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for target in re.findall(r"\bmake (\w+)", runs):
        assert re.search(rf"(?m)^{target}:", makefile), f"the workflow runs make {target}, which the Makefile lacks"


def test_caches_are_keyed_on_what_changes_them():
    for job in _workflow()["jobs"].values():
        for step in job["steps"]:
            if step.get("uses", "").startswith("actions/setup-python"):
                assert step["with"]["cache"] == "pip" and "constraints.txt" in step["with"]["cache-dependency-path"]
    build = next(j for j in _workflow()["jobs"].values() if "make book" in _runs(j))
    cache = next(s for s in build["steps"] if s.get("uses", "").startswith("actions/cache"))
    assert cache["with"]["path"] == "_build/.jupyter_cache"
    key = cache["with"]["key"]
    for source in ("book/", "src/initlab/", "_config.yml"):
        assert source in key, f"the execution cache must be keyed on {source}"
    # A fallback key would restore a cache made with an older src/initlab, which the cache's own
    # check (a chapter's cells) does not notice.
    assert "restore-keys" not in cache["with"]


def test_workflow_names_no_repository():
    url = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))["repository"]["url"]
    owner_repo = url.rstrip("/").split("github.com/")[-1]
    assert owner_repo not in WORKFLOWS[0].read_text(encoding="utf-8")
