"""Grades and the report: ``grades.csv`` and one feedback file per submission.

Every submission gets a feedback file of its own: a name that cannot be written as a file name
as it is (a space, a slash, a name past 100 characters) gets a hash of the exact name appended,
two submissions never share a file (a collision is noted in both grades, and nothing is
overwritten), and a file is only ever created, never opened for writing if it exists.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import re
from pathlib import Path

__all__ = ["TestResult", "Grade", "write_report", "feedback_names", "flag_shared_ids"]


@dataclasses.dataclass
class TestResult:
    """One test case's result, as the feedback shows it.

    Examples
    --------
    >>> TestResult("1", hidden=True, passed=False, points=0.0, message="an assertion failed")
    TestResult(name='1', hidden=True, passed=False, points=0.0, message='an assertion failed')
    """

    __test__ = False                                   # not a pytest class
    name: str
    hidden: bool
    passed: bool
    points: float
    message: str | None = None


@dataclasses.dataclass
class Grade:
    """One submission's grade: points and test results per question, and notes.

    Examples
    --------
    >>> grade = Grade("olga", "olga.ipynb", "a1", scores={"q1": (2.0, 2.0), "q2": (0.5, 1.0)},
    ...               tests={"q2": [TestResult("1", True, False, 0.0, "an assertion failed")]})
    >>> grade.total, grade.possible
    (2.5, 3.0)
    >>> print(grade.feedback())
    # a1: feedback for olga
    <BLANKLINE>
    **Score: 2.5 / 3**
    <BLANKLINE>
    ## q1: 2 / 2
    <BLANKLINE>
    <BLANKLINE>
    ## q2: 0.5 / 1
    <BLANKLINE>
    * ✘ hidden test 1: an assertion failed
    <BLANKLINE>
    """

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


def flag_shared_ids(grades) -> None:
    """Note in each grade whose ``STUDENT_ID`` another submission also uses, and each missing id.

    Examples
    --------
    >>> olga = Grade("olga", "olga.ipynb", "a1", student_id="12345")
    >>> ivan = Grade("ivan", "ivan.ipynb", "a1", student_id="12345")
    >>> flag_shared_ids([olga, ivan])
    >>> olga.notes
    ['STUDENT_ID `12345` is also used by ivan.']
    """
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


def _plain(student: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", student).strip("._")[:100] or "student"


def _file_name(student: str, force_hash=False) -> str:
    safe = _plain(student)
    if force_hash or safe != student:
        safe = f"{safe[:100]}-{hashlib.sha256(student.encode()).hexdigest()[:10]}"
    return safe


def feedback_names(students) -> dict[str, str]:
    """A feedback file name (without ``.md``) for each student name, unique even on a file system
    that ignores case. A name that is not a safe file name as it is gets a hash of the exact name
    appended, and so does a name that differs from an earlier one only by case.

    >>> feedback_names(["olga smith", "olga_smith", "Olga_Smith"])
    {'olga smith': 'olga_smith-26fb37811a', 'olga_smith': 'olga_smith', 'Olga_Smith': 'Olga_Smith-13aae9cb5d'}
    """
    names, seen = {}, set()
    for student in students:
        name = _file_name(student)
        if name.casefold() in seen:
            name = _file_name(student, force_hash=True)
        if name.casefold() in seen:
            raise ValueError(f"two submissions would share the feedback file {name}.md; rename {student!r}")
        seen.add(name.casefold())
        names[student] = name
    return names


def write_report(grades, out) -> Path:
    """Write ``grades.csv`` (one row per submission) and ``feedback/<student>.md`` into ``out``;
    a previous run's feedback files are removed first.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> out = Path(tempfile.mkdtemp())
    >>> grades = [Grade("olga", "olga.ipynb", "a1", scores={"q1": (2.0, 2.0)}, student_id="12345")]
    >>> print(write_report(grades, out).read_text().strip())
    student,student_id,q1,total,possible,notes
    olga,12345,2,2,2,
    >>> sorted(p.name for p in (out / "feedback").iterdir())
    ['olga.md']
    """
    out = Path(out)
    (out / "feedback").mkdir(parents=True, exist_ok=True)
    for old in (out / "feedback").glob("*.md"):       # a previous run's students
        old.unlink()
    names = feedback_names(g.student for g in grades)
    plain = {}
    for g in grades:                                   # collisions, told to both sides
        plain.setdefault(_plain(g.student).casefold(), []).append(g)
    for group in (g for g in plain.values() if len(g) > 1):
        for g in group:
            g.notes.append(f"the feedback of {', '.join(repr(o.student) for o in group if o is not g)} "
                           f"would have had the same file name; yours is {names[g.student]}.md")
    questions = list(dict.fromkeys(q for g in grades for q in g.scores))
    with open(out / "grades.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["student", "student_id", *questions, "total", "possible", "notes"])
        for g in sorted(grades, key=lambda g: g.student):
            scores = [f"{g.scores.get(q, (0, 0))[0]:g}" for q in questions]
            notes = " | ".join(n.replace("\n", " ") for n in g.notes)
            writer.writerow([_cell(g.student), g.student_id or "", *scores, f"{g.total:g}",
                             f"{g.possible:g}", _cell(notes[:2000])])
    for g in grades:
        with open(out / "feedback" / f"{names[g.student]}.md", "x", encoding="utf-8") as f:   # never overwrite
            f.write(g.feedback())
    return out / "grades.csv"


def _cell(text: str) -> str:
    """A CSV field that no spreadsheet reads as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
