"""Grading a folder of submissions offline, so that a determined student cannot subvert it.

``make grade SUBMISSIONS=folder`` runs::

    python -m initlab.course.grading grade SUBMISSIONS [--assignment NAME] [--out _build/grades]

and ``make assignments`` runs ``python -m initlab.course.grading assign [NAME ...]``, which builds
the masters (:mod:`initlab.course.assign`) and grades each reference solution, which must score
100 %.

``otter run`` executes a submission in a Jupyter kernel that loads the test files itself and
writes its own results file, so a submission could read the hidden tests and forge its score.
Here the two never meet:

1. the submission runs in a confined worker process (:mod:`initlab.course.sandbox`, confined as
   :mod:`initlab.course.confine` describes), in a folder holding a copy of it and the public
   tests, with limits on memory, CPU and wall-clock time, file size and processes;
2. the grader loads the hidden tests, after checking their hashes, with otter's test-file
   machinery and runs them in *its* process, against proxies: each function call or value
   lookup a test makes is a request to the worker, answered as data. ``STUDENT_ID`` is read
   once, and every test sees that value.

The grader never opens a path inside a worker's folder: the worker's output goes to a file the
grader opened elsewhere and keeps across restarts. Submissions are read without following links
and without blocking. A submission that crashes, loops, exits, floods its output, exhausts its
memory, deletes files or reaches outside its folder loses the cells or calls concerned, with the
reason in its feedback; the worker is restarted (skipping a cell that killed it) at most
``max_starts`` times.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import dataclasses
import os
import re
import shutil
import site
import sys
import sysconfig
import tempfile
import threading
import time
import warnings
from pathlib import Path

import numpy as np

from . import confine, protocol, sandbox
from .assign import BUILDS, MASTERS, HiddenTestsChanged, assignment_name, import_otter, load_tests, resolve_build
from .assign import build_all as _build_all
from .files import read_regular
from .params import check_student_id
from .report import Grade, TestResult, flag_shared_ids, write_report

__all__ = ["Limits", "Grade", "build_all", "grade", "grade_submission", "write_report", "main",
           "Isolation", "choose_isolation"]

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
    RLIMIT_DATA is used where RLIMIT_AS is not supported.

    Examples
    --------
    >>> Limits().memory >> 30, Limits().cpu                  # GB of address space, CPU seconds
    (4, 900)
    >>> Limits(cell_timeout=10).cell_timeout
    10
    """

    cell_timeout: float = 120.0      # wall-clock seconds per notebook cell
    call_timeout: float = 30.0       # wall-clock seconds per function call made by a test
    test_timeout: float = 120.0      # wall-clock seconds of calls per test case (no new call after)
    budget: float = 900.0            # wall-clock seconds per submission, restarts included
    cpu: int = 900                   # CPU seconds per worker process (RLIMIT_CPU)
    memory: int = 4 << 30            # bytes of address space per worker (RLIMIT_AS)
    file_size: int = 64 << 20        # bytes per file written (RLIMIT_FSIZE), output log included
    max_starts: int = 3              # worker starts per submission (each restart re-runs the cells)
    startup_timeout: float = 60.0    # seconds for a worker to confine itself and start IPython
    processes: int = 256             # processes and threads per worker (RLIMIT_NPROC, own user only)


# ---------------------------------------------------------------------------------------------
# Reading submissions

_OTTER_CELL = re.compile(r"(?:\s*#[^\n]*\n)*\s*import otter\s*\n\s*grader\s*=\s*otter\.Notebook\([^)]*\)\s*"
                         r"|\s*(?:grader\.(?:check|check_all|export)\([^)]*\)\s*)+")


