"""Per-student parameters: the numbers of a student's exercises, derived from ``STUDENT_ID``.

An assignment notebook shows a student their parameters (layer widths, an activation, a seed,
...); its hidden tests recompute them from ``STUDENT_ID`` in the grader, so a copied answer does
not fit. Every parameter is picked from its list of options by its own SHA-256 hash of
(assignment, id, parameter name): the same on every machine, spread evenly over the options, and
unchanged when other parameters are added.

Light: importing it imports only the standard library.
"""

from __future__ import annotations

import hashlib
import re

__all__ = ["student_params", "PARAMETER_SPACES", "check_student_id"]

_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}")


def check_student_id(student_id) -> str:
    """``student_id`` stripped of surrounding spaces, if it is a valid student id.

    A valid id is a string of 1 to 64 letters, digits and ``._@+-`` that starts with a letter or
    a digit. Anything else raises ValueError saying so, with an example.

    >>> check_student_id(" jdoe42 ")
    'jdoe42'
    """
    if not isinstance(student_id, str) or not _ID.fullmatch(student_id.strip()):
        raise ValueError(f'set STUDENT_ID to your student id, a string of up to 64 letters, digits '
                         f'and ._@+-, e.g. STUDENT_ID = "jdoe42"; got {student_id!r:.80}')
    return student_id.strip()


def _a1(pick):
    return {"activation": pick("activation", ("tanh", "relu", "sigmoid")),
            "width": pick("width", (200, 300, 400, 500, 600, 800, 1000)),
            "sigma": pick("sigma", (0.005, 0.01, 0.02, 0.03)),
            "limit": pick("limit", (0.05, 0.1, 0.2, 0.3, 0.5)),
            "widths": [pick(f"width{i}", (20, 50, 100, 200, 300, 500))
                       for i in range(pick("depth", (3, 4, 5)) + 1)]}


def _a2(pick):
    return {"activation": pick("activation", ("relu", "tanh", "selu")),
            "widths": [pick("n_in", (20, 64, 100, 784))] +
                      [pick(f"width{i}", (32, 64, 100, 128, 200, 256, 300, 512))
                       for i in range(pick("depth", (3, 4, 5)))],
            "seed": pick("seed", tuple(range(1, 10_000)))}


def _a3(pick):
    return {"activation": pick("activation", ("relu", "tanh", "selu")),
            "widths": [pick("n_in", (16, 32, 64))] +
                      [pick(f"width{i}", (32, 48, 64, 96, 128)) for i in range(pick("depth", (2, 3)))],
            "width": pick("width", (16, 32, 64)),
            "seed": pick("seed", tuple(range(1, 10_000))),
            "target": pick("target", ("he_uniform", "he_normal", "glorot_uniform", "glorot_normal",
                                      "lecun_uniform", "lecun_normal"))}


def _a4(pick):
    return {"d_k": pick("d_k", (16, 32, 48, 64, 96, 128, 256)),
            "n_blocks": pick("n_blocks", (6, 8, 12, 16, 24, 36, 48)),
            "frequencies": pick("frequencies", ((0.7, 0.2, 0.1), (0.5, 0.3, 0.15, 0.05),
                                                (0.9, 0.05, 0.05), (0.6, 0.25, 0.1, 0.05),
                                                (0.8, 0.1, 0.06, 0.04))),
            "t_max": pick("t_max", (50, 100, 200, 500, 1000))}


#: Each assignment's parameter space: a function of ``pick(key, options)`` returning a dict.
PARAMETER_SPACES = {"a1": _a1, "a2": _a2, "a3": _a3, "a4": _a4}


def student_params(student_id, assignment: str, space=None) -> dict:
    """The parameters of ``assignment`` for the student ``student_id``.

    ``pick(key, options)`` returns ``options[h mod len(options)]``, where ``h`` is the first 8
    bytes of SHA-256(assignment, id, key) read as an integer. ``space`` replaces the
    assignment's entry in :data:`PARAMETER_SPACES` (use it for your own assignments).

    >>> student_params("jdoe42", "a2") == student_params(" jdoe42 ", "a2")
    True
    >>> student_params("jdoe42", "a1", space=lambda pick: {"n": pick("n", (8, 16))})
    {'n': 8}
    """
    student_id = check_student_id(student_id)
    if space is None:
        if assignment not in PARAMETER_SPACES:
            raise ValueError(f"unknown assignment {assignment!r}; known: {', '.join(PARAMETER_SPACES)} "
                             f"(or pass space=...)")
        space = PARAMETER_SPACES[assignment]

    def pick(key, options):
        digest = hashlib.sha256(f"{assignment}\0{student_id}\0{key}".encode()).digest()
        return options[int.from_bytes(digest[:8], "big") % len(options)]

    return space(pick)
