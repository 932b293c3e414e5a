"""Instructor coursework: build assignments with otter-grader, and grade submissions offline.

Two commands (``make assignments``, ``make grade SUBMISSIONS=folder``)::

    python -m initlab.grading assign [NAME ...]            # masters -> student + autograder
    python -m initlab.grading grade SUBMISSIONS [--assignment NAME] [--out _build/grades]

**Building.** A master is a MyST Markdown notebook in ``assignments/`` written in otter-grader's
format (raw cells ``# ASSIGNMENT CONFIG``, ``# BEGIN QUESTION``, ``# BEGIN SOLUTION``,
``# BEGIN TESTS``; a test cell whose ``# BEGIN TEST CONFIG`` header says ``hidden: true`` is
hidden). :func:`build` converts it
to ``.ipynb`` with jupytext in a temporary folder and runs ``otter assign``, which writes
``_build/assignments/<name>/student`` (no solutions, public tests only) and ``.../autograder``
(solutions, all tests). Then the reference solution is graded and must score 100 %.

**Grading.** ``otter run`` executes a submission in a Jupyter kernel that loads the test files
itself and writes its own results file, so a submission could read the hidden tests and forge its
score. Here the two never meet (see ``initlab.sandbox``):

1. the submission runs in a confined worker process, in a temporary folder holding a copy of it
   and the public tests, with limits on memory, CPU and wall-clock time and file size, and no
   access to any other file (Landlock);
2. the grader loads the hidden tests with otter's own test-file machinery
   (``otter.test_files.ExceptionTestFile``) and runs them in *its* process, against proxies:
   each function call or value lookup a test makes is a request to the worker, answered as data.

A submission that crashes, loops, exits, floods its output, exhausts its memory, deletes files
or reaches outside its folder loses the cells or calls concerned, with the reason in its
feedback; the worker is restarted (skipping a cell that killed it) at most ``max_starts`` times.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import csv
import dataclasses
import json
import os
import re
import shutil
import site
import sys
import sysconfig
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

from . import sandbox
from .coursework import check_student_id

__all__ = ["Limits", "Grade", "build", "build_all", "grade", "grade_submission", "write_report",
           "main"]

MASTERS = Path("assignments")
BUILDS = Path("_build") / "assignments"
GRADES = Path("_build") / "grades"
SUFFIXES = (".ipynb", ".md", ".py")
MAX_SUBMISSION = 20 << 20        # bytes


@dataclasses.dataclass
class Limits:
    """Limits per submission (``make grade`` exposes them as options).

    Measured on a 2-core machine: a worker running the NumPy assignments peaks at 0.14 GB of
    address space (66 MB resident) and runs a notebook in about a second; the Keras assignment's
    worker, which imports TensorFlow, peaks at 1.5 GB of address space (0.64 GB resident) with
    one thread per TensorFlow pool, as the grader sets it, and 2.4 GB with TensorFlow's default
    threads, and runs the notebook in 10 s. ``memory`` (RLIMIT_AS) leaves room above that;
    RLIMIT_DATA is used where RLIMIT_AS is not supported."""

    cell_timeout: float = 120.0      # wall-clock seconds per notebook cell
    call_timeout: float = 30.0       # wall-clock seconds per function call made by a test
    test_timeout: float = 120.0      # wall-clock seconds of calls per test case (no new call after)
    budget: float = 900.0            # wall-clock seconds per submission, restarts included
    cpu: int = 900                   # CPU seconds per worker process (RLIMIT_CPU)
    memory: int = 4 << 30            # bytes of address space per worker (RLIMIT_AS)
    file_size: int = 64 << 20        # bytes per file written (RLIMIT_FSIZE), output log included
    max_starts: int = 3              # worker starts per submission (each restart re-runs the cells)
    startup_timeout: float = 60.0    # seconds for a worker to confine itself and start IPython


# ---------------------------------------------------------------------------------------------
# Building assignments

def _import_otter():
    """Import otter-grader, whose dependencies (ipylab, via traitlets) warn on import."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import otter.assign
        import otter.test_files
    return otter


def masters(folder=MASTERS) -> list[Path]:
    """The assignment masters in ``folder``: MyST notebooks with an ``# ASSIGNMENT CONFIG`` cell."""
    return sorted(p for p in Path(folder).glob("*.md")
                  if re.search(r"(?m)^# ASSIGNMENT CONFIG\s*$", p.read_text()))


