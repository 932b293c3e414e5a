r"""Load Keras on TensorFlow silently, and with the same numbers on every x86-64 CPU.

While it loads, TensorFlow can write notices straight to file descriptor 2, below Python, before
its own logging is configured, so ``TF_CPP_MIN_LOG_LEVEL`` cannot stop them. On CPUs with AVX-512
or AMX, TensorFlow 2.16–2.21 prints, for example::

    WARNING: All log messages before absl::InitializeLog() is called are written to STDERR
    I0000 00:00:… port.cc:153] oneDNN custom operations are on. You may see slightly different …

A Jupyter kernel forwards them as red stderr boxes, and a book built with ``-W`` fails on them.
:func:`import_keras` is the one way the course gets Keras. The first call points fd 2 at a
temporary file while TensorFlow loads and runs its first operation, then restores it and writes
back every line that is *not* a known start-up notice (``NOTICES``), so real errors still
show. Later calls return the imported module at once.

**oneDNN.** Unless ``TF_ENABLE_ONEDNN_OPTS`` is already set, the first call sets it to ``0``.
TensorFlow switches its oneDNN kernels on by default only on CPUs with AVX-512 VNNI, AMX and
similar. They sum in a different order, so a training run there differs from other machines in
the last digits, and an epoch count or an accuracy read off a run can differ in the last digit
shown. With the option off, those CPUs run TensorFlow's own Eigen kernels, as every other x86-64
CPU does. For this course's models (dense layers of at most a few hundred units, float32) it costs
nothing measurable: on a 2-core AVX2 machine one ``training.train`` run (digits, 10 ReLU layers of
64, 5 epochs) took a median of 1.27 s with the option off and 1.34 s with it on, over 7
alternating runs each (``make bench`` measures it again; the README keeps the last table). Set
``TF_ENABLE_ONEDNN_OPTS=1`` before the first call to use oneDNN anyway: the course's tests pass
both ways, because they assert what the text claims rather than the last digits of a run.

Examples
--------
>>> from initlab.quiet_keras import import_keras, is_notice
>>> keras = import_keras()              # no output, on any CPU
>>> keras.backend.backend()
'tensorflow'
>>> is_notice("I0000 00:00:1733400000.1 12 port.cc:153] oneDNN custom operations are on.")
True
>>> is_notice("Traceback (most recent call last):")
False
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import tempfile

__all__ = ["import_keras", "is_notice", "NOTICES"]

# What TensorFlow's C++ core writes to fd 2 while it loads, on some machine or other. A line that
# matches one of these is dropped; any other line is written back to ``sys.stderr``.
_GLOG_PREFIX = r"^[IWE]\d{4} [\d:.]+\s+\d+ [\w./-]+:\d+\] "
NOTICES = tuple(re.compile(p) for p in (
    r"^WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR$",
    _GLOG_PREFIX + r"oneDNN custom operations are (on|off)",
    _GLOG_PREFIX + r"This TensorFlow binary is optimized to use available CPU instructions",
    r"^To enable the following instructions: .* in other operations, rebuild TensorFlow",
    _GLOG_PREFIX + r"Unable to register cu(DNN|FFT|BLAS) factory",
    _GLOG_PREFIX + r"Could not find cuda drivers on your machine",
    _GLOG_PREFIX + r"TF-TRT Warning: Could not find TensorRT",
))

_keras = None


def is_notice(line: str) -> bool:
    """True if ``line`` is one of TensorFlow's known start-up notices (``NOTICES``).

    >>> is_notice("WARNING: All log messages before absl::InitializeLog() is called are written to STDERR")
    True
    >>> is_notice("ValueError: Input 0 of layer dense is incompatible with the layer")
    False
    """
    return any(p.search(line) for p in NOTICES)


@contextlib.contextmanager
def _fd2_filtered():
    """Send fd 2 to a temporary file for the block, then write back what is not a notice."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as tmp:
        os.dup2(tmp.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            tmp.seek(0)
            text = tmp.read().decode("utf-8", errors="replace")
            kept = [line for line in text.splitlines() if line.strip() and not is_notice(line)]
            if kept:
                sys.stderr.write("\n".join(kept) + "\n")
                sys.stderr.flush()


def import_keras():
    """Import and return ``keras`` on the TensorFlow backend, with no start-up noise.

    Before TensorFlow first loads it sets, unless already set, ``TF_CPP_MIN_LOG_LEVEL=3`` (C++
    log: errors only), ``TF_ENABLE_ONEDNN_OPTS=0`` (the same kernels on every CPU; see the
    module's docstring) and ``KERAS_BACKEND=tensorflow``. It loads TensorFlow and runs one
    operation with fd 2 filtered (``is_notice``), then lowers TensorFlow's Python and absl
    loggers to errors. Use it instead of ``import keras`` or ``import tensorflow`` in chapters,
    assignments and tests, before anything else imports TensorFlow; afterwards plain
    ``import tensorflow as tf`` is free and quiet.

    Raises ``RuntimeError`` if Keras was already set to another backend.

    >>> import_keras() is import_keras()
    True
    """
    global _keras
    if _keras is not None:
        return _keras
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    with _fd2_filtered():
        import keras
        import tensorflow as tf

        tf.reduce_sum(tf.ones((2, 2)) @ tf.ones((2, 2))).numpy()   # device set-up notices, if any
    tf.get_logger().setLevel("ERROR")
    with contextlib.suppress(ImportError):       # absl comes with TensorFlow, but is not essential
        from absl import logging as absl_logging
        absl_logging.set_verbosity(absl_logging.ERROR)
    if keras.backend.backend() != "tensorflow":
        raise RuntimeError(f"initlab needs Keras' TensorFlow backend, but Keras runs on "
                           f"{keras.backend.backend()!r}; set KERAS_BACKEND=tensorflow before "
                           f"importing keras")
    _keras = keras
    return keras
