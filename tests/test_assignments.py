"""Coursework: the assignments build, their student versions leak nothing, the reference solutions
score 100 % for any student id, typical mistakes lose points with the right hint, and hostile
submissions are contained without changing anyone else's score.

The grading runs are the expensive part (a worker process per submission, TensorFlow for the
Keras assignment), so each assignment is graded once, in one run holding every submission for it,
and the tests read the results. Submissions are generated from the built reference notebook:
no .ipynb file is committed.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import time
from pathlib import Path

import jupytext
import pytest

from initlab.course import assign, confine, grading, protocol, report, student_params

ROOT = Path(__file__).resolve().parents[1]
MASTERS = ROOT / "assignments"
NAMES = {"a1": "a1-what-not-to-do", "a2": "a2-xavier-he-lecun", "a3": "a3-keras", "a4": "a4-modern"}
LANDLOCK = confine.landlock_abi()
IDS = ("ada.lovelace", "alan_turing")          # two students: different parameters, both 100 %
#: bubblewrap and Landlock where the machine has them (CI installs bubblewrap and requires both).
ISOLATION = grading.choose_isolation(allow_unsandboxed=not os.environ.get("CI"),
                                     require_bwrap=bool(os.environ.get("CI")))
FAST = grading.Limits(cell_timeout=8, call_timeout=5, test_timeout=5, budget=240, cpu=240)
ORPHAN = "7391"                               # the argument of a process a submission leaves behind

needs_landlock = pytest.mark.skipif(
    not LANDLOCK and not os.environ.get("CI"),
    reason="this kernel has no Landlock, so submissions cannot be sandboxed (required in CI)")


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    """``make assignments`` without the verification step: the CLI, into a temporary folder."""
    out = tmp_path_factory.mktemp("assignments")
    start = time.monotonic()
    assert grading.main(["assign", "--masters", str(MASTERS), "--out", str(out), "--no-verify"]) == 0
    print(f"built {len(NAMES)} assignments in {time.monotonic() - start:.1f} s")
    return {key: out / name for key, name in NAMES.items()}


def reference(build: Path) -> dict:
    return json.loads((build / "autograder" / f"{build.name}.ipynb").read_text(encoding="utf-8"))


def submission(build, student_id, edits=(), insert=(), fmt="ipynb"):
    """The reference notebook with STUDENT_ID set, each ``(old, new)`` edit applied to the one cell
    holding ``old``, and each ``(after, source)`` code cell inserted after the cell holding
    ``after``, as text in ``fmt``."""
    nb = reference(build)
    cells = nb["cells"]
    edits = [('STUDENT_ID = "reference"', f"STUDENT_ID = {student_id!r}"), *edits]
    for old, new in edits:
        hits = [c for c in cells if old in "".join(c["source"])]
        assert len(hits) == 1, f"{old!r} is in {len(hits)} cells of the {build.name} reference"
        hits[0]["source"] = "".join(hits[0]["source"]).replace(old, new)
    for after, source in insert:
        at = next(i for i, c in enumerate(cells) if after in "".join(c["source"]))
        cells.insert(at + 1, {"cell_type": "code", "id": f"inserted-{at}", "metadata": {},
                              "source": source, "outputs": [], "execution_count": None})
    text = json.dumps(nb)
    return text if fmt == "ipynb" else jupytext.writes(jupytext.reads(text, "ipynb"), fmt)


def write(folder: Path, student: str, text: str, suffix=".ipynb") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{student}{suffix}"
    path.write_text(text, encoding="utf-8")
    return path


# ---------------------------------------------------------------------------------------------
# Generation

def test_assign_builds_student_and_autograder_versions(builds):
    for key, build in builds.items():
        student, autograder = build / "student", build / "autograder"
        nb = json.loads((student / f"{build.name}.ipynb").read_text(encoding="utf-8"))
        assert nb["metadata"]["otter"]["assignment_name"] == key
        sources = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
        assert sources[0].startswith("# Initialize Otter") and "grader.check_all()" in sources[-1]
        questions = sorted(p.stem for p in (autograder / "tests").glob("q*.py"))
        assert questions and sorted(p.stem for p in (student / "tests").glob("q*.py")) == questions
        assert all(f'grader.check("{q}")' in sources for q in questions)
        assert "STUDENT_ID = ..." in "\n".join(sources)
        assert (build / f"{build.name}-student.zip").stat().st_size > 1000
    assert not list(MASTERS.glob("*.ipynb")), "the build must not leave notebooks next to the masters"


def _marked(master: Path):
    """(solution lines, hidden test names, public test names) of a master."""
    notebook = jupytext.read(master)
    solutions, hidden, public, other = set(), set(), set(), set()
    in_solution = in_tests = False
    for cell in notebook.cells:
        source = cell.source
        if cell.cell_type == "raw":
            first = source.strip().splitlines()[0] if source.strip() else ""
            in_solution = {"# BEGIN SOLUTION": True, "# END SOLUTION": False}.get(first, in_solution)
            in_tests = {"# BEGIN TESTS": True, "# END TESTS": False}.get(first, in_tests)
            continue
        if in_tests:
            names = re.findall(r"(?m)^def (\w+)\(", source)
            (hidden if re.search(r"(?m)^hidden: true", source) else public).update(names)
            continue
        block = False
        for line in source.splitlines():
            text = line.strip()
            if re.fullmatch(r"# BEGIN SOLUTION( NO PROMPT)?", text):
                block = True
            elif text == "# END SOLUTION":
                block = False
            elif block or text.endswith("# SOLUTION"):
                solutions.add(text.removesuffix("# SOLUTION").strip())
            elif cell.cell_type == "code" or in_solution:
                other.add(text)
    return {s for s in solutions - other if len(s) >= 10}, hidden, public


@pytest.mark.parametrize("key", NAMES)
def test_student_version_holds_no_solution_or_hidden_test(builds, key):
    ExceptionTestFile = assign.import_otter().test_files.ExceptionTestFile
    build = builds[key]
    solutions, hidden, public = _marked(MASTERS / f"{build.name}.md")
    assert solutions and hidden and public
    student = build / "student"
    text = "\n".join(p.read_text(encoding="utf-8") for p in student.rglob("*") if p.is_file())
    code = "\n".join("".join(c["source"]) for c in json.loads(
        (student / f"{build.name}.ipynb").read_text(encoding="utf-8"))["cells"])
    leaked = [s for s in solutions if s in code or s in text]
    assert not leaked, f"solution lines in the student version of {key}: {leaked}"
    assert not [h for h in hidden if re.search(rf"\b{h}\(", text)], f"hidden tests in the student version of {key}"
    assert 'STUDENT_ID = "reference"' not in code
    cases = [tc for p in (student / "tests").glob("*.py")
             for tc in ExceptionTestFile.from_file(str(p)).test_cases]
    assert cases and not any(tc.hidden for tc in cases) and len(cases) == len(public)
    all_cases = [tc for p in (build / "autograder" / "tests").glob("*.py")
                 for tc in ExceptionTestFile.from_file(str(p)).test_cases]
    assert sum(tc.hidden for tc in all_cases) == len(hidden)


def test_student_params_differ_between_students_and_are_stable():
    for key in ("a1", "a2", "a3", "a4"):
        a, b = (student_params(i, key) for i in IDS)
        assert a != b and a == student_params(f" {IDS[0]} ", key)
    with pytest.raises(ValueError, match="STUDENT_ID"):
        student_params(..., "a1")


# ---------------------------------------------------------------------------------------------
# Grading: one run per assignment

#: Typical mistakes: (student, assignment, edits of the reference, {question: hint in its feedback}).
WRONG = [
    ("a1-mixed-up", "a1", [
        ('learns = {"b2"} if params["activation"] in ("tanh", "relu") else {"W2", "b2"}',
         'learns = {"W1", "b1", "W2", "b2"}'),
        ("return (math.sqrt(n) * sigma) ** depth", "return (n * sigma**2) ** depth"),
        ("return 3 / limit**2", "return 1 / limit**2"),
        ("relu_ratios = (np.mean(r**2) / np.mean(z**2), r.var() / z.var())", "relu_ratios = (0.5, 0.5)"),
        ("zip(widths[:-1], weight_vars)", "zip(widths[1:], weight_vars)"),
        ("return shape[-2] * receptive_field, shape[-1] * receptive_field",
         "return shape[-1] * receptive_field, shape[-2] * receptive_field"),
    ], {"q1": "hidden layer gets no gradient", "q2": "variance factor", "q4": "limit²/3, not limit²",
        "q5": "second moment that halves", "q6": "fan_in", "q7": "swapped"}),
    ("a1-off-by-one", "a1", [("< 1e-6)  # SOLUTION", "< 1e-6) - 1  # SOLUTION")],
     {"q3": "still"}),
    ("a2-formulas", "a2", [
        ("return math.sqrt(2 / (fan_in + fan_out))", "return math.sqrt(1 / (fan_in + fan_out))"),
        ("return math.sqrt(2 / fans(shape)[0])", "return math.sqrt(2 / fans(shape)[1])"),
        ("return 1 / math.sqrt(fans(shape)[0])", "return 1 / fans(shape)[0]"),
    ], {"q1": "without the 2", "q3": "other fan", "q4": "variance σ²"}),
    ("a2-no-sqrt3", "a2", [("limit = math.sqrt(3) * glorot_std(shape)", "limit = glorot_std(shape)"),
                           ("size=shape)  # SOLUTION", "size=shape[::-1])  # SOLUTION"),
                           ('std_for = {"relu": he_std, "tanh": glorot_std, "selu": lecun_std}',
                            'std_for = {"relu": glorot_std, "tanh": he_std, "selu": glorot_std}')],
     {"q2": "√3", "q3": "transposed", "q5": "those are"}),
    ("a2-one-sided", "a2", [("rng.uniform(-limit, limit, size=shape)", "rng.uniform(0, limit, size=shape)")],
     {"q2": "centred on 0"}),
    ("a3-mistakes", "a3", [
        ("kernel_initializer=init) for n in widths[1:]]", ") for n in widths[1:]]"),
        ('"Dense.kernel": "glorot_uniform", ', '"Dense.kernel": "he_normal", '),
        ("second = keras.initializers.GlorotUniform(seed=seed + 1)", "second = first"),
        ('distribution = "truncated_normal" if', 'distribution = "untruncated_normal" if'),
    ], {"q1": "Dense's default", "q2": "does not choose by activation",
        "q3": "still get identical kernels", "q4": "truncated normal"}),
    ("a4-mistakes", "a4", [
        ("return std / math.sqrt(2 * n_blocks)  # SOLUTION", "return std / math.sqrt(n_blocks)  # SOLUTION"),
        ("return np.log(np.asarray(frequencies, dtype=float))  # SOLUTION",
         "return np.asarray(frequencies, dtype=float)  # SOLUTION"),
        ("forget = np.log(rng.uniform(1, t_max - 1, size=units))", "forget = rng.uniform(1, t_max - 1, size=units)"),
    ], {"q2": "two residual sublayers", "q3": "log of the frequencies", "q4": "forget the log"}),
]


#: What a submission gets when it opens a path that bubblewrap does not even mount.
DENIED = "FileNotFoundError" if ISOLATION.bwrap else "PermissionError"
#: A notebook cell that makes the pipes to the grader inheritable, so that a child keeps them.
LEAK_PIPES = ("import os, subprocess\nfor fd in range(3, 64):\n    try:\n        os.set_inheritable(fd, True)\n"
              "    except OSError:\n        pass\n")
#: A cell that makes the next reads of STUDENT_ID return a classmate's id (the first stays its own).
SWAP_ID = """import gc
_worker = next(type(o) for o in gc.get_objects() if type(o).__name__ == "_Worker")
_answer, _reads = _worker.answer, []
def _swapping(self, shell, request):
    if request.get("op") == "get" and request.get("name") == "STUDENT_ID":
        _reads.append(1)
        shell.user_ns["STUDENT_ID"] = "mallory-swap" if len(_reads) == 1 else %r
    return _answer(self, shell, request)