def read_submission(path) -> tuple[list[tuple[int, str]], str | None]:
    """The code cells of a submission as ``(number, source)``, numbered from 1, without otter's
    generated cells; and the assignment it declares (notebook metadata), if any."""
    import jupytext

    path = Path(path)
    text = read_regular(path, MAX_SUBMISSION).decode("utf-8", errors="replace")
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
    """Every submission under ``folder``: student name (path without suffix) -> file.

    Folders are walked without following links, and names starting with ``.`` or ``_`` are
    skipped. A link, FIFO or other non-file with a submission's suffix is listed too, so that
    it is graded as unreadable (zero, with the reason) rather than silently left out.
    """
    folder = Path(folder)
    if not folder.is_dir() or folder.is_symlink():
        return {folder.stem: folder}
    found = {}
    for root, dirs, files in os.walk(folder):           # followlinks=False: links stay entries
        dirs[:] = sorted(d for d in dirs if not d.startswith((".", "_")))
        links = [d for d in os.listdir(root) if os.path.islink(os.path.join(root, d))]
        for name in sorted(set(files) | set(links)):
            path = Path(root) / name
            rel = path.relative_to(folder)
            if path.suffix in SUFFIXES and not name.startswith((".", "_")):
                key = rel.with_suffix("").as_posix()
                found[key if key not in found else rel.as_posix()] = path
    return dict(sorted(found.items()))


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


def _worker_env(work) -> dict:
    """The whole environment of a worker whose folder is ``work`` (as the worker sees it)."""
    work = Path(work)
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

    def __init__(self, cells, work: Path, limits: Limits, paths: dict, isolation: Isolation,
                 uid=None):
        self.cells, self.work, self.limits = cells, work, limits
        self.sources = dict(cells)
        self.home = confine.HOME if isolation.bwrap else str(work)
        self.config = {"limits": {"memory": limits.memory, "cpu": limits.cpu,
                                  "file_size": limits.file_size, "processes": limits.processes},
                       "write": [self.home], "uid": uid, "gid": uid, **paths}
        self.isolation, self.uid = isolation, uid
        self.log = tempfile.TemporaryFile(prefix="initlab-log-")   # never a path in work/
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
            worker = sandbox.Worker(self.work, self.config, _worker_env(self.home), self.log.fileno(),
                                    bwrap=self.isolation.bwrap, uid=self.uid)
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
        if self.isolation.landlock and not self.landlock:
            self.failure = "the sandbox has no Landlock file-system isolation on this machine"
            return False
        if self.uid is not None and hello.get("uid") != self.uid:
            self.failure = f"the sandbox could not change to its own user {self.uid}"
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
        fd = self.log.fileno()
        size = os.fstat(fd).st_size
        return os.pread(fd, n, max(0, size - n)).decode(errors="replace").strip()

    def close(self):
        if self.worker is not None:
            self.worker.close()
        self.log.close()

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
                raise protocol.ProtocolError(f"unexpected {tag}")
            description = protocol.description(protocol.decode(data.get("description"), blobs))
            return sandbox.remote_object(self, data, generation, name, description)

        try:
            return protocol.decode(reply.get("value"), blobs, resolve)
        except protocol.ProtocolError as error:
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

        message["args"] = protocol.encode(list(args), blobs, refer)
        message["kwargs"] = protocol.encode(dict(kwargs), blobs, refer)
        return self._request(message, key, blobs=blobs)


class RemoteEnv(dict):
    """The global environment otter's test functions are called with: names are looked up in
    the worker when asked for (once per test case), except the ``pinned`` ones, which every test
    sees with the value the grader read once (``STUDENT_ID``)."""

    def __init__(self, session: Session, pinned=None):
        super().__init__()
        self.session, self.pinned = session, dict(pinned or {})

    def lookup(self, name):
        if name in self.pinned:
            return self.pinned[name]
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


def _run_question(test_file, session: Session, env: RemoteEnv) -> list[TestResult]:
    TestCaseResult = import_otter().test_files.abstract_test.TestCaseResult

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
        except Exception as error:
            message = f"{type(error).__name__}: {error}"
        passed = message is None
        otter_results.append(TestCaseResult(test_case=case, message=message, passed=passed))
        results.append(TestResult(str(number), case.hidden, passed, case.points, message))
    test_file.test_case_results = otter_results
    return results


