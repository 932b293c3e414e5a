"""The instructor's toolkit: assignments with per-student parameters, and grading that a
determined student cannot subvert.

* :mod:`initlab.course.params`: per-student parameters from ``STUDENT_ID`` (what assignment
  notebooks and their hidden tests share);
* :mod:`initlab.course.assign`: masters -> student and autograder versions, with the content
  hashes of the hidden tests (``make assignments``);
* :mod:`initlab.course.grading`: grading a folder of submissions offline (``make grade``);
* :mod:`initlab.course.sandbox`: the confined worker process that runs a submission, and the
  grader's side of its pipes;
* :mod:`initlab.course.protocol`: the wire format between them: plain data, never pickle.

No learner-facing module of ``initlab`` imports this package: a reader's kernel never loads it.
Importing ``initlab.course`` itself loads only :mod:`~initlab.course.params`.
"""

from .params import PARAMETER_SPACES, check_student_id, student_params

__all__ = ["student_params", "PARAMETER_SPACES", "check_student_id"]