def build(master, out=BUILDS) -> Path:
    """Run ``otter assign`` on one master; returns ``out/<master stem>``."""
    import jupytext

    otter_assign = _import_otter().assign.main
    master = Path(master).resolve()
    target = (Path(out) / master.stem).resolve()
    notebook = jupytext.read(master)
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
    return target


def build_all(names=(), masters_dir=MASTERS, out=BUILDS, verify=True, log=print) -> list[Path]:
    """Build the named masters (all by default); with ``verify``, grade each reference solution."""
    paths = masters(masters_dir)
    if names:
        wanted = {n.removesuffix(".md") for n in names}
        paths = [p for p in paths if p.stem in wanted or _otter_name(p) in wanted]
        missing = wanted - {p.stem for p in paths} - {_otter_name(p) for p in paths}
        if missing:
            raise SystemExit(f"no master for {', '.join(sorted(missing))} in {masters_dir}")
    built = []
    for master in paths:
        start = time.monotonic()
        target = build(master, out)
        log(f"{master.stem}: built {target}/student and /autograder in {time.monotonic() - start:.1f} s")
        built.append(target)
        if verify:
            reference = target / "autograder" / f"{master.stem}.ipynb"
            [result] = grade([reference], target, masters_dir=masters_dir)
            log(f"{master.stem}: reference solution scores {result.total:g}/{result.possible:g} "
                f"({time.monotonic() - start:.1f} s in all)")
            if result.total != result.possible:
                raise SystemExit(f"{master.stem}: the reference solution does not score 100 %:\n"
                                 + result.feedback())
    return built


def _otter_name(path) -> str | None:
    match = re.search(r"(?m)^# ASSIGNMENT CONFIG\s*\n(?:.*\n)*?name:\s*(\S+)", Path(path).read_text())
    return match.group(1) if match else None


def assignment_name(build_dir) -> str:
    """The otter name of a built assignment (``a1``), from its autograder notebook."""
    notebooks = sorted((Path(build_dir) / "autograder").glob("*.ipynb"))
    if not notebooks:
        raise FileNotFoundError(f"{build_dir} holds no built assignment (run make assignments)")
    return json.loads(notebooks[0].read_text())["metadata"]["otter"]["assignment_name"]


# ---------------------------------------------------------------------------------------------
# Reading submissions

_OTTER_CELL = re.compile(r"(?:\s*#[^\n]*\n)*\s*import otter\s*\n\s*grader\s*=\s*otter\.Notebook\([^)]*\)\s*"
                         r"|\s*(?:grader\.(?:check|check_all|export)\([^)]*\)\s*)+")


def read_submission(path) -> tuple[list[tuple[int, str]], str | None]:
    """The code cells of a submission as ``(number, source)``, numbered from 1, without otter's
    generated cells; and the assignment it declares (notebook metadata), if any."""
    import jupytext

    path = Path(path)
    if path.stat().st_size > MAX_SUBMISSION:
        raise ValueError(f"the file is larger than {MAX_SUBMISSION >> 20} MB")
    text = path.read_text(encoding="utf-8", errors="replace")
    fmt = {".ipynb": "ipynb", ".md": "md"}.get(path.suffix) or ("py:percent" if "# %%" in text else "py:light")
    with warnings.catch_warnings():                    # e.g. nbformat's missing cell ids
        warnings.simplefilter("ignore")
        notebook = jupytext.reads(text, fmt=fmt)
    cells, number = [], 0
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        number += 1
        if not _OTTER_CELL.fullmatch(cell.source):
            cells.append((number, cell.source))
    declared = notebook.metadata.get("otter", {}).get("assignment_name")
    return cells, declared if isinstance(declared, str) else None


def find_submissions(folder) -> dict[str, Path]:
    """Every submission under ``folder``: student name (path without suffix) -> file."""
    folder = Path(folder)
    if folder.is_file():
        return {folder.stem: folder}
    found = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if (path.is_file() and path.suffix in SUFFIXES
                and not any(part.startswith((".", "_")) for part in rel.parts)):
            name = rel.with_suffix("").as_posix()
            found[name if name not in found else rel.as_posix()] = path
    return found


# ---------------------------------------------------------------------------------------------
# The sandbox configuration

