"""What the hidden tests accept as an answer, and what they check of a Keras model they cannot see.

The public checks of :mod:`initlab.checks` accept several forms of one answer (an int or a float
or a 0-d array for a number, any collection for a set); the hidden tests and the public *form*
tests use these functions so that they accept exactly those forms, and never mark a full-marks
answer as wrong.

A Keras model stays in the student's worker, and the grader sees only its description, sent as
data (:func:`initlab.course.protocol.description`). :func:`kernels_follow_initializers` checks
that the kernels in it are samples the described initializers could have drawn: within their
support (a truncated normal never exceeds 2σ₀, a uniform never exceeds its limit).
:func:`is_keras_output` compares a kernel with what the grader's own Keras draws for a seed.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

__all__ = ["number", "names", "whole_number", "kernels_follow_initializers", "is_keras_output"]


def number(value, what="the answer") -> float:
    """``value`` as a float if it is one real number (an int, a float, a numpy scalar or a 0-d
    array, not a bool) and finite; AssertionError saying what was expected otherwise.

    >>> number(np.array(2.5)), number(3)
    (2.5, 3.0)
    """
    ok = isinstance(value, (numbers.Real, np.integer, np.floating)) or (
        isinstance(value, np.ndarray) and value.shape == () and value.dtype.kind in "iuf")
    if not ok or isinstance(value, (bool, np.bool_)):
        raise AssertionError(f"{what} must be a single number, got {type(value).__name__} {value!r:.80}")
    value = float(value)
    if not math.isfinite(value):
        raise AssertionError(f"{what} is {value}; it must be a finite number")
    return value


def whole_number(value, what="the answer") -> int:
    """``value`` as an int if it is a whole :func:`number` (``17`` or ``17.0``).

    >>> whole_number(17.0)
    17
    """
    x = number(value, what)
    if not x.is_integer():
        raise AssertionError(f"{what} must be a whole number, got {value!r:.80}")
    return int(x)


def names(value, allowed, what="the answer") -> set:
    """``value`` as a set if it is a collection (a set, list or tuple, not a string) of names
    taken from ``allowed``.

    >>> sorted(names(["b2", "W2"], {"W1", "b1", "W2", "b2"}))
    ['W2', 'b2']
    """
    if isinstance(value, (str, bytes)) or not isinstance(value, (set, frozenset, list, tuple)):
        raise AssertionError(f"{what} must be a set of names such as {{'b2'}}, got {value!r:.80}")
    if not all(isinstance(v, str) and v in allowed for v in value):
        raise AssertionError(f"{what} must hold names chosen from {', '.join(sorted(allowed))}, "
                             f"got {sorted(map(str, value))}")
    return set(value)


_PRESETS = {"HeNormal": "he_normal", "HeUniform": "he_uniform", "GlorotNormal": "glorot_normal",
            "GlorotUniform": "glorot_uniform", "LecunNormal": "lecun_normal",
            "LecunUniform": "lecun_uniform"}


def _initializer(description):
    """The initlab initializer equal to a described Keras variance-scaling initializer, or None."""
    from .. import initializers

    if not isinstance(description, dict):
        return None
    cls, config = description.get("class"), description.get("config") or {}
    if cls in _PRESETS:
        return initializers.get(_PRESETS[cls])
    if cls == "VarianceScaling":
        try:
            return initializers.VarianceScaling(config.get("scale", 1.0), config.get("mode", "fan_in"),
                                                config.get("distribution", "truncated_normal"))
        except (TypeError, ValueError):
            return None
    return None


def kernels_follow_initializers(model, what="your model") -> None:
    """AssertionError unless every Dense kernel of the described ``model`` lies within the support
    of the variance-scaling initializer its description names (kernels of other initializers
    are left to the checks of :mod:`initlab.checks`).

    Examples
    --------
    >>> from initlab.quiet_keras import import_keras
    >>> keras = import_keras()
    >>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, kernel_initializer="he_uniform")])
    >>> kernels_follow_initializers(model)                     # drawn by He uniform: nothing to say
    >>> model.layers[0].kernel.assign(model.layers[0].kernel * 10.0)
    <...>
    >>> kernels_follow_initializers(model)  # doctest: +NORMALIZE_WHITESPACE
    Traceback (most recent call last):
    ...
    AssertionError: your model: layer 1's kernel has values up to ..., outside the range [-1.225, 1.225]
    that its initializer draws from, so it was not drawn by it
    """
    from ..coursework import describe

    description = describe(model)
    if not isinstance(description, dict) or description.get("kind") != "model":
        raise AssertionError(f"{what} must be a Keras model, got {type(model).__name__}")
    for i, layer in enumerate(description["layers"], 1):
        kernel = (layer.get("weights") or {}).get("kernel")
        init = _initializer((layer.get("initializers") or {}).get("kernel_initializer"))
        if kernel is None or init is None:
            continue
        low, high = init.bounds(kernel.shape)
        if np.any(kernel < low * (1 + 1e-5)) or np.any(kernel > high * (1 + 1e-5)):
            raise AssertionError(
                f"{what}: layer {i}'s kernel has values up to {np.abs(kernel).max():.4g}, outside "
                f"the range [{low:.4g}, {high:.4g}] that its initializer draws from, so it "
                f"was not drawn by it")


def is_keras_output(kernel, initializer: str, seed: int) -> bool:
    """Whether ``kernel`` is exactly what Keras' ``initializer`` (a class name of
    ``keras.initializers``) returns for its shape with ``seed``, computed by this process's
    Keras.

    Examples
    --------
    >>> from initlab.quiet_keras import import_keras
    >>> keras = import_keras()
    >>> kernel = keras.initializers.HeNormal(seed=3)((4, 2))
    >>> is_keras_output(kernel, "HeNormal", seed=3), is_keras_output(kernel, "HeNormal", seed=4)
    (True, False)
    """
    from ..training import import_keras

    keras = import_keras()
    kernel = np.asarray(kernel)
    want = keras.initializers.get({"class_name": initializer, "config": {"seed": int(seed)}})
    return np.array_equal(np.asarray(want(kernel.shape)), kernel)
