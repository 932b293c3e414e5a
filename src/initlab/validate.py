"""Checking arguments, one policy for the whole package.

* A value of the wrong **type** raises ``TypeError``; a value of the right type but outside what
  is allowed raises ``ValueError``. ``bool`` is never accepted as a number.
* Every message names the argument, what is valid, and what was given; an unknown name also gets
  the closest valid one ("Did you mean 'he_normal'?").
* ``seed`` means the same everywhere: ``None`` (fresh randomness), an ``int >= 0`` (reproducible)
  or a ``numpy.random.Generator`` (draw from it). What you call to *draw* (the initializers,
  ``propagation.sample_weights`` and ``propagation.simulate``) defaults to ``None``, as numpy and
  Keras do; the course's ready-made experiments (``data.load``, ``tinynet``, ``training.train``,
  the explorers, the demonstrations of ``beyond`` and ``modern``) default to ``0``, so that a
  page and a notebook show the same run. Keras needs an int: :func:`int_seed` refuses the other
  two forms there.

Examples
--------
>>> integer("depth", 30, low=1)
30
>>> integer("depth", 0, low=1)
Traceback (most recent call last):
...
ValueError: depth must be an int >= 1, got 0
>>> real("scale", "2")
Traceback (most recent call last):
...
TypeError: scale must be a finite number > 0, got str '2'
>>> choice("activation", "rleu", ["relu", "tanh"])
Traceback (most recent call last):
...
ValueError: unknown activation 'rleu'. Did you mean 'relu'? Valid: relu, tanh.
"""

from __future__ import annotations

import difflib
import math
import numbers
from collections.abc import Iterable, Sequence

import numpy as np

__all__ = ["integer", "real", "choice", "unknown", "shape", "float_dtype", "rng", "int_seed",
           "SEED_FORMS", "FLOAT_DTYPES"]

SEED_FORMS = "None, an int >= 0 or a numpy.random.Generator"
FLOAT_DTYPES = ("float16", "float32", "float64")


def _is_int(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


def _range_text(kind: str, low, high, low_open: bool, high_open: bool) -> str:
    if low is not None and high is not None:
        left, right = ("(" if low_open else "["), (")" if high_open else "]")
        return f"{kind} in {left}{low:g}, {high:g}{right}"
    if low is not None:
        return f"{kind} {'>' if low_open else '>='} {low:g}"
    if high is not None:
        return f"{kind} {'<' if high_open else '<='} {high:g}"
    return kind


def integer(name: str, value, low=None, high=None, *, allow_none=False):
    """``value`` as an ``int`` in ``[low, high]`` (either bound optional), or ``None`` if allowed.

    >>> integer("batch", None, low=2, allow_none=True) is None
    True
    """
    if value is None and allow_none:
        return None
    valid = ("None or " if allow_none else "") + _range_text("an int", low, high, False, False)
    if not _is_int(value):
        raise TypeError(f"{name} must be {valid}, got {type(value).__name__} {value!r}")
    if (low is not None and value < low) or (high is not None and value > high):
        raise ValueError(f"{name} must be {valid}, got {value!r}")
    return int(value)


def real(name: str, value, low=0.0, high=None, *, low_open=True, high_open=False, what=""):
    """``value`` as a finite ``float`` within the bounds. By default it must be > 0.

    ``what`` is an optional explanation added to the message, e.g. ``"(a multiplier on the
    weights)"``. Pass ``low=None`` for no lower bound.

    >>> real("lr", 0.5)
    0.5
    >>> real("slope", -0.1, low=None)
    -0.1
    """
    valid = _range_text("a finite number", low, high, low_open, high_open)
    valid += f" {what}" if what else ""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be {valid}, got {type(value).__name__} {value!r}")
    value = float(value)
    too_low = low is not None and (value <= low if low_open else value < low)
    too_high = high is not None and (value >= high if high_open else value > high)
    if not math.isfinite(value) or too_low or too_high:
        raise ValueError(f"{name} must be {valid}, got {value!r}")
    return value


def unknown(what: str, name, valid: Iterable[str]) -> str:
    """The message for an unknown name: the closest valid one, then all of them.

    >>> unknown("initializer", "he_normla", ["he_normal", "he_uniform"])
    "unknown initializer 'he_normla'. Did you mean 'he_normal'? Valid: he_normal, he_uniform."
    """
    valid = list(valid)
    close = difflib.get_close_matches(str(name).lower(), valid, n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    return f"unknown {what} {name!r}.{hint} Valid: {', '.join(valid)}."


def choice(what: str, value, valid: Iterable[str], aliases: dict[str, str] | None = None) -> str:
    """A name from ``valid`` (or an alias of one), normalised: lower case, ``-``/space -> ``_``.

    >>> choice("activation", "Leaky-ReLU", ["relu", "leaky_relu"])
    'leaky_relu'
    """
    valid, aliases = tuple(valid), aliases or {}
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a string, one of {', '.join(valid)}; "
                        f"got {type(value).__name__} {value!r}")
    key = value.strip().lower().replace("-", "_").replace(" ", "_")
    key = aliases.get(key, key)
    if key not in valid:
        raise ValueError(unknown(what, value, valid))
    return key


def shape(value) -> tuple[int, ...]:
    """A kernel shape: a sequence of ints >= 0, as a tuple.

    >>> shape([784, 128])
    (784, 128)
    """
    if isinstance(value, (str, bytes, bytearray, memoryview)) or not isinstance(
            value, (Sequence, np.ndarray)):
        raise TypeError(f"shape must be a sequence of non-negative ints such as (784, 128), "
                        f"got {type(value).__name__} {value!r}")
    for d in value:
        if not _is_int(d):
            raise TypeError(f"shape must contain only ints, got {d!r} in {tuple(value)!r}")
        if d < 0:
            raise ValueError(f"shape dims must be >= 0, got {tuple(value)!r}")
    return tuple(int(d) for d in value)


def float_dtype(value, valid=FLOAT_DTYPES) -> np.dtype:
    """A floating dtype from ``valid``, in native byte order; ``None`` means float32, as in Keras.

    >>> float_dtype(None)
    dtype('float32')
    """
    try:
        dt = np.dtype("float32" if value is None else value)
    except (TypeError, ValueError, DeprecationWarning):  # e.g. "a" warns under -W error
        dt = None
    if dt is None or dt.name not in valid:
        raise TypeError(f"dtype must be one of {', '.join(valid)}, got {value!r}")
    return np.dtype(dt.name)  # native byte order: numpy's samplers reject e.g. ">f4"


def rng(seed) -> np.random.Generator:
    """A numpy Generator for any of the seed forms (see the module's docstring).

    >>> int(rng(0).integers(10)) == int(rng(0).integers(10))
    True
    """
    if seed is None:
        return np.random.default_rng()
    if isinstance(seed, np.random.Generator):
        return seed
    if not _is_int(seed):
        raise TypeError(f"seed must be {SEED_FORMS}, got {type(seed).__name__} {seed!r}")
    if seed < 0:
        raise ValueError(f"seed must be {SEED_FORMS}, got {seed!r}")
    return np.random.default_rng(int(seed))


def int_seed(seed) -> int:
    """An ``int >= 0`` seed, for code that hands it to Keras or stores it.

    >>> int_seed(3)
    3
    """
    return integer("seed", seed, low=0)