def grade_submission(path, build_dir, student=None, limits=None, paths=None,
                     isolation=None) -> Grade:
    """Grade one submission against the built assignment in ``build_dir``: its hidden tests are
    checked against their hashes first (:class:`HiddenTestsChanged` stops everything).

    Examples
    --------
    A built assignment by hand (one hidden test, its hash in the manifest) and one submission:

    >>> import tempfile
    >>> from pathlib import Path
    >>> from initlab.course.assign import hand_built
    >>> built = hand_built(tempfile.mkdtemp())
    >>> submission = Path(tempfile.mkdtemp()) / "olga.py"
    >>> _ = submission.write_text('''# %%
    ... STUDENT_ID = "12345"
    ... answer = 1 + 1
    ... ''')
    >>> result = grade_submission(submission, built)      # runs the notebook in a confined worker
    >>> result.scores, result.student_id
    ({'q1': (1.0, 1.0)}, '12345')
    """
    path, build_dir, limits = Path(path), Path(build_dir), limits or Limits()
    isolation = isolation or choose_isolation()
    start = time.monotonic()
    name = assignment_name(build_dir)
    tests = load_tests(build_dir)
    grade = Grade(student or path.stem, str(path), name)
    for test_file in tests:
        grade.scores[test_file.name] = (0.0, float(test_file.possible))
    try:
        cells, declared = read_submission(path)
    except Exception as error:
        grade.notes.append(f"your file could not be read as a notebook ({type(error).__name__}: "
                           f"{str(error)[:300]}); nothing was graded")
        return grade
    if declared is not None and declared != name:
        grade.notes.append(f"this notebook is for assignment {declared!r}, not {name!r}; nothing was graded")
        return grade
    uid = _take_uid() if isolation.own_users else None
    work = Path(tempfile.mkdtemp(prefix="initlab-grade-"))
    try:
        _prepare(work, path, build_dir, uid)
        session = Session(cells, work, limits, paths or sandbox_paths([build_dir]), isolation, uid)
        grade.ran = True
        try:
            _run_tests(grade, tests, session)
        finally:
            session.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)         # unlinks only: links are not followed
        _give_uid(uid)
    grade.seconds = time.monotonic() - start
    return grade


def _prepare(work: Path, path: Path, build_dir: Path, uid):
    """Fill a new worker folder: a copy of the submission, the public tests, ``tmp/``; give it to
    the worker's user. Nothing in it exists yet for a student to plant."""
    (work / "tmp").mkdir()
    (work / f"submission{path.suffix}").write_bytes(read_regular(path, MAX_SUBMISSION))
    if (build_dir / "student" / "tests").is_dir():
        shutil.copytree(build_dir / "student" / "tests", work / "tests", symlinks=True)
    if uid is not None:
        os.chmod(work, 0o711)                           # bwrap, root without DAC rights, enters it
        for root, dirs, files in os.walk(work):
            for entry in [root] + [os.path.join(root, n) for n in dirs + files]:
                os.lchown(entry, uid, uid)


def _run_tests(grade: Grade, tests, session: Session) -> None:
    """Read ``STUDENT_ID`` once, then run every test with that value pinned."""
    try:
        grade.student_id = check_student_id(session.get("STUDENT_ID"))
    except (ValueError, GradingError, StudentError):
        grade.student_id = None
    env = RemoteEnv(session, pinned={"STUDENT_ID": grade.student_id})
    for test_file in tests:
        results = _run_question(test_file, session, env)
        grade.tests[test_file.name] = results
        grade.scores[test_file.name] = (round(float(test_file.score), 4), float(test_file.possible))
    grade.notes += _session_notes(session)


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
                     f"kept the first {sandbox.LOG_LIMIT >> 20} MB and ignored the rest.")
    return notes


# ---------------------------------------------------------------------------------------------
# Isolation: what this machine allows

@dataclasses.dataclass(frozen=True)
class Isolation:
    """How workers are confined (see :func:`choose_isolation` and :mod:`initlab.course.confine`).

    Examples
    --------
    >>> Isolation()                                          # nothing: only for trusted notebooks
    Isolation(bwrap=None, landlock=0, own_users=False)
    >>> choose_isolation(allow_unsandboxed=True).landlock == confine.landlock_abi()
    True
    """

    bwrap: str | None = None         # the bwrap program; None: no container
    landlock: int = 0                # the Landlock ABI every worker must apply; 0: not required
    own_users: bool = False          # each worker runs as a user of its own (the grader is root)


NO_BWRAP = ("bubblewrap (bwrap) is not installed, or cannot create namespaces on this machine, so "
            "workers run without a container: no PID namespace (a process a submission starts in "
            "a session of its own can outlive its worker), the same network, and a file-system "
            "view limited by Landlock alone. Install it (Debian/Ubuntu: apt-get install "
            "bubblewrap) to close these gaps.")


