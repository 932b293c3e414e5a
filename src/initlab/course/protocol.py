"""The wire format between the grader and a worker: plain data, never pickle.

A message is a JSON header followed by raw buffers, one per numpy array or bytes value. Numbers,
strings, containers and numeric arrays are copied; everything else stays in the worker and is
sent as a ``__remote__`` reference. The grader decodes what a worker sends as data only, so a
submission cannot run code in the grader, and it accepts a Keras object's description only in the
fixed form :func:`description` checks.
"""

from __future__ import annotations

import json
import os
import re
import struct

__all__ = ["MAX_MESSAGE", "HEADER", "ProtocolError", "read_exact", "frame", "unframe", "encode",
           "decode", "description"]

MAX_MESSAGE = 256 << 20          # bytes in one message; a bigger answer is refused
HEADER = struct.Struct("<QI")    # payload length, JSON header length


def read_exact(fd, n) -> bytes:
    """``n`` bytes from ``fd`` (blocking); EOFError if it ends first.

    Examples
    --------
    >>> import os
    >>> r, w = os.pipe()
    >>> _ = os.write(w, b"hello")
    >>> read_exact(r, 5)
    b'hello'
    >>> os.close(w)
    >>> read_exact(r, 1)                                    # the writer is gone: no more bytes
    Traceback (most recent call last):
    ...
    EOFError
    >>> os.close(r)
    """
    chunks = []
    while n:
        chunk = os.read(fd, min(n, 1 << 20))
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


# ---------------------------------------------------------------------------------------------
# Wire format: a JSON header followed by raw buffers, one per numpy array or bytes value.

class ProtocolError(Exception):
    """A message that is not valid in this protocol.

    Examples
    --------
    >>> unframe(b"not json", 8)
    Traceback (most recent call last):
    ...
    initlab.course.protocol.ProtocolError: unreadable message: Expecting value: line 1 column 1 (char 0)
    """


def frame(message: dict, blobs: list[bytes]) -> bytes:
    """Serialise ``message`` (JSON-able, arrays replaced by blob references) and its buffers.

    Examples
    --------
    >>> import numpy as np
    >>> blobs = []
    >>> data = encode({"std": 0.5, "w": np.zeros(3, dtype=np.float32)}, blobs)
    >>> wire = frame({"answer": data}, blobs)
    >>> size, header_length = HEADER.unpack(wire[:HEADER.size])
    >>> size == len(wire) - HEADER.size
    True
    """
    message = dict(message, _blobs=[len(b) for b in blobs])
    header = json.dumps(message, separators=(",", ":")).encode()
    size = len(header) + sum(len(b) for b in blobs)
    return b"".join([HEADER.pack(size, len(header)), header, *blobs])


def unframe(payload: bytes, header_length: int) -> tuple[dict, list[bytes]]:
    """The inverse of :func:`frame`: ``(message, buffers)`` from what follows the fixed header.
    Anything malformed raises :class:`ProtocolError`.

    >>> wire = frame({"op": "get", "name": "answer"}, [b"abc"])
    >>> size, header_length = HEADER.unpack(wire[:HEADER.size])
    >>> unframe(wire[HEADER.size:], header_length)
    ({'op': 'get', 'name': 'answer'}, [b'abc'])
    """
    try:
        message = json.loads(payload[:header_length])
    except (ValueError, RecursionError) as error:
        raise ProtocolError(f"unreadable message: {error}") from None
    if not isinstance(message, dict) or not isinstance(message.get("_blobs"), list):
        raise ProtocolError("a message must be a JSON object with _blobs")
    blobs, at = [], header_length
    for n in message.pop("_blobs"):
        if not isinstance(n, int) or n < 0 or at + n > len(payload):
            raise ProtocolError("bad buffer lengths")
        blobs.append(payload[at:at + n])
        at += n
    return message, blobs


_TAGS = ("__array__", "__tuple__", "__set__", "__frozenset__", "__dict__", "__complex__",
         "__scalar__", "__bytes__", "__rng__", "__remote__", "__handle__", "__float__")


