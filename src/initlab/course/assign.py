"""Building assignments: masters -> student and autograder versions, and the hidden tests' hashes.

A master is a MyST Markdown notebook in ``assignments/`` written in otter-grader's format (raw
cells ``# ASSIGNMENT CONFIG``, ``# BEGIN QUESTION``, ``# BEGIN SOLUTION``, ``# BEGIN TESTS``; a
test cell whose ``# BEGIN TEST CONFIG`` header says ``hidden: true`` is hidden). :func:`build`
converts it to ``.ipynb`` with jupytext and runs ``otter assign``, which writes
``<out>/<name>/student`` (no solutions, public tests only) and ``.../autograder`` (solutions, all
tests), then records in ``<out>/<name>/manifest.json`` the SHA-256 of the master and of every
test file.

The grader loads the tests only through :func:`load_tests`, which checks those hashes on the
bytes it then compiles: a test file changed after the build, by anyone, stops the grading instead
of running. :func:`resolve_build` rebuilds when the master's content, not its date, changed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import warnings
from pathlib import Path

from .files import read_regular, sha256

__all__ = ["MASTERS", "BUILDS", "masters", "build", "build_all", "assignment_name", "load_tests",
           "hand_built", "resolve_build", "HiddenTestsChanged", "import_otter", "verified_tests"]

MASTERS = Path("assignments")
BUILDS = Path("_build") / "assignments"
MANIFEST = "manifest.json"
MAX_TEST_FILE = 1 << 20          # bytes


class HiddenTestsChanged(Exception):
    """A built assignment's tests differ from the hashes recorded when it was built.

    Examples
    --------
    >>> import tempfile
    >>> verified_tests(tempfile.mkdtemp())             # a folder without a manifest  # doctest: +NORMALIZE_WHITESPACE
    Traceback (most recent call last):
    ...
    initlab.course.assign.HiddenTestsChanged: ... has no valid manifest.json (built by an older version?):
    run make assignments again
    """


def import_otter():
    """Import otter-grader, whose dependencies (ipylab, via traitlets) warn on import.

    Examples
    --------
    >>> otter = import_otter()
    >>> hasattr(otter, "assign"), hasattr(otter, "test_files")
    (True, True)
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import otter.assign
        import otter.test_files
    return otter


def masters(folder=MASTERS) -> list[Path]:
    """The assignment masters in ``folder``: MyST notebooks with an ``# ASSIGNMENT CONFIG`` cell.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "a1.md").write_text("# ASSIGNMENT CONFIG")
    >>> _ = (folder / "notes.md").write_text("# Notes for the tutors")
    >>> [p.name for p in masters(folder)]
    ['a1.md']
    """
    return sorted(p for p in Path(folder).glob("*.md")
                  if re.search(r"(?m)^# ASSIGNMENT CONFIG\s*$", p.read_text(encoding="utf-8")))


def build(master, out=BUILDS) -> Path:
    """Run ``otter assign`` on one master and record the hashes; returns ``out/<master stem>``.

    Examples
    --------
    The smallest master: a question with its solution and one test.

    >>> import shutil, tempfile
    >>> from pathlib import Path
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "tiny.md").write_text('''---
    ... kernelspec: {name: python3, display_name: Python 3, language: python}
    ... ---
    ... ```{raw-cell}
    ... # ASSIGNMENT CONFIG
    ... name: tiny
    ... tests: {files: true, ok_format: false}
    ... ```
    ... ```{raw-cell}
    ... # BEGIN QUESTION
    ... name: q1
    ... ```
    ... ```{code-cell} ipython3
    ... answer = 2  # SOLUTION
    ... ```
    ... ```{raw-cell}
    ... # BEGIN TESTS
    ... ```
    ... ```{code-cell} ipython3
    ... def test_answer(answer):
    ...     assert answer == 2
    ...
    ... test_answer(answer)
    ... ```
    ... ```{raw-cell}
    ... # END TESTS
    ... ```
    ... ```{raw-cell}
    ... # END QUESTION
    ... ```
    ... ''')
    >>> built = build(folder / "tiny.md", folder / "builds")
    >>> sorted(p.name for p in built.iterdir())
    ['autograder', 'manifest.json', 'student', 'tiny-student.zip']
    >>> assignment_name(built), list(verified_tests(built))
    ('tiny', ['q1.py'])
    >>> shutil.rmtree(folder)
    """
    import jupytext

    otter_assign = import_otter().assign.main
    master = Path(master).resolve()
    target = (Path(out) / master.stem).resolve()
    text = master.read_bytes()
    notebook = jupytext.reads(text.decode(), fmt="md:myst")
    with tempfile.TemporaryDirectory(prefix="initlab-assign-") as tmp:
        source = Path(tmp) / f"{master.stem}.ipynb"
        jupytext.write(notebook, source)
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        cwd = os.getcwd()
        try:
            otter_assign(str(source), str(target), no_pdfs=True, no_run_tests=True)
        finally:
            os.chdir(cwd)
    shutil.make_archive(str(target / f"{master.stem}-student"), "zip", target / "student")
    tests = {p.name: sha256(p.read_bytes()) for p in _test_paths(target)}
    (target / MANIFEST).write_text(json.dumps({"master": sha256(text), "tests": tests}, indent=1), encoding="utf-8")
    return target