_worker.answer = _swapping
"""


#: a3 without Keras models: the worker's describe is replaced, and the builders return stand-ins
#: whose "descriptions" claim the right initializers over numpy kernels of the right std.
FORGED = """
import numpy as np
import initlab.coursework as _cw

class _Fake:
    def __init__(self, description):
        self.description = description

_real = _cw.describe
_cw.describe = lambda obj: obj.description if isinstance(obj, _Fake) else _real(obj)
_rng = np.random.default_rng(0)

def _dense(kernel, cls=None, activation="linear"):
    inits = {"kernel_initializer": {"kind": "initializer", "class": cls, "config": {"seed": None}}} if cls else {}
    return {"kind": "layer", "class": "Dense", "name": "dense", "units": kernel.shape[1],
            "activation": activation, "initializers": inits,
            "weights": {"kernel": kernel.astype("float32"), "bias": np.zeros(kernel.shape[1], "float32")}}

def build_model(widths, activation):
    cls, var = {"relu": ("HeNormal", lambda a, b: 2 / a), "tanh": ("GlorotUniform", lambda a, b: 2 / (a + b)),
                "selu": ("LecunNormal", lambda a, b: 1 / a)}[activation]
    return _Fake({"kind": "model", "class": "Sequential", "layers": [
        _dense(_rng.normal(0, var(a, b) ** 0.5, (a, b)), cls, activation) for a, b in zip(widths[:-1], widths[1:])]})