def sandbox_paths(protected) -> dict:
    """What a worker may read: the system directories and this Python installation, nothing else.

    Raises ValueError if one of them contains a ``protected`` path (the hidden tests, the
    submissions, the reports, the repository), which a worker would then be able to read.
    """
    import initlab

    read = {"/usr", "/lib", "/lib32", "/lib64", "/bin", "/sbin", "/etc", "/proc", "/sys",
            sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
            os.path.dirname(os.path.dirname(os.path.abspath(initlab.__file__)))}
    read |= {p for k, p in sysconfig.get_paths().items() if k in ("stdlib", "platstdlib", "purelib", "platlib")}
    read |= set(site.getsitepackages())
    read = sorted({os.path.realpath(p) for p in read if os.path.exists(p)})
    for path in read:
        for secret in protected:
            secret = os.path.realpath(secret)
            if secret == path or secret.startswith(path.rstrip("/") + "/"):
                raise ValueError(f"the sandbox must let submissions read {path} (Python or the "
                                 f"system), but it contains {secret}: move it elsewhere")
    return {"read": read, "devices": ["/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom"]}


def _worker_env(work: Path) -> dict:
    return {"PATH": os.pathsep.join([os.path.dirname(sys.executable), "/usr/bin", "/bin"]),
            "HOME": str(work), "TMPDIR": str(work / "tmp"), "LANG": "C.UTF-8",
            "MPLBACKEND": "Agg", "MPLCONFIGDIR": str(work / ".matplotlib"),
            "IPYTHONDIR": str(work / ".ipython"), "KERAS_HOME": str(work / ".keras"),
            "XDG_CACHE_HOME": str(work / ".cache"), "TF_CPP_MIN_LOG_LEVEL": "3",
            "KERAS_BACKEND": "tensorflow", "OMP_NUM_THREADS": "1",
            "TF_NUM_INTRAOP_THREADS": "1", "TF_NUM_INTEROP_THREADS": "1"}


# ---------------------------------------------------------------------------------------------
# One submission's worker, restarted as needed

class GradingError(Exception):
    """Something the grader did to the student's code (a limit), reported in the feedback."""


class TimeLimitExceeded(GradingError):
    pass


class NotebookCrashed(GradingError):
    pass


class NotGraded(GradingError):
    pass


class StudentError(Exception):
    """An exception raised by the student's code in the worker (subclassed per type name)."""


_STUDENT_ERRORS: dict = {}


def _student_error(type_name, message) -> StudentError:
    name = "".join(c for c in str(type_name) if c.isalnum() or c == "_")[:80] or "Exception"
    cls = _STUDENT_ERRORS.get(name) or _STUDENT_ERRORS.setdefault(
        name, type(name, (StudentError,), {"__module__": "student"}))
    return cls(str(message)[:1000])


UNDEFINED = object()


def _snippet(source: str) -> str:
    line = next((l.strip() for l in source.splitlines() if l.strip() and not l.strip().startswith("#")),
                source.strip()[:60])
    return line if len(line) <= 60 else line[:57] + "..."