def build_all(names=(), masters_dir=MASTERS, out=BUILDS, log=print) -> list[Path]:
    """Build the named masters (all by default); returns their build folders.

    Examples
    --------
    >>> import tempfile
    >>> build_all(["a9"], masters_dir=tempfile.mkdtemp())
    Traceback (most recent call last):
    ...
    SystemExit: no master for a9 in ...
    """
    paths = masters(masters_dir)
    if names:
        wanted = {n.removesuffix(".md") for n in names}
        paths = [p for p in paths if p.stem in wanted or _otter_name(p) in wanted]
        missing = wanted - {p.stem for p in paths} - {_otter_name(p) for p in paths}
        if missing:
            raise SystemExit(f"no master for {', '.join(sorted(missing))} in {masters_dir}")
    return [build(master, out) for master in paths]


def _otter_name(path) -> str | None:
    match = re.search(r"(?m)^# ASSIGNMENT CONFIG\s*\n(?:.*\n)*?name:\s*(\S+)", Path(path).read_text(encoding="utf-8"))
    return match.group(1) if match else None


def assignment_name(build_dir) -> str:
    """The otter name of a built assignment (``a1``), from its autograder notebook.

    Examples
    --------
    >>> import json, tempfile
    >>> from pathlib import Path
    >>> built = Path(tempfile.mkdtemp())
    >>> (built / "autograder").mkdir()
    >>> metadata = {"metadata": {"otter": {"assignment_name": "a1"}}}
    >>> _ = (built / "autograder" / "a1-what-not-to-do.ipynb").write_text(json.dumps(metadata))
    >>> assignment_name(built)
    'a1'
    """
    notebooks = sorted((Path(build_dir) / "autograder").glob("*.ipynb"))
    if not notebooks:
        raise FileNotFoundError(f"{build_dir} holds no built assignment (run make assignments)")
    return json.loads(notebooks[0].read_text(encoding="utf-8"))["metadata"]["otter"]["assignment_name"]


# ---------------------------------------------------------------------------------------------
# The hidden tests, checked against their hashes

