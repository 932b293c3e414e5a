"""The core every exercise check shares: :class:`Feedback` and the comparison helpers.

A check returns a :class:`Feedback`; :func:`compare` tries a student's function on many inputs and
names a known mistake when the answer matches one. The student's code may raise anything, return
anything or nothing: these helpers turn every such case into a message, never an exception.

>>> compare(lambda n: 2 / n, [(10,), (300,)], lambda n: 2 / n, [], "He variance")
✔ correct on all 2 test inputs.
>>> compare(lambda n: 1 / n, [(10,)], lambda n: 2 / n, [(lambda n: 1 / n, "that is LeCun's.")], "He variance")
✘ for 10 you returned 0.1, the He variance is 0.2 (0.5× the right value): that is LeCun's.
"""

from __future__ import annotations

import dataclasses
import html
import math

import numpy as np

__all__ = ["Feedback", "Z", "ok", "fail", "call_student", "number", "close", "compare", "args_text"]

Z = 5.0  # tolerance in standard errors: P(|N(0,1)| > 5) = 5.7e-7


@dataclasses.dataclass(frozen=True)
class Feedback:
    """The result of a check: ``passed`` and a message for the student.

    Examples
    --------
    >>> good, bad = Feedback(True, "correct."), Feedback(False, "your std is 0.71× the target.")
    >>> good, bool(bad)
    (✔ correct., False)
    >>> bad.assert_passed()
    Traceback (most recent call last):
    ...
    AssertionError: your std is 0.71× the target.
    """

    passed: bool
    message: str

    def __bool__(self):
        return self.passed

    def __repr__(self):
        return ("✔ " if self.passed else "✘ ") + self.message

    def _repr_html_(self):
        colour, mark = ("#1a7f37", "✔") if self.passed else ("#b42318", "✘")
        return (f'<div style="border-left:4px solid {colour};padding:4px 10px;margin:4px 0">'
                f'<b style="color:{colour}">{mark}</b> {html.escape(self.message)}</div>')

    def assert_passed(self):
        """Raise AssertionError with the message unless passed (for autograder tests)."""
        if not self.passed:
            raise AssertionError(self.message)


def ok(message) -> Feedback:
    """A passed check.

    Examples
    --------
    >>> ok("correct on all 3 test inputs.")
    ✔ correct on all 3 test inputs.
    """
    return Feedback(True, message)


def fail(message) -> Feedback:
    """A failed check, with the message for the student.

    Examples
    --------
    >>> fail("expected a function, got int")
    ✘ expected a function, got int
    """
    return Feedback(False, message)


def call_student(student, *args):
    """Call the student's function; return (value, None) or (None, Feedback).

    Examples
    --------
    >>> call_student(lambda n: 2 / n, 4)
    (0.5, None)
    >>> call_student(lambda n: 2 / n, 0)
    (None, ✘ your function raised ZeroDivisionError: division by zero (called with 0))
    """
    if not callable(student):
        return None, fail(f"expected a function, got {type(student).__name__}")
    try:
        return student(*args), None
    except Exception as error:  # the student's code may raise anything: report it, don't crash
        args_text = ", ".join(map(repr, args))
        return None, fail(f"your function raised {type(error).__name__}: {error} "
                           f"(called with {args_text})")


def number(value, what):
    """``(float, None)`` for one finite number (a 0-d array counts), else ``(None, Feedback)``.

    Examples
    --------
    >>> import numpy as np
    >>> number(np.float32(0.5), "your std")
    (0.5, None)
    >>> number(None, "your std")
    (None, ✘ your std is None: did you forget to `return` the result?)
    """
    if value is None:
        return None, fail(f"{what} is None: did you forget to `return` the result?")
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)) \
            and not (isinstance(value, np.ndarray) and value.shape == ()):
        return None, fail(f"{what} must be a single number, got {type(value).__name__} {value!r:.80}")
    value = float(value)
    if not math.isfinite(value):
        return None, fail(f"{what} is {value}; it must be a finite number")
    return value, None


def close(a, b, rtol=1e-6) -> bool:
    """Equal to a relative ``rtol`` (and an absolute 1e-12 near 0).

    Examples
    --------
    >>> close(0.1 + 0.2, 0.3), close(0.081, 0.0816)
    (True, False)
    """
    return math.isclose(a, b, rel_tol=rtol, abs_tol=1e-12)


def compare(student, cases, expected, mistakes, what, rtol=1e-6, also=()):
    """Compare ``student(*case)`` with ``expected(*case)`` on every case; name a known mistake.

    ``also`` lists functions whose values are right as well (another correct reading of the
    question, such as a count rounded to a whole number).

    Examples
    --------
    >>> he_var = lambda n: 2 / n
    >>> compare(lambda n: 2.0 / n, [(10,), (300,)], he_var, [], "He variance")
    ✔ correct on all 2 test inputs.
    >>> compare(lambda n: 1 / n, [(10,)], he_var, [(lambda n: 1 / n, "that is LeCun's.")], "He variance")
    ✘ for 10 you returned 0.1, the He variance is 0.2 (0.5× the right value): that is LeCun's.
    >>> compare(lambda n: 3, [(10,)], lambda n: n / 3, [], "width", also=[lambda n: n // 3])
    ✔ correct on all 1 test inputs.
    """
    for case in cases:
        got, bad = call_student(student, *case)
        if bad is not None:
            return bad
        got, bad = number(got, f"the value returned for {args_text(case)}")
        if bad is not None:
            return bad
        want = expected(*case)
        if close(got, want, rtol) or any(close(got, right(*case), rtol) for right in also):
            continue
        ratio = f" ({got / want:.3g}× the right value)" if want else ""
        start = f"for {args_text(case)} you returned {got:.6g}, the {what} is {want:.6g}{ratio}"
        for wrong, hint in mistakes:
            try:
                if close(got, wrong(*case), rtol):
                    return fail(f"{start}: {hint}")
            except (ZeroDivisionError, ValueError, OverflowError):
                continue
        return fail(start + ".")
    return ok(f"correct on all {len(cases)} test inputs.")


def args_text(case) -> str:
    """The arguments of a test case as the student would type them.

    Examples
    --------
    >>> args_text([(300, 200), "relu"])
    "(300, 200), 'relu'"
    """
    return ", ".join(repr(tuple(c)) if isinstance(c, (tuple, list)) else repr(c) for c in case)


