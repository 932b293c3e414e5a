"""initlab.data: the offline digits default, MNIST's processing and its fallback to digits.

Everything here runs offline. The MNIST paths are exercised by replacing the network parts
(``_cached_mnist_path``, ``_reachable``, ``_download_mnist``) with monkeypatched stand-ins.
"""

import dataclasses
import math
import socket
import subprocess
import sys
import time
import types
import urllib.error

import numpy as np
import pytest

import initlab.data as data


def test_import_is_light():
    code = ("import sys, initlab.data; heavy = [m for m in ('tensorflow', 'keras', 'sklearn') "
            "if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]" and out.stderr == ""


# ---------------------------------------------------------------------------------------------
# digits, the offline default

@pytest.fixture(scope="module")
def digits():
    return data.load()


def test_default_is_digits_with_the_documented_shapes(digits):
    assert digits.name == "digits" and digits.note == "" and digits.n_classes == 10
    assert digits.x_train.shape == (1347, 64) and digits.x_test.shape == (450, 64)
    assert digits.y_train.shape == (1347,) and digits.y_test.shape == (450,)
    assert digits.n_features == 64
    assert str(digits) == "digits: 1347 train / 450 test samples, 64 features, 10 classes"


def test_dtypes_and_scaling(digits):
    for x in (digits.x_train, digits.x_test):
        assert x.dtype == np.float32
        assert x.min() == 0.0 and x.max() == 1.0  # the raw pixels span 0..16
        # pixels are multiples of 1/16, exactly representable in float32
        np.testing.assert_array_equal(x * 16, np.round(x * 16))
    for y in (digits.y_train, digits.y_test):
        assert y.dtype == np.int64 and set(np.unique(y)) == set(range(10))


def test_the_split_is_the_whole_data_set():
    from sklearn.datasets import load_digits

    raw = load_digits()
    d = data.load()
    both = np.concatenate([d.x_train, d.x_test]) * 16
    order = np.lexsort(both.T)
    raw_order = np.lexsort(raw.data.T)
    np.testing.assert_array_equal(both[order], raw.data[raw_order])


def test_split_is_stratified(digits):
    counts = np.bincount(np.concatenate([digits.y_train, digits.y_test]), minlength=10)
    test_counts = np.bincount(digits.y_test, minlength=10)
    # each class's test share is within one sample of 25 % of its size
    assert np.all(np.abs(test_counts - 0.25 * counts) <= 1)


def test_split_is_fixed_across_calls(digits):
    again = data.load_digits_split.__wrapped__()  # bypass the cache: a fresh split
    for field in ("x_train", "y_train", "x_test", "y_test"):
        np.testing.assert_array_equal(getattr(digits, field), getattr(again, field))
    other = data.load_digits_split(seed=1)
    assert not np.array_equal(other.y_train, digits.y_train)


def test_dataset_is_frozen_and_read_only(digits):
    with pytest.raises(dataclasses.FrozenInstanceError):
        digits.name = "other"
    with pytest.raises(ValueError, match="read-only"):
        digits.x_train[0, 0] = 5.0


@pytest.mark.parametrize("name", ["cifar10", "", "minst"])
def test_unknown_name_lists_valid_names(name):
    with pytest.raises(ValueError, match="Valid: digits, mnist"):
        data.load(name)


@pytest.mark.parametrize("name", [None, 3])
def test_a_name_must_be_a_string(name):
    with pytest.raises(TypeError, match="data set must be a string, one of digits, mnist"):
        data.load(name)


@pytest.mark.parametrize("kwargs, error", [
    (dict(name="mnist", n_train=5), ValueError),
    (dict(name="mnist", n_train=70_000), ValueError),
    (dict(name="mnist", n_train=100.0), TypeError),
    (dict(name="mnist", n_test=1), ValueError),
    (dict(name="mnist", timeout=0), ValueError),
    (dict(name="mnist", timeout=math.inf), ValueError),
    (dict(seed=-1), ValueError),
    (dict(seed=True), TypeError),
])
def test_bad_arguments_raise_even_offline(kwargs, error, monkeypatch):
    monkeypatch.setattr(data, "_download_mnist", _fail_test)
    with pytest.raises(error):
        data.load(**kwargs)


@pytest.mark.parametrize("test_size", [0, 1, 1.5, -0.1])
def test_bad_test_size(test_size):
    with pytest.raises(ValueError, match=r"test_size must be a finite number in \(0, 1\)"):
        data.load_digits_split(test_size)


# ---------------------------------------------------------------------------------------------
# MNIST: processing (with a fake download) and the fallback

def _fail_test(*args, **kwargs):
    raise AssertionError("the download must not be attempted here")


def _fake_mnist(n_train=600, n_test=200, seed=0):
    rng = np.random.default_rng(seed)

    def part(n):
        return (rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8),
                (np.arange(n) % 10).astype(np.uint8))

    return part(n_train), part(n_test)