def build_pitfall(width, seed):
    kernel = np.random.default_rng(seed).uniform(-(3 / width) ** 0.5, (3 / width) ** 0.5, (width, width))
    return _Fake({"kind": "model", "class": "Sequential", "layers": [_dense(kernel), _dense(kernel)]})

def build_fixed(width, seed):
    rng = np.random.default_rng(seed)
    return _Fake({"kind": "model", "class": "Sequential", "layers": [
        _dense(rng.uniform(-(3 / width) ** 0.5, (3 / width) ** 0.5, (width, width))) for _ in range(2)]})
"""


def _hostile(build: Path, folder: Path, victim: Path) -> dict:
    """One submission per hostile behaviour: name -> (edits, inserted cells, expected total, note)."""
    hidden_test = build / "autograder" / "tests" / "q1.py"
    setup = 'params = student_params(STUDENT_ID, "a1")'
    plant = ("import os\nfor name in ('output.log', 'tests/q1.py', 'submission.ipynb', 'tmp/log'):\n"
             "    if os.path.lexists(name):\n        os.remove(name)\n    os.{how}\nos._exit(1)")
    cases = {
        "raises": ([("def fans(shape):", 'raise ValueError("no fans today")\ndef fans(shape):')], [],
                   11, "raised ValueError: no fans today"),
        "loops": ([], [(setup, "while True:\n    pass")], 12, "did not finish within 8 s"),
        "loops-in-a-call": ([("return (math.sqrt(n) * sigma) ** depth", "while True:\n        pass")], [],
                            9, "no answer within 5 s"),
        "slow-in-a-call": ([("return (math.sqrt(n) * sigma) ** depth", "import time\n    time.sleep(0.3)\n"
                                                                           "    return 1.0")], [],
                           9, "the time limit per test"),
        "sys-exit": ([], [(setup, "import sys\nsys.exit(1)")], 12, "raised SystemExit: 1"),
        "leaves-a-process": ([], [(setup, f"import subprocess\nsubprocess.Popen(['sleep', '{ORPHAN}'])")],
                             12, None),
        "os-exit": ([], [(setup, "import os\nos._exit(0)")], 12, "ended the grading process"),
        "prints-megabytes": ([], [(setup, 'print("spam " * 10_000_000)')], 12, "printed 47.7 MB"),
        "huge-array": ([], [(setup, "big = np.ones((200_000, 200_000))")], 12, "raised MemoryError"),
        "deletes-files": ([], [(setup, "import os, shutil\nfor p in os.listdir('.'):\n"
                                       "    shutil.rmtree(p) if os.path.isdir(p) else os.remove(p)\n"
                                       f"os.remove({str(victim)!r})")],
                          12, f"raised {DENIED}"),
        "reads-hidden-tests": ([], [(setup, f"secret = open({str(hidden_test)!r}).read()")], 12,
                               f"raised {DENIED}: [Errno {2 if ISOLATION.bwrap else 13}]"),
        "reads-other-submission": ([], [(setup, f"answers = open({str(victim)!r}).read()")], 12,
                                   f"raised {DENIED}"),
        # issue 14: links and FIFOs where the grader once opened files, then a restart
        "plants-links": ([], [(setup, plant.replace("{how}", f"symlink({str(hidden_test)!r}, name)"))],
                         12, "ended the grading process"),
        "plants-fifos": ([], [(setup, plant.replace("{how}", "mkfifo(name)"))], 12,
                         "ended the grading process"),
        # a crash while a child in a session of its own holds the pipes: noticed at once, child killed
        "crashes-leaving-a-session": ([], [(setup, LEAK_PIPES + f"subprocess.Popen(['setsid', 'sleep', "
                                                   f"'{ORPHAN}'], close_fds=False)\n"
                                                   "import ctypes\nctypes.string_at(0)")],
                                      12, "SIGSEGV"),
        # answers that a hidden test must not accept, and right answers in other forms
        "constant-answer": ([("return math.sqrt(math.prod(n * v for n, v in zip(widths[:-1], weight_vars)))",
                              "return 1.0")], [], 10, "√2^"),
        "zero-d-arrays": ([("return 3 / limit**2", "return np.array(3 / limit**2)"),
                           ("return math.sqrt(math.prod(n * v for n, v in zip(widths[:-1], weight_vars)))",
                            "return np.array(math.sqrt(math.prod(n * v for n, v in zip(widths[:-1], weight_vars))))")],
                          [], 12, None),
        "other-forms": ([('learns = {"b2"} if params["activation"] in ("tanh", "relu") else {"W2", "b2"}',
                          'learns = ["b2"] if params["activation"] in ("tanh", "relu") else ["W2", "b2"]'),
                         ("vanish_depth = next(", "vanish_depth = 1.0 * next(")], [], 12, None),
        "patches-the-checks": ([("return shape[-2] * receptive_field, shape[-1] * receptive_field",
                                 "return shape[-2], shape[-1]")],
                               [(setup, "from initlab import checks\n"
                                        "checks.check_fans = lambda f: checks.Feedback(True, 'trust me')")],
                               11, None),
        "raises-its-limits": ([], [(setup, "import resource\n"
                                           "resource.setrlimit(resource.RLIMIT_AS, (-1, -1))")],
                              12, "raised ValueError"),
    }
    if LANDLOCK >= 6:                    # signal scoping; without it a same-uid kill would succeed
        cases["kills-the-grader"] = ([], [(setup, "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)")],
                                     12, "raised PermissionError")
    for name, (edits, insert, _, _) in cases.items():
        write(folder, f"hostile-{name}", submission(build, f"mallory-{name}", edits, insert))
    # a classmate's answers, first reported under one's own id: plainly, and by swapping the id
    last = "def fans(shape):"
    write(folder, "hostile-copies-answers", submission(build, IDS[0], insert=[(last, 'STUDENT_ID = "mallory-swap"')]))
    write(folder, "hostile-swaps-id", submission(build, IDS[0], insert=[(last, SWAP_ID % IDS[0])]))
    # the submission folder itself: a link to a hidden test and a FIFO, where notebooks are expected
    (folder / "link-to-tests.ipynb").symlink_to(hidden_test)
    os.mkfifo(folder / "fifo.ipynb")
    # names whose feedback files would collide
    for name, student_id in COLLIDING.items():
        path = folder / f"{name}.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(submission(build, student_id), encoding="utf-8")
    return cases


#: Submission names (paths in the folder) whose feedback files would collide -> their ids.
COLLIDING = {"olga smith": "olga1", "olga_smith": "olga2", "a/b": "ab1", "a__b": "ab2",
             "x" * 130: "long1", "x" * 125: "long2"}


@pytest.fixture(scope="module")
def graded(builds, tmp_path_factory):
    """Every assignment graded once: the reference for two ids (one as .ipynb, one as .md), the
    typical mistakes and, for a1, one submission per hostile behaviour."""
    results, runs = {}, {}
    for key, build in builds.items():
        folder = tmp_path_factory.mktemp(f"submissions-{key}")
        victim = write(folder, "ref-" + IDS[0], submission(build, IDS[0]))
        write(folder, "ref-" + IDS[1], submission(build, IDS[1], fmt="md:myst"), suffix=".md")
        for student, assignment, edits, _ in WRONG:
            if assignment == key:
                write(folder, student, submission(build, "bob", edits))
        hostile = _hostile(build, folder, victim) if key == "a1" and LANDLOCK else {}
        if key == "a3":
            write(folder, "a3-forged", submission(build, "mallory-forged", insert=[(
                "def variance_scaling_for(name):", FORGED)]))
        out = tmp_path_factory.mktemp(f"grades-{key}")
        start = time.monotonic()
        grades = grading.grade(folder, build, out, FAST if key != "a3" else grading.Limits(),
                               jobs=2, masters_dir=MASTERS, isolation=ISOLATION)
        runs[key] = (time.monotonic() - start, len(grades))
        results[key] = ({g.student: g for g in grades}, hostile, out)
    for key, (seconds, n) in runs.items():
        print(f"{key}: graded {n} submissions in {seconds:.1f} s")
    return results


@pytest.mark.parametrize("key", NAMES)
def test_reference_solution_scores_full_marks_for_any_student(graded, key):
    grades, _, _ = graded[key]
    for student_id in IDS:
        g = grades[f"ref-{student_id}"]
        assert g.total == g.possible > 0, g.feedback()
        assert g.student_id == student_id
        assert not [n for n in g.notes if "raised" in n or "stopped" in n], g.notes


@pytest.mark.parametrize("student, key, edits, hints", WRONG, ids=[w[0] for w in WRONG])
def test_typical_mistakes_lose_points_with_the_right_hint(graded, student, key, edits, hints):
    g = graded[key][0][student]
    for question, hint in hints.items():
        score, possible = g.scores[question]
        assert score < possible, f"{student} should lose points on {question}:\n{g.feedback()}"
        messages = " ".join(t.message or "" for t in g.tests[question] if not t.passed)
        assert hint in messages, f"{student}, {question}: no {hint!r} in {messages!r}"
    lost = {q for q, (s, p) in g.scores.items() if s < p}
    assert set(hints) <= lost
    if len(edits) == 1:                         # one mistake costs one question, no more
        assert lost == set(hints), g.feedback()


def _leftovers() -> list[str]:
    """Processes left by a submission: the orphan's command line, or a worker's own user."""
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if (proc / "cmdline").read_bytes() == f"sleep\0{ORPHAN}\0".encode() or \
                    confine.UID_BASE <= proc.stat().st_uid < confine.UID_BASE + 65536:
                found.append(proc.name)
        except OSError:
            continue
    return found


@needs_landlock
def test_hostile_submissions_are_contained(graded):
    grades, hostile, out = graded["a1"]
    assert hostile, "Landlock is required in CI"
    for student_id in IDS:                      # graded in the same run, untouched
        assert grades[f"ref-{student_id}"].total == 12
    for name, (_, _, total, note) in hostile.items():
        g = grades[f"hostile-{name}"]
        assert g.total == total, f"{name}: {g.total} instead of {total}\n{g.feedback()}"
        if note:
            assert note in g.feedback(), f"{name}: no {note!r} in\n{g.feedback()}"
        if total == 12:                         # a full-marks answer: no test marks it wrong
            assert "✘" not in g.feedback(), f"{name}:\n{g.feedback()}"
    assert not _leftovers(), f"processes of the submissions outlived their grading: {_leftovers()}"
    feedback = grades["hostile-patches-the-checks"].feedback()
    assert "q7: 0 / 1" in feedback and "swapped" not in feedback and "receptive field" in feedback
    rows = {r["student"]: r for r in csv.DictReader((out / "grades.csv").read_text(encoding="utf-8").splitlines())}
    assert set(rows) == set(grades) and rows["ref-" + IDS[0]]["total"] == "12"
    assert rows["hostile-loops"]["q1"] == "2" and "time limit per cell" in rows["hostile-loops"]["notes"]
    names = report.feedback_names(grades)
    assert all((out / "feedback" / f"{names[s]}.md").is_file() for s in grades)


def test_report_flags_a_shared_student_id(graded, tmp_path):
    grades = list(graded["a2"][0].values())
    for g in grades:
        if g.student.startswith("a2-"):
            assert g.student_id == "bob" and any("also used by" in n for n in g.notes)
    grading.write_report(grades, tmp_path)
    header = next(csv.reader((tmp_path / "grades.csv").read_text(encoding="utf-8").splitlines()))
    assert header == ["student", "student_id", "q1", "q2", "q3", "q4", "q5", "total", "possible", "notes"]


def test_make_grade_command_line(builds, tmp_path):
    """``make grade SUBMISSIONS=...``: the assignment is read from the notebooks, the CSV and the
    feedback land in the output folder."""
    folder, out = tmp_path / "submissions", tmp_path / "grades"
    write(folder, "carol", submission(builds["a2"], "carol"))
    write(folder, "dave", submission(builds["a2"], "dave", [("return 1 / math.sqrt(fans(shape)[0])",
                                                              "return 1 / math.sqrt(fans(shape)[1])")]))
    args = ["grade", str(folder), "--builds", str(builds["a2"].parent), "--masters", str(MASTERS),
            "--out", str(out), "--cell-timeout", "30", "--call-timeout", "10"]
    assert grading.main(args + ([] if LANDLOCK else ["--allow-unsandboxed"])) == 0
    rows = {r["student"]: r for r in csv.DictReader((out / "grades.csv").read_text(encoding="utf-8").splitlines())}
    assert rows["carol"]["total"] == rows["carol"]["possible"] == "11"
    assert rows["dave"]["q4"] == "0" and rows["dave"]["total"] == "9"
    assert "other fan" in (out / "feedback" / "dave.md").read_text(encoding="utf-8")


def test_unreadable_and_foreign_submissions_score_zero(builds, tmp_path):
    folder = tmp_path / "subs"
    write(folder, "garbage", "{ this is not json")
    write(folder, "wrong-assignment", submission(builds["a2"], IDS[0]))
    grades = {g.student: g for g in grading.grade(folder, builds["a1"], tmp_path / "out", FAST,
                                                  isolation=ISOLATION)}
    assert grades["garbage"].total == 0 and "could not be read" in grades["garbage"].notes[0]
    assert grades["wrong-assignment"].total == 0 and "for assignment 'a2'" in grades["wrong-assignment"].notes[0]


def test_wire_format_round_trips_data_and_refuses_code():
    import numpy as np

    value = {"a": (1, 2.5, float("nan")), 3: [np.arange(6.0).reshape(2, 3), np.float32(1.5), {"x", "y"}],
             "rng": np.random.default_rng(7), "b": b"raw", "c": 1 + 2j, "none": None}
    blobs = []
    data = json.loads(json.dumps(protocol.encode(value, blobs)))
    back = protocol.decode(data, blobs)
    assert back["a"][:2] == (1, 2.5) and np.isnan(back["a"][2]) and back[3][2] == {"x", "y"}
    assert np.array_equal(back[3][0], value[3][0]) and back[3][1].dtype == np.float32
    assert back["rng"].random() == np.random.default_rng(7).random()
    assert back["b"] == b"raw" and back["c"] == 1 + 2j
    with pytest.raises(protocol.ProtocolError):
        protocol.decode({"__array__": 0, "dtype": "O", "shape": [1]}, [b"\0" * 8])
    with pytest.raises(TypeError):
        protocol.encode(lambda: 1, [])


@needs_landlock
def test_no_trace_of_the_hostile_set(graded, builds):
    """After the hostile run: its grading time, no process left, the hidden tests as built, and
    the grading of a planted link or FIFO in the submission folder is a zero with the reason."""
    grades, hostile, _ = graded["a1"]
    seconds = sum(g.seconds for s, g in grades.items() if s.startswith("hostile-"))
    print(f"a1 hostile set: {len(hostile) + 2} submissions graded in {seconds:.1f} s of worker time")
    assert not _leftovers()
    assign.verified_tests(builds["a1"])                  # raises if any test file changed
    for name, reason in (("link-to-tests", "symbolic link"), ("fifo", "not a regular file")):
        g = grades[name]
        assert g.total == 0 and not g.ran and reason in g.notes[0], g.notes
        assert g.seconds < 10


@needs_landlock
def test_student_id_is_read_once(graded):
    """Swapping STUDENT_ID between the grader's reads gains nothing: the swapped submission is
    graded with the id it reported first, exactly like a plain copy under that id."""
    grades = graded["a1"][0]
    swapped, copied = grades["hostile-swaps-id"], grades["hostile-copies-answers"]
    assert swapped.student_id == copied.student_id == "mallory-swap"
    assert swapped.scores == copied.scores and swapped.total < 12, swapped.feedback()
    assert any("also used by hostile-copies-answers" in n for n in swapped.notes)


@needs_landlock
def test_colliding_names_get_their_own_feedback(graded):
    grades, _, out = graded["a1"]
    files = sorted((out / "feedback").glob("*.md"))
    assert len(files) == len(grades) == len({f.name.casefold() for f in files})
    texts = "\n".join(f.read_text(encoding="utf-8") for f in files)
    for name, student_id in COLLIDING.items():
        assert f"(STUDENT_ID `{student_id}`)" in texts
        assert grades[name].student_id == student_id and grades[name].total == 12
    assert any("would have had the same file name" in n for n in grades["olga smith"].notes)


def test_forged_keras_descriptions_lose_the_hidden_points(graded):
    """Stand-ins whose descriptions claim the right initializers over numpy kernels pass the
    public tests of a3 q1 and q3 (their statistics are right) but not the hidden ones: the
    kernels exceed the claimed truncated normal or uniform, and the pitfall's kernel is not what
    Keras draws for the seed."""
    g = graded["a3"][0]["a3-forged"]
    assert g.scores["q1"] == (1.0, 3.0) and g.scores["q3"] == (1.0, 2.0), g.feedback()
    assert "outside the range" in g.feedback() and "GlorotUniform(seed=" in g.feedback()
    assert graded["a3"][0]["ref-" + IDS[0]].total == 9


def test_changed_hidden_tests_stop_grading_and_make_grade_rebuilds(builds, tmp_path):
    build = tmp_path / "builds" / builds["a2"].name
    shutil.copytree(builds["a2"], build)
    shutil.copy(MASTERS / f"{build.name}.md", tmp_path / f"{build.name}.md")
    test_file = build / "autograder" / "tests" / "q1.py"
    test_file.write_text(test_file.read_text(encoding="utf-8") + "\nimport os  # appended by someone\n")
    folder = tmp_path / "subs"
    write(folder, "carol", submission(builds["a2"], "carol"))
    with pytest.raises(assign.HiddenTestsChanged, match="q1.py"):
        grading.grade(folder, build, isolation=ISOLATION)
    logged = []
    assert assign.resolve_build("a2", build.parent, tmp_path, log=logged.append) == build
    assert "changed since it was built" in logged[0] and "appended" not in test_file.read_text(encoding="utf-8")
    assign.verified_tests(build)