def choose_isolation(allow_unsandboxed=False, require_bwrap=False, warn=None) -> Isolation:
    """The strongest isolation this machine allows: bubblewrap and Landlock, and a user per
    worker when the grader is root. Without bubblewrap: refuse if ``require_bwrap``, else say so
    (``warn``) and use Landlock alone. Without Landlock either: refuse unless
    ``allow_unsandboxed``.

    Examples
    --------
    >>> isolation = choose_isolation(allow_unsandboxed=True)
    >>> isolation.bwrap == confine.bwrap_path(), isolation.landlock == confine.landlock_abi()
    (True, True)
    """
    bwrap, abi, root = confine.bwrap_path(), confine.landlock_abi(), os.geteuid() == 0
    if bwrap is None:
        if require_bwrap:
            raise SystemExit(NO_BWRAP + " Refusing to grade (--require-bwrap).")
        if not abi and not allow_unsandboxed:
            raise SystemExit(NO_BWRAP + " This kernel has no Landlock either (Linux >= 5.13), so "
                             "a submission could read the hidden tests and other files; refusing "
                             "to grade unless you pass --allow-unsandboxed to accept the risk")
        if warn is not None:
            warn("warning: " + NO_BWRAP)
            if 0 < abi < 6:
                warn(f"warning: this kernel's Landlock (ABI {abi}, Linux < 6.12) cannot stop a "
                     f"submission from signalling your processes; with bubblewrap it could not")
        root = root and _readable_by_all(sys.base_prefix, sys.prefix)
    return Isolation(bwrap, abi, root)


def _readable_by_all(*paths) -> bool:
    """Whether every folder from ``/`` down to each of ``paths`` lets any user through (without
    bubblewrap, a worker that changes user must still reach Python)."""
    for path in paths:
        parts = Path(os.path.realpath(path)).parts
        for i in range(1, len(parts) + 1):
            if not os.stat(os.path.join(*parts[:i])).st_mode & 0o001:
                return False
    return True


_UIDS = set()
_UIDS_LOCK = threading.Lock()


def _take_uid() -> int:
    """A uid (and gid) for one worker: not used by another worker of this grader, and owning no
    process."""
    with _UIDS_LOCK:
        for uid in range(confine.UID_BASE, confine.UID_BASE + 65536):
            if uid not in _UIDS and not confine.pids_of(uid):
                _UIDS.add(uid)
                return uid
    raise RuntimeError("no free uid for a worker")


def _give_uid(uid) -> None:
    if uid is not None:
        confine.kill_user(uid)
        with _UIDS_LOCK:
            _UIDS.discard(uid)


# ---------------------------------------------------------------------------------------------
# Grading a folder

def grade(submissions, build_dir, out=None, limits=None, jobs=1, masters_dir=MASTERS,
          isolation=None, log=None) -> list[Grade]:
    """Grade ``submissions`` (a folder, or a list of files) against ``build_dir``; with ``out``,
    write the CSV and the feedback there (:func:`write_report`). ``isolation`` defaults to
    :func:`choose_isolation`'s choice.

    Examples
    --------
    A built assignment by hand (see :func:`grade_submission`), and a folder of two submissions:

    >>> import tempfile
    >>> from pathlib import Path
    >>> from initlab.course.assign import hand_built
    >>> built = hand_built(tempfile.mkdtemp())
    >>> submissions = Path(tempfile.mkdtemp())
    >>> _ = (submissions / "olga.py").write_text('STUDENT_ID = "12345"; answer = 2')
    >>> _ = (submissions / "ivan.py").write_text('STUDENT_ID = "67890"; answer = 3')
    >>> grades = grade(submissions, built, out=submissions / "report",
    ...                isolation=choose_isolation(allow_unsandboxed=True))
    >>> [(g.student, g.total) for g in grades]
    [('ivan', 0.0), ('olga', 1.0)]
    >>> sorted(p.name for p in (submissions / "report" / "feedback").iterdir())
    ['ivan.md', 'olga.md']
    """
    build_dir = Path(build_dir)
    if isinstance(submissions, (str, os.PathLike)):
        found = find_submissions(submissions)
        protected_subs = [submissions]
    else:
        found = {Path(p).stem: Path(p) for p in submissions}
        protected_subs = [os.path.dirname(os.path.abspath(p)) for p in submissions]
    isolation = isolation or choose_isolation(warn=lambda m: print(m, file=sys.stderr))
    protected = [build_dir.parent, *protected_subs, masters_dir, *([out] if out else []), Path.cwd()]
    paths = sandbox_paths([p for p in protected if os.path.exists(p)])
    limits = limits or Limits()

    def one(item):
        student, path = item
        result = grade_submission(path, build_dir, student, limits, paths, isolation)
        if log:
            log(f"{student}: {result.total:g}/{result.possible:g} ({result.seconds:.1f} s)")
        return result

    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        grades = list(pool.map(one, found.items()))
    flag_shared_ids(grades)
    if out is not None:
        write_report(grades, out)
    return grades