def encode(value, blobs: list[bytes], refer=None, depth: int = 0):
    """``value`` as JSON-able data; numeric arrays and bytes go to ``blobs``.

    ``refer(obj)`` is called for anything that is not data (functions, models, ...) and returns
    the JSON that stands for it; without it, such values raise TypeError.

    Examples
    --------
    >>> import numpy as np
    >>> blobs = []
    >>> encode((1, 2.5), blobs)
    {'__tuple__': [1, 2.5]}
    >>> encode(np.zeros(2), blobs), blobs
    ({'__array__': 0, 'dtype': '<f8', 'shape': [2]}, [b'...'])
    >>> encode(print, [])
    Traceback (most recent call last):
    ...
    TypeError: cannot send a builtin_function_or_method
    """
    import numpy as np

    if depth > 40:
        raise TypeError("data nested more than 40 levels deep")
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return value if value == value and abs(value) != float("inf") else {"__float__": repr(value)}
    if isinstance(value, complex):
        return {"__complex__": [value.real, value.imag]}
    if isinstance(value, np.generic) and value.dtype.kind in "biufc":
        return {"__scalar__": value.dtype.str, "value": encode(value.item(), blobs)}
    if isinstance(value, np.ndarray) and value.dtype.kind in "biufc":
        blobs.append(np.ascontiguousarray(value).tobytes())
        return {"__array__": len(blobs) - 1, "dtype": value.dtype.str, "shape": list(value.shape)}
    if isinstance(value, (bytes, bytearray)):
        blobs.append(bytes(value))
        return {"__bytes__": len(blobs) - 1}
    if isinstance(value, np.random.Generator):
        bits = value.bit_generator
        return {"__rng__": type(bits).__name__, "state": encode(bits.state, blobs, refer, depth + 1)}
    if isinstance(value, list):
        return [encode(v, blobs, refer, depth + 1) for v in value]
    if isinstance(value, tuple):
        return {"__tuple__": [encode(v, blobs, refer, depth + 1) for v in value]}
    if isinstance(value, (set, frozenset)):
        tag = "__set__" if isinstance(value, set) else "__frozenset__"
        return {tag: [encode(v, blobs, refer, depth + 1) for v in value]}
    if isinstance(value, dict):
        return {"__dict__": [[encode(k, blobs, refer, depth + 1), encode(v, blobs, refer, depth + 1)]
                             for k, v in value.items()]}
    if refer is None:
        raise TypeError(f"cannot send a {type(value).__name__}")
    if hasattr(value, "__array__") and hasattr(value, "shape"):   # a tensor or a variable
        try:
            array = np.asarray(value)
        except Exception:                              # a symbolic tensor: send a proxy
            array = None
        if array is not None and array.dtype.kind in "biufc":
            return encode(array, blobs)
    return refer(value)


def decode(data, blobs: list[bytes], resolve=None, depth: int = 0):
    """The inverse of :func:`encode`. ``resolve(tag, data)`` rebuilds ``__remote__`` and
    ``__handle__`` references. Anything malformed raises :class:`ProtocolError`.

    Examples
    --------
    >>> blobs = []
    >>> decode(encode({"shape": (300, 200), "seen": {1, 2}}, blobs), blobs)
    {'shape': (300, 200), 'seen': {1, 2}}
    >>> decode({"__array__": 0, "dtype": "|O", "shape": [1]}, [b""])      # object arrays could run code
    Traceback (most recent call last):
    ...
    initlab.course.protocol.ProtocolError: arrays of dtype object are not accepted
    """
    import numpy as np

    if depth > 42:
        raise ProtocolError("data nested too deeply")
    if data is None or isinstance(data, (bool, str, int, float)):
        return data
    if isinstance(data, list):
        return [decode(v, blobs, resolve, depth + 1) for v in data]
    if not isinstance(data, dict):
        raise ProtocolError(f"unexpected {type(data).__name__}")
    tags = [t for t in _TAGS if t in data]
    if len(tags) != 1:
        raise ProtocolError("unknown tagged value")
    tag = tags[0]
    body = data[tag]
    try:
        if tag == "__array__":
            dtype = np.dtype(data["dtype"])
            if dtype.kind not in "biufc":
                raise ProtocolError(f"arrays of dtype {dtype} are not accepted")
            shape = tuple(int(n) for n in data["shape"])
            return np.frombuffer(blobs[body], dtype=dtype).reshape(shape).copy()
        if tag == "__bytes__":
            return bytes(blobs[body])
        if tag == "__float__":
            return float(body) if body in ("nan", "inf", "-inf") else _bad("bad float")
        if tag == "__complex__":
            return complex(float(body[0]), float(body[1]))
        if tag == "__scalar__":
            dtype = np.dtype(body)
            if dtype.kind not in "biufc":
                raise ProtocolError(f"scalars of dtype {dtype} are not accepted")
            return dtype.type(decode(data["value"], blobs, resolve, depth + 1))
        if tag == "__tuple__":
            return tuple(decode(v, blobs, resolve, depth + 1) for v in body)
        if tag in ("__set__", "__frozenset__"):
            items = (decode(v, blobs, resolve, depth + 1) for v in body)
            return set(items) if tag == "__set__" else frozenset(items)
        if tag == "__dict__":
            return {decode(k, blobs, resolve, depth + 1): decode(v, blobs, resolve, depth + 1)
                    for k, v in body}
        if tag == "__rng__":
            if body not in ("PCG64", "PCG64DXSM", "Philox", "SFC64", "MT19937"):
                raise ProtocolError(f"unknown bit generator {body!r}")
            bits = getattr(np.random, body)()
            bits.state = decode(data["state"], blobs, resolve, depth + 1)
            return np.random.Generator(bits)
    except ProtocolError:
        raise
    except (TypeError, ValueError, KeyError, IndexError, OverflowError) as error:
        raise ProtocolError(f"malformed {tag}: {error}") from None
    if resolve is None:
        raise ProtocolError(f"unexpected {tag}")
    return resolve(tag, data)


