"""What an assignment notebook and its tests share: per-student parameters and object descriptions.

* :func:`student_params` turns a student id into the numbers of that student's exercises (layer
  widths, an activation, a seed, ...), the same on every machine. A notebook shows them to the
  student; its tests recompute them from ``STUDENT_ID``, so a copied answer does not fit.
* :func:`describe` turns a Keras model, layer or initializer into plain data (classes, configs
  and weights). Checks work on descriptions, so the same check runs in the student's notebook on
  the real object and in the grader on an object that stayed in the student's sandbox.

Light: importing it imports neither TensorFlow nor Keras.
"""

from __future__ import annotations

import hashlib
import re
import sys

import numpy as np

__all__ = ["student_params", "PARAMETER_SPACES", "describe"]

_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}")


def check_student_id(student_id) -> str:
    """``student_id`` stripped, or ValueError saying what a valid id looks like."""
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


#: Each assignment's parameter space: a function of ``pick(key, options)`` returning a dict.
PARAMETER_SPACES = {"a1": _a1, "a2": _a2, "a3": _a3}


def student_params(student_id, assignment: str, space=None) -> dict:
    """The parameters of ``assignment`` for the student ``student_id``.

    Every parameter is picked from its options by its own SHA-256 hash of (assignment, id, key),
    so it is deterministic everywhere, spread evenly over the options, and unchanged when other
    parameters are added. ``space`` replaces the assignment's entry in :data:`PARAMETER_SPACES`.

    >>> student_params("jdoe42", "a2") == student_params(" jdoe42 ", "a2")
    True
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


# ---------------------------------------------------------------------------------------------
# Descriptions

def describe(obj):
    """Plain data describing a Keras model, layer or initializer; None for anything else.

    * initializer: ``{"kind": "initializer", "class": ..., "config": {...}}``;
    * layer: ``{"kind": "layer", "class", "name", "units", "activation", "initializers": {attribute:
      initializer description}, "weights": {name: array}}``;
    * model: ``{"kind": "model", "class", "layers": [layer descriptions]}``.

    An object that stayed in a grading sandbox (``initlab.sandbox.RemoteObject``) carries the
    description the sandbox made of it.
    """
    from .sandbox import RemoteObject

    if isinstance(obj, RemoteObject):
        return obj.description
    keras = sys.modules.get("keras")
    if keras is None or not hasattr(keras, "Model"):   # no Keras object can exist
        return None
    if isinstance(obj, keras.Model):
        return {"kind": "model", "class": type(obj).__name__,
                "layers": [_layer(layer) for layer in obj.layers]}
    if isinstance(obj, keras.layers.Layer):
        return _layer(obj)
    if isinstance(obj, keras.initializers.Initializer):
        return _initializer(obj)
    return None


_INITIALIZER_ATTRIBUTES = ("kernel_initializer", "bias_initializer", "recurrent_initializer",
                           "embeddings_initializer")


def _layer(layer):
    activation = getattr(layer, "activation", None)
    weights = {}
    for variable in layer.weights:
        name = variable.name.rsplit("/", 1)[-1]
        while name in weights:
            name += "_"
        weights[name] = np.array(variable.numpy() if hasattr(variable, "numpy") else variable)
    return {"kind": "layer", "class": type(layer).__name__, "name": layer.name,
            "units": getattr(layer, "units", None),
            "activation": getattr(activation, "__name__", None) if activation is not None else None,
            "initializers": {a: _initializer(getattr(layer, a)) for a in _INITIALIZER_ATTRIBUTES
                             if getattr(layer, a, None) is not None},
            "weights": weights}


def _initializer(init):
    try:
        config = init.get_config()
    except Exception:                                   # a custom initializer without a config
        config = {}
    return {"kind": "initializer", "class": type(init).__name__, "config": _plain(config)}


def _plain(value, depth=0):
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if depth < 8 and isinstance(value, dict):
        return {str(k): _plain(v, depth + 1) for k, v in value.items()}
    if depth < 8 and isinstance(value, (list, tuple)):
        return [_plain(v, depth + 1) for v in value]
    return repr(value)[:200]
