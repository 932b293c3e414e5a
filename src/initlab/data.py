"""Small classification data sets for the training chapters: offline by default.

* ``"digits"`` (the default): scikit-learn's bundled 8×8 handwritten digits (the test part of
  the UCI "Optical Recognition of Handwritten Digits" set, Alpaydin & Kaynak 1998), 1797
  samples, no network needed. Each pixel (0–16) is divided by 16, so features lie in [0, 1];
  the 8×8 image is flattened to 64 float32 features. A fixed *stratified* split (``test_size=0.25``,
  ``random_state=0``) gives 1347 training and 450 test samples with the same class mix.
* ``"mnist"``: 28×28 MNIST (LeCun et al. 1998) through ``keras.datasets.mnist.load_data()``,
  scaled by 1/255 and flattened to 784 float32 features, optionally subsampled (stratified) so
  training stays seconds-fast. It needs the network once (it is cached in
  ``~/.keras/datasets/mnist.npz``). When it cannot be had, :func:`load` falls back to digits
  and says so in ``Dataset.note``.

Use :func:`load` in chapters: ``data = initlab.data.load()``; ``print(data)`` shows a one-line
summary including the note.

Importing this module imports neither TensorFlow/Keras nor scikit-learn; they are imported when a
data set is loaded.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import socket
import threading

import numpy as np

from . import quiet_keras, validate

__all__ = ["Dataset", "NAMES", "load", "load_digits_split", "load_mnist", "MNIST_HOST"]

#: The data set names :func:`load` accepts.
NAMES = ("digits", "mnist")

#: Where ``keras.datasets.mnist`` downloads from (port 443); probed before downloading.
MNIST_HOST = "storage.googleapis.com"
_MNIST_FILE = "mnist.npz"


@dataclasses.dataclass(frozen=True, eq=False)
class Dataset:
    """A train/test split of a classification data set.

    ``x_*`` are float32 arrays ``(n, n_features)`` with values in [0, 1]; ``y_*`` are int64 class
    labels in ``range(n_classes)``. The arrays are read-only (they may be shared by a cache);
    copy them to modify. ``note`` is a one-line remark for the reader, e.g. why MNIST was
    replaced by digits; it is ``""`` when there is nothing to say.

    Examples
    --------
    >>> data = load("digits")
    >>> print(data)
    digits: 1347 train / 450 test samples, 64 features, 10 classes
    >>> data.x_train.shape, data.x_train.dtype, data.n_classes
    ((1347, 64), dtype('float32'), 10)
    >>> bool(data.x_train.min() >= 0 and data.x_train.max() <= 1)
    True
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    n_classes: int
    name: str
    note: str = ""

    @property
    def n_features(self) -> int:
        return int(self.x_train.shape[1])

    def __str__(self) -> str:
        text = (f"{self.name}: {len(self.y_train)} train / {len(self.y_test)} test samples, "
                f"{self.n_features} features, {self.n_classes} classes")
        return f"{text}. {self.note}" if self.note else text


def _frozen(*arrays):
    for a in arrays:
        a.setflags(write=False)
    return arrays



# ---------------------------------------------------------------------------------------------
# digits: offline

@functools.lru_cache(maxsize=8)
def load_digits_split(test_size: float = 0.25, seed: int = 0) -> Dataset:
    """scikit-learn's bundled 8×8 digits as a :class:`Dataset`; needs no network.

    Pixels (0–16) are divided by 16 and flattened to 64 float32 features in [0, 1]. The split is
    stratified (each class keeps its share in both parts) and fixed by ``seed``, which is passed
    as ``random_state`` to ``sklearn.model_selection.train_test_split``; the defaults give
    1347 training and 450 test samples. Results are cached, so repeated calls are free and return
    the same (read-only) arrays.
    """
    test_size = validate.real("test_size", test_size, high=1, high_open=True)
    seed = validate.int_seed(seed)
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    x = (digits.data / 16.0).astype(np.float32)
    y = digits.target.astype(np.int64)
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=test_size, random_state=seed, stratify=y)
    arrays = _frozen(*(np.ascontiguousarray(a) for a in (x_train, y_train, x_test, y_test)))
    return Dataset(*arrays, n_classes=10, name="digits")


# ---------------------------------------------------------------------------------------------
# MNIST: online, with a fast offline failure

def _cached_mnist_path() -> str | None:
    """The MNIST file Keras would reuse, if one is there, found without importing Keras.

    Keras caches in ``$KERAS_HOME/datasets`` (default ``~/.keras/datasets``), or in
    ``/tmp/.keras/datasets`` when the home directory is not writable.
    """
    homes = [os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras"),
             os.path.join("/tmp", ".keras")]
    for home in homes:
        path = os.path.join(home, "datasets", _MNIST_FILE)
        if os.path.isfile(path):
            return path
    return None