@pytest.fixture
def online(monkeypatch):
    """No cache, the host answers, and the 'download' returns a small fake MNIST."""
    monkeypatch.setattr(data, "_cached_mnist_path", lambda: None)
    monkeypatch.setattr(data, "_reachable", lambda *args: True)
    monkeypatch.setattr(data, "_download_mnist", lambda timeout: _fake_mnist())


def test_mnist_is_scaled_flattened_and_subsampled(online):
    (x_raw, y_raw), _ = _fake_mnist()
    d = data.load("mnist", n_train=100, n_test=None)
    assert d.name == "mnist" and d.note == "" and d.n_classes == 10
    assert d.x_train.shape == (100, 784) and d.x_test.shape == (200, 784)
    assert d.x_train.dtype == np.float32 and d.y_train.dtype == np.int64
    assert 0.0 <= d.x_train.min() and d.x_train.max() <= 1.0
    # every subsampled row is a raw image divided by 255 (as float32), with its own label
    raw = {row.tobytes(): label for row, label in zip(x_raw.reshape(600, -1), y_raw)}
    for row, label in zip(d.x_train, d.y_train):
        pixels = np.rint(row * 255).astype(np.uint8)
        np.testing.assert_array_equal(row, pixels.astype(np.float32) / np.float32(255))
        assert raw[pixels.tobytes()] == label
    # stratified: 10 of each class
    np.testing.assert_array_equal(np.bincount(d.y_train), np.full(10, 10))
    again = data.load("mnist", n_train=100)
    np.testing.assert_array_equal(again.x_train, d.x_train)


def test_a_cached_file_skips_the_network_probe(tmp_path, monkeypatch):
    (tmp_path / "datasets").mkdir()
    (tmp_path / "datasets" / "mnist.npz").write_bytes(b"")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    assert data._cached_mnist_path() == str(tmp_path / "datasets" / "mnist.npz")
    monkeypatch.setattr(data, "_reachable", _fail_test)
    monkeypatch.setattr(data, "_download_mnist", lambda timeout: _fake_mnist())
    assert data.load("mnist", n_train=None).x_train.shape == (600, 784)


@pytest.mark.parametrize("error", [
    OSError("[Errno 101] Network is unreachable"),
    urllib.error.URLError("no route to host"),
    Exception("URL fetch failure on https://storage.googleapis.com/...: None -- timed out"),
    ValueError("Incomplete or corrupted file detected."),
])
def test_failed_download_falls_back_to_digits_with_a_note(error, monkeypatch):
    def download(timeout):
        raise error

    monkeypatch.setattr(data, "_cached_mnist_path", lambda: None)
    monkeypatch.setattr(data, "_reachable", lambda *args: True)
    monkeypatch.setattr(data, "_download_mnist", download)
    d = data.load("mnist")
    assert d.name == "digits" and d.x_train.shape == (1347, 64)
    assert d.note.startswith(f"MNIST could not be loaded ({type(error).__name__}: ")
    assert d.note.endswith("so this uses the offline 8x8 digits instead.")
    assert "\n" not in d.note and d.note in str(d)
    assert data.load().note == ""  # the cached default is not touched


def test_unreachable_host_falls_back_fast_without_downloading(monkeypatch):
    monkeypatch.setattr(data, "_cached_mnist_path", lambda: None)
    monkeypatch.setattr(data, "_reachable", lambda *args: False)
    monkeypatch.setattr(data, "_download_mnist", _fail_test)
    start = time.perf_counter()
    d = data.load("mnist")
    assert time.perf_counter() - start < 5.0      # no wait on the network: its timeouts are >= 10 s
    assert d.name == "digits" and "no connection to" in d.note and "digits" in d.note


def test_probe_of_an_unresolvable_host_is_bounded():
    # ".invalid" never resolves (RFC 2606); the probe answers False within its timeout.
    start = time.perf_counter()
    assert data._reachable("initlab-probe.invalid", 443, timeout=1.0) is False
    assert time.perf_counter() - start < 4.0      # the timeout, not a resolver's minutes-long wait


def test_download_restores_the_socket_timeout(monkeypatch):
    import initlab.quiet_keras

    seen = []

    def load_data():
        seen.append(socket.getdefaulttimeout())
        raise OSError("offline")

    fake = types.SimpleNamespace(datasets=types.SimpleNamespace(
        mnist=types.SimpleNamespace(load_data=load_data)))
    monkeypatch.setattr(initlab.quiet_keras, "import_keras", lambda: fake)
    before = socket.getdefaulttimeout()
    with pytest.raises(OSError, match="offline"):
        data._download_mnist(2.0)
    assert seen == [10.0] and socket.getdefaulttimeout() == before