class Session:
    """A submission's worker: started on demand, restarted after a crash or a timeout, skipping
    a cell that killed it; values and calls go through :meth:`get` and :meth:`call`."""

    def __init__(self, cells, work: Path, limits: Limits, paths: dict, require_landlock=True):
        self.cells, self.work, self.limits = cells, work, limits
        self.sources = dict(cells)
        self.config = {"limits": {"memory": limits.memory, "cpu": limits.cpu,
                                  "file_size": limits.file_size},
                       "write": [str(work)], **paths}
        self.require_landlock = require_landlock
        self.skipped: dict[int, str] = {}
        self.errors: dict[int, str] = {}
        self.poisoned: dict[str, Exception] = {}
        self.worker = None
        self.generation = self.starts = self.requests = 0
        self.failure = None
        self.landlock = None
        self.cache: dict = {}                           # name -> value, for one test case
        self.printed = 0                                # bytes the notebook printed
        self.deadline = time.monotonic() + limits.budget
        self.test_deadline = None                       # set per test case by _run_question

    # -- the worker's life
    def ready(self) -> sandbox.Worker:
        if self.worker is not None and not self.worker.ended:
            return self.worker
        if self.worker is not None:
            self.worker.close()
            self.worker = None
        while True:
            if self.failure is None and self.starts >= self.limits.max_starts:
                self.failure = (f"your notebook was stopped {self.starts} times, the most allowed; "
                                f"what remained was not graded")
            if self.failure is None and time.monotonic() > self.deadline:
                self.failure = f"the time budget of {self.limits.budget:g} s per submission ran out"
            if self.failure is not None:
                raise NotGraded(self.failure)
            self.starts += 1
            self.generation += 1
            worker = sandbox.Worker(self.work, self.config, _worker_env(self.work),
                                    self.work / "output.log")
            if self._run(worker):
                self.worker = worker
                return worker
            worker.close()

    def _remaining(self, limit):
        return max(0.1, min(limit, self.deadline - time.monotonic()))

    def _run(self, worker) -> bool:
        """Start ``worker`` and run the cells; False (and a skipped cell or a failure) if it ended."""
        try:
            hello, _ = worker.recv(self._remaining(self.limits.startup_timeout))
        except (sandbox.WorkerDied, sandbox.WorkerTimeout) as error:
            self.failure = f"the sandbox did not start ({error}): {self._log_tail()}"
            return False
        if hello.get("event") != "hello" or hello.get("error"):
            self.failure = f"the sandbox could not be set up: {hello.get('error')}"
            return False
        self.landlock = hello.get("landlock")
        if self.require_landlock and not self.landlock:
            self.failure = "the sandbox has no Landlock file-system isolation on this machine"
            return False
        current = last = None
        errors = {}
        try:
            worker.send({"op": "run", "cells": [[n, s] for n, s in self.cells if n not in self.skipped]})
            while True:
                limit = self.limits.cell_timeout if current is not None else self.limits.startup_timeout
                message, _ = worker.recv(self._remaining(limit))
                event, cell = message.get("event"), message.get("cell")
                if isinstance(message.get("printed"), int):
                    self.printed = max(self.printed, message["printed"])
                if event == "start" and cell in self.sources:
                    current = last = cell
                elif event == "end" and cell in self.sources:
                    if isinstance(message.get("error"), str):
                        errors[cell] = message["error"][:700]
                    current = None
                elif event == "ran":
                    self.errors = errors
                    return True
        except sandbox.WorkerTimeout:
            if time.monotonic() >= self.deadline - 0.2:
                self.failure = f"the time budget of {self.limits.budget:g} s per submission ran out"
            elif current is None and last is None:
                self.failure = "your notebook did not start in time"
            else:
                self.skipped[current or last] = (f"did not finish within {self.limits.cell_timeout:g} s "
                                                 f"(the time limit per cell)")
        except sandbox.WorkerDied as error:
            if current is None and last is None:
                self.failure = f"the sandbox ended before running your cells ({error})"
            else:
                self.skipped[current or last] = f"ended the grading process: {error}"
        return False

    def _log_tail(self, n=600):
        try:
            return (self.work / "output.log").read_bytes()[-n:].decode(errors="replace").strip()
        except OSError:
            return ""

    def close(self):
        if self.worker is not None:
            self.worker.close()

    # -- requests
    def _out_of_time(self):
        """Refuse a new request once the submission's budget or the test case's time is used up."""
        now = time.monotonic()
        if self.failure is None and now > self.deadline:
            self.failure = f"the time budget of {self.limits.budget:g} s per submission ran out"
        if self.failure is not None:
            raise NotGraded(self.failure)
        if self.test_deadline is not None and now > self.test_deadline:
            raise TimeLimitExceeded(f"this test spent more than {self.limits.test_timeout:g} s in your "
                                    f"code (the time limit per test); it was stopped there")

    def _request(self, message: dict, key: str, name=None, blobs=()):
        self._out_of_time()
        worker = self.ready()
        self.requests += 1
        message["id"] = self.requests
        deadline = time.monotonic() + min(self.limits.call_timeout, max(0.1, self.deadline - time.monotonic()))
        try:
            worker.send(message, blobs)
            while True:
                reply, blobs = worker.recv(max(0.01, deadline - time.monotonic()))
                if reply.get("id") == self.requests:
                    break
        except sandbox.WorkerTimeout:
            if time.monotonic() >= self.deadline - 0.2:
                self.failure = f"the time budget of {self.limits.budget:g} s per submission ran out"
                raise NotGraded(self.failure) from None
            error = TimeLimitExceeded(f"no answer within {self.limits.call_timeout:g} s (the time limit "
                                      f"per call); your notebook was stopped")
            self.poisoned[key] = error
            raise error from None
        except sandbox.WorkerDied as died:
            error = NotebookCrashed(f"your code ended the grading process: {died}")
            self.poisoned[key] = error
            raise error from None
        if reply.get("ok") is not True:
            raise _student_error(reply.get("etype"), reply.get("error"))
        if reply.get("defined") is False:
            return UNDEFINED
        generation = self.generation

        def resolve(tag, data):
            if tag != "__remote__":
                raise sandbox.ProtocolError(f"unexpected {tag}")
            description = sandbox.decode(data.get("description"), blobs)
            return sandbox.remote_object(self, data, generation, name, description)

        try:
            return sandbox.decode(reply.get("value"), blobs, resolve)
        except sandbox.ProtocolError as error:
            raise NotGraded(f"your answer could not be read ({error})") from None

    def get(self, name: str):
        """The value of ``name`` in the notebook (data, a proxy, or :data:`UNDEFINED`)."""
        if name in self.poisoned:
            raise self.poisoned[name]
        return self._request({"op": "get", "name": name}, name, name=name)

    def call(self, remote, args, kwargs):
        key = remote.name or f"{remote.type_name} #{remote._handle}"
        if key in self.poisoned:
            raise self.poisoned[key]
        worker = self.ready()
        if remote._generation == self.generation and not worker.ended:
            message = {"op": "call", "handle": remote._handle}
        elif remote.name is not None:
            message = {"op": "call", "name": remote.name}
        else:
            raise NotebookCrashed("this object came from a run of your notebook that was stopped")
        blobs: list[bytes] = []

        def refer(value):
            if isinstance(value, sandbox.RemoteObject) and value._generation == self.generation:
                return {"__handle__": value._handle}
            raise TypeError(f"a test passed a {type(value).__name__}, which cannot be sent")

        message["args"] = sandbox.encode(list(args), blobs, refer)
        message["kwargs"] = sandbox.encode(dict(kwargs), blobs, refer)
        return self._request(message, key, blobs=blobs)


