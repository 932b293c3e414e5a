"""Keras objects as plain data, so that an exercise check judges them the same everywhere.

:func:`describe` turns a Keras model, layer or initializer into plain data (classes, configs and
weights). Checks work on descriptions, so the same check runs in a learner's notebook on the real
object and in the grader on an object that stayed in a student's sandbox.

Light: importing it imports neither TensorFlow nor Keras, nor anything of the instructor's
toolkit (:mod:`initlab.course`). The per-student parameters of the assignments moved there:
``from initlab.course import student_params``.
"""

from __future__ import annotations

import sys

import numpy as np

__all__ = ["describe"]


# ---------------------------------------------------------------------------------------------
# Descriptions

def describe(obj):
    """Plain data describing a Keras model, layer or initializer; None for anything else.

    * initializer: ``{"kind": "initializer", "class": ..., "config": {...}}``;
    * layer: ``{"kind": "layer", "class", "name", "units", "activation", "initializers": {attribute:
      initializer description}, "weights": {name: array}}``;
    * model: ``{"kind": "model", "class", "layers": [layer descriptions]}``.

    An object that stayed in a grading sandbox (``initlab.course.sandbox.RemoteObject``)
    carries the description the grader validated. Like Keras, the sandbox is looked up among the
    loaded modules, never imported: without it, no such object can exist.

    >>> describe(3.0) is None
    True
    """
    sandbox = sys.modules.get("initlab.course.sandbox")
    if sandbox is not None and isinstance(obj, sandbox.RemoteObject):
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