def build_all(names=(), masters_dir=MASTERS, out=BUILDS, verify=True, log=print) -> list[Path]:
    """Build the named masters (all by default); with ``verify``, grade each reference solution,
    which must score 100 %.

    Examples
    --------
    >>> import tempfile
    >>> build_all(["a9"], masters_dir=tempfile.mkdtemp())
    Traceback (most recent call last):
    ...
    SystemExit: no master for a9 in ...
    """
    built = []
    for target in _build_all(names, masters_dir, out, log):
        log(f"{target.name}: built {target}/student and /autograder, test hashes in manifest.json")
        if verify:
            reference = target / "autograder" / f"{target.name}.ipynb"
            [result] = grade([reference], target, masters_dir=masters_dir)
            log(f"{target.name}: reference solution scores {result.total:g}/{result.possible:g} "
                f"({result.seconds:.1f} s)")
            if result.total != result.possible:
                raise SystemExit(f"{target.name}: the reference solution does not score 100 %:\n"
                                 + result.feedback())
        built.append(target)
    return built


def _declared_assignment(submissions) -> str:
    declared = set()
    for path in submissions:
        try:
            declared.add(read_submission(path)[1])
        except Exception:                               # unreadable: graded (as zero) later
            continue
    declared.discard(None)
    if len(declared) != 1:
        raise SystemExit("say which assignment these submissions are for: --assignment NAME "
                         f"(ASSIGNMENT=NAME with make); they declare {sorted(declared) or 'none'}")
    return declared.pop()


# ---------------------------------------------------------------------------------------------
# Command line

def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m initlab.course.grading",
                                     description=__doc__.split("\n\n")[0])
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
    g.add_argument("--require-bwrap", action="store_true",
                   help="refuse to grade without bubblewrap instead of falling back to Landlock alone")
    g.add_argument("--allow-unsandboxed", action="store_true",
                   help="grade even without bubblewrap and Landlock (submissions could read any "
                        "file you can)")
    return parser


def main(argv=None) -> int:
    """The command line behind ``make assignments`` and ``make grade``; returns the exit status.

    >>> import tempfile
    >>> main(["grade", tempfile.mkdtemp()])
    Traceback (most recent call last):
    ...
    SystemExit: no .ipynb, .md or .py files in ...
    """
    args = _parser().parse_args(argv)
    if args.command == "assign":
        build_all(args.names, args.masters, args.out, verify=not args.no_verify)
        return 0
    found = find_submissions(args.submissions)
    if not found:
        raise SystemExit(f"no .ipynb, .md or .py files in {args.submissions}")
    assignment = args.assignment or _declared_assignment(found.values())
    build_dir = resolve_build(assignment, args.builds, args.masters)
    limits = Limits(cell_timeout=args.cell_timeout, call_timeout=args.call_timeout,
                    test_timeout=args.test_timeout,
                    budget=args.budget, cpu=int(max(args.budget, 60)), memory=args.memory_mb << 20)
    chosen = choose_isolation(args.allow_unsandboxed, args.require_bwrap,
                       warn=lambda m: print(m, file=sys.stderr))
    start = time.monotonic()
    try:
        grades = grade(args.submissions, build_dir, args.out, limits, args.jobs, args.masters,
                       isolation=chosen, log=print)
    except HiddenTestsChanged as error:
        raise SystemExit(f"stopped: {error}") from None
    print(f"graded {len(grades)} submissions for {build_dir.name} in {time.monotonic() - start:.1f} s: "
          f"{Path(args.out) / 'grades.csv'} and {Path(args.out) / 'feedback'}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