class RemoteEnv(dict):
    """The global environment otter's test functions are called with: names are looked up in
    the worker when asked for (once per test case)."""

    def __init__(self, session: Session):
        super().__init__()
        self.session = session

    def lookup(self, name):
        if name not in self.session.cache:
            self.session.cache[name] = self.session.get(name)
        return self.session.cache[name]

    def get(self, name, default=None):
        value = self.lookup(name)
        return default if value is UNDEFINED else value

    def __getitem__(self, name):
        value = self.lookup(name)
        if value is UNDEFINED:
            raise KeyError(name)
        return value

    def __contains__(self, name):
        return self.lookup(name) is not UNDEFINED


# ---------------------------------------------------------------------------------------------
# Grades

@dataclasses.dataclass
class TestResult:
    name: str
    hidden: bool
    passed: bool
    points: float
    message: str | None = None


@dataclasses.dataclass
class Grade:
    """One submission's grade: points and test results per question, and notes."""

    student: str
    source: str
    assignment: str
    scores: dict = dataclasses.field(default_factory=dict)        # question -> (score, possible)
    tests: dict = dataclasses.field(default_factory=dict)         # question -> [TestResult]
    notes: list = dataclasses.field(default_factory=list)
    student_id: str | None = None
    seconds: float = 0.0
    ran: bool = False                                  # whether the notebook was run at all

    @property
    def total(self) -> float:
        return round(sum(s for s, _ in self.scores.values()), 4)

    @property
    def possible(self) -> float:
        return round(sum(p for _, p in self.scores.values()), 4)

    def feedback(self) -> str:
        """The feedback for the student, as Markdown."""
        lines = [f"# {self.assignment}: feedback for {self.student}", "",
                 f"**Score: {self.total:g} / {self.possible:g}**"
                 + (f" (STUDENT_ID `{self.student_id}`)" if self.student_id else ""), ""]
        if self.notes:
            lines += ["## About your notebook", ""] + [f"* {n}" for n in self.notes] + [""]
        for question, (score, possible) in self.scores.items():
            lines += [f"## {question}: {score:g} / {possible:g}", ""]
            for t in self.tests.get(question, []):
                kind = "hidden test" if t.hidden else "test"
                if t.passed:
                    lines.append(f"* ✔ {kind} {t.name} passed")
                else:
                    message = (t.message or "failed").strip().replace("\n", "\n  ")
                    lines.append(f"* ✘ {kind} {t.name}: {message}")
            lines.append("")
        return "\n".join(lines)