def _bad(message):
    raise ProtocolError(message)


# ---------------------------------------------------------------------------------------------
# Descriptions of Keras objects, as the grader accepts them

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,79}")
_ATTRIBUTES = ("kernel_initializer", "bias_initializer", "recurrent_initializer",
               "embeddings_initializer")


def _text(value, limit=200):
    return value if isinstance(value, str) and len(value) <= limit else None


def _config(value, depth=0):
    """``value`` if it is plain configuration data (what ``get_config`` returns), else KeyError."""
    if value is None or isinstance(value, (bool, int, float)) or _text(value) is not None:
        return value
    if depth < 8 and isinstance(value, list) and len(value) <= 64:
        return [_config(v, depth + 1) for v in value]
    if depth < 8 and isinstance(value, dict) and len(value) <= 64 and all(_text(k, 80) for k in value):
        return {k: _config(v, depth + 1) for k, v in value.items()}
    raise KeyError("not plain configuration data")


def _initializer(data):
    if data.get("kind") != "initializer" or not _NAME.fullmatch(str(data.get("class"))):
        raise KeyError("not an initializer")
    return {"kind": "initializer", "class": data["class"], "config": _config(data.get("config") or {})}


def _layer(data):
    import numpy as np

    if data.get("kind") != "layer" or not _NAME.fullmatch(str(data.get("class"))):
        raise KeyError("not a layer")
    units, weights = data.get("units"), data.get("weights") or {}
    if not (units is None or type(units) is int) or not isinstance(weights, dict) or len(weights) > 64:
        raise KeyError("bad units or weights")
    for key, array in weights.items():
        if not _text(key, 80) or not isinstance(array, np.ndarray) or array.dtype.kind != "f" \
                or array.ndim > 5:
            raise KeyError("weights must be float arrays")
    initializers = data.get("initializers") or {}
    if not isinstance(initializers, dict) or not set(initializers) <= set(_ATTRIBUTES):
        raise KeyError("bad initializers")
    activation = data.get("activation")
    return {"kind": "layer", "class": data["class"], "name": _text(data.get("name")) or "",
            "units": units, "activation": activation if _NAME.fullmatch(str(activation)) else None,
            "initializers": {k: _initializer(v) for k, v in initializers.items()},
            "weights": dict(weights)}


def description(data) -> dict | None:
    """The description of a Keras model, layer or initializer that a worker sent, rebuilt from
    the fields of :func:`initlab.coursework.describe`'s fixed form and checked field by field:
    class names are identifiers, configurations plain data, weights float arrays. Anything else
    (or any extra field) is dropped; a description that does not fit is None.

    >>> description({"kind": "initializer", "class": "HeNormal", "config": {"seed": None}})
    {'kind': 'initializer', 'class': 'HeNormal', 'config': {'seed': None}}
    >>> description({"kind": "initializer", "class": "os.system", "config": {}}) is None
    True
    """
    if not isinstance(data, dict):
        return None
    try:
        if data.get("kind") == "model":
            layers = data.get("layers")
            if not _NAME.fullmatch(str(data.get("class"))) or not isinstance(layers, list) \
                    or len(layers) > 1000:
                return None
            return {"kind": "model", "class": data["class"],
                    "layers": [_layer(layer) if isinstance(layer, dict) else _layer({})
                               for layer in layers]}
        if data.get("kind") == "layer":
            return _layer(data)
        return _initializer(data)
    except (KeyError, TypeError, AttributeError):
        return None