def _reachable(host: str = MNIST_HOST, port: int = 443, timeout: float = 2.0) -> bool:
    """Whether a TCP connection to ``host:port`` opens within ``timeout`` seconds.

    The connection runs in a daemon thread that is abandoned after ``timeout``, because
    ``socket``'s timeout does not bound the DNS lookup, which can block for much longer offline.
    """
    result = []

    def probe():
        try:
            socket.create_connection((host, port), timeout=timeout).close()
            result.append(True)
        except OSError:
            result.append(False)

    thread = threading.Thread(target=probe, daemon=True)
    thread.start()
    thread.join(timeout)
    return bool(result and result[0])


def _download_mnist(timeout: float):
    """``keras.datasets.mnist.load_data()``: downloads once, then reads Keras' cache.

    A per-operation socket timeout makes a stalled download raise instead of hanging.
    """
    keras = quiet_keras.import_keras()

    old = socket.getdefaulttimeout()
    socket.setdefaulttimeout(max(timeout, 10.0))
    try:
        return keras.datasets.mnist.load_data()
    finally:
        socket.setdefaulttimeout(old)


def _subsample(x, y, n, seed):
    if n is None or n >= len(y):
        return x, y
    from sklearn.model_selection import train_test_split

    x, _, y, _ = train_test_split(x, y, train_size=n, random_state=seed, stratify=y)
    return x, y


def _check_mnist_args(n_train, n_test, seed, timeout):
    n_train = validate.integer("n_train", n_train, 10, 60_000, allow_none=True)
    n_test = validate.integer("n_test", n_test, 10, 10_000, allow_none=True)
    timeout = validate.real("timeout", timeout, what="(seconds)")
    return n_train, n_test, validate.int_seed(seed), timeout


def load_mnist(n_train: int | None = 10_000, n_test: int | None = None, seed: int = 0,
               timeout: float = 2.0) -> Dataset:
    """MNIST as a :class:`Dataset`: 784 float32 features in [0, 1], labels 0–9.

    ``n_train``/``n_test`` subsample the 60 000/10 000 images (stratified, fixed by ``seed``);
    ``None`` keeps them all. The default 10 000 training images keep a few epochs of a small
    dense net to seconds.

    Without a cached copy, the download host is first probed with a TCP connection that must open
    within ``timeout`` seconds, so an offline machine fails in about ``timeout`` seconds instead of
    waiting for Keras' download to give up; during the download every socket operation times out
    after ``max(timeout, 10)`` seconds, so a stalled transfer fails too. Raises ``OSError`` (or
    whatever the download raises) when MNIST cannot be had; :func:`load` turns that into a
    fallback to digits.

    Examples
    --------
    Bad arguments fail at once, before any download:

    >>> load_mnist(n_train=0)
    Traceback (most recent call last):
    ...
    ValueError: n_train must be None or an int in [10, 60000], got 0
    """
    n_train, n_test, seed, timeout = _check_mnist_args(n_train, n_test, seed, timeout)
    if _cached_mnist_path() is None and not _reachable(MNIST_HOST, 443, timeout):
        raise OSError(f"no connection to {MNIST_HOST} within {timeout:g} s, and no cached copy")
    (x_train, y_train), (x_test, y_test) = _download_mnist(timeout)
    x_train, y_train = _subsample(x_train, y_train, n_train, seed)
    x_test, y_test = _subsample(x_test, y_test, n_test, seed)

    def features(x):
        return np.asarray(x, dtype=np.float32).reshape(len(x), -1) / np.float32(255.0)

    arrays = _frozen(features(x_train), np.asarray(y_train, dtype=np.int64),
                     features(x_test), np.asarray(y_test, dtype=np.int64))
    return Dataset(*arrays, n_classes=10, name="mnist")


# ---------------------------------------------------------------------------------------------

def load(name: str = "digits", *, n_train: int | None = 10_000, n_test: int | None = None,
         seed: int = 0, timeout: float = 2.0) -> Dataset:
    """Load a data set by name: ``"digits"`` (default, offline) or ``"mnist"`` (needs the network
    once, as on Binder).

    If MNIST cannot be loaded (offline, blocked, a failed or corrupt download: any exception), this
    returns the digits data set instead, with a one-line explanation in ``Dataset.note``, so a
    chapter keeps running; ``print(data)`` shows it. ``n_train``, ``n_test`` and ``timeout`` apply
    to MNIST only (see :func:`load_mnist`); ``seed`` fixes the split or subsample.

    Raises ``ValueError`` for an unknown name (listing :data:`NAMES`), and ``ValueError`` or
    ``TypeError`` for bad arguments, whatever the network does.

    Examples
    --------
    >>> load("digits").x_test.shape
    (450, 64)
    >>> load("cifar")
    Traceback (most recent call last):
    ...
    ValueError: unknown data set 'cifar'. Valid: digits, mnist.
    """
    key = validate.choice("data set", name, NAMES)
    if key == "digits":
        return load_digits_split(seed=validate.int_seed(seed))
    args = _check_mnist_args(n_train, n_test, seed, timeout)  # the caller's errors raise here
    try:
        return load_mnist(*args)
    except Exception as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else "no details"
        note = (f"MNIST could not be loaded ({type(error).__name__}: {reason}), "
                f"so this uses the offline 8x8 digits instead.")
        return dataclasses.replace(load_digits_split(seed=args[2]), note=note)