def _load_tests(build_dir: Path):
    ExceptionTestFile = _import_otter().test_files.ExceptionTestFile
    paths = sorted((build_dir / "autograder" / "tests").glob("*.py"),
                   key=lambda p: [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", p.stem)])
    return [ExceptionTestFile.from_file(str(p)) for p in paths]


def _run_question(test_file, session: Session, env: RemoteEnv) -> list[TestResult]:
    TestCaseResult = _import_otter().test_files.abstract_test.TestCaseResult

    results, otter_results = [], []
    for number, case in enumerate(test_file.test_cases, 1):
        session.cache = {}
        session.test_deadline = time.monotonic() + session.limits.test_timeout
        message = None
        try:
            for name in case.body._get_func_params():
                if name != "env" and env.lookup(name) is UNDEFINED:
                    raise NameError(f"`{name}` is not defined in your notebook: did its cell run, "
                                    f"and does it keep that name?")
            with np.errstate(all="ignore"):              # a student's NaNs are a failure, not a crash
                case.body.call_func(env)
        except AssertionError as error:
            message = str(error) or "an assertion failed"
        except StudentError as error:
            message = f"your code raised {type(error).__name__}: {error}"
        except Exception as error:                      # noqa: BLE001 - every failure is a result
            message = f"{type(error).__name__}: {error}"
        passed = message is None
        otter_results.append(TestCaseResult(test_case=case, message=message, passed=passed))
        results.append(TestResult(str(number), case.hidden, passed, case.points, message))
    test_file.test_case_results = otter_results
    return results


def grade_submission(path, build_dir, student=None, limits=None, paths=None,
                     require_landlock=True) -> Grade:
    """Grade one submission against the built assignment in ``build_dir``."""
    path, build_dir, limits = Path(path), Path(build_dir), limits or Limits()
    start = time.monotonic()
    name = assignment_name(build_dir)
    tests = _load_tests(build_dir)
    grade = Grade(student or path.stem, str(path), name)
    for test_file in tests:
        grade.scores[test_file.name] = (0.0, float(test_file.possible))

    try:
        cells, declared = read_submission(path)
    except Exception as error:                          # noqa: BLE001 - unreadable: zero, with why
        grade.notes.append(f"your file could not be read as a notebook ({type(error).__name__}: "
                           f"{str(error)[:300]}); nothing was graded")
        return grade
    if declared is not None and declared != name:
        grade.notes.append(f"this notebook is for assignment {declared!r}, not {name!r}; nothing was graded")
        return grade

    work = Path(tempfile.mkdtemp(prefix="initlab-grade-"))
    try:
        (work / "tmp").mkdir()
        shutil.copy(path, work / f"submission{path.suffix}")
        if (build_dir / "student" / "tests").is_dir():
            shutil.copytree(build_dir / "student" / "tests", work / "tests")
        session = Session(cells, work, limits, paths or sandbox_paths([build_dir]), require_landlock)
        grade.ran = True
        try:
            env = RemoteEnv(session)
            try:
                grade.student_id = check_student_id(session.get("STUDENT_ID"))
            except (ValueError, GradingError, StudentError):
                grade.student_id = None
            for test_file in tests:
                results = _run_question(test_file, session, env)
                grade.tests[test_file.name] = results
                grade.scores[test_file.name] = (round(float(test_file.score), 4), float(test_file.possible))
            grade.notes += _session_notes(session)
        finally:
            session.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    grade.seconds = time.monotonic() - start
    return grade


def _session_notes(session: Session) -> list[str]:
    notes = []
    if session.failure:
        notes.append(f"Grading stopped early: {session.failure}.")
    for cell, reason in sorted(session.skipped.items()):
        notes.append(f"Code cell {cell} (`{_snippet(session.sources[cell])}`) {reason}; it was "
                     f"skipped and the rest of your notebook graded without it.")
    for cell, error in sorted(session.errors.items()):
        notes.append(f"Code cell {cell} (`{_snippet(session.sources[cell])}`) raised {error}")
    for key, error in session.poisoned.items():
        notes.append(f"A call of `{key}` was stopped: {error}.")
    if session.printed > 1 << 20:
        notes.append(f"Your notebook printed {session.printed / 2**20:.1f} MB of output; the grader "
                     f"kept the first {sandbox._LOG_LIMIT >> 20} MB and ignored the rest.")
    return notes


# ---------------------------------------------------------------------------------------------
# Grading a folder

def _resolve_build(assignment, builds, masters_dir, submissions) -> Path:
    """The build folder of ``assignment`` (a folder name or an otter name), built if missing or
    older than its master. Without ``assignment``, the one the submissions declare."""
    builds, masters_dir = Path(builds), Path(masters_dir)
    candidates = {p.stem: p for p in masters(masters_dir)} if masters_dir.is_dir() else {}
    by_otter = {_otter_name(p): stem for stem, p in candidates.items()}
    for folder in (builds.glob("*/autograder") if builds.is_dir() else []):
        try:
            by_otter.setdefault(assignment_name(folder.parent), folder.parent.name)
        except (FileNotFoundError, KeyError, ValueError):
            continue
    if assignment is None:
        declared = set()
        for path in submissions:
            try:
                declared.add(read_submission(path)[1])
            except Exception:                           # unreadable: graded (as zero) later
                continue
        declared.discard(None)
        if len(declared) != 1:
            raise SystemExit("say which assignment these submissions are for: --assignment NAME "
                             f"(ASSIGNMENT=NAME with make); they declare {sorted(declared) or 'none'}")
        assignment = declared.pop()
    stem = by_otter.get(assignment, assignment)
    target = builds / stem
    master = candidates.get(stem)
    stale = master is not None and (not (target / "autograder").is_dir() or
                                    (target / "autograder").stat().st_mtime < master.stat().st_mtime)
    if stale:
        print(f"building {stem} from {master} first")
        build(master, builds)
    if not (target / "autograder").is_dir():
        raise SystemExit(f"no assignment {assignment!r}: not in {builds} and no master in {masters_dir}")
    return target


def grade(submissions, build_dir, out=None, limits=None, jobs=1, masters_dir=MASTERS,
          require_landlock=True, log=None) -> list[Grade]:
    """Grade ``submissions`` (a folder, or a list of files) against ``build_dir``; with ``out``,
    write the CSV and the feedback there (:func:`write_report`)."""
    build_dir = Path(build_dir)
    if isinstance(submissions, (str, os.PathLike)):
        found = find_submissions(submissions)
        protected_subs = [submissions]
    else:
        found = {Path(p).stem: Path(p) for p in submissions}
        protected_subs = [os.path.dirname(os.path.abspath(p)) for p in submissions]
    if require_landlock and not sandbox.landlock_abi():
        raise SystemExit("this kernel has no Landlock (Linux >= 5.13 with Landlock enabled), so a "
                         "submission could read the hidden tests and other files; grade on such a "
                         "machine, or pass --allow-unsandboxed to accept the risk")
    protected = [build_dir.parent, *protected_subs, masters_dir, *([out] if out else []), Path.cwd()]
    paths = sandbox_paths([p for p in protected if os.path.exists(p)])
    limits = limits or Limits()

    def one(item):
        student, path = item
        result = grade_submission(path, build_dir, student, limits, paths, require_landlock)
        if log:
            log(f"{student}: {result.total:g}/{result.possible:g} ({result.seconds:.1f} s)")
        return result

    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        grades = list(pool.map(one, found.items()))
    _flag_shared_ids(grades)
    if out is not None:
        write_report(grades, out)
    return grades


def _flag_shared_ids(grades):
    by_id = {}
    for g in grades:
        if g.student_id:
            by_id.setdefault(g.student_id.casefold(), []).append(g)
    for group in by_id.values():
        if len(group) > 1:
            for g in group:
                others = ", ".join(o.student for o in group if o is not g)
                g.notes.append(f"STUDENT_ID `{g.student_id}` is also used by {others}.")
    for g in grades:
        if g.student_id is None and g.ran:
            g.notes.append("STUDENT_ID is not set to a valid id, so the questions with "
                           "per-student parameters could not be checked.")


def _safe_name(student: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", student.replace("/", "__"))[:120] or "student"


def write_report(grades, out) -> Path:
    """Write ``grades.csv`` (one row per submission) and ``feedback/<student>.md`` into ``out``."""
    out = Path(out)
    (out / "feedback").mkdir(parents=True, exist_ok=True)
    for old in (out / "feedback").glob("*.md"):       # a previous run's students
        old.unlink()
    questions = list(dict.fromkeys(q for g in grades for q in g.scores))
    with open(out / "grades.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["student", "student_id", *questions, "total", "possible", "notes"])
        for g in sorted(grades, key=lambda g: g.student):
            scores = [f"{g.scores.get(q, (0, 0))[0]:g}" for q in questions]
            notes = " | ".join(n.replace("\n", " ") for n in g.notes)
            writer.writerow([_cell(g.student), g.student_id or "", *scores, f"{g.total:g}",
                             f"{g.possible:g}", _cell(notes[:2000])])
    for g in grades:
        (out / "feedback" / f"{_safe_name(g.student)}.md").write_text(g.feedback())
    return out / "grades.csv"


def _cell(text: str) -> str:
    """A CSV field that no spreadsheet reads as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


# ---------------------------------------------------------------------------------------------
# Command line

def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m initlab.grading", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    a = commands.add_parser("assign", help="build the student and autograder versions")
    a.add_argument("names", nargs="*", help="masters to build (default: all)")
    a.add_argument("--masters", default=str(MASTERS))
    a.add_argument("--out", default=str(BUILDS))
    a.add_argument("--no-verify", action="store_true", help="do not grade the reference solutions")
    g = commands.add_parser("grade", help="grade a folder of submissions")
    g.add_argument("submissions", help="a folder of .ipynb (or .md, .py) files, or one file")
    g.add_argument("--assignment", help="e.g. a1 or a1-what-not-to-do (default: from the notebooks)")
    g.add_argument("--masters", default=str(MASTERS))
    g.add_argument("--builds", default=str(BUILDS))
    g.add_argument("--out", default=str(GRADES))
    g.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1))
    defaults = Limits()
    g.add_argument("--cell-timeout", type=float, default=defaults.cell_timeout,
                   help="wall-clock seconds per notebook cell (default: %(default)g)")
    g.add_argument("--call-timeout", type=float, default=defaults.call_timeout,
                   help="wall-clock seconds per call of the student's code by a test (default: %(default)g)")
    g.add_argument("--test-timeout", type=float, default=defaults.test_timeout,
                   help="wall-clock seconds of the student's code per test case (default: %(default)g)")
    g.add_argument("--budget", type=float, default=defaults.budget,
                   help="wall-clock seconds per submission, restarts included; also the CPU-time "
                        "limit per worker (default: %(default)g)")
    g.add_argument("--memory-mb", type=int, default=defaults.memory >> 20,
                   help="address space per worker, in MB (default: %(default)d)")
    g.add_argument("--allow-unsandboxed", action="store_true",
                   help="grade even without Landlock (submissions could read any file you can)")
    args = parser.parse_args(argv)

    if args.command == "assign":
        build_all(args.names, args.masters, args.out, verify=not args.no_verify)
        return 0
    found = find_submissions(args.submissions)
    if not found:
        raise SystemExit(f"no .ipynb, .md or .py files in {args.submissions}")
    build_dir = _resolve_build(args.assignment, args.builds, args.masters, found.values())
    limits = Limits(cell_timeout=args.cell_timeout, call_timeout=args.call_timeout,
                    test_timeout=args.test_timeout,
                    budget=args.budget, cpu=int(max(args.budget, 60)), memory=args.memory_mb << 20)
    abi = sandbox.landlock_abi()
    if 0 < abi < 6:
        print(f"warning: this kernel's Landlock (ABI {abi}, Linux < 6.12) cannot stop a submission "
              f"from sending signals to your processes, so one could kill the grader or another "
              f"submission's worker; grade on Linux 6.12 or later to rule that out", file=sys.stderr)
    start = time.monotonic()
    grades = grade(args.submissions, build_dir, args.out, limits, args.jobs, args.masters,
                   require_landlock=not args.allow_unsandboxed, log=print)
    print(f"graded {len(grades)} submissions for {build_dir.name} in {time.monotonic() - start:.1f} s: "
          f"{Path(args.out) / 'grades.csv'} and {Path(args.out) / 'feedback'}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