def _test_paths(build_dir: Path) -> list[Path]:
    return sorted((Path(build_dir) / "autograder" / "tests").glob("*.py"),
                  key=lambda p: [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", p.stem)])


def _manifest(build_dir: Path) -> dict:
    try:
        manifest = json.loads(read_regular(Path(build_dir) / MANIFEST, 1 << 20))
        if isinstance(manifest.get("tests"), dict) and isinstance(manifest.get("master"), str):
            return manifest
    except (OSError, ValueError, AttributeError):
        pass
    raise HiddenTestsChanged(f"{build_dir} has no valid {MANIFEST} (built by an older version?): "
                             f"run make assignments again")


def verified_tests(build_dir) -> dict[str, str]:
    """The source of every test file of ``build_dir``, if each matches its recorded hash and no
    file was added or removed; otherwise :class:`HiddenTestsChanged` naming the files.

    Examples
    --------
    A build folder by hand: one test file and the manifest with its hash.

    >>> import json, tempfile
    >>> from pathlib import Path
    >>> built = Path(tempfile.mkdtemp())
    >>> (built / "autograder" / "tests").mkdir(parents=True)
    >>> test = built / "autograder" / "tests" / "q1.py"
    >>> _ = test.write_text("assert answer == 2")
    >>> manifest = {"master": "", "tests": {"q1.py": sha256(test.read_bytes())}}
    >>> _ = (built / "manifest.json").write_text(json.dumps(manifest))
    >>> verified_tests(built)
    {'q1.py': 'assert answer == 2'}
    >>> _ = test.write_text("assert True")                  # someone edits a hidden test
    >>> verified_tests(built)  # doctest: +NORMALIZE_WHITESPACE
    Traceback (most recent call last):
    ...
    initlab.course.assign.HiddenTestsChanged: the tests of ... changed since it was built (q1.py):
    nothing was graded with them. Find out who changed them, then run make assignments again
    """
    recorded = _manifest(build_dir)["tests"]
    found = {p.name: p for p in _test_paths(build_dir)}
    changed = sorted(set(recorded) ^ set(found))
    sources = {}
    for name in (n for n in found if n in recorded):
        try:
            data = read_regular(found[name], MAX_TEST_FILE)
        except (OSError, ValueError):
            data = None
        if data is None or sha256(data) != recorded[name]:
            changed.append(name)
        else:
            sources[name] = data.decode()
    if changed:
        raise HiddenTestsChanged(f"the tests of {Path(build_dir).name} changed since it was built "
                                 f"({', '.join(sorted(changed))}): nothing was graded with them. "
                                 f"Find out who changed them, then run make assignments again")
    return sources


_ONE_TEST = '''from otter.test_files import test_case
OK_FORMAT = False
name = "q1"
points = 1
@test_case(points=None, hidden={hidden})
def test_answer(answer):
    assert answer == 2
'''


def hand_built(folder, name="tiny", hidden=True) -> Path:
    """A built assignment made by hand, without otter: one question ``q1`` worth 1 point whose
    test checks ``answer == 2``, its hash in the manifest. For trying the grader (the examples
    on this page use it) and for an instructor's own experiments.

    >>> import tempfile
    >>> built = hand_built(tempfile.mkdtemp())
    >>> assignment_name(built), sorted(verified_tests(built))
    ('tiny', ['q1.py'])
    """
    built = Path(folder) / name
    (built / "autograder" / "tests").mkdir(parents=True)
    otter_meta = {"metadata": {"otter": {"assignment_name": name}}}
    (built / "autograder" / f"{name}.ipynb").write_text(json.dumps(otter_meta), encoding="utf-8")
    source = _ONE_TEST.format(hidden=bool(hidden))
    (built / "autograder" / "tests" / "q1.py").write_text(source, encoding="utf-8")
    manifest = {"master": "", "tests": {"q1.py": sha256(source.encode())}}
    (built / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return built


def load_tests(build_dir) -> list:
    """otter's ``ExceptionTestFile`` of every test of ``build_dir``, compiled from the bytes whose
    hashes :func:`verified_tests` checked.

    Examples
    --------
    >>> import tempfile
    >>> built = hand_built(tempfile.mkdtemp(), hidden=False)
    >>> [test] = load_tests(built)
    >>> test.run({"answer": 2})
    >>> test.name, test.passed_all
    ('q1', True)
    """
    ExceptionTestFile = import_otter().test_files.ExceptionTestFile
    build_dir = Path(build_dir)
    return [ExceptionTestFile.from_string(source, str(build_dir / "autograder" / "tests" / name))
            for name, source in verified_tests(build_dir).items()]


def resolve_build(assignment: str, builds=BUILDS, masters_dir=MASTERS, log=print) -> Path:
    """The build folder of ``assignment`` (a folder name or an otter name), built first if it is
    missing, its master's content changed, or its tests do not match their hashes.

    Examples
    --------
    >>> import tempfile
    >>> empty = tempfile.mkdtemp()
    >>> resolve_build("a9", builds=empty, masters_dir=empty)
    Traceback (most recent call last):
    ...
    SystemExit: no assignment 'a9': not in ... and no master in ...
    """
    builds, masters_dir = Path(builds), Path(masters_dir)
    candidates = {p.stem: p for p in masters(masters_dir)} if masters_dir.is_dir() else {}
    by_otter = {_otter_name(p): stem for stem, p in candidates.items()}
    for folder in (builds.glob("*/autograder") if builds.is_dir() else []):
        try:
            by_otter.setdefault(assignment_name(folder.parent), folder.parent.name)
        except (FileNotFoundError, KeyError, ValueError):
            continue
    stem = by_otter.get(assignment, assignment)
    target, master = builds / stem, candidates.get(stem)
    if master is not None:
        try:
            stale = _manifest(target)["master"] != sha256(master.read_bytes())
            verified_tests(target)
        except HiddenTestsChanged as why:
            stale = why
        if stale:
            log(f"building {stem} from {master} first" + (f" ({stale})" if stale is not True else ""))
            build(master, builds)
    if not (target / "autograder").is_dir():
        raise SystemExit(f"no assignment {assignment!r}: not in {builds} and no master in {masters_dir}")
    return target
